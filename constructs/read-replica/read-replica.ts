import * as path from 'path';
import { Arn, ArnFormat, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge, sameReason } from '../core/acknowledge';
import { ClinSparkFunction } from '../core/clinspark-function';
import { ClinSparkProvider } from '../core/clinspark-provider';
import { KeyUsers, restrictKeyUse } from '../core/key-policy';
import { grantSecretRead, grantSecretReadWrite } from '../core/grants';
import { ClinSparkDatabase, ClinSparkDatabaseProps, DATABASE_PORT } from '../database/clinspark-database';
import { PASSWORD_EXCLUDED_CHARACTERS } from '../database/hosted-rotation';
import { collectionWindow, passwordExpiry } from './credentials';
import { validateReadReplicaProps } from './validate-read-replica-props';

/** What the replica needs of its source: PROD Main's ClinSparkDatabase satisfies it. */
export interface ReplicaSourceDatabase extends ec2.IConnectable {
  /** The source cluster (its writer endpoint is what the replica replicates from). */
  readonly cluster: rds.IDatabaseCluster;
  /**
   * Master secret of the source: only the replication custom-resource function reads it (Create,
   * Update and Delete of the replication user); the rotation function never does.
   */
  readonly masterSecret: secretsmanager.ISecret;
  /** Key of the source's master secret. */
  readonly key: kms.IKey;
}

/** Delivery of the read-only account's password to one named person. */
export interface ReadReplicaCredentialDelivery {
  /**
   * ARN of the IAM **user** of the person who collects the password, in the replica's own account
   * (must exist at deploy time). Not a role: every session of a role matches the policies, so a
   * role names no one person.
   */
  readonly recipientArn: string;
  /** Day of issue, `YYYY-MM-DD` (UTC). A new date re-issues (rotates) the password. */
  readonly issueDate: string;
  /**
   * Days the recipient may collect the password, counted from the issue date at 00:00 UTC.
   * @default 14
   */
  readonly collectionDays?: number;
  /**
   * Days the password is valid, counted from the issue date at 00:00 UTC: the account gets
   * `PASSWORD EXPIRE INTERVAL N DAY` so that it expires then; re-issue before (new issueDate).
   * @default 90
   */
  readonly passwordValidityDays?: number;
}

/** What the read-only account must not see, although its schemas are granted. */
export interface ReadReplicaReadOnlyExclusions {
  /** Tables (or views) never readable, `schema.table`. */
  readonly excludeTables?: readonly string[];
  /** Columns never readable, `schema.table.column` (the table's other columns stay readable). */
  readonly excludeColumns?: readonly string[];
}

/**
 * Windows, removal policies, logs and description are those of ClinSparkDatabase (the replica is
 * one), given by the environment catalog.
 */
export interface ReadReplicaProps extends Pick<
  ClinSparkDatabaseProps,
  | 'backupWindow'
  | 'maintenanceWindow'
  | 'removalPolicy'
  | 'deletionProtection'
  | 'keyRemovalPolicy'
  | 'logKey'
  | 'logRetention'
  | 'logRemovalPolicy'
