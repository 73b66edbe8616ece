/**
 * Monitoring of the example fleet, per environment kind: every alarm of issue 12 exists with the
 * catalog's threshold at each severity, every alarm has an action (the environment's topic), the
 * topic is encrypted with a key whose policy admits CloudWatch for the environment's alarms only,
 * kinds that scale to zero do not alarm on zero tasks or a paused database, one dashboard
 * `<owner>-<environment>` per environment, and the support role can read but never decrypt.
 */
import { CATALOG } from '../../lib/catalog';
import { auroraMysqlMaxConnections } from '../../constructs/monitoring/max-connections';
import { functionsIn } from '../../constructs/monitoring/environment-monitoring';
import { SUPPORT_DENIED_ACTIONS } from '../../constructs/monitoring/support-role';
import { SeverityThresholds } from '../../constructs/monitoring/thresholds';
import { EnvironmentSpec } from '../../lib/environments';
import { buildTestFleet } from '../support/fleet';

const fleet = buildTestFleet();
type Res = { Type: string; Properties: Record<string, any> };
const resources = (stack: string): Record<string, Res> => fleet.template(stack).toJSON().Resources;
const ofType = (stack: string, type: string) => Object.entries(resources(stack)).filter(([, r]) => r.Type === type);
const alarms = (stack: string): Array<Record<string, any> & { id: string }> =>
  ofType(stack, 'AWS::CloudWatch::Alarm').map(([id, r]) => ({ id, ...r.Properties }));

const environments = fleet.environments;
const kinds = [...new Set(environments.map((e) => e.spec.kind))];

function severities(t: SeverityThresholds): Array<[string, number]> {
  return (['warning', 'critical'] as const)
    .filter((s) => t[s] !== undefined)
    .map((s) => [s === 'warning' ? 'Warning' : 'Critical', t[s] as number]);
}

/** The alarm named `<prefix>-<middle>-<Severity>` must exist with this threshold. */
function expectAlarm(stack: string, name: string, threshold: number, operator = 'GreaterThanThreshold') {
  const found = alarms(stack).find((a) => a.AlarmName === name);
  if (!found)
    throw new Error(
      `${stack}: no alarm ${name}; alarms: ${alarms(stack)
        .map((a) => a.AlarmName)
        .join(', ')}`,
    );
  expect(found.Threshold).toBeCloseTo(threshold, 6);
  expect(found.ComparisonOperator).toBe(operator);
}

function expectAll(stack: string, prefix: string, t: SeverityThresholds, threshold: (v: number) => number = (v) => v, operator?: string) {
  const list = severities(t);
  expect(list.length).toBeGreaterThan(0);
  for (const [sev, v] of list) expectAlarm(stack, `${prefix}-${sev}`, threshold(v), operator);
}

const byKind = (kind: string) => environments.find((e) => e.spec.kind === kind)!;

