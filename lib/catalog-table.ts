/**
 * Renders the environment catalog as the Markdown table of the README (between the markers
 * `<!-- catalog:start -->` and `<!-- catalog:end -->`); a test keeps the README in step with the
 * code, `npm run docs` rewrites it.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { CATALOG, EnvironmentPolicy } from './catalog';
import { ENVIRONMENT_KINDS } from './kinds';

const policyName = (p: RemovalPolicy) =>
  ({ [RemovalPolicy.DESTROY]: 'destroy', [RemovalPolicy.SNAPSHOT]: 'final snapshot', [RemovalPolicy.RETAIN]: 'retain' })[p as string] ??
  String(p);

function years(days: number): string {
  return days >= 365 && days % 365 < 5
    ? `${Math.round(days / 365)} y`
    : days >= 30 && days % 30 < 2
      ? `${Math.round(days / 30)} mo`
      : `${days} d`;
}

function database(p: EnvironmentPolicy): string {
  const d = p.database;
  return d.mode === 'provisioned'
    ? `${d.instanceClass} writer + ${d.readers} reader`
    : `Serverless v2 ${d.minAcu}-${d.maxAcu} ACU${d.minAcu === 0 ? `, pauses after ${d.autoPause.toHumanString()} idle` : ''}`;
}

/** "w 70 / c 90" (warning / critical thresholds; "-" where a severity has none). */
function sev(t: { warning?: number; critical?: number }, unit = ''): string {
  const f = (v?: number) => (v === undefined ? '-' : `${v}${unit}`);
  return `w ${f(t.warning)} / c ${f(t.critical)}`;
}

export const CATALOG_START = '<!-- catalog:start -->';
export const CATALOG_END = '<!-- catalog:end -->';

