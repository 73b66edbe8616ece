/**
 * Names of the lifecycle snapshots, shared by the snapshot handler (which takes them), the
 * constructs (which grant on them) and the ECR (which predicts them): pure functions, no SDK, no
 * aws-cdk-lib (the handler bundles this file).
 *
 * DB cluster snapshot identifiers (RDS API Reference, CreateDBClusterSnapshot,
 * DBClusterSnapshotIdentifier, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBClusterSnapshot.html):
 * "Must contain from 1 to 63 letters, numbers, or hyphens. First character must be a letter.
 * Can't end with a hyphen or contain two consecutive hyphens." The parameter "is stored as a
 * lowercase string", so names are built in lower case (what DescribeDBClusterSnapshots returns).
 */
import { createHash } from 'crypto';

/** The custom resource type of the lifecycle snapshots (the ECR finds them by it). */
export const CLUSTER_SNAPSHOT_RESOURCE_TYPE = 'Custom::ClinSparkClusterSnapshot';

/** Longest DB cluster snapshot identifier (CreateDBClusterSnapshot, DBClusterSnapshotIdentifier). */
export const MAX_SNAPSHOT_IDENTIFIER_LENGTH = 63;

/** The infix of every pre-upgrade snapshot: `<cluster>-pre-...` (IAM grants on `<cluster>-pre-*`). */
export const PRE_UPGRADE_INFIX = '-pre-';

/** The suffix of the go-live snapshot of Pre-PROD Main: `<source cluster>-golive` (IAM grants on it exactly). */
export const GO_LIVE_SUFFIX = '-golive';

/** Stands for "no snapshot was taken" (a new cluster had no data to keep): the attribute and the stack output then say this. */
export const NO_SNAPSHOT = 'none';

/** What the snapshot protects against: the release (image tag) and the Aurora engine version (EngineVersion). */
export interface UpgradeState {
  /** `<version>-b<build>`, e.g. `2026.1.0-b2410`. */
  readonly release: string;
  /** The DBCluster's EngineVersion, e.g. `8.0.mysql_aurora.3.12.0`. */
  readonly engineVersion: string;
}

/** Is `id` a valid DB cluster snapshot identifier (the rules quoted above)? */
export function isSnapshotIdentifier(id: string): boolean {
  return (
    id.length >= 1 && id.length <= MAX_SNAPSHOT_IDENTIFIER_LENGTH && /^[a-z][a-z0-9-]*$/.test(id) && !id.endsWith('-') && !id.includes('--')
  );
}

/** Lower case, every run of other characters as one hyphen, no leading or trailing hyphen: `2026.1.0-b2410` -> `2026-1-0-b2410`. */
export function sanitiseLabel(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The short form of an engine version in a name: `8.0.mysql_aurora.3.12.0` -> `aurora-3-12-0` (other text: sanitised). */
export function engineLabel(engineVersion: string): string {
  const m = /mysql_aurora\.(\d+\.\d+\.\d+)$/.exec(engineVersion);
  return m ? `aurora-${sanitiseLabel(m[1])}` : sanitiseLabel(engineVersion);
}

/**
 * `<prefix><rest>` as a valid identifier: sanitised, and when longer than 63 characters, `rest`
 * is cut and a 6-character hash of the whole uncut name is appended (so two long names never
 * meet). `prefix` is kept whole (IAM grants on it); it must be a valid identifier start.
 */
export function boundedIdentifier(prefix: string, rest: string): string {
  const full = `${prefix}${sanitiseLabel(rest)}`.replace(/-{2,}/g, '-').replace(/-+$/, '');
  if (full.length <= MAX_SNAPSHOT_IDENTIFIER_LENGTH) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 6);
  const room = MAX_SNAPSHOT_IDENTIFIER_LENGTH - prefix.length - hash.length - 1;
  if (room < 1)
    throw new Error(`snapshot name prefix '${prefix}' leaves no room for a name (${MAX_SNAPSHOT_IDENTIFIER_LENGTH} characters at most)`);
  const cut = sanitiseLabel(rest).slice(0, room).replace(/-+$/, '');
  return `${prefix}${cut}-${hash}`.replace(/-{2,}/g, '-');
}

/**
 * The pre-upgrade snapshot of `cluster` when it moves from `from` to `to`:
 * - a release change: `<cluster>-pre-<new release>-from-<old release>`;
 * - an engine change only: `<cluster>-pre-<new engine>-from-<old engine>` (`aurora-3-12-0`);
 * - no known old state (the snapshot resource is added to a deployed stack): `<cluster>-pre-<new release>-from-deployed`.
 * Sanitised to the identifier rules. Longer than 63 characters: `<cluster>-pre-<new>-<hash>` (the
 * hash is of the whole name; the old state is in the snapshot's tags), or if even that is too
 * long, the whole name cut and hashed.
 */
export function preUpgradeSnapshotIdentifier(cluster: string, from: UpgradeState | undefined, to: UpgradeState): string {
  const prefix = `${cluster.toLowerCase()}${PRE_UPGRADE_INFIX}`;
  const [next, previous] = !from
    ? [to.release, 'deployed']
    : from.release !== to.release
      ? [to.release, from.release]
      : [engineLabel(to.engineVersion), engineLabel(from.engineVersion)];
  const rest = `${next}-from-${previous}`;
  const full = `${prefix}${sanitiseLabel(rest)}`;
  if (full.length <= MAX_SNAPSHOT_IDENTIFIER_LENGTH) return full;
  // Too long: the new state and a hash of the whole name (the old state is in the snapshot's tags).
  const short = `${prefix}${sanitiseLabel(next)}-${createHash('sha256').update(full).digest('hex').slice(0, 6)}`;
  return short.length <= MAX_SNAPSHOT_IDENTIFIER_LENGTH ? short : boundedIdentifier(prefix, rest);
}

/** Does the release or the engine differ (the condition for a pre-upgrade snapshot)? */
export function isUpgrade(from: UpgradeState, to: UpgradeState): boolean {
  return from.release !== to.release || from.engineVersion !== to.engineVersion;
}

/** The go-live snapshot of Pre-PROD Main (`fromPreprod: clone`): `<source cluster>-golive`. */
export function goLiveSnapshotIdentifier(sourceCluster: string): string {
  return `${sourceCluster.toLowerCase()}${GO_LIVE_SUFFIX}`;
}