> {
  /** The VPC of PROD (the replica, its functions and the source are in it). */
  readonly vpc: ec2.IVpc;
  /**
   * Who may decrypt with the replica's keys (its database key, and with the recipient added, the
   * read-only account's secret key): see restrictKeyUse.
   * @default - the account's IAM decides
   */
  readonly keyUsers?: KeyUsers;
  /** Isolated database subnets in at least two availability zones. */
  readonly databaseSubnets: ec2.SubnetSelection;
  /** Subnets of the setup functions (private, with a route to AWS APIs). */
  readonly functionSubnets: ec2.SubnetSelection;
  /** PROD Main's database: the replication source. */
  readonly source: ReplicaSourceDatabase;
  /**
   * Physical identifier of the source cluster (literal): the replica is restored from it
   * (copy-on-write clone at its latest restorable time). Changing it replaces the replica.
   */
  readonly sourceClusterIdentifier: string;
  /** Physical identifier of the replica cluster, e.g. `clinspark-acme-prod-replica`. */
  readonly clusterIdentifier: string;
  /**
   * Instance class of the replica's single (writer) instance.
   * @default 'db.r7g.large'
   */
  readonly instanceClass?: string;
  /**
   * Engine version; must equal the source's (binlog replication to an older version is unsupported).
   * @default rds.AuroraMysqlEngineVersion.VER_3_12_0 (the ClinSparkDatabase default)
   */
  readonly engineVersion?: rds.AuroraMysqlEngineVersion;
  /** The read-only account's password delivery. */
  readonly credentials: ReadReplicaCredentialDelivery;
  /**
   * Application schemas the read-only account may read (SELECT, SHOW VIEW).
   * @default - every schema on the replica except mysql, sys, information_schema, performance_schema and _clinspark*
   */
  readonly schemas?: readonly string[];
  /**
   * Tables and columns the read-only account may not read. A schema with an exclusion is granted
   * table by table (and column by column where columns are excluded) instead of schema-wide:
   * tables created later in it are readable only after the grants are re-run (the next deploy
   * with a new releaseVersion, see docs/read-replica.md).
   * @default - none
   */
  readonly readOnly?: ReadReplicaReadOnlyExclusions;
  /**
   * The release of the source (e.g. `2025.4.0-b2231`). A new value re-runs the read-only
   * account's grants, so schemas added by an upgrade become readable.
   */
  readonly releaseVersion: string;
  /**
   * Hours the source keeps binary logs: how long replication may pause and still resume.
   * @default 72
   */
  readonly binlogRetentionHours?: number;
  /** @default 'RO_USER' */
  readonly readOnlyUsername?: string;
  /** Length of the read-only account's password (48-128). @default 48 */
  readonly passwordLength?: number;
  /** Replication account created on the source. @default 'clinspark_repl' */
  readonly replicationUsername?: string;
  /** Rotation period of the replication password (and of the replica's master password). @default Duration.days(30) */
  readonly rotationPeriod?: Duration;
  /**
   * Name of the secret the recipient collects the read-only account from.
   * @default `${clusterIdentifier}/${readOnlyUsername}`
   */
  readonly readOnlySecretName?: string;
  /**
   * Automated backup retention of the replica. The replica is a copy: PROD Main's backups are
   * the record; these only shorten a rebuild after an operator error on the replica.
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;
  /** Enhanced monitoring interval. @default Duration.seconds(60) */
  readonly monitoringInterval?: Duration;
  /** Short description for resource descriptions, e.g. "acme/prod read replica". */
  readonly description: string;
}

/**
 * Cluster parameters of the replica on top of ClinSparkDatabase's (TLS required, audit log with
 * CONNECT, ROW binlog with GTID): nobody but the master user (which Aurora exempts) can write,
 * and account management statements of the source (the `mysql` schema: PROD's accounts and
 * password hashes) are never applied to the replica.
 */
export const REPLICA_PARAMETERS: Readonly<Record<string, string>> = {
  read_only: '1',
  'replicate-wild-ignore-table': 'mysql.%',
  // aurora_mask_password_hashes_type=1 comes with every ClinSpark database (constructs/database/parameters.ts).
};

const HANDLERS = path.join(__dirname, 'handler');

/**
 * The customer's read replica: a separate Aurora MySQL cluster, restored as a clone of PROD Main
 * (own KMS key, own master secret, TLS required, audit log of every connection exported) and
 * fed by binary-log replication with GTID auto-position from PROD Main; `read_only` on and the
 * source's `mysql` schema filtered out. Two custom resources set it up from Lambda functions in
 * the VPC: replication (binlog retention and a least-privilege replication user on the source,
 * the clone's master password reset, replication started and checked; its password rotated every
 * `rotationPeriod`) and the read-only account (`RO_USER`, replica only, SELECT/SHOW VIEW on the
 * application schemas, REQUIRE SSL). The account's password lives in a secret with a key of its
 * own, readable by the named recipient only, and only during the collection window.
 *
 * Network: the replica admits MySQL only from what `connections.allowFrom`/`allowTo` open (in
 * practice the jump host) and from its own setup and rotation functions; the source admits the
 * replica cluster and the replication functions, nothing of the customer's path.
 */
