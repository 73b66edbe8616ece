/**
 * The specification fingerprint of an environment: what exactly was built, and from what. The
 * same fingerprint is printed in the IQ report (section 3) and on both sides of an ECR, so an
 * ECR's "baseline" can be matched with the IQ (or the previous ECR) that approved it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../offline-app';
import { AssemblyEnvironment, specificationFiles } from './assembly';
import { canonicalJson, sha256, sha256File } from './canonical';

export interface FileHash {
  readonly file: string;
  readonly sha256: string;
}

export interface SpecificationFingerprint {
  /** SHA-256 over the list of templates and asset manifests with their SHA-256 (canonical JSON). */
  readonly specificationSha256: string;
  readonly files: readonly FileHash[];
  /** cdk-nag reviewer report of the synth (compliance/nag-report.json), when the assembly has one. */
  readonly complianceReport?: FileHash;
  /** Cloud assembly schema version of the manifest. */
  readonly assemblySchemaVersion?: string;
}

export interface BuildFingerprint {
  readonly gitCommit: string;
  /** Uncommitted changes under bin/, lib/, constructs/ or the fleet directory when the report was generated. */
  readonly gitWorkTreeModified: boolean;
  readonly libraryVersion: string;
  readonly awsCdkLibVersion: string;
  readonly cdkCliVersion: string;
  readonly nodeVersion: string;
}

export function specificationFingerprint(env: AssemblyEnvironment, assemblyDir: string): SpecificationFingerprint {
  const files = specificationFiles(env, assemblyDir);
  const nag = path.join(assemblyDir, 'compliance', 'nag-report.json');
  let schema: string | undefined;
  try {
    schema = (JSON.parse(fs.readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8')) as { version?: string }).version;
  } catch {
    schema = undefined;
  }
  return {
    specificationSha256: sha256(canonicalJson(files)),
    files,
    complianceReport: fs.existsSync(nag) ? { file: 'compliance/nag-report.json', sha256: sha256File(nag) } : undefined,
    assemblySchemaVersion: schema,
  };
}

function installedVersion(pkg: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'not installed';
  }
}

function git(args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function buildFingerprint(configDir?: string): BuildFingerprint {
  const paths = ['bin', 'lib', 'constructs', ...(configDir ? [path.relative(PROJECT_ROOT, path.resolve(configDir))] : [])].filter(
    (p) => p && !p.startsWith('..'),
  );
  const status = git(['status', '--porcelain', '--', ...paths]);
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    gitCommit: git(['rev-parse', 'HEAD']) ?? 'not a git checkout',
    gitWorkTreeModified: status === undefined ? false : status.length > 0,
    libraryVersion: pkg.version,
    awsCdkLibVersion: installedVersion('aws-cdk-lib'),
    cdkCliVersion: installedVersion('aws-cdk'),
    nodeVersion: process.versions.node,
  };
}

/**
 * The instant a document states as its generation time. Documents must be byte-identical for the
 * same input, so it is not the clock: `--generated-at`, else SOURCE_DATE_EPOCH (the reproducible-
 * builds convention), else the commit time of the checked-out commit.
 */
export function documentTime(explicit?: string): { iso: string; source: string } {
  if (explicit) {
    const t = Date.parse(explicit);
    if (Number.isNaN(t)) throw new Error(`--generated-at "${explicit}" is not an ISO 8601 date-time (e.g. 2026-12-01T09:00:00Z)`);
    return { iso: new Date(t).toISOString().replace('.000Z', 'Z'), source: '--generated-at' };
  }
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch))
    return { iso: new Date(Number(epoch) * 1000).toISOString().replace('.000Z', 'Z'), source: 'SOURCE_DATE_EPOCH' };
  const commitTime = git(['log', '-1', '--format=%ct']);
  if (commitTime && /^\d+$/.test(commitTime))
    return {
      iso: new Date(Number(commitTime) * 1000).toISOString().replace('.000Z', 'Z'),
      source: 'commit time of the checked-out commit',
    };
  return { iso: '1970-01-01T00:00:00Z', source: 'no clock source (not a git checkout; set SOURCE_DATE_EPOCH or --generated-at)' };
}
