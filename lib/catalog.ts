/**
 * The environment catalog: one row per environment kind, holding every default that the kind
 * implies. This table is the only place where environment kinds are told apart; stacks and
 * constructs receive the values through typed props and never test the kind themselves.
 *
 * A change to this table changes the policy of every customer of that kind: it is reviewed like
 * a change to a validated system (the README's catalog table is generated from it by a test).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DatabaseCapacitySpec } from '../constructs/database/clinspark-database';
import { InstanceRole } from '../constructs/instance/instance-role';
import { AlarmPolicy } from '../constructs/monitoring/thresholds';
import { EnvironmentKind } from './kinds';

/** Defined with the constructs that take it (ClinSparkInstance, ValClone, PiiScrubJob). */
export type { InstanceRole };

/** Serverless v2 (minAcu 0 = scale to zero, pausing after `autoPause`) or provisioned instances. */
export type DatabaseCapacity = DatabaseCapacitySpec;

export interface AppCapacity {
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly minTasks: number;
  readonly maxTasks: number;
  /** The lowest `minTasks` an override may set for this kind. */
  readonly minTasksFloor: number;
}

export interface EnvironmentPolicy {
  readonly kind: EnvironmentKind;
  readonly title: string;
  readonly owner: 'customer' | 'platform';
  /** Main only, or Main and Test. */
  readonly instances: readonly InstanceRole[];
  readonly longevity: 'ephemeral' | 'persistent';
  /** Qualified at creation (IQ); every later change is an Environment Change Record. */
  readonly changeControlled: boolean;
  /** Holds real volunteer PII (drives the data classification tag and reports). */
  readonly holdsRealPii: boolean;
  /**
   * A copy of another environment's data, usable only after its volunteer PII is scrubbed and
   * verified (the VAL staging copy; the project rule ClinSpark-ValScrubbed).
   */
  readonly requiresPiiScrub: boolean;
  readonly stack: {
    readonly terminationProtection: boolean;
  };
  /** Stateful resources: what a stack deletion or replacement does to them. */
  readonly stateful: {
    /** Database clusters: DESTROY, SNAPSHOT (final snapshot) or RETAIN. */
    readonly database: RemovalPolicy;
    readonly deletionProtection: boolean;
    /**
     * KMS keys, secrets and evidence buckets. Never DESTROY where the database keeps a final
     * snapshot or is retained: the snapshot is encrypted with the key and useless without it.
     */
    readonly keysAndSecrets: RemovalPolicy;
    /** Log groups (database audit logs, application logs, flow logs). */
    readonly logs: RemovalPolicy;
    /**
     * Who may decrypt with the keys of this kind's databases (and its read replica): the roles
     * tagged with the environment's customer and one of these kinds, the CDK deployment roles and
     * the owner's break-glass role (constructs/core/key-policy.ts).
     * @default - no restriction beyond the account's IAM
     */
    readonly keyUsers?: readonly EnvironmentKind[];
  };
  readonly backup: {
    /** Aurora automated backup retention. */
    readonly retentionDays: number;
    /** AWS Backup plan with an encrypted vault; undefined = no plan. */
    readonly plan?: { readonly dailyRetentionDays: number; readonly monthlyRetentionDays?: number };
  };
  readonly logRetention: RetentionDays;
  readonly network: {
    /** How many of the configured availability zones the VPC spans. */
    readonly maxAzs: number;
    readonly natGateways: 'single' | 'perAz';
  };
  readonly database: DatabaseCapacity;
  /**
   * ROW binary logs with GTID on the databases, so that a customer read replica can replicate
   * from them (PROD only; the read replica is only allowed where this is true).
   */
  readonly binlogReplicationSource: boolean;
  readonly app: AppCapacity;
  readonly monitoring: {
    /** Enhanced monitoring interval in seconds. */
    readonly enhancedMonitoringSeconds: 1 | 5 | 10 | 15 | 30 | 60;
    readonly databaseInsights: 'standard' | 'advanced';
    /**
     * Alarm thresholds per severity (constructs/monitoring/thresholds.ts says what each means).
     * Change a threshold here, never in a construct; `npm run docs` updates the README table.
     */
    readonly alarms: AlarmPolicy;
  };
  /** Load balancer deletion protection. */
  readonly loadBalancerDeletionProtection: boolean;
  readonly windows: {
    /** Weekly, UTC. */
    readonly maintenance: string;
    /** Daily, UTC. */
    readonly backup: string;
  };
  /**
   * The Aurora MySQL version every database of this kind runs ("3.12.0" = engine version
   * `8.0.mysql_aurora.3.12.0`), unless the environment pins its own (`engine.version`). A change
   * of EngineVersion through CloudFormation upgrades the cluster in place at deploy time, not in
   * the maintenance window, and a stack rollback does not downgrade it (README "Engine upgrades").
   */
  readonly engineVersion: string;
  /** How the kind moves through its lifecycle (README "Lifecycle of a customer"). */
  readonly lifecycle: {
    /**
     * A manual cluster snapshot of every database is taken, before anything else changes, when the
     * release or the engine version changes (constructs/lifecycle); its id is a stack output.
     */
    readonly preUpgradeSnapshot: boolean;
    /** May run a release only after a VAL of the same customer recorded its validation (releases.yaml). */
    readonly requiresValidatedRelease: boolean;
    /** Replacing the database is an intended operation (`community.wipe`), not something the stateful lock refuses. */
    readonly dataReplaceable: boolean;
    /** Should be retired once the customer's PROD exists (validation warns). */
    readonly retiredAtGoLive: boolean;
    /** Seeded with synthetic volunteers at creation (the seed job; `seed.volunteers`). */
    readonly seededVolunteers?: number;
  };
}