export class ReadReplica extends Construct implements ec2.IConnectable {
  readonly database: ClinSparkDatabase;
  readonly cluster: rds.DatabaseCluster;
  /** The replica's writer endpoint (a private address: reachable through the jump host only). */
  readonly endpoint: string;
  readonly port: number;
  readonly connections: ec2.Connections;
  /** The replication user's credentials (encrypted with the replica's key, rotated). */
  readonly replicationSecret: secretsmanager.Secret;
  /** The read-only account: what the recipient collects. */
  readonly readOnlySecret: secretsmanager.Secret;
  /** The read-only secret's own key (nobody but the recipient decrypts through Secrets Manager). */
  readonly readOnlySecretKey: kms.Key;
  readonly readOnlyUsername: string;
  /** Start of the collection window, ISO 8601 UTC (`2026-11-16T00:00:00Z`). */
  readonly collectionOpensAt: string;
  /** End of the collection window (exclusive), ISO 8601 UTC: the recipient can no longer read the secret. */
  readonly collectionClosesAt: string;
  /** Day (UTC, `YYYY-MM-DD`) the read-only account's password expires: issue date + passwordValidityDays. */
  readonly passwordExpiresOn: string;
  readonly replicationFunction: ClinSparkFunction;
  readonly rotationFunction: ClinSparkFunction;
  readonly readOnlyAccountFunction: ClinSparkFunction;
  /** The replication custom resource (`Custom::ClinSparkReplication`). */
  readonly replication: CustomResource;
  /** The read-only account custom resource (`Custom::ClinSparkReadOnlyAccount`). */
  readonly readOnlyAccount: CustomResource;

