/**
 * Semantic rules: what a single field cannot tell. Each rule is a row `{ id, description, check }`
 * and reports into a shared list, so every problem of every file is found in one run.
 *
 * Rules read the parsed YAML of files whose shape may be partly broken: a rule only looks at a
 * field when `fieldOk` says that field (and its parents) passed the shape check, so one typo
 * never hides the other problems and never crashes a rule.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { ScrubRulesError } from '../../constructs/pii-scrub/engine/issues';
import { parseScrubRules } from '../../constructs/pii-scrub/engine/rules';
import { CATALOG } from '../catalog';
import { Cidr, cidrsOverlap, parseCidr } from './cidr';
import { ConfigIssue, PathSegment } from './issues';
import type { SourceFile } from './load';
import { CUSTOMER_ENVIRONMENT_KINDS, EnvironmentKind, FARGATE_SIZES, PLATFORM_OWNER } from './model';
import { backupOverlapsMaintenance, parseBackupWindow, parseMaintenanceWindow } from './windows';

type Raw = Record<string, unknown>;
type Report = (file: string, path: PathSegment[], message: string, line?: number) => void;

interface RuleContext {
  /** The configuration directory (rules that read referenced files, e.g. scrub rules). */
  readonly configDir: string;
  readonly customers: readonly SourceFile<unknown>[];
  readonly platform?: SourceFile<unknown>;
}

export interface SemanticRule {
  readonly id: string;
  readonly description: string;
  check(ctx: RuleContext, report: Report): void;
}

function startsWith(a: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= a.length && prefix.every((s, i) => a[i] === s);
}