describe.each(kinds)('%s', (kind) => {
  const env = byKind(kind);
  const spec: EnvironmentSpec = env.spec;
  const a = CATALOG[spec.kind].monitoring.alarms;
  const p = spec.monitoring.alarmNamePrefix;
  const data = spec.stackNames.data;
  const app = spec.stackNames.app;

  test('each database: CPU, connections against max_connections, freeable memory, Serverless v2 capacity, deadlocks, volume', () => {
    const db = spec.database;
    const max = auroraMysqlMaxConnections(
      db.mode === 'provisioned' ? { mode: 'provisioned', instanceClass: db.instanceClass } : { mode: 'serverless', maxAcu: db.maxAcu },
    )!;
    expect(spec.monitoring.maxConnections).toBe(max);
    for (const role of spec.instances.map((i) => (i.role === 'main' ? 'Main' : 'Test'))) {
      expectAll(data, `${p}-${role}database-CPU-Usage`, a.database.cpuPercent);
      expectAll(data, `${p}-${role}database-Connection-Count-High`, a.database.connectionsPercentOfMax, (v) => Math.floor((max * v) / 100));
      expectAll(data, `${p}-${role}databaseHealth-FreeableMemory`, a.database.freeableMemoryMiB, (v) => v, 'LessThanThreshold');
      expectAll(data, `${p}-${role}databaseHealth-Deadlocks`, a.database.deadlocksPerSecond);
      expectAll(data, `${p}-${role}databaseHealth-VolumeUsed`, a.database.volumeGiB);
      if (db.mode === 'serverless')
        expectAll(data, `${p}-${role}database-Usage-Count`, a.database.capacityPercentOfMax, (v) => (db.maxAcu * v) / 100);
    }
  });

  test(
    'each service: desired minus running tasks, CPU, memory, unhealthy targets; the ' + 'load balancer: 5xx, p99; WAF: blocked requests',
    () => {
      for (const role of spec.instances.map((i) => (i.role === 'main' ? 'Main' : 'Test'))) {
        expectAll(app, `${p}-${role}applicationTasks-MissingTasks`, a.service.missingTasks);
        expectAll(app, `${p}-${role}application-CPU-Usage`, a.service.cpuPercent);
        expectAll(app, `${p}-${role}application-Memory-Usage`, a.service.memoryPercent);
        expectAll(app, `${p}-${role}application-Unhealthy-Tasks`, a.service.unhealthyHosts);
      }
      expectAll(app, `${p}-LoadBalancer-Target5xx`, a.loadBalancer.target5xx);
      expectAll(app, `${p}-LoadBalancer-Elb5xx`, a.loadBalancer.elb5xx);
      expectAll(app, `${p}-LoadBalancer-ResponseTimeP99`, a.loadBalancer.p99ResponseSeconds);
      expectAll(app, `${p}-WebAcl-Blocked-Count`, a.waf.blockedRequests);
    },
  );

  test('every Lambda function of the data stack (set-up, scrub, provider frameworks): errors and throttles', () => {
    const listed = functionsIn(fleet.stacks.get(data)!);
    const functions = listed.length;
    expect(listed.map((f) => f.title)).toContain('AccountFunction');
    if (spec.val)
      expect(listed.map((f) => f.title)).toEqual(expect.arrayContaining(['PiiScrub Control', 'PiiScrub Scrub', 'PiiScrub Starter']));
    const faults = alarms(data).filter((x) => /-Fault-Count-(Warning|Critical)$/.test(x.AlarmName));
    const throttles = alarms(data).filter((x) => /-Throttled-Count-(Warning|Critical)$/.test(x.AlarmName));
    expect(faults.length).toBe(functions * severities(a.functions.errors).length);
    expect(throttles.length).toBe(functions * severities(a.functions.throttles).length);
  });

  test('every alarm of every stack has an action: the environment topic; names carry the environment prefix', () => {
    const topics = ofType(data, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    const [topicId] = topics[0];
    for (const stack of [data, app, ...(env.replica ? [env.replica.stackName] : [])]) {
      const list = alarms(stack);
      expect(list.length).toBeGreaterThan(0);
      for (const alarm of list) {
        expect(alarm.ActionsEnabled).toBe(true);
        expect(alarm.AlarmActions).toHaveLength(1);
        // The data stack's topic: a Ref there, a cross-stack reference from the app and replica stacks.
        expect(JSON.stringify(alarm.AlarmActions)).toContain(stack === data ? topicId : 'AlarmTopic');
        expect(alarm.AlarmName.startsWith(`${p}-`)).toBe(true);
      }
    }
  });

  test(
    'scale-to-zero kinds: no alarm fires on zero tasks or a paused database (missing ' +
      'data is not breaching; tasks count desired minus running)',
    () => {
      const scalesToZero = spec.app.minTasks === 0 || (spec.database.mode === 'serverless' && spec.database.minAcu === 0);
      for (const stack of [data, app]) {
        for (const alarm of alarms(stack)) {
          expect(alarm.TreatMissingData).toBe('notBreaching');
          // No "too few" alarm on tasks or connections anywhere: zero is a valid state of these kinds.
          expect(alarm.AlarmName).not.toMatch(/Running-Tasks-Low|Connection-Count-Low/);
        }
      }
      const missing = alarms(app).find((x) => /MissingTasks/.test(x.AlarmName))!;
      expect(missing.Metrics.map((m: any) => m.Expression).filter(Boolean)).toEqual(['desired - running']);
      if (scalesToZero) expect(missing.Threshold).toBe(0);
    },
  );

  test(
    'the topic is encrypted with its own rotating key whose policy admits ' +
      'cloudwatch.amazonaws.com for this account and the environment alarms only',
    () => {
      const [, topic] = ofType(data, 'AWS::SNS::Topic')[0];
      const keyRef = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
      const key = resources(data)[keyRef];
      expect(key.Type).toBe('AWS::KMS::Key');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      const statement = key.Properties.KeyPolicy.Statement.find((s: any) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
      expect(statement).toBeDefined();
      expect(statement.Effect).toBe('Allow');
      expect(statement.Action).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
      expect(statement.Condition.StringEquals['aws:SourceAccount']).toBe(spec.account);
      expect(JSON.stringify(statement.Condition.ArnLike['aws:SourceArn'])).toContain(`:${spec.account}:alarm:${p}-*`);
      const policy = ofType(data, 'AWS::SNS::TopicPolicy')[0][1].Properties.PolicyDocument.Statement;
      const publish = policy.find((s: any) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
      expect(publish.Action).toBe('sns:Publish');
      expect(JSON.stringify(publish.Condition.ArnLike['aws:SourceArn'])).toContain(`:alarm:${p}-*`);
      // TLS only (AwsSolutions-SNS3).
      expect(policy.some((s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false')).toBe(true);
    },
  );

  test("subscriptions: the vendor default from platform.yaml, then the owner's own", () => {
    const subs = ofType(data, 'AWS::SNS::Subscription').map(([, r]) => `${r.Properties.Protocol}:${r.Properties.Endpoint}`);
    const vendor = fleet.fleet.platform?.monitoring?.subscriptions ?? [];
    expect(subs).toEqual(expect.arrayContaining(vendor.map((s) => ('email' in s ? `email:${s.email}` : `https:${s.https}`))));
    expect(subs).toHaveLength(spec.monitoring.subscriptions.length);
  });

  test('one dashboard named <owner>-<environment>, in the app stack', () => {
    const dashboards = ofType(app, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0][1].Properties.DashboardName).toBe(`${spec.owner}-${spec.name}`);
    expect(ofType(data, 'AWS::CloudWatch::Dashboard')).toHaveLength(0);
  });

  test(
    'the support role is assumable by the vendor support principal, reads ' +
      'dashboards, alarms, logs, ECS and RDS, and cannot decrypt or read secrets',
    () => {
      const roles = ofType(data, 'AWS::IAM::Role').filter(([, r]) => r.Properties.RoleName === spec.monitoring.supportRoleName);
      expect(roles).toHaveLength(1);
      const [roleId, role] = roles[0];
      expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain(fleet.fleet.platform!.monitoring!.supportPrincipalArn!);
      expect(roleId).toBeDefined();
      expect(role.Properties.Policies).toBeUndefined();
      expect(role.Properties.ManagedPolicyArns).toHaveLength(1);
      const policy = resources(data)[role.Properties.ManagedPolicyArns[0].Ref];
      expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
      const statements: any[] = policy.Properties.PolicyDocument.Statement;
      const allowed: string[] = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => ([] as string[]).concat(s.Action));
      const denied = statements
        .filter((s) => s.Effect === 'Deny' && JSON.stringify(s.Resource) === '"*"')
        .flatMap((s) => ([] as string[]).concat(s.Action));
      for (const action of [
        'cloudwatch:GetDashboard',
        'cloudwatch:DescribeAlarms',
        'logs:StartQuery',
        'logs:GetQueryResults',
        'ecs:DescribeServices',
        'rds:DescribeDBClusters',
      ])
        expect(allowed).toContain(action);
      for (const action of ['kms:Decrypt', 'secretsmanager:GetSecretValue', ...SUPPORT_DENIED_ACTIONS]) expect(denied).toContain(action);
      // No allow that could decrypt or read secrets, even by wildcard.
      expect(allowed.filter((x) => /^(kms|secretsmanager|ssm|s3|rds-db):/.test(x) || x.includes('*'))).toEqual([]);
      // Slow-query logs (statement text with PII literals) are not among the readable log groups.
      const logs = statements.find((s) => s.Sid === 'ReadEnvironmentLogs');
      expect(JSON.stringify(logs.Resource)).not.toMatch(/slowquery/i);
      expect(JSON.stringify(logs.Resource)).toMatch(/AppLogs/);
    },
  );
});

test('PROD read replica: AuroraBinlogReplicaLag per severity, replication stopped (breaching when absent), jump host status check', () => {
  const prod = environments.find((e) => e.replica)!;
  const a = CATALOG.prod.monitoring.alarms;
  const stack = prod.replica!.stackName;
  const p = `${prod.spec.monitoring.alarmNamePrefix}-replica`;
  expectAll(stack, `${p}-ReadReplica-ReplicaLag`, a.replica.lagSeconds);
  const stopped = alarms(stack).find((x) => x.AlarmName === `${p}-ReadReplica-ReplicationStopped-Critical`)!;
  expect(stopped.TreatMissingData).toBe('breaching');
  expect(JSON.stringify(stopped.Metrics)).toContain('AuroraBinlogReplicaLag');
  const host = alarms(stack).find((x) => x.AlarmName === `${p}-JumpHost-StatusCheckFailed-Critical`)!;
  expect(JSON.stringify(host)).toContain('StatusCheckFailed');
});

test('one observability link per owner account, on its longest-lived environment', () => {
  const links = new Map<string, string[]>();
  for (const e of environments) {
    if (ofType(e.spec.stackNames.data, 'AWS::Oam::Link').length > 0)
      links.set(e.spec.owner, [...(links.get(e.spec.owner) ?? []), e.spec.kind]);
  }
  expect(Object.fromEntries(links)).toEqual({ acme: ['preprod'], northwind: ['prod'], platform: ['community'] });
});

test('max_connections from the Aurora user guide tables', () => {
  expect(auroraMysqlMaxConnections({ mode: 'provisioned', instanceClass: 'db.r7g.large' })).toBe(1000);
  expect(auroraMysqlMaxConnections({ mode: 'serverless', maxAcu: 4 })).toBe(135);
  expect(auroraMysqlMaxConnections({ mode: 'serverless', maxAcu: 8 })).toBe(1000);
  expect(auroraMysqlMaxConnections({ mode: 'serverless', maxAcu: 12 })).toBe(1000);
  expect(auroraMysqlMaxConnections({ mode: 'provisioned', instanceClass: 'db.z9.huge' })).toBeUndefined();
});
