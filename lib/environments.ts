/**
 * Resolves the validated configuration into one EnvironmentSpec per environment: every default
 * from the catalog and the owner is applied here, once, so stacks and constructs only read
 * resolved values.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AppCapacity, DatabaseCapacity, EnvironmentPolicy, InstanceRole, policyOf } from './catalog';
import {
  CustomerConfig,
  DEFAULT_CONTAINER_USER,
  DemoConfig,
  ENVIRONMENT_KINDS,
  EnvironmentKind,
  EnvironmentOverrides,
  Fleet,
  PLATFORM_OWNER,
  PlatformConfig,
  PlatformMonitoringConfig,
  DateRange,
  ReadReplicaConfig,
  Release,
  SeedConfig,
  WipeConfig,
  InitialDataConfig,
  SsoConfig,
  ValConfig,
  parseEcrRepository,
} from './config/model';
import { effectiveApp, effectiveDatabase, effectiveWindows } from './effective';
import { EngineVersion, engineVersion } from './engine';
import { ReleaseLedger, ledgerEntryOf, validationRecordOf } from './config/releases';
import { alarmNamePrefix, clusterIdentifier, dashboardName, hostName, imageTag, stackName, supportRoleName } from './naming';
import { ReadReplicaPlan, buildReadReplicaPlan } from './read-replica-plan';
import { AlarmSubscription } from '../constructs/monitoring/alarm-topic';
import { auroraMysqlMaxConnections } from '../constructs/monitoring/max-connections';
import { AlarmPolicy } from '../constructs/monitoring/thresholds';

/** The catalog row of an environment's kind, less the values the environment may override (resolved on the spec). */
export type KindPolicy = Omit<EnvironmentPolicy, 'database' | 'app' | 'windows' | 'engineVersion'>;

function kindPolicy(policy: EnvironmentPolicy): KindPolicy {
  const { database: _database, app: _app, windows: _windows, engineVersion: _engine, ...rest } = policy;
  return rest;
}

export interface InstanceSpec {
  readonly role: InstanceRole;
  /** Fully qualified host name. */
  readonly hostName: string;
}

export interface EnvironmentSpec {
  /** `<owner>/<environment>`, e.g. `acme/prod`, `platform/demo-r2025-2`. */
  readonly id: string;
  /** Customer slug, or `platform`. */
  readonly owner: string;
  readonly ownerDisplayName: string;
  /** Configuration file the environment comes from (relative to the config directory). */
  readonly sourceFile: string;
  readonly kind: EnvironmentKind;
  /** `prod`, `val`, ... for customers; `demo-<name>` or `community` for the platform. */
  readonly name: string;
  /**
   * The kind's catalog row without what an environment may override (database and app sizing,
   * windows, engine version): those are read resolved, from `database`, `app`,
   * `maintenanceWindow`/`backupWindow` and `engine`, never from the catalog beside them.
   */
  readonly policy: KindPolicy;
  readonly account: string;
  readonly region: string;
  /** The owner's break-glass administrator role, when configured (aws.breakGlassRoleArn). */
  readonly breakGlassRoleArn?: string;
  /** The configured zones in name order, cut to the catalog's maxAzs (listing order never matters). */
  readonly availabilityZones: readonly string[];
  readonly natGateways: number;
  /**
   * The release and how its image runs, defaults applied: `imageTag` is `<version>-b<build>`
   * (for humans: labels, environment variable, reports); `digest`, when set, is what the task
   * definition references (`<repository>@sha256:...`), so the running image cannot change under
   * the same tag.
   */
  readonly release: Release & { readonly imageTag: string; readonly readOnlyRootFilesystem: boolean; readonly user: string };
  readonly image: {
    readonly repositoryUri: string;
    readonly repositoryName: string;
    readonly repositoryAccount: string;
    readonly repositoryRegion: string;
  };
  readonly dns: { readonly zoneId: string; readonly zoneName: string; readonly certificateArn: string };
  readonly instances: readonly InstanceSpec[];
  readonly maintenanceWindow: string;
  readonly backupWindow: string;
  readonly database: DatabaseCapacity;
  readonly app: AppCapacity;
  readonly sso?: SsoConfig;
  /** Client ranges allowed to reach the application; undefined = the internet. */
  readonly ingressCidrs?: readonly string[];
  /** Ranges the application may reach with HTTPS beyond the AWS APIs (egress.allowedCidrs); none by default. */
  readonly egressCidrs?: readonly string[];
  /**
   * Without client ranges and SSO: why serving the internet is acceptable, from the catalog (the
   * kind holds no real volunteer PII). Undefined where ranges or SSO protect the environment, and
   * for a kind holding real PII (validation refuses such an environment without either).
   */
  readonly internetAccessReason?: string;
  /** The customer read replica (PROD with `readReplica`), resolved: names, tunnel, credentials window, defaults applied. */
  readonly readReplica?: ReadReplicaPlan;
  readonly val?: ValSpec;
  readonly stackNames: { readonly data: string; readonly app: string };
  readonly monitoring: MonitoringSpec;
  /** The Aurora MySQL engine of every database of the environment (catalog pin, or `engine.version`). */
  readonly engine: EngineVersion;
  /** Releases, upgrades, go-live, seeding, wipes and validation windows (README "Lifecycle of a customer"). */
  readonly lifecycle: LifecycleSpec;
  /** The `clinspark:*` tags of every stack of this environment. */
  readonly tags: Readonly<Record<string, string>>;
}

