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
import { parseSshPublicKey } from '../../constructs/jump-host/ssh-keys';
import { ScrubRulesError } from '../../constructs/pii-scrub/engine/issues';
import { parseScrubRules } from '../../constructs/pii-scrub/engine/rules';
import { CATALOG } from '../catalog';
import { effectiveApp, effectiveDatabase, effectiveWindows } from '../effective';
import { Cidr, parseCidr } from './cidr';
import { ALIAS_BOMB_MESSAGE, readConfigFile } from './files';
import { ConfigIssue, PathSegment } from './issues';
import type { SourceFile } from './issues';
import { CUSTOMER_ENVIRONMENT_KINDS, EnvironmentKind, FARGATE_SIZES, PLATFORM_OWNER, parseEcrRepository } from './model';
import { REGION_TABLE_FILE, REGION_ZONES, SUPPORTED_REGIONS } from './regions';
import { backupOverlapsMaintenance, parseBackupWindow, parseMaintenanceWindow } from './windows';

type Raw = Record<string, unknown>;
type Report = (file: string, path: PathSegment[], message: string, line?: number) => void;

interface RuleContext {
  /** The configuration directory (rules that read referenced files, e.g. scrub rules). */
  readonly configDir: string;
  /** Texts of the files the configuration references (scrub rules), as read here, for resolution to reuse. */
  readonly texts?: Map<string, string>;
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
      for (const kind of CUSTOMER_ENVIRONMENT_KINDS)
        if ((envs as Raw)[kind] !== undefined) out.push({ path: ['environments', kind], kind });
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

/**
 * Duplicates and overlaps in one CIDR list, in O(n log n): aligned blocks either nest or are
 * disjoint, so after sorting by start address (broader first, then list order) every entry that
 * starts before the end of the current outermost block lies inside it. Each such entry is reported
 * once, against that outermost block.
 */
function checkCidrList(f: SourceFile<unknown>, p: PathSegment[], report: Report): void {
  const list = get(f.raw, p);
  if (!Array.isArray(list)) return;
  const entries: Array<{ cidr: Cidr; index: number; end: number }> = [];
  list.forEach((value, index) => {
    if (typeof value !== 'string') return;
    const parsed = parseCidr(value);
    if (!parsed.ok) return; // already reported by the shape check
    entries.push({ cidr: parsed.cidr, index, end: parsed.cidr.network + 2 ** (32 - parsed.cidr.prefix) - 1 });
  });
  entries.sort((a, b) => a.cidr.network - b.cidr.network || a.cidr.prefix - b.cidr.prefix || a.index - b.index);
  let outer: (typeof entries)[number] | undefined;
  for (const e of entries) {
    if (outer && e.cidr.network <= outer.end) {
      if (e.cidr.text === outer.cidr.text) {
        report(f.file, [...p, e.index], `'${list[e.index]}' duplicates entry [${outer.index}]; remove one of them`);
      } else {
        report(
          f.file,
          [...p, e.index],
          `'${list[e.index]}' overlaps entry [${outer.index}] ('${list[outer.index]}'): ` +
            `${e.cidr.text} lies inside ${outer.cidr.text}; keep only the range you mean`,
        );
      }
      continue;
    }
    outer = e;
  }
}

/** A zone name list for messages: "eu-west-1a, eu-west-1b, eu-west-1c". */
function zoneList(region: string): string {
  return REGION_ZONES[region].names.join(', ');
}

export const SEMANTIC_RULES: readonly SemanticRule[] = [
  {
    id: 'slug-matches-file',
    description: 'A customer file is named after its slug: customers/<slug>.yaml.',
    check(ctx, report) {
      for (const f of ctx.customers) {
        const slug = str(f, ['slug']);
        const base = f.file.replace(/^customers\//, '').replace(/\.ya?ml$/, '');
        if (slug !== undefined && slug !== base)
          report(
            f.file,
            ['slug'],
            `'${slug}' does not match the file name; rename the file to customers/${slug}.yaml or set slug: ${base}`,
          );
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
        if (slug === PLATFORM_OWNER)
          report(f.file, ['slug'], `'${PLATFORM_OWNER}' is reserved for the vendor platform's stacks; choose another slug`);
        const prior = seen.get(slug);
        if (prior) report(f.file, ['slug'], `'${slug}' is already used by ${prior}; slugs must be unique`);
        else seen.set(slug, f.file);
      }
    },
  },
  {
    id: 'region-supported',
    description:
      `The region is one whose availability zones are in the project's table ` +
      `(${REGION_TABLE_FILE}, from the AWS "Regions and Zones" guide).`,
    check(ctx, report) {
      for (const { f } of allFiles(ctx)) {
        const region = str(f, ['aws', 'region']);
        if (region === undefined || REGION_ZONES[region]) continue;
        if (KNOWN_REGIONS.has(region)) {
          report(
            f.file,
            ['aws', 'region'],
            `'${region}' is an AWS region whose availability zones are not in ` +
              `${REGION_TABLE_FILE}; add its row there (see the comment at the top of that ` +
              `file), or use one of ${SUPPORTED_REGIONS.join(', ')}`,
          );
        } else {
          report(f.file, ['aws', 'region'], `'${region}' is not a known AWS region; use one of ${SUPPORTED_REGIONS.join(', ')}`);
        }
      }
    },
  },
  {
    id: 'azs-in-region',
    description: 'Availability zones exist in the configured region (per the committed zone table) and are listed once.',
    check(ctx, report) {
      for (const { f } of allFiles(ctx)) {
        const region = str(f, ['aws', 'region']);
        const table = region !== undefined ? REGION_ZONES[region] : undefined;
        const azs = fieldOk(f, ['aws', 'availabilityZones']) ? (get(f.raw, ['aws', 'availabilityZones']) as string[]) : [];
        const seen = new Map<string, number>();
        azs.forEach((az, i) => {
          if (region !== undefined && table && !table.names.includes(az)) {
            const home = Object.keys(REGION_ZONES).find((r) => REGION_ZONES[r].names.includes(az));
            const other = home && home !== region ? ` (it is a zone of ${home})` : '';
            report(
              f.file,
              ['aws', 'availabilityZones', i],
              `'${az}' is not an availability zone of ${region}${other}; the zones of ${region} are ${zoneList(region)}`,
            );
          }
          const prior = seen.get(az);
          if (prior !== undefined)
            report(f.file, ['aws', 'availabilityZones', i], `'${az}' is listed twice (also entry [${prior}]); list each zone once`);
          else seen.set(az, i);
        });
        if (table && azs.length > table.zoneIds.length) {
          report(
            f.file,
            ['aws', 'availabilityZones'],
            `lists ${azs.length} zones but ${region} has ${table.zoneIds.length} ` +
              `(${table.zoneIds.join(', ')}); list at most ${table.zoneIds.length}`,
          );
        }
      }
    },
  },
  {
    id: 'zones-per-kind',
    description:
      'The owner lists at least as many availability zones as its environment kinds span (catalog network.maxAzs: PROD 3, others 2).',
    check(ctx, report) {
      for (const { f, isPlatform } of allFiles(ctx)) {
        if (!fieldOk(f, ['aws', 'availabilityZones'])) continue;
        const azs = get(f.raw, ['aws', 'availabilityZones']) as string[];
        const region = str(f, ['aws', 'region']);
        const table = region !== undefined ? REGION_ZONES[region] : undefined;
        const kinds = [...new Set(environmentsOf(f, isPlatform).map((e) => e.kind))];
        const widest = kinds
          .map((kind) => ({ kind, policy: CATALOG[kind] }))
          .sort((a, b) => b.policy.network.maxAzs - a.policy.network.maxAzs)[0];
        if (!widest) continue;
        const needed = widest.policy.network.maxAzs;
        if (azs.length >= needed) continue;
        const title = widest.policy.title;
        const where = isPlatform ? widest.kind : `environments.${widest.kind}`;
        const nat = widest.policy.network.natGateways === 'perAz' ? ' and a NAT gateway in each' : '';
        if (table && table.zoneIds.length < needed) {
          report(
            f.file,
            ['aws', 'availabilityZones'],
            `${where} needs ${needed} availability zones (the catalog builds ${title} on ` +
              `${needed} zones${nat}), but ${region} has only ${table.zoneIds.length}; deploy ` +
              `this customer to a region with ${needed} or more zones`,
          );
          continue;
        }
        const unused = table && region ? table.names.filter((n) => !azs.includes(n)).slice(0, needed - azs.length) : [];
        const hint = unused.length > 0 ? ` (e.g. ${unused.join(', ')})` : '';
        report(
          f.file,
          ['aws', 'availabilityZones'],
          `lists ${azs.length} availability zone${azs.length === 1 ? '' : 's'} but ` +
            `${where} needs ${needed}: the catalog builds ${title} on ${needed} zones${nat}; ` +
            `add ${needed - azs.length} more zone${needed - azs.length === 1 ? '' : 's'} of ` +
            `${region ?? 'the region'}${hint}`,
        );
      }
    },
  },
  {
    id: 'arns-match-account',
    description: "Certificates and the SSO client secret live in the environment's own account and region.",
    check(ctx, report) {
      for (const { f, isPlatform } of allFiles(ctx)) {
        const region = str(f, ['aws', 'region']);
        const account = str(f, ['aws', 'account']);
        const arns: PathSegment[][] = [['dns', 'certificateArn']];
        for (const env of environmentsOf(f, isPlatform))
          arns.push([...env.path, 'certificateArn'], [...env.path, 'sso', 'clientSecretArn']);
        for (const p of arns) {
          const arn = str(f, p);
          if (arn === undefined) continue;
          const parts = arnParts(arn);
          const what =
            p[p.length - 1] === 'certificateArn'
              ? 'the load balancer can only use a certificate'
              : 'the load balancer can only read a client secret';
          if (region !== undefined && parts.region !== region)
            report(f.file, p, `is in region ${parts.region} but the environments are in ${region}; ${what} from its own region`);
          if (account !== undefined && parts.account !== account)
            report(f.file, p, `is in account ${parts.account} but the environments are in ${account}; ${what} from its own account`);
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
          report(
            f.file,
            ['environments'],
            `declares no environment; add at least one of ` +
              `${CUSTOMER_ENVIRONMENT_KINDS.join(', ')} (a new customer starts with sandbox: ` +
              `{})`,
          );
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
          report(
            f.file,
            ['environments', 'val', 'source'],
            `'${source}' is not an environment of this customer; VAL is cloned from an ` +
              `existing ${source} (declare environments.${source}, or set source to the one ` +
              `that exists)`,
          );
        }
      }
    },
  },
  {
    id: 'val-copy',
    description:
      'A VAL environment says how its data is copied (clone, or pinned snapshots for Main and Test) and names a valid scrub rules file.',
    check(ctx, report) {
      for (const f of ctx.customers) {
        const base = ['environments', 'val'];
        const val = get(f.raw, base);
        if (!val || typeof val !== 'object') continue;
        const method = fieldOk(f, [...base, 'method'])
          ? (get(f.raw, [...base, 'method']) as string)
          : get(f.raw, [...base, 'method']) === undefined
            ? 'clone'
            : undefined;
        const hasSnapshots = get(f.raw, [...base, 'snapshots']) !== undefined;
        if (method === 'snapshot') {
          if (!hasSnapshots)
            report(
              f.file,
              [...base, 'snapshots'],
              'is required with method snapshot: name the cluster snapshot of Main and of Test, e.g. snapshots: { main: ..., test: ... }',
            );
          else if (fieldOk(f, [...base, 'snapshots']) && get(f.raw, [...base, 'snapshots', 'test']) === undefined) {
            report(
              f.file,
              [...base, 'snapshots', 'test'],
              'is required: VAL is a pair, Test is restored from its own snapshot (of the ' +
                "source's Test, or of Main when the source is single)",
            );
          }
          if (get(f.raw, [...base, 'refresh']) !== undefined)
            report(
              f.file,
              [...base, 'refresh'],
              'is only used with method clone; with snapshots, a new snapshot identifier is the refresh',
            );
        }
        if (method === 'clone' && hasSnapshots)
          report(f.file, [...base, 'snapshots'], 'is only used with method snapshot; remove it, or set method: snapshot');
        const region = str(f, ['aws', 'region']);
        const account = str(f, ['aws', 'account']);
        for (const role of ['main', 'test']) {
          const id = str(f, [...base, 'snapshots', role]);
          if (!id?.startsWith('arn:')) continue;
          const parts = arnParts(id);
          if ((region !== undefined && parts.region !== region) || (account !== undefined && parts.account !== account)) {
            report(
              f.file,
              [...base, 'snapshots', role],
              `is in ${parts.account}/${parts.region}; restore from a snapshot in the ` +
                `customer's own account and region (${account}/${region}); copy shared snapshots ` +
                `first`,
            );
          }
        }
        const rulesPath = str(f, [...base, 'scrubRules']);
        if (rulesPath === undefined) continue;
        const absolute = path.resolve(ctx.configDir, rulesPath);
        if (!absolute.startsWith(path.resolve(ctx.configDir) + path.sep)) {
          report(
            f.file,
            [...base, 'scrubRules'],
            `'${rulesPath}' points outside the configuration directory; keep rules files inside it (e.g. scrub/<name>.rules.yaml)`,
          );
          continue;
        }
        let linkTarget = false;
        try {
          linkTarget = fs.lstatSync(absolute).isSymbolicLink();
        } catch {
          /* absent */
        }
        if (!fs.existsSync(absolute) && !linkTarget) {
          report(
            f.file,
            [...base, 'scrubRules'],
            `'${rulesPath}' does not exist in the configuration directory; create it (see ` +
              `config/scrub/volunteers.rules.yaml and docs/scrub.md)`,
          );
          continue;
        }
        const read = readConfigFile(absolute, rulesPath, { confineTo: ctx.configDir, what: 'a scrub rules file' });
        if (!read.ok) {
          report(f.file, [...base, 'scrubRules'], `'${rulesPath}' ${read.issue.message}`);
          continue;
        }
        ctx.texts?.set(rulesPath, read.text);
        try {
          parseScrubRules(read.text, rulesPath);
        } catch (e) {
          if (!(e instanceof ScrubRulesError)) {
            const bomb = e instanceof ReferenceError && /alias/i.test(e.message);
            report(
              f.file,
              [...base, 'scrubRules'],
              `'${rulesPath}' ` +
                `${bomb ? ALIAS_BOMB_MESSAGE : `cannot be read as a ruleset (${(e as Error).message}); see docs/scrub.md for the format`}`,
            );
            continue;
          }
          report(
            f.file,
            [...base, 'scrubRules'],
            `'${rulesPath}' is not a valid ruleset (${e.issues.length} ` +
              `problem${e.issues.length === 1 ? '' : 's'}, listed under ${rulesPath})`,
          );
          for (const issue of e.issues) report(rulesPath, [...issue.path], issue.message, issue.line);
        }
      }
    },
  },
  {
    id: 'read-replica-recipient',
    description:
      "The read replica's credentials recipient is an IAM user in the customer's own " +
      'account (a role names no one person: every session of it matches), and the ' +
      'password outlives the collection window.',
    check(ctx, report) {
      for (const f of ctx.customers) {
        const base: PathSegment[] = ['environments', 'prod', 'readReplica', 'credentials'];
        const arn = get(f.raw, [...base, 'recipientArn']);
        const m = typeof arn === 'string' ? /^arn:aws[a-z-]*:iam::(\d{12}):(user|role)\//.exec(arn) : null;
        if (m) {
          const account = get(f.raw, ['aws', 'account']);
          if (m[2] === 'role') {
            report(
              f.file,
              [...base, 'recipientArn'],
              `'${String(arn)}' is a role; give the IAM user of the named person who collects ` +
                `the password (every session of a role could read it)`,
            );
          } else if (typeof account === 'string' && m[1] !== account) {
            report(
              f.file,
              [...base, 'recipientArn'],
              `'${String(arn)}' is in account ${m[1]}, not in the customer's account ` +
                `${account}; give an IAM user of the customer's own account`,
            );
          }
        }
        const validity = get(f.raw, [...base, 'passwordValidityDays']);
        const collection = get(f.raw, [...base, 'collectionDays']) ?? 14;
        if (typeof validity === 'number' && typeof collection === 'number' && validity <= collection) {
          report(
            f.file,
            [...base, 'passwordValidityDays'],
            `is ${validity}, not more than collectionDays (${collection}); the password must stay valid after the collection window closes`,
          );
        }
      }
    },
  },
  {
    id: 'ssh-keys-distinct',
    description: "The read replica's SSH public keys are each listed once (the jump host refuses a repeated key).",
    check(ctx, report) {
      for (const f of ctx.customers) {
        const p: PathSegment[] = ['environments', 'prod', 'readReplica', 'sshPublicKeys'];
        const keys = get(f.raw, p);
        if (!Array.isArray(keys)) continue;
        const seen = new Map<string, number>();
        keys.forEach((value, i) => {
          if (typeof value !== 'string') return;
          const parsed = parseSshPublicKey(value);
          if (!parsed.ok) return; // reported by the shape check
          const prior = seen.get(parsed.key.blob);
          if (prior !== undefined) report(f.file, [...p, i], `is the same key as entry [${prior}]; list each key once`);
          else seen.set(parsed.key.blob, i);
        });
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
          checkCidrList(f, [...env.path, 'egress', 'allowedCidrs'], report);
          checkCidrList(f, [...env.path, 'readReplica', 'allowedCidrs'], report);
        }
      }
    },
  },
  {
    id: 'pii-not-open-to-internet',
    description:
      'An environment that holds real volunteer PII (catalog row "real volunteer PII") ' +
      'is not open to the whole internet without single sign-on: it sets sso or ' +
      'ingress.allowedCidrs.',
    check(ctx, report) {
      for (const { f, isPlatform } of allFiles(ctx)) {
        for (const env of environmentsOf(f, isPlatform)) {
          const policy = CATALOG[env.kind];
          if (!policy.holdsRealPii) continue;
          // A present but malformed block is already reported by the shape check.
          if (get(f.raw, [...env.path, 'sso']) !== undefined || get(f.raw, [...env.path, 'ingress', 'allowedCidrs']) !== undefined)
            continue;
          report(
            f.file,
            env.path,
            `${policy.title} holds real volunteer PII and would be open to the whole internet without single sign-on; ` +
              `restrict it to the customer's ranges with ingress: { allowedCidrs: [...] } (e.g. the offices' public ranges), ` +
              `or put the customer's SSO in front of it with sso: { issuer, ` +
              `authorizationEndpoint, tokenEndpoint, userInfoEndpoint, clientId, ` +
              `clientSecretArn }`,
          );
        }
      }
    },
  },
  {
    id: 'digest-for-change-controlled',
    description:
      'A change-controlled environment (catalog row "change-controlled") runs a ' +
      'release pinned by image digest (release.digest), never a mutable tag alone.',
    check(ctx, report) {
      for (const { f, isPlatform } of allFiles(ctx)) {
        const repository = str(f, ['image', 'repository']);
        const repositoryName = repository !== undefined ? parseEcrRepository(repository)?.name : undefined;
        for (const env of environmentsOf(f, isPlatform)) {
          const policy = CATALOG[env.kind];
          if (!policy.changeControlled) continue;
          const own = get(f.raw, [...env.path, 'release']) !== undefined;
          const releasePath: PathSegment[] = own ? [...env.path, 'release'] : ['release'];
          const release = get(f.raw, releasePath);
          if (release === null || typeof release !== 'object') continue; // missing or malformed: reported by the shape check
          if ((release as Raw).digest !== undefined) continue; // present: its format is the shape check's
          const version = str(f, [...releasePath, 'version']);
          const build = fieldOk(f, [...releasePath, 'build']) ? String(get(f.raw, [...releasePath, 'build'])) : undefined;
          const tag = version !== undefined && build !== undefined ? `${version}-b${build}` : '<version>-b<build>';
          const where = isPlatform ? env.path.join('.') : `environments.${env.kind}`;
          const whose = own ? `${where} (${policy.title})` : `${where} (${policy.title}) runs this release and`;
          report(
            f.file,
            releasePath,
            `has no digest: ${whose} is change-controlled, so its image must be pinned by digest, not by the mutable tag ${tag}; ` +
              `add digest: "sha256:..." to this release, as ECR reports it: ` +
              `aws ecr describe-images --repository-name ${repositoryName ?? '<name>'} ` +
              `--image-ids imageTag=${tag} --query 'imageDetails[0].imageDigest'`,
          );
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
          const windows = effectiveWindows(CATALOG[env.kind], {
            maintenanceWindow: mGiven ? (get(f.raw, mPath) as string) : undefined,
            backupWindow: bGiven ? (get(f.raw, bPath) as string) : undefined,
          });
          const m = parseMaintenanceWindow(windows.maintenance);
          const b = parseBackupWindow(windows.backup);
          if (m.ok && b.ok && backupOverlapsMaintenance(b.value, m.value)) {
            const mText = mGiven ? String(get(f.raw, mPath)) : `${CATALOG[env.kind].windows.maintenance} (catalog default)`;
            const bText = bGiven ? String(get(f.raw, bPath)) : `${CATALOG[env.kind].windows.backup} (catalog default)`;
            report(
              f.file,
              bGiven ? bPath : mPath,
              `backup window ${bText} overlaps maintenance window ${mText}; move one of them (RDS refuses overlapping windows)`,
            );
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
            const { cpu, memoryMiB: memory, minTasks: min, maxTasks: max } = effectiveApp(policy, given);
            const size = FARGATE_SIZES[cpu];
            if (size && (memory < size.min || memory > size.max || (memory - size.min) % size.step !== 0)) {
              report(
                f.file,
                [...app, given.memoryMiB !== undefined ? 'memoryMiB' : 'cpu'],
                `${memory} MiB is not a valid memory size for ${cpu} CPU units on Fargate; use ` +
                  `${size.min} to ${size.max} in steps of ${size.step}`,
              );
            }
            if (min > max)
              report(
                f.file,
                [...app, given.minTasks !== undefined ? 'minTasks' : 'maxTasks'],
                `minTasks ${min} is greater than maxTasks ${max}`,
              );
            if (given.minTasks !== undefined && min < policy.app.minTasksFloor) {
              report(
                f.file,
                [...app, 'minTasks'],
                `${policy.title} needs at least ${policy.app.minTasksFloor} running task(s) for ` +
                  `availability; set minTasks >= ${policy.app.minTasksFloor}`,
              );
            }
          }
          const db = [...env.path, 'sizing', 'database'];
          if (fieldOk(f, db)) {
            const given = get(f.raw, db) as Raw;
            if (policy.database.mode === 'serverless' && given.instanceClass !== undefined) {
              report(
                f.file,
                [...db, 'instanceClass'],
                `${policy.title} runs Aurora Serverless v2; size it with minAcu/maxAcu, not an instance class`,
              );
            }
            if (policy.database.mode === 'provisioned' && (given.minAcu !== undefined || given.maxAcu !== undefined)) {
              report(
                f.file,
                [...db, given.minAcu !== undefined ? 'minAcu' : 'maxAcu'],
                `${policy.title} runs provisioned instances; size it with instanceClass, not ACUs`,
              );
            }
            const effective = effectiveDatabase(policy, given);
            if (effective.mode === 'serverless') {
              const { minAcu: min, maxAcu: max } = effective;
              if (min > max)
                report(f.file, [...db, given.minAcu !== undefined ? 'minAcu' : 'maxAcu'], `minAcu ${min} is greater than maxAcu ${max}`);
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
          report(
            f.file,
            ['usesCommunity'],
            'the fleet has no Community instance; declare community in platform.yaml or remove usesCommunity',
          );
        }
      }
      const p = ctx.platform;
      const demos = p ? get(p.raw, ['demos']) : undefined;
      if (p && Array.isArray(demos)) {
        const seen = new Map<string, number>();
        demos.forEach((_, i) => {
          const name = str(p, ['demos', i, 'name']);
          if (name === undefined) return;
          if (seen.has(name))
            report(
              p.file,
              ['demos', i, 'name'],
              `'${name}' is already used by demos[${seen.get(name)}]; each Demo instance needs its own name`,
            );
          else seen.set(name, i);
        });
      }
    },
  },
  {
    id: 'dns-zones-distinct',
    description:
      'Each owner has its own DNS zone, by name and by Route 53 hosted zone id (host ' +
      'names are "<instance>-<environment>.<zone>" and would collide).',
    check(ctx, report) {
      const names = new Map<string, string>();
      const ids = new Map<string, string>();
      for (const { f } of allFiles(ctx)) {
        const zone = str(f, ['dns', 'zoneName']);
        if (zone !== undefined) {
          const prior = names.get(zone);
          if (prior)
            report(
              f.file,
              ['dns', 'zoneName'],
              `'${zone}' is already the zone of ${prior}; host names would collide, give each customer its own zone (e.g. <slug>.${zone})`,
            );
          else names.set(zone, f.file);
        }
        const id = str(f, ['dns', 'zoneId']);
        if (id !== undefined) {
          const prior = ids.get(id);
          if (prior) {
            report(
              f.file,
              ['dns', 'zoneId'],
              `'${id}' is already the hosted zone of ${prior}; one Route 53 hosted zone per ` +
                `owner: create a hosted zone for this owner's zoneName and use its id`,
            );
          } else ids.set(id, f.file);
        }
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
