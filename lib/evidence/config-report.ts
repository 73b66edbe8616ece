/**
 * The configuration report of one environment: its resolved configuration (what the vendor's
 * printed configuration PDF was) with, for every value, where it comes from: the environment's own
 * override in its file, the owner's default in the same file, or the environment catalog
 * (lib/catalog.ts). The same settings are what `env-diff` compares.
 */
import { renderCatalogTable } from '../catalog-table';
import { ENVIRONMENT_KINDS } from '../kinds';
import { EnvironmentOverrides, Fleet } from '../config/model';
import { EnvironmentSpec } from '../environments';
import { showValue } from './canonical';
import { Block, EvidenceDocument } from './document';
import { overridesOf } from './environment-select';
import { recordSha256 } from './ecr';
import { SIGNATURE_HOW, SIGNATURE_ROLES } from './ecr-document';
import { BuildFingerprint, FileHash } from './fingerprint';

export interface Setting {
  readonly group: string;
  readonly name: string;
  readonly value: string;
  /** override (file and path), owner default (file and path), catalog, or default. */
  readonly source: string;
}

export interface ConfigReport {
  readonly reportId: string;
  readonly customer: string;
  readonly environment: string;
  readonly kind: string;
  readonly title: string;
  readonly account: string;
  readonly region: string;
  readonly generatedAt: string;
  readonly generatedAtSource: string;
  readonly generator: string;
  readonly build: BuildFingerprint;
  readonly configurationFile: FileHash;
  readonly settings: readonly Setting[];
  readonly catalog: readonly { readonly row: string; readonly value: string }[];
  /** Shown at the top of the report: the emergency override of the validated-before-PROD rule, the VAL window. */
  readonly lifecycle: {
    readonly release: string;
    readonly releaseEntry?: { readonly date: string; readonly notes: string };
    readonly engineVersion: string;
    readonly emergencyHotfix?: { readonly reason: string; readonly reference: string };
    readonly validationWindow?: { readonly start: string; readonly end: string };
  };
}

/** The catalog's column of this kind, row by row, in the README's own wording (lib/catalog-table.ts). */
export function catalogColumn(kind: string): { row: string; value: string }[] {
  const index = (ENVIRONMENT_KINDS as readonly string[]).indexOf(kind);
  const lines = renderCatalogTable()
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|(\s*-+\s*\|)+$/.test(l));
  return lines.slice(1).map((l) => {
    const cells = l
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
    return { row: cells[0], value: cells[index + 1] ?? '' };
  });
}

const has = (o: object | undefined, key: string) => !!o && (o as Record<string, unknown>)[key] !== undefined;