function get(raw: unknown, p: readonly PathSegment[]): unknown {
  let cur = raw;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** True when the value at `p` exists and neither it nor a parent failed the shape check. */
function fieldOk(f: SourceFile<unknown>, p: readonly PathSegment[]): boolean {
  if (get(f.raw, p) === undefined) return false;
  // An extra key does not make its siblings untrustworthy.
  return !f.shapeIssues.some((i) => i.code !== 'unknown-key' && (startsWith(i.path, p) || startsWith(p, i.path)));
}

function str(f: SourceFile<unknown>, p: readonly PathSegment[]): string | undefined {
  return fieldOk(f, p) ? (get(f.raw, p) as string) : undefined;
}

/** Every environment block of a file: [path, kind] pairs, for customers and the platform. */
function environmentsOf(f: SourceFile<unknown>, isPlatform: boolean): Array<{ path: PathSegment[]; kind: EnvironmentKind }> {
  const out: Array<{ path: PathSegment[]; kind: EnvironmentKind }> = [];
  if (isPlatform) {
    const demos = get(f.raw, ['demos']);
    if (Array.isArray(demos)) demos.forEach((_, i) => out.push({ path: ['demos', i], kind: 'demo' }));
    if (get(f.raw, ['community']) !== undefined) out.push({ path: ['community'], kind: 'community' });
  } else {
    const envs = get(f.raw, ['environments']);
    if (envs && typeof envs === 'object') {
      for (const kind of CUSTOMER_ENVIRONMENT_KINDS) if ((envs as Raw)[kind] !== undefined) out.push({ path: ['environments', kind], kind });
    }
  }
  return out.filter((e) => {
    const v = get(f.raw, e.path);
    return v !== null && typeof v === 'object';
  });
}

function allFiles(ctx: RuleContext): Array<{ f: SourceFile<unknown>; isPlatform: boolean }> {
  return [...ctx.customers.map((f) => ({ f, isPlatform: false })), ...(ctx.platform ? [{ f: ctx.platform, isPlatform: true }] : [])];
}

const KNOWN_REGIONS = new Set(RegionInfo.regions.map((r) => r.name));

function arnParts(arn: string): { region: string; account: string } {
  const parts = arn.split(':');
  return { region: parts[3], account: parts[4] };
}

function checkCidrList(f: SourceFile<unknown>, p: PathSegment[], report: Report): void {
  const list = get(f.raw, p);
  if (!Array.isArray(list)) return;
  const seen: Array<{ cidr: Cidr; index: number }> = [];
  list.forEach((value, index) => {
    if (typeof value !== 'string') return;
    const parsed = parseCidr(value);
    if (!parsed.ok) return; // already reported by the shape check
    for (const prior of seen) {
      if (prior.cidr.text === parsed.cidr.text) {
        report(f.file, [...p, index], `'${value}' duplicates entry [${prior.index}]; remove one of them`);
        return;
      }
      if (cidrsOverlap(prior.cidr, parsed.cidr)) {
        const [outer, inner] = prior.cidr.prefix <= parsed.cidr.prefix ? [prior.cidr, parsed.cidr] : [parsed.cidr, prior.cidr];
        report(f.file, [...p, index], `'${value}' overlaps entry [${prior.index}] ('${list[prior.index]}'): ${inner.text} lies inside ${outer.text}; keep only the range you mean`);
        return;
      }
    }
    seen.push({ cidr: parsed.cidr, index });
  });
}

export const SEMANTIC_RULES: readonly SemanticRule[] = [
  {
    id: 'slug-matches-file',
    description: 'A customer file is named after its slug: customers/<slug>.yaml.',
    check(ctx, report) {
      for (const f of ctx.customers) {
        const slug = str(f, ['slug']);
        const base = f.file.replace(/^customers\//, '').replace(/\.ya?ml$/, '');
        if (slug !== undefined && slug !== base) report(f.file, ['slug'], `'${slug}' does not match the file name; rename the file to customers/${slug}.yaml or set slug: ${base}`);
      }
    },
  },
  {
    id: 'slug-unique',
    description: 'Customer slugs are unique across the fleet, and "platform" is reserved for vendor stacks.',
    check(ctx, report) {
      const seen = new Map<string, string>();
      for (const f of ctx.customers) {
        const slug = str(f, ['slug']);
        if (slug === undefined) continue;
        if (slug === PLATFORM_OWNER) report(f.file, ['slug'], `'${PLATFORM_OWNER}' is reserved for the vendor platform's stacks; choose another slug`);
        const prior = seen.get(slug);
        if (prior) report(f.file, ['slug'], `'${slug}' is already used by ${prior}; slugs must be unique`);
        else seen.set(slug, f.file);
      }
    },
  },
  {
    id: 'region-known',
    description: 'The region is a known AWS region.',
    check(ctx, report) {
      for (const { f } of allFiles(ctx)) {
        const region = str(f, ['aws', 'region']);
        if (region !== undefined && !KNOWN_REGIONS.has(region)) report(f.file, ['aws', 'region'], `'${region}' is not a known AWS region (e.g. us-east-1, eu-west-1, eu-central-1)`);
      }
    },
  },
  {
    id: 'azs-in-region',
    description: 'Availability zones belong to the configured region and are listed once.',
    check(ctx, report) {
      for (const { f } of allFiles(ctx)) {
        const region = str(f, ['aws', 'region']);
        const azs = fieldOk(f, ['aws', 'availabilityZones']) ? (get(f.raw, ['aws', 'availabilityZones']) as string[]) : [];
        const seen = new Set<string>();
        azs.forEach((az, i) => {
          if (region !== undefined && !new RegExp(`^${region}[a-z]$`).test(az)) {
            report(f.file, ['aws', 'availabilityZones', i], `'${az}' is not an availability zone of ${region}; use ${region}a, ${region}b, ...`);
          }
          if (seen.has(az)) report(f.file, ['aws', 'availabilityZones', i], `'${az}' is listed twice`);
          seen.add(az);
        });
      }
    },
  },
  {
    id: 'arns-match-account',
    description: 'Certificates and the SSO client secret live in the environment\'s own account and region.',
    check(ctx, report) {
      for (const { f, isPlatform } of allFiles(ctx)) {
        const region = str(f, ['aws', 'region']);
        const account = str(f, ['aws', 'account']);
        const arns: PathSegment[][] = [['dns', 'certificateArn']];
        for (const env of environmentsOf(f, isPlatform)) arns.push([...env.path, 'certificateArn'], [...env.path, 'sso', 'clientSecretArn']);
        for (const p of arns) {
          const arn = str(f, p);
          if (arn === undefined) continue;
          const parts = arnParts(arn);
          const what = p[p.length - 1] === 'certificateArn' ? 'the load balancer can only use a certificate' : 'the load balancer can only read a client secret';
          if (region !== undefined && parts.region !== region) report(f.file, p, `is in region ${parts.region} but the environments are in ${region}; ${what} from its own region`);
          if (account !== undefined && parts.account !== account) report(f.file, p, `is in account ${parts.account} but the environments are in ${account}; ${what} from its own account`);
        }
      }
    },
  },
  {
    id: 'environments-present',
    description: 'A customer declares at least one environment.',
    check(ctx, report) {
      for (const f of ctx.customers) {
        const envs = get(f.raw, ['environments']);
        if (envs && typeof envs === 'object' && Object.keys(envs).length === 0) {
          report(f.file, ['environments'], `declares no environment; add at least one of ${CUSTOMER_ENVIRONMENT_KINDS.join(', ')} (a new customer starts with sandbox: {})`);
        }
      }
    },
  },
  {
    id: 'val-source-exists',
    description: 'A VAL environment is cloned from an environment (prod or preprod) that the same customer has.',
    check(ctx, report) {
      for (const f of ctx.customers) {
        const source = str(f, ['environments', 'val', 'source']);
        if (source === undefined) continue;
        if (get(f.raw, ['environments', source]) === undefined) {
          report(f.file, ['environments', 'val', 'source'], `'${source}' is not an environment of this customer; VAL is cloned from an existing ${source} (declare environments.${source}, or set source to the one that exists)`);
        }
      }
    },
  },
  {
    id: 'val-copy',
    description: 'A VAL environment says how its data is copied (clone, or pinned snapshots for Main and Test) and names a valid scrub rules file.',
    check(ctx, report) {
      for (const f of ctx.customers) {
        const base = ['environments', 'val'];
        const val = get(f.raw, base);
        if (!val || typeof val !== 'object') continue;
        const method = fieldOk(f, [...base, 'method']) ? (get(f.raw, [...base, 'method']) as string) : get(f.raw, [...base, 'method']) === undefined ? 'clone' : undefined;
        const hasSnapshots = get(f.raw, [...base, 'snapshots']) !== undefined;
        if (method === 'snapshot') {
          if (!hasSnapshots) report(f.file, [...base, 'snapshots'], 'is required with method snapshot: name the cluster snapshot of Main and of Test, e.g. snapshots: { main: ..., test: ... }');
          else if (fieldOk(f, [...base, 'snapshots']) && get(f.raw, [...base, 'snapshots', 'test']) === undefined) {
            report(f.file, [...base, 'snapshots', 'test'], 'is required: VAL is a pair, Test is restored from its own snapshot (of the source\'s Test, or of Main when the source is single)');
          }
          if (get(f.raw, [...base, 'refresh']) !== undefined) report(f.file, [...base, 'refresh'], 'is only used with method clone; with snapshots, a new snapshot identifier is the refresh');
        }
        if (method === 'clone' && hasSnapshots) report(f.file, [...base, 'snapshots'], 'is only used with method snapshot; remove it, or set method: snapshot');
        const region = str(f, ['aws', 'region']);
        const account = str(f, ['aws', 'account']);
        for (const role of ['main', 'test']) {
          const id = str(f, [...base, 'snapshots', role]);
          if (!id?.startsWith('arn:')) continue;
          const parts = arnParts(id);
          if ((region !== undefined && parts.region !== region) || (account !== undefined && parts.account !== account)) {
            report(f.file, [...base, 'snapshots', role], `is in ${parts.account}/${parts.region}; restore from a snapshot in the customer's own account and region (${account}/${region}); copy shared snapshots first`);
          }
        }
        const rulesPath = str(f, [...base, 'scrubRules']);
        if (rulesPath === undefined) continue;
        const absolute = path.resolve(ctx.configDir, rulesPath);
        if (!absolute.startsWith(path.resolve(ctx.configDir) + path.sep)) {
          report(f.file, [...base, 'scrubRules'], `'${rulesPath}' points outside the configuration directory; keep rules files inside it (e.g. scrub/<name>.rules.yaml)`);
          continue;
        }
        if (!fs.existsSync(absolute)) {
          report(f.file, [...base, 'scrubRules'], `'${rulesPath}' does not exist in the configuration directory; create it (see config/scrub/volunteers.rules.yaml and docs/scrub.md)`);
          continue;
        }
        try {
          parseScrubRules(fs.readFileSync(absolute, 'utf8'), rulesPath);
        } catch (e) {
          if (!(e instanceof ScrubRulesError)) throw e;
          report(f.file, [...base, 'scrubRules'], `'${rulesPath}' is not a valid ruleset (${e.issues.length} problem${e.issues.length === 1 ? '' : 's'}, listed under ${rulesPath})`);
          for (const issue of e.issues) report(rulesPath, [...issue.path], issue.message, issue.line);
        }
      }
    },
  },
  {
    id: 'cidr-lists',
    description: 'CIDR lists have no duplicate or overlapping entries (the shape check refuses /0, broader than /16 and malformed blocks).',
    check(ctx, report) {
      for (const { f, isPlatform } of allFiles(ctx)) {
        for (const env of environmentsOf(f, isPlatform)) {
          checkCidrList(f, [...env.path, 'ingress', 'allowedCidrs'], report);
          checkCidrList(f, [...env.path, 'readReplica', 'allowedCidrs'], report);
        }
      }
    },
  },
  {
    id: 'windows-no-overlap',
    description: 'The daily backup window does not overlap the weekly maintenance window (catalog defaults fill what is not set).',
    check(ctx, report) {
      for (const { f, isPlatform } of allFiles(ctx)) {
        for (const env of environmentsOf(f, isPlatform)) {
          const mPath = [...env.path, 'maintenanceWindow'];
          const bPath = [...env.path, 'backupWindow'];
          const mGiven = get(f.raw, mPath) !== undefined;
          const bGiven = get(f.raw, bPath) !== undefined;
          if (!mGiven && !bGiven) continue;
          if ((mGiven && !fieldOk(f, mPath)) || (bGiven && !fieldOk(f, bPath))) continue;
          const m = parseMaintenanceWindow(mGiven ? (get(f.raw, mPath) as string) : CATALOG[env.kind].windows.maintenance);
          const b = parseBackupWindow(bGiven ? (get(f.raw, bPath) as string) : CATALOG[env.kind].windows.backup);
          if (m.ok && b.ok && backupOverlapsMaintenance(b.value, m.value)) {
            const mText = mGiven ? get(f.raw, mPath) : `${CATALOG[env.kind].windows.maintenance} (catalog default)`;
            const bText = bGiven ? get(f.raw, bPath) : `${CATALOG[env.kind].windows.backup} (catalog default)`;
            report(f.file, bGiven ? bPath : mPath, `backup window ${bText} overlaps maintenance window ${mText}; move one of them (RDS refuses overlapping windows)`);
          }
        }
      }
    },
  },
  {
    id: 'sizing-fits-kind',
    description: 'Capacity overrides are valid for Fargate and for the database mode of the kind (provisioned or serverless).',
    check(ctx, report) {
      for (const { f, isPlatform } of allFiles(ctx)) {
        for (const env of environmentsOf(f, isPlatform)) {
          const policy = CATALOG[env.kind];
          const app = [...env.path, 'sizing', 'app'];
          if (fieldOk(f, app)) {
            const given = get(f.raw, app) as Raw;
            const cpu = (given.cpu as number | undefined) ?? policy.app.cpu;
            const memory = (given.memoryMiB as number | undefined) ?? policy.app.memoryMiB;
            const size = FARGATE_SIZES[cpu];
            if (size && (memory < size.min || memory > size.max || (memory - size.min) % size.step !== 0)) {
              report(f.file, [...app, given.memoryMiB !== undefined ? 'memoryMiB' : 'cpu'], `${memory} MiB is not a valid memory size for ${cpu} CPU units on Fargate; use ${size.min} to ${size.max} in steps of ${size.step}`);
            }
            const min = (given.minTasks as number | undefined) ?? policy.app.minTasks;
            const max = (given.maxTasks as number | undefined) ?? policy.app.maxTasks;
            if (min > max) report(f.file, [...app, given.minTasks !== undefined ? 'minTasks' : 'maxTasks'], `minTasks ${min} is greater than maxTasks ${max}`);
            if (given.minTasks !== undefined && min < policy.app.minTasksFloor) {
              report(f.file, [...app, 'minTasks'], `${policy.title} needs at least ${policy.app.minTasksFloor} running task(s) for availability; set minTasks >= ${policy.app.minTasksFloor}`);
            }
          }
          const db = [...env.path, 'sizing', 'database'];
          if (fieldOk(f, db)) {
            const given = get(f.raw, db) as Raw;
            if (policy.database.mode === 'serverless' && given.instanceClass !== undefined) {
              report(f.file, [...db, 'instanceClass'], `${policy.title} runs Aurora Serverless v2; size it with minAcu/maxAcu, not an instance class`);
            }
            if (policy.database.mode === 'provisioned' && (given.minAcu !== undefined || given.maxAcu !== undefined)) {
              report(f.file, [...db, given.minAcu !== undefined ? 'minAcu' : 'maxAcu'], `${policy.title} runs provisioned instances; size it with instanceClass, not ACUs`);
            }
            if (policy.database.mode === 'serverless') {
              const min = (given.minAcu as number | undefined) ?? policy.database.minAcu;
              const max = (given.maxAcu as number | undefined) ?? policy.database.maxAcu;
              if (min > max) report(f.file, [...db, given.minAcu !== undefined ? 'minAcu' : 'maxAcu'], `minAcu ${min} is greater than maxAcu ${max}`);
            }
          }
        }
      }
    },
  },
  {
    id: 'platform-references',
    description: 'Customers that use Community need a Community instance in platform.yaml; Demo names are unique.',
    check(ctx, report) {
      for (const f of ctx.customers) {
        if (get(f.raw, ['usesCommunity']) === true && (!ctx.platform || get(ctx.platform.raw, ['community']) === undefined)) {
          report(f.file, ['usesCommunity'], 'the fleet has no Community instance; declare community in platform.yaml or remove usesCommunity');
        }
      }
      const p = ctx.platform;
      const demos = p ? get(p.raw, ['demos']) : undefined;
      if (p && Array.isArray(demos)) {
        const seen = new Map<string, number>();
        demos.forEach((_, i) => {
          const name = str(p, ['demos', i, 'name']);
          if (name === undefined) return;
          if (seen.has(name)) report(p.file, ['demos', i, 'name'], `'${name}' is already used by demos[${seen.get(name)}]; each Demo instance needs its own name`);
          else seen.set(name, i);
        });
      }
    },
  },
  {
    id: 'dns-zones-distinct',
    description: 'Each owner has its own DNS zone (host names are "<instance>-<environment>.<zone>" and would collide).',
    check(ctx, report) {
      const seen = new Map<string, string>();
      for (const { f } of allFiles(ctx)) {
        const zone = str(f, ['dns', 'zoneName']);
        if (zone === undefined) continue;
        const prior = seen.get(zone);
        if (prior) report(f.file, ['dns', 'zoneName'], `'${zone}' is already the zone of ${prior}; host names would collide, give each customer its own zone (e.g. <slug>.${zone})`);
        else seen.set(zone, f.file);
      }
    },
  },
];

export function runSemanticRules(ctx: RuleContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const report: Report = (file, path, message, line) => issues.push({ file, path, message, line });
  for (const rule of SEMANTIC_RULES) rule.check(ctx, report);
  return issues;
}
