import * as path from 'path';
import { ArnFormat, CfnWaitCondition, CfnWaitConditionHandle, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledge, sameReason } from '../core/acknowledge';
import { ClinSparkFunction } from '../core/clinspark-function';
import { ClinSparkProvider } from '../core/clinspark-provider';
import { ClinSparkPropsError } from '../core/errors';
import { ClinSparkRole } from '../core/clinspark-role';
import { grantSecretRead } from '../core/grants';
import { PASSWORD_EXCLUDED_CHARACTERS } from '../database/hosted-rotation';
import { clusterParameters } from '../database/parameters';
import type { StagingCapacity, StagingCopy, StagingRun } from '../val-clone/handler/staging';
import { InstanceRole } from '../instance/instance-role';

export interface PiiScrubJobProps {
  /** The VPC of the job (its functions and staging clusters). */
  readonly vpc: ec2.IVpc;
  /** Subnets with a route to AWS APIs (Secrets Manager, S3, RDS, Step Functions). */
  readonly subnets: ec2.SubnetSelection;
  /** Isolated subnets of the staging clusters (the environment's database subnets). */
  readonly databaseSubnets: ec2.SubnetSelection;
  /**
   * Identity of the current data copy (a hash of the copies and the rules). A new value generates
   * a new scrub key: each refresh of VAL is scrubbed with a key of its own.
   */
  readonly refreshId: string;
  /**
   * Prefix of every staging cluster, staging instance and scrubbed snapshot name of this
   * environment, e.g. `clinspark-acme-val` (the job's permissions are scoped to it).
   */
  readonly namePrefix: string;
  /**
   * Tags that the source environment's keys carry (e.g. customer and environment kind): the job
   * may use a KMS key to read a source copy only when the key has these tags and only through RDS.
   */
  readonly sourceKeyTags: Readonly<Record<string, string>>;
  /** Key of the job's log groups. */
  readonly logKey: kms.IKey;
  /** Retention of the job's log groups. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the job's log groups when they leave the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Removal policy of the key, scrub-key secret and evidence bucket. */
  readonly removalPolicy: RemovalPolicy;
  /** Bucket receiving the evidence bucket's server access logs. */
  readonly accessLogBucket: s3.IBucket;
  /**
   * How long evidence objects cannot be deleted or overwritten (S3 Object Lock, COMPLIANCE mode:
   * no user, not even the account root, can shorten it).
   * @default Duration.days(365)
   */
  readonly evidenceRetention?: Duration;
  /** @default 20000 */
  readonly batchSize?: number;
  /** Short description for resource descriptions, e.g. "acme/val". */
  readonly description: string;
}

/** One database's scrubbed copy: what `PiiScrubJob.run` needs. */
export interface ScrubbedCopyRunProps {
  /** VAL instance role, e.g. `main`. */
  readonly role: InstanceRole;
  /** Hash of the copy's identity and the ruleset (6 hex): part of every per-run name and logical id. */
  readonly runHash: string;
  /** Where the staging copy comes from (a clone of the source or a pinned snapshot). */
  readonly copy: StagingCopy;
  /** Prefix of this database's names, e.g. `clinspark-acme-val-main` (must start with namePrefix). */
  readonly identifierPrefix: string;
  /** The VAL database's own key: the staging cluster and the scrubbed snapshot are encrypted with it. */
  readonly databaseKey: kms.IKey;
  /** Capacity of the transient staging cluster. */
  readonly capacity: StagingCapacity;
  /** The application schema scrubbed on the staging copy. */
  readonly databaseName: string;
  /** The ruleset (YAML text). */
  readonly rulesYaml: string;
  /** Tags of the staging cluster and the snapshot. */
  readonly tags: Readonly<Record<string, string>>;
}

