/**
 * Environment Change Records: the approved baseline assembly and the candidate compared stack by
 * stack with @aws-cdk/cloudformation-diff (`fullDiff`, with the resource specification it ships;
 * a describe-change-set JSON per stack refines the impact: CloudFormation's own
 * `RequiresRecreation` wins over the template diff), per environment, with the blocking findings
 * of the replacement gate:
 *
 *   - a replacement, possible replacement, destroy or orphan of a stateful resource (the types of
 *     the stateful lock, lib/stateful-lock.ts STATEFUL_TYPES), including a changed locked
 *     create-only property (LOCKED_CREATE_ONLY_PROPERTIES) however the diff rates it;
 *   - IAM or security-group broadening in a change-controlled environment that exists in the
 *     baseline (a new environment is qualified by its IQ, not by an ECR).
 *
 * What the diff cannot rate is never reported as "no change": a modified custom resource (its
 * handler decides what an update does) and a property the specification does not know are
 * rows of unknown impact.
 */
import { DescribeChangeSetOutput, ResourceDifference, ResourceImpact, TemplateDiff, fullDiff } from '@aws-cdk/cloudformation-diff';
// The statement model of @aws-cdk/cloudformation-diff itself (not re-exported by its index).
import { Statement, parseStatements } from '@aws-cdk/cloudformation-diff/lib/iam/statement';
import { renderIntrinsics } from '@aws-cdk/cloudformation-diff/lib/render-intrinsics';
import {
  CLUSTER_SNAPSHOT_RESOURCE_TYPE,
  UpgradeState,
  isUpgrade,
  preUpgradeSnapshotIdentifier,
} from '../../constructs/lifecycle/snapshot-names';
import { LOCKED_CREATE_ONLY_PROPERTIES, STATEFUL_TYPES } from '../stateful-lock';
import { AssemblyEnvironment, AssemblyStack, CfnTemplate, constructPath } from './assembly';
import { canonicalJson, sha256, showValue } from './canonical';
import { SpecificationFingerprint } from './fingerprint';

export type ResourceChangeKind = 'added' | 'modified' | 'removed' | 'orphaned' | 'replaced' | 'possibly replaced' | 'imported';

export interface PropertyChangeRow {
  readonly property: string;
  readonly before: string;
  readonly after: string;
  /** replacement, possible replacement, update, no effect on the resource (metadata), or unknown (...). */
  readonly impact: string;
}

export interface ResourceChangeRow {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly constructPath: string;
  readonly change: ResourceChangeKind;
  readonly stateful: boolean;
  /** Set where the diff cannot say what the change does: the reason. */
  readonly unknownImpact?: string;
  /** Where the impact comes from: the template diff, or the stack's change set. */
  readonly impactSource: 'template diff' | 'change set';
  readonly properties: readonly PropertyChangeRow[];
}

export interface IamChangeRow {
  readonly stack: string;
  readonly change: 'added' | 'removed';
  readonly kind: 'statement' | 'managed policy';
  readonly effect: string;
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly condition: string;
  readonly broadening: boolean;
}

export interface SecurityGroupChangeRow {
  readonly stack: string;
  readonly change: 'added' | 'removed';
  readonly direction: 'ingress' | 'egress';
  readonly group: string;
  readonly protocol: string;
  readonly peer: string;
  readonly broadening: boolean;
}

export interface Finding {
  readonly stack: string;
  readonly logicalId?: string;
  readonly type?: string;
  readonly constructPath?: string;
  readonly rule:
    'stateful-replacement' | 'stateful-removal' | 'locked-create-only-property' | 'iam-broadening' | 'security-group-broadening';
  readonly message: string;
}

export interface RollbackRow {
  readonly cluster: string;
  readonly logicalId: string;
  readonly stack: string;
  readonly snapshotIdentifier: string;
  /**
   * `pre-upgrade snapshot`: the candidate's data stack takes the snapshot itself, before the
   * database or the services change (the release or the engine changes; docs/lifecycle-upgrades.md);
   * `snapshotIdentifier` is the identifier it will take and `stackOutput` the output that reports it.
   * `manual`: take it before deploying with `command`.
   */
  readonly takenBy: 'pre-upgrade snapshot' | 'manual';
  /** The data-stack output carrying the snapshot's identifier after the deployment, e.g. `MainPreUpgradeSnapshot`. */
  readonly stackOutput?: string;
  /** What the pre-upgrade snapshot protects against, e.g. `release 2025.4.0-b2231 -> 2026.1.0-b2410`. */
  readonly change?: string;
  readonly command: string;
}

