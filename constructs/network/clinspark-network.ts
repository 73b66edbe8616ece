import * as path from 'path';
import { CustomResource, CustomResourceProvider, CustomResourceProviderRuntime, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, sameReason } from '../core/acknowledge';
import { AwsApiEgress, registerAwsApiEgress } from '../core/aws-api-egress';
import { hostBitsError, parseIPv4Block } from '../core/cidr';
import { ClinSparkPropsError } from '../core/errors';

export interface ClinSparkNetworkProps {
  /**
   * Availability zones the VPC spans, in order. Given explicitly so synthesis never looks them up.
   * At least two: Aurora needs database subnets in two zones.
   */
  readonly availabilityZones: readonly string[];
  /** NAT gateways for the application subnets: 1 (shared) up to one per zone. */
  readonly natGateways: number;
  /**
   * IPv4 range of the VPC (a /16 to /20).
   * @default 10.40.0.0/16
   */
  readonly cidr?: string;
  /** Key that encrypts the flow log group. */
  readonly logKey: kms.IKey;
  /** Retention of the VPC flow logs. */
  readonly flowLogRetention: logs.RetentionDays;
  /**
   * What happens to the flow log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The AWS services that the environment's functions, secret rotation and tasks call, each reached
 * through an interface endpoint (AWS PrivateLink) with private DNS in the application subnets, so
 * that no security group needs HTTPS to the internet: Secrets Manager, KMS, CloudWatch Logs, STS,
 * RDS (password resets, the VAL workflow), ECR (API and registry: image pulls), Step Functions
 * (the VAL workflow) and Lambda (the provider framework invokes its handlers). S3 (image layers,
 * CloudFormation's custom-resource and wait-condition responses, scrub evidence) goes through the
 * gateway endpoint.
 */
export const INTERFACE_ENDPOINT_SERVICES: ReadonlyArray<[string, ec2.InterfaceVpcEndpointAwsService]> = [
  ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
  ['Kms', ec2.InterfaceVpcEndpointAwsService.KMS],
  ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  ['Sts', ec2.InterfaceVpcEndpointAwsService.STS],
  ['Rds', ec2.InterfaceVpcEndpointAwsService.RDS],
  ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
  ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
  ['StepFunctions', ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS],
  ['Lambda', ec2.InterfaceVpcEndpointAwsService.LAMBDA],
];

const PREFIX_LIST_PROVIDER = 'Custom::ClinSparkManagedPrefixListProvider';

/** Subnet group names: a contract with every construct that places resources in the VPC. */
export const SUBNET_GROUPS = {
  public: 'Public',
  application: 'Application',
  database: 'Database',
} as const;

/**
 * The network of one environment: a VPC across the configured zones with three subnet tiers:
 * public (load balancer, NAT, jump host), application (ECS tasks, Lambda functions; egress via
 * NAT) and database (isolated: no route to the internet), with flow logs of all traffic to an
 * encrypted log group, the default security group closed, an S3 gateway endpoint and interface
 * endpoints for every AWS API the environment calls (INTERFACE_ENDPOINT_SERVICES). Functions and
 * rotation in the VPC send HTTPS to those endpoints only (`allowAwsApisFrom`, used through
 * constructs/core/aws-api-egress.ts): nothing but the load balancer, the NAT path of an explicit
 * allow-list and the jump host reaches the internet.
 */
export class ClinSparkNetwork extends Construct implements AwsApiEgress {
  readonly vpc: ec2.Vpc;
  readonly flowLogGroup: logs.LogGroup;
  /** The security group of the interface endpoints: HTTPS from inside the VPC only. */
  readonly endpointSecurityGroup: ec2.SecurityGroup;
  /** Id of the region's AWS-managed S3 prefix list (resolved at deploy time). */
  readonly s3PrefixListId: string;

