import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge, sameReason } from '../core/acknowledge';
import { ClinSparkPropsError } from '../core/errors';
import { KeyUsers, restrictKeyUse } from '../core/key-policy';
import { ApplicationAccount, ApplicationAccountOptions } from './application-account';
import { PASSWORD_EXCLUDED_CHARACTERS, rotationSecurityGroup } from './hosted-rotation';
import { PROTECTED_PARAMETERS, checkParameters, clusterParameters, instanceParameters } from './parameters';

/** Capacity of a cluster: Aurora Serverless v2 (may scale to zero) or provisioned instances. */

/** Longest time the slow-query log (statement text, with PII literals) is kept (DESIGN.md). */
export const SLOW_QUERY_LOG_MAX_RETENTION = logs.RetentionDays.ONE_MONTH;

/** The shorter of two retentions (RetentionDays.INFINITE counts as longest). */
function capRetention(retention: logs.RetentionDays, cap: logs.RetentionDays): logs.RetentionDays {
  const days = (r: logs.RetentionDays) => (r === logs.RetentionDays.INFINITE ? Number.POSITIVE_INFINITY : r);
  return days(retention) <= days(cap) ? retention : cap;
}
export type DatabaseCapacitySpec =
  | {
      readonly mode: 'serverless';
      /** 0 = scale to zero: the cluster pauses after `autoPause` without connections. */
      readonly minAcu: number;
      readonly maxAcu: number;
      readonly autoPause: Duration;
    }
  | {
      readonly mode: 'provisioned';
      /** E.g. `db.r7g.large`. */
      readonly instanceClass: string;
      /** Readers in other availability zones (failover standbys). */
      readonly readers: number;
    };

/** Where the data comes from. */
export type DatabaseSource =
  | { readonly kind: 'empty' }
  /**
   * Restore of a cluster snapshot (VAL: the scrubbed snapshot); changing the identifier replaces
   * the cluster. The master password (the snapshot's) is replaced by this database's own secret.
   */
  | { readonly kind: 'snapshot'; readonly snapshotIdentifier: string }
  /**
   * Point-in-time restore of another cluster of the same account and region at its latest
   * restorable time: an Aurora clone (copy-on-write) when the key allows, a full copy otherwise.
   * The copy is encrypted with this database's own key, and its master password (inherited from
   * the source) is replaced by this database's own secret before anything else connects.
   */
  | { readonly kind: 'pointInTime'; readonly sourceClusterIdentifier: string };

