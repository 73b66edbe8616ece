import { Duration, Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { ClinSparkRole } from '../core/clinspark-role';
import { allowAwsApis } from '../core/aws-api-egress';
import { parseCidr } from '../core/cidr';
import { ClinSparkPropsError } from '../core/errors';
import { EnvironmentIngress, OidcSettings } from '../ingress/environment-ingress';
import { InstanceRole } from './instance-role';

/** The container's user when none is given: non-root. */
const DEFAULT_USER = '1000:1000';

/** The database an instance talks to: its own, and only through these handles. */
export interface InstanceDatabase extends ec2.IConnectable {
  /** The application account's secret (host, port, dbname, username, password). */
  readonly applicationSecret: secretsmanager.ISecret;
  /** The key that encrypts that secret. */
  readonly secretKey: kms.IKey;
  /** The database's MySQL port. */
  readonly port: number;
}

export interface ClinSparkInstanceProps {
  /** `main` or `test`: used in names and in the container's environment. */
  readonly role: InstanceRole;
  /** The ECS cluster of the service. */
  readonly cluster: ecs.ICluster;
  /** Private application subnets of the tasks. */
  readonly subnets: ec2.SubnetSelection;
  /** The ECR repository of the ClinSpark image. */
  readonly repository: ecr.IRepository;
  /**
   * Image tag of the release, `<version>-b<build>`: what the task definition references when no
   * `imageDigest` is given, and otherwise only a label for humans (see `labels`).
   */
  readonly imageTag: string;
  /**
   * Digest of the release image (`sha256:<64 hex>`): the task definition then references
   * `<repository>@sha256:...`, an image that cannot change under the same tag.
   * @default - the mutable tag `imageTag`
   */
  readonly imageDigest?: string;
  /**
   * Run the container with a read-only root filesystem; `scratchPaths` are then writable bind-mount
   * volumes on the task's ephemeral storage.
   * @default true
   */
  readonly readonlyRootFilesystem?: boolean;
  /**
   * Paths the application writes to while the root filesystem is read-only, each an empty bind
   * mount on the task's ephemeral storage (removed with the task).
   * @default ['/tmp']
   */
  readonly scratchPaths?: readonly string[];
  /**
   * Numeric user the container runs as, `UID` or `UID:GID`; root (UID 0) is refused.
   * @default '1000:1000'
   */
  readonly user?: string;
  /** Docker labels of the container (e.g. the human-readable image tag). @default - none */
  readonly labels?: Record<string, string>;
  /** The instance's own database (network access and its application secret). */
  readonly database: InstanceDatabase;
  /** Log group of the application's container logs. */
  readonly logGroup: logs.ILogGroup;
  /** The environment's load balancer (listener rule, DNS alias and network access). */
  readonly ingress: EnvironmentIngress;
  /**
   * Ranges the tasks may open HTTPS (443) connections to beyond the AWS APIs (through the NAT
   * gateway), e.g. a customer's lab-system endpoints. Each must be a well-formed, specific range.
   * @default - none: AWS APIs through the VPC's endpoints only
   */
  readonly egressCidrs?: readonly string[];
  /** Fully qualified host name of the instance (lowercase), e.g. "acme-prod.clinspark.example.com". */
  readonly hostName: string;
  /** Listener rule priority, unique in the environment. */
  readonly priority: number;
  /** @default - no single sign-on */
  readonly sso?: OidcSettings;
  /** Fargate CPU units. */
  readonly cpu: number;
  /** Fargate memory, MiB (a valid combination with cpu). */
  readonly memoryMiB: number;
  /** Autoscaling bounds; 0 allows an ephemeral environment to be scaled to zero tasks. */
  readonly minTasks: number;
  /** Upper autoscaling bound. */
  readonly maxTasks: number;
  /** @default 8080 */
  readonly containerPort?: number;
  /** Path answering 200 when the application is healthy. @default '/health' */
  readonly healthCheckPath?: string;
  /** Non-secret settings for the container (environment name, release...). @default - none */
  readonly environment?: Record<string, string>;
  /**
   * VAL: the S3 key of the PII scrub evidence of this instance's database (an attribute of the
   * scrub custom resource). The task definition, target group and route reference it, so none of
   * them can be created before the scrub has succeeded and been verified.
   * @default - no scrub precondition
   */
  readonly scrubEvidence?: string;
}

/**
 * One ClinSpark instance's application tier: a Fargate service running the release's image in
 * private subnets, its database credentials injected from Secrets Manager as ECS secrets, a
 * deployment circuit breaker with rollback, container and load-balancer health checks, logs to
 * an encrypted log group, CPU autoscaling within the catalog's bounds, and a host-based route on
 * the environment's load balancer (optionally behind OIDC single sign-on).
 */
export class ClinSparkInstance extends Construct implements ec2.IConnectable {
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly taskRole: ClinSparkRole;
  readonly executionRole: ClinSparkRole;
  readonly listenerRule: elbv2.ApplicationListenerRule;

  constructor(scope: Construct, id: string, props: ClinSparkInstanceProps) {
    super(scope, id);
    validate(this, props);
    const port = props.containerPort ?? 8080;
    const healthPath = props.healthCheckPath ?? '/health';

    this.taskRole = new ClinSparkRole(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `ClinSpark ${props.role} application tasks (no AWS permissions)`,
    });
    this.executionRole = new ClinSparkRole(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `ClinSpark ${props.role} task execution: image pull, own database secret, own log group`,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      taskRole: this.taskRole,
      executionRole: this.executionRole,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    // The database (and its key) live in the data stack. Granting through the secret object would
    // also write this role into the key policy there, a reference from the data stack back to this
    // one; instead the role alone gets read on the secret and decrypt through Secrets Manager.
    const secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'DatabaseSecret', props.database.applicationSecret.secretArn);
    this.executionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptOwnDatabaseSecret',
        actions: ['kms:Decrypt'],
        resources: [props.database.secretKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    // A digest names one immutable image manifest; ECS pulls exactly it (`<repository>@sha256:...`).
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_image
    const readonlyRoot = props.readonlyRootFilesystem ?? true;
    const container = this.taskDefinition.addContainer('App', {
      image: ecs.ContainerImage.fromEcrRepository(props.repository, props.imageDigest ?? props.imageTag),
      essential: true,
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_security
      readonlyRootFilesystem: readonlyRoot,
      user: props.user ?? DEFAULT_USER,
      dockerLabels: props.labels,
      portMappings: [{ containerPort: port, protocol: ecs.Protocol.TCP }],
      environment: {
        CLINSPARK_INSTANCE: props.role,
        CLINSPARK_BASE_URL: `https://${props.hostName}`,
        ...(props.scrubEvidence ? { CLINSPARK_SCRUB_EVIDENCE: props.scrubEvidence } : {}),
        ...props.environment,
      },
      secrets: {
        DB_HOST: ecs.Secret.fromSecretsManager(secret, 'host'),
        DB_PORT: ecs.Secret.fromSecretsManager(secret, 'port'),
        DB_NAME: ecs.Secret.fromSecretsManager(secret, 'dbname'),
        DB_USERNAME: ecs.Secret.fromSecretsManager(secret, 'username'),
        DB_PASSWORD: ecs.Secret.fromSecretsManager(secret, 'password'),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: props.role, mode: ecs.AwsLogDriverMode.NON_BLOCKING }),
      healthCheck: {
        command: ['CMD-SHELL', `curl -fsS http://localhost:${port}${healthPath} || exit 1`],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(180),
      },
      stopTimeout: Duration.seconds(60),
    });
    if (readonlyRoot) {
      // An empty bind-mount volume (a volume without host) lives on the task's ephemeral storage and
      // is removed with the task. ECS copies the image's own directory at that path (a VOLUME
      // directive of the Dockerfile) into it, ownership included, which is how a non-root user can
      // write there: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html
      (props.scratchPaths ?? ['/tmp']).forEach((containerPath, i) => {
        const name = `scratch${i}`;
        this.taskDefinition.addVolume({ name });
        container.addMountPoints({ sourceVolume: name, containerPath, readOnly: false });
      });
    }

    // Outbound: HTTPS to the VPC's AWS endpoints (ECR, Secrets Manager, CloudWatch Logs; image
    // layers from S3 through the gateway endpoint), to the configured allow-list only, and MySQL
    // to its own database. The load balancer, not the tasks, talks to the identity provider.
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: `ClinSpark ${props.role} tasks: from the load balancer; to its own database and AWS APIs`,
      allowAllOutbound: false,
    });
    allowAwsApis(securityGroup, props.cluster.vpc, 'HTTPS to ECR, Secrets Manager and CloudWatch Logs');
    for (const cidr of props.egressCidrs ?? []) {
      const parsed = parseCidr(cidr);
      if (!parsed.ok) throw new ClinSparkPropsError(this, `'egressCidrs' has '${cidr}': ${parsed.error}`);
      securityGroup.addEgressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), `HTTPS to ${cidr} (egress allow-list)`);
    }
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      securityGroups: [securityGroup],
      taskDefinition: this.taskDefinition,
      vpcSubnets: props.subnets,
      assignPublicIp: false,
      desiredCount: Math.max(1, props.minTasks),
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(300),
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
    });
    // Only its own database: the cluster's security group admits this service by name.
    this.service.connections.allowTo(props.database, ec2.Port.tcp(props.database.port), `ClinSpark ${props.role} to its own database`);

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc: props.cluster.vpc,
      port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      targets: [this.service],
      deregistrationDelay: Duration.seconds(30),
      stickinessCookieDuration: Duration.hours(8),
      healthCheck: {
        path: healthPath,
        healthyHttpCodes: '200',
        interval: Duration.seconds(30),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    if (props.scrubEvidence) {
      Tags.of(this.targetGroup).add('clinspark:scrub-evidence', props.scrubEvidence);
      Tags.of(this.service).add('clinspark:scrub-evidence', props.scrubEvidence);
    }
    props.ingress.allowTo(this.service, ec2.Port.tcp(port));
    this.listenerRule = props.ingress.addInstance(id, {
      hostName: props.hostName,
      targetGroup: this.targetGroup,
      priority: props.priority,
      sso: props.sso,
    });
    // The route is created after the target group (and so after the scrub, where there is one).
    this.listenerRule.node.addDependency(this.targetGroup);

    const scaling = this.service.autoScaleTaskCount({ minCapacity: props.minTasks, maxCapacity: props.maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: 60,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(2),
    });

    this.acknowledgeFindings();
  }

  get connections(): ec2.Connections {
    return this.service.connections;
  }

  private acknowledgeFindings(): void {
    acknowledge(this.taskDefinition, [
      {
        id: 'AwsSolutions-ECS2',
        reason:
          'Only non-secret settings (instance role, base URL, release) are plain ' +
          'environment variables; every credential is injected from Secrets Manager as an ' +
          'ECS secret.',
      },
    ]);
    acknowledge(this.executionRole.permissions, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ecr:GetAuthorizationToken has no resource-level permission; image layers are ' +
          'pulled from the one release repository named in the other statement.',
      },
    ]);
  }
}

