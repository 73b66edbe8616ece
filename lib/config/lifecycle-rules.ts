/**
 * Lifecycle rules: releases and the release ledger, validated-before-PROD, the engine pin, go-live,
 * seed schemas and VAL validation windows (README "Lifecycle of a customer").
 *
 * They run on files whose shape is valid (a broken file's problems are reported by the shape check
 * already) and report errors, which stop validation and synthesis, and warnings, which `validate`
 * prints (and `validate --strict`, for CI, fails on).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CATALOG } from '../catalog';
import { engineVersion, knownEngineVersions } from '../engine';
import { imageTag, stackName } from '../naming';
import { LOCK_FILE, StatefulLock, inspectStatefulLock } from '../stateful-lock-file';
import { readConfigFile } from './files';
import { ConfigIssue, PathSegment } from './issues';
import type { SourceFile } from './issues';
import { CustomerConfig, EnvironmentKind, EnvironmentOverrides, PlatformConfig, Release } from './model';
import { LEDGER_FILE, ReleaseLedger, ledgerEntryOf, validationRecordOf } from './releases';

export interface LifecycleContext {
  readonly configDir: string;
  /** Texts of referenced files (seed schemas), for resolution to reuse. */
  readonly texts?: Map<string, string>;
  readonly customers: readonly SourceFile<CustomerConfig>[];
  readonly platform?: SourceFile<PlatformConfig>;
  /** The release ledger file, when the fleet has one. */
  readonly ledger?: SourceFile<ReleaseLedger>;
  /** Stack names the fleet's stateful lock records, i.e. stacks that are deployed. */
  readonly deployedStacks: ReadonlySet<string>;
  /** The stateful lock itself (stack -> logical id -> entry), when the fleet has one. */
  readonly lock?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Today (UTC), "YYYY-MM-DD": the end of a VAL validation window is compared with it. */
  readonly today: string;
}

interface Env {
  readonly file: string;
  readonly owner: string;
  readonly kind: EnvironmentKind;
  readonly name: string;
  readonly path: PathSegment[];
  readonly overrides: EnvironmentOverrides;
  readonly release: Release;
  /** Where the release is written: the environment's own, or the owner's default. */
  readonly releasePath: PathSegment[];
}

function environments(ctx: LifecycleContext): Env[] {
  const out: Env[] = [];
  for (const f of ctx.customers) {
    const c = f.value;
    if (!c) continue;
    for (const [kind, overrides] of Object.entries(c.environments) as Array<[EnvironmentKind, EnvironmentOverrides | undefined]>) {
      if (!overrides) continue;
      const own = overrides.release !== undefined;
      out.push({
        file: f.file,
        owner: c.slug,
        kind,
        name: kind,
        path: ['environments', kind],
        overrides,
        release: overrides.release ?? c.release,
        releasePath: own ? ['environments', kind, 'release'] : ['release'],
      });
    }
  }
  const p = ctx.platform?.value;
  if (ctx.platform && p) {
    (p.demos ?? []).forEach((d, i) =>
      out.push({
        file: ctx.platform!.file,
        owner: 'platform',
        kind: 'demo',
        name: `demo-${d.name}`,
        path: ['demos', i],
        overrides: d,
        release: d.release ?? p.release,
        releasePath: d.release ? ['demos', i, 'release'] : ['release'],
      }),
    );
    if (p.community)
      out.push({
        file: ctx.platform.file,
        owner: 'platform',
        kind: 'community',
        name: 'community',
        path: ['community'],
        overrides: p.community,
        release: p.community.release ?? p.release,
        releasePath: p.community.release ? ['community', 'release'] : ['release'],
      });
  }
  return out;
}