/** Alarms, dashboard, notifications and support access of one environment, resolved. */
export interface MonitoringSpec {
  /** Every alarm of the environment is named `<alarmNamePrefix>-...`, e.g. `clinspark-acme-prod-...`. */
  readonly alarmNamePrefix: string;
  /** `<owner>-<environment>`, e.g. `acme-prod`. */
  readonly dashboardName: string;
  /** Thresholds from the catalog. */
  readonly alarms: AlarmPolicy;
  /** The vendor's default subscriptions (platform.yaml) followed by the owner's own, without duplicates. */
  readonly subscriptions: readonly AlarmSubscription[];
  /** The vendor's support principal; undefined = no support role. */
  readonly supportPrincipalArn?: string;
  /** `clinspark-<owner>-<environment>-support`. */
  readonly supportRoleName: string;
  /** Set on the one environment per owner that carries the owner account's link to the vendor's sink. */
  readonly observabilitySinkArn?: string;
  /** Default max_connections of one instance of the environment's databases (Aurora user guide table). */
  readonly maxConnections: number;
}

/** The lifecycle of one environment, resolved (catalog `lifecycle` row plus configuration). */
export interface LifecycleSpec {
  /**
   * Change-controlled kinds: every database gets a manual cluster snapshot before the release or
   * the engine version changes (constructs/lifecycle/pre-upgrade-snapshot.ts); the snapshot's id is
   * a stack output of the data stack.
   */
  readonly preUpgradeSnapshot: boolean;
  /** Sandbox (and a reseeded Community): the synthetic volunteers the seed job writes into every database. */
  readonly seed?: SeedSpec;
  /**
   * Community: the current wipe. Its label is part of the database's cluster identifier, so a new
   * label replaces the database (restored from `fromSnapshot`, or empty and reseeded with `seed`).
   */
  readonly wipe?: { readonly label: string; readonly fromSnapshot?: string };
  /**
   * PROD go-live: PROD Main is restored from Pre-PROD's data, encrypted with PROD's own key (PROD
   * Test starts empty). `snapshot`: a given snapshot of Pre-PROD Main; `clone`: a snapshot of the
   * cluster `sourceClusterIdentifier` taken at deploy time.
   */
  readonly initialData?:
    | { readonly kind: 'snapshot'; readonly snapshotIdentifier: string }
    | { readonly kind: 'clone'; readonly sourceClusterIdentifier: string };
  /** VAL: the validation window agreed with the customer. */
  readonly validationWindow?: DateRange;
  /** The emergency override of the validated-before-PROD rule, shown in every report. */
  readonly emergencyHotfix?: { readonly reason: string; readonly reference: string };
  /** The release ledger's entry of the environment's release, when the fleet has a ledger. */
  readonly releaseEntry?: { readonly date: string; readonly notes: string };
  /** The VAL validation record of the release (releases.yaml), for kinds that require one. */
  readonly validation?: { readonly reference: string; readonly val: DateRange };
}

