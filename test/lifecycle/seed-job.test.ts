/**
 * The seed job in the data stack: one `Custom::ClinSparkSeed` per database of a seeded
 * environment (Sandbox: the catalog's 200 volunteers, the owner's slug as seed, the bundled
 * schema; or what the configuration says), run from the application subnets with MySQL access to
 * its databases, after each database's application account; no seed anywhere else.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildTestFleet } from '../support/fleet';

const ROOT = path.join(__dirname, '..', '..');
const BUNDLED = fs.readFileSync(path.join(ROOT, 'constructs', 'lifecycle', 'seed', 'schema.sql'), 'utf8');
const CUSTOM_DIR = path.join(ROOT, 'test', 'fixtures', 'fleets', 'seed-custom');
const sha = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

const example = buildTestFleet({ customers: ['acme'], platform: false });
const custom = buildTestFleet({ configDir: CUSTOM_DIR });

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };
const seeds = (t: Template) => Object.entries(t.findResources('Custom::ClinSparkSeed')) as Array<[string, Resource]>;

describe('seed job in the data stack', () => {
  test('example Sandbox: every database seeded with 200 volunteers, the owner slug as seed, the bundled schema', () => {
    const t = example.template('clinspark-acme-sandbox-data');
    const found = seeds(t);
    expect(found.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['MainDatabaseSeed', 'TestDatabaseSeed']);
    for (const [, r] of found) {
      expect(r.Properties).toMatchObject({
        Seed: 'acme',
        Volunteers: '200',
        Schema: BUNDLED,
        SchemaSha256: sha(BUNDLED),
        DatabaseName: 'clinspark',
      });
    }
  });

  test('each seed runs after its database application account and reads that database master secret', () => {
    const t = example.template('clinspark-acme-sandbox-data');
    const resources = t.toJSON().Resources as Record<string, Resource>;
    for (const [, r] of seeds(t)) {
      const cluster = (r.Properties.ClusterIdentifier as { Ref: string }).Ref;
      expect(resources[cluster].Type).toBe('AWS::RDS::DBCluster');
      const prefix = cluster.startsWith('Main') ? 'MainDatabase' : 'TestDatabase';
      expect(r.DependsOn).toEqual(expect.arrayContaining([cluster, expect.stringMatching(new RegExp(`^${prefix}ApplicationAccount`))]));
      const secretRef = (r.Properties.MasterSecretArn as { Ref: string }).Ref;
      expect(secretRef.startsWith(`${prefix}MasterSecret`)).toBe(true);
    }
  });

  test('the seed function runs in the application subnets and reaches the databases on 3306 only', () => {
    const t = example.template('clinspark-acme-sandbox-data');
    const resources = t.toJSON().Resources as Record<string, Resource>;
    const [fnId, fn] = Object.entries(resources).find(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('SeedJobFunction'),
    ) as [string, Resource];
    const account = Object.values(resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).includes('application database accounts'),
    ) as Resource;
    expect((fn.Properties.VpcConfig as { SubnetIds: unknown }).SubnetIds).toEqual(
      (account.Properties.VpcConfig as { SubnetIds: unknown }).SubnetIds,
    );
    const sg = (fn.Properties.VpcConfig as { SecurityGroupIds: Array<{ 'Fn::GetAtt': [string] }> }).SecurityGroupIds[0]['Fn::GetAtt'][0];
    const ingress = Object.values(resources).filter(
      (r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && JSON.stringify(r.Properties.SourceSecurityGroupId).includes(sg),
    );
    expect(ingress).toHaveLength(2);
    for (const r of ingress) expect(r.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306 });
    expect(fnId).toMatch(/^SeedJobFunction/);
  });

  test('no seed in environments that are not seeded', () => {
    for (const stack of ['clinspark-acme-migration-data', 'clinspark-acme-preprod-data'])
      expect(seeds(example.template(stack))).toEqual([]);
  });

  test('a seed schema of the fleet own, with its count and seed', () => {
    const schema = fs.readFileSync(path.join(CUSTOM_DIR, 'seed', 'schema.sql'), 'utf8');
    const found = seeds(custom.template('clinspark-acme-sandbox-data'));
    expect(found).toHaveLength(2);
    for (const [, r] of found)
      expect(r.Properties).toMatchObject({ Seed: 'acme-demo', Volunteers: '50', Schema: schema, SchemaSha256: sha(schema) });
  });

  test.each([
    ['too many volunteers', { volunteers: 20_001 }, /'volunteers' is 20001; give a whole number between 0 and 20000/],
    ['an empty seed', { seed: ' ' }, /'seed' is empty/],
    ['a schema over 128 KiB', { schemaSql: 'x'.repeat(128 * 1024 + 1) }, /'schemaSql' is 131073 bytes, more than 131072/],
  ])('the construct refuses %s', (_name, override, message) => {
    const env = custom.environments[0];
    const job = env.data.seedJob;
    expect(job).toBeDefined();
    expect(() =>
      job?.seed(env.data.instances[0].database, 'Another', { seed: 's', volunteers: 1, schemaSql: 'SELECT 1;', ...override }),
    ).toThrow(message);
  });
});
