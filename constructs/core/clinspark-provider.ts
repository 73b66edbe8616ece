import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { allowAwsApis } from './aws-api-egress';
import { acknowledge } from './acknowledge';
import { ClinSparkFunction } from './clinspark-function';
import { ClinSparkRole } from './clinspark-role';

export interface ClinSparkProviderProps {
  /** The function that handles Create, Update and Delete. */
  readonly onEvent: ClinSparkFunction;
  /** @default - none: the resource completes when onEvent returns */
  readonly isComplete?: ClinSparkFunction;
  /** @default Duration.seconds(30) */
  readonly queryInterval?: Duration;
  /** @default Duration.minutes(55) (CloudFormation waits at most one hour for a custom resource) */
  readonly totalTimeout?: Duration;
  /** The VPC of the provider's framework functions. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the framework functions (with a route to AWS APIs). */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Key of the framework functions' log groups. */
  readonly logKey: kms.IKey;
  /** Retention of the framework functions' log groups. */
  readonly logRetention: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Short description for function descriptions, e.g. "acme/prod replication". */
  readonly description: string;
}

/**
 * The CDK custom-resource provider framework around this project's handlers, hardened: the
 * framework functions run in the VPC with a customer-managed-policy role, log to an encrypted
 * log group, have capped concurrency and X-Ray tracing; the waiter state machine (when there is
 * an isComplete handler) logs everything to the same encrypted group.
 */
export class ClinSparkProvider extends Construct {
  readonly provider: cr.Provider;
  readonly serviceToken: string;