/** A pre-upgrade snapshot resource of a template: the cluster it protects, the state it records, its stack output. */
interface PreUpgradeResource {
  readonly logicalId: string;
  readonly state: UpgradeState;
  readonly output?: string;
}

/** cluster identifier -> the template's pre-upgrade snapshot resource (constructs/lifecycle/pre-upgrade-snapshot.ts). */
function preUpgradeResources(template: CfnTemplate | undefined): Map<string, PreUpgradeResource> {
  const found = new Map<string, PreUpgradeResource>();
  const outputs = Object.entries((template?.Outputs ?? {}) as Record<string, { Value?: unknown }>);
  for (const [logicalId, r] of Object.entries(template?.Resources ?? {})) {
    const p = r.Properties ?? {};
    if (r.Type !== CLUSTER_SNAPSHOT_RESOURCE_TYPE || p.Mode !== 'pre-upgrade') continue;
    if (typeof p.ClusterIdentifier !== 'string' || typeof p.Release !== 'string' || typeof p.EngineVersion !== 'string') continue;
    const output = outputs.find(
      ([, o]) => canonicalJson(o.Value) === canonicalJson({ 'Fn::GetAtt': [logicalId, 'SnapshotIdentifier'] }),
    )?.[0];
    found.set(p.ClusterIdentifier, { logicalId, state: { release: p.Release, engineVersion: p.EngineVersion }, output });
  }
  return found;
}

/**
 * The pre-upgrade snapshot the candidate's data stack takes of `cluster`, if any: its resource
 * changes release or engine against the baseline's, or it is new on a deployed cluster (Create
 * then snapshots, named `...-from-deployed`). The same rule as the handler's, the same names.
 */
function predictedPreUpgrade(
  cluster: string,
  baseline: ReadonlyMap<string, PreUpgradeResource>,
  candidate: ReadonlyMap<string, PreUpgradeResource>,
): { snapshotIdentifier: string; output?: string; change: string } | undefined {
  const after = candidate.get(cluster);
  if (!after) return undefined;
  const before = baseline.get(cluster);
  if (before && !isUpgrade(before.state, after.state)) return undefined;
  const parts = !before
    ? [`snapshot resource added to the deployed cluster (release ${after.state.release})`]
    : [
        ...(before.state.release !== after.state.release ? [`release ${before.state.release} -> ${after.state.release}`] : []),
        ...(before.state.engineVersion !== after.state.engineVersion
          ? [`engine ${before.state.engineVersion} -> ${after.state.engineVersion}`]
          : []),
      ];
  return {
    snapshotIdentifier: preUpgradeSnapshotIdentifier(cluster, before?.state, after.state),
    output: after.output,
    change: parts.join('; '),
  };
}

export interface EcrRecord {
  readonly ecrId: string;
  readonly customer: string;
  readonly environment: string;
  readonly kind: string;
  readonly changeControlled: boolean;
  readonly account: string;
  readonly region: string;
  /** The environment is absent from the baseline (created by this change) or from the candidate (removed). */
  readonly scope: 'change' | 'new environment' | 'environment removed';
  readonly baseline: { readonly assembly: string; readonly fingerprint?: SpecificationFingerprint };
  readonly candidate: { readonly assembly: string; readonly fingerprint?: SpecificationFingerprint; readonly gitCommit?: string };
  readonly changeSets: readonly { readonly stack: string; readonly file: string; readonly sha256: string }[];
  readonly stacks: readonly {
    readonly stack: string;
    readonly status: 'added' | 'removed' | 'changed' | 'unchanged';
    readonly differences: number;
  }[];
  readonly resources: readonly ResourceChangeRow[];
  readonly iam: readonly IamChangeRow[];
  readonly securityGroups: readonly SecurityGroupChangeRow[];
  readonly otherTemplateChanges: readonly {
    readonly stack: string;
    readonly section: string;
    readonly name: string;
    readonly change: string;
  }[];
  readonly rollback: readonly RollbackRow[];
  readonly blocking: readonly Finding[];
  /** The environment runs its release under an emergency override of the validated-before-PROD rule (configuration). */
  readonly emergencyHotfix?: EmergencyHotfix;
}

