/**
 * VAL environments: the source is copied only into a transient staging cluster that the scrub
 * job alone can reach; the VAL clusters are restored from the scrubbed, verified snapshot, after
 * the run's wait condition; a refresh makes everything that must run again new; nothing the
 * application can use ever points at a staging copy. Synthesised with CDK's built-in validator.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadFleet } from '../../lib/config';
import { Fleet } from '../../lib/config/model';
import { buildFleet } from '../../lib/fleet';
import { offlineApp } from '../../lib/offline-app';
import { copyHash, runHash } from '../../constructs/val-clone/val-clone';
import { EXAMPLE_CONFIG, buildTestFleet } from '../support/fleet';

const root = path.join(__dirname, '..', '..');
const SNAPSHOT_CONFIG = path.join(root, 'test', 'fixtures', 'fleets', 'val-snapshot');
const example = buildTestFleet({ customers: ['northwind'], platform: false });
const snapshots = buildTestFleet({ configDir: SNAPSHOT_CONFIG });

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[]; DeletionPolicy?: string };
type Resources = Record<string, Resource>;
const resources = (t: Template) => t.toJSON().Resources as Resources;
const ofType = (t: Template, type: string) => Object.entries(resources(t)).filter(([, r]) => r.Type === type);
const one = (t: Template, type: string, prefix: string) => {
  const found = ofType(t, type).filter(([id]) => id.startsWith(prefix));
  expect(found).toHaveLength(1);
  return found[0];
};

/** The starter's Run property (a Fn::Join of the JSON text), with tokens shown as <Logical.Attr>. */
function runOf(starter: Resource): Record<string, any> {
  const raw = starter.Properties.Run;
  const text =
    typeof raw === 'string'
      ? raw
      : (raw['Fn::Join'][1] as unknown[])
          .map((p) =>
            typeof p === 'string'
              ? p
              : 'Ref' in (p as object)
                ? `<${(p as { Ref: string }).Ref}>`
                : `<${(p as { 'Fn::GetAtt': string[] })['Fn::GetAtt'].join('.')}>`,
          )
          .join('');
  return JSON.parse(text) as Record<string, any>;
}