/** The outcome of `PiiScrubJob.run`: nothing that depends on `ready` exists before the scrub succeeded. */
export interface ScrubbedCopy {
  /** The wait condition that completes when the scrubbed, verified snapshot exists and staging is deleted. */
  readonly ready: CfnWaitCondition;
  /** Deterministic identifier of the scrubbed snapshot (restore the VAL cluster from it). */
  readonly snapshotIdentifier: string;
  /** Deterministic identifier of the transient staging cluster (never reachable by the application). */
  readonly stagingClusterIdentifier: string;
  /** S3 key of the evidence of the successful run, in `evidenceBucket`. */
  readonly evidenceKey: string;
  /** The custom resource that starts the run (`Custom::ClinSparkScrubbedCopy`). */
  readonly starter: CustomResource;
  /** Master secret of the transient staging copy. */
  readonly stagingSecret: secretsmanager.Secret;
}

/** CloudFormation waits at most 12 hours for a wait condition (Timeout 43200 s). */
export const WAIT_CONDITION_TIMEOUT_SECONDS = 43_200;

const STAGING_HANDLER = path.join(__dirname, '..', 'val-clone', 'handler', 'staging.ts');
const SCRUB_HANDLER = path.join(__dirname, 'handler', 'index.ts');

/**
 * The PII scrub job of a VAL environment: a Step Functions workflow that makes a scrubbed copy
 * of a source database without any reachable resource ever holding unscrubbed data.
 *
 * For each VAL database (`run()`): restore or clone the source into a STAGING cluster (VAL's key,
 * a security group only the scrub function can reach, 1-day backup retention, no backup plan),
 * set its master password, lock every source account, scrub and verify in resumable batches
 * (one 15-minute Lambda per loop, no overall limit but the wait condition's 12 hours), snapshot
 * the result under a deterministic identifier, delete the staging cluster (no final snapshot,
 * automated backups deleted) and signal the CloudFormation wait condition. Any failure runs the
 * catch branch (delete staging and the run's snapshot, signal FAILURE). The starter custom
 * resource that begins an execution deletes staging and the run's snapshot when it is itself
 * deleted (rollback, refresh clean-up, stack deletion): the backstop if the workflow was stopped.
 *
 * Also: a scrub key in Secrets Manager that is new for each refresh and readable only by the
 * scrub function (resource policy), and an evidence bucket (own key, versioned, Object Lock in
 * COMPLIANCE mode) that receives the JSON evidence of every run.
 */
export class PiiScrubJob extends Construct {
  readonly evidenceBucket: s3.Bucket;
  readonly key: kms.Key;
  readonly scrubKey: secretsmanager.Secret;
  readonly control: ClinSparkFunction;
  readonly scrubFunction: ClinSparkFunction;
  readonly starter: ClinSparkFunction;
  readonly provider: ClinSparkProvider;
  readonly stateMachine: sfn.StateMachine;
  /** The only way into a staging cluster: MySQL from the scrub function. */
  readonly stagingSecurityGroup: ec2.SecurityGroup;
  readonly stagingSubnetGroup: rds.CfnDBSubnetGroup;
  readonly stagingParameters: rds.CfnDBClusterParameterGroup;
  private readonly batchSize: number;
  private readonly props: PiiScrubJobProps;
  private readonly stagingSecrets: secretsmanager.Secret[] = [];

  constructor(scope: Construct, id: string, props: PiiScrubJobProps) {
    super(scope, id);
    this.props = props;
    if (!/^[A-Za-z0-9._:-]{1,200}$/.test(props.refreshId)) {
      throw new ClinSparkPropsError(this, `'refreshId' is '${props.refreshId}'; use 1-200 letters, digits, '.', '_', ':' or '-'`);
    }
    if (!/^[a-z][a-z0-9-]{2,40}$/.test(props.namePrefix))
      throw new ClinSparkPropsError(this, `'namePrefix' is '${props.namePrefix}'; use 3-41 lowercase letters, digits and hyphens`);
    this.batchSize = props.batchSize ?? 20_000;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 100 || this.batchSize > 1_000_000) {
      throw new ClinSparkPropsError(this, `'batchSize' is ${props.batchSize}; use 100 to 1,000,000 rows`);
    }

