import * as crypto from 'crypto';
import { CfnWaitCondition } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ClinSparkPropsError } from '../core/errors';
import { ApplicationAccountOptions } from '../database/application-account';
import { ClinSparkDatabase, ClinSparkDatabaseProps } from '../database/clinspark-database';
import { PiiScrubJob, ScrubbedCopy } from '../pii-scrub/pii-scrub-job';
import { InstanceRole } from '../instance/instance-role';

/** Where a VAL database's data comes from. */
export type ValCopy =
  /** Aurora clone of the source cluster at its latest restorable time (same account and region). */
  | { readonly kind: 'clone'; readonly sourceClusterIdentifier: string; readonly refresh: string }
  /** Restore of a pinned cluster snapshot of the source. */
  | { readonly kind: 'snapshot'; readonly snapshotIdentifier: string };

export interface ValCloneProps extends Omit<ClinSparkDatabaseProps, 'source' | 'clusterIdentifier' | 'applicationAccount'> {
  /** Where the data comes from: a clone of the source cluster or one of its snapshots. */
  readonly copy: ValCopy;
  /**
   * Prefix of every name of this database, e.g. `clinspark-acme-val-main`: the VAL cluster is
   * `<prefix>-<hash>`, the staging copy `<prefix>-staging-<hash>`, the scrubbed snapshot
   * `<prefix>-scrubbed-<hash>`, where the hash is that of the copy and the rules (`runHash`), so
   * that a refresh creates new ones next to (then instead of) the old ones.
   */
  readonly clusterIdentifierPrefix: string;
  /** VAL instance role, e.g. `main`. */
  readonly role: InstanceRole;
  /** The environment's application-account custom resource (locks every account of the source). */
  readonly applicationAccount: Omit<ApplicationAccountOptions, 'lockOtherAccounts'>;
  /** The environment's PII scrub job (produces the scrubbed snapshot this database is restored from). */
  readonly scrubJob: PiiScrubJob;
  /** The scrub ruleset (YAML text). */
  readonly rulesYaml: string;
  /** Tags of the staging copy and the scrubbed snapshot (the environment's tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/** A short, stable hash of the copy's identity (snapshot identifier, or source and refresh label). */
export function copyHash(copy: ValCopy): string {
  const identity =
    copy.kind === 'snapshot' ? `snapshot:${copy.snapshotIdentifier}` : `clone:${copy.sourceClusterIdentifier}:${copy.refresh}`;
  return crypto.createHash('sha256').update(identity).digest('hex').slice(0, 6);
}

/**
 * The hash of one scrubbed copy: the copy's identity and the ruleset. A new refresh label, a new
 * pinned snapshot or changed rules is a new run: new staging copy, new scrubbed snapshot, new
 * wait condition, new VAL cluster (data scrubbed under rules other than the current ones is
 * never presented as scrubbed by them).
 */
export function runHash(copy: ValCopy, rulesYaml: string): string {
  const rules = crypto.createHash('sha256').update(rulesYaml).digest('hex');
  return crypto
    .createHash('sha256')
    .update(`${copyHash(copy)}:${rules}`)
    .digest('hex')
    .slice(0, 6);
}

/**
 * One VAL database. The source is never restored into anything the application or a person can
 * reach: the PII scrub job restores (pinned snapshot) or clones (latest restorable time) it into
 * a transient STAGING cluster that only the scrub function can reach, scrubs and verifies it,
 * snapshots it and deletes it (see PiiScrubJob). The VAL cluster is then restored from that
 * scrubbed snapshot, in VAL's network and encrypted with VAL's own key: its automated backups,
 * point-in-time window, AWS Backup recovery points and final snapshot only ever hold scrubbed
 * data. VAL's own credentials follow (the master password is replaced through the RDS API, the
 * application account and its rotation twin get VAL's secret, every other account stays locked).
 *
 * Refresh: a new run hash changes the cluster identifier and the snapshot it restores from, so
 * CloudFormation runs a new scrubbed copy, creates a new cluster from it, moves the application
 * secret to it, and then deletes the old cluster (final snapshot of scrubbed data, per the
 * catalog) and the old run (which deletes the old scrubbed snapshot).
 */
export class ValClone extends Construct {
  readonly database: ClinSparkDatabase;
  readonly copy: ScrubbedCopy;
  /** The wait condition the VAL cluster depends on (completes when the scrubbed snapshot exists). */
  readonly scrubbed: CfnWaitCondition;
  /** S3 key of this database's scrub evidence in the job's evidence bucket (a literal: it changes with a refresh). */
  readonly evidenceKey: string;
  readonly clusterIdentifier: string;
  readonly runHash: string;

  constructor(scope: Construct, id: string, props: ValCloneProps) {
    super(scope, id);
    const { copy, clusterIdentifierPrefix, scrubJob, rulesYaml, applicationAccount, role, tags, ...databaseProps } = props;
    if (rulesYaml.trim() === '')
      throw new ClinSparkPropsError(this, "'rulesYaml' is empty; a VAL database is never served without scrub rules");
    this.runHash = runHash(copy, rulesYaml);
    this.clusterIdentifier = `${clusterIdentifierPrefix}-${this.runHash}`;
    this.database = new ClinSparkDatabase(this, 'Database', {
      ...databaseProps,
      clusterIdentifier: this.clusterIdentifier,
      source: { kind: 'snapshot', snapshotIdentifier: `${clusterIdentifierPrefix}-scrubbed-${this.runHash}` },
      applicationAccount: { ...applicationAccount, lockOtherAccounts: true },
    });
    const capacity = databaseProps.capacity;
    this.copy = scrubJob.run(this, 'Scrub', {
      role,
      runHash: this.runHash,
      copy:
        copy.kind === 'clone'
          ? { kind: 'clone', sourceClusterIdentifier: copy.sourceClusterIdentifier }
          : { kind: 'snapshot', snapshotIdentifier: copy.snapshotIdentifier },
      identifierPrefix: clusterIdentifierPrefix,
      databaseKey: this.database.key,
      capacity:
        capacity.mode === 'serverless'
          ? { mode: 'serverless', minAcu: Math.max(0.5, capacity.minAcu), maxAcu: Math.max(2, capacity.maxAcu) }
          : { mode: 'provisioned', instanceClass: capacity.instanceClass },
      databaseName: this.database.databaseName,
      rulesYaml,
      tags,
    });
    if (this.copy.snapshotIdentifier !== `${clusterIdentifierPrefix}-scrubbed-${this.runHash}`)
      throw new Error(`${this.node.path}: the scrubbed snapshot identifier does not match the restore (an invariant of PiiScrubJob.run)`);
    this.scrubbed = this.copy.ready;
    // Nothing of the VAL cluster (cluster, instances, secret attachment, accounts) exists before the scrubbed snapshot.
    this.database.cluster.node.addDependency(this.scrubbed);
    this.evidenceKey = this.copy.evidenceKey;
  }
}