  constructor(scope: Construct, id: string, props: ClinSparkProviderProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.logKey,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // Two roles: the entry function (which starts the waiter state machine) and the isComplete
    // and timeout functions (which the state machine invokes); one role for both would make the
    // state machine and the functions depend on each other.
    const role = this.frameworkRole('FrameworkRole', `Custom resource framework: ${props.description}`, logGroup);
    const completeRole = props.isComplete
      ? this.frameworkRole('FrameworkCompleteRole', `Custom resource framework (completion): ${props.description}`, logGroup)
      : undefined;
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Custom resource framework: ${props.description}`.slice(0, 255),
      allowAllOutbound: false,
    });
    // AWS APIs (Lambda, Step Functions, Secrets Manager, RDS, KMS, Logs; S3 for CloudFormation's
    // response URLs) through the VPC's endpoints only (constructs/core/aws-api-egress.ts).
    allowAwsApis(securityGroup, props.vpc, 'HTTPS to Lambda, Step Functions and CloudFormation response URLs');

    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: props.onEvent.function,
      isCompleteHandler: props.isComplete?.function,
      queryInterval: props.isComplete ? (props.queryInterval ?? Duration.seconds(30)) : undefined,
      totalTimeout: props.isComplete ? (props.totalTimeout ?? Duration.minutes(55)) : undefined,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [securityGroup],
      frameworkOnEventRole: role,
      frameworkCompleteAndTimeoutRole: completeRole,
      logGroup,
      frameworkLambdaLoggingLevel: lambda.ApplicationLogLevel.INFO,
      ...(props.isComplete
        ? {
            disableWaiterStateMachineLogging: false,
            waiterStateMachineLogOptions: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
          }
        : {}),
    });
    this.serviceToken = this.provider.serviceToken;

    for (const child of this.provider.node.findAll()) {
      if (child instanceof lambda.CfnFunction) {
        child.reservedConcurrentExecutions = 5;
        child.tracingConfig = { mode: 'Active' };
      }
    }
    this.acknowledgeFindings(role, logGroup, [props.onEvent, ...(props.isComplete ? [props.isComplete] : [])]);
    if (completeRole && props.isComplete) this.acknowledgeFindings(completeRole, logGroup, [props.onEvent, props.isComplete]);
    if (props.isComplete) this.hardenWaiter();
  }

  /**
   * The waiter state machine that aws-cdk-lib's Provider creates for an isComplete handler: X-Ray
   * tracing on (AwsSolutions-SF2), with the role rights Step Functions needs for it (Step Functions
   * developer guide, "IAM policies for using AWS X-Ray in Step Functions": xray:PutTraceSegments,
   * xray:PutTelemetryRecords, xray:GetSamplingRules, xray:GetSamplingTargets, which support no
   * resource-level permissions). The role is the framework's own; its policy becomes a managed
   * one, and its wildcards are acknowledged with what they cover.
   */
  private hardenWaiter(): void {
    const waiter = this.provider.node.tryFindChild('waiter-state-machine');
    const machine = waiter?.node.tryFindChild('Resource');
    const role = waiter?.node.tryFindChild('Role');
    if (!(machine instanceof sfn.CfnStateMachine) || !(role instanceof iam.Role))
      throw new Error(`${this.node.path}: the Provider's waiter state machine was not found (aws-cdk-lib changed its construct tree)`);
    machine.tracingConfiguration = { enabled: true };
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
        resources: ['*'],
      }),
    );
    // The Provider gives the waiter's role an inline policy (iam.Policy 'DefaultPolicy'); it
    // offers no prop for the role. Everything has been granted by now (invoke rights by the
    // Provider, log delivery by the state machine, X-Ray above), so the same document moves to a
    // customer managed policy attached to the role, and the inline policy leaves the tree
    // (HIPAA/NIST IAMNoInlinePolicy are implemented, never acknowledged, in this project).
    const inline = role.node.tryFindChild('DefaultPolicy');
    const cfnInline = inline?.node.defaultChild;
    if (!(inline instanceof iam.Policy) || !(cfnInline instanceof iam.CfnPolicy))
      throw new Error(`${this.node.path}: the waiter role's default policy was not found (aws-cdk-lib changed its construct tree)`);
    // The L1's document is the L2 PolicyDocument (resolved at synthesis), typed `any` by the L1.
    const document: unknown = cfnInline.policyDocument;
    const managed = new iam.CfnManagedPolicy(waiter!, 'Permissions', {
      policyDocument: document,
      roles: [role.roleName],
      description: `Waiter state machine of ${this.node.path}: invoke the framework's functions, deliver logs, X-Ray`.slice(0, 1000),
    });
    role.node.tryRemoveChild('DefaultPolicy');
    machine.addResourceDependency(managed);
    const policy = managed;
    const stack = Stack.of(this);
    const fnId = (name: string) => {
      const fn = this.provider.node.tryFindChild(name);
      const cfn = fn?.node.tryFindChild('Resource');
      return cfn instanceof lambda.CfnFunction ? stack.getLogicalId(cfn) : undefined;
    };
    const invoked = ['framework-isComplete', 'framework-onTimeout'].map(fnId).filter((id): id is string => id !== undefined);
    acknowledge(policy, [
      ...invoked.map((id) => ({
        id: `AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`,
        reason: "The waiter invokes the framework's own function; the :* suffix covers that function's versions and aliases only.",
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Log delivery of the waiter state machine (Step Functions developer guide, "IAM ' +
          'policies for logging to CloudWatch Logs": the logs:*LogDelivery, ' +
          'PutResourcePolicy and Describe actions support only "*") and X-Ray trace ' +
          'uploads (no resource-level permissions); neither reads data.',
      },
    ]);
  }

  private frameworkRole(id: string, description: string, logGroup: logs.LogGroup): ClinSparkRole {
    const role = new ClinSparkRole(this, id, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description,
    });
    role.addToPrincipalPolicy(
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
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:*`],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'XRay', actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }),
    );
    return role;
  }

  private acknowledgeFindings(role: ClinSparkRole, logGroup: logs.LogGroup, handlers: ClinSparkFunction[]): void {
    const stack = Stack.of(this);
    const logGroupId = stack.getLogicalId(logGroup.node.defaultChild as logs.CfnLogGroup);
    acknowledge(role.permissions, [
      ...handlers.map((h) => ({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(h.function.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
        reason: "The framework invokes its own handler function; the :* suffix covers that function's versions and aliases only.",
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'VPC access of the framework functions (Lambda developer guide, "Giving Lambda ' +
          'functions access to resources in an Amazon VPC"): Lambda manages their network ' +
          'interfaces with this role and ec2:DescribeNetworkInterfaces works only on "*"; ' +
          'the actions manage network interfaces and read no data. X-Ray trace uploads ' +
          'support no resource-level permissions.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${logGroupId}.Arn>:*]`,
        reason: "Log streams of the framework's own log group are created per execution environment; the wildcard covers that group only.",
      },
    ]);
    const frameworkFunctions: IConstruct[] = this.provider.node.findAll().filter((c) => c instanceof lambda.Function);
    for (const fn of frameworkFunctions) {
      acknowledge(fn, [
        {
          id: 'HIPAA.Security-LambdaDLQ',
          reason:
            'CDK provider framework function: a failed custom resource is reported to ' +
            'CloudFormation, which fails and rolls back the deployment; the event is kept in ' +
            'the encrypted framework log group.',
        },
        {
          id: 'NIST.800.53.R5-LambdaDLQ',
          reason:
            'CDK provider framework function: a failed custom resource is reported to ' +
            'CloudFormation, which fails and rolls back the deployment; the event is kept in ' +
            'the encrypted framework log group.',
        },
      ]);
    }
  }
}
