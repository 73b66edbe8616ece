import * as crypto from 'crypto';
import * as path from 'path';
import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ClinSparkFunction } from '../core/clinspark-function';
import { ClinSparkProvider } from '../core/clinspark-provider';
import { ClinSparkPropsError } from '../core/errors';
import { grantSecretRead } from '../core/grants';
import type { ClinSparkDatabase } from '../database/clinspark-database';
import { MAX_VOLUNTEERS } from './seed/generator';

/**
 * The largest seed schema the job takes as a property, in UTF-8 bytes. The schema travels in the
 * custom resource's properties: it is part of the template (at most 1 MB when deployed from S3,
 * "CloudFormation quotas", AWS CloudFormation User Guide) and of the request CloudFormation sends
 * to the provider's Lambda function, asynchronously (at most 1 MB of payload, Lambda `Invoke` API
 * reference), which on Update carries it twice (ResourceProperties and OldResourceProperties).
 * 128 KiB per copy keeps both far inside, beside the rest of the data stack's template.
 */
export const MAX_SCHEMA_BYTES = 128 * 1024;

export interface SeedJobProps {
  /** The environment's VPC. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the function (they reach the databases and, through endpoints, Secrets Manager). */
  readonly subnets: ec2.SubnetSelection;
  /** Key of the function's log groups. */
  readonly logKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Short description for resource descriptions, e.g. "acme/sandbox". */
  readonly description: string;
}

/** What one database is seeded with. */
export interface DatabaseSeedOptions {
  /** Generator seed: the same seed gives the same volunteers. */
  readonly seed: string;
  /** Number of synthetic volunteers, 0..20000. */
  readonly volunteers: number;
  /** The seed schema's SQL (idempotent statements separated by `;`, no DELIMITER). */
  readonly schemaSql: string;
}

/**
 * The seed job of an environment: one function and provider, and a `Custom::ClinSparkSeed`
 * resource per database (`seed()`), which writes N synthetic volunteers (with contacts, visits and
 * lab results, as the schema allows) into the database's application schema, deterministically
 * from the seed (constructs/lifecycle/seed). The function connects as the master user (the seed
 * creates tables), from the application subnets, with MySQL access to that database only.
 *
 * The schema is a property (its text, and its SHA-256 so that `cdk diff` shows a change at a
 * glance), not an S3 asset: reviewable in the diff, and no S3 read path to the assets bucket from
 * the VPC; MAX_SCHEMA_BYTES bounds it.
 */
export class SeedJob extends Construct {
  readonly function: ClinSparkFunction;
  readonly provider: ClinSparkProvider;

  constructor(scope: Construct, id: string, props: SeedJobProps) {
    super(scope, id);
    this.function = new ClinSparkFunction(this, 'Function', {
      entry: path.join(__dirname, 'handler', 'seed.ts'),
      description: `ClinSpark ${props.description}: synthetic volunteers (seed job)`,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      logKey: props.logKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      // 20,000 volunteers (about 300,000 rows) are written in a few minutes at most.
      timeout: Duration.minutes(10),
    });
    this.provider = new ClinSparkProvider(this, 'Provider', {
      onEvent: this.function,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      logKey: props.logKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      description: `${props.description} seed job`,
    });
  }

  /**
   * Seeds `database` (after its application account exists: that resource creates the schema and,
   * for a restored copy, sets the master password the seed connects with). The resource is
   * created in the database's scope with the given id.
   */
  seed(database: ClinSparkDatabase, id: string, options: DatabaseSeedOptions): CustomResource {
    if (!Number.isInteger(options.volunteers) || options.volunteers < 0 || options.volunteers > MAX_VOLUNTEERS)
      throw new ClinSparkPropsError(
        this,
        `'volunteers' is ${options.volunteers}; give a whole number between 0 and ${MAX_VOLUNTEERS} (seed.volunteers)`,
      );
    if (options.seed.trim() === '') throw new ClinSparkPropsError(this, "'seed' is empty; give a generator seed (seed.seed)");
    const bytes = Buffer.byteLength(options.schemaSql, 'utf8');
    if (options.schemaSql.trim() === '') throw new ClinSparkPropsError(this, "'schemaSql' is empty; give the seed schema (seed.schema)");
    if (bytes > MAX_SCHEMA_BYTES)
      throw new ClinSparkPropsError(
        this,
        `'schemaSql' is ${bytes} bytes, more than ${MAX_SCHEMA_BYTES}; keep only the ` +
          `CREATE TABLE statements of the tables the seed writes ` +
          '(docs/lifecycle-data.md, "Pointing the seed at the ClinSpark schema")',
      );
    const resource = new CustomResource(database, id, {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::ClinSparkSeed',
      properties: {
        MasterSecretArn: database.masterSecret.secretArn,
        DatabaseName: database.databaseName,
        // A Ref: a Community wipe (new cluster identifier) is an Update, and the new cluster is seeded.
        ClusterIdentifier: database.cluster.clusterIdentifier,
        Seed: options.seed,
        Volunteers: String(options.volunteers),
        Schema: options.schemaSql,
        SchemaSha256: crypto.createHash('sha256').update(options.schemaSql, 'utf8').digest('hex'),
      },
    });
    resource.node.addDependency(database.cluster);
    if (database.applicationAccount) resource.node.addDependency(database.applicationAccount);
    grantSecretRead(database.masterSecret, database.key, this.function);
    database.allowMySqlFrom(this.function, 'seed job');
    return resource;
  }
}
