import * as path from 'path';
import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge, sameReason } from '../core/acknowledge';
import { ClinSparkFunction } from '../core/clinspark-function';
import { ClinSparkProvider } from '../core/clinspark-provider';
import { ClinSparkPropsError } from '../core/errors';
import { grantSecretRead } from '../core/grants';

/** What the job needs of a database to scrub (ClinSparkDatabase provides it). */
export interface ScrubbableDatabase extends ec2.IConnectable {
  readonly masterSecret: secretsmanager.ISecret;
  readonly key: kms.IKey;
  readonly databaseName: string;
  allowMySqlFrom(peer: ec2.IConnectable, description: string): void;
}

export interface PiiScrubJobProps {
  readonly vpc: ec2.IVpc;
  /** Subnets with a route to AWS APIs (Secrets Manager, S3). */
  readonly subnets: ec2.SubnetSelection;
  /**
   * Identity of the current data copy (a refresh label or the snapshot identifiers). A new value
   * generates a new scrub key: each refresh of VAL is scrubbed with a key of its own.
   */
  readonly refreshId: string;
  readonly logKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** Removal policy of the key, scrub-key secret and evidence bucket. */
  readonly removalPolicy: RemovalPolicy;
  /** Bucket receiving the evidence bucket's server access logs. */
  readonly accessLogBucket: s3.IBucket;
  /**
   * How long evidence objects cannot be deleted or overwritten (S3 Object Lock, governance mode).
   * @default Duration.days(365)
   */
  readonly evidenceRetention?: Duration;
  /** @default 20000 */
  readonly batchSize?: number;
  readonly description: string;
}

/** The handler's entry (constructs/pii-scrub/handler/index.ts exports onEvent and isComplete). */
const HANDLER = path.join(__dirname, 'handler', 'index.ts');

/**
 * The PII scrub job of an environment: the scrub engine as a CloudFormation custom resource with
 * asynchronous completion (provider framework onEvent + isComplete: resumable batches, up to
 * 55 minutes), a scrub key in Secrets Manager that is new for each refresh and never leaves it,
 * and an evidence bucket (own key, versioned, object-locked) that receives the JSON evidence of
 * every run. `scrub()` adds a run for one database; whatever depends on the returned resource
 * is created only after the database has been scrubbed and verified.
 */
export class PiiScrubJob extends Construct {
  readonly evidenceBucket: s3.Bucket;
  readonly key: kms.Key;
  readonly scrubKey: secretsmanager.Secret;
  readonly onEvent: ClinSparkFunction;
  readonly isComplete: ClinSparkFunction;
  readonly provider: ClinSparkProvider;
  private readonly batchSize: number;