/** The state machine definition with tokens replaced, as JSON. */
function definitionOf(t: Template): { StartAt: string; States: Record<string, any> } {
  const [, machine] = ofType(t, 'AWS::StepFunctions::StateMachine')[0];
  const raw = machine.Properties.DefinitionString;
  const text = typeof raw === 'string' ? raw : (raw['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}

/** A fleet like `configDir` with one customer's VAL configuration changed. */
function variant(
  configDir: string,
  slug: string,
  change: (val: Record<string, any>) => Record<string, any>,
): ReturnType<typeof templatesOf> {
  const loaded = loadFleet(configDir);
  const fleet: Fleet = {
    ...loaded,
    customers: loaded.customers.map((c) =>
      c.slug === slug ? { ...c, environments: { ...c.environments, val: change(c.environments.val as Record<string, any>) as never } } : c,
    ),
  };
  const app = offlineApp();
  buildFleet(app, fleet, { owners: [slug] });
  return templatesOf(app.node.children.filter(Stack.isStack));
}

function templatesOf(stacks: Stack[]): Map<string, Record<string, any>> {
  return new Map(stacks.map((s) => [s.stackName, Template.fromStack(s).toJSON()]));
}

describe('VAL cloned from PROD (example fleet)', () => {
  const data = example.template('clinspark-northwind-val-data');
  const app = example.template('clinspark-northwind-val-app');
  const rules = fs.readFileSync(path.join(EXAMPLE_CONFIG, 'scrub', 'volunteers.rules.yaml'), 'utf8');

  test(
    'no resource of the VAL stacks restores or clones the source: each VAL cluster ' +
      "is restored from its scrubbed snapshot, with VAL's own key",
    () => {
      const clusters = ofType(data, 'AWS::RDS::DBCluster');
      expect(clusters).toHaveLength(2);
      for (const [id, c] of clusters) {
        const role = id.startsWith('MainClone') ? 'main' : 'test';
        const hash = runHash({ kind: 'clone', sourceClusterIdentifier: `clinspark-northwind-prod-${role}`, refresh: '2026-11-20' }, rules);
        expect(c.Properties.SourceDBClusterIdentifier).toBeUndefined();
        expect(c.Properties.RestoreType).toBeUndefined();
        expect(c.Properties.SnapshotIdentifier).toBe(`clinspark-northwind-val-${role}-scrubbed-${hash}`);
        expect(c.Properties.DBClusterIdentifier).toBe(`clinspark-northwind-val-${role}-${hash}`);
        expect(resources(data)[c.Properties.KmsKeyId['Fn::GetAtt'][0]].Type).toBe('AWS::KMS::Key');
        // The snapshot's master password is replaced through the RDS API (no password in the template).
        expect(c.Properties.MasterUsername).toBeUndefined();
        expect(c.Properties.MasterUserPassword).toBeUndefined();
        // VAL's catalog policy: final snapshot on deletion; it holds scrubbed data only.
        expect(c.DeletionPolicy).toBe('Snapshot');
      }
      // The only mention of the source clusters is the run's input of the staging restore.
      const text = JSON.stringify(data.toJSON());
      const mentions = Object.entries(resources(data)).filter(([, r]) => JSON.stringify(r).includes('clinspark-northwind-prod-'));
      expect(mentions.map(([, r]) => r.Type).sort()).toEqual([
        'AWS::IAM::ManagedPolicy',
        'Custom::ClinSparkScrubbedCopy',
        'Custom::ClinSparkScrubbedCopy',
      ]);
      expect(text).not.toMatch(/northwind-prod-data|ProdData/);
      expect(JSON.stringify(app.toJSON())).not.toMatch(/northwind-prod|ProdData/);
    },
  );

  test(
    "each VAL cluster and its instances depend on the run's wait condition, which " +
      "depends on the run's starter and waits up to 12 hours",
    () => {
      for (const role of ['Main', 'Test']) {
        const [startId, starter] = one(data, 'Custom::ClinSparkScrubbedCopy', `${role}CloneScrubStart`);
        const [readyId, ready] = one(data, 'AWS::CloudFormation::WaitCondition', `${role}CloneScrubReady`);
        const [handleId] = one(data, 'AWS::CloudFormation::WaitConditionHandle', `${role}CloneScrubHandle`);
        expect(ready.Properties).toEqual({ Handle: { Ref: handleId }, Timeout: '43200', Count: 1 });
        expect(ready.DependsOn).toEqual([startId]);
        expect(starter.Properties.HandleUrl).toEqual({ Ref: handleId });
        const [, cluster] = one(data, 'AWS::RDS::DBCluster', `${role}CloneDatabaseCluster`);
        expect(cluster.DependsOn).toContain(readyId);
        for (const [, instance] of ofType(data, 'AWS::RDS::DBInstance').filter(([id]) => id.startsWith(`${role}CloneDatabaseCluster`)))
          expect(instance.DependsOn).toContain(readyId);
        const run = runOf(starter);
        expect(run.scrubbedSnapshotIdentifier).toBe(cluster.Properties.SnapshotIdentifier);
        expect(run.copy).toEqual({ kind: 'clone', sourceClusterIdentifier: `clinspark-northwind-prod-${role.toLowerCase()}` });
        expect(run.stagingClusterIdentifier).toBe(cluster.Properties.SnapshotIdentifier.replace('-scrubbed-', '-staging-'));
        expect(run.scrub.rulesYaml).toBe(rules);
        expect(run.scrub.evidenceKey).toBe(`${role.toLowerCase()}/${cluster.Properties.SnapshotIdentifier}.json`);
        // The staging copy is encrypted with this VAL database's own key.
        expect(run.kmsKeyId).toMatch(new RegExp(`^<${role}CloneDatabaseKey[0-9A-F]{8}\\.Arn>$`));
      }
    },
  );

  test(
    'the staging copy is reachable only by the scrub function: its own security ' +
      'group, isolated subnets, TLS required; nothing else refers to it',
    () => {
      const [sgId, sg] = one(data, 'AWS::EC2::SecurityGroup', 'PiiScrubStagingSecurityGroup');
      expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
      expect(sg.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]); // no outbound
      const ingress = ofType(data, 'AWS::EC2::SecurityGroupIngress').filter(
        ([, r]) => JSON.stringify(r.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [sgId, 'GroupId'] }),
      );
      expect(ingress).toHaveLength(1);
      expect(ingress[0][1].Properties).toMatchObject({
        IpProtocol: 'tcp',
        FromPort: 3306,
        ToPort: 3306,
        SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^PiiScrubSecurityGroup[0-9A-F]{8}$/), 'GroupId'] },
      });
      // Nothing else refers to the staging security group (no database, no task, no other rule).
      const referrers = Object.entries(resources(data))
        .filter(([id, r]) => id !== sgId && JSON.stringify(r).includes(sgId))
        .map(([, r]) => r.Type)
        .sort();
      expect(referrers).toEqual([
        'AWS::EC2::SecurityGroupEgress',
        'AWS::EC2::SecurityGroupIngress',
        'Custom::ClinSparkScrubbedCopy',
        'Custom::ClinSparkScrubbedCopy',
      ]);
      expect(JSON.stringify(app.toJSON())).not.toMatch(/Staging|-staging-/);
      const [, subnets] = one(data, 'AWS::RDS::DBSubnetGroup', 'PiiScrubStagingSubnets');
      const [, valSubnets] = one(data, 'AWS::RDS::DBSubnetGroup', 'MainCloneDatabaseClusterSubnets');
      expect(subnets.Properties.SubnetIds).toEqual(valSubnets.Properties.SubnetIds);
      const [, parameters] = one(data, 'AWS::RDS::DBClusterParameterGroup', 'PiiScrubStagingParameters');
      expect(parameters.Properties.Parameters).toMatchObject({ require_secure_transport: 'ON', tls_version: 'TLSv1.2' });
    },
  );

  test('no backup selection, final snapshot or automated-backup window can hold unscrubbed data', () => {
    // AWS Backup selects the VAL clusters only (restored from scrubbed snapshots), by ARN, never by tag.
    const clusters = ofType(data, 'AWS::RDS::DBCluster').map(([id]) => id);
    const selections = ofType(data, 'AWS::Backup::BackupSelection');
    expect(selections).toHaveLength(2);
    for (const [, s] of selections) {
      expect(s.Properties.BackupSelection.ListOfTags).toBeUndefined();
      expect(s.Properties.BackupSelection.Conditions).toBeUndefined();
      const targets = JSON.stringify(s.Properties.BackupSelection.Resources);
      expect(clusters.some((c) => targets.includes(c))).toBe(true);
    }
    // The only restored clusters of the template come from scrubbed snapshots (their PITR window starts scrubbed).
    for (const [, c] of ofType(data, 'AWS::RDS::DBCluster')) expect(c.Properties.SnapshotIdentifier).toMatch(/-scrubbed-[0-9a-f]{6}$/);
    // The staging copy is never a template resource (no DeletionPolicy could leave a snapshot of it):
    // the workflow creates it through the RDS API and deletes it with SkipFinalSnapshot and its backups.
    expect(JSON.stringify(data.toJSON())).not.toMatch(/"DBClusterIdentifier":"[^"]*-staging-/);
  });

  test('the workflow: every step before the signal has a catch branch that deletes the staging copy and signals FAILURE', () => {
    const definition = definitionOf(data);
    expect(definition.StartAt).toBe('Restore');
    const states = definition.States;
    const order = [
      'Restore',
      'AwaitCluster',
      'Configure',
      'AwaitConfigured',
      'CreateInstance',
      'AwaitInstance',
      'ScrubBatch',
      'ScrubComplete',
      'Snapshot',
      'AwaitSnapshot',
      'DeleteStaging',
      'AwaitDeleted',
      'SignalSuccess',
      'Scrubbed',
    ];
    for (let i = 0; i < order.length - 1; i++) {
      const s = states[order[i]];
      if (s.Type === 'Choice') continue;
      expect(s.Next).toBe(order[i + 1]);
    }
    expect(states.ScrubComplete.Choices).toEqual([{ Variable: '$.scrub.complete', BooleanEquals: true, Next: 'Snapshot' }]);
    expect(states.ScrubComplete.Default).toBe('ScrubBatch');
    for (const name of order.filter((n) => states[n].Type === 'Task')) {
      expect(states[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Cleanup' }]);
    }
    expect(states.Cleanup.Next).toBe('SignalFailure');
    expect(states.SignalFailure.Next).toBe('Failed');
    expect(states.Failed.Type).toBe('Fail');
    expect(states.AwaitInstance.Retry).toEqual(
      expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['NotReady'], BackoffRate: 1 })]),
    );
    const [, machine] = ofType(data, 'AWS::StepFunctions::StateMachine')[0];
    expect(machine.Properties).toMatchObject({
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
  });

  test('the scrub key and the staging passwords are readable only by the job functions (resource policies), and new per refresh', () => {
    const policies = ofType(data, 'AWS::SecretsManager::ResourcePolicy');
    const policyOf = (secretPrefix: string) =>
      policies.find(([, p]) => JSON.stringify(p.Properties.SecretId).includes(secretPrefix))?.[1].Properties.ResourcePolicy;
    const scrubKey = policyOf('PiiScrubScrubKey');
    expect(scrubKey.Statement).toEqual([
      {
        Sid: 'OnlyTheScrubJobReads',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
        // PiiScrub/Scrub/Role: the scrub function's role (CDK drops the repeated 'Scrub' from the id).
        Condition: {
          ArnNotEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [expect.stringMatching(/^PiiScrubRole[0-9A-F]{8}$/), 'Arn'] }] },
        },
      },
    ]);
    for (const role of ['MainClone', 'TestClone']) {
      const staging = policyOf(`${role}ScrubStagingSecret`);
      const readers = staging.Statement[0].Condition.ArnNotEquals['aws:PrincipalArn'].map((r: any) => r['Fn::GetAtt'][0]);
      expect(readers).toEqual([expect.stringMatching(/^PiiScrubControlRole/), expect.stringMatching(/^PiiScrubRole[0-9A-F]{8}$/)]);
      const [, secret] = one(data, 'AWS::SecretsManager::Secret', `${role}ScrubStagingSecret`);
      expect(JSON.parse(secret.Properties.GenerateSecretString.SecretStringTemplate).run).toMatch(/^[0-9a-f]{6}$/);
    }
    const [, key] = one(data, 'AWS::SecretsManager::Secret', 'PiiScrubScrubKey');
    expect(key.Properties.GenerateSecretString).toMatchObject({ GenerateStringKey: 'key', PasswordLength: 64 });
    expect(JSON.parse(key.Properties.GenerateSecretString.SecretStringTemplate).refresh).toMatch(/^clone-[0-9a-f]{6}-[0-9a-f]{6}$/);
    expect(JSON.stringify(resources(data))).not.toMatch(/"SecretString":/);
  });

  test('scrub evidence lands in a KMS-encrypted, versioned bucket with Object Lock in COMPLIANCE mode', () => {
    const [, bucket] = one(data, 'AWS::S3::Bucket', 'PiiScrubEvidence');
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } },
    });
    // The scrub step writes with the bucket's own key (SSEKMSKeyId), passed in the run.
    for (const [, s] of ofType(data, 'Custom::ClinSparkScrubbedCopy'))
      expect(runOf(s).scrub.evidenceKmsKeyId).toMatch(/^<PiiScrubKey[0-9A-F]{8}\.Arn>$/);
  });

  test('the application refers to the scrub of its own database by literal evidence key, and only to the VAL clusters', () => {
    const evidenceOf = (id: string) => `${id.includes('Main') ? 'main' : 'test'}/`;
    for (const [id, td] of ofType(app, 'AWS::ECS::TaskDefinition')) {
      const env = td.Properties.ContainerDefinitions[0].Environment as Array<{ Name: string; Value: unknown }>;
      const evidence = env.find((e) => e.Name === 'CLINSPARK_SCRUB_EVIDENCE')?.Value as string;
      expect(evidence).toMatch(
        new RegExp(`^${evidenceOf(id)}clinspark-northwind-val-${evidenceOf(id).slice(0, -1)}-scrubbed-[0-9a-f]{6}\\.json$`),
      );
    }
    for (const [id, tg] of ofType(app, 'AWS::ElasticLoadBalancingV2::TargetGroup')) {
      const tag = (tg.Properties.Tags as Array<{ Key: string; Value: unknown }>).find((t) => t.Key === 'clinspark:scrub-evidence');
      expect(String(tag?.Value)).toMatch(new RegExp(`^${evidenceOf(id)}`));
    }
    // The application's secrets are the VAL clusters' application secrets, attached to the VAL clusters only.
    for (const [, a] of ofType(data, 'AWS::SecretsManager::SecretTargetAttachment')) {
      expect(resources(data)[a.Properties.TargetId.Ref].Type).toBe('AWS::RDS::DBCluster');
      expect(resources(data)[a.Properties.TargetId.Ref].Properties.SnapshotIdentifier).toMatch(/-scrubbed-/);
    }
    expect(example.stacks.get('clinspark-northwind-val-app')?.dependencies.map((s) => s.stackName)).toContain(
      'clinspark-northwind-val-data',
    );
  });

  test("the VAL data stack is deployed after its source's data stack (it copies it by name)", () => {
    expect(example.stacks.get('clinspark-northwind-val-data')?.dependencies.map((s) => s.stackName)).toEqual([
      'clinspark-northwind-prod-data',
    ]);
  });

  test('the account function outlives the up-to-10-minute master-password reset it waits for', () => {
    const [, fn] = ofType(data, 'AWS::Lambda::Function').find(([id]) => id.startsWith('AccountFunction')) ?? [];
    expect(fn?.Properties.Timeout).toBe(900);
    for (const [, a] of ofType(data, 'Custom::ClinSparkApplicationAccount'))
      expect(a.Properties).toMatchObject({ ResetMasterPassword: 'true', LockOtherAccounts: 'true' });
  });

  test('no other environment kind has a scrubbed-copy job or restored databases', () => {
    const prod = example.template('clinspark-northwind-prod-data');
    expect(ofType(prod, 'Custom::ClinSparkScrubbedCopy')).toHaveLength(0);
    expect(
      ofType(prod, 'AWS::RDS::DBCluster').every(
        ([, c]) => c.Properties.SourceDBClusterIdentifier === undefined && c.Properties.SnapshotIdentifier === undefined,
      ),
    ).toBe(true);
  });
});

