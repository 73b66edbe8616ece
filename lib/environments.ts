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
  ReadReplicaConfig,
  Release,
  SsoConfig,
  ValConfig,
  parseEcrRepository,
} from './config/model';
import { hostName, imageTag, stackName } from './naming';
import { AlarmSubscription } from '../constructs/monitoring/alarm-topic';
import { auroraMysqlMaxConnections } from '../constructs/monitoring/max-connections';
import { AlarmPolicy } from '../constructs/monitoring/thresholds';

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
  readonly policy: EnvironmentPolicy;
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
  readonly readReplica?: ReadReplicaConfig;
  readonly val?: ValSpec;
  readonly stackNames: { readonly data: string; readonly app: string };
  readonly monitoring: MonitoringSpec;
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

function resolveDatabase(policy: EnvironmentPolicy, overrides: EnvironmentOverrides): DatabaseCapacity {
  const db = overrides.sizing?.database;
  const base = policy.database;
  if (base.mode === 'provisioned') return { ...base, instanceClass: db?.instanceClass ?? base.instanceClass };
  return { ...base, minAcu: db?.minAcu ?? base.minAcu, maxAcu: db?.maxAcu ?? base.maxAcu };
}

/** Physical cluster identifier of an instance's database (fixed names: see ClinSparkDatabase). */
export function clusterIdentifier(owner: string, environment: string, role: InstanceRole): string {
  return `clinspark-${owner}-${environment}-${role}`;
}

function resolveVal(customer: CustomerConfig, config: ValConfig, configDir: string): ValSpec {
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
    scrubRulesText: fs.readFileSync(path.join(configDir, config.scrubRules), 'utf8'),
  };
}

/** The catalog's word for a kind that holds no real volunteer PII (the EC23 acknowledgement). */
function noPiiReason(policy: EnvironmentPolicy): string {
  const without = ENVIRONMENT_KINDS.map(policyOf)
    .filter((p) => !p.holdsRealPii)
    .map((p) => p.title);
  return `this ${policy.title} environment holds no real volunteer PII (environment catalog, row "real volunteer PII": no for ${without.slice(0, -1).join(', ')} and ${without[without.length - 1]})`;
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
    alarmNamePrefix: `clinspark-${owner.slug}-${name}`,
    dashboardName: `${owner.slug}-${name}`,
    alarms: policyOf(kind).monitoring.alarms,
    subscriptions: dedupe([...(vendor?.subscriptions ?? []), ...(owner.monitoring?.subscriptions ?? [])]),
    supportPrincipalArn: vendor?.supportPrincipalArn,
    supportRoleName: `clinspark-${owner.slug}-${name}-support`,
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

function resolve(
  owner: Owner,
  kind: EnvironmentKind,
  name: string,
  overrides: EnvironmentOverrides,
  extra: { readReplica?: ReadReplicaConfig; val?: ValSpec; vendor?: VendorMonitoring } = {},
): EnvironmentSpec {
  const policy = policyOf(kind);
  const paired = policy.instances.length > 1;
  const release = overrides.release ?? owner.release;
  const repo = parseEcrRepository(owner.image.repository);
  if (!repo) throw new Error(`unvalidated image repository ${owner.image.repository}`);
  // Zones are used in name order, so the order they are listed in never matters: a re-ordered list
  // would otherwise move subnets and database instances (AvailabilityZone is create-only).
  const azs = [...owner.aws.availabilityZones].sort().slice(0, policy.network.maxAzs);
  const app = overrides.sizing?.app;
  const database = resolveDatabase(policy, overrides);
  return {
    id: `${owner.slug}/${name}`,
    owner: owner.slug,
    ownerDisplayName: owner.displayName,
    sourceFile: owner.file,
    kind,
    name,
    policy,
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
    maintenanceWindow: overrides.maintenanceWindow ?? policy.windows.maintenance,
    backupWindow: overrides.backupWindow ?? policy.windows.backup,
    database,
    app: {
      ...policy.app,
      cpu: app?.cpu ?? policy.app.cpu,
      memoryMiB: app?.memoryMiB ?? policy.app.memoryMiB,
      minTasks: app?.minTasks ?? policy.app.minTasks,
      maxTasks: app?.maxTasks ?? policy.app.maxTasks,
    },
    sso: overrides.sso,
    ingressCidrs: overrides.ingress?.allowedCidrs,
    egressCidrs: overrides.egress?.allowedCidrs,
    internetAccessReason: overrides.ingress?.allowedCidrs?.length || overrides.sso || policy.holdsRealPii ? undefined : noPiiReason(policy),
    readReplica: extra.readReplica,
    val: extra.val,
    stackNames: { data: stackName(owner.slug, name, 'data'), app: stackName(owner.slug, name, 'app') },
    monitoring: resolveMonitoring(owner, kind, name, database, extra.vendor),
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
): EnvironmentSpec[] {
  const owner: Owner = { ...customer, file };
  const envs = customer.environments;
  const out: EnvironmentSpec[] = [];
  // Lifecycle order: the order in which a customer acquires them.
  if (envs.sandbox) out.push(resolve(owner, 'sandbox', 'sandbox', envs.sandbox, { vendor }));
  if (envs.migration) out.push(resolve(owner, 'migration', 'migration', envs.migration, { vendor }));
  if (envs.preprod) out.push(resolve(owner, 'preprod', 'preprod', envs.preprod, { vendor }));
  if (envs.prod) out.push(resolve(owner, 'prod', 'prod', envs.prod, { readReplica: envs.prod.readReplica, vendor }));
  if (envs.val) out.push(resolve(owner, 'val', 'val', envs.val, { val: resolveVal(customer, envs.val, configDir), vendor }));
  return placeLink(out, vendor);
}

export function platformEnvironments(platform: PlatformConfig, file = 'platform.yaml'): EnvironmentSpec[] {
  const owner: Owner = {
    ...platform,
    monitoring: undefined,
    slug: PLATFORM_OWNER,
    displayName: platform.displayName ?? 'ClinSpark platform',
    file,
  };
  const out: EnvironmentSpec[] = (platform.demos ?? []).map((demo: DemoConfig) => {
    const { name, ...overrides } = demo;
    return resolve(owner, 'demo', `demo-${name}`, overrides, { vendor: platform.monitoring });
  });
  if (platform.community) out.push(resolve(owner, 'community', 'community', platform.community, { vendor: platform.monitoring }));
  return placeLink(out, platform.monitoring);
}

/** Every environment of a fleet: customers in file order, then the platform. */
export function fleetEnvironments(fleet: Fleet): EnvironmentSpec[] {
  const vendor = fleet.platform?.monitoring;
  return [
    ...fleet.customers.flatMap((c) => customerEnvironments(c, fleet.configDir, undefined, vendor)),
    ...(fleet.platform ? platformEnvironments(fleet.platform) : []),
  ];
}