export function resolvedSettings(fleet: Fleet, spec: EnvironmentSpec): Setting[] {
  const { overrides, path: envPath } = overridesOf(fleet, spec);
  const file = spec.sourceFile;
  const ov = (p: string) => `override: ${file} ${envPath}.${p}`;
  const owner = (p: string) => `owner default: ${file} ${p}`;
  const catalog = `catalog: lib/catalog.ts (${spec.policy.title})`;
  const o = overrides as EnvironmentOverrides & Record<string, unknown>;
  const releaseFrom = has(o, 'release') ? ov('release') : owner('release');
  const out: Setting[] = [];
  const add = (group: string, name: string, value: unknown, source: string) =>
    out.push({
      group,
      name,
      value:
        value === undefined ? 'none' : Array.isArray(value) ? value.map((v) => showValue(v)).join(', ') || 'none' : showValue(value, 1000),
      source,
    });
  add('Identity', 'display name', spec.ownerDisplayName, owner('displayName'));
  add('Identity', 'account', spec.account, owner('aws.account'));
  add('Identity', 'region', spec.region, owner('aws.region'));
  add(
    'Identity',
    'availability zones',
    spec.availabilityZones,
    `${owner('aws.availabilityZones')} (name order, first ${spec.policy.network.maxAzs}: ${catalog})`,
  );
  add('Identity', 'NAT gateways', spec.natGateways, catalog);
  add('Identity', 'break-glass role', spec.breakGlassRoleArn, spec.breakGlassRoleArn ? owner('aws.breakGlassRoleArn') : 'default: none');
  add('Release', 'version', spec.release.version, releaseFrom);
  add('Release', 'build', spec.release.build, releaseFrom);
  add('Release', 'image tag', spec.release.imageTag, 'derived: <version>-b<build> (lib/naming.ts)');
  add('Release', 'digest', spec.release.digest, releaseFrom);
  const ownerConfig = spec.owner === 'platform' ? fleet.platform : fleet.customers.find((c) => c.slug === spec.owner);
  const releaseConfig = (has(o, 'release') ? o.release : ownerConfig?.release) as Record<string, unknown> | undefined;
  add(
    'Release',
    'read-only root filesystem',
    spec.release.readOnlyRootFilesystem,
    has(releaseConfig, 'readOnlyRootFilesystem') ? `${releaseFrom}.readOnlyRootFilesystem` : 'default: true (lib/config/model.ts)',
  );
  add(
    'Release',
    'container user',
    spec.release.user,
    has(releaseConfig, 'user') ? `${releaseFrom}.user` : 'default: 1000:1000 (lib/config/model.ts)',
  );
  add('Release', 'image repository', spec.image.repositoryUri, owner('image.repository'));
  const lc = spec.lifecycle;
  const ledger = fleet.releases ? 'ledger: releases.yaml' : 'none: the fleet has no releases.yaml';
  add('Release', 'ledger entry', lc.releaseEntry ? `${lc.releaseEntry.date}, notes ${lc.releaseEntry.notes}` : 'none', ledger);
  if (spec.policy.lifecycle.requiresValidatedRelease)
    add(
      'Release',
      'VAL validation record',
      lc.validation ? `${lc.validation.reference} (${lc.validation.val.start} to ${lc.validation.val.end})` : 'none',
      lc.validation ? `ledger: releases.yaml customers.${spec.owner}.validated` : ledger,
    );
  add(
    'Release',
    'EMERGENCY HOTFIX OVERRIDE',
    lc.emergencyHotfix ? `${lc.emergencyHotfix.reference}: ${lc.emergencyHotfix.reason}` : 'none',
    lc.emergencyHotfix ? ov('emergencyHotfix') : 'default: none',
  );
  add(
    'Engine',
    'Aurora MySQL version',
    `${spec.engine.version} (${spec.engine.fullVersion})`,
    o.engine?.version ? ov('engine.version') : catalog,
  );
  add(
    'Engine',
    'major upgrade requested',
    o.engine?.allowMajorUpgrade === true ? 'yes' : 'no',
    o.engine?.allowMajorUpgrade ? ov('engine.allowMajorUpgrade') : 'default: no',
  );
  add('Engine', 'pre-upgrade snapshot', lc.preUpgradeSnapshot ? 'yes' : 'no', catalog);
  if (spec.kind === 'val')
    add(
      'Lifecycle',
      'VAL validation window',
      lc.validationWindow ? `${lc.validationWindow.start} to ${lc.validationWindow.end}` : 'none',
      lc.validationWindow ? ov('validation') : 'default: none',
    );
  const db = spec.database;
  const sizingDb = o.sizing?.database;
  if (db.mode === 'provisioned') {
    add(
      'Sizing',
      'database',
      `${db.instanceClass} writer + ${db.readers} reader(s)`,
      has(sizingDb, 'instanceClass') ? ov('sizing.database.instanceClass') : catalog,
    );
  } else {
    add('Sizing', 'database minimum ACU', db.minAcu, has(sizingDb, 'minAcu') ? ov('sizing.database.minAcu') : catalog);
    add('Sizing', 'database maximum ACU', db.maxAcu, has(sizingDb, 'maxAcu') ? ov('sizing.database.maxAcu') : catalog);
  }
  const sizingApp = o.sizing?.app;
  for (const [k, label] of [
    ['cpu', 'task CPU units'],
    ['memoryMiB', 'task memory (MiB)'],
    ['minTasks', 'minimum tasks'],
    ['maxTasks', 'maximum tasks'],
  ] as const) {
    add('Sizing', label, spec.app[k], has(sizingApp, k) ? ov(`sizing.app.${k}`) : catalog);
  }
  add('Windows', 'maintenance window (UTC)', spec.maintenanceWindow, has(o, 'maintenanceWindow') ? ov('maintenanceWindow') : catalog);
  add('Windows', 'backup window (UTC)', spec.backupWindow, has(o, 'backupWindow') ? ov('backupWindow') : catalog);
  add(
    'Access',
    'host names',
    spec.instances.map((i) => i.hostName),
    'derived: lib/naming.ts',
  );
  add(
    'Access',
    'client ranges (ingress)',
    spec.ingressCidrs ?? 'the internet (behind WAF)',
    spec.ingressCidrs ? ov('ingress.allowedCidrs') : 'default: none',
  );
  add('Access', 'application egress (HTTPS)', spec.egressCidrs, spec.egressCidrs ? ov('egress.allowedCidrs') : 'default: none');
  add('Access', 'SSO issuer', spec.sso?.issuer, spec.sso ? ov('sso.issuer') : 'default: none');
  add('Access', 'SSO client id', spec.sso?.clientId, spec.sso ? ov('sso.clientId') : 'default: none');
  add('Access', 'internet access reason', spec.internetAccessReason, spec.internetAccessReason ? catalog : 'not applicable');
  add('Access', 'certificate', spec.dns.certificateArn, has(o, 'certificateArn') ? ov('certificateArn') : owner('dns.certificateArn'));
  add('Access', 'DNS zone', `${spec.dns.zoneName} (${spec.dns.zoneId})`, owner('dns'));
  const rr = spec.readReplica;
  add('Read replica', 'configured', rr ? 'yes' : 'no', rr ? ov('readReplica') : 'default: none');
  if (rr) {
    add('Read replica', 'allowed ranges', rr.allowedCidrs, ov('readReplica.allowedCidrs'));
    add('Read replica', 'SSH keys', rr.sshPublicKeys.length, ov('readReplica.sshPublicKeys'));
    add('Read replica', 'jump host AMI', rr.jumpHostAmi, ov('readReplica.jumpHostAmi'));
    add('Read replica', 'instance class', rr.instanceClass, ov('readReplica.instanceClass'));
    add('Read replica', 'credentials recipient', rr.recipientArn, ov('readReplica.credentials.recipientArn'));
    add('Read replica', 'credentials issue date', rr.issueDate, ov('readReplica.credentials.issueDate'));
    add('Read replica', 'collection days', rr.collectionDays, ov('readReplica.credentials.collectionDays'));
  }
  const val = spec.val;
  if (val) {
    add('VAL source', 'source environment', val.source, ov('source'));
    add('VAL source', 'copy method', val.method, has(o, 'method') ? ov('method') : 'default: clone');
    add('VAL source', 'refresh label', val.refresh, has(o, 'refresh') ? ov('refresh') : 'default: initial');
    add(
      'VAL source',
      'source clusters',
      Object.values(val.copies).map((c) => c.snapshotIdentifier ?? c.sourceClusterIdentifier),
      'derived: fixed cluster names of the source',
    );
    add('VAL source', 'scrub rules', val.scrubRulesPath, ov('scrubRules'));
  }
  return out;
}