  constructor(scope: Construct, id: string, props: PiiScrubJobProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9._:-]{1,200}$/.test(props.refreshId)) {
      throw new ClinSparkPropsError(this, `'refreshId' is '${props.refreshId}'; use 1-200 letters, digits, '.', '_', ':' or '-'`);
    }
    this.batchSize = props.batchSize ?? 20_000;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 100 || this.batchSize > 1_000_000) {
      throw new ClinSparkPropsError(this, `'batchSize' is ${props.batchSize}; use 100 to 1,000,000 rows`);
    }

    this.key = new kms.Key(this, 'Key', {
      description: `ClinSpark ${props.description}: PII scrub key secret and evidence`,
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
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(props.evidenceRetention ?? Duration.days(365)),
      removalPolicy: props.removalPolicy,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'scrub-evidence/',
    });

    const common = {
      entry: HANDLER,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      logKey: props.logKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      timeout: Duration.minutes(15),
      memorySize: 1024,
    };
    this.onEvent = new ClinSparkFunction(this, 'Start', { ...common, handler: 'onEvent', description: `ClinSpark ${props.description}: PII scrub (start)` });
    this.isComplete = new ClinSparkFunction(this, 'Continue', { ...common, handler: 'isComplete', description: `ClinSpark ${props.description}: PII scrub (resume, verify, evidence)` });
    this.provider = new ClinSparkProvider(this, 'Provider', {
      onEvent: this.onEvent,
      isComplete: this.isComplete,
      queryInterval: Duration.seconds(30),
      totalTimeout: Duration.minutes(55),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      logKey: props.logKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      description: `${props.description} PII scrub`,
    });

    for (const fn of [this.onEvent, this.isComplete]) {
      grantSecretRead(this.scrubKey, this.key, fn);
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'WriteEvidence', actions: ['s3:PutObject'], resources: [this.evidenceBucket.arnForObjects('*')] }),
      );
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'EncryptEvidence',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [this.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    this.acknowledgeFindings();
  }

  /** Acknowledgements of what the CDK provider framework creates without a hook for hardening. */
  private acknowledgeWaiter(): void {
    const waiter = this.provider.provider.node.tryFindChild('waiter-state-machine');
    if (!waiter) return;
    const stateMachine = waiter.node.tryFindChild('Resource');
    if (stateMachine) {
      (stateMachine as unknown as { tracingConfiguration?: unknown }).tracingConfiguration = { enabled: true };
    }
    const role = waiter.node.tryFindChild('Role') as iam.Role | undefined;
    role?.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'], resources: ['*'] }));
    const policy = role?.node.tryFindChild('DefaultPolicy');
    if (policy) {
      acknowledge(policy, [
        ...sameReason(
          ['HIPAA.Security-IAMNoInlinePolicy', 'NIST.800.53.R5-IAMNoInlinePolicy'],
          'Role of the provider framework\'s waiter state machine, built inside aws-cdk-lib without a hook for a managed policy: it may only invoke the framework\'s own isComplete and timeout functions and write to the framework\'s log group.',
        ),
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'Waiter state machine: CloudWatch Logs delivery actions (CreateLogDelivery and friends) and X-Ray trace uploads support no resource-level permissions.',
        },
        ...this.provider.provider.node
          .findAll()
          .filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction && /framework-(isComplete|onTimeout)/.test(c.node.path))
          .map((fn) => ({
            id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn)}.Arn>:*]`,
            reason: 'The waiter invokes the framework\'s own isComplete and timeout functions; the :* suffix covers their versions and aliases only.',
          })),
      ]);
    }
  }

  /**
   * Scrubs one database after it exists (and after `after`, e.g. its account reset). Returns the
   * custom resource: its `EvidenceKey` attribute is the S3 key of the run's evidence.
   */
  scrub(id: string, database: ScrubbableDatabase, options: { readonly rulesYaml: string; readonly after?: Construct[] }): CustomResource {
    for (const fn of [this.onEvent, this.isComplete]) {
      grantSecretRead(database.masterSecret, database.key, fn);
      database.allowMySqlFrom(fn, 'PII scrub job');
    }
    const resource = new CustomResource(this, id, {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::ClinSparkPiiScrub',
      properties: {
        DatabaseSecretArn: database.masterSecret.secretArn,
        DatabaseName: database.databaseName,
        KeySecretArn: this.scrubKey.secretArn,
        RulesYaml: options.rulesYaml,
        EvidenceBucket: this.evidenceBucket.bucketName,
        EvidenceKeyPrefix: `${id.toLowerCase()}/`,
        BatchSize: String(this.batchSize),
      },
    });
    for (const dependency of options.after ?? []) resource.node.addDependency(dependency);
    return resource;
  }

  private acknowledgeFindings(): void {
    this.acknowledgeWaiter();
    acknowledge(this.scrubKey, sameReason(
      ['AwsSolutions-SMG4', 'HIPAA.Security-SecretsManagerRotationEnabled', 'NIST.800.53.R5-SecretsManagerRotationEnabled'],
      'The scrub HMAC key must stay the same for the whole run of one refresh (pseudonyms stay joinable across tables); each refresh of VAL generates a new key instead of rotating this one, and only the scrub functions can read it.',
    ));
    for (const fn of [this.onEvent, this.isComplete]) {
      acknowledge(fn.role.permissions, [
        {
          id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.evidenceBucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
          reason: 'The scrub writes one evidence object per run and database (keys made of the database and run id) into its own evidence bucket; it cannot read, delete or list them.',
        },
      ]);
    }
    acknowledge(this.evidenceBucket, sameReason(
      ['HIPAA.Security-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3BucketReplicationEnabled'],
      'Scrub evidence is versioned and object-locked in this region and copied into the qualification record of the VAL environment; cross-region replication adds no control the retention policy needs.',
    ));
  }
}
