/**
 * `npx clinspark upgrade-plan`: what a deploy of one environment's configuration changes against
 * its deployed state (the approved baseline, lib/lifecycle/deployed-state.ts), when it should run
 * and what it costs:
 *
 *   - the release (old -> new image tag, with the ledger's date and notes), the Aurora engine version
 *     (minor or major; a major change needs `engine.allowMajorUpgrade`, a downgrade is refused), the
 *     database capacity (instance classes, serverless range) and the app's task counts;
 *   - the maintenance window the deploy should run in and its next occurrence after `--at`; the plan
 *     refuses to recommend a time outside it (`--now` overrides), and honours the customers' three
 *     weeks' notice of a new release (lib/lifecycle/schedule.ts);
 *   - the expected downtime, each row with the AWS documentation it rests on (DOWNTIME_SOURCES);
 *   - the pre-upgrade snapshots the data stack takes for change-controlled kinds.
 *
 * Engine versions change in place, at deploy time: CloudFormation's RDS resource provider calls
 * ModifyDBCluster with ApplyImmediately and never sets EngineVersion on a rollback
 * (docs/lifecycle-operations.md "Engine upgrades"), so the maintenance window is when the operator
 * runs `cdk deploy`, not when RDS applies the change.
 */
import { Fleet } from '../config/model';
import { EnvironmentSpec } from '../environments';
import { stackName } from '../naming';
import { engineVersion as knownEngine, majorOfFullVersion } from '../engine';
import { Block, EvidenceDocument } from '../evidence/document';
import { overridesOf } from '../evidence/environment-select';
import { DeployedCluster, DeployedState, NoDeployedState, isDeployed } from './deployed-state';
import {
  NoticeCheck,
  WindowOccurrence,
  isoMinute,
  maintenanceRange,
  nextOccurrence,
  noticeCheck,
  occurrenceAt,
  showTime,
} from './schedule';
import { isUpgrade, preUpgradeSnapshotIdentifier } from '../../constructs/lifecycle/snapshot-names';
import { preUpgradeSnapshotOutputName } from '../stacks/data-stack';

/** AWS documentation behind the downtime rows (cited in the plan and in docs/lifecycle-operations.md). */
export const DOWNTIME_SOURCES = {
  zdp:
    'Amazon Aurora User Guide, "Using zero-downtime patching" ' +
    '(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Updates.ZDP.html)',
  minor:
    'Amazon Aurora User Guide, "Upgrading the minor version or patch level of an ' +
    'Aurora MySQL DB cluster" ' +
    '(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Updates.Patching.html)',
  major:
    'Amazon Aurora User Guide, "Upgrading the major version of an Amazon Aurora ' +
    'MySQL DB cluster" ' +
    '(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Updates.MajorVersionUpgrade.html)',
  settings:
    'Amazon Aurora User Guide, "Modifying an Amazon Aurora DB cluster", Settings for ' +
    'Amazon Aurora: engine version and DB instance class ' +
    '(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Modifying.html#Aurora.Modifying.Settings)',
  modifyCluster:
    'Amazon RDS API Reference, ModifyDBCluster EngineVersion: "Changing this ' +
    'parameter results in an outage" ' +
    '(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html)',
  cfnProvider:
    'AWS CloudFormation RDS resource provider, aws-rds-dbcluster ' +
    'Translator.modifyDbClusterRequest: ApplyImmediately true, EngineVersion not set ' +
    'on rollback ' +
    '(https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-rds)',
  serverless:
    'Amazon Aurora User Guide, "Managing Aurora Serverless v2 DB clusters", setting ' +
    'the capacity range: the change takes effect immediately ' +
    '(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-administration.html)',
  ecs:
    'Amazon ECS Developer Guide, "Deploy Amazon ECS services by replacing tasks" ' +
    '(rolling update, minimumHealthyPercent / maximumPercent) ' +
    '(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html)',
} as const;

export type EngineChange = 'none' | 'minor' | 'major' | 'downgrade' | 'new';

export interface PlanRow {
  readonly what: string;
  readonly deployed: string;
  readonly configured: string;
  readonly change: string;
}