/** Synthetic volunteers, resolved. */
export interface SeedSpec {
  readonly volunteers: number;
  /** Generator seed: the same seed gives the same rows. */
  readonly seed: string;
  /** The seed schema's path relative to the configuration directory; undefined = the bundled schema. */
  readonly schemaPath?: string;
  /** The seed schema's SQL text (bundled or configured). */
  readonly schemaText: string;
}

/** Which environment of an owner carries the account's one observability link: the longest-lived first. */
const LINK_PREFERENCE: readonly EnvironmentKind[] = ['prod', 'community', 'preprod', 'val', 'migration', 'sandbox', 'demo'];

/** How a VAL environment gets its data, resolved. */
export interface ValSpec {
  readonly source: 'prod' | 'preprod';
  readonly method: 'clone' | 'snapshot';
  /** Per VAL instance role: the source cluster identifier (clone) or snapshot identifier. */
  readonly copies: Readonly<Record<InstanceRole, { readonly sourceClusterIdentifier: string; readonly snapshotIdentifier?: string }>>;
  /** Clone method: the refresh label. */
  readonly refresh: string;
  /** Rules file, relative to the configuration directory, and its text. */
  readonly scrubRulesPath: string;
  readonly scrubRulesText: string;
}

interface Owner {
  readonly slug: string;
  readonly displayName: string;
  readonly file: string;
  readonly aws: CustomerConfig['aws'];
  readonly release: Release;
  readonly image: CustomerConfig['image'];
  readonly dns: CustomerConfig['dns'];
  readonly monitoring?: CustomerConfig['monitoring'];
}

export const TAG_CUSTOMER = 'clinspark:customer';
export const TAG_ENVIRONMENT = 'clinspark:environment';
export const TAG_CHANGE_CONTROLLED = 'clinspark:change-controlled';

/** A referenced file's text: as validation read it, else from disk (fleets built by hand, in tests). */
function referencedText(files: ReadonlyMap<string, string> | undefined, configDir: string, relative: string): string {
  return files?.get(relative) ?? fs.readFileSync(path.join(configDir, relative), 'utf8');
}

function resolveVal(customer: CustomerConfig, config: ValConfig, configDir: string, files?: ReadonlyMap<string, string>): ValSpec {
  const sourcePolicy = policyOf(config.source);
  const sourceRole = (role: InstanceRole): InstanceRole => (sourcePolicy.instances.includes(role) ? role : 'main');
  const method = config.method ?? 'clone';
  const copies = Object.fromEntries(
    (['main', 'test'] as const).map((role) => [
      role,
      {
        sourceClusterIdentifier: clusterIdentifier(customer.slug, config.source, sourceRole(role)),
        snapshotIdentifier: method === 'snapshot' ? config.snapshots?.[role] : undefined,
      },
    ]),
  ) as ValSpec['copies'];
  return {
    source: config.source,
    method,
    copies,
    refresh: config.refresh ?? 'initial',
    scrubRulesPath: config.scrubRules,
    scrubRulesText: referencedText(files, configDir, config.scrubRules),
  };
}

/** The catalog's word for a kind that holds no real volunteer PII (the EC23 acknowledgement). */
function noPiiReason(policy: EnvironmentPolicy): string {
  const without = ENVIRONMENT_KINDS.map(policyOf)
    .filter((p) => !p.holdsRealPii)
    .map((p) => p.title);
  return (
    `this ${policy.title} environment holds no real volunteer PII (environment ` +
    `catalog, row "real volunteer PII": no for ${without.slice(0, -1).join(', ')} ` +
    `and ${without[without.length - 1]})`
  );
}

/** The vendor-wide monitoring settings (platform.yaml) every owner's environments use. */
export type VendorMonitoring = PlatformMonitoringConfig;