describe('a refresh runs everything again', () => {
  // Before: the fleets as configured, already built above.
  const before = templatesOf([...example.stacks.values()]);
  const after = variant(EXAMPLE_CONFIG, 'northwind', (val) => ({ ...val, refresh: '2027-02-01' }));
  const snapBefore = templatesOf([...snapshots.stacks.values()]);
  const snapAfter = variant(SNAPSHOT_CONFIG, 'acme', (val) => ({
    ...val,
    snapshots: { main: 'clinspark-acme-preprod-main-2026-12-02', test: 'clinspark-acme-preprod-main-2026-12-02' },
  }));

  const mustRunAgain = (a: Map<string, Record<string, any>>, b: Map<string, Record<string, any>>, slug: string) => {
    const da = a.get(`clinspark-${slug}-val-data`)?.Resources as Resources;
    const db = b.get(`clinspark-${slug}-val-data`)?.Resources as Resources;
    const ids = (r: Resources, type: string) =>
      Object.keys(r)
        .filter((id) => r[id].Type === type)
        .sort();
    // The run (handle, starter, wait condition) is new: new logical ids, so CloudFormation creates and starts it.
    for (const type of [
      'AWS::CloudFormation::WaitConditionHandle',
      'Custom::ClinSparkScrubbedCopy',
      'AWS::CloudFormation::WaitCondition',
    ]) {
      expect(ids(da, type)).toHaveLength(2);
      for (const id of ids(db, type)) expect(ids(da, type)).not.toContain(id);
    }
    // The VAL clusters are replaced (new identifier and scrubbed snapshot), under stable logical ids.
    expect(ids(db, 'AWS::RDS::DBCluster')).toEqual(ids(da, 'AWS::RDS::DBCluster'));
    for (const id of ids(da, 'AWS::RDS::DBCluster')) {
      expect(db[id].Properties.DBClusterIdentifier).not.toBe(da[id].Properties.DBClusterIdentifier);
      expect(db[id].Properties.SnapshotIdentifier).not.toBe(da[id].Properties.SnapshotIdentifier);
      expect(db[id].DependsOn?.find((d) => d.includes('ScrubReady'))).not.toBe(da[id].DependsOn?.find((d) => d.includes('ScrubReady')));
    }
    // New staging passwords and a new scrub key (the generated-secret templates change).
    for (const id of ids(da, 'AWS::SecretsManager::Secret').filter((i) => /StagingSecret|ScrubKey/.test(i))) {
      expect(db[id].Properties.GenerateSecretString.SecretStringTemplate).not.toBe(
        da[id].Properties.GenerateSecretString.SecretStringTemplate,
      );
    }
    // The account resources run again on the new clusters (their ClusterIdentifier changes).
    for (const id of ids(da, 'Custom::ClinSparkApplicationAccount'))
      expect(db[id].Properties.ClusterIdentifier).not.toBe(da[id].Properties.ClusterIdentifier);
    // The app template changes: new task definitions (new evidence key), so `cdk diff` shows the refresh and ECS restarts the tasks.
    const aa = a.get(`clinspark-${slug}-val-app`)?.Resources as Resources;
    const ab = b.get(`clinspark-${slug}-val-app`)?.Resources as Resources;
    const tasks = ids(aa, 'AWS::ECS::TaskDefinition');
    expect(tasks).toHaveLength(2);
    for (const id of tasks) expect(JSON.stringify(ab[id].Properties)).not.toBe(JSON.stringify(aa[id].Properties));
    // What holds no copy of the data does not change (network, keys, evidence bucket).
    for (const id of [...ids(da, 'AWS::EC2::VPC'), ...ids(da, 'AWS::KMS::Key'), ...ids(da, 'AWS::S3::Bucket')])
      expect(db[id]).toEqual(da[id]);
  };

  test('clone: a new refresh label', () => {
    const val = example.fleet.customers.find((c) => c.slug === 'northwind')?.environments.val as { refresh?: string } | undefined;
    expect(val?.refresh).toBe('2026-11-20');
    mustRunAgain(before, after, 'northwind');
  });
  test('snapshot: new pinned snapshots', () => mustRunAgain(snapBefore, snapAfter, 'acme'));

  test('copy hashes: the label and the snapshot are part of the identity', () => {
    expect(copyHash({ kind: 'clone', sourceClusterIdentifier: 'x', refresh: 'a' })).not.toBe(
      copyHash({ kind: 'clone', sourceClusterIdentifier: 'x', refresh: 'b' }),
    );
    expect(runHash({ kind: 'snapshot', snapshotIdentifier: 's' }, 'rules: 1')).not.toBe(
      runHash({ kind: 'snapshot', snapshotIdentifier: 's' }, 'rules: 2'),
    );
  });
});