export function runLifecycleRules(ctx: LifecycleContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const error = (file: string, p: PathSegment[], message: string) => issues.push({ file, path: p, message });
  const warn = (file: string, p: PathSegment[], message: string) => issues.push({ file, path: p, message, severity: 'warning' });
  const envs = environments(ctx);
  const ledger = ctx.ledger?.value;

  // The ledger itself: unique releases, hotfixes after their release, records of known releases and customers.
  if (ctx.ledger && ledger) {
    const f = ctx.ledger.file;
    const seen = new Map<string, number>();
    ledger.releases.forEach((r, i) => {
      const t = imageTag(r);
      const prior = seen.get(t);
      if (prior !== undefined) error(f, ['releases', i], `${t} is already listed as releases[${prior}]; list each build once`);
      else seen.set(t, i);
      const earlier = ledger.releases.findIndex((o, j) => j !== i && o.version === r.version && Number(o.build) < Number(r.build));
      if (earlier >= 0 && ledger.releases[earlier].date > r.date)
        error(
          f,
          ['releases', i, 'date'],
          `hotfix build ${r.build} of ${r.version} is dated ${r.date}, before build ` +
            `${ledger.releases[earlier].build} (${ledger.releases[earlier].date}); a hotfix ` +
            `is a later build: check the date`,
        );
    });
    // Slugs also of customer files whose shape failed (their own problems are reported already).
    const slugOf = (c: SourceFile<CustomerConfig>): unknown =>
      c.value?.slug ?? (c.raw !== null && typeof c.raw === 'object' ? (c.raw as { slug?: unknown }).slug : undefined);
    const slugs = new Set(ctx.customers.map(slugOf).filter((s): s is string => typeof s === 'string'));
    for (const [slug, entry] of Object.entries(ledger.customers ?? {})) {
      if (!slugs.has(slug))
        warn(
          f,
          ['customers', slug],
          `'${slug}' is not a customer of this fleet (no customers/${slug}.yaml); remove the entry or fix the slug`,
        );
      entry.validated.forEach((rec, i) => {
        if (!seen.has(rec.release))
          error(
            f,
            ['customers', slug, 'validated', i, 'release'],
            `${rec.release} is not a release of this ledger; add it under releases (version, build, date, notes) or fix the tag`,
          );
        const released = ledger.releases.find((r) => imageTag(r) === rec.release);
        if (released && rec.val.end < released.date)
          error(
            f,
            ['customers', slug, 'validated', i, 'val', 'end'],
            `the validation of ${rec.release} ends ${rec.val.end}, before the release date ` +
              `${released.date}; a release is validated after it is released`,
          );
      });
    }
  } else if (!ctx.ledger && envs.length > 0) {
    warn(
      LEDGER_FILE,
      [],
      'the fleet has no release ledger, so releases and the validation of PROD ' +
        'releases in VAL are not checked; create releases.yaml (README "Releases and the ' +
        'release ledger")',
    );
  }

  for (const env of envs) {
    const policy = CATALOG[env.kind];
    const t = imageTag(env.release);
    // Releases come from the ledger.
    if (ledger) {
      const entry = ledgerEntryOf(ledger, env.release);
      if (!entry) {
        error(
          env.file,
          env.releasePath,
          `${env.name} runs ${t}, which is not in the release ledger ${LEDGER_FILE}; add { ` +
            `version: "${env.release.version}", build: ${env.release.build}, date, notes } ` +
            `under releases, or use a released build`,
        );
      } else if (entry.digest && env.release.digest && entry.digest !== env.release.digest) {
        error(
          env.file,
          [...env.releasePath, 'digest'],
          `is ${env.release.digest}, but the ledger records ${entry.digest} for ${t}; run ` +
            `the released image (fix the digest here or in ${LEDGER_FILE})`,
        );
      }
      // Validated before PROD.
      if (policy.lifecycle.requiresValidatedRelease) {
        const record = validationRecordOf(ledger, env.owner, env.release);
        const hotfix = env.overrides.emergencyHotfix;
        if (!record && !hotfix)
          error(
            env.file,
            env.releasePath,
            `${policy.title} may run ${t} only after a VAL of ${env.owner} has recorded its ` +
              `validation: ${LEDGER_FILE} has no customers.${env.owner}.validated entry with ` +
              `release "${t}"; record { release: "${t}", val: { start, end }, reference } once ` +
              `VAL accepted it, or declare ${[...env.path, 'emergencyHotfix'].join('.')} { ` +
              `reason, reference } for an emergency change`,
          );
        if (record && hotfix)
          warn(
            env.file,
            [...env.path, 'emergencyHotfix'],
            `${t} now has a recorded validation (${record.reference}); remove emergencyHotfix so the reports no longer show an override`,
          );
      }
    }
    if (env.overrides.emergencyHotfix && !policy.lifecycle.requiresValidatedRelease)
      error(
        env.file,
        [...env.path, 'emergencyHotfix'],
        `${policy.title} needs no validated release, so there is nothing to override; remove emergencyHotfix`,
      );

    // The engine pin.
    const engine = env.overrides.engine;
    if (engine?.version !== undefined) {
      const known = engineVersion(engine.version);
      if (!known) {
        const latest = [...knownEngineVersions().keys()].filter((v) => v.startsWith(`${policy.engineVersion.split('.')[0]}.`)).slice(-5);
        error(
          env.file,
          [...env.path, 'engine', 'version'],
          `'${engine.version}' is not an Aurora MySQL version this library knows ` +
            `(aws-cdk-lib AuroraMysqlEngineVersion); recent ones: ${latest.join(', ')}`,
        );
      } else {
        const catalogMajor = policy.engineVersion.split('.')[0];
        if (known.major !== catalogMajor && engine.allowMajorUpgrade !== true)
          error(
            env.file,
            [...env.path, 'engine', 'version'],
            `${engine.version} is Aurora MySQL major version ${known.major}, the catalog's ` +
              `${policy.title} runs ${policy.engineVersion} (major ${catalogMajor}): a major ` +
              `upgrade is not rolled back by CloudFormation; plan it (\`npx clinspark ` +
              `upgrade-plan\`) and set engine.allowMajorUpgrade: true to request it`,
          );
      }
    }

    // Seed schema files exist inside the configuration directory.
    const seed =
      (env.overrides as { seed?: { schema?: string } }).seed ??
      (typeof (env.overrides as { wipe?: unknown }).wipe === 'object'
        ? (env.overrides as { wipe: { seed?: { schema?: string } } }).wipe.seed
        : undefined);
    const seedPath =
      (env.overrides as { seed?: unknown }).seed !== undefined ? [...env.path, 'seed', 'schema'] : [...env.path, 'wipe', 'seed', 'schema'];
    if (seed?.schema !== undefined) {
      const read = readConfigFile(path.join(ctx.configDir, seed.schema), seed.schema, { confineTo: ctx.configDir, what: 'a seed schema' });
      if (!read.ok) error(env.file, seedPath, `'${seed.schema}' ${read.issue.message}`);
      else ctx.texts?.set(seed.schema, read.text);
    }
  }

  // Go-live and the VAL window, per customer.
  for (const f of ctx.customers) {
    const c = f.value;
    if (!c) continue;
    const e = c.environments;
    const prodDeployed = ctx.deployedStacks.has(stackName(c.slug, 'prod', 'data'));
    // PROD "exists" once deployed (its data stack is in the stateful lock); a fleet without a lock
    // cannot tell, and takes a configured PROD as existing.
    const prodExists = e.prod !== undefined && (ctx.deployedStacks.size === 0 || prodDeployed);
    if (e.prod && prodExists) {
      for (const kind of ['sandbox', 'preprod'] as const) {
        if (e[kind] && CATALOG[kind].lifecycle.retiredAtGoLive)
          warn(
            f.file,
            ['environments', kind],
            `${c.slug} has PROD, so its ${CATALOG[kind].title} should be retired (\`npx ` +
              `clinspark retire --customer ${c.slug} --environment ${kind}\` lists the steps)`,
          );
      }
      if (e.val?.source === 'preprod') {
        const valDeployed = ctx.deployedStacks.has(stackName(c.slug, 'val', 'data'));
        if (valDeployed)
          warn(
            f.file,
            ['environments', 'val', 'source'],
            `VAL still copies Pre-PROD although PROD exists; its next refresh should copy PROD (source: prod)`,
          );
        else
          error(f.file, ['environments', 'val', 'source'], `${c.slug} has PROD, so a new VAL copies PROD, not Pre-PROD: set source: prod`);
      }
    }
    if (e.prod) {
      const initial = e.prod.initialData;
      const lockedProd = ctx.lock?.[stackName(c.slug, 'prod', 'data')];
      if (initial && prodDeployed && lockedProd) {
        const main = Object.entries(lockedProd).find(([id]) => id.startsWith('MainDatabaseCluster'))?.[1];
        const origin = main !== null && typeof main === 'object' ? (main as { createOnly?: Record<string, string> }).createOnly : undefined;
        if (!origin?.SnapshotIdentifier && !origin?.SourceDBClusterIdentifier)
          warn(
            f.file,
            ['environments', 'prod', 'initialData'],
            `PROD is deployed and the stateful lock records no initial data for PROD Main: ` +
              `adding initialData to a PROD created empty would replace PROD Main ` +
              `(CloudFormation refuses to replace its fixed-name cluster). Remove it; if PROD ` +
              `was created with it, run \`npm run stateful-lock:update\` so the lock records ` +
              `its origin`,
          );
      }
      if (initial && 'fromPreprod' in initial && !e.preprod && !prodDeployed)
        error(
          f.file,
          ['environments', 'prod', 'initialData', 'fromPreprod'],
          `clones Pre-PROD Main, but ${c.slug} has no preprod environment; use ` +
            `fromPreprodSnapshot with a snapshot of it, or remove initialData to start PROD ` +
            `empty`,
        );
      if (initial && !prodDeployed && e.preprod === undefined && 'fromPreprodSnapshot' in initial)
        warn(
          f.file,
          ['environments', 'prod', 'initialData'],
          `PROD Main will be restored from ${initial.fromPreprodSnapshot}; make sure it is a snapshot of Pre-PROD Main of ${c.slug}`,
        );
    }
    const window = e.val?.validation;
    if (window && window.end < ctx.today)
      warn(
        f.file,
        ['environments', 'val', 'validation', 'end'],
        `the VAL validation window ended ${window.end} (today is ${ctx.today}); destroy ` +
          `VAL (\`npx clinspark retire --customer ${c.slug} --environment val\`) or extend ` +
          `the window with the customer`,
      );
  }
  return issues;
}

/** Today's date in UTC, or CLINSPARK_TODAY ("YYYY-MM-DD") when set (tests, or to check a planned date). */
export function todayUtc(): string {
  const fixed = process.env.CLINSPARK_TODAY;
  if (fixed !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(fixed)) return fixed;
  return new Date().toISOString().slice(0, 10);
}

/**
 * A fleet's stateful lock (deployed stacks and their stateful resources): undefined when it has
 * none; a broken one is an error naming the file and the path, as `cdk synth` refuses it
 * (lib/stateful-lock-file.ts), not a fleet without a lock.
 */
export function deployedLockOf(configDir: string): { readonly lock?: StatefulLock; readonly issues: ConfigIssue[] } {
  const file = path.join(configDir, LOCK_FILE);
  if (!fs.existsSync(file)) return { issues: [] };
  const result = inspectStatefulLock(file);
  return 'lock' in result
    ? { lock: result.lock, issues: [] }
    : { issues: [{ file: LOCK_FILE, path: result.path, message: result.problem }] };
}