function dedupe(list: readonly AlarmSubscription[]): AlarmSubscription[] {
  const seen = new Set<string>();
  return list.filter((s) => {
    const key = JSON.stringify(s);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

function resolveMonitoring(
  owner: Owner,
  kind: EnvironmentKind,
  name: string,
  database: DatabaseCapacity,
  vendor: VendorMonitoring | undefined,
): MonitoringSpec {
  const maxConnections = auroraMysqlMaxConnections(
    database.mode === 'provisioned'
      ? { mode: 'provisioned', instanceClass: database.instanceClass }
      : { mode: 'serverless', maxAcu: database.maxAcu },
  );
  if (maxConnections === undefined)
    throw new Error(`${owner.slug}/${name}: no max_connections known for ${JSON.stringify(database)} (validation refuses such a class)`);
  return {
    alarmNamePrefix: alarmNamePrefix(owner.slug, name),
    dashboardName: dashboardName(owner.slug, name),
    alarms: policyOf(kind).monitoring.alarms,
    subscriptions: dedupe([...(vendor?.subscriptions ?? []), ...(owner.monitoring?.subscriptions ?? [])]),
    supportPrincipalArn: vendor?.supportPrincipalArn,
    supportRoleName: supportRoleName(owner.slug, name),
    maxConnections,
  };
}

/** Puts the owner's observability link on its longest-lived environment (one link per account and sink). */
function placeLink(envs: EnvironmentSpec[], vendor: VendorMonitoring | undefined): EnvironmentSpec[] {
  const sink = vendor?.observabilitySinkArn;
  if (!sink || envs.length === 0) return envs;
  const rank = (e: EnvironmentSpec) => LINK_PREFERENCE.indexOf(e.kind);
  const carrier = [...envs].sort((a, b) => rank(a) - rank(b))[0];
  return envs.map((e) => (e === carrier ? { ...e, monitoring: { ...e.monitoring, observabilitySinkArn: sink } } : e));
}

/** What resolution takes from the fleet beyond an owner's file: the release ledger and the referenced files' texts. */
export interface FleetContext {
  readonly ledger?: ReleaseLedger;
  readonly files?: ReadonlyMap<string, string>;
}

/** Kind-specific lifecycle configuration handed to resolve() (the rest comes from the overrides). */
interface LifecycleInput {
  readonly configDir?: string;
  readonly ledger?: ReleaseLedger;
  readonly files?: ReadonlyMap<string, string>;
  readonly seed?: SeedConfig;
  readonly wipe?: WipeConfig;
  readonly initialData?: InitialDataConfig;
  readonly validationWindow?: DateRange;
}

/** The bundled seed schema (constructs/lifecycle/seed/schema.sql), read once. */
let bundledSeedSchema: string | undefined;
const BUNDLED_SEED_SCHEMA = path.join(__dirname, '..', 'constructs', 'lifecycle', 'seed', 'schema.sql');

/** The effective seed of an environment: catalog count, configured overrides, the owner's slug as default seed. */
export function effectiveSeed(
  files: ReadonlyMap<string, string> | undefined,
  owner: string,
  policy: EnvironmentPolicy,
  config: SeedConfig | undefined,
  configDir: string | undefined,
): SeedSpec | undefined {
  const volunteers = config?.volunteers ?? policy.lifecycle.seededVolunteers;
  if (volunteers === undefined || volunteers === 0) return undefined;
  const schemaPath = config?.schema;
  const schemaText =
    schemaPath !== undefined && configDir !== undefined
      ? referencedText(files, configDir, schemaPath)
      : (bundledSeedSchema ??= fs.readFileSync(BUNDLED_SEED_SCHEMA, 'utf8'));
  return { volunteers, seed: config?.seed ?? owner, schemaPath, schemaText };
}

/** The engine of an environment: its own pin, else the catalog's (validation refuses a version aws-cdk-lib does not know). */
export function effectiveEngineVersion(policy: EnvironmentPolicy, overrides: EnvironmentOverrides): string {
  return overrides.engine?.version ?? policy.engineVersion;
}

function resolveEngine(owner: Owner, name: string, policy: EnvironmentPolicy, overrides: EnvironmentOverrides): EngineVersion {
  const version = effectiveEngineVersion(policy, overrides);
  const engine = engineVersion(version);
  if (!engine) throw new Error(`${owner.slug}/${name}: unknown Aurora MySQL version ${version} (validation refuses it)`);
  return engine;
}

function resolveLifecycle(
  owner: Owner,
  policy: EnvironmentPolicy,
  overrides: EnvironmentOverrides,
  release: Release,
  input: LifecycleInput,
): LifecycleSpec {
  const wipe = typeof input.wipe === 'string' ? { label: input.wipe } : input.wipe;
  const seedConfig = typeof input.wipe === 'object' ? (input.wipe.seed ?? input.seed) : input.seed;
  // Community reseeds (rather than restores) on a wipe without a snapshot.
  const seeded = policy.lifecycle.seededVolunteers !== undefined || (wipe !== undefined && wipe.fromSnapshot === undefined);
  const seedPolicy =
    seeded && policy.lifecycle.seededVolunteers === undefined
      ? { ...policy, lifecycle: { ...policy.lifecycle, seededVolunteers: 200 } }
      : policy;
  const initial = input.initialData;
  const entry = input.ledger ? ledgerEntryOf(input.ledger, release) : undefined;
  const record =
    input.ledger && policy.lifecycle.requiresValidatedRelease ? validationRecordOf(input.ledger, owner.slug, release) : undefined;
  return {
    preUpgradeSnapshot: policy.lifecycle.preUpgradeSnapshot,
    seed: seeded ? effectiveSeed(input.files, owner.slug, seedPolicy, seedConfig, input.configDir) : undefined,
    wipe: wipe ? { label: wipe.label, fromSnapshot: wipe.fromSnapshot } : undefined,
    initialData: !initial
      ? undefined
      : 'fromPreprodSnapshot' in initial
        ? { kind: 'snapshot', snapshotIdentifier: initial.fromPreprodSnapshot }
        : { kind: 'clone', sourceClusterIdentifier: clusterIdentifier(owner.slug, 'preprod', 'main') },
    validationWindow: input.validationWindow,
    emergencyHotfix: overrides.emergencyHotfix,
    releaseEntry: entry ? { date: entry.date, notes: entry.notes } : undefined,
    validation: record ? { reference: record.reference, val: record.val } : undefined,
  };
}

function resolve(
  owner: Owner,
  kind: EnvironmentKind,
  name: string,
  overrides: EnvironmentOverrides,
  extra: { readReplica?: ReadReplicaConfig; val?: ValSpec; vendor?: VendorMonitoring; lifecycle?: LifecycleInput } = {},
): EnvironmentSpec {
  const policy = policyOf(kind);
  const paired = policy.instances.length > 1;
  const release = overrides.release ?? owner.release;
  const repo = parseEcrRepository(owner.image.repository);
  if (!repo) throw new Error(`unvalidated image repository ${owner.image.repository}`);
  // Zones are used in name order, so the order they are listed in never matters: a re-ordered list
  // would otherwise move subnets and database instances (AvailabilityZone is create-only).
  const azs = [...owner.aws.availabilityZones].sort().slice(0, policy.network.maxAzs);
  const database = effectiveDatabase(policy, overrides.sizing?.database);
  return {
    id: `${owner.slug}/${name}`,
    owner: owner.slug,
    ownerDisplayName: owner.displayName,
    sourceFile: owner.file,
    kind,
    name,
    policy: kindPolicy(policy),
    account: owner.aws.account,
    region: owner.aws.region,
    breakGlassRoleArn: owner.aws.breakGlassRoleArn,
    availabilityZones: azs,
    natGateways: policy.network.natGateways === 'perAz' ? azs.length : 1,
    release: {
      ...release,
      imageTag: imageTag(release),
      readOnlyRootFilesystem: release.readOnlyRootFilesystem ?? true,
      user: release.user ?? DEFAULT_CONTAINER_USER,
    },
    image: {
      repositoryUri: owner.image.repository,
      repositoryName: repo.name,
      repositoryAccount: repo.account,
      repositoryRegion: repo.region,
    },
    dns: { zoneId: owner.dns.zoneId, zoneName: owner.dns.zoneName, certificateArn: overrides.certificateArn ?? owner.dns.certificateArn },
    instances: policy.instances.map((role) => ({
      role,
      hostName: hostName({ environment: name, role, paired, zoneName: owner.dns.zoneName }),
    })),
    maintenanceWindow: effectiveWindows(policy, overrides).maintenance,
    backupWindow: effectiveWindows(policy, overrides).backup,
    database,
    app: effectiveApp(policy, overrides.sizing?.app),
    sso: overrides.sso,
    ingressCidrs: overrides.ingress?.allowedCidrs,
    egressCidrs: overrides.egress?.allowedCidrs,
    internetAccessReason: overrides.ingress?.allowedCidrs?.length || overrides.sso || policy.holdsRealPii ? undefined : noPiiReason(policy),
    readReplica: extra.readReplica
      ? buildReadReplicaPlan(
          {
            owner: owner.slug,
            ownerDisplayName: owner.displayName,
            name,
            account: owner.aws.account,
            region: owner.aws.region,
            dns: owner.dns,
          },
          extra.readReplica,
        )
      : undefined,
    val: extra.val,
    stackNames: { data: stackName(owner.slug, name, 'data'), app: stackName(owner.slug, name, 'app') },
    monitoring: resolveMonitoring(owner, kind, name, database, extra.vendor),
    engine: resolveEngine(owner, name, policy, overrides),
    lifecycle: resolveLifecycle(owner, policy, overrides, release, extra.lifecycle ?? {}),
    tags: {
      [TAG_CUSTOMER]: owner.slug,
      [TAG_ENVIRONMENT]: kind,
      [TAG_CHANGE_CONTROLLED]: String(policy.changeControlled),
    },
  };
}

export function customerEnvironments(
  customer: CustomerConfig,
  configDir: string,
  file = `customers/${customer.slug}.yaml`,
  vendor?: VendorMonitoring,
  context: FleetContext = {},
): EnvironmentSpec[] {
  const { ledger, files } = context;
  const owner: Owner = { ...customer, file };
  const envs = customer.environments;
  const out: EnvironmentSpec[] = [];
  const common = { vendor, lifecycle: { configDir, ledger, files } };
  // Lifecycle order: the order in which a customer acquires them.
  if (envs.sandbox)
    out.push(
      resolve(owner, 'sandbox', 'sandbox', envs.sandbox, { ...common, lifecycle: { ...common.lifecycle, seed: envs.sandbox.seed } }),
    );
  if (envs.migration) out.push(resolve(owner, 'migration', 'migration', envs.migration, common));
  if (envs.preprod) out.push(resolve(owner, 'preprod', 'preprod', envs.preprod, common));
  if (envs.prod)
    out.push(
      resolve(owner, 'prod', 'prod', envs.prod, {
        ...common,
        readReplica: envs.prod.readReplica,
        lifecycle: { ...common.lifecycle, initialData: envs.prod.initialData },
      }),
    );
  if (envs.val)
    out.push(
      resolve(owner, 'val', 'val', envs.val, {
        ...common,
        val: resolveVal(customer, envs.val, configDir, files),
        lifecycle: { ...common.lifecycle, validationWindow: envs.val.validation },
      }),
    );
  return placeLink(out, vendor);
}

export function platformEnvironments(
  platform: PlatformConfig,
  file = 'platform.yaml',
  configDir?: string,
  context: FleetContext = {},
): EnvironmentSpec[] {
  const { ledger, files } = context;
  const owner: Owner = {
    ...platform,
    monitoring: undefined,
    slug: PLATFORM_OWNER,
    displayName: platform.displayName ?? 'ClinSpark platform',
    file,
  };
  const out: EnvironmentSpec[] = (platform.demos ?? []).map((demo: DemoConfig) => {
    const { name, ...overrides } = demo;
    return resolve(owner, 'demo', `demo-${name}`, overrides, { vendor: platform.monitoring, lifecycle: { configDir, ledger, files } });
  });
  if (platform.community) {
    const { wipe, seed, ...overrides } = platform.community;
    out.push(
      resolve(owner, 'community', 'community', overrides, {
        vendor: platform.monitoring,
        lifecycle: { configDir, ledger, files, wipe, seed },
      }),
    );
  }
  return placeLink(out, platform.monitoring);
}

/** Every environment of a fleet: customers in file order, then the platform. */
export function fleetEnvironments(fleet: Fleet): EnvironmentSpec[] {
  const vendor = fleet.platform?.monitoring;
  const context: FleetContext = { ledger: fleet.releases, files: fleet.files };
  return [
    ...fleet.customers.flatMap((c) => customerEnvironments(c, fleet.configDir, undefined, vendor, context)),
    ...(fleet.platform ? platformEnvironments(fleet.platform, undefined, fleet.configDir, context) : []),
  ];
}