export interface EmergencyHotfix {
  /** The candidate's release, `<version>-b<build>`. */
  readonly release: string;
  readonly reason: string;
  readonly reference: string;
}

const STATEFUL = new Set<string>(STATEFUL_TYPES);

export function isCustomResource(type: string | undefined): boolean {
  return !!type && (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource');
}

function kindOf(impact: ResourceImpact): ResourceChangeKind {
  switch (impact) {
    case ResourceImpact.WILL_CREATE:
      return 'added';
    case ResourceImpact.WILL_DESTROY:
      return 'removed';
    case ResourceImpact.WILL_ORPHAN:
      return 'orphaned';
    case ResourceImpact.WILL_REPLACE:
      return 'replaced';
    case ResourceImpact.MAY_REPLACE:
      return 'possibly replaced';
    case ResourceImpact.WILL_IMPORT:
      return 'imported';
    default:
      return 'modified';
  }
}

function propertyImpact(impact: ResourceImpact | undefined, custom: boolean): string {
  switch (impact) {
    case ResourceImpact.WILL_REPLACE:
      return 'replacement';
    case ResourceImpact.MAY_REPLACE:
      return 'possible replacement';
    case ResourceImpact.WILL_UPDATE:
      return 'update';
    default:
      return custom
        ? 'unknown (custom resource: its handler decides what an update does)'
        : 'unknown (property not in the resource specification)';
  }
}

const EMPTY: CfnTemplate = {};

/** Removes nothing: the templates are diffed as synthesised. One stack pair. */
function diffStack(
  baseline: CfnTemplate | undefined,
  candidate: CfnTemplate | undefined,
  changeSet?: DescribeChangeSetOutput,
): TemplateDiff {
  return fullDiff(baseline ?? EMPTY, candidate ?? EMPTY, changeSet);
}

function resourceRows(
  stack: string,
  paths: Readonly<Record<string, string>>,
  diff: TemplateDiff,
  changeSetUsed: boolean,
  changeSetResources: ReadonlySet<string>,
): ResourceChangeRow[] {
  const rows: ResourceChangeRow[] = [];
  diff.resources.forEachDifference((logicalId: string, change: ResourceDifference) => {
    if (!change.isDifferent) return;
    const type = change.newResourceType ?? change.oldResourceType ?? 'unknown';
    const custom = isCustomResource(type);
    let impact = change.changeImpact;
    const properties: PropertyChangeRow[] = [];
    const locked = LOCKED_CREATE_ONLY_PROPERTIES[type] ?? [];
    let lockedChange = false;
    if (!change.isAddition && !change.isRemoval && !change.resourceTypeChanged) {
      for (const [name, p] of Object.entries(change.propertyUpdates).sort(([a], [b]) => a.localeCompare(b))) {
        let pImpact = propertyImpact(p.changeImpact, custom);
        if (locked.includes(name)) {
          // The lock's create-only properties: a change replaces the resource whatever the diff
          // could resolve (a token on one side, for example).
          lockedChange = true;
          pImpact = 'replacement';
        }
        properties.push({ property: name, before: showValue(p.oldValue), after: showValue(p.newValue), impact: pImpact });
      }
      for (const [name, o] of Object.entries(change.otherChanges).sort(([a], [b]) => a.localeCompare(b))) {
        properties.push({
          property: name,
          before: showValue(o.oldValue),
          after: showValue(o.newValue),
          impact: name === 'Metadata' ? 'no effect on the resource (metadata)' : 'update',
        });
      }
    }
    if (change.resourceTypeChanged)
      properties.push({
        property: 'Type',
        before: change.oldResourceType ?? '',
        after: change.newResourceType ?? '',
        impact: 'replacement',
      });
    if (lockedChange && impact !== ResourceImpact.WILL_REPLACE) impact = ResourceImpact.WILL_REPLACE;
    const unknownRows = properties.filter((p) => p.impact.startsWith('unknown'));
    const resource = change.newValue ?? change.oldValue;
    rows.push({
      stack,
      logicalId,
      type,
      constructPath: constructPath(resource, logicalId, paths),
      change: kindOf(impact),
      stateful: STATEFUL.has(type),
      unknownImpact:
        unknownRows.length > 0 && (impact === ResourceImpact.NO_CHANGE || impact === ResourceImpact.WILL_UPDATE)
          ? custom
            ? 'custom resource: the template diff cannot know what its handler does on update'
            : `the resource specification does not know ${unknownRows.map((r) => r.property).join(', ')}`
          : undefined,
      impactSource: changeSetUsed && changeSetResources.has(logicalId) ? 'change set' : 'template diff',
      properties,
    });
  });
  return rows;
}

function iamRows(stack: string, diff: TemplateDiff): IamChangeRow[] {
  const rows: IamChangeRow[] = [];
  const st = diff.iamChanges.statements;
  const add = (s: (typeof st.additions)[number], change: 'added' | 'removed') => {
    const r = s.render();
    rows.push({
      stack,
      change,
      kind: 'statement',
      effect: r.effect,
      principal: list(r.principal),
      action: list(r.action),
      resource: list(r.resource),
      condition: oneLine(r.condition),
      broadening: change === 'added' ? !s.isNegativeStatement : s.isNegativeStatement,
    });
  };
  for (const s of st.additions) add(s, 'added');
  for (const s of st.removals) add(s, 'removed');
  for (const m of diff.iamChanges.managedPolicies.additions)
    rows.push({
      stack,
      change: 'added',
      kind: 'managed policy',
      effect: 'Allow',
      principal: m.identityArn,
      action: '(managed policy)',
      resource: m.managedPolicyArn,
      condition: '',
      broadening: true,
    });
  for (const m of diff.iamChanges.managedPolicies.removals)
    rows.push({
      stack,
      change: 'removed',
      kind: 'managed policy',
      effect: 'Allow',
      principal: m.identityArn,
      action: '(managed policy)',
      resource: m.managedPolicyArn,
      condition: '',
      broadening: false,
    });
  return rows;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
const list = (text: string) =>
  text
    .split('\n')
    .map((x) => x.trim())
    .filter(Boolean)
    .join(', ');

type CfnResources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/**
 * Statements of managed policies (and policies) that name no principal themselves: the roles
 * refer to them (`ManagedPolicyArns: [{ Ref }]`), as CDK's ManagedPolicy does here. The diff's
 * IAM view reads a policy's statements only through the principals the policy names, so these
 * are compared here with the same statement model (its Statement parser and equality).
 */
function detachedPolicyRows(stack: string, before?: CfnTemplate, after?: CfnTemplate): IamChangeRow[] {
  const statementsOf = (template?: CfnTemplate): Statement[] => {
    const resources = (template?.Resources ?? {}) as CfnResources;
    const out: Statement[] = [];
    for (const [id, r] of Object.entries(resources).sort(([a], [b]) => a.localeCompare(b))) {
      if (r.Type !== 'AWS::IAM::ManagedPolicy' && r.Type !== 'AWS::IAM::Policy') continue;
      const props = renderIntrinsics(r.Properties ?? {}) as {
        Roles?: unknown[];
        Users?: unknown[];
        Groups?: unknown[];
        PolicyDocument?: { Statement?: unknown };
      };
      if ((props.Roles ?? []).length + (props.Users ?? []).length + (props.Groups ?? []).length > 0) continue;
      const users = Object.entries(resources)
        .filter(
          ([, role]) =>
            role.Type === 'AWS::IAM::Role' && JSON.stringify(role.Properties?.ManagedPolicyArns ?? []).includes(`{"Ref":"${id}"}`),
        )
        .map(([roleId]) => roleId)
        .sort();
      const principal = `AWS:${users.length ? users.map((u) => `\${${u}}`).join(',') : `\${${id}} (not attached in this stack)`}`;
      const statements = parseStatements(props.PolicyDocument?.Statement);
      for (const st of statements) {
        st.principals.replaceEmpty(principal);
        st.principals.replaceStar(principal);
      }
      out.push(...statements);
    }
    return out;
  };
  const old = statementsOf(before);
  const now = statementsOf(after);
  const rows: IamChangeRow[] = [];
  const push = (s: Statement, change: 'added' | 'removed') => {
    const r = s.render();
    rows.push({
      stack,
      change,
      kind: 'statement',
      effect: r.effect,
      principal: list(r.principal),
      action: list(r.action),
      resource: list(r.resource),
      condition: oneLine(r.condition),
      broadening: change === 'added' ? !s.isNegativeStatement : s.isNegativeStatement,
    });
  };
  for (const s of now) if (!old.some((o) => o.equal(s))) push(s, 'added');
  for (const s of old) if (!now.some((n) => n.equal(s))) push(s, 'removed');
  return rows;
}

function sgRows(stack: string, diff: TemplateDiff): SecurityGroupChangeRow[] {
  const rows: SecurityGroupChangeRow[] = [];
  const sg = diff.securityGroupChanges;
  for (const direction of ['ingress', 'egress'] as const) {
    for (const [list, change] of [
      [sg[direction].additions, 'added'],
      [sg[direction].removals, 'removed'],
    ] as const) {
      for (const r of list)
        rows.push({
          stack,
          change,
          direction,
          group: r.groupId,
          protocol: r.describeProtocol(),
          peer: r.describePeer(),
          broadening: change === 'added',
        });
    }
  }
  return rows;
}

function otherRows(stack: string, diff: TemplateDiff): EcrRecord['otherTemplateChanges'] {
  const rows: { stack: string; section: string; name: string; change: string }[] = [];
  const sections = [
    ['Outputs', diff.outputs],
    ['Parameters', diff.parameters],
    ['Conditions', diff.conditions],
    ['Mappings', diff.mappings],
    ['Metadata', diff.metadata],
  ] as const;
  for (const [section, coll] of sections) {
    coll.forEachDifference((name: string, d: { isAddition: boolean; isRemoval: boolean; isDifferent: boolean }) => {
      if (!d.isDifferent) return;
      rows.push({ stack, section, name, change: d.isAddition ? 'added' : d.isRemoval ? 'removed' : 'modified' });
    });
  }
  for (const [section, d] of [
    ['AWSTemplateFormatVersion', diff.awsTemplateFormatVersion],
    ['Description', diff.description],
    ['Transform', diff.transform],
  ] as const) {
    if (d?.isDifferent) rows.push({ stack, section, name: section, change: d.isAddition ? 'added' : d.isRemoval ? 'removed' : 'modified' });
  }
  return rows;
}

function findings(
  rows: readonly ResourceChangeRow[],
  iam: readonly IamChangeRow[],
  sgs: readonly SecurityGroupChangeRow[],
  gateBroadening: boolean,
): Finding[] {
  const out: Finding[] = [];
  for (const r of rows) {
    if (!r.stateful) continue;
    const locked = r.properties.filter((p) => (LOCKED_CREATE_ONLY_PROPERTIES[r.type] ?? []).includes(p.property));
    if (locked.length > 0) {
      for (const p of locked) {
        out.push({
          stack: r.stack,
          logicalId: r.logicalId,
          type: r.type,
          constructPath: r.constructPath,
          rule: 'locked-create-only-property',
          message:
            `${r.stack}/${r.logicalId} (${r.type}): ${p.property} changes from ${p.before} ` +
            `to ${p.after}; this create-only property (stateful lock) makes CloudFormation ` +
            `replace the resource`,
        });
      }
    } else if (r.change === 'replaced' || r.change === 'possibly replaced') {
      const why = r.properties.filter((p) => p.impact === 'replacement' || p.impact === 'possible replacement').map((p) => p.property);
      out.push({
        stack: r.stack,
        logicalId: r.logicalId,
        type: r.type,
        constructPath: r.constructPath,
        rule: 'stateful-replacement',
        message:
          `${r.stack}/${r.logicalId} (${r.type}) is ` +
          `${r.change}${why.length ? ` (${why.join(', ')})` : ''}: the resource and its ` +
          `data are deleted and created anew`,
      });
    }
    if (r.change === 'removed' || r.change === 'orphaned') {
      out.push({
        stack: r.stack,
        logicalId: r.logicalId,
        type: r.type,
        constructPath: r.constructPath,
        rule: 'stateful-removal',
        message:
          `${r.stack}/${r.logicalId} (${r.type}) is ` +
          `${r.change === 'removed' ? 'destroyed' : 'orphaned (removed from the stack, kept in the account)'}: ` +
          `a stateful resource leaves the stack (renamed logical ids count: the old one is ` +
          `deleted)`,
      });
    }
  }
  if (gateBroadening) {
    for (const i of iam.filter((x) => x.broadening))
      out.push({
        stack: i.stack,
        rule: 'iam-broadening',
        message:
          `${i.stack}: IAM ${i.kind} ${i.change}: ${i.effect} ${i.action} on ${i.resource} ` +
          `for ${i.principal}${i.condition ? ` when ${i.condition}` : ''}`,
      });
    for (const s of sgs.filter((x) => x.broadening))
      out.push({
        stack: s.stack,
        rule: 'security-group-broadening',
        message:
          `${s.stack}: security group ${s.group} ${s.direction} rule added: ${s.protocol} ` +
          `${s.direction === 'ingress' ? 'from' : 'to'} ${s.peer}`,
      });
  }
  return out;
}

function changeSetLogicalIds(cs?: DescribeChangeSetOutput): Set<string> {
  const ids = new Set<string>();
  for (const c of cs?.Changes ?? []) if (c.ResourceChange?.LogicalResourceId) ids.add(c.ResourceChange.LogicalResourceId);
  return ids;
}

function clusterIdentifierOf(stack: AssemblyStack, logicalId: string): string {
  const id = stack.template.Resources?.[logicalId]?.Properties?.DBClusterIdentifier;
  return typeof id === 'string' ? id : `(physical id of ${logicalId}: see describe-stack-resources)`;
}

export interface EcrInput {
  readonly baseline?: AssemblyEnvironment;
  readonly candidate?: AssemblyEnvironment;
  readonly baselineLabel: string;
  readonly candidateLabel: string;
  readonly baselineFingerprint?: SpecificationFingerprint;
  readonly candidateFingerprint?: SpecificationFingerprint;
  readonly gitCommit?: string;
  /** stack name -> change set */
  readonly changeSets?: ReadonlyMap<string, { readonly file: string; readonly sha256: string; readonly json: DescribeChangeSetOutput }>;
  /** From the fleet configuration, when the candidate runs the configured release (lib/evidence/ecr-run.ts). */
  readonly emergencyHotfix?: EmergencyHotfix;
}

export function buildEcr(input: EcrInput): EcrRecord {
  const env = input.candidate ?? input.baseline;
  if (!env) throw new Error('buildEcr needs a baseline or a candidate environment');
  const stackNames = [...new Set([...(input.baseline?.stacks ?? []), ...(input.candidate?.stacks ?? [])].map((s) => s.stackName))].sort();
  const scope: EcrRecord['scope'] = !input.baseline ? 'new environment' : !input.candidate ? 'environment removed' : 'change';
  const changeControlled = (input.baseline?.changeControlled ?? false) || (input.candidate?.changeControlled ?? false);
  const resources: ResourceChangeRow[] = [];
  const iam: IamChangeRow[] = [];
  const sgs: SecurityGroupChangeRow[] = [];
  const other: { stack: string; section: string; name: string; change: string }[] = [];
  const stacks: { stack: string; status: 'added' | 'removed' | 'changed' | 'unchanged'; differences: number }[] = [];
  for (const name of stackNames) {
    const before = input.baseline?.stacks.find((s) => s.stackName === name);
    const after = input.candidate?.stacks.find((s) => s.stackName === name);
    const cs = input.changeSets?.get(name);
    const diff = diffStack(before?.template, after?.template, cs?.json);
    const rows = resourceRows(name, { ...(before?.paths ?? {}), ...(after?.paths ?? {}) }, diff, !!cs, changeSetLogicalIds(cs?.json));
    resources.push(...rows);
    iam.push(...iamRows(name, diff), ...detachedPolicyRows(name, before?.template, after?.template));
    sgs.push(...sgRows(name, diff));
    other.push(...otherRows(name, diff));
    stacks.push({
      stack: name,
      status: !before ? 'added' : !after ? 'removed' : rows.length > 0 || diff.differenceCount > 0 ? 'changed' : 'unchanged',
      differences: rows.length,
    });
  }
  const blocking = findings(resources, iam, sgs, changeControlled && scope !== 'new environment');
  const rollback: (Omit<RollbackRow, 'takenBy' | 'command'> & { predicted?: ReturnType<typeof predictedPreUpgrade> })[] = [];
  for (const stack of input.baseline?.stacks ?? []) {
    const after = input.candidate?.stacks.find((s) => s.stackName === stack.stackName);
    const [beforeSnapshots, afterSnapshots] = [preUpgradeResources(stack.template), preUpgradeResources(after?.template)];
    for (const [logicalId, r] of Object.entries(stack.template.Resources ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (r.Type !== 'AWS::RDS::DBCluster') continue;
      const cluster = clusterIdentifierOf(stack, logicalId);
      rollback.push({
        cluster,
        logicalId,
        stack: stack.stackName,
        snapshotIdentifier: '',
        predicted: cluster.startsWith('(') ? undefined : predictedPreUpgrade(cluster, beforeSnapshots, afterSnapshots),
      });
    }
  }
  const base = {
    customer: env.owner,
    environment: env.name,
    kind: env.kind,
    changeControlled,
    account: env.account,
    region: env.region,
    scope,
    baseline: { assembly: input.baselineLabel, fingerprint: input.baselineFingerprint },
    candidate: { assembly: input.candidateLabel, fingerprint: input.candidateFingerprint, gitCommit: input.gitCommit },
    changeSets: [...(input.changeSets?.entries() ?? [])]
      .filter(([s]) => stackNames.includes(s))
      .map(([stack, c]) => ({ stack, file: c.file, sha256: c.sha256 }))
      .sort((a, b) => a.stack.localeCompare(b.stack)),
    stacks,
    resources,
    iam,
    securityGroups: sgs,
    otherTemplateChanges: other,
    blocking,
    ...(input.emergencyHotfix ? { emergencyHotfix: input.emergencyHotfix } : {}),
  };
  const identity = canonicalJson({
    b: input.baselineFingerprint?.specificationSha256 ?? null,
    c: input.candidateFingerprint?.specificationSha256 ?? null,
    r: resources,
  });
  const ecrId = `ECR-${env.owner}-${env.name}-${sha256(identity).slice(0, 12)}`;
  const snapshotId = (cluster: string) => `${cluster}-pre-${ecrId.slice(-12)}`;
  return {
    ecrId,
    ...base,
    rollback: rollback.map(({ predicted, ...r }): RollbackRow => {
      if (predicted) {
        return {
          ...r,
          snapshotIdentifier: predicted.snapshotIdentifier,
          takenBy: 'pre-upgrade snapshot',
          stackOutput: predicted.output,
          change: predicted.change,
          // After the deployment: the identifier the stack reports (it is the predicted one).
          command: predicted.output
            ? `aws cloudformation describe-stacks --region ${env.region} --stack-name ` +
              `${r.stack} --query ` +
              `"Stacks[0].Outputs[?OutputKey=='${predicted.output}'].OutputValue" --output text`
            : '',
        };
      }
      return {
        ...r,
        snapshotIdentifier: r.cluster.startsWith('(') ? '' : snapshotId(r.cluster),
        takenBy: 'manual',
        command: r.cluster.startsWith('(')
          ? ''
          : `aws rds create-db-cluster-snapshot --region ${env.region} ` +
            `--db-cluster-identifier ${r.cluster} --db-cluster-snapshot-identifier ` +
            `${snapshotId(r.cluster)}`,
      };
    }),
  };
}

/** A record's identity: SHA-256 of its canonical JSON (see lib/evidence/canonical.ts). */
export function recordSha256(record: unknown): string {
  return sha256(canonicalJson(record));
}