  constructor(scope: Construct, id: string, props: ReadReplicaProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const settings = validateReadReplicaProps(this, props);
    this.readOnlyUsername = settings.readOnlyUsername;
    const { opensAt, closesAt } = collectionWindow(props.credentials.issueDate, settings.collectionDays);
    this.collectionOpensAt = opensAt;
    this.collectionClosesAt = closesAt;
    this.passwordExpiresOn = passwordExpiry(props.credentials.issueDate, settings.passwordValidityDays);
    const rotationPeriod = settings.rotationPeriod;
    const functionDefaults = {
      vpc: props.vpc,
      vpcSubnets: props.functionSubnets,
      logKey: props.logKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    };

    // ---- the replica cluster -------------------------------------------------------------
    this.database = new ClinSparkDatabase(this, 'Database', {
      vpc: props.vpc,
      subnets: props.databaseSubnets,
      rotationSubnets: props.functionSubnets,
      clusterIdentifier: props.clusterIdentifier,
      capacity: { mode: 'provisioned', instanceClass: settings.instanceClass, readers: 0 },
      engineVersion: props.engineVersion,
      // GTID on (gtid_mode, enforce_gtid_consistency): required for auto-position.
      replicationSource: true,
      extraParameters: { ...REPLICA_PARAMETERS },
      source: { kind: 'pointInTime', sourceClusterIdentifier: props.sourceClusterIdentifier },
      backupRetention: props.backupRetention ?? Duration.days(7),
      backupWindow: props.backupWindow,
      maintenanceWindow: props.maintenanceWindow,
      removalPolicy: props.removalPolicy,
      deletionProtection: props.deletionProtection,
      keyRemovalPolicy: props.keyRemovalPolicy,
      logKey: props.logKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      monitoringInterval: props.monitoringInterval ?? Duration.seconds(60),
      databaseInsights: 'standard',
      keyUsers: props.keyUsers,
      rotationPeriod,
      description: props.description,
      noBackupPlanReason: 'a read-only copy of PROD Main, rebuilt from it by cloning; PROD Main itself is in the AWS Backup plan',
    });
    this.cluster = this.database.cluster;
    this.connections = this.database.connections;
    this.endpoint = this.cluster.clusterEndpoint.hostname;
    this.port = DATABASE_PORT;

    // ---- replication ---------------------------------------------------------------------
    this.replicationSecret = new secretsmanager.Secret(this, 'ReplicationSecret', {
      description: `ClinSpark ${props.description}: binlog replication account on the source (${settings.replicationUsername})`,
      encryptionKey: this.database.key,
      removalPolicy: props.keyRemovalPolicy,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: settings.replicationUsername }),
        generateStringKey: 'password',
        // CHANGE REPLICATION SOURCE TO accepts at most 32 characters.
        passwordLength: 32,
        excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
        requireEachIncludedType: true,
      },
    });
    const replicationProperties: Record<string, string> = {
      SourceSecretArn: props.source.masterSecret.secretArn,
      ReplicaSecretArn: this.database.masterSecret.secretArn,
      ReplicationUser: settings.replicationUsername,
      ReplicationSecretArn: this.replicationSecret.secretArn,
      SourceHost: props.source.cluster.clusterEndpoint.hostname,
      SourcePort: String(DATABASE_PORT),
      BinlogRetentionHours: String(settings.binlogRetentionHours),
      ReplicaClusterIdentifier: props.clusterIdentifier,
      // Never locked by the inherited-account lock (it is created later, by the read-only account resource).
      ReadOnlyUser: settings.readOnlyUsername,
    };
    // The rotation's own contract: no source master secret, no cluster identifier (it never
    // resets a master password), nothing of the binlog retention (set once by the custom resource).
    const rotationProperties: Record<string, string> = {
      ReplicaSecretArn: this.database.masterSecret.secretArn,
      ReplicationUser: settings.replicationUsername,
      ReplicationSecretArn: this.replicationSecret.secretArn,
      SourceHost: props.source.cluster.clusterEndpoint.hostname,
      SourcePort: String(DATABASE_PORT),
    };
    const replicaClusterArn = stack.formatArn({
      service: 'rds',
      resource: 'cluster',
      resourceName: props.clusterIdentifier,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.replicationFunction = new ClinSparkFunction(this, 'ReplicationFunction', {
      ...functionDefaults,
      entry: path.join(HANDLERS, 'replication.ts'),
      handler: 'onEvent',
      description: `ClinSpark ${props.description}: binlog replication from PROD Main (custom resource)`,
      // Master password reset of the clone (up to 10 min) plus replication start (up to 60 s).
      timeout: Duration.minutes(14),
    });
    this.rotationFunction = new ClinSparkFunction(this, 'ReplicationRotationFunction', {
      ...functionDefaults,
      entry: path.join(HANDLERS, 'replication.ts'),
      handler: 'onRotate',
      description: `ClinSpark ${props.description}: rotation of the replication password`,
      timeout: Duration.minutes(5),
      environment: { REPLICATION_PROPERTIES: stack.toJsonString(rotationProperties) },
    });
    // Explicit grants: they only add to the function's own policy (no key policy changes, no
    // reference from PROD's data stack back to this stack). PROD Main's master secret (and its
    // key) is granted to the replication custom-resource function only: it creates, repairs and
    // drops the replication user (Create/Update/Delete). The rotation changes the replication
    // user's password in that user's own session and reconfigures the replica with the replica's
    // own master secret, so PROD's master credentials are not used every rotationPeriod.
    grantSecretRead(props.source.masterSecret, props.source.key, this.replicationFunction);
    this.replicationFunction.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ResetReplicaMasterPassword',
        actions: ['rds:ModifyDBCluster', 'rds:DescribeDBClusters'],
        resources: [replicaClusterArn],
      }),
    );
    for (const fn of [this.replicationFunction, this.rotationFunction]) {
      grantSecretRead(this.database.masterSecret, this.database.key, fn);
      // MySQL to the source (replication user) and to the replica (replication procedures).
      fn.connections.allowTo(props.source, ec2.Port.tcp(DATABASE_PORT), `${fn.node.id}: replication user on PROD Main`);
      this.database.allowMySqlFrom(fn, `${fn.node.id}: replication set-up`);
    }
    grantSecretRead(this.replicationSecret, this.database.key, this.replicationFunction);
    grantSecretReadWrite(this.replicationSecret, this.database.key, this.rotationFunction);
    this.allowRandomPasswords(this.rotationFunction, 'rotation of the replication password');
    // The replica's I/O thread connects to the source.
    this.database.connections.allowTo(props.source, ec2.Port.tcp(DATABASE_PORT), 'binlog replication from PROD Main');

    const replicationProvider = new ClinSparkProvider(this, 'ReplicationProvider', {
      ...functionDefaults,
      onEvent: this.replicationFunction,
      description: `${props.description} replication`,
    });
    this.replication = new CustomResource(this, 'Replication', {
      serviceToken: replicationProvider.serviceToken,
      resourceType: 'Custom::ClinSparkReplication',
      properties: replicationProperties,
    });
    // The cluster with its writer, the network rules both ways and the permissions come first.
    this.replication.node.addDependency(
      this.cluster,
      this.database.securityGroup,
      this.replicationFunction.securityGroup,
      this.replicationFunction.role.permissions,
    );

    const invoke = new lambda.CfnPermission(this.rotationFunction, 'InvokedBySecretsManager', {
      action: 'lambda:InvokeFunction',
      functionName: this.rotationFunction.function.functionArn,
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: stack.account,
      // Only for this secret's rotation (Secrets Manager calls with the secret's ARN as source).
      sourceArn: this.replicationSecret.secretArn,
    });
    const replicationRotation = new secretsmanager.CfnRotationSchedule(this, 'ReplicationSecretRotation', {
      secretId: this.replicationSecret.secretArn,
      rotationLambdaArn: this.rotationFunction.function.functionArn,
      rotationRules: { scheduleExpression: `rate(${rotationPeriod.toDays()} days)` },
      // The first value was just generated and applied by the custom resource.
      rotateImmediatelyOnUpdate: false,
    });
    replicationRotation.node.addDependency(
      this.replication,
      invoke,
      this.rotationFunction.role.permissions,
      this.rotationFunction.securityGroup,
    );
    // The clone's master password only matches its secret once the replication resource has
    // reset it: the master secret's first rotation must not run before.
    for (const schedule of this.database.node
      .findAll()
      .filter((c): c is secretsmanager.CfnRotationSchedule => c instanceof secretsmanager.CfnRotationSchedule)) {
      schedule.node.addDependency(this.replication);
    }

    // ---- the read-only account -----------------------------------------------------------
    this.readOnlySecretKey = new kms.Key(this, 'ReadOnlySecretKey', {
      description: `ClinSpark ${props.description}: ${settings.readOnlyUsername} secret (recipient ${props.credentials.recipientArn})`,
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy,
      pendingWindow: Duration.days(30),
    });
    if (props.keyUsers) {
      restrictKeyUse(this.readOnlySecretKey, {
        ...props.keyUsers,
        additionalPrincipalArns: [...(props.keyUsers.additionalPrincipalArns ?? []), props.credentials.recipientArn],
      });
    }
    this.readOnlySecret = new secretsmanager.Secret(this, 'ReadOnlyAccountSecret', {
      secretName: settings.secretName,
      description:
        `ClinSpark ${props.description}: ${settings.readOnlyUsername} on the read ` +
        `replica, for ${props.credentials.recipientArn} from ${opensAt} until ${closesAt}`,
      encryptionKey: this.readOnlySecretKey,
      removalPolicy: props.keyRemovalPolicy,
      // A placeholder until the custom resource stores the account (the handler treats any value
      // without username/password/issueDate as "not issued yet").
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ status: 'not issued yet: written by the read-only account custom resource' }),
        generateStringKey: 'placeholder',
        excludePunctuation: true,
        passwordLength: 16,
      },
    });
    this.readOnlyAccountFunction = new ClinSparkFunction(this, 'ReadOnlyAccountFunction', {
      ...functionDefaults,
      entry: path.join(HANDLERS, 'readonly-account.ts'),
      handler: 'onEvent',
      description: `ClinSpark ${props.description}: ${settings.readOnlyUsername} account on the replica (custom resource)`,
      timeout: Duration.minutes(2),
    });
    grantSecretRead(this.database.masterSecret, this.database.key, this.readOnlyAccountFunction);
    grantSecretReadWrite(this.readOnlySecret, this.readOnlySecretKey, this.readOnlyAccountFunction);
    this.allowRandomPasswords(this.readOnlyAccountFunction, `generation of the ${settings.readOnlyUsername} password`);
    // The replica only: this function has no path and no secret of the source.
    this.database.allowMySqlFrom(this.readOnlyAccountFunction, `${settings.readOnlyUsername} account set-up`);
    this.restrictReadOnlySecret(props.credentials.recipientArn, this.readOnlyAccountFunction.role, settings.secretName);

    const readOnlyProvider = new ClinSparkProvider(this, 'ReadOnlyAccountProvider', {
      ...functionDefaults,
      onEvent: this.readOnlyAccountFunction,
      description: `${props.description} read-only account`,
    });
    this.readOnlyAccount = new CustomResource(this, 'ReadOnlyAccount', {
      serviceToken: readOnlyProvider.serviceToken,
      resourceType: 'Custom::ClinSparkReadOnlyAccount',
      properties: {
        ReplicaSecretArn: this.database.masterSecret.secretArn,
        AccountSecretArn: this.readOnlySecret.secretArn,
        Username: settings.readOnlyUsername,
        IssueDate: props.credentials.issueDate,
        PasswordLength: String(settings.passwordLength),
        ReleaseVersion: props.releaseVersion,
        PasswordExpiresOn: this.passwordExpiresOn,
        ...(props.schemas ? { Schemas: [...props.schemas].sort().join(',') } : {}),
        ...(settings.excludeTables.length > 0 ? { ExcludeTables: settings.excludeTables.join(',') } : {}),
        ...(settings.excludeColumns.length > 0 ? { ExcludeColumns: settings.excludeColumns.join(',') } : {}),
      },
    });
    // After replication: the master password works and the application schemas exist.
    this.readOnlyAccount.node.addDependency(
      this.replication,
      this.readOnlySecret,
      this.readOnlyAccountFunction.securityGroup,
      this.readOnlyAccountFunction.role.permissions,
    );

    this.acknowledgeFindings();
  }

  /**
   * The read-only secret's resource policy and key policy: the recipient may read it during the
   * collection window only; nobody else (but the function that writes it) may read it at all.
   */
  private restrictReadOnlySecret(recipientArn: string, writer: iam.IRole, secretName: string): void {
    const stack = Stack.of(this);
    const window = {
      DateGreaterThan: { 'aws:CurrentTime': this.collectionOpensAt },
      DateLessThan: { 'aws:CurrentTime': this.collectionClosesAt },
    };
    const recipient = new iam.ArnPrincipal(recipientArn);
    const isRecipient = { ArnEquals: { 'aws:PrincipalArn': recipientArn } };
    const statements = [
      new iam.PolicyStatement({
        sid: 'RecipientCollectsDuringWindow',
        principals: [recipient],
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: ['*'],
        conditions: window,
      }),
      new iam.PolicyStatement({
        sid: 'DenyEveryoneButRecipientAndWriter',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': [recipientArn, writer.roleArn] } },
      }),
      new iam.PolicyStatement({
        sid: 'DenyRecipientBeforeIssue',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['*'],
        conditions: { ...isRecipient, DateLessThan: { 'aws:CurrentTime': this.collectionOpensAt } },
      }),
      new iam.PolicyStatement({
        sid: 'DenyRecipientAfterCollectionWindow',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['*'],
        conditions: { ...isRecipient, DateGreaterThanEquals: { 'aws:CurrentTime': this.collectionClosesAt } },
      }),
      new iam.PolicyStatement({
        sid: 'DenyWritesButWriter',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:PutSecretValue'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': writer.roleArn } },
      }),
    ];
    for (const statement of statements) this.readOnlySecret.addToResourcePolicy(statement);
    const policy = this.readOnlySecret.node.tryFindChild('Policy')?.node.defaultChild as secretsmanager.CfnResourcePolicy | undefined;
    if (policy) policy.blockPublicPolicy = true;

    // The key: the recipient decrypts this secret only, through Secrets Manager only, and only
    // during the window (also if the secret's policy were ever removed).
    const secretArnPattern = Arn.format(
      { service: 'secretsmanager', resource: 'secret', resourceName: `${secretName}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME },
      stack,
    );
    this.readOnlySecretKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'RecipientDecryptsThroughSecretsManagerDuringWindow',
        principals: [recipient],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
          ArnLike: { 'kms:EncryptionContext:SecretARN': secretArnPattern },
          ...window,
        },
      }),
    );
    for (const [sid, outside] of [
      ['DenyRecipientDecryptBeforeIssue', { DateLessThan: { 'aws:CurrentTime': this.collectionOpensAt } }],
      ['DenyRecipientDecryptAfterCollectionWindow', { DateGreaterThanEquals: { 'aws:CurrentTime': this.collectionClosesAt } }],
    ] as const) {
      this.readOnlySecretKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:Decrypt'],
          resources: ['*'],
          conditions: { ...isRecipient, ...outside },
        }),
      );
    }
  }

  /** secretsmanager:GetRandomPassword (no resource) in a policy of its own, with its own acknowledgement. */
  private allowRandomPasswords(fn: ClinSparkFunction, purpose: string): void {
    const policy = new iam.ManagedPolicy(fn, 'RandomPasswordPolicy', {
      description: `Secrets Manager GetRandomPassword for the ${purpose}`,
      statements: [new iam.PolicyStatement({ actions: ['secretsmanager:GetRandomPassword'], resources: ['*'] })],
    });
    fn.role.addManagedPolicy(policy);
    acknowledge(policy, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          `secretsmanager:GetRandomPassword (${purpose}) acts on no resource and supports ` +
          `no resource-level permission; it only returns random characters and reads or ` +
          `writes no secret.`,
      },
    ]);
  }

  private acknowledgeFindings(): void {
    acknowledge(
      this.readOnlySecret,
      sameReason(
        ['AwsSolutions-SMG4', 'HIPAA.Security-SecretsManagerRotationEnabled', 'NIST.800.53.R5-SecretsManagerRotationEnabled'],
        `The ${this.readOnlyUsername} password of the read replica is rotated by ` +
          `re-issue, not on a schedule: a new credentials.issueDate makes the read-only ` +
          `account custom resource generate, set and store a new password, and opens a new ` +
          `collection window for the named recipient. An automatic rotation would change ` +
          `the customer's BI password with no window in which the recipient could collect ` +
          `the new one.`,
      ),
    );
  }
}