export interface ClinSparkDatabaseProps {
  /** The VPC of the cluster and its rotation functions. */
  readonly vpc: ec2.IVpc;
  /** Isolated database subnets in at least two availability zones. */
  readonly subnets: ec2.SubnetSelection;
  /**
   * Physical cluster identifier. Fixed on purpose: the audit, error and slow-query log groups are
   * named after it (created here, encrypted, before RDS writes to them), and CloudFormation
   * cannot replace a resource with a fixed name, so a change that would replace the data fails
   * instead of happening.
   */
  readonly clusterIdentifier: string;
  /** @default 'clinspark' */
  readonly databaseName?: string;
  /** Serverless v2 or provisioned instances (writer and readers). */
  readonly capacity: DatabaseCapacitySpec;
  /** @default rds.AuroraMysqlEngineVersion.VER_3_12_0 */
  readonly engineVersion?: rds.AuroraMysqlEngineVersion;
  /**
   * Binary logging in ROW format with GTID, so that a replica can replicate from this cluster.
   * @default false
   */
  readonly replicationSource?: boolean;
  /** Aurora automated backup retention (1 to 35 days). */
  readonly backupRetention: Duration;
  /** Daily, UTC, "hh:mm-hh:mm". */
  readonly backupWindow: string;
  /** Weekly, UTC, "ddd:hh:mm-ddd:hh:mm". */
  readonly maintenanceWindow: string;
  /** DESTROY, SNAPSHOT or RETAIN; applies to the cluster and its instances. */
  readonly removalPolicy: RemovalPolicy;
  /** Deletion protection of the cluster. */
  readonly deletionProtection: boolean;
  /**
   * Why deletion protection is off: the reason of the acknowledged deletion-protection findings,
   * specific to this database (e.g. a Community wipe replaces the cluster). Only with deletionProtection false.
   * @default - the catalog's reason for the removal policy (the environment is decommissioned by deleting its stack)
   */
  readonly deletionProtectionOffReason?: string;
  /** What happens to this database's KMS key and secrets when they leave the stack. */
  readonly keyRemovalPolicy: RemovalPolicy;
  /** Key of the audit, error and slow-query log groups. */
  readonly logKey: kms.IKey;
  /** Retention of the audit and error logs (the slow-query log is kept at most SLOW_QUERY_LOG_MAX_RETENTION). */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log groups when they leave the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Enhanced monitoring interval. */
  readonly monitoringInterval: Duration;
  /** @default 'standard' */
  readonly databaseInsights?: 'standard' | 'advanced';
  /** @default 'clinspark_admin' */
  readonly masterUsername?: string;
  /** @default 'clinspark_app' */
  readonly applicationUsername?: string;
  /** Rotation period of the master and application secrets. @default Duration.days(30) */
  readonly rotationPeriod?: Duration;
  /** Subnets of the hosted rotation functions (need Secrets Manager access). */
  readonly rotationSubnets: ec2.SubnetSelection;
  /** @default { kind: 'empty' } */
  readonly source?: DatabaseSource;
  /**
   * Creates and maintains the application account (and resets the master password of restored
   * copies).
   * @default - no application account (e.g. a read replica, which serves no application)
   */
  readonly applicationAccount?: ApplicationAccountOptions;
  /**
   * Extra cluster-level parameters (e.g. read_only for a replica). Each must be a modifiable
   * cluster-level parameter of Aurora MySQL 3 (checked against the committed parameter table), and
   * none may set a TLS or audit parameter (PROTECTED_PARAMETERS): either is a construct error.
   * @default - none
   */
  readonly extraParameters?: Record<string, string>;
  /**
   * AWS Backup plan the cluster joins (recovery independent of the cluster's own backups).
   * @default - none: Aurora automated backups only
   */
  readonly backupPlan?: DatabaseBackupPlan;
  /**
   * Why this database is not in an AWS Backup plan (shown to reviewers); only without backupPlan.
   * @default 'the environment catalog gives this environment kind no AWS Backup plan'
   */
  readonly noBackupPlanReason?: string;
  /**
   * Restricts who may decrypt with (or grant on) the database's key: the roles of the named
   * environments, the CDK deployment roles and the break-glass role (see restrictKeyUse).
   * @default - the account's IAM decides (the key policy delegates to the account)
   */
  readonly keyUsers?: KeyUsers;
  /** Short description for resource descriptions, e.g. "acme/prod main". */
  readonly description: string;
}

/** What the database needs of a backup plan (ClinSparkBackup implements it). */
export interface DatabaseBackupPlan {
  addDatabase(id: string, cluster: rds.IDatabaseCluster): void;
}

export const DATABASE_PORT = 3306;

/**
 * An Aurora MySQL 3 cluster for one ClinSpark instance: storage and secrets encrypted with a
 * key of its own (rotation on), TLS required, audit/error/slow-query logs exported to encrypted
 * log groups with the environment's retention, master and application credentials in Secrets
 * Manager with automatic rotation (the application never gets the master secret), backups,
 * deletion protection and removal policy as the environment catalog says.
 */
export class ClinSparkDatabase extends Construct implements ec2.IConnectable {
  readonly cluster: rds.DatabaseCluster;
  readonly key: kms.Key;
  readonly masterSecret: secretsmanager.ISecret;
  /** The application account's secret; undefined when the database has no application account. */
  readonly applicationSecret?: secretsmanager.Secret;
  readonly securityGroup: ec2.SecurityGroup;
  readonly databaseName: string;
  readonly logGroups: Record<'audit' | 'error' | 'slowquery', logs.LogGroup>;
  readonly connections: ec2.Connections;
  /**
   * The application account (its custom resource also resets the master password of restored
   * copies, and locks the source's accounts of a VAL copy); undefined without applicationAccount.
   */
  readonly applicationAccount?: ApplicationAccount;