export function configReport(
  fleet: Fleet,
  spec: EnvironmentSpec,
  info: { build: BuildFingerprint; configurationFile: FileHash; generatedAt: string; generatedAtSource: string },
): ConfigReport {
  const settings = resolvedSettings(fleet, spec);
  const catalog = catalogColumn(spec.kind);
  return {
    reportId: `CFG-${spec.owner}-${spec.name}-${recordSha256({ settings, catalog }).slice(0, 12)}`,
    customer: spec.owner,
    environment: spec.name,
    kind: spec.kind,
    title: spec.policy.title,
    account: spec.account,
    region: spec.region,
    generatedAt: info.generatedAt,
    generatedAtSource: info.generatedAtSource,
    generator: `clinspark ${info.build.libraryVersion}`,
    build: info.build,
    configurationFile: info.configurationFile,
    settings,
    catalog,
    lifecycle: {
      release: spec.release.imageTag,
      releaseEntry: spec.lifecycle.releaseEntry,
      engineVersion: spec.engine.fullVersion,
      emergencyHotfix: spec.lifecycle.emergencyHotfix,
      validationWindow: spec.lifecycle.validationWindow,
    },
  };
}

export function configReportDocument(r: ConfigReport): EvidenceDocument {
  const sha = recordSha256(r);
  const b: Block[] = [];
  const h = (level: 1 | 2 | 3, text: string) => b.push({ kind: 'heading', level, text });
  h(1, `Configuration report ${r.reportId}`);
  b.push({
    kind: 'table',
    columns: ['Field', 'Value'],
    rows: [
      ['Report id', r.reportId],
      ['Customer', r.customer],
      ['Environment', `${r.environment} (${r.title})`],
      ['Account / region', `${r.account} / ${r.region}`],
      ['Configuration file', `${r.configurationFile.file} (SHA-256 ${r.configurationFile.sha256})`],
      ['Git commit', `${r.build.gitCommit}${r.build.gitWorkTreeModified ? ' (work tree had uncommitted changes)' : ''}`],
      ['Generator', r.generator],
      ['Generated (UTC)', `${r.generatedAt} (${r.generatedAtSource})`],
    ],
    widths: [1, 4],
  });
  const lc = r.lifecycle;
  const ledger = lc.releaseEntry
    ? ` (release ledger: ${lc.releaseEntry.date}, notes ${lc.releaseEntry.notes})`
    : ' (no release ledger entry)';
  const window = lc.validationWindow ? `; VAL validation window ${lc.validationWindow.start} to ${lc.validationWindow.end}` : '';
  b.push({
    kind: 'paragraph',
    text: `Release ${lc.release}${ledger}; Aurora MySQL engine ${lc.engineVersion}${window}.`,
  });
  if (lc.emergencyHotfix)
    b.push({
      kind: 'paragraph',
      text:
        `EMERGENCY HOTFIX OVERRIDE: this environment runs ${lc.release} before a VAL of ` +
        `the customer recorded its validation, under ${lc.emergencyHotfix.reference}: ` +
        `${lc.emergencyHotfix.reason}`,
    });
  b.push({
    kind: 'paragraph',
    text:
      'Every value below is resolved as the stacks are built (lib/environments.ts), ' +
      "with its source: the environment's own override in its file, the owner's " +
      'default in the same file, the environment catalog, or a documented default.',
  });
  for (const group of [...new Set(r.settings.map((s) => s.group))]) {
    h(2, group);
    b.push({
      kind: 'table',
      columns: ['Setting', 'Value', 'Source'],
      rows: r.settings.filter((s) => s.group === group).map((s) => [s.name, s.value, s.source]),
      widths: [1.5, 3, 3],
    });
  }
  h(2, `Catalog policy (${r.title})`);
  b.push({ kind: 'table', columns: ['Catalog row', 'Value'], rows: r.catalog.map((c) => [c.row, c.value]), widths: [2, 4] });
  h(2, 'Signatures');
  b.push({
    kind: 'signatures',
    recordSha256: sha,
    how: SIGNATURE_HOW.replace('"record" in the JSON file', '"record" in config-report.json'),
    roles: SIGNATURE_ROLES('configuration report').slice(0, 2),
  });
  return { title: `Configuration report ${r.reportId}`, id: `${r.reportId} (record SHA-256 ${sha})`, blocks: b };
}
