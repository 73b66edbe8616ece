/**
 * VAL environments: each database is a clone (or snapshot restore) of its source, encrypted
 * with VAL's own key and given VAL's own credentials; the PII scrub runs on each before anything
 * of the application exists; the evidence goes to an encrypted, object-locked bucket.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { copyHash } from '../../constructs/val-clone/val-clone';
import { buildTestFleet } from '../support/fleet';

const root = path.join(__dirname, '..', '..');
const example = buildTestFleet({ customers: ['northwind'], platform: false });
const snapshots = buildTestFleet({ configDir: path.join(root, 'test', 'fixtures', 'fleets', 'val-snapshot') });

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: string[]; DeletionPolicy?: string }>;
const resources = (t: Template) => t.toJSON().Resources as Resources;
const ofType = (t: Template, type: string) => Object.entries(resources(t)).filter(([, r]) => r.Type === type);

describe('VAL cloned from PROD (example fleet)', () => {
  const data = example.template('clinspark-northwind-val-data');
  const app = example.template('clinspark-northwind-val-app');

  test('each VAL database is a copy-on-write clone of the same PROD instance, encrypted with its own VAL key', () => {
    const clusters = ofType(data, 'AWS::RDS::DBCluster');
    expect(clusters).toHaveLength(2);
    const byRole = Object.fromEntries(clusters.map(([id, r]) => [id.startsWith('MainClone') ? 'main' : 'test', r]));
    expect(byRole.main.Properties).toMatchObject({ SourceDBClusterIdentifier: 'clinspark-northwind-prod-main', RestoreType: 'copy-on-write', UseLatestRestorableTime: true });
    expect(byRole.test.Properties).toMatchObject({ SourceDBClusterIdentifier: 'clinspark-northwind-prod-test', RestoreType: 'copy-on-write', UseLatestRestorableTime: true });
    for (const [, c] of clusters) {
      const keyId = c.Properties.KmsKeyId['Fn::GetAtt'][0] as string;
      expect(resources(data)[keyId].Type).toBe('AWS::KMS::Key');
      expect(c.Properties.MasterUsername).toBeUndefined();
      expect(c.Properties.MasterUserPassword).toBeUndefined();
      expect(c.DeletionPolicy).toBe('Snapshot');
      expect(c.Properties.DBClusterIdentifier).toMatch(/^clinspark-northwind-val-(main|test)-[0-9a-f]{6}$/);
    }
  });

  test('VAL gets its own credentials: master password reset, application account with VAL\'s secret, every source account locked', () => {
    const accounts = ofType(data, 'Custom::ClinSparkApplicationAccount');
    expect(accounts).toHaveLength(2);
    for (const [, a] of accounts) {
      expect(a.Properties).toMatchObject({ ResetMasterPassword: 'true', LockOtherAccounts: 'true' });
      expect(JSON.stringify(a.Properties.MasterSecretArn)).toMatch(/CloneDatabaseMasterSecret/);
    }
    // Nothing in the VAL stacks refers to a PROD secret or key.
    for (const t of [data, app]) expect(JSON.stringify(t.toJSON())).not.toMatch(/northwind-prod-data|ProdData/);
  });

  test('the scrub runs on each database after its accounts are reset, with the configured rules and a key of its own', () => {
    const scrubs = ofType(data, 'Custom::ClinSparkPiiScrub');
    expect(scrubs).toHaveLength(2);
    const rules = fs.readFileSync(path.join(root, 'config', 'scrub', 'volunteers.rules.yaml'), 'utf8');
    for (const [id, s] of scrubs) {
      const role = id.includes('MainClone') ? 'Main' : 'Test';
      expect(s.Properties.RulesYaml).toBe(rules);
      expect(s.DependsOn).toEqual([expect.stringMatching(new RegExp(`^${role}CloneDatabaseApplicationAccount`))]);
      expect(JSON.stringify(s.Properties.DatabaseSecretArn)).toMatch(new RegExp(`${role}CloneDatabaseMasterSecret`));
      expect(JSON.stringify(s.Properties.KeySecretArn)).toMatch(/PiiScrubScrubKey/);
    }
    const key = ofType(data, 'AWS::SecretsManager::Secret').find(([id]) => id.startsWith('PiiScrubScrubKey'))?.[1];
    expect(key?.Properties.GenerateSecretString).toMatchObject({ GenerateStringKey: 'key', PasswordLength: 64 });
    expect(JSON.parse(key?.Properties.GenerateSecretString.SecretStringTemplate).refresh).toMatch(/^clone-[0-9a-f]{6}-[0-9a-f]{6}$/);
    expect(JSON.stringify(resources(data))).not.toMatch(/"SecretString":/);
  });

  test('scrub evidence lands in a KMS-encrypted, versioned, object-locked bucket', () => {
    const bucket = ofType(data, 'AWS::S3::Bucket').find(([id]) => id.startsWith('PiiScrubEvidence'))?.[1];
    expect(bucket?.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }] },
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } } },
    });
  });

  test('the ECS services, target groups and routes depend on the scrub of their own database', () => {
    const evidenceOf = (value: unknown) => JSON.stringify(value).match(/PiiScrub(Main|Test)CloneScrub/)?.[1];
    for (const [id, td] of ofType(app, 'AWS::ECS::TaskDefinition')) {
      const env = td.Properties.ContainerDefinitions[0].Environment as Array<{ Name: string; Value: unknown }>;
      const evidence = env.find((e) => e.Name === 'CLINSPARK_SCRUB_EVIDENCE');
      expect(evidenceOf(evidence?.Value)).toBe(id.includes('Main') ? 'Main' : 'Test');
    }
    for (const [id, tg] of ofType(app, 'AWS::ElasticLoadBalancingV2::TargetGroup')) {
      const tag = (tg.Properties.Tags as Array<{ Key: string; Value: unknown }>).find((t) => t.Key === 'clinspark:scrub-evidence');
      expect(evidenceOf(tag?.Value)).toBe(id.includes('Main') ? 'Main' : 'Test');
    }
    for (const [, rule] of ofType(app, 'AWS::ElasticLoadBalancingV2::ListenerRule')) {
      expect(rule.DependsOn?.some((d) => d.includes('Targets'))).toBe(true);
    }
    expect(example.stacks.get('clinspark-northwind-val-app')?.dependencies.map((s) => s.stackName)).toContain('clinspark-northwind-val-data');
  });

  test('no other environment kind has a scrub job or restored databases', () => {
    const prod = example.template('clinspark-northwind-prod-data');
    expect(ofType(prod, 'Custom::ClinSparkPiiScrub')).toHaveLength(0);
    expect(ofType(prod, 'AWS::RDS::DBCluster').every(([, c]) => c.Properties.SourceDBClusterIdentifier === undefined)).toBe(true);
  });
});

describe('VAL restored from pinned snapshots', () => {
  const data = snapshots.template('clinspark-acme-val-data');

  test('each database is restored from its pinned snapshot with VAL\'s key; the master password comes from VAL\'s secret', () => {
    const clusters = ofType(data, 'AWS::RDS::DBCluster');
    expect(clusters.map(([, c]) => c.Properties.SnapshotIdentifier)).toEqual(['clinspark-acme-preprod-main-2026-11-18', 'clinspark-acme-preprod-main-2026-11-18']);
    for (const [, c] of clusters) {
      expect(resources(data)[c.Properties.KmsKeyId['Fn::GetAtt'][0]].Type).toBe('AWS::KMS::Key');
      expect(JSON.stringify(c.Properties.MasterUserPassword)).toMatch(/resolve:secretsmanager/);
    }
    for (const [, a] of ofType(data, 'Custom::ClinSparkApplicationAccount')) expect(a.Properties).toMatchObject({ ResetMasterPassword: 'false', LockOtherAccounts: 'true' });
  });

  test('a new snapshot identifier is a refresh: same logical id, new cluster identifier (CloudFormation replaces the cluster)', () => {
    const a = copyHash({ kind: 'snapshot', snapshotIdentifier: 'clinspark-acme-preprod-main-2026-11-18' });
    const b = copyHash({ kind: 'snapshot', snapshotIdentifier: 'clinspark-acme-preprod-main-2026-12-02' });
    expect(a).not.toBe(b);
    const [id, cluster] = ofType(data, 'AWS::RDS::DBCluster')[0];
    expect(id).toMatch(/^MainCloneDatabaseCluster/);
    expect(cluster.Properties.DBClusterIdentifier).toBe(`clinspark-acme-val-main-${a}`);
  });
});