describe('VAL restored from pinned snapshots', () => {
  const data = snapshots.template('clinspark-acme-val-data');

  test(
    'the pinned snapshots go into staging only; the VAL clusters restore from the ' + 'scrubbed ones, without a password in the template',
    () => {
      for (const role of ['Main', 'Test']) {
        const [, starter] = one(data, 'Custom::ClinSparkScrubbedCopy', `${role}CloneScrubStart`);
        expect(runOf(starter).copy).toEqual({ kind: 'snapshot', snapshotIdentifier: 'clinspark-acme-preprod-main-2026-11-18' });
        const [, cluster] = one(data, 'AWS::RDS::DBCluster', `${role}CloneDatabaseCluster`);
        expect(cluster.Properties.SnapshotIdentifier).toBe(runOf(starter).scrubbedSnapshotIdentifier);
        expect(cluster.Properties.MasterUsername).toBeUndefined();
        expect(cluster.Properties.MasterUserPassword).toBeUndefined();
        expect(resources(data)[cluster.Properties.KmsKeyId['Fn::GetAtt'][0]].Type).toBe('AWS::KMS::Key');
      }
      expect(JSON.stringify(data.toJSON())).not.toMatch(/"SnapshotIdentifier":"clinspark-acme-preprod/);
      for (const [, a] of ofType(data, 'Custom::ClinSparkApplicationAccount'))
        expect(a.Properties).toMatchObject({ ResetMasterPassword: 'true', LockOtherAccounts: 'true' });
    },
  );

  test(
    'the restore permission names the pinned snapshots; the source keys are usable ' + "only through RDS and only with the source's tags",
    () => {
      const text = JSON.stringify(ofType(data, 'AWS::IAM::ManagedPolicy').map(([, p]) => p.Properties.PolicyDocument));
      expect(text).toContain('cluster-snapshot:clinspark-acme-preprod-main-2026-11-18');
      expect(text).toContain('"aws:ResourceTag/clinspark:environment":"preprod"');
      expect(text).toContain('"aws:ResourceTag/clinspark:customer":"acme"');
      expect(snapshots.stacks.get('clinspark-acme-val-data')?.dependencies.map((s) => s.stackName)).toEqual([
        'clinspark-acme-preprod-data',
      ]);
    },
  );
});