/**
 * The fleet's Aurora MySQL version: one of aws-cdk-lib's AuroraMysqlEngineVersion.VER_3_* (the
 * versions the library knows; validation refuses others). Aurora MySQL version 3 is MySQL
 * 8.0-compatible ("Aurora MySQL version 3 compatible with MySQL 8.0", Amazon Aurora User Guide).
 */
const ENGINE = '3.12.0';

const PAIR: readonly InstanceRole[] = ['main', 'test'];
const SINGLE: readonly InstanceRole[] = ['main'];

const serverless = (minAcu: number, maxAcu: number): DatabaseCapacity => ({
  mode: 'serverless',
  minAcu,
  maxAcu,
  autoPause: Duration.hours(1),
});

/**
 * Alarm thresholds. PROD pages (critical) on what hurts users or the replica customer and warns
 * early; the change-controlled staging kinds (Pre-PROD, VAL) and Community warn and page only on
 * outright failure; scratch kinds (Sandbox, Migration, Demo) only warn. Every kind has every alarm
 * (the compliance packs require alarm actions everywhere), only the severities differ. Kinds that
 * scale to zero never alarm on zero tasks or a paused database: the task alarm counts desired
 * minus running tasks, and missing data is not breaching (constructs/monitoring).
 */
const PROD_ALARMS: AlarmPolicy = {
  periodMinutes: 5,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  database: {
    cpuPercent: { warning: 70, critical: 90 },
    connectionsPercentOfMax: { warning: 70, critical: 90 },
    freeableMemoryMiB: { warning: 1024, critical: 512 },
    capacityPercentOfMax: { warning: 80, critical: 95 },
    deadlocksPerSecond: { warning: 0.1, critical: 1 },
    volumeGiB: { warning: 500, critical: 1000 },
  },
  service: {
    missingTasks: { critical: 0 },
    cpuPercent: { warning: 75, critical: 90 },
    memoryPercent: { warning: 75, critical: 90 },
    unhealthyHosts: { critical: 0 },
  },
  loadBalancer: {
    target5xx: { warning: 10, critical: 50 },
    elb5xx: { warning: 5, critical: 25 },
    p99ResponseSeconds: { warning: 2, critical: 5 },
  },
  waf: { blockedRequests: { warning: 500, critical: 2000 } },
  functions: { errors: { critical: 0 }, throttles: { warning: 0 } },
  replica: { lagSeconds: { warning: 300, critical: 900 }, replicationStopped: 'critical' },
  jumpHost: { statusCheckFailed: 'critical' },
};

