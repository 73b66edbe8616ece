/**
 * Templates of the lifecycle snapshots: every database of a change-controlled environment has a
 * pre-upgrade snapshot resource that its cluster and instances wait for, and the app stack (the
 * services) waits for the data stack; a release change and an engine change reach the snapshot
 * resource, so CloudFormation snapshots before it changes the database or rolls the services.
 * Go-live: PROD Main restored from Pre-PROD's snapshot with PROD's own key, PROD Test empty.
 * Fleets are the example configuration changed in memory (no files written).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadFleet } from '../../lib/config';
import { CustomerConfig, Fleet } from '../../lib/config/model';
import { buildFleet } from '../../lib/fleet';
import { offlineApp } from '../../lib/offline-app';
import { CLUSTER_SNAPSHOT_RESOURCE_TYPE } from '../../constructs/lifecycle/pre-upgrade-snapshot';
import { evaluateCompliance } from '../../lib/compliance/packs';
import { EXAMPLE_CONFIG, buildTestFleet } from '../support/fleet';

/** Unacknowledged cdk-nag findings on the lifecycle snapshot constructs of a stack. */
const snapshotFindings = (stack: Stack) =>
  evaluateCompliance(stack)
    .failures()
    .filter((f) => /ClusterSnapshots|SnapshotBeforeUpgrade|GoLiveSnapshot/.test(f.path))
    .map((f) => `${f.id} on ${f.path}`);

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
type Resources = Record<string, Resource>;

const example = loadFleet(EXAMPLE_CONFIG);

/** The example fleet with one customer's configuration changed, built into a fresh app. */
function build(
  slug: string,
  change: (c: CustomerConfig) => CustomerConfig,
  options: { validate?: boolean } = {},
): { app: App; stack: (name: string) => Stack; template: (name: string) => Template } {
  // CDK's template validator runs on the go-live fleets (new template shapes: restores from a
  // snapshot); the release and engine variants only change property values of templates the
  // example fleet's validated synthesis covers (test/example-fleet.test.ts).
  const app = offlineApp({ withoutBuiltinValidation: !options.validate });
  const fleet: Fleet = { ...example, customers: example.customers.map((c) => (c.slug === slug ? change(c) : c)) };
  buildFleet(app, fleet, { owners: [slug] });
  const stacks = new Map(app.node.children.filter(Stack.isStack).map((s) => [s.stackName, s]));
  const templates = new Map<string, Template>();
  const stack = (name: string) => {
    const s = stacks.get(name);
    if (!s) throw new Error(`no stack ${name}: ${[...stacks.keys()].join(', ')}`);
    return s;
  };
  return {
    app,
    stack,
    template: (name) => {
      if (!templates.has(name)) templates.set(name, Template.fromStack(stack(name)));
      return templates.get(name) as Template;
    },
  };
}

const resources = (t: Template) => t.toJSON().Resources as Resources;
const ofType = (t: Template, type: string) => Object.entries(resources(t)).filter(([, r]) => r.Type === type);
const snapshotOf = (t: Template, cluster: string) => {
  const found = ofType(t, CLUSTER_SNAPSHOT_RESOURCE_TYPE).filter(
    ([, r]) => r.Properties.Mode === 'pre-upgrade' && r.Properties.ClusterIdentifier === cluster,
  );
  expect(found).toHaveLength(1);
  return found[0];
};
const clusterNamed = (t: Template, name: string) => {
  const found = ofType(t, 'AWS::RDS::DBCluster').filter(([, r]) => r.Properties.DBClusterIdentifier === name);
  expect(found).toHaveLength(1);
  return found[0];
};
/** Every instance of the cluster with logical id `clusterId`. */
const instancesOf = (t: Template, clusterId: string) =>
  ofType(t, 'AWS::RDS::DBInstance').filter(
    ([, r]) => JSON.stringify(r.Properties.DBClusterIdentifier) === JSON.stringify({ Ref: clusterId }),
  );

const northwind = (change: (c: CustomerConfig) => CustomerConfig) => build('northwind', change);

