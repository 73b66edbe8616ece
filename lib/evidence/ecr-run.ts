/**
 * `clinspark ecr` without the CLI around it: compare a baseline assembly with a candidate, write
 * one ECR per changed environment (`<out>/<owner>/<environment>/ecr.md|html|json`) and an index
 * (`<out>/index.md|json`), and return the blocking findings. The fleet gate (lib/evidence/gate.ts)
 * runs the same function.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DescribeChangeSetOutput } from '@aws-cdk/cloudformation-diff';
import { AssemblyEnvironment, environmentsOf, readAssembly } from './assembly';
import { sha256, stableJson } from './canonical';
import { writeText } from './document';
import { EnvironmentSpec } from '../environments';
import { releasesOf } from '../lifecycle/deployed-state';
import { EcrRecord, EmergencyHotfix, Finding, buildEcr, recordSha256 } from './ecr';
import { ecrDocument } from './ecr-document';
import { loadSpecs } from './environment-select';
import { buildFingerprint, specificationFingerprint } from './fingerprint';

export interface EcrOptions {
  readonly baselineDir: string;
  readonly assemblyDir: string;
  readonly customer?: string;
  /** stack name -> describe-change-set JSON file */
  readonly changeSetFiles?: ReadonlyMap<string, string>;
  readonly outDir: string;
  /**
   * Fleet directory of the candidate: environments that declare `emergencyHotfix` and whose
   * candidate stacks run the configured release get the override in their record. Unreadable or
   * invalid: an error when given explicitly, ignored for the default (`configOptional`).
   */
  readonly configDir?: string;
  readonly configOptional?: boolean;
}

export interface EcrResult {
  readonly records: readonly { readonly record: EcrRecord; readonly dir: string; readonly sha256: string }[];
  readonly unchanged: readonly string[];
  readonly blocking: readonly (Finding & { readonly environment: string })[];
}

/** Problems of the inputs that are not usage: exit code 1. */
export class EcrInputError extends Error {}

function label(dir: string): string {
  const rel = path.relative(process.cwd(), path.resolve(dir));
  return rel === '' ? '.' : rel.startsWith('..') ? path.resolve(dir) : rel;
}

export function readChangeSet(stack: string, file: string): { file: string; sha256: string; json: DescribeChangeSetOutput } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new EcrInputError(
      `--change-set ${stack}=${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let json: { Changes?: unknown; StackName?: string };
  try {
    json = JSON.parse(text) as { Changes?: unknown; StackName?: string };
  } catch (e) {
    throw new EcrInputError(
      `--change-set ${stack}=${file}: not JSON (${(e as Error).message}); give the ` +
        `output of \`aws cloudformation describe-change-set --stack-name ${stack} ` +
        `--change-set-name <name> --output json\``,
    );
  }
  if (!json || typeof json !== 'object' || !Array.isArray(json.Changes)) {
    throw new EcrInputError(
      `--change-set ${stack}=${file}: no "Changes" array, so this is not the output of \`aws cloudformation describe-change-set\``,
    );
  }
  if (json.StackName && json.StackName !== stack && !String(json.StackName).includes(`:stack/${stack}/`)) {
    throw new EcrInputError(`--change-set ${stack}=${file}: the change set is for stack ${json.StackName}, not ${stack}`);
  }
  return { file: label(file), sha256: sha256(text), json: json as DescribeChangeSetOutput };
}

/** Per environment id: its emergencyHotfix, if the candidate environment runs the configured release. */
function emergencyHotfixes(options: EcrOptions): Map<string, (env: AssemblyEnvironment) => EmergencyHotfix | undefined> {
  const out = new Map<string, (env: AssemblyEnvironment) => EmergencyHotfix | undefined>();
  if (!options.configDir || (options.configOptional && !fs.existsSync(options.configDir))) return out;
  let specs: EnvironmentSpec[];
  try {
    specs = loadSpecs(options.configDir).specs;
  } catch (e) {
    if (options.configOptional) return out;
    throw new EcrInputError(`--config ${options.configDir}: ${(e as Error).message}`);
  }
  for (const spec of specs) {
    const hotfix = spec.lifecycle.emergencyHotfix;
    if (!hotfix) continue;
    const release = spec.release.imageTag;
    out.set(spec.id, (env) =>
      env.stacks.some((s) => releasesOf(s).includes(release)) ? { release, reason: hotfix.reason, reference: hotfix.reference } : undefined,
    );
  }
  return out;
}