    this.key = new kms.Key(this, 'Key', {
      description: `ClinSpark ${props.description}: PII scrub key secret, staging credentials and evidence`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.scrubKey = new secretsmanager.Secret(this, 'ScrubKey', {
      description: `ClinSpark ${props.description}: HMAC key of the PII scrub (refresh ${props.refreshId})`,
      encryptionKey: this.key,
      removalPolicy: props.removalPolicy,
      // CloudFormation generates a new value whenever the template changes: a new refresh, a new key.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ refresh: props.refreshId }),
        generateStringKey: 'key',
        passwordLength: 64,
        excludePunctuation: true,
      },
    });

    this.evidenceBucket = new s3.Bucket(this, 'Evidence', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      objectLockEnabled: true,
      // COMPLIANCE: no principal, the root user included, can delete or overwrite a locked version early.
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(props.evidenceRetention ?? Duration.days(365)),
      removalPolicy: props.removalPolicy,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'scrub-evidence/',
    });

    const common = {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      logKey: props.logKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    };
    this.control = new ClinSparkFunction(this, 'Control', {
      ...common,
      entry: STAGING_HANDLER,
      handler: 'control',
      timeout: Duration.minutes(2),
      description: `ClinSpark ${props.description}: VAL staging copy control (RDS restore, snapshot, delete, signal)`,
      failureHandling:
        'Invoked synchronously by the scrubbed-copy workflow (Step Functions), whose ' +
        'retries and catch branch handle a failure: the staging copy is deleted and the ' +
        'wait condition gets FAILURE, so the deployment fails and rolls back; the error ' +
        "is kept in this function's encrypted log group and the workflow's history.",
    });
    this.scrubFunction = new ClinSparkFunction(this, 'Scrub', {
      ...common,
      entry: SCRUB_HANDLER,
      handler: 'scrubStep',
      timeout: Duration.minutes(15),
      memorySize: 1024,
      description: `ClinSpark ${props.description}: PII scrub of the staging copy (resumable batches, verify, evidence)`,
      failureHandling:
        'Invoked synchronously by the scrubbed-copy workflow (Step Functions), whose ' +
        'catch branch deletes the staging copy and signals FAILURE on any error; failed ' +
        "evidence is written under the run's prefix and the error is kept in this " +
        "function's encrypted log group.",
    });
    this.starter = new ClinSparkFunction(this, 'Starter', {
      ...common,
      entry: STAGING_HANDLER,
      handler: 'starter',
      timeout: Duration.minutes(5),
      description: `ClinSpark ${props.description}: starts the scrubbed-copy workflow, removes staging and the run snapshot on delete`,
    });
    this.provider = new ClinSparkProvider(this, 'StarterProvider', {
      onEvent: this.starter,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      logKey: props.logKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      description: `${props.description} scrubbed-copy starter`,
    });

    // Network: the staging clusters admit MySQL from the scrub function only.
    this.stagingSecurityGroup = new ec2.SecurityGroup(this, 'StagingSecurityGroup', {
      vpc: props.vpc,
      description: `ClinSpark ${props.description}: unscrubbed staging copies, MySQL from the PII scrub function only`,
      allowAllOutbound: false,
    });
    this.stagingSecurityGroup.addIngressRule(
      this.scrubFunction.securityGroup,
      ec2.Port.tcp(3306),
      'PII scrub function (the only client of a staging copy)',
    );
    this.scrubFunction.securityGroup.addEgressRule(this.stagingSecurityGroup, ec2.Port.tcp(3306), 'MySQL to the staging copies');
    this.stagingSubnetGroup = new rds.CfnDBSubnetGroup(this, 'StagingSubnets', {
      dbSubnetGroupDescription: `ClinSpark ${props.description}: isolated subnets of the staging copies`,
      subnetIds: props.vpc.selectSubnets(props.databaseSubnets).subnetIds,
    });
    // The project's cluster parameters (TLS required, auditing; constructs/database/parameters.ts):
    // the audit log stays inside the staging cluster (no log export) and is deleted with it.
    this.stagingParameters = new rds.CfnDBClusterParameterGroup(this, 'StagingParameters', {
      description: `ClinSpark ${props.description}: staging copies, TLS required, audit logging`,
      family: 'aurora-mysql8.0',
      parameters: clusterParameters({ replicationSource: false }),
    });