export function renderCatalogTable(): string {
  const rows = [
    ['', ...ENVIRONMENT_KINDS.map((k) => CATALOG[k].title)],
    ['owner', ...ENVIRONMENT_KINDS.map((k) => CATALOG[k].owner)],
    ['instances', ...ENVIRONMENT_KINDS.map((k) => CATALOG[k].instances.join(' + '))],
    ['longevity', ...ENVIRONMENT_KINDS.map((k) => CATALOG[k].longevity)],
    ['change-controlled', ...ENVIRONMENT_KINDS.map((k) => (CATALOG[k].changeControlled ? 'yes' : 'no'))],
    ['real volunteer PII', ...ENVIRONMENT_KINDS.map((k) => (CATALOG[k].holdsRealPii ? 'yes' : 'no'))],
    ['PII scrubbed before use', ...ENVIRONMENT_KINDS.map((k) => (CATALOG[k].requiresPiiScrub ? 'yes (staging copy, verified)' : 'no'))],
    ['database on stack deletion', ...ENVIRONMENT_KINDS.map((k) => policyName(CATALOG[k].stateful.database))],
    ['deletion protection', ...ENVIRONMENT_KINDS.map((k) => (CATALOG[k].stateful.deletionProtection ? 'yes' : 'no'))],
    ['keys, secrets, buckets', ...ENVIRONMENT_KINDS.map((k) => policyName(CATALOG[k].stateful.keysAndSecrets))],
    ['log groups', ...ENVIRONMENT_KINDS.map((k) => policyName(CATALOG[k].stateful.logs))],
    ['stack termination protection', ...ENVIRONMENT_KINDS.map((k) => (CATALOG[k].stack.terminationProtection ? 'yes' : 'no'))],
    ['Aurora backup retention', ...ENVIRONMENT_KINDS.map((k) => `${CATALOG[k].backup.retentionDays} d`)],
    [
      'AWS Backup plan',
      ...ENVIRONMENT_KINDS.map((k) => {
        const plan = CATALOG[k].backup.plan;
        return plan
          ? `daily ${plan.dailyRetentionDays} d${plan.monthlyRetentionDays ? `, monthly ${years(plan.monthlyRetentionDays)}` : ''}`
          : 'no';
      }),
    ],
    ['log retention', ...ENVIRONMENT_KINDS.map((k) => years(CATALOG[k].logRetention))],
    [
      'availability zones / NAT',
      ...ENVIRONMENT_KINDS.map(
        (k) => `${CATALOG[k].network.maxAzs} / ${CATALOG[k].network.natGateways === 'perAz' ? 'one per zone' : 'one'}`,
      ),
    ],
    ['database', ...ENVIRONMENT_KINDS.map((k) => database(CATALOG[k]))],
    ['Aurora MySQL version', ...ENVIRONMENT_KINDS.map((k) => CATALOG[k].engineVersion)],
    [
      'snapshot before a release or engine change',
      ...ENVIRONMENT_KINDS.map((k) => (CATALOG[k].lifecycle.preUpgradeSnapshot ? 'yes' : 'no')),
    ],
    [
      'release validated in VAL first',
      ...ENVIRONMENT_KINDS.map((k) => (CATALOG[k].lifecycle.requiresValidatedRelease ? 'yes (or emergencyHotfix)' : 'no')),
    ],
    ['synthetic volunteers seeded', ...ENVIRONMENT_KINDS.map((k) => String(CATALOG[k].lifecycle.seededVolunteers ?? 'no'))],
    [
      'data may be replaced (wipe)',
      ...ENVIRONMENT_KINDS.map((k) => (CATALOG[k].lifecycle.dataReplaceable ? 'yes (community.wipe)' : 'no')),
    ],
    ['retired at go-live', ...ENVIRONMENT_KINDS.map((k) => (CATALOG[k].lifecycle.retiredAtGoLive ? 'yes' : 'no'))],
    ['binlog for a read replica', ...ENVIRONMENT_KINDS.map((k) => (CATALOG[k].binlogReplicationSource ? 'yes' : 'no'))],
    [
      'tasks (min-max), CPU/MiB',
      ...ENVIRONMENT_KINDS.map(
        (k) => `${CATALOG[k].app.minTasks}-${CATALOG[k].app.maxTasks}, ${CATALOG[k].app.cpu}/${CATALOG[k].app.memoryMiB}`,
      ),
    ],
    [
      'enhanced monitoring / insights',
      ...ENVIRONMENT_KINDS.map((k) => `${CATALOG[k].monitoring.enhancedMonitoringSeconds} s / ${CATALOG[k].monitoring.databaseInsights}`),
    ],
    [
      'alarm: database CPU / connections (% of max_connections)',
      ...ENVIRONMENT_KINDS.map(
        (k) =>
          `${sev(CATALOG[k].monitoring.alarms.database.cpuPercent, '%')}; ` +
          `${sev(CATALOG[k].monitoring.alarms.database.connectionsPercentOfMax, '%')}`,
      ),
    ],
    [
      'alarm: freeable memory (MiB, below) / ACUs (% of max)',
      ...ENVIRONMENT_KINDS.map(
        (k) =>
          `${sev(CATALOG[k].monitoring.alarms.database.freeableMemoryMiB)}; ` +
          `${sev(CATALOG[k].monitoring.alarms.database.capacityPercentOfMax, '%')}`,
      ),
    ],
    [
      'alarm: deadlocks/s / volume (GiB)',
      ...ENVIRONMENT_KINDS.map(
        (k) => `${sev(CATALOG[k].monitoring.alarms.database.deadlocksPerSecond)}; ${sev(CATALOG[k].monitoring.alarms.database.volumeGiB)}`,
      ),
    ],
    [
      'alarm: missing tasks / task CPU / memory / unhealthy',
      ...ENVIRONMENT_KINDS.map((k) => {
        const a = CATALOG[k].monitoring.alarms.service;
        return `${sev(a.missingTasks)}; ${sev(a.cpuPercent, '%')}; ${sev(a.memoryPercent, '%')}; ${sev(a.unhealthyHosts)}`;
      }),
    ],
    [
      'alarm: target 5xx / ELB 5xx (per 5 min) / p99 (s)',
      ...ENVIRONMENT_KINDS.map((k) => {
        const a = CATALOG[k].monitoring.alarms.loadBalancer;
        return `${sev(a.target5xx)}; ${sev(a.elb5xx)}; ${sev(a.p99ResponseSeconds)}`;
      }),
    ],
    [
      'alarm: WAF blocked / function errors / throttles',
      ...ENVIRONMENT_KINDS.map((k) => {
        const a = CATALOG[k].monitoring.alarms;
        return `${sev(a.waf.blockedRequests)}; ${sev(a.functions.errors)}; ${sev(a.functions.throttles)}`;
      }),
    ],
    [
      'alarm: replica lag (s) / stopped / jump host',
      ...ENVIRONMENT_KINDS.map((k) => {
        const a = CATALOG[k].monitoring.alarms;
        return `${sev(a.replica.lagSeconds)}; ${a.replica.replicationStopped ?? '-'}; ${a.jumpHost.statusCheckFailed ?? '-'}`;
      }),
    ],
    ['load balancer deletion protection', ...ENVIRONMENT_KINDS.map((k) => (CATALOG[k].loadBalancerDeletionProtection ? 'yes' : 'no'))],
    [
      'default windows (UTC)',
      ...ENVIRONMENT_KINDS.map((k) => `maint. ${CATALOG[k].windows.maintenance}, backup ${CATALOG[k].windows.backup}`),
    ],
  ];
  const [header, ...body] = rows;
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function replaceBetweenMarkers(text: string, start: string, end: string, content: string): string {
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`markers ${start} ... ${end} not found`);
  return `${text.slice(0, i + start.length)}\n${content}\n${text.slice(j)}`;
}

