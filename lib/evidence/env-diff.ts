/**
 * Two environments compared, configuration and specification, normalised for what names them:
 * customer slug and display name, environment name, account, region, availability zones (by
 * position), DNS zone and hosted zone id, certificate. What is left is what really differs, e.g.
 * Pre-PROD against PROD (sizing, policy), VAL against PROD (release), one customer's PROD against
 * another's (ranges, SSO). The specification is compared stack layer by stack layer with the
 * same engine as the ECR (@aws-cdk/cloudformation-diff fullDiff).
 */
import { fullDiff } from '@aws-cdk/cloudformation-diff';
import { Fleet } from '../config/model';
import { EnvironmentSpec } from '../environments';
import { AssemblyEnvironment, CfnTemplate } from './assembly';
import { showValue } from './canonical';
import { resolvedSettings } from './config-report';
import { Block, EvidenceDocument } from './document';

export interface DiffRow {
  readonly section: 'configuration' | 'specification';
  readonly item: string;
  readonly a: string;
  readonly b: string;
}

export interface EnvDiff {
  readonly a: string;
  readonly b: string;
  readonly equivalent: boolean;
  readonly normalisation: readonly { readonly placeholder: string; readonly a: string; readonly b: string }[];
  readonly rows: readonly DiffRow[];
}

function tokens(spec: EnvironmentSpec): [string, string][] {
  const t: [string, string][] = [
    ['<display-name>', spec.ownerDisplayName],
    ['<certificate>', spec.dns.certificateArn],
    ['<zone>', spec.dns.zoneName],
    ['<zone-id>', spec.dns.zoneId],
    ['<account>', spec.account],
    ['<region>', spec.region],
    ...spec.availabilityZones.map((z, i) => [`<az${i + 1}>`, z] as [string, string]),
    ['<customer>', spec.owner],
    ['<environment>', spec.name],
  ];
  return t.filter(([, v]) => v);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function normaliser(spec: EnvironmentSpec): (value: unknown) => unknown {
  // Longest first, and only as whole words (`prod` in `clinspark-x-prod-main`, not in `product`).
  const list = tokens(spec)
    .sort((x, y) => y[1].length - x[1].length)
    .map(([p, v]) => [p, new RegExp(`(?<![A-Za-z0-9])${escape(v)}(?![A-Za-z0-9])`, 'g')] as const);
  const str = (s: string) => list.reduce((acc, [p, re]) => acc.replace(re, p), s);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [str(k), walk(x)]));
    return v;
  };
  return walk;
}

/**
 * Logical ids that CDK derives from a stack name (cross-stack security-group rules, monitoring
 * constructs: `...toclinsparkacmeprodapp...` plus an 8-character path hash) are renamed with a
 * placeholder and without the hash, and every reference to them with them.
 */
export function normaliseTemplate(spec: EnvironmentSpec, template: CfnTemplate): unknown {
  const token = `${spec.owner}${spec.name}`.replace(/[^A-Za-z0-9]/g, '');
  // A name derived from the stack name: the token becomes `Env` and CDK's 8-character path hashes go.
  const derived = (s: string) =>
    s.includes(token)
      ? s
          .split(token)
          .join('Env')
          .replace(/(?<=[a-z])[0-9A-F]{8}/g, '')
          .replace(/(?<=[0-9])[0-9A-F]{8}$/, '')
      : s;
  const rename = (v: unknown): unknown => {
    if (typeof v === 'string') return derived(v);
    if (Array.isArray(v)) return v.map(rename);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [derived(k), rename(x)]));
    return v;
  };
  return normaliser(spec)(rename(template));
}

