/**
 * The fleet gate: a new cloud assembly compared with the committed, approved baseline of its
 * fleet by the ECR engine (lib/evidence/ecr.ts). A blocking change (a stateful resource replaced,
 * possibly replaced, destroyed or orphaned; IAM or security-group broadening in a change-controlled
 * environment) fails unless the baseline is updated in the same change, where reviewers see it.
 *
 * Where a fleet keeps its baseline: `baseline/<fleet directory>/` in the repository (the example
 * fleet `config/` -> `baseline/config/`): the fleet's templates and asset manifests and a trimmed
 * cloud-assembly manifest, exactly as `cdk synth` wrote them, so `clinspark ecr --baseline
 * baseline/config` reads it like any assembly and its fingerprints equal the IQ's.
 *
 *   npm run gate            synth the example fleet, then `clinspark ecr --baseline baseline/config` (exit 3 = blocking)
 *   npm run gate:update     synth, then rewrite baseline/config from cdk.out (review the diff)
 *
 * The stateful lock (config/stateful-lock.json, checked by `cdk synth`) stays the fast, narrow
 * check at synth time (logical ids and the create-only properties configuration reaches); this
 * gate is the complete one (the resource specification's replacement rules for every property of
 * every stateful resource, IAM and security groups) and produces the record a reviewer signs.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../offline-app';
import { readAssembly } from './assembly';
import { runEcr } from './ecr-run';

/** The committed baseline directory of the fleet in `configDir`. */
export function baselineDirFor(configDir: string, root = PROJECT_ROOT): string {
  const rel = path.relative(root, path.resolve(configDir));
  const name = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.basename(path.resolve(configDir));
  return path.join(root, 'baseline', name);
}

interface Manifest {
  version?: string;
  artifacts?: Record<string, { type: string; properties?: Record<string, unknown>; metadata?: unknown; [k: string]: unknown }>;
}

/**
 * Writes the baseline of an assembly: templates and asset manifests byte for byte, and the
 * manifest with only the stack and asset-manifest artifacts (without their construct metadata).
 * Files of stacks no longer in the assembly are removed.
 */
export function writeBaseline(assemblyDir: string, baselineDir: string): { stacks: number; files: string[] } {
  const assembly = readAssembly(assemblyDir);
  const manifest = JSON.parse(fs.readFileSync(path.join(assembly.dir, 'manifest.json'), 'utf8')) as Manifest;
  const keep: Manifest = { version: manifest.version, artifacts: {} };
  for (const [id, a] of Object.entries(manifest.artifacts ?? {}).sort(([x], [y]) => x.localeCompare(y))) {
    if (a.type !== 'aws:cloudformation:stack' && a.type !== 'cdk:asset-manifest') continue;
    // Of the metadata only the logical id -> construct path entries (the ECR's construct paths), inline.
    const { metadata: _metadata, additionalMetadataFile: _file, ...rest } = a;
    const stack = assembly.stacks.find((s) => s.stackName === ((rest.properties?.stackName as string | undefined) ?? id));
    const paths =
      stack && a.type === 'aws:cloudformation:stack'
        ? Object.fromEntries(
            Object.entries(stack.paths)
              .sort(([x], [y]) => x.localeCompare(y))
              .map(([logicalId, p]) => [`/${p}`, [{ type: 'aws:cdk:logicalId', data: logicalId }]]),
          )
        : undefined;
    keep.artifacts![id] = { ...rest, ...(paths ? { metadata: paths } : {}) };
  }
  fs.mkdirSync(baselineDir, { recursive: true });
  for (const f of fs.readdirSync(baselineDir)) if (/\.(template|assets)\.json$/.test(f)) fs.rmSync(path.join(baselineDir, f));
  const files: string[] = [];
  for (const s of assembly.stacks) {
    for (const f of [s.templateFile, ...(s.assetManifestFile ? [s.assetManifestFile] : [])]) {
      fs.copyFileSync(f, path.join(baselineDir, path.basename(f)));
      files.push(path.basename(f));
    }
  }
  fs.writeFileSync(path.join(baselineDir, 'manifest.json'), `${JSON.stringify(keep, null, 1)}\n`);
  fs.writeFileSync(
    path.join(baselineDir, 'README.md'),
    [
      '# Approved baseline of this fleet',
      '',
      'The templates and asset manifests of the fleet as last approved (deployed), written by',
      '`npx clinspark baseline` (`npm run gate:update` for the example fleet). `npm run gate` compares a new',
      'synth with it (`npx clinspark ecr --baseline <this directory>`) and fails on blocking findings; a',
      'change that is meant to be blocking updates this directory in the same commit, so that reviewers',
      'see it and the ECR is signed for it. Do not edit by hand.',
      '',
    ].join('\n'),
  );
  return { stacks: assembly.stacks.length, files };
}

/**
 * For `cdk synth` (bin/clinspark.ts): the blocking findings of the synthesised assembly against
 * the fleet's committed baseline, as printable lines; empty when there are none or the fleet has
 * no baseline. `customer` restricts the comparison like `-c customer=<slug>`.
 */
export function baselineGateProblems(assemblyDir: string, configDir: string, customer?: string): string[] {
  const baselineDir = baselineDirFor(configDir);
  if (!fs.existsSync(path.join(baselineDir, 'manifest.json'))) return [];
  const out = path.join(assemblyDir, 'ecr');
  const result = runEcr({ baselineDir, assemblyDir, customer, outDir: out });
  return result.blocking.map((f) => `[${f.rule}] ${f.message}`);
}
