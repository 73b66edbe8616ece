import { Duration, RemovalPolicy, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { cidrsOverlap, Cidr, parseCidr } from '../core/cidr';
import { ClinSparkPropsError } from '../core/errors';
import { ClinSparkRole } from '../core/clinspark-role';
import { jumpHostUserData, permitOpenTarget, renderAuthorizedKeys, renderHostScript, renderSshdConfig, TUNNEL_USER } from './host-config';
import { parseSshPublicKey } from './ssh-keys';

/** Where the tunnel leads: the only host and port the tunnel user may forward to. */
export interface ForwardTarget {
  /**
   * Host name or IPv4 address, exactly as clients write it in `ssh -L` (sshd compares it
   * literally). May be a token, typically the read replica cluster's endpoint address.
   */
  readonly host: string;
  /** TCP port of the target; may be a token (the cluster endpoint's port). */
  readonly port: number;
}

export interface JumpHostProps {
  /** VPC of the environment. */
  readonly vpc: ec2.IVpc;
  /**
   * Public subnets (route to the internet gateway) to place the host in; the first one is used.
   * @default - the VPC's public subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Pinned Amazon Linux 2023 arm64 AMI id of the stack's region (`ami-0123456789abcdef0`), used
   * as a literal ImageId: never looked up, so the host changes AMI only when this id changes.
   * Patching is a planned change of this value, which replaces the host (new host keys, same
   * Elastic IP).
   */
  readonly amiId: string;
  /**
   * A Graviton (arm64) instance type.
   * @default t4g.micro - t4g.nano's 0.5 GiB is too little for dnf and the CloudWatch agent
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * OpenSSH public key lines of the customer (ed25519, ECDSA, or RSA of 3072 bits or more; no
   * options; 1 to 20). Each may only open a tunnel to `forwardTo`. Changing the list changes the
   * user data, which CloudFormation applies with a stop/start of the host (same host keys and IP).
   */
  readonly authorizedKeys: readonly string[];
  /** Customer IPv4 ranges that may reach port 22 (each a /16 or narrower); nothing else may. */
  readonly allowedCidrs: readonly string[];
  /** The one host:port the tunnel may reach. */
  readonly forwardTo: ForwardTarget;
  /**
   * Whether the EC2 API refuses to terminate the host (`DisableApiTermination`). The environment
   * catalog decides. CloudFormation cannot terminate a protected host either: when a new AMI
   * replaces it, turn the old host's protection off (ModifyInstanceAttribute) before the deploy,
   * or terminate it by hand after CloudFormation reports it could not delete it.
   * @default true
   */
  readonly terminationProtection?: boolean;
  /**
   * Key that encrypts the root volume.
   * @default - a new customer-managed key with rotation, retained when it leaves the stack
   */
  readonly volumeKey?: kms.IKey;
  /**
   * Log group that receives sshd's log (/var/log/secure) through the CloudWatch agent. A group of
   * the same stack, encrypted and with the environment's retention.
   * @default - sshd logs stay in the host's persistent journal only
   */
  readonly sessionLogGroup?: logs.ILogGroup;
  /**
   * Where the host may open HTTPS connections (SSM, CloudWatch Logs, package repositories).
   * @default ec2.Peer.anyIpv4() - AWS public endpoints through the internet gateway
   */
  readonly httpsEgress?: ec2.IPeer;
}

/**
 * The one SSM agent action the host keeps: registration (the host appears as a managed instance
 * in the account's inventory). Session Manager and Run Command are closed on purpose: without
 * the ssmmessages:* and ec2messages:* channel actions of AmazonSSMManagedInstanceCore, and without
 * the association actions (a State Manager association runs documents on the host), no session,
 * no port forward to the replica and no command can reach the host around the customer's SSH
 * allow-list. Vendor engineers use the same audited path as the customer: a reviewed
 * configuration change adds their range and key (readReplica.allowedCidrs, sshPublicKeys), and
 * sshd's log shows every login.
 */
const SSM_AGENT_ACTIONS = ['ssm:UpdateInstanceInformation'];

/** Actions of AmazonSSMManagedInstanceCore that the host must never have (asserted in tests). */
export const SESSION_AND_COMMAND_ACTIONS = [
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
  'ssm:ListInstanceAssociations',
  'ssm:UpdateInstanceAssociationStatus',
  'ssm:GetDocument',
];

const AMI_ID = /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const MAX_KEYS = 20;
const MAX_CIDRS = 50;
/** EC2 refuses user data over 16 KiB (before base64). */
const USER_DATA_LIMIT = 16 * 1024;
/** A DNS name is at most 253 characters: what a token host may resolve to. */
const LONGEST_HOST = 'h'.repeat(253);
const ROOT_VOLUME_GIB = 10;

function shorten(value: string, max = 40): string {
  const flat = value.replace(/[\r\n]+/g, '\\n');
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

/**
 * The customer's SSH jump host in front of the read replica: one small Graviton instance on a
 * pinned Amazon Linux 2023 AMI, in a public subnet with an Elastic IP, reachable on port 22 from
 * the customer's ranges only. The one account that can log in (`clinspark-tunnel`, keys only, no
 * shell) may forward to the replica's endpoint and port only; sshd itself is locked down and its
 * configuration is checked with `sshd -t` before it is applied. Session Manager, port forwarding
 * and Run Command are closed (see SSM_AGENT_ACTIONS): SSH from the allow-list is the only way in,
 * for vendor engineers too. Egress: HTTPS only (AWS endpoints), plus what
 * `connections.allowTo(replica, ...)` opens.
 *
 * To verify the host key on first connection, read the fingerprints the host prints to its
 * console (`aws ec2 get-console-output`). Replacing the host (new AMI) changes its host keys.
 *
 * cdk-nag: the instance satisfies the EC2 rules of the three packs (IMDSv2, detailed monitoring,
 * EBS encryption and optimisation, termination protection, instance profile, restricted SSH). The
 * public-IP rules (EC2InstanceNoPublicIp) pass because they inspect the instance's network
 * interfaces and the address comes from the separate Elastic IP: the host IS internet-facing, by
 * design, on port 22 from the allow-list only. Acknowledged: AwsSolutions-IAM5[Resource::*] on the
 * instance policy, and AwsSolutions-EC29 when the catalog turns termination protection off.
 */
export class JumpHost extends Construct implements ec2.IConnectable {
  /** The login name of the tunnel account. */
  static readonly TUNNEL_USER = TUNNEL_USER;

  readonly instance: ec2.Instance;
  readonly securityGroup: ec2.SecurityGroup;
  readonly connections: ec2.Connections;
  /** The instance role; its permissions live in `role.permissions` (customer-managed). */
  readonly role: ClinSparkRole;
  readonly volumeKey: kms.IKey;
  readonly elasticIp: ec2.CfnEIP;
  /** The host's stable public IPv4 address (Elastic IP), for the customer's firewall rules. */
  readonly publicIp: string;
  /** `host:port` the tunnel leads to, as clients must write it. */
  readonly forwardTarget: string;

  constructor(scope: Construct, id: string, props: JumpHostProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const cidrs = this.validateCidrs(props.allowedCidrs);
    const keyLines = this.validateKeys(props.authorizedKeys);
    const port = this.validateForwardTo(props.forwardTo);
    const instanceType = props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO);
    if (instanceType.architecture !== ec2.InstanceArchitecture.ARM_64) {
      throw new ClinSparkPropsError(
        this,
        `'instanceType' is ${instanceType.toString()}, which is not Graviton (arm64); ` +
          `the pinned Amazon Linux 2023 AMI is arm64: use t4g.nano or t4g.micro`,
      );
    }
    if (Token.isUnresolved(props.amiId) || !AMI_ID.test(props.amiId)) {
      throw new ClinSparkPropsError(
        this,
        `'amiId' is "${shorten(props.amiId)}"; give a literal AMI id such as ` +
          `"ami-0123456789abcdef0" (pinned: never a look-up or a parameter)`,
      );
    }
    if (Token.isUnresolved(stack.region)) {
      throw new ClinSparkPropsError(
        this,
        `'amiId' ${props.amiId} belongs to one region, but stack ${stack.stackName} has ` +
          `no concrete region; give the stack an env with a region`,
      );
    }
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PUBLIC };
    this.validateSubnets(props.vpc, vpcSubnets);

    this.forwardTarget = permitOpenTarget(props.forwardTo.host, port);
    const script = renderHostScript({
      sshdConfig: renderSshdConfig(this.forwardTarget),
      authorizedKeys: renderAuthorizedKeys(keyLines, this.forwardTarget),
      sessionLogGroupName: props.sessionLogGroup?.logGroupName,
    });
    this.validateUserDataSize(props, keyLines, port);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      allowAllOutbound: false,
      description: 'ClinSpark jump host: SSH from the customer allow-list only; HTTPS out to AWS endpoints',
    });
    for (const cidr of cidrs) {
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr.text), ec2.Port.tcp(22), `SSH tunnel from customer range ${cidr.text}`);
    }
    this.securityGroup.addEgressRule(
      props.httpsEgress ?? ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to AWS endpoints (SSM registration, CloudWatch Logs, package repositories)',
    );

    this.volumeKey =
      props.volumeKey ??
      new kms.Key(this, 'VolumeKey', {
        description: `ClinSpark jump host root volume (${this.node.path})`,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
        pendingWindow: Duration.days(30),
      });

    // Every statement lands in the role's own customer-managed policy: not the AWS managed
    // AmazonSSMManagedInstanceCore (AwsSolutions-IAM4), whose ssm:GetParameter(s) on * would let
    // this internet-facing host read every parameter of the account, and not an inline policy
    // (HIPAA/NIST IAMNoInlinePolicy). Later grants to `role` land there too.
    this.role = new ClinSparkRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description:
        'ClinSpark jump host: SSM agent registration only (no Session Manager, no Run Command) and, if configured, sshd log shipping',
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'SsmAgent', actions: SSM_AGENT_ACTIONS, resources: ['*'] }));
    if (props.sessionLogGroup) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ShipSshdLog',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [props.sessionLogGroup.logGroupArn],
        }),
      );
    }

    const terminationProtection = props.terminationProtection ?? true;
    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets,
      instanceType,
      machineImage: ec2.MachineImage.genericLinux({ [stack.region]: props.amiId }),
      securityGroup: this.securityGroup,
      role: this.role,
      userData: jumpHostUserData(script),
      // New user data is applied by a stop/start (the script runs on every boot), not by a new
      // host with new host keys.
      userDataCausesReplacement: false,
      httpEndpoint: true,
      httpTokens: ec2.HttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: false,
      detailedMonitoring: true,
      ebsOptimized: true,
      disableApiTermination: terminationProtection,
      creditSpecification: ec2.CpuCredits.STANDARD,
      propagateTagsToVolumeOnCreation: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(ROOT_VOLUME_GIB, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            kmsKey: this.volumeKey,
            deleteOnTermination: true,
          }),
        },
      ],
    });
    this.connections = this.instance.connections;

    // The association follows the instance when it is replaced: the address stays the same.
    this.elasticIp = new ec2.CfnEIP(this, 'ElasticIp', {
      domain: 'vpc',
      instanceId: this.instance.instanceId,
      tags: [{ key: 'Name', value: `${this.node.path} (SSH jump host)` }],
    });
    this.publicIp = this.elasticIp.attrPublicIp;

    this.acknowledgeFindings(terminationProtection);
  }

  /**
   * The tunnel command for the customer's guide: forwards `127.0.0.1:<localPort>` to the target
   * through this host; BI tools then connect to 127.0.0.1:<localPort>. May contain tokens: render
   * it through a CfnOutput or the report, not at synth time.
   * @param localPort local port to listen on (1024-65535, so no root is needed)
   */
  sshCommand(localPort = 3306): string {
    if (!Number.isInteger(localPort) || localPort < 1024 || localPort > 65535) {
      throw new ClinSparkPropsError(this, `sshCommand localPort is ${localPort}; use 1024 to 65535 (no root needed on the client)`);
    }
    return (
      `ssh -N -o ExitOnForwardFailure=yes -o ServerAliveInterval=60 -L ` +
      `127.0.0.1:${localPort}:${this.forwardTarget} ${TUNNEL_USER}@${this.publicIp}`
    );
  }

  private validateCidrs(values: readonly string[]): Cidr[] {
    if (values.length === 0 || values.length > MAX_CIDRS) {
      throw new ClinSparkPropsError(this, `'allowedCidrs' has ${values.length} ranges; list 1 to ${MAX_CIDRS} customer ranges`);
    }
    const out: Array<{ cidr: Cidr; index: number }> = [];
    values.forEach((value, index) => {
      if (Token.isUnresolved(value)) {
        throw new ClinSparkPropsError(this, `'allowedCidrs[${index}]' is a token; give literal ranges so they can be checked`);
      }
      const parsed = parseCidr(value);
      if (!parsed.ok) throw new ClinSparkPropsError(this, `'allowedCidrs[${index}]': ${parsed.error}`);
      const prior = out.find((o) => cidrsOverlap(o.cidr, parsed.cidr));
      if (prior) {
        throw new ClinSparkPropsError(
          this,
          `'allowedCidrs[${index}]' '${value}' overlaps 'allowedCidrs[${prior.index}]' ` +
            `'${values[prior.index]}'; list each range once (keep the broader one)`,
        );
      }
      out.push({ cidr: parsed.cidr, index });
    });
    return out.map((o) => o.cidr);
  }

  private validateKeys(values: readonly string[]): string[] {
    if (values.length === 0 || values.length > MAX_KEYS) {
      throw new ClinSparkPropsError(
        this,
        `'authorizedKeys' has ${values.length} keys; list 1 to ${MAX_KEYS} customer public keys (the host accepts no passwords)`,
      );
    }
    const blobs = new Map<string, number>();
    return values.map((value, index) => {
      if (Token.isUnresolved(value)) {
        throw new ClinSparkPropsError(this, `'authorizedKeys[${index}]' is a token; give the literal public key line so it can be checked`);
      }
      const parsed = parseSshPublicKey(value);
      if (!parsed.ok) throw new ClinSparkPropsError(this, `'authorizedKeys[${index}]' ("${shorten(value)}") ${parsed.error}`);
      const first = blobs.get(parsed.key.blob);
      if (first !== undefined) {
        throw new ClinSparkPropsError(
          this,
          `'authorizedKeys[${index}]' ("${shorten(value)}") is the same key as 'authorizedKeys[${first}]'; list each key once`,
        );
      }
      blobs.set(parsed.key.blob, index);
      return parsed.key.line;
    });
  }

  /** Returns the port as a string (a token's string form when the port is a token). */
  private validateForwardTo(target: ForwardTarget): string {
    if (!Token.isUnresolved(target.host) && !(HOST_NAME.test(target.host) || /^\d{1,3}(\.\d{1,3}){3}$/.test(target.host))) {
      throw new ClinSparkPropsError(
        this,
        `'forwardTo.host' is "${shorten(target.host)}"; give a DNS name or IPv4 address (typically the replica cluster's endpoint)`,
      );
    }
    if (!Token.isUnresolved(target.port) && (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)) {
      throw new ClinSparkPropsError(this, `'forwardTo.port' is ${target.port}; give a TCP port 1 to 65535 (3306 for Aurora MySQL)`);
    }
    return Tokenization.stringifyNumber(target.port);
  }

  private validateSubnets(vpc: ec2.IVpc, selection: ec2.SubnetSelection): void {
    const selected = vpc.selectSubnets(selection).subnets;
    const publicIds = new Set(vpc.publicSubnets.map((s) => s.node.path));
    if (selected.length === 0 || selected.some((s) => !publicIds.has(s.node.path))) {
      throw new ClinSparkPropsError(
        this,
        `'vpcSubnets' selects ` +
          `${selected.length === 0 ? 'no subnet' : 'non-public subnets'}; select public ` +
          `subnets (route to the internet gateway), which the Elastic IP needs`,
      );
    }
  }

  /** Renders the user data with the longest possible target: EC2 refuses more than 16 KiB. */
  private validateUserDataSize(props: JumpHostProps, keyLines: readonly string[], port: string): void {
    const target = permitOpenTarget(
      Token.isUnresolved(props.forwardTo.host) ? LONGEST_HOST : props.forwardTo.host,
      Token.isUnresolved(port) ? '65535' : port,
    );
    const worst = jumpHostUserData(
      renderHostScript({
        sshdConfig: renderSshdConfig(target),
        authorizedKeys: renderAuthorizedKeys(keyLines, target),
        sessionLogGroupName: props.sessionLogGroup ? 'l'.repeat(512) : undefined,
      }),
    ).render();
    const size = Buffer.byteLength(worst, 'utf8');
    if (size > USER_DATA_LIMIT) {
      throw new ClinSparkPropsError(
        this,
        `'authorizedKeys' make the user data ${size} bytes, over EC2's limit of ` +
          `${USER_DATA_LIMIT}; use fewer keys or ed25519 keys (about 100 bytes each ` +
          `instead of 750 for RSA)`,
      );
    }
  }

  private acknowledgeFindings(terminationProtection: boolean): void {
    // CDK's own CloudFormation validator (warnings, not a pack of the gate).
    acknowledge(this.instance, [
      {
        id: 'CloudFormation-Validate::W9010',
        reason:
          'The AMI id is pinned on purpose: the host changes only when the configuration ' +
          'names a new AMI (a planned, change-controlled patch), never through a look-up.',
      },
      {
        id: 'CloudFormation-Validate::W3010',
        reason:
          "The zone comes from the public subnet the host is placed in; the environment's " +
          'zones are pinned in configuration so synthesis needs no look-up.',
      },
    ]);
    acknowledge(this.role.permissions, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ssm:UpdateInstanceInformation only: the SSM agent registers the host in the ' +
          'inventory (it acts on the calling instance). No Session Manager or Run Command ' +
          'channel, no association and no GetParameter is granted, so no session or port ' +
          'forward reaches the host around the SSH allow-list.',
      },
    ]);
    if (!terminationProtection) {
      acknowledge(this.instance, [
        {
          id: 'AwsSolutions-EC29',
          reason:
            'The environment catalog turns termination protection off for this jump host; ' +
            'the host keeps no data of its own: it is rebuilt from the pinned AMI and its ' +
            'user data, and a replacement keeps the Elastic IP.',
        },
      ]);
    }
  }
}