const STAGING_ALARMS: AlarmPolicy = {
  periodMinutes: 5,
  evaluationPeriods: 3,
  datapointsToAlarm: 3,
  database: {
    cpuPercent: { warning: 85 },
    connectionsPercentOfMax: { warning: 80, critical: 95 },
    freeableMemoryMiB: { warning: 512 },
    capacityPercentOfMax: { warning: 90 },
    deadlocksPerSecond: { warning: 1 },
    volumeGiB: { warning: 500 },
  },
  service: { missingTasks: { warning: 0 }, cpuPercent: { warning: 85 }, memoryPercent: { warning: 85 }, unhealthyHosts: { warning: 0 } },
  loadBalancer: { target5xx: { warning: 25 }, elb5xx: { warning: 10, critical: 50 }, p99ResponseSeconds: { warning: 5 } },
  waf: { blockedRequests: { warning: 1000 } },
  // Set-up and scrub functions: a failure of VAL's scrub must be seen at once.
  functions: { errors: { critical: 0 }, throttles: { warning: 0 } },
  replica: { lagSeconds: { warning: 900 }, replicationStopped: 'warning' },
  jumpHost: { statusCheckFailed: 'warning' },
};

const SCRATCH_ALARMS: AlarmPolicy = {
  periodMinutes: 5,
  evaluationPeriods: 3,
  datapointsToAlarm: 3,
  database: {
    cpuPercent: { warning: 90 },
    connectionsPercentOfMax: { warning: 90 },
    freeableMemoryMiB: { warning: 256 },
    capacityPercentOfMax: { warning: 95 },
    deadlocksPerSecond: { warning: 1 },
    volumeGiB: { warning: 200 },
  },
  service: { missingTasks: { warning: 0 }, cpuPercent: { warning: 90 }, memoryPercent: { warning: 90 }, unhealthyHosts: { warning: 0 } },
  loadBalancer: { target5xx: { warning: 50 }, elb5xx: { warning: 25 }, p99ResponseSeconds: { warning: 10 } },
  waf: { blockedRequests: { warning: 2000 } },
  functions: { errors: { warning: 0 }, throttles: { warning: 0 } },
  replica: { lagSeconds: { warning: 1800 }, replicationStopped: 'warning' },
  jumpHost: { statusCheckFailed: 'warning' },
};

const COMMUNITY_ALARMS: AlarmPolicy = {
  ...STAGING_ALARMS,
  service: { ...STAGING_ALARMS.service, missingTasks: { critical: 0 }, unhealthyHosts: { critical: 0 } },
};

