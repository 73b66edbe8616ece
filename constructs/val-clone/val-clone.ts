import * as crypto from 'crypto';
import { CustomResource } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ClinSparkPropsError } from '../core/errors';
import { ApplicationAccountOptions, ClinSparkDatabase, ClinSparkDatabaseProps } from '../database/clinspark-database';
import { PiiScrubJob } from '../pii-scrub/pii-scrub-job';

/** Where a VAL database's data comes from. */
export type ValCopy =
  /** Aurora clone of the source cluster at its latest restorable time (same account and region). */
  | { readonly kind: 'clone'; readonly sourceClusterIdentifier: string; readonly refresh: string }
  /** Restore of a pinned cluster snapshot of the source. */
  | { readonly kind: 'snapshot'; readonly snapshotIdentifier: string };

export interface ValCloneProps extends Omit<ClinSparkDatabaseProps, 'source' | 'clusterIdentifier' | 'applicationAccount'> {
  readonly copy: ValCopy;
  /**
   * Prefix of the cluster identifier, e.g. `clinspark-acme-val-main`; a short hash of the copy's
   * identity is appended, so that a refresh creates a new cluster next to (then instead of) the
   * old one instead of failing on a name that is still in use.
   */
  readonly clusterIdentifierPrefix: string;
  /** The environment's application-account custom resource (locks every account of the source). */
  readonly applicationAccount: Omit<ApplicationAccountOptions, 'lockOtherAccounts'>;
  readonly scrubJob: PiiScrubJob;
  /** The scrub ruleset (YAML text). */
  readonly rulesYaml: string;
}

/** A short, stable hash of the copy's identity (snapshot identifier, or source and refresh label). */
export function copyHash(copy: ValCopy): string {
  const identity = copy.kind === 'snapshot' ? `snapshot:${copy.snapshotIdentifier}` : `clone:${copy.sourceClusterIdentifier}:${copy.refresh}`;
  return crypto.createHash('sha256').update(identity).digest('hex').slice(0, 6);
}

/**
 * One VAL database: a restore (pinned snapshot) or Aurora clone (latest restorable time) of the
 * source database, in VAL's own network and encrypted with VAL's own key, with VAL's own
 * credentials (the master password is replaced, the application account gets VAL's secret and
 * every other account of the source is locked), then scrubbed by the PII scrub job. Nothing that
 * depends on `scrub` exists before the scrub has succeeded and been verified.
 *
 * Refresh: a new snapshot identifier (or a new refresh label for clones) changes the cluster
 * identifier, so CloudFormation creates a new cluster from the new copy, scrubs it, moves the
 * application to it, and then deletes the old cluster (with a final snapshot, per the catalog).
 */
export class ValClone extends Construct {
  readonly database: ClinSparkDatabase;
  readonly scrub: CustomResource;
  /** S3 key of this database's scrub evidence in the job's evidence bucket. */
  readonly evidenceKey: string;
  readonly clusterIdentifier: string;

  constructor(scope: Construct, id: string, props: ValCloneProps) {
    super(scope, id);
    const { copy, clusterIdentifierPrefix, scrubJob, rulesYaml, applicationAccount, ...databaseProps } = props;
    if (rulesYaml.trim() === '') throw new ClinSparkPropsError(this, "'rulesYaml' is empty; a VAL database is never served without scrub rules");
    this.clusterIdentifier = `${clusterIdentifierPrefix}-${copyHash(copy)}`;
    this.database = new ClinSparkDatabase(this, 'Database', {
      ...databaseProps,
      clusterIdentifier: this.clusterIdentifier,
      source: copy.kind === 'snapshot' ? { kind: 'snapshot', snapshotIdentifier: copy.snapshotIdentifier } : { kind: 'pointInTime', sourceClusterIdentifier: copy.sourceClusterIdentifier },
      applicationAccount: { ...applicationAccount, lockOtherAccounts: true },
    });
    if (!this.database.accountResource) throw new ClinSparkPropsError(this, 'the restored database has no account resource');
    this.scrub = scrubJob.scrub(`${id}Scrub`, this.database, { rulesYaml, after: [this.database.accountResource] });
    this.evidenceKey = this.scrub.getAttString('EvidenceKey');
  }
}
