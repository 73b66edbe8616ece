/**
 * Aurora MySQL engine versions: the ones aws-cdk-lib knows (its AuroraMysqlEngineVersion.VER_*
 * members, each carrying AWS's full version string such as `8.0.mysql_aurora.3.12.0`), so a
 * configured version is checked against the same list the construct is typed against.
 */
import * as rds from 'aws-cdk-lib/aws-rds';

export interface EngineVersion {
  /** The Aurora version as configured, e.g. "3.12.0". */
  readonly version: string;
  /** AWS's engine version string (the DBCluster's EngineVersion), e.g. "8.0.mysql_aurora.3.12.0". */
  readonly fullVersion: string;
  /** The Aurora major version, e.g. "3" (a change of it is a major upgrade). */
  readonly major: string;
  readonly cdk: rds.AuroraMysqlEngineVersion;
}

let known: Map<string, EngineVersion> | undefined;

/** Every Aurora MySQL version of aws-cdk-lib, keyed by "3.12.0". */
export function knownEngineVersions(): ReadonlyMap<string, EngineVersion> {
  if (known) return known;
  known = new Map();
  for (const value of Object.values(rds.AuroraMysqlEngineVersion)) {
    if (!(value instanceof rds.AuroraMysqlEngineVersion)) continue;
    const full = value.auroraMysqlFullVersion;
    const m = /^\d+\.\d+\.mysql_aurora\.((\d+)\.\d+\.\d+)$/.exec(full);
    if (!m) continue;
    known.set(m[1], { version: m[1], fullVersion: full, major: m[2], cdk: value });
  }
  return known;
}

export function engineVersion(version: string): EngineVersion | undefined {
  return knownEngineVersions().get(version);
}

/** The Aurora major version of an EngineVersion string ("8.0.mysql_aurora.3.12.0" -> "3"), if it is one. */
export function majorOfFullVersion(full: string): string | undefined {
  return /^\d+\.\d+\.mysql_aurora\.(\d+)\.\d+\.\d+$/.exec(full)?.[1];
}