    this.stateMachine = this.createWorkflow();
    this.grantCommon();
    this.acknowledgeFindings();
  }

  private arn(resource: string, name: string): string {
    return Stack.of(this).formatArn({ service: 'rds', resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  private get stagingClusters(): string {
    return this.arn('cluster', `${this.props.namePrefix}-*-staging-*`);
  }
  private get stagingInstances(): string {
    return this.arn('db', `${this.props.namePrefix}-*-staging-*`);
  }
  private get executionsArn(): string {
    return Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
  private get scrubbedSnapshots(): string {
    return this.arn('cluster-snapshot', `${this.props.namePrefix}-*-scrubbed-*`);
  }

  private createWorkflow(): sfn.StateMachine {
    const logGroup = new logs.LogGroup(this, 'WorkflowLogs', {
      encryptionKey: this.props.logKey,
      retention: this.props.logRetention,
      removalPolicy: this.props.logRemovalPolicy,
    });
    const role = new ClinSparkRole(this, 'WorkflowRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `ClinSpark ${this.props.description}: scrubbed-copy workflow (invokes its control and scrub functions only)`,
    });

    const run = sfn.JsonPath.objectAt('$.run');
    const execution = sfn.JsonPath.stringAt('$$.Execution.Name');
    const step = (id: string, action: string, resultPath: string, extra: Record<string, unknown> = {}) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: this.control.function,
        payload: sfn.TaskInput.fromObject({ action, run, execution, ...extra }),
        payloadResponseOnly: true,
        resultPath,
        retryOnServiceExceptions: true,
      });
    // Polls: the control step throws NotReady until the resource is ready (up to ~11 h per wait).
    const poll = (task: tasks.LambdaInvoke, interval: Duration): tasks.LambdaInvoke => {
      task.addRetry({ errors: ['NotReady'], interval, maxAttempts: Math.floor((11 * 3600) / interval.toSeconds()), backoffRate: 1 });
      return task;
    };

    const cleanup = poll(step('Cleanup', 'cleanup', sfn.JsonPath.DISCARD), Duration.seconds(30));
    const signalFailure = step('SignalFailure', 'signal', sfn.JsonPath.DISCARD, {
      status: 'FAILURE',
      error: sfn.JsonPath.objectAt('$.error'),
    });
    signalFailure.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(10), maxAttempts: 5, backoffRate: 2 });
    const failed = new sfn.Fail(this, 'Failed', {
      error: 'ClinSpark.ScrubbedCopyFailed',
      cause: 'the scrubbed copy failed; the staging copy was deleted (see the execution history and the failed evidence)',
    });
    cleanup.addCatch(signalFailure, { resultPath: '$.cleanupError' });
    cleanup.next(signalFailure);
    signalFailure.addCatch(failed, { resultPath: '$.signalError' });
    signalFailure.next(failed);
    const onError = <T extends tasks.LambdaInvoke>(task: T): T => {
      task.addCatch(cleanup, { errors: ['States.ALL'], resultPath: '$.error' });
      return task;
    };

    const restore = onError(step('Restore', 'restore', sfn.JsonPath.DISCARD));
    restore.addRetry({ errors: ['NotReady'], interval: Duration.seconds(60), maxAttempts: 60, backoffRate: 1 });
    const awaitCluster = onError(poll(step('AwaitCluster', 'awaitCluster', sfn.JsonPath.DISCARD), Duration.seconds(60)));
    const configure = onError(step('Configure', 'configure', sfn.JsonPath.DISCARD));
    const awaitConfigured = onError(poll(step('AwaitConfigured', 'awaitConfigured', sfn.JsonPath.DISCARD), Duration.seconds(20)));
    const createInstance = onError(step('CreateInstance', 'createInstance', sfn.JsonPath.DISCARD));
    const awaitInstance = onError(poll(step('AwaitInstance', 'awaitInstance', '$.staging'), Duration.seconds(30)));
    const scrub = onError(
      new tasks.LambdaInvoke(this, 'ScrubBatch', {
        lambdaFunction: this.scrubFunction.function,
        payload: sfn.TaskInput.fromObject({
          database: {
            host: sfn.JsonPath.stringAt('$.staging.host'),
            port: sfn.JsonPath.numberAt('$.staging.port'),
            username: sfn.JsonPath.stringAt('$.staging.masterUsername'),
            secretArn: sfn.JsonPath.stringAt('$.run.stagingSecretArn'),
            name: sfn.JsonPath.stringAt('$.run.databaseName'),
          },
          scrub: sfn.JsonPath.objectAt('$.run.scrub'),
          execution,
        }),
        payloadResponseOnly: true,
        resultPath: '$.scrub',
        retryOnServiceExceptions: true,
      }),
    );
    const snapshot = onError(
      step('Snapshot', 'snapshot', sfn.JsonPath.DISCARD, { evidenceKey: sfn.JsonPath.stringAt('$.scrub.evidenceKey') }),
    );
    snapshot.addRetry({ errors: ['NotReady'], interval: Duration.seconds(60), maxAttempts: 30, backoffRate: 1 });
    const awaitSnapshot = onError(poll(step('AwaitSnapshot', 'awaitSnapshot', sfn.JsonPath.DISCARD), Duration.seconds(30)));
    const deleteStaging = onError(step('DeleteStaging', 'deleteStaging', sfn.JsonPath.DISCARD));
    deleteStaging.addRetry({ errors: ['NotReady'], interval: Duration.seconds(30), maxAttempts: 60, backoffRate: 1 });
    const awaitDeleted = onError(poll(step('AwaitDeleted', 'awaitDeleted', sfn.JsonPath.DISCARD), Duration.seconds(30)));
    const signalSuccess = onError(step('SignalSuccess', 'signal', sfn.JsonPath.DISCARD, { status: 'SUCCESS' }));
    signalSuccess.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(10), maxAttempts: 5, backoffRate: 2 });
    const done = new sfn.Succeed(this, 'Scrubbed');

    const scrubbed = new sfn.Choice(this, 'ScrubComplete')
      .when(
        sfn.Condition.booleanEquals('$.scrub.complete', true),
        snapshot.next(awaitSnapshot).next(deleteStaging).next(awaitDeleted).next(signalSuccess).next(done),
      )
      .otherwise(scrub);
    const definition = restore
      .next(awaitCluster)
      .next(configure)
      .next(awaitConfigured)
      .next(createInstance)
      .next(awaitInstance)
      .next(scrub)
      .next(scrubbed);

    const machine = new sfn.StateMachine(this, 'Workflow', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment:
        `ClinSpark ${this.props.description}: scrubbed copy of a VAL database (staging ` +
        `restore, scrub, snapshot, delete staging, signal)`,
      role,
      timeout: Duration.seconds(WAIT_CONDITION_TIMEOUT_SECONDS),
      tracingEnabled: true,
      // Execution data (the wait condition URL, identifiers) is not logged; events and errors are.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'XRay',
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
        resources: ['*'],
      }),
    );
    return machine;
  }

  /** Permissions that do not depend on a particular database. */
  private grantCommon(): void {
    const region = Stack.of(this).region;
    const c = this.control.role;
    c.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StagingLifecycle',
        actions: [
          'rds:DescribeDBClusters',
          'rds:ModifyDBCluster',
          'rds:DeleteDBCluster',
          'rds:CreateDBClusterSnapshot',
          'rds:AddTagsToResource',
        ],
        resources: [this.stagingClusters],
      }),
    );
    c.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StagingInstances',
        actions: ['rds:CreateDBInstance', 'rds:DescribeDBInstances', 'rds:DeleteDBInstance', 'rds:AddTagsToResource'],
        resources: [this.stagingInstances, this.stagingClusters],
      }),
    );
    c.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ScrubbedSnapshots',
        actions: ['rds:CreateDBClusterSnapshot', 'rds:DescribeDBClusterSnapshots', 'rds:DeleteDBClusterSnapshot', 'rds:AddTagsToResource'],
        resources: [this.scrubbedSnapshots],
      }),
    );
    c.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StagingNetworkAndParameters',
        actions: ['rds:RestoreDBClusterToPointInTime', 'rds:RestoreDBClusterFromSnapshot', 'rds:ModifyDBCluster', 'rds:CreateDBInstance'],
        resources: [this.arn('subgrp', this.stagingSubnetGroup.ref), this.arn('cluster-pg', this.stagingParameters.ref)],
      }),
    );
    c.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SourceKeysThroughRds',
        actions: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Decrypt'],
        resources: [Stack.of(this).formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
        conditions: {
          StringEquals: {
            'kms:ViaService': `rds.${region}.amazonaws.com`,
            ...Object.fromEntries(Object.entries(this.props.sourceKeyTags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
          },
        },
      }),
    );
    // The starter: start and stop executions of this workflow; on delete, remove staging and snapshots.
    const s = this.starter.role;
    s.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'StartWorkflow', actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }),
    );
    s.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StopWorkflow',
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [this.executionsArn],
      }),
    );
    s.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RemoveStaging',
        actions: ['rds:DescribeDBClusters', 'rds:DeleteDBCluster'],
        resources: [this.stagingClusters],
      }),
    );
    s.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'RemoveStagingInstances', actions: ['rds:DeleteDBInstance'], resources: [this.stagingInstances] }),
    );
    s.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RemoveScrubbedSnapshots',
        actions: ['rds:DescribeDBClusterSnapshots', 'rds:DeleteDBClusterSnapshot'],
        resources: [this.scrubbedSnapshots],
      }),
    );
    // The scrub function: the scrub key, the evidence bucket (its own key), MySQL to staging.
    const f = this.scrubFunction;
    grantSecretRead(this.scrubKey, this.key, f);
    f.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WriteEvidence', actions: ['s3:PutObject'], resources: [this.evidenceBucket.arnForObjects('*')] }),
    );
    f.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptEvidence',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
      }),
    );
    // Nobody but the scrub function reads the scrub key (the account's IAM policies cannot widen this).
    this.restrictSecretRead(this.scrubKey, [this.scrubFunction.role]);
  }

  /** A resource policy that denies reading the secret's value to every principal but `readers`. */
  private restrictSecretRead(secret: secretsmanager.Secret, readers: iam.IRole[]): void {
    secret.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheScrubJobReads',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': readers.map((r) => r.roleArn) } },
      }),
    );
  }

  /**
   * One database's scrubbed copy. Creates the run's staging credentials, and, with the run hash
   * in their logical ids (a refresh creates new ones; a wait condition cannot be updated), the
   * wait condition handle, the starter custom resource and the wait condition.
   */
  run(scope: Construct, id: string, props: ScrubbedCopyRunProps): ScrubbedCopy {
    if (!/^[0-9a-f]{6,16}$/.test(props.runHash))
      throw new ClinSparkPropsError(scope, `'runHash' is '${props.runHash}'; use 6-16 lowercase hex digits`);
    if (!props.identifierPrefix.startsWith(`${this.props.namePrefix}-`))
      throw new ClinSparkPropsError(scope, `'identifierPrefix' ${props.identifierPrefix} must start with '${this.props.namePrefix}-'`);
    const stack = Stack.of(this);
    const stagingClusterIdentifier = `${props.identifierPrefix}-staging-${props.runHash}`;
    const snapshotIdentifier = `${props.identifierPrefix}-scrubbed-${props.runHash}`;
    if (stagingClusterIdentifier.length > 61)
      throw new ClinSparkPropsError(
        scope,
        `staging cluster identifier ${stagingClusterIdentifier} is too long (instance names add 2 characters to at most 63)`,
      );
    const evidenceKey = `${props.role}/${snapshotIdentifier}.json`;

    const stagingSecret = new secretsmanager.Secret(scope, `${id}StagingSecret`, {
      description:
        `ClinSpark ${this.props.description}: master password of the transient ` + `${props.role} staging copy (run ${props.runHash})`,
      encryptionKey: this.key,
      removalPolicy: this.props.removalPolicy,
      // A new run hash changes the template, so CloudFormation generates a new password.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ run: props.runHash }),
        generateStringKey: 'password',
        passwordLength: 40,
        excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
      },
    });
    this.stagingSecrets.push(stagingSecret);
    grantSecretRead(stagingSecret, this.key, this.control);
    grantSecretRead(stagingSecret, this.key, this.scrubFunction);
    this.restrictSecretRead(stagingSecret, [this.control.role, this.scrubFunction.role]);
    acknowledge(
      stagingSecret,
      sameReason(
        ['AwsSolutions-SMG4', 'HIPAA.Security-SecretsManagerRotationEnabled', 'NIST.800.53.R5-SecretsManagerRotationEnabled'],
        `Master password of the ${props.role} staging copy, which exists only while one ` +
          `workflow run scrubs it and is then deleted; every refresh generates a new ` +
          `password, and a resource policy lets only the control and scrub functions read ` +
          `it.`,
      ),
    );

    // Permissions of this database: read its source, use its key (through RDS only).
    const c = this.control.role;
    const source =
      props.copy.kind === 'clone'
        ? this.arn('cluster', props.copy.sourceClusterIdentifier)
        : this.arn('cluster-snapshot', props.copy.snapshotIdentifier);
    c.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [props.copy.kind === 'clone' ? 'rds:RestoreDBClusterToPointInTime' : 'rds:RestoreDBClusterFromSnapshot'],
        resources: [source, this.stagingClusters],
      }),
    );
    c.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'kms:CreateGrant',
          'kms:DescribeKey',
          'kms:Decrypt',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
        ],
        resources: [props.databaseKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `rds.${stack.region}.amazonaws.com` } },
      }),
    );

    const runInput: StagingRun & { scrub: Record<string, unknown> } = {
      role: props.role,
      runHash: props.runHash,
      copy: props.copy,
      stagingClusterIdentifier,
      kmsKeyId: props.databaseKey.keyArn,
      subnetGroupName: this.stagingSubnetGroup.ref,
      securityGroupId: this.stagingSecurityGroup.securityGroupId,
      clusterParameterGroupName: this.stagingParameters.ref,
      capacity: props.capacity,
      stagingSecretArn: stagingSecret.secretArn,
      databaseName: props.databaseName,
      scrubbedSnapshotIdentifier: snapshotIdentifier,
      tags: props.tags,
      scrub: {
        keySecretArn: this.scrubKey.secretArn,
        rulesYaml: props.rulesYaml,
        evidenceBucket: this.evidenceBucket.bucketName,
        evidenceKmsKeyId: this.key.keyArn,
        evidenceKey,
        failedEvidencePrefix: `${props.role}/failed/${snapshotIdentifier}/`,
        batchSize: this.batchSize,
      },
    };
    const handle = new CfnWaitConditionHandle(scope, `${id}Handle${props.runHash}`);
    const starter = new CustomResource(scope, `${id}Start${props.runHash}`, {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::ClinSparkScrubbedCopy',
      properties: {
        StateMachineArn: this.stateMachine.stateMachineArn,
        HandleUrl: handle.ref,
        Run: stack.toJsonString(runInput),
      },
    });
    const ready = new CfnWaitCondition(scope, `${id}Ready${props.runHash}`, {
      handle: handle.ref,
      timeout: String(WAIT_CONDITION_TIMEOUT_SECONDS),
      count: 1,
    });
    ready.node.addDependency(starter);
    return { ready, snapshotIdentifier, stagingClusterIdentifier, evidenceKey, starter, stagingSecret };
  }

  private acknowledgeFindings(): void {
    const stack = Stack.of(this);
    acknowledge(
      this.scrubKey,
      sameReason(
        ['AwsSolutions-SMG4', 'HIPAA.Security-SecretsManagerRotationEnabled', 'NIST.800.53.R5-SecretsManagerRotationEnabled'],
        'The scrub HMAC key must stay the same for the whole run of one refresh ' +
          '(pseudonyms stay joinable across tables); each refresh of VAL generates a new ' +
          'key instead of rotating this one, and its resource policy denies reading it to ' +
          'every principal but the scrub function.',
      ),
    );
    acknowledge(this.scrubFunction.role.permissions, [
      {
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.evidenceBucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
        reason:
          'The scrub writes one evidence object per run and database (keys made of the ' +
          'database and snapshot identifier) into its own evidence bucket; it cannot read, ' +
          'delete or list them.',
      },
    ]);
    const pattern = (arn: string) => {
      const resolved: unknown = stack.resolve(arn);
      const resource = typeof resolved === 'string' ? resolved : joinForNag(resolved as { 'Fn::Join': [string, unknown[]] });
      return `AwsSolutions-IAM5[Resource::${resource}]`;
    };
    const stagingReason =
      `Staging clusters, their instances and scrubbed snapshots are named ` +
      `${this.props.namePrefix}-<role>-staging-<run hash> and -scrubbed-<run hash>; ` +
      `the run hash changes with every refresh, and a refresh's clean-up must delete ` +
      `the previous run's, so the names are matched by this environment's prefix, not ` +
      `pinned.`;
    for (const role of [this.control.role, this.starter.role]) {
      acknowledge(role.permissions, [
        { id: pattern(this.stagingClusters), reason: stagingReason },
        { id: pattern(this.stagingInstances), reason: stagingReason },
        { id: pattern(this.scrubbedSnapshots), reason: stagingReason },
      ]);
    }
    acknowledge(this.control.role.permissions, [
      {
        id: pattern(stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })),
        reason:
          "The source environment's storage keys live in its own stack (VAL takes no " +
          'reference to it); the job may use a key only through RDS (kms:ViaService) and ' +
          "only if the key carries the source environment's customer and environment tags, " +
          'to restore the source copy into staging.',
      },
    ]);
    acknowledge(this.starter.role.permissions, [
      {
        id: pattern(this.executionsArn),
        reason:
          'The starter stops a still-running execution of this one state machine when its ' +
          'run is removed; execution names are generated per run, so the executions of ' +
          'this state machine are matched, nothing else.',
      },
    ]);
    const workflowRole = this.stateMachine.role as ClinSparkRole;
    acknowledge(workflowRole.permissions, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions log delivery (CreateLogDelivery and friends) and X-Ray trace uploads support no resource-level permissions.',
      },
      ...[this.control, this.scrubFunction].map((fn) => ({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.function.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
        reason: 'The workflow invokes its own control and scrub functions; the :* suffix covers their versions and aliases only.',
      })),
    ]);
    acknowledge(
      this.evidenceBucket,
      sameReason(
        ['HIPAA.Security-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3BucketReplicationEnabled'],
        'Scrub evidence is versioned and object-locked (COMPLIANCE) in this region and ' +
          'copied into the qualification record of the VAL environment; cross-region ' +
          'replication adds no control the retention policy needs.',
      ),
    );
  }
}

/** The text cdk-nag shows for an ARN built with Fn::Join (pseudo parameters as <AWS::...>). */
function joinForNag(resolved: { 'Fn::Join': [string, unknown[]] }): string {
  const [sep, parts] = resolved['Fn::Join'];
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const ref = (p as { Ref?: string }).Ref;
      if (ref) return `<${ref}>`;
      const att = (p as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      if (att) return `<${att[0]}.${att[1]}>`;
      throw new Error(`cannot name ${JSON.stringify(p)} for an acknowledgement`);
    })
    .join(sep);
}