/** The example fleet as configured: the build test/example-fleet.test.ts shares (validated). */
function asConfigured(): ReturnType<typeof build> {
  const fleet = buildTestFleet();
  return {
    app: fleet.app,
    stack: (name) => {
      const s = fleet.stacks.get(name);
      if (!s) throw new Error(`no stack ${name}: ${[...fleet.stacks.keys()].join(', ')}`);
      return s;
    },
    template: (name) => fleet.template(name),
  };
}
const withProd = (c: CustomerConfig, prod: Record<string, unknown>): CustomerConfig => ({
  ...c,
  environments: { ...c.environments, prod: { ...c.environments.prod, ...prod } },
});

describe('pre-upgrade snapshot', () => {
  const base = asConfigured();
  const data = base.template('clinspark-northwind-prod-data');

  test.each(['main', 'test'])(
    'PROD %s: the snapshot resource carries the release and engine; the cluster and every instance wait for it',
    (role) => {
      const cluster = `clinspark-northwind-prod-${role}`;
      const [snapshotId, snapshot] = snapshotOf(data, cluster);
      const [clusterId, db] = clusterNamed(data, cluster);
      expect(snapshot.Properties).toMatchObject({
        Mode: 'pre-upgrade',
        Release: '2025.4.0-b2231',
        EngineVersion: db.Properties.EngineVersion,
        Tags: { 'clinspark:customer': 'northwind', 'clinspark:environment': 'prod' },
      });
      expect(db.DependsOn).toContain(snapshotId);
      const instances = instancesOf(data, clusterId);
      expect(instances.length).toBeGreaterThan(0);
      for (const [, instance] of instances) expect(instance.DependsOn).toContain(snapshotId);
      // The ECR and the operator read the latest identifier from the data stack's output.
      const output = `${role === 'main' ? 'Main' : 'Test'}PreUpgradeSnapshot`;
      expect(data.toJSON().Outputs[output].Value).toEqual({ 'Fn::GetAtt': [snapshotId, 'SnapshotIdentifier'] });
    },
  );

  test('the services roll after the data stack (the app stack depends on it); the snapshot waits until available (isComplete)', () => {
    expect(base.stack('clinspark-northwind-prod-app').dependencies.map((s) => s.stackName)).toContain('clinspark-northwind-prod-data');
    // The provider has a waiter (isComplete) state machine, traced.
    data.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true } });
    // Every cdk-nag finding of the snapshot constructs is fixed or acknowledged.
    expect(snapshotFindings(base.stack('clinspark-northwind-prod-data'))).toEqual([]);
  });

  test(
    'a VAL database (refresh-named cluster) is protected under its physical name; ' + 'kinds that are not change-controlled have none',
    () => {
      const val = base.template('clinspark-northwind-val-data');
      const [, cluster] = ofType(val, 'AWS::RDS::DBCluster').find(([, r]) => /-val-main-/.test(r.Properties.DBClusterIdentifier)) ?? [];
      expect(cluster).toBeDefined();
      snapshotOf(val, cluster?.Properties.DBClusterIdentifier);
      const acme = asConfigured();
      expect(ofType(acme.template('clinspark-acme-sandbox-data'), CLUSTER_SNAPSHOT_RESOURCE_TYPE)).toEqual([]);
      expect(ofType(acme.template('clinspark-acme-preprod-data'), CLUSTER_SNAPSHOT_RESOURCE_TYPE)).toHaveLength(1);
    },
  );

  test(
    "least privilege: snapshots of the stack's own clusters under their " +
      '<cluster>-pre-* names, KMS grants through RDS on their own keys only',
    () => {
      const policies = ofType(data, 'AWS::IAM::ManagedPolicy').filter(([id]) => id.startsWith('ClusterSnapshotsStartFunction'));
      expect(policies).toHaveLength(1);
      const statements = policies[0][1].Properties.PolicyDocument.Statement as Array<Record<string, any>>;
      const rds = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('rds:')));
      expect(rds.flatMap((s) => [s.Resource].flat())).toEqual([
        'arn:aws:rds:eu-west-1:345678901234:cluster:clinspark-northwind-prod-main',
        'arn:aws:rds:eu-west-1:345678901234:cluster:clinspark-northwind-prod-test',
        'arn:aws:rds:eu-west-1:345678901234:cluster-snapshot:clinspark-northwind-prod-main-pre-*',
        'arn:aws:rds:eu-west-1:345678901234:cluster-snapshot:clinspark-northwind-prod-test-pre-*',
      ]);
      expect(rds.flatMap((s) => [s.Action].flat()).sort()).toEqual(
        [
          'rds:AddTagsToResource',
          'rds:CreateDBClusterSnapshot',
          'rds:CreateDBClusterSnapshot',
          'rds:DescribeDBClusterSnapshots',
          'rds:DescribeDBClusters',
        ].sort(),
      );
      const kms = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kms:')));
      expect(kms.flatMap((s) => [s.Action].flat()).sort()).toEqual(['kms:CreateGrant', 'kms:DescribeKey']);
      for (const s of kms) {
        expect(s.Condition.StringEquals['kms:ViaService']).toBe('rds.eu-west-1.amazonaws.com');
        expect(s.Resource).toEqual([
          { 'Fn::GetAtt': ['MainDatabaseKeyF7118F28', 'Arn'] },
          { 'Fn::GetAtt': ['TestDatabaseKey951C0E3B', 'Arn'] },
        ]);
      }
      // PROD keys deny kms:CreateGrant to roles without PROD's tags (key-policy.ts): the function's role has them.
      const [, role] = ofType(data, 'AWS::IAM::Role').find(([id]) => id.startsWith('ClusterSnapshotsStartFunctionRole')) ?? [];
      expect(role?.Properties.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'clinspark:customer', Value: 'northwind' },
          { Key: 'clinspark:environment', Value: 'prod' },
        ]),
      );
    },
  );

  test(
    'a release change reaches the snapshot resource (snapshot first), then the ' + 'cluster (unchanged), then the services (new image)',
    () => {
      const val = example.customers.find((c) => c.slug === 'northwind')?.environments.val?.release;
      expect(val).toBeDefined();
      const upgraded = northwind((c) => withProd(c, { release: val }));
      const after = upgraded.template('clinspark-northwind-prod-data');
      const [id, snapshot] = snapshotOf(after, 'clinspark-northwind-prod-main');
      expect(snapshot.Properties.Release).toBe('2026.1.0-b2410');
      const [, before] = snapshotOf(data, 'clinspark-northwind-prod-main');
      expect(before.Properties.Release).toBe('2025.4.0-b2231');
      expect(clusterNamed(after, 'clinspark-northwind-prod-main')[1].DependsOn).toContain(id);
      // The services take the new image only in the app stack, deployed after the data stack.
      const images = (t: Template) =>
        ofType(t, 'AWS::ECS::TaskDefinition').map(([, r]) => JSON.stringify(r.Properties.ContainerDefinitions.map((c: any) => c.Image)));
      expect(images(upgraded.template('clinspark-northwind-prod-app'))).not.toEqual(images(base.template('clinspark-northwind-prod-app')));
      expect(upgraded.stack('clinspark-northwind-prod-app').dependencies.map((s) => s.stackName)).toContain(
        'clinspark-northwind-prod-data',
      );
    },
  );

  test('an engine change reaches the snapshot resource and the cluster, which waits for the snapshot', () => {
    const upgraded = northwind((c) => withProd(c, { engine: { version: '3.11.1' } }));
    const after = upgraded.template('clinspark-northwind-prod-data');
    const [id, snapshot] = snapshotOf(after, 'clinspark-northwind-prod-main');
    const [clusterId, cluster] = clusterNamed(after, 'clinspark-northwind-prod-main');
    expect(cluster.Properties.EngineVersion).toBe('8.0.mysql_aurora.3.11.1');
    expect(snapshot.Properties.EngineVersion).toBe('8.0.mysql_aurora.3.11.1');
    expect(cluster.DependsOn).toContain(id);
    for (const [, instance] of instancesOf(after, clusterId)) expect(instance.DependsOn).toContain(id);
  });
});