  constructor(scope: Construct, id: string, props: ClinSparkNetworkProps) {
    super(scope, id);
    const azs = [...props.availabilityZones];
    if (azs.length < 2) {
      throw new ClinSparkPropsError(
        this,
        `'availabilityZones' has ${azs.length} zone(s) (${azs.join(', ') || 'none'}); list at least 2, Aurora needs two`,
      );
    }
    if (!Number.isInteger(props.natGateways) || props.natGateways < 1 || props.natGateways > azs.length) {
      throw new ClinSparkPropsError(
        this,
        `'natGateways' is ${props.natGateways}; use 1 to ${azs.length} (one per availability zone at most)`,
      );
    }
    const cidr = props.cidr ?? '10.40.0.0/16';
    const block = parseIPv4Block(cidr);
    if (!block.ok) throw new ClinSparkPropsError(this, `'cidr': ${block.error}`);
    const prefix = block.prefix;
    if (!(prefix >= 16 && prefix <= 20)) {
      throw new ClinSparkPropsError(this, `'cidr' is ${cidr}; use a /16 to /20 range (three subnet tiers per zone must fit)`);
    }
    const hostBits = hostBitsError(cidr, block.address, prefix);
    if (hostBits) throw new ClinSparkPropsError(this, `'cidr': ${hostBits}`);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      availabilityZones: azs,
      natGateways: props.natGateways,
      restrictDefaultSecurityGroup: true,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      subnetConfiguration: [
        { name: SUBNET_GROUPS.public, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: SUBNET_GROUPS.application, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: prefix <= 18 ? 22 : 24 },
        { name: SUBNET_GROUPS.database, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: prefix <= 18 ? 24 : 26 },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: props.logKey,
      retention: props.flowLogRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const flowLogRole = new iam.Role(this, 'FlowLogRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets VPC Flow Logs write to the flow log group of this environment only',
    });
    // A customer-managed policy instead of the inline policy CDK would add (HIPAA/NIST
    // IAMNoInlinePolicy); the role handed to the flow log is immutable so nothing is added inline.
    const flowLogPolicy = new iam.ManagedPolicy(this, 'FlowLogPolicy', {
      description: "Write VPC flow logs to this environment's flow log group",
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [this.flowLogGroup.logGroupArn, `${this.flowLogGroup.logGroupArn}:*`],
        }),
      ],
    });
    flowLogRole.addManagedPolicy(flowLogPolicy);
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup, flowLogRole.withoutPolicyUpdates()),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'ClinSpark AWS service endpoints: HTTPS from inside the VPC only',
      allowAllOutbound: false,
    });
    // The literal range (not the VPC's CidrBlock attribute), so that reviewers and rules can read it.
    this.endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS to AWS APIs from inside the VPC');
    for (const [id, service] of INTERFACE_ENDPOINT_SERVICES) {
      this.vpc.addInterfaceEndpoint(id, {
        service,
        subnets: this.applicationSubnets,
        securityGroups: [this.endpointSecurityGroup],
        privateDnsEnabled: true,
        open: false,
      });
    }
    this.s3PrefixListId = this.managedPrefixListId('S3PrefixList', 's3');
    registerAwsApiEgress(this.vpc, this);

    this.acknowledgeFindings();
  }

  /** Opens HTTPS from a security group to the interface endpoints and to S3 (gateway endpoint), and nowhere else. */
  allowAwsApisFrom(securityGroup: ec2.ISecurityGroup): void {
    securityGroup.addEgressRule(this.endpointSecurityGroup, ec2.Port.tcp(443), 'HTTPS to AWS service endpoints (PrivateLink)');
    securityGroup.addEgressRule(ec2.Peer.prefixList(this.s3PrefixListId), ec2.Port.tcp(443), 'HTTPS to S3 (gateway endpoint)');
  }

  /** The id of the region's AWS-managed prefix list of a service, looked up at deploy time. */
  private managedPrefixListId(id: string, service: string): string {
    const stack = Stack.of(this);
    const provider = CustomResourceProvider.getOrCreateProvider(this, PREFIX_LIST_PROVIDER, {
      codeDirectory: path.join(__dirname, 's3-prefix-list-handler'),
      runtime: CustomResourceProviderRuntime.NODEJS_22_X,
      description: 'ClinSpark: looks up the id of an AWS-managed prefix list (ec2:DescribeManagedPrefixLists only)',
      // DescribeManagedPrefixLists supports no resource-level permission (Service Authorization Reference, Amazon EC2).
      policyStatements: [{ Effect: 'Allow', Action: ['ec2:DescribeManagedPrefixLists'], Resource: '*' }],
    });
    const resource = new CustomResource(this, id, {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::ClinSparkManagedPrefixList',
      properties: { PrefixListName: `com.amazonaws.${stack.region}.${service}` },
    });
    return resource.getAttString('PrefixListId');
  }

  /** Application subnets (private, egress through NAT). */
  get applicationSubnets(): ec2.SubnetSelection {
    return { subnetGroupName: SUBNET_GROUPS.application };
  }

  /** Database subnets (isolated). */
  get databaseSubnets(): ec2.SubnetSelection {
    return { subnetGroupName: SUBNET_GROUPS.database };
  }

  /** Public subnets (load balancer, jump host). */
  get publicSubnets(): ec2.SubnetSelection {
    return { subnetGroupName: SUBNET_GROUPS.public };
  }

  private acknowledgeFindings(): void {
    // aws-cdk-lib's built-in template validator warns about literal zone names; they are literal
    // on purpose: they come from configuration, so synthesis needs no look-up and is reproducible.
    for (const subnet of [...this.vpc.publicSubnets, ...this.vpc.privateSubnets, ...this.vpc.isolatedSubnets]) {
      const cfn = subnet.node.defaultChild;
      if (cfn)
        acknowledge(cfn, [
          {
            id: 'CloudFormation-Validate::W3010',
            reason:
              'Availability zones come from the customer configuration on purpose: synthesis needs no AWS look-up and is reproducible.',
          },
        ]);
    }
    // The public subnets' default routes to the internet gateway: they carry the load balancer,
    // the NAT gateways and (PROD with a read replica) the jump host, and nothing else.
    for (const subnet of this.vpc.publicSubnets) {
      const route = subnet.node.tryFindChild('DefaultRoute');
      if (route) {
        acknowledge(
          route,
          sameReason(
            ['HIPAA.Security-VPCNoUnrestrictedRouteToIGW', 'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW'],
            'Public subnet route to the internet gateway: only the HTTPS load balancer, NAT ' +
              'gateways and the allow-listed SSH jump host live in public subnets; application ' +
              'and database subnets have no such route.',
          ),
        );
      }
    }
    // The flow log role may write to streams of its own log group only; CloudWatch Logs needs
    // the stream wildcard because stream names are created per network interface.
    const policy = this.node.tryFindChild('FlowLogPolicy');
    if (policy) {
      const logGroupId = Stack.of(this).getLogicalId(this.flowLogGroup.node.defaultChild as logs.CfnLogGroup);
      acknowledge(policy, [
        {
          id: `AwsSolutions-IAM5[Resource::<${logGroupId}.Arn>:*]`,
          reason:
            'VPC Flow Logs create one log stream per network interface; the wildcard covers ' +
            "the streams of this environment's flow log group only.",
        },
      ]);
    }
  }
}