export function envDiff(
  fleet: Fleet,
  a: { spec: EnvironmentSpec; env: AssemblyEnvironment },
  b: { spec: EnvironmentSpec; env: AssemblyEnvironment },
): EnvDiff {
  const na = normaliser(a.spec);
  const nb = normaliser(b.spec);
  const rows: DiffRow[] = [];
  const sa = resolvedSettings(fleet, a.spec);
  const sb = resolvedSettings(fleet, b.spec);
  const keys = [...new Set([...sa, ...sb].map((s) => `${s.group}: ${s.name}`))];
  for (const k of keys) {
    const x = sa.find((s) => `${s.group}: ${s.name}` === k);
    const y = sb.find((s) => `${s.group}: ${s.name}` === k);
    const vx = x ? String(na(x.value)) : '(not set)';
    const vy = y ? String(nb(y.value)) : '(not set)';
    if (vx !== vy) rows.push({ section: 'configuration', item: k, a: vx, b: vy });
  }
  if (a.spec.kind !== b.spec.kind) rows.unshift({ section: 'configuration', item: 'Identity: kind', a: a.spec.kind, b: b.spec.kind });
  const layers = [...new Set([...a.env.stacks, ...b.env.stacks].map((s) => s.layer))].sort();
  for (const layer of layers) {
    const ta = a.env.stacks.find((s) => s.layer === layer)?.template;
    const tb = b.env.stacks.find((s) => s.layer === layer)?.template;
    const diff = fullDiff(
      (ta ? normaliseTemplate(a.spec, ta) : {}) as Record<string, unknown>,
      (tb ? normaliseTemplate(b.spec, tb) : {}) as Record<string, unknown>,
    );
    diff.resources.forEachDifference((id, change) => {
      if (!change.isDifferent) return;
      const type = change.newResourceType ?? change.oldResourceType;
      if (change.isAddition)
        return void rows.push({ section: 'specification', item: `${layer}/${id} (${type})`, a: '(absent)', b: 'present' });
      if (change.isRemoval)
        return void rows.push({ section: 'specification', item: `${layer}/${id} (${type})`, a: 'present', b: '(absent)' });
      change.forEachDifference((_kind, name, d) =>
        rows.push({
          section: 'specification',
          item: `${layer}/${id} ${name}`,
          a: showValue(d.oldValue, 300),
          b: showValue(d.newValue, 300),
        }),
      );
    });
    for (const [section, coll] of [
      ['Outputs', diff.outputs],
      ['Parameters', diff.parameters],
      ['Metadata', diff.metadata],
    ] as const) {
      coll.forEachDifference((name: string, d: { isDifferent: boolean; oldValue?: unknown; newValue?: unknown }) => {
        if (d.isDifferent)
          rows.push({
            section: 'specification',
            item: `${layer} ${section}.${name}`,
            a: showValue(d.oldValue, 300),
            b: showValue(d.newValue, 300),
          });
      });
    }
  }
  const ta = tokens(a.spec);
  const tb = tokens(b.spec);
  const normalisation = [...new Set([...ta, ...tb].map(([p]) => p))].map((p) => ({
    placeholder: p,
    a: ta.find(([x]) => x === p)?.[1] ?? '',
    b: tb.find(([x]) => x === p)?.[1] ?? '',
  }));
  return { a: a.spec.id, b: b.spec.id, equivalent: rows.length === 0, normalisation, rows };
}

export function envDiffDocument(d: EnvDiff): EvidenceDocument {
  const b: Block[] = [];
  b.push({ kind: 'heading', level: 1, text: `Environment comparison ${d.a} and ${d.b}` });
  b.push({
    kind: 'paragraph',
    text: d.equivalent
      ? `Equivalent: ${d.a} and ${d.b} have the same configuration and specification once normalised for names, ids, accounts and zones.`
      : `${d.rows.length} difference(s): ` +
        `${d.rows.filter((r) => r.section === 'configuration').length} in the ` +
        `configuration, ${d.rows.filter((r) => r.section === 'specification').length} in ` +
        `the specification (templates), after normalisation.`,
  });
  b.push({ kind: 'heading', level: 2, text: 'Normalisation' });
  b.push({
    kind: 'table',
    columns: ['Placeholder', d.a, d.b],
    rows: d.normalisation.map((n) => [n.placeholder, n.a, n.b]),
    widths: [1, 3, 3],
  });
  for (const section of ['configuration', 'specification'] as const) {
    b.push({ kind: 'heading', level: 2, text: section === 'configuration' ? 'Configuration' : 'Specification' });
    const rows = d.rows.filter((r) => r.section === section);
    if (rows.length === 0) b.push({ kind: 'paragraph', text: 'No difference.' });
    else
      b.push({
        kind: 'table',
        columns: [section === 'configuration' ? 'Setting' : 'Resource and property', d.a, d.b],
        rows: rows.map((r) => [r.item, r.a, r.b]),
        widths: [2, 3, 3],
      });
  }
  return { title: `Environment comparison ${d.a} and ${d.b}`, id: `env-diff ${d.a} ${d.b}`, blocks: b };
}

/** Side by side for the terminal: one line per difference, columns cut to the width. */
export function sideBySide(d: EnvDiff, width = 160): string {
  const col = Math.floor((width - 7) / 3);
  const cut = (s: string) => (s.length > col ? `${s.slice(0, col - 3)}...` : s.padEnd(col));
  const lines = [`${cut('')} | ${cut(d.a)} | ${cut(d.b)}`, '-'.repeat(col * 3 + 6)];
  for (const r of d.rows) lines.push(`${cut(r.item)} | ${cut(r.a)} | ${cut(r.b)}`);
  return lines.map((l) => l.trimEnd()).join('\n');
}