describe('go-live promotion', () => {
  const acmeFleet = (initialData: Record<string, unknown>) =>
    build('acme', (c) => withProd(c, { initialData, ingress: { allowedCidrs: ['198.51.100.0/24'] } }), { validate: true });
  const acmeProd = (initialData: Record<string, unknown>) => acmeFleet(initialData).template('clinspark-acme-prod-data');

  function expectRestoredWithProdKey(t: Template, snapshotIdentifier: unknown): void {
    const [, main] = clusterNamed(t, 'clinspark-acme-prod-main');
    expect(main.Properties.SnapshotIdentifier).toEqual(snapshotIdentifier);
    // "If you specify the SnapshotIdentifier property, ... the specified KmsKeyId property is used" (AWS::RDS::DBCluster):
    // PROD Main is encrypted with PROD Main's own key, a key of this stack.
    expect(main.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': ['MainDatabaseKeyF7118F28', 'Arn'] });
    expect(resources(t).MainDatabaseKeyF7118F28.Type).toBe('AWS::KMS::Key');
    // A restore keeps the snapshot's master user; the account resource sets PROD's own password.
    expect(main.Properties.MasterUsername).toBeUndefined();
    expect(main.Properties.MasterUserPassword).toBeUndefined();
    const accounts = ofType(t, 'Custom::ClinSparkApplicationAccount');
    const mainAccount = accounts.find(([, r]) => r.Properties.ClusterIdentifier === 'clinspark-acme-prod-main');
    expect(mainAccount?.[1].Properties.ResetMasterPassword).toBe('true');
    // PROD Test is created empty, with its own credentials.
    const [, test] = clusterNamed(t, 'clinspark-acme-prod-test');
    expect(test.Properties.SnapshotIdentifier).toBeUndefined();
    expect(test.Properties.MasterUsername).toBeDefined();
    expect(test.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': ['TestDatabaseKey951C0E3B', 'Arn'] });
    const testAccount = accounts.find(([, r]) => r.Properties.ClusterIdentifier === 'clinspark-acme-prod-test');
    expect(testAccount?.[1].Properties.ResetMasterPassword).toBe('false');
  }

  test("fromPreprodSnapshot: PROD Main restored from the given snapshot with PROD's key; no snapshot is taken", () => {
    const t = acmeProd({ fromPreprodSnapshot: 'acme-preprod-golive-2026-12-01' });
    expectRestoredWithProdKey(t, 'acme-preprod-golive-2026-12-01');
    expect(ofType(t, CLUSTER_SNAPSHOT_RESOURCE_TYPE).filter(([, r]) => r.Properties.Mode === 'go-live')).toEqual([]);
  });

  test("fromPreprod clone: Pre-PROD Main is snapshotted at deploy time and PROD Main restores from that snapshot, with PROD's key", () => {
    const fleet = acmeFleet({ fromPreprod: 'clone' });
    const t = fleet.template('clinspark-acme-prod-data');
    // Pre-PROD's data stack is deployed first (the handler snapshots its cluster by name).
    expect(fleet.stack('clinspark-acme-prod-data').dependencies.map((s) => s.stackName)).toContain('clinspark-acme-preprod-data');
    expect(snapshotFindings(fleet.stack('clinspark-acme-prod-data'))).toEqual([]);
    const goLive = ofType(t, CLUSTER_SNAPSHOT_RESOURCE_TYPE).filter(([, r]) => r.Properties.Mode === 'go-live');
    expect(goLive).toHaveLength(1);
    const [id, snapshot] = goLive[0];
    expect(snapshot.Properties).toMatchObject({
      ClusterIdentifier: 'clinspark-acme-preprod-main',
      SnapshotIdentifier: 'clinspark-acme-preprod-main-golive',
    });
    expectRestoredWithProdKey(t, { 'Fn::GetAtt': [id, 'SnapshotIdentifier'] });
    // The snapshot function may use Pre-PROD's key (another stack's) only through RDS and by its tags.
    const policy = ofType(t, 'AWS::IAM::ManagedPolicy').find(([pid]) => pid.startsWith('ClusterSnapshotsStartFunction'))?.[1];
    const kms = (policy?.Properties.PolicyDocument.Statement as Array<Record<string, any>>).filter(
      (s) => s.Condition?.StringEquals?.['aws:ResourceTag/clinspark:environment'],
    );
    expect(kms).toEqual([
      expect.objectContaining({
        Action: ['kms:CreateGrant', 'kms:DescribeKey'],
        Condition: expect.objectContaining({
          StringEquals: {
            'kms:ViaService': 'rds.us-east-1.amazonaws.com',
            'aws:ResourceTag/clinspark:customer': 'acme',
            'aws:ResourceTag/clinspark:environment': 'preprod',
          },
        }),
      }),
    ]);
  });
});