export function runEcr(options: EcrOptions): EcrResult {
  const baseline = readAssembly(options.baselineDir);
  const candidate = readAssembly(options.assemblyDir);
  const only = (envs: AssemblyEnvironment[]) => (options.customer ? envs.filter((e) => e.owner === options.customer) : envs);
  const before = only(environmentsOf(baseline));
  const after = only(environmentsOf(candidate));
  if (options.customer && before.length === 0 && after.length === 0) {
    const known = [...new Set([...environmentsOf(baseline), ...environmentsOf(candidate)].map((e) => e.owner))].sort();
    throw new EcrInputError(
      `--customer ${options.customer}: no stack of that customer in ` +
        `${label(options.baselineDir)} or ${label(options.assemblyDir)}; customers ` +
        `there: ${known.join(', ') || 'none'}`,
    );
  }
  const changeSets = new Map<string, ReturnType<typeof readChangeSet>>();
  for (const [stack, file] of options.changeSetFiles ?? []) {
    if (!after.some((e) => e.stacks.some((s) => s.stackName === stack))) {
      throw new EcrInputError(
        `--change-set ${stack}=${file}: no stack ${stack} in the candidate assembly ` +
          `${label(options.assemblyDir)}${options.customer ? ` for customer ${options.customer}` : ''}`,
      );
    }
    changeSets.set(stack, readChangeSet(stack, file));
  }
  const hotfixes = emergencyHotfixes(options);
  const git = buildFingerprint();
  const ids = [...new Set([...before, ...after].map((e) => e.id))].sort();
  const records: { record: EcrRecord; dir: string; sha256: string }[] = [];
  const unchanged: string[] = [];
  fs.mkdirSync(options.outDir, { recursive: true });
  for (const id of ids) {
    const b = before.find((e) => e.id === id);
    const a = after.find((e) => e.id === id);
    const record = buildEcr({
      baseline: b,
      candidate: a,
      baselineLabel: label(options.baselineDir),
      candidateLabel: label(options.assemblyDir),
      baselineFingerprint: b && specificationFingerprint(b, baseline.dir),
      candidateFingerprint: a && specificationFingerprint(a, candidate.dir),
      gitCommit: git.gitCommit,
      changeSets,
      emergencyHotfix: a ? hotfixes.get(a.id)?.(a) : undefined,
    });
    if (
      record.resources.length === 0 &&
      record.otherTemplateChanges.length === 0 &&
      record.iam.length === 0 &&
      record.securityGroups.length === 0
    ) {
      unchanged.push(id);
      continue;
    }
    const dir = path.join(options.outDir, ...id.split('/'));
    const doc = ecrDocument(record);
    writeText(dir, 'ecr', doc);
    const sha = recordSha256(record);
    fs.writeFileSync(
      path.join(dir, 'ecr.json'),
      stableJson({
        record,
        recordSha256: sha,
        recordSha256Of: 'canonical JSON of "record": keys sorted, no whitespace (jq -cjS .record ecr.json | sha256sum)',
      }),
    );
    records.push({ record, dir, sha256: sha });
  }
  const blocking = records.flatMap((r) =>
    r.record.blocking.map((f) => ({ ...f, environment: `${r.record.customer}/${r.record.environment}` })),
  );
  const index = {
    baseline: label(options.baselineDir),
    candidate: label(options.assemblyDir),
    customer: options.customer ?? null,
    records: records.map((r) => ({
      environment: `${r.record.customer}/${r.record.environment}`,
      ecrId: r.record.ecrId,
      kind: r.record.kind,
      scope: r.record.scope,
      resourcesChanged: r.record.resources.length,
      blocking: r.record.blocking.length,
      recordSha256: r.sha256,
      dir: path.relative(options.outDir, r.dir),
    })),
    unchanged,
    blocking: blocking.length,
  };
  fs.writeFileSync(path.join(options.outDir, 'index.json'), stableJson(index));
  const md = [
    '# Environment Change Records',
    '',
    `Baseline: ${index.baseline}; candidate: ${index.candidate}${options.customer ? `; customer: ${options.customer}` : ''}.`,
    '',
    '| Environment | ECR | Kind | Scope | Resources changed | Blocking | Record SHA-256 |',
    '|---|---|---|---|---|---|---|',
    ...index.records.map(
      (r) => `| ${r.environment} | ${r.ecrId} | ${r.kind} | ${r.scope} | ${r.resourcesChanged} | ${r.blocking} | ${r.recordSha256} |`,
    ),
    '',
    `Unchanged: ${unchanged.join(', ') || 'none'}.`,
    '',
  ];
  fs.writeFileSync(path.join(options.outDir, 'index.md'), md.join('\n'));
  return { records, unchanged, blocking };
}
