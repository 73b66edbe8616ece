import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { allowAwsApis } from './aws-api-egress';
import { acknowledge, sameReason } from './acknowledge';
import { bundleHandler } from './bundle';
import { ClinSparkRole } from './clinspark-role';

export interface ClinSparkFunctionProps {
  /** Absolute path of the TypeScript handler file (bundled with the local esbuild). */
  readonly entry: string;
  /** Exported handler function name. @default 'handler' */
  readonly handler?: string;
  /** What the function is for (IAM, Lambda and log descriptions). */
  readonly description: string;
  /**
   * Who invokes the function and what happens to a failed invocation: the reason given to
   * reviewers for not having a dead-letter queue (HIPAA/NIST LambdaDLQ).
   * @default - invoked by the CDK provider framework or by Secrets Manager rotation, which own the retry and record the failure
   */
  readonly failureHandling?: string;
  /** The VPC the function runs in (it reaches databases in isolated subnets). */
  readonly vpc: ec2.IVpc;
  /** Subnets with a route to AWS APIs (NAT). */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Key of the function's log group. */
  readonly logKey: kms.IKey;
  /** Retention of the function's log group. */
  readonly logRetention: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default Duration.minutes(5) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default - none */
  readonly environment?: Record<string, string>;
  /**
   * Concurrent executions reserved (and so capped) for this function.
   * @default 5
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * A Lambda function for this project's custom resources and jobs, secure by default: bundled
 * from TypeScript by the local esbuild (no Docker), latest Node.js runtime, inside the VPC with a
 * security group of its own (no inbound, outbound HTTPS only until callers open more with
 * `connections`), an encrypted log group with the environment's retention, capped concurrency,
 * X-Ray tracing, and a role whose permissions live in a customer-managed policy.
 */
export class ClinSparkFunction extends Construct implements ec2.IConnectable, iam.IGrantable {
  readonly function: lambda.Function;
  readonly role: ClinSparkRole;
  readonly logGroup: logs.LogGroup;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: ClinSparkFunctionProps) {
    super(scope, id);
    this.role = new ClinSparkRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.logKey,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.description} (Lambda)`.slice(0, 255),
      allowAllOutbound: false,
    });
    // AWS APIs (Lambda, Step Functions, Secrets Manager, RDS, KMS, Logs; S3 for CloudFormation's
    // response URLs) through the VPC's endpoints only (constructs/core/aws-api-egress.ts).
    allowAwsApis(this.securityGroup, props.vpc, 'HTTPS to AWS APIs');

    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(bundleHandler(props.entry)),
      handler: `index.${props.handler ?? 'handler'}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      description: props.description.slice(0, 256),
      role: this.role,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [this.securityGroup],
      timeout: props.timeout ?? Duration.minutes(5),
      memorySize: props.memorySize ?? 512,
      // No NODE_OPTIONS=--enable-source-maps: the bundles are minified without source maps
      // (constructs/core/bundle.ts), so the flag would only slow every stack trace down.
      environment: props.environment,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? 5,
      tracing: lambda.Tracing.ACTIVE,
    });
    // The function role needs the network-interface permissions of a VPC function and may
    // write to its own log group only.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'VpcNetworkInterfaces',
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn, `${this.logGroup.logGroupArn}:*`],
      }),
    );

    const logGroupLogicalId = Stack.of(this).getLogicalId(this.logGroup.node.defaultChild as logs.CfnLogGroup);
    acknowledge(this.role.permissions, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'VPC access of this function (Lambda developer guide, "Giving Lambda functions ' +
          'access to resources in an Amazon VPC"): Lambda creates, describes and deletes ' +
          "the function's network interfaces with this role, ec2:DescribeNetworkInterfaces " +
          'works only on "*", and the five actions are those AWSLambdaVPCAccessExecutionRole ' +
          'grants on "*"; they manage network interfaces and read no data. X-Ray ' +
          'PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${logGroupLogicalId}.Arn>:*]`,
        reason:
          "Log streams of this function's own log group are created per execution " +
          "environment; the wildcard covers that group's streams only.",
      },
    ]);
    acknowledge(
      this.function,
      sameReason(
        ['HIPAA.Security-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ'],
        props.failureHandling ??
          'Called by the CDK provider framework (custom resources) or by Secrets Manager ' +
            '(rotation), which own the retry and record a failure: a failed deployment or a ' +
            'failed rotation of the secret; the invocation and its error are kept in this ' +
            "function's encrypted log group.",
      ),
    );
  }

  get connections(): ec2.Connections {
    return this.function.connections;
  }

  get grantPrincipal(): iam.IPrincipal {
    return this.role;
  }
}