export const CATALOG: Readonly<Record<EnvironmentKind, EnvironmentPolicy>> = {
  sandbox: {
    kind: 'sandbox',
    title: 'Sandbox',
    owner: 'customer',
    instances: PAIR,
    longevity: 'ephemeral',
    changeControlled: false,
    holdsRealPii: false,
    requiresPiiScrub: false,
    stack: { terminationProtection: false },
    stateful: {
      database: RemovalPolicy.DESTROY,
      deletionProtection: false,
      keysAndSecrets: RemovalPolicy.DESTROY,
      logs: RemovalPolicy.DESTROY,
    },
    backup: { retentionDays: 1 },
    logRetention: RetentionDays.ONE_MONTH,
    network: { maxAzs: 2, natGateways: 'single' },
    database: serverless(0, 4),
    binlogReplicationSource: false,
    app: { cpu: 512, memoryMiB: 2048, minTasks: 0, maxTasks: 2, minTasksFloor: 0 },
    monitoring: { enhancedMonitoringSeconds: 60, databaseInsights: 'standard', alarms: SCRATCH_ALARMS },
    loadBalancerDeletionProtection: false,
    windows: { maintenance: 'sun:05:00-sun:06:00', backup: '03:00-03:30' },
    engineVersion: ENGINE,
    lifecycle: {
      preUpgradeSnapshot: false,
      requiresValidatedRelease: false,
      dataReplaceable: false,
      retiredAtGoLive: true,
      seededVolunteers: 200,
    },
  },
  migration: {
    kind: 'migration',
    title: 'Migration',
    owner: 'customer',
    instances: SINGLE,
    longevity: 'ephemeral',
    changeControlled: false,
    holdsRealPii: true,
    requiresPiiScrub: false,
    stack: { terminationProtection: false },
    stateful: {
      database: RemovalPolicy.DESTROY,
      deletionProtection: false,
      keysAndSecrets: RemovalPolicy.DESTROY,
      logs: RemovalPolicy.DESTROY,
    },
    backup: { retentionDays: 7 },
    logRetention: RetentionDays.THREE_MONTHS,
    network: { maxAzs: 2, natGateways: 'single' },
    database: serverless(0, 8),
    binlogReplicationSource: false,
    app: { cpu: 512, memoryMiB: 2048, minTasks: 0, maxTasks: 2, minTasksFloor: 0 },
    monitoring: { enhancedMonitoringSeconds: 60, databaseInsights: 'standard', alarms: SCRATCH_ALARMS },
    loadBalancerDeletionProtection: false,
    windows: { maintenance: 'sun:05:00-sun:06:00', backup: '03:00-03:30' },
    engineVersion: ENGINE,
    lifecycle: { preUpgradeSnapshot: false, requiresValidatedRelease: false, dataReplaceable: false, retiredAtGoLive: false },
  },
  preprod: {
    kind: 'preprod',
    title: 'Pre-PROD',
    owner: 'customer',
    instances: SINGLE,
    longevity: 'ephemeral',
    changeControlled: true,
    holdsRealPii: true,
    requiresPiiScrub: false,
    stack: { terminationProtection: true },
    stateful: {
      database: RemovalPolicy.SNAPSHOT,
      deletionProtection: false,
      keysAndSecrets: RemovalPolicy.RETAIN,
      logs: RemovalPolicy.RETAIN,
    },
    backup: { retentionDays: 14, plan: { dailyRetentionDays: 35 } },
    logRetention: RetentionDays.ONE_YEAR,
    network: { maxAzs: 2, natGateways: 'single' },
    database: serverless(0, 8),
    binlogReplicationSource: false,
    app: { cpu: 1024, memoryMiB: 4096, minTasks: 0, maxTasks: 2, minTasksFloor: 0 },
    monitoring: { enhancedMonitoringSeconds: 60, databaseInsights: 'standard', alarms: STAGING_ALARMS },
    loadBalancerDeletionProtection: false,
    windows: { maintenance: 'sun:05:00-sun:06:00', backup: '03:00-03:30' },
    engineVersion: ENGINE,
    lifecycle: { preUpgradeSnapshot: true, requiresValidatedRelease: false, dataReplaceable: false, retiredAtGoLive: true },
  },
  val: {
    kind: 'val',
    title: 'VAL',
    owner: 'customer',
    instances: PAIR,
    longevity: 'ephemeral',
    changeControlled: true,
    holdsRealPii: false,
    requiresPiiScrub: true,
    stack: { terminationProtection: true },
    stateful: {
      database: RemovalPolicy.SNAPSHOT,
      deletionProtection: false,
      keysAndSecrets: RemovalPolicy.RETAIN,
      logs: RemovalPolicy.RETAIN,
    },
    backup: { retentionDays: 7, plan: { dailyRetentionDays: 14 } },
    logRetention: RetentionDays.ONE_YEAR,
    network: { maxAzs: 2, natGateways: 'single' },
    database: serverless(0, 8),
    binlogReplicationSource: false,
    app: { cpu: 1024, memoryMiB: 4096, minTasks: 0, maxTasks: 2, minTasksFloor: 0 },
    monitoring: { enhancedMonitoringSeconds: 60, databaseInsights: 'standard', alarms: STAGING_ALARMS },
    loadBalancerDeletionProtection: false,
    windows: { maintenance: 'sun:05:00-sun:06:00', backup: '03:00-03:30' },
    engineVersion: ENGINE,
    lifecycle: { preUpgradeSnapshot: true, requiresValidatedRelease: false, dataReplaceable: false, retiredAtGoLive: false },
  },
  prod: {
    kind: 'prod',
    title: 'PROD',
    owner: 'customer',
    instances: PAIR,
    longevity: 'persistent',
    changeControlled: true,
    holdsRealPii: true,
    requiresPiiScrub: false,
    stack: { terminationProtection: true },
    // VAL clones PROD, so VAL's roles use PROD's keys too (through RDS, for the staging copy).
    stateful: {
      database: RemovalPolicy.RETAIN,
      deletionProtection: true,
      keysAndSecrets: RemovalPolicy.RETAIN,
      logs: RemovalPolicy.RETAIN,
      keyUsers: ['prod', 'val'],
    },
    backup: { retentionDays: 35, plan: { dailyRetentionDays: 35, monthlyRetentionDays: 365 } },
    logRetention: RetentionDays.SIX_YEARS,
    network: { maxAzs: 3, natGateways: 'perAz' },
    database: { mode: 'provisioned', instanceClass: 'db.r7g.large', readers: 1 },
    binlogReplicationSource: true,
    app: { cpu: 2048, memoryMiB: 8192, minTasks: 2, maxTasks: 6, minTasksFloor: 2 },
    monitoring: { enhancedMonitoringSeconds: 15, databaseInsights: 'advanced', alarms: PROD_ALARMS },
    loadBalancerDeletionProtection: true,
    windows: { maintenance: 'sun:06:00-sun:07:00', backup: '02:00-02:30' },
    engineVersion: ENGINE,
    lifecycle: { preUpgradeSnapshot: true, requiresValidatedRelease: true, dataReplaceable: false, retiredAtGoLive: false },
  },
  demo: {
    kind: 'demo',
    title: 'Demo',
    owner: 'platform',
    instances: SINGLE,
    longevity: 'persistent',
    changeControlled: false,
    holdsRealPii: false,
    requiresPiiScrub: false,
    stack: { terminationProtection: true },
    stateful: {
      database: RemovalPolicy.SNAPSHOT,
      deletionProtection: false,
      keysAndSecrets: RemovalPolicy.RETAIN,
      logs: RemovalPolicy.DESTROY,
    },
    backup: { retentionDays: 7, plan: { dailyRetentionDays: 14 } },
    logRetention: RetentionDays.THREE_MONTHS,
    network: { maxAzs: 2, natGateways: 'single' },
    database: serverless(0, 4),
    binlogReplicationSource: false,
    app: { cpu: 1024, memoryMiB: 4096, minTasks: 1, maxTasks: 2, minTasksFloor: 0 },
    monitoring: { enhancedMonitoringSeconds: 60, databaseInsights: 'standard', alarms: SCRATCH_ALARMS },
    loadBalancerDeletionProtection: false,
    windows: { maintenance: 'sat:05:00-sat:06:00', backup: '03:00-03:30' },
    engineVersion: ENGINE,
    lifecycle: { preUpgradeSnapshot: false, requiresValidatedRelease: false, dataReplaceable: false, retiredAtGoLive: false },
  },
  community: {
    kind: 'community',
    title: 'Community',
    owner: 'platform',
    instances: SINGLE,
    longevity: 'persistent',
    changeControlled: false,
    holdsRealPii: false,
    requiresPiiScrub: false,
    stack: { terminationProtection: true },
    stateful: {
      database: RemovalPolicy.SNAPSHOT,
      deletionProtection: true,
      keysAndSecrets: RemovalPolicy.RETAIN,
      logs: RemovalPolicy.DESTROY,
    },
    backup: { retentionDays: 7, plan: { dailyRetentionDays: 14 } },
    logRetention: RetentionDays.THREE_MONTHS,
    network: { maxAzs: 2, natGateways: 'single' },
    database: { mode: 'serverless', minAcu: 0.5, maxAcu: 8, autoPause: Duration.hours(1) },
    binlogReplicationSource: false,
    app: { cpu: 1024, memoryMiB: 4096, minTasks: 1, maxTasks: 4, minTasksFloor: 1 },
    monitoring: { enhancedMonitoringSeconds: 60, databaseInsights: 'standard', alarms: COMMUNITY_ALARMS },
    loadBalancerDeletionProtection: true,
    windows: { maintenance: 'sat:05:00-sat:06:00', backup: '03:00-03:30' },
    engineVersion: ENGINE,
    lifecycle: { preUpgradeSnapshot: false, requiresValidatedRelease: false, dataReplaceable: true, retiredAtGoLive: false },
  },
};

export function policyOf(kind: EnvironmentKind): EnvironmentPolicy {
  return CATALOG[kind];
}