export type DowntimeSource = keyof typeof DOWNTIME_SOURCES;

export interface DowntimeRow {
  readonly component: string;
  readonly expectation: string;
  /** Keys of DOWNTIME_SOURCES; the document numbers them. */
  readonly sources: readonly DowntimeSource[];
}

export interface SnapshotRow {
  readonly cluster: string;
  readonly identifier: string;
  /** The data-stack output that will carry it, e.g. MainPreUpgradeSnapshot. */
  readonly output: string;
}

export interface UpgradePlan {
  readonly environment: string;
  readonly title: string;
  readonly changeControlled: boolean;
  readonly comparedWith: { readonly source: string; readonly deployed: boolean; readonly note?: string };
  readonly release: {
    readonly deployed?: string;
    readonly configured: string;
    readonly changed: boolean;
    readonly entry?: { readonly date: string; readonly notes: string };
    readonly validation?: { readonly reference: string; readonly val: { readonly start: string; readonly end: string } };
    readonly emergencyHotfix?: { readonly reason: string; readonly reference: string };
  };
  readonly engine: {
    readonly deployed?: string;
    readonly configured: string;
    readonly change: EngineChange;
    readonly allowMajorUpgrade: boolean;
  };
  readonly rows: readonly PlanRow[];
  readonly window: {
    readonly maintenanceWindow: string;
    readonly at: string;
    readonly inside: boolean;
    readonly current?: { readonly start: string; readonly end: string };
    readonly next: { readonly start: string; readonly end: string };
  };
  readonly notice?: {
    readonly entryDate: string;
    readonly noticeEnds: string;
    readonly compliant: boolean;
    readonly waivedBy?: string;
    readonly earliestCompliant: { readonly start: string; readonly end: string };
  };
  readonly downtime: readonly DowntimeRow[];
  readonly snapshots: readonly SnapshotRow[];
  readonly hasChanges: boolean;
  /** What to give `cdk deploy`: the app stack (and the replica stack, when there is one). */
  readonly deployStacks: readonly string[];
  /** Blocking: the plan refuses the deploy (exit 1) whatever the time. */
  readonly refusals: readonly string[];
  readonly warnings: readonly string[];
  /** What the operator should do: deploy now, or at `deployAt`. */
  readonly recommendation: { readonly deployNow: boolean; readonly deployAt: string; readonly reason: string; readonly override: boolean };
}

function occ(o: WindowOccurrence): { start: string; end: string } {
  return { start: isoMinute(o.start), end: isoMinute(o.end) };
}

function auroraVersion(full: string): string {
  return /mysql_aurora\.(\d+\.\d+\.\d+)$/.exec(full)?.[1] ?? full;
}