  constructor(scope: Construct, id: string, props: ClinSparkDatabaseProps) {
    super(scope, id);
    validate(this, props);
    this.databaseName = props.databaseName ?? 'clinspark';
    const masterUsername = props.masterUsername ?? 'clinspark_admin';
    const applicationUsername = props.applicationUsername ?? 'clinspark_app';
    const engine = rds.DatabaseClusterEngine.auroraMysql({ version: props.engineVersion ?? rds.AuroraMysqlEngineVersion.VER_3_12_0 });

    this.key = new kms.Key(this, 'Key', {
      description: `ClinSpark ${props.description}: database storage, snapshots and secrets`,
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy,
      pendingWindow: Duration.days(30),
    });
    if (props.keyUsers) restrictKeyUse(this.key, props.keyUsers);

    // Log groups first, named as RDS names them, so that exported logs are encrypted from the start.
    // The slow-query log carries statement text, and with it PII literals: it is kept at most
    // SLOW_QUERY_LOG_MAX_RETENTION, whatever the environment's log retention.
    const logGroup = (type: 'audit' | 'error' | 'slowquery', id: string) =>
      new logs.LogGroup(this, id, {
        logGroupName: `/aws/rds/cluster/${props.clusterIdentifier}/${type}`,
        encryptionKey: props.logKey,
        retention: type === 'slowquery' ? capRetention(props.logRetention, SLOW_QUERY_LOG_MAX_RETENTION) : props.logRetention,
        removalPolicy: props.logRemovalPolicy,
      });
    this.logGroups = {
      audit: logGroup('audit', 'AuditLog'),
      error: logGroup('error', 'ErrorLog'),
      slowquery: logGroup('slowquery', 'SlowQueryLog'),
    };

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `ClinSpark ${props.description} database: MySQL from named peers only`,
      allowAllOutbound: false,
    });

    const extraParameters = props.extraParameters ?? {};
    const overridden = Object.keys(extraParameters).filter((name) => PROTECTED_PARAMETERS.includes(name));
    if (overridden.length > 0) {
      throw new ClinSparkPropsError(
        this,
        `'extraParameters' sets ${overridden.join(', ')}; TLS and audit parameters are fixed by the construct and cannot be overridden`,
      );
    }
    const clusterLevel = { ...clusterParameters({ replicationSource: props.replicationSource ?? false }), ...extraParameters };
    const problems = checkParameters('cluster', clusterLevel);
    if (problems.length > 0) {
      throw new ClinSparkPropsError(
        this,
        `'extraParameters': ${problems.join('; ')} (Aurora would refuse the parameter group at deploy time)`,
      );
    }
    const parameterGroup = new rds.ParameterGroup(this, 'ClusterParameters', {
      engine,
      description: `ClinSpark ${props.description}: TLS required, audit logging${props.replicationSource ? ', ROW binlog with GTID' : ''}`,
      parameters: clusterLevel,
    });
    const instanceParameterGroup = new rds.ParameterGroup(this, 'InstanceParameters', {
      engine,
      description: `ClinSpark ${props.description}: slow-query log to CloudWatch Logs`,
      parameters: instanceParameters(),
    });

    const insightsAdvanced = (props.databaseInsights ?? 'standard') === 'advanced';
    const instanceDefaults = {
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: this.key,
      performanceInsightRetention: insightsAdvanced ? rds.PerformanceInsightRetention.MONTHS_15 : rds.PerformanceInsightRetention.DEFAULT,
      autoMinorVersionUpgrade: false,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      publiclyAccessible: false,
      parameterGroup: instanceParameterGroup,
    };
    const capacity = props.capacity;
    const zones = props.vpc.availabilityZones;
    const zone = (i: number): string | undefined => (zones.length > 1 ? zones[i % zones.length] : undefined);
    const writer =
      capacity.mode === 'serverless'
        ? rds.ClusterInstance.serverlessV2('Writer', instanceDefaults)
        : rds.ClusterInstance.provisioned('Writer', {
            ...instanceDefaults,
            instanceType: instanceType(capacity.instanceClass),
            availabilityZone: zone(0),
          });
    const readers =
      capacity.mode === 'provisioned'
        ? Array.from({ length: capacity.readers }, (_, i) =>
            rds.ClusterInstance.provisioned(`Reader${i + 1}`, {
              ...instanceDefaults,
              instanceType: instanceType(capacity.instanceClass),
              promotionTier: 1,
              // A standby in another zone than the writer, so a zone failure leaves a promotable copy.
              availabilityZone: zone(i + 1),
            }),
          )
        : [];

    const common = {
      engine,
      clusterIdentifier: props.clusterIdentifier,
      writer,
      readers,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      port: DATABASE_PORT,
      parameterGroup,
      storageEncryptionKey: this.key,
      storageEncrypted: true,
      cloudwatchLogsExports: ['audit', 'error', 'slowquery'],
      backup: { retention: props.backupRetention, preferredWindow: props.backupWindow },
      preferredMaintenanceWindow: props.maintenanceWindow,
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
      // No database account authenticates through IAM (AWSAuthenticationPlugin): every account's
      // password is in Secrets Manager and rotated. IAM authentication stays off, so an IAM
      // principal with rds-db:connect has no second way in (acknowledged as AwsSolutions-RDS6).
      iamAuthentication: false,
      monitoringInterval: props.monitoringInterval,
      databaseInsightsMode: insightsAdvanced ? rds.DatabaseInsightsMode.ADVANCED : rds.DatabaseInsightsMode.STANDARD,
      performanceInsightEncryptionKey: this.key,
      performanceInsightRetention: insightsAdvanced ? rds.PerformanceInsightRetention.MONTHS_15 : undefined,
      enablePerformanceInsights: true,
      ...(capacity.mode === 'serverless'
        ? {
            serverlessV2MinCapacity: capacity.minAcu,
            serverlessV2MaxCapacity: capacity.maxAcu,
            serverlessV2AutoPauseDuration: capacity.minAcu === 0 ? capacity.autoPause : undefined,
          }
        : {}),
    };
    // The master secret is created here (not by the cluster) so that it follows the catalog's
    // removal policy like the key that encrypts it.
    const masterSecret = new rds.DatabaseSecret(this, 'MasterSecret', {
      username: masterUsername,
      encryptionKey: this.key,
      excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
    });
    masterSecret.applyRemovalPolicy(props.keyRemovalPolicy);
    const source = props.source ?? { kind: 'empty' };
    if (source.kind === 'snapshot') {
      const restored = new rds.DatabaseClusterFromSnapshot(this, 'Cluster', {
        ...common,
        snapshotIdentifier: source.snapshotIdentifier,
        snapshotCredentials: rds.SnapshotCredentials.fromSecret(masterSecret),
      });
      this.cluster = restored;
      // A snapshot restore keeps the snapshot's master user: CloudFormation takes no password
      // without MasterUsername (which a restore refuses), so, as for clones, the account resource
      // sets this cluster's own password through the RDS API right after the restore.
      const cfn = restored.node.defaultChild as rds.CfnDBCluster;
      cfn.addPropertyDeletionOverride('MasterUserPassword');
      cfn.addPropertyDeletionOverride('MasterUsername');
    } else {
      this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
        ...common,
        defaultDatabaseName: source.kind === 'empty' ? this.databaseName : undefined,
        credentials: rds.Credentials.fromSecret(masterSecret),
      });
      if (source.kind === 'pointInTime') {
        const cfn = this.cluster.node.defaultChild as rds.CfnDBCluster;
        cfn.addPropertyOverride('SourceDBClusterIdentifier', source.sourceClusterIdentifier);
        cfn.addPropertyOverride('RestoreType', 'copy-on-write');
        cfn.addPropertyOverride('UseLatestRestorableTime', true);
        // A restore inherits the source's master user: name and password are not accepted here;
        // the application-account resource sets this cluster's own password right after.
        cfn.addPropertyDeletionOverride('MasterUsername');
        cfn.addPropertyDeletionOverride('MasterUserPassword');
        // A restore is encrypted like its (encrypted) source, re-encrypted with KmsKeyId (this
        // database's key); CloudFormation ignores StorageEncrypted for restores.
        cfn.addPropertyDeletionOverride('StorageEncrypted');
      }
    }
    for (const group of Object.values(this.logGroups)) this.cluster.node.addDependency(group);
    // An invariant (both constructors above are given the master secret), not a props problem.
    if (!this.cluster.secret) throw new Error(`${this.node.path}: the cluster has no master secret`);
    this.masterSecret = this.cluster.secret;
    props.backupPlan?.addDatabase(props.clusterIdentifier.replace(/[^A-Za-z0-9]/g, ''), this.cluster);
    this.connections = this.cluster.connections;

    // Hosted rotation of the master secret (a function created by Secrets Manager in the VPC,
    // with a security group of its own that is the only other way into the cluster).
    const rotationPeriod = props.rotationPeriod ?? Duration.days(30);
    const masterRotationFunction = secretsmanager.HostedRotation.mysqlSingleUser({
      vpc: props.vpc,
      vpcSubnets: props.rotationSubnets,
      securityGroups: [
        rotationSecurityGroup(this, 'MasterRotationSecurityGroup', props.vpc, `${props.description}: master secret rotation`),
      ],
      excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
    });
    const masterRotation = this.cluster.secret.addRotationSchedule('Rotation', {
      hostedRotation: masterRotationFunction,
      automaticallyAfter: rotationPeriod,
    });
    this.allowMySqlFrom(masterRotationFunction, 'master secret rotation');

    if (props.applicationAccount) {
      this.applicationAccount = new ApplicationAccount(this, 'ApplicationAccount', {
        ...props.applicationAccount,
        username: applicationUsername,
        restored: source.kind !== 'empty',
        rotationPeriod,
        vpc: props.vpc,
        rotationSubnets: props.rotationSubnets,
        clusterIdentifier: props.clusterIdentifier,
        removalPolicy: props.keyRemovalPolicy,
        description: props.description,
      });
      this.applicationSecret = this.applicationAccount.secret;
      // A restored copy's master password is reset by the account resource: rotate only after it.
      masterRotation.node.addDependency(this.applicationAccount);
    }

    this.acknowledgeFindings(props);
  }

  /** Opens MySQL on this cluster to a peer (the only way in: the security group has no other rule). */
  allowMySqlFrom(peer: ec2.IConnectable, description: string): void {
    this.connections.allowFrom(peer, ec2.Port.tcp(DATABASE_PORT), description);
  }

  /** The application account's secret; an error for a database without one. */
  requireApplicationSecret(): secretsmanager.ISecret {
    if (!this.applicationSecret) throw new ClinSparkPropsError(this, 'this database has no application account (set applicationAccount)');
    return this.applicationSecret;
  }

  private acknowledgeFindings(props: ClinSparkDatabaseProps): void {
    const cluster = this.cluster.node.defaultChild as rds.CfnDBCluster;
    acknowledge(cluster, [
      {
        id: 'AwsSolutions-RDS11',
        reason:
          'Default MySQL port 3306 kept: the cluster is in isolated subnets and its ' +
          'security group admits only the peers granted explicitly in this template (its ' +
          "ingress rules name them: this instance's application tasks, set-up and scrub " +
          'functions, secret rotation; only a read replica admits a jump host); a ' +
          'non-default port would be obscurity, not control, and breaks customer BI ' +
          'defaults.',
      },
      {
        id: 'AwsSolutions-RDS6',
        reason:
          'IAM database authentication is off on purpose: no account of this cluster ' +
          'authenticates through IAM; every password is in Secrets Manager, encrypted with ' +
          "this database's key and rotated, so rds-db:connect would only open an unused " +
          'second way in.',
      },
      {
        id: 'AwsSolutions-RDS14',
        reason:
          'Backtrack is off on purpose: it rewinds the live database in place, which in a ' +
          'GxP system would silently remove audit-trail records and breaks binlog ' +
          'replicas; recovery uses point-in-time restore to a new cluster and AWS Backup.',
      },
      ...sameReason(
        ['HIPAA.Security-RDSLoggingEnabled[LogExport::general]', 'NIST.800.53.R5-RDSLoggingEnabled[LogExport::general]'],
        'The general query log is not exported: it would copy every statement, including ' +
          'volunteer PII in query text, into CloudWatch; the audit log (connections, DDL, ' +
          "DCL) and error log are exported and encrypted with the environment's retention, " +
          'and the slow-query log (statement text) is kept 30 days at most.',
      ),
    ]);
    if (!props.deletionProtection) {
      acknowledge(
        cluster,
        sameReason(
          [
            'AwsSolutions-RDS10',
            'HIPAA.Security-RDSInstanceDeletionProtectionEnabled',
            'NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled',
          ],
          props.deletionProtectionOffReason !== undefined
            ? `${props.description}: ${props.deletionProtectionOffReason}`
            : props.removalPolicy === RemovalPolicy.DESTROY
              ? `${props.description}: the environment catalog leaves deletion protection off ` +
                `and destroys this database with its stack on purpose (removal policy destroy): ` +
                `the environment is decommissioned by deleting its stack, and its data does not ` +
                `outlive it (that deletion is the intended end of its life).`
              : props.removalPolicy === RemovalPolicy.SNAPSHOT
                ? `${props.description}: the environment catalog leaves deletion protection off ` +
                  `for this kind: the environment is decommissioned by deleting its stack, and the ` +
                  `data survives that in a final snapshot (removal policy snapshot: CloudFormation ` +
                  `snapshots the cluster before deleting it).`
                : `${props.description}: the environment catalog leaves deletion protection off ` +
                  `for this kind, and the cluster survives the deletion of its stack (removal ` +
                  `policy ${props.removalPolicy}).`,
        ),
      );
    }
    const monitoringRole = this.cluster.node.tryFindChild('MonitoringRole');
    if (monitoringRole) {
      acknowledge(monitoringRole, [
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
          reason:
            'Enhanced monitoring role: the AWS-maintained service policy only lets ' +
            'monitoring.rds.amazonaws.com write OS metrics to the RDSOSMetrics log group; no ' +
            'other principal can assume the role.',
        },
      ]);
    }
    for (const instance of this.cluster.node.findAll().filter((c) => c instanceof rds.CfnDBInstance)) {
      if (instance.availabilityZone) {
        acknowledge(instance, [
          {
            id: 'CloudFormation-Validate::W3010',
            reason:
              'The writer and its standby are pinned to different configured availability ' +
              'zones on purpose, so a zone failure leaves a promotable copy.',
          },
        ]);
      }
      acknowledge(instance, [
        {
          id: 'HIPAA.Security-RDSAutomaticMinorVersionUpgradeEnabled',
          reason:
            'Engine upgrades are change-controlled: minor versions are applied in the ' +
            'planned maintenance window through an Environment Change Record (engineVersion ' +
            'in code), never automatically.',
        },
        ...sameReason(
          ['HIPAA.Security-RDSInBackupPlan', 'NIST.800.53.R5-RDSInBackupPlan'],
          props.backupPlan
            ? `${props.description}: Aurora is backed up per cluster, and this instance's ` +
                `cluster is selected in the environment's AWS Backup plan; instances hold no ` +
                `data of their own.`
            : `${props.description}: ` +
                `${props.noBackupPlanReason ?? 'the environment catalog gives this environment kind no AWS Backup plan'}; ` +
                `Aurora automated backups (${props.backupRetention.toDays()} days) cover the ` +
                `cluster, and instances hold no data of their own.`,
        ),
      ]);
    }
  }
}

