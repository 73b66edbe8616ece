/**
 * The identifier of the pre-upgrade snapshot the data stack's snapshot custom resource takes
 * (constructs/lifecycle), as the upgrade plan predicts it, and the data-stack output that carries
 * it. Same rule as the construct: `<cluster>-pre-<new release>-from-<old release>`, or for an
 * engine change alone `<cluster>-pre-aurora-<new>-from-aurora-<old>`; lower case, every run of
 * other characters one hyphen, cut with a 6-character hash past 63 characters.
 *
 * DB cluster snapshot identifiers (RDS API Reference, CreateDBClusterSnapshot,
 * DBClusterSnapshotIdentifier): 1 to 63 letters, numbers or hyphens, first a letter, no trailing
 * hyphen, no two consecutive hyphens; stored in lower case.
 */
import { createHash } from 'crypto';

const MAX = 63;

function sanitise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function engineLabel(engineVersion: string): string {
  const m = /mysql_aurora\.(\d+\.\d+\.\d+)$/.exec(engineVersion);
  return m ? `aurora-${sanitise(m[1])}` : sanitise(engineVersion);
}

function bounded(prefix: string, rest: string): string {
  const full = `${prefix}${sanitise(rest)}`.replace(/-{2,}/g, '-').replace(/-+$/, '');
  if (full.length <= MAX) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 6);
  const cut = sanitise(rest)
    .slice(0, MAX - prefix.length - hash.length - 1)
    .replace(/-+$/, '');
  return `${prefix}${cut}-${hash}`.replace(/-{2,}/g, '-');
}

export interface UpgradeState {
  /** `<version>-b<build>` */
  readonly release: string;
  /** The DBCluster's EngineVersion, e.g. `8.0.mysql_aurora.3.12.0`. */
  readonly engineVersion: string;
}

export function preUpgradeSnapshotIdentifier(cluster: string, from: UpgradeState, to: UpgradeState): string {
  const prefix = `${cluster.toLowerCase()}-pre-`;
  if (from.release !== to.release) return bounded(prefix, `${to.release}-from-${from.release}`);
  return bounded(prefix, `${engineLabel(to.engineVersion)}-from-${engineLabel(from.engineVersion)}`);
}

/** The data-stack output of an instance's pre-upgrade snapshot: `MainPreUpgradeSnapshot`, `TestPreUpgradeSnapshot`. */
export function preUpgradeSnapshotOutput(role: string): string {
  return `${role.charAt(0).toUpperCase()}${role.slice(1)}PreUpgradeSnapshot`;
}