function validate(scope: Construct, props: ClinSparkInstanceProps): void {
  if (props.minTasks < 0 || props.maxTasks < 1 || props.minTasks > props.maxTasks) {
    throw new ClinSparkPropsError(
      scope,
      `'minTasks'/'maxTasks' are ${props.minTasks}/${props.maxTasks}; use 0 <= minTasks <= maxTasks and maxTasks >= 1`,
    );
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(props.imageTag)) {
    throw new ClinSparkPropsError(scope, `'imageTag' is '${props.imageTag}'; a container tag has letters, digits, '_', '.', '-' (max 128)`);
  }
  if (props.imageDigest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(props.imageDigest)) {
    throw new ClinSparkPropsError(
      scope,
      `'imageDigest' is '${props.imageDigest}'; an image digest is 'sha256:' followed by 64 lowercase hex digits`,
    );
  }
  const user = props.user ?? DEFAULT_USER;
  const userMatch = /^(0|[1-9]\d{0,9})(:(0|[1-9]\d{0,9}))?$/.exec(user);
  if (!userMatch || Number(userMatch[1]) === 0) {
    throw new ClinSparkPropsError(
      scope,
      `'user' is '${user}'; run the container as a numeric non-root user, 'UID' or 'UID:GID' with UID > 0`,
    );
  }
  for (const p of props.scratchPaths ?? []) {
    if (!/^\/[A-Za-z0-9._/-]+$/.test(p) || p.split('/').includes('..'))
      throw new ClinSparkPropsError(scope, `'scratchPaths' contains '${p}'; use absolute container paths such as /tmp`);
  }
  if (!props.healthCheckPath?.startsWith('/') && props.healthCheckPath !== undefined) {
    throw new ClinSparkPropsError(scope, `'healthCheckPath' is '${props.healthCheckPath}'; it must start with '/'`);
  }
  if (!/^[a-z0-9.-]+$/.test(props.hostName)) {
    throw new ClinSparkPropsError(scope, `'hostName' is '${props.hostName}'; use a lowercase DNS name`);
  }
}