export const INVENTORY_START = '<!-- inventory:start -->';
export const INVENTORY_END = '<!-- inventory:end -->';

/** Human names of the resource types worth listing, in display order. */
const TYPE_NAMES: Array<[string, string]> = [
  ['AWS::EC2::VPC', 'VPC'],
  ['AWS::EC2::Subnet', 'subnets'],
  ['AWS::EC2::NatGateway', 'NAT gateways'],
  ['AWS::EC2::FlowLog', 'flow logs'],
  ['AWS::EC2::SecurityGroup', 'security groups'],
  ['AWS::RDS::DBCluster', 'Aurora clusters'],
  ['AWS::RDS::DBInstance', 'DB instances'],
  ['AWS::KMS::Key', 'KMS keys'],
  ['AWS::SecretsManager::Secret', 'secrets'],
  ['AWS::SecretsManager::RotationSchedule', 'rotation schedules'],
  ['AWS::Logs::LogGroup', 'log groups'],
  ['AWS::S3::Bucket', 'buckets'],
  ['AWS::Backup::BackupVault', 'backup vaults'],
  ['AWS::Backup::BackupPlan', 'backup plans'],
  ['AWS::Lambda::Function', 'Lambda functions'],
  ['AWS::StepFunctions::StateMachine', 'state machines'],
  ['AWS::ECS::Cluster', 'ECS clusters'],
  ['AWS::ECS::Service', 'ECS services'],
  ['AWS::ElasticLoadBalancingV2::LoadBalancer', 'load balancers'],
  ['AWS::ElasticLoadBalancingV2::ListenerRule', 'listener rules'],
  ['AWS::WAFv2::WebACL', 'WAF web ACLs'],
  ['AWS::Route53::RecordSet', 'DNS records'],
  ['AWS::EC2::Instance', 'EC2 instances'],
  ['AWS::EC2::EIP', 'Elastic IPs'],
  ['AWS::IAM::Role', 'IAM roles'],
  ['AWS::IAM::ManagedPolicy', 'managed policies'],
];

/** Markdown table: per stack, its resource count and the main resource types it holds. */
export function renderInventory(templates: Array<{ stack: string; resources: Record<string, { Type: string }> }>): string {
  const lines = ['| stack | resources | main contents |', '|---|---:|---|'];
  for (const { stack, resources } of templates) {
    const counts = new Map<string, number>();
    for (const r of Object.values(resources)) counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1);
    const custom = [...counts.entries()].filter(([t]) => t.startsWith('Custom::')).map(([t, n]) => `${n} ${t.replace('Custom::', '')}`);
    const listed = TYPE_NAMES.filter(([t]) => counts.has(t)).map(([t, name]) => `${counts.get(t)} ${name}`);
    lines.push(`| ${stack} | ${Object.keys(resources).length} | ${[...listed, ...custom].join(', ')} |`);
  }
  return lines.join('\n');
}