function compareVersions(a: string, b: string): number {
  const pa = auroraVersion(a).split('.').map(Number);
  const pb = auroraVersion(b).split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function engineChangeOf(deployed: string | undefined, configured: string): EngineChange {
  if (deployed === undefined) return 'new';
  if (deployed === configured) return 'none';
  if (compareVersions(configured, deployed) < 0) return 'downgrade';
  const a = majorOfFullVersion(deployed) ?? knownEngine(auroraVersion(deployed))?.major;
  const b = majorOfFullVersion(configured);
  return a !== undefined && b !== undefined && a !== b ? 'major' : 'minor';
}

function capacityOf(c: DeployedCluster): string {
  if (c.serverless) return `serverless v2 ${c.serverless.minAcu}-${c.serverless.maxAcu} ACU`;
  const [writer, ...readers] = c.instances;
  if (!writer) return 'no instance';
  const mixed = readers.some((r) => r.instanceClass !== writer.instanceClass);
  const readerClasses = mixed ? ` (${readers.map((r) => r.instanceClass).join(', ')})` : '';
  return `${writer.instanceClass} writer + ${readers.length} reader(s)${readerClasses}`;
}

function configuredCapacity(spec: EnvironmentSpec, cluster: DeployedCluster | undefined): string {
  if (cluster && cluster.stack.endsWith('-replica')) {
    const cls = (spec.readReplica as { instanceClass?: string } | undefined)?.instanceClass;
    return cls ? `${cls} writer + 0 reader(s)` : 'readReplica.instanceClass (default)';
  }
  const db = spec.database;
  return db.mode === 'provisioned' ? `${db.instanceClass} writer + ${db.readers} reader(s)` : `serverless v2 ${db.minAcu}-${db.maxAcu} ACU`;
}

/** Per instance: does the configured class differ from the deployed one (provisioned clusters of the data stack)? */
function changedInstances(spec: EnvironmentSpec, c: DeployedCluster): string[] {
  if (c.serverless || spec.database.mode !== 'provisioned' || c.stack.endsWith('-replica')) return [];
  const cls = spec.database.instanceClass;
  return c.instances.filter((i) => i.instanceClass !== cls).map((i) => `${i.logicalId} ${i.instanceClass} -> ${cls}`);
}

export interface PlanInput {
  readonly fleet: Fleet;
  readonly spec: EnvironmentSpec;
  readonly deployed: DeployedState | NoDeployedState;
  readonly at: Date;
  readonly now: boolean;
  /** How `--at` was given, for the text ("--at", "now"). */
  readonly atSource: string;
}

export function buildUpgradePlan(input: PlanInput): UpgradePlan {
  const { spec, deployed, at } = input;
  const policy = spec.policy;
  const { overrides } = overridesOf(input.fleet, spec);
  const allowMajorUpgrade = overrides.engine?.allowMajorUpgrade === true;
  const state = isDeployed(deployed) ? deployed : undefined;
  const rows: PlanRow[] = [];
  const warnings: string[] = [];
  const refusals: string[] = [];

  // Release.
  const configuredTag = spec.release.imageTag;
  const deployedTag = state ? (state.releases.length ? state.releases.join(', ') : 'unknown (no task definition label)') : undefined;
  const releaseChanged = state !== undefined && !(state.releases.length === 1 && state.releases[0] === configuredTag);
  const entry = spec.lifecycle.releaseEntry;
  rows.push({
    what: 'release (image tag)',
    deployed: deployedTag ?? 'nothing deployed',
    configured: `${configuredTag}${entry ? ` (ledger ${entry.date}, notes ${entry.notes})` : ' (no ledger entry)'}`,
    change: state ? (releaseChanged ? 'changes' : 'unchanged') : 'new',
  });
  if (state && releaseChanged && state.releases.length === 1 && state.releases[0] > configuredTag && /^\d/.test(state.releases[0]))
    warnings.push(
      `the configured release ${configuredTag} sorts before the deployed ` +
        `${state.releases[0]}: a release downgrade does not undo the newer release's ` +
        `database migrations; the way back is the pre-upgrade snapshot`,
    );

  // Engine.
  const configuredEngine = spec.engine.fullVersion;
  const engines = [...new Set((state?.clusters ?? []).map((c) => c.engineVersion).filter((v): v is string => !!v))].sort();
  const deployedEngine = state ? (engines.length ? engines.join(', ') : 'unknown') : undefined;
  const change = state
    ? engines.reduce<EngineChange>((worst, e) => {
        const c = engineChangeOf(e, configuredEngine);
        const rank: EngineChange[] = ['none', 'minor', 'major', 'downgrade'];
        return rank.indexOf(c) > rank.indexOf(worst) ? c : worst;
      }, 'none')
    : 'new';
  rows.push({
    what: 'Aurora MySQL engine',
    deployed: deployedEngine ?? 'nothing deployed',
    configured: configuredEngine,
    change: change === 'new' ? 'new' : change === 'none' ? 'unchanged' : `${change} ${change === 'downgrade' ? '' : 'upgrade '}`.trim(),
  });
  if (change === 'major' && !allowMajorUpgrade)
    refusals.push(
      `the engine changes major version (${deployedEngine} -> ${configuredEngine}): an ` +
        `in-place major upgrade shuts the clusters down and a stack rollback does not ` +
        `downgrade; to request it set engine.allowMajorUpgrade: true in ` +
        `${spec.sourceFile} (${overridesOf(input.fleet, spec).path}.engine), after ` +
        `testing the upgrade on a restored snapshot`,
    );
  if (change === 'downgrade')
    refusals.push(
      `the configured engine ${configuredEngine} is older than the deployed ` +
        `${deployedEngine}: Aurora cannot downgrade a cluster in place (the deploy would ` +
        `fail); pin engine.version to ` +
        `${engines[engines.length - 1] ? auroraVersion(engines[engines.length - 1]) : 'the deployed version'} ` +
        `or restore a snapshot into a new cluster`,
    );

  // Capacity.
  for (const c of state?.clusters ?? [])
    rows.push({
      what: `database ${c.clusterIdentifier}`,
      deployed: capacityOf(c),
      configured: configuredCapacity(spec, c),
      change: capacityOf(c) === configuredCapacity(spec, c) ? 'unchanged' : 'changes',
    });
  if (!state)
    rows.push({
      what: 'databases',
      deployed: 'nothing deployed',
      configured: `${spec.instances.length} x ${configuredCapacity(spec, undefined)}`,
      change: 'new',
    });
  const services = state?.services ?? [];
  const configuredApp = `min ${spec.app.minTasks}, max ${spec.app.maxTasks}; ${spec.app.cpu} CPU units, ${spec.app.memoryMiB} MiB`;
  const deployedApp = state ? `${state.appScaling.join(' / ') || 'unknown'}; ${state.appTaskSizes.join(' / ') || 'unknown'}` : undefined;
  rows.push({
    what: 'app tasks (per instance)',
    deployed: deployedApp ?? 'nothing deployed',
    configured: configuredApp,
    change: state ? (deployedApp === configuredApp ? 'unchanged' : 'changes') : 'new',
  });

  // Downtime.
  const downtime: DowntimeRow[] = [];
  const clusters = state?.clusters ?? [];
  if (change === 'minor')
    downtime.push({
      component: `engine ${deployedEngine} -> ${configuredEngine} (${clusters.length} cluster(s))`,
      expectation:
        'In-place minor upgrade of every instance of each cluster at once, started at ' +
        'deploy time (CloudFormation applies it immediately, not in the maintenance ' +
        'window). Aurora attempts zero-downtime patching: when it succeeds, sessions ' +
        'stay connected and throughput drops for a few seconds to about a minute; when ' +
        'it cannot (long transactions, open locks), connections are dropped while the ' +
        'engine restarts. Plan for the database being unavailable while the upgrade runs.',
      sources: ['zdp', 'minor', 'modifyCluster', 'cfnProvider'],
    });
  if (change === 'major')
    downtime.push({
      component: `engine ${deployedEngine} -> ${configuredEngine} (${clusters.length} cluster(s))`,
      expectation:
        'In-place major upgrade: zero-downtime patching does not apply; the cluster is ' +
        'shut down for the whole upgrade, whose length depends on the schema and the ' +
        'load. A stack rollback does not downgrade: the way back is restoring the ' +
        'pre-upgrade snapshot into a new cluster.',
      sources: ['zdp', 'major', 'cfnProvider'],
    });
  for (const c of clusters) {
    const changed = changedInstances(spec, c);
    if (changed.length)
      downtime.push({
        component: `instance class of ${c.clusterIdentifier}: ${changed.join('; ')}`,
        expectation:
          'Each modified DB instance is unavailable while it changes class (an outage of ' +
          'that instance only), applied at deploy time; the template makes the reader(s) ' +
          'wait for the writer, so the writer goes first: the application cannot write ' +
          'while the writer changes, the readers change after it.',
        sources: ['settings', 'cfnProvider'],
      });
    if (c.serverless && spec.database.mode === 'serverless' && !c.stack.endsWith('-replica')) {
      const { minAcu, maxAcu } = spec.database;
      if (c.serverless.minAcu !== minAcu || c.serverless.maxAcu !== maxAcu)
        downtime.push({
          component:
            `serverless v2 range of ${c.clusterIdentifier}: ` + `${c.serverless.minAcu}-${c.serverless.maxAcu} -> ${minAcu}-${maxAcu} ACU`,
          expectation: 'The new capacity range takes effect immediately; AWS describes no restart for a range change.',
          sources: ['serverless'],
        });
    }
  }
  if (releaseChanged) {
    const min = spec.app.minTasks;
    const dc = services[0];
    downtime.push({
      component: `app ${deployedTag} -> ${configuredTag} (${services.length || spec.instances.length} service(s))`,
      expectation:
        min === 0
          ? 'Rolling ECS deployment; this kind scales to zero tasks, so there may be no ' +
            'running task to replace, and the first request after the deploy starts a task ' +
            'of the new release.'
          : `Rolling ECS deployment with at least ${min} task(s) per service: new tasks ` +
            `start before old ones stop (minimumHealthyPercent ` +
            `${dc?.minimumHealthyPercent ?? 100}, maximumPercent ` +
            `${dc?.maximumPercent ?? 200}), so the web tier has no planned outage; during ` +
            `the roll both releases serve requests, so a release whose database changes are ` +
            `not backward compatible needs the application's own maintenance mode (its ` +
            `release notes${entry ? ` ${entry.notes}` : ''} say).`,
      sources: ['ecs'],
    });
  }
  if (!state)
    downtime.push({
      component: 'whole environment',
      expectation:
        'Compared against nothing: the plan cannot tell what a deploy changes. A first ' +
        'deploy creates the environment; nothing running is interrupted.',
      sources: [],
    });

  // Snapshots: what the data stack's snapshot resource will do on this deploy (constructs/lifecycle/handler/cluster-snapshot.ts):
  // a resource new to a deployed stack snapshots every existing cluster (`-from-deployed`); an existing one snapshots when
  // the release or the engine differ from the state it last recorded.
  const snapshots: SnapshotRow[] = [];
  if (spec.lifecycle.preUpgradeSnapshot && state) {
    const to = { release: configuredTag, engineVersion: configuredEngine };
    for (const c of clusters.filter((x) => x.stack === spec.stackNames.data)) {
      const role = spec.instances.find((i) => c.logicalId.toLowerCase().startsWith(i.role))?.role ?? 'main';
      const recorded = state.snapshotResources.find((r) => r.clusterIdentifier === c.clusterIdentifier);
      const from = recorded ? { release: recorded.release, engineVersion: recorded.engineVersion } : undefined;
      if (from && !isUpgrade(from, to)) continue;
      snapshots.push({
        cluster: c.clusterIdentifier,
        identifier: preUpgradeSnapshotIdentifier(c.clusterIdentifier, from, to),
        output: `${spec.stackNames.data}.${preUpgradeSnapshotOutputName(role)}`,
      });
    }
  }

  // Window and notice.
  const range = maintenanceRange(spec.maintenanceWindow);
  const current = occurrenceAt(range, at);
  const next = nextOccurrence(range, at);
  const hotfix = spec.lifecycle.emergencyHotfix;
  let notice: NoticeCheck | undefined;
  // The notice is checked at the time the plan would deploy: now inside a window (or with --now), else the next window.
  const planned = current || input.now ? at : next.start;
  if (releaseChanged && entry) notice = noticeCheck(entry.date, planned, range);
  if (releaseChanged && !entry)
    warnings.push(`the release ${configuredTag} has no ledger entry (releases.yaml), so the three weeks' notice cannot be checked`);
  if (change !== 'new' && change !== 'none' && !spec.lifecycle.preUpgradeSnapshot)
    warnings.push(`${policy.title} takes no pre-upgrade snapshot (catalog): the engine upgrade has no way back but the automated backups`);
  const hasChanges = !state || rows.some((r) => r.change !== 'unchanged');
  if (!hasChanges && snapshots.length) {
    warnings.push(
      `the deployed data stack has no pre-upgrade snapshot resource yet: its next ` +
        `deploy snapshots every database ` +
        `(${snapshots.map((x) => x.identifier).join(', ')})`,
    );
    snapshots.splice(0);
  }
  const noticeOk = !notice || notice.compliant || hotfix !== undefined;

  let recommendation: UpgradePlan['recommendation'];
  if (refusals.length > 0)
    recommendation = { deployNow: false, deployAt: isoMinute(next.start), reason: 'refused: fix the configuration first', override: false };
  else if (!hasChanges)
    recommendation = { deployNow: true, deployAt: isoMinute(at), reason: 'nothing changes: no deploy is needed', override: false };
  else if (input.now)
    recommendation = {
      deployNow: true,
      deployAt: isoMinute(at),
      reason: [
        current ? 'inside the maintenance window' : `OUTSIDE the maintenance window ${spec.maintenanceWindow} (override --now)`,
        ...(noticeOk ? [] : [`BEFORE the three weeks' notice ends (${isoMinute(notice!.noticeEnds)}) (override --now)`]),
      ].join('; '),
      override: !current || !noticeOk,
    };
  else if (!noticeOk)
    recommendation = {
      deployNow: false,
      deployAt: isoMinute(notice!.earliestCompliant.start),
      reason:
        `the ledger entry of ${configuredTag} is dated ${notice!.entryDate}, less than ` +
        `three weeks before the planned time; the earliest compliant date is the first ` +
        `maintenance window at or after ${isoMinute(notice!.noticeEnds)}`,
      override: false,
    };
  else if (!current)
    recommendation = {
      deployNow: false,
      deployAt: isoMinute(next.start),
      reason: `${showTime(at)} is outside the maintenance window ${spec.maintenanceWindow}; the next one starts ${showTime(next.start)}`,
      override: false,
    };
  else
    recommendation = {
      deployNow: true,
      deployAt: isoMinute(at),
      reason: `inside the maintenance window ${spec.maintenanceWindow} (until ${showTime(current.end)})`,
      override: false,
    };

  return {
    environment: spec.id,
    title: policy.title,
    changeControlled: policy.changeControlled,
    comparedWith: {
      source: deployed.source,
      deployed: state !== undefined,
      note: state ? undefined : `compares against nothing: ${(deployed as NoDeployedState).reason}; the configured state only`,
    },
    release: {
      deployed: deployedTag,
      configured: configuredTag,
      changed: releaseChanged,
      entry,
      validation: spec.lifecycle.validation,
      emergencyHotfix: hotfix,
    },
    engine: { deployed: deployedEngine, configured: configuredEngine, change, allowMajorUpgrade },
    rows,
    window: {
      maintenanceWindow: spec.maintenanceWindow,
      at: isoMinute(at),
      inside: current !== undefined,
      current: current ? occ(current) : undefined,
      next: occ(next),
    },
    notice: notice
      ? {
          entryDate: notice.entryDate,
          noticeEnds: isoMinute(notice.noticeEnds),
          compliant: notice.compliant,
          waivedBy: !notice.compliant && hotfix ? `emergencyHotfix ${hotfix.reference}` : undefined,
          earliestCompliant: occ(notice.earliestCompliant),
        }
      : undefined,
    downtime,
    snapshots,
    hasChanges,
    deployStacks: [spec.stackNames.app, ...(spec.readReplica ? [stackName(spec.owner, spec.name, 'replica')] : [])],
    refusals,
    warnings,
    recommendation,
  };
}

/** The plan as a document (printed as Markdown; with --out also HTML and JSON). */
export function upgradePlanDocument(plan: UpgradePlan, atSource: string): EvidenceDocument {
  const b: Block[] = [];
  const r = plan.recommendation;
  b.push({ kind: 'heading', level: 1, text: `Upgrade plan: ${plan.environment} (${plan.title})` });
  b.push({
    kind: 'paragraph',
    text: plan.comparedWith.deployed
      ? `Deployed state: the approved baseline ${plan.comparedWith.source}. Configured state: the fleet configuration.`
      : `This plan ${plan.comparedWith.note}.`,
  });
  b.push({
    kind: 'paragraph',
    text: r.deployNow
      ? `Recommendation: deploy now (${r.reason}).`
      : `Recommendation: do not deploy now; deploy at ${r.deployAt} (${showTime(new Date(r.deployAt))}): ${r.reason}.`,
  });
  if (plan.refusals.length) {
    b.push({ kind: 'heading', level: 2, text: 'Refused' });
    b.push({ kind: 'list', items: [...plan.refusals] });
  }
  if (plan.release.emergencyHotfix)
    b.push({
      kind: 'paragraph',
      text:
        `EMERGENCY HOTFIX OVERRIDE: ${plan.release.emergencyHotfix.reference}: ` +
        `${plan.release.emergencyHotfix.reason} (the release runs before a VAL ` +
        `validation is recorded).`,
    });
  b.push({ kind: 'heading', level: 2, text: 'What changes' });
  b.push({
    kind: 'table',
    columns: ['Item', 'Deployed', 'Configured', 'Change'],
    rows: plan.rows.map((x) => [x.what, x.deployed, x.configured, x.change]),
  });
  if (plan.release.validation)
    b.push({
      kind: 'paragraph',
      text:
        `VAL validation of ${plan.release.configured}: ` +
        `${plan.release.validation.reference} (${plan.release.validation.val.start} to ` +
        `${plan.release.validation.val.end}).`,
    });
  b.push({ kind: 'heading', level: 2, text: 'When' });
  const w = plan.window;
  b.push({
    kind: 'list',
    items: [
      `Maintenance window (weekly, UTC): ${w.maintenanceWindow}.`,
      `Planned time (${atSource}): ${w.at} (${showTime(new Date(w.at))}), ` +
        `${w.inside ? `inside the window (${w.current!.start} to ${w.current!.end})` : 'outside the window'}.`,
      `Next window start: ${w.next.start} (${showTime(new Date(w.next.start))}) to ${w.next.end}.`,
      ...(plan.notice
        ? [
            `Three weeks' notice: ledger entry ${plan.notice.entryDate} + 21 days = ` +
              `${plan.notice.noticeEnds}; ` +
              `${plan.notice.compliant ? 'met' : plan.notice.waivedBy ? `not met, waived by ${plan.notice.waivedBy}` : 'NOT met'}; ` +
              `earliest compliant date: ${plan.notice.earliestCompliant.start} ` +
              `(${showTime(new Date(plan.notice.earliestCompliant.start))}).`,
          ]
        : []),
      'CloudFormation applies database changes when the stack deploys, not in the RDS ' +
        'maintenance window: the window is when the operator runs cdk deploy.',
      `Deploy with: npx cdk deploy ${plan.deployStacks.join(' ')} (the app stack ` +
        `deploys the data stack it depends on first, so the pre-upgrade snapshot is ` +
        `taken before the services roll; never --exclusively on the app stack alone).`,
    ],
  });
  b.push({ kind: 'heading', level: 2, text: 'Expected downtime' });
  const cited = [...new Set(plan.downtime.flatMap((d) => d.sources))];
  const ref = (d: DowntimeRow) => d.sources.map((k) => `[${cited.indexOf(k) + 1}]`).join(' ') || 'none';
  if (plan.downtime.length) {
    b.push({
      kind: 'table',
      columns: ['Component', 'Expectation', 'Sources'],
      rows: plan.downtime.map((d) => [d.component, d.expectation, ref(d)]),
    });
    if (cited.length) b.push({ kind: 'list', items: cited.map((k, i) => `[${i + 1}] ${DOWNTIME_SOURCES[k]}`) });
  } else b.push({ kind: 'paragraph', text: 'None: nothing that interrupts the service changes.' });
  b.push({ kind: 'heading', level: 2, text: 'Pre-upgrade snapshots' });
  if (plan.snapshots.length)
    b.push({
      kind: 'table',
      columns: ['Cluster', 'Snapshot identifier', 'Stack output'],
      rows: plan.snapshots.map((s) => [s.cluster, s.identifier, s.output]),
    });
  else
    b.push({
      kind: 'paragraph',
      text: !plan.changeControlled
        ? `None: ${plan.title} is not change-controlled (catalog: no pre-upgrade snapshot).`
        : plan.comparedWith.deployed
          ? 'None: neither the release nor the engine changes.'
          : 'None: nothing is deployed, so there is nothing to keep.',
    });
  if (plan.warnings.length) {
    b.push({ kind: 'heading', level: 2, text: 'Warnings' });
    b.push({ kind: 'list', items: [...plan.warnings] });
  }
  return {
    title: `Upgrade plan ${plan.environment}`,
    id: `upgrade-plan-${plan.environment.replace('/', '-')}-${plan.window.at}`,
    blocks: b,
  };
}