function instanceType(instanceClass: string): ec2.InstanceType {
  return new ec2.InstanceType(instanceClass.replace(/^db\./, ''));
}

function validate(scope: Construct, props: ClinSparkDatabaseProps): void {
  if (
    !/^[a-z][a-z0-9-]{0,62}$/.test(props.clusterIdentifier) ||
    props.clusterIdentifier.endsWith('-') ||
    props.clusterIdentifier.includes('--')
  ) {
    throw new ClinSparkPropsError(
      scope,
      `'clusterIdentifier' is '${props.clusterIdentifier}'; use 1-63 lowercase letters, digits and single hyphens, starting with a letter`,
    );
  }
  const c = props.capacity;
  if (c.mode === 'serverless') {
    if (c.minAcu < 0 || c.maxAcu > 256 || c.minAcu > c.maxAcu || c.maxAcu < 1) {
      throw new ClinSparkPropsError(scope, `'capacity' is ${c.minAcu}-${c.maxAcu} ACU; use 0 <= minAcu <= maxAcu <= 256 with maxAcu >= 1`);
    }
    const seconds = c.autoPause.toSeconds();
    if (c.minAcu === 0 && (seconds < 300 || seconds > 86400)) {
      throw new ClinSparkPropsError(scope, `'capacity.autoPause' is ${seconds} s; Aurora accepts 300 to 86400 seconds`);
    }
  } else if (!/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(c.instanceClass)) {
    throw new ClinSparkPropsError(scope, `'capacity.instanceClass' is '${c.instanceClass}'; use an RDS class such as db.r7g.large`);
  }
  const days = props.backupRetention.toDays();
  if (days < 1 || days > 35) throw new ClinSparkPropsError(scope, `'backupRetention' is ${days} days; Aurora keeps 1 to 35 days`);
  if (props.removalPolicy === RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE) {
    throw new ClinSparkPropsError(scope, `'removalPolicy' RETAIN_ON_UPDATE_OR_DELETE is not supported; use RETAIN, SNAPSHOT or DESTROY`);
  }
}
