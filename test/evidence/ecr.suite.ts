/**
 * `npx clinspark ecr` and the fleet gate: a planted PROD database replacement and a planted IAM
 * broadening are blocking (exit 3), a release bump is not (exit 0); custom resources are of unknown
 * impact, never "no change"; a change set's RequiresRecreation wins over the template diff; the
 * records are deterministic; bad usage exits 2 with a message.
 */
import * as fs from 'fs';
import * as path from 'path';
import { baselineGateProblems, writeBaseline } from '../../lib/evidence/gate';
import { canonicalJson, sha256 } from '../../lib/evidence/canonical';
import { assemblyOf, cleanTemps, cli, fleetWith, plantedAssembly, tempDir } from './support';

let baseline: string;

beforeAll(() => {
  baseline = assemblyOf({ customers: ['northwind'], platform: false });
}, 120_000);
afterAll(cleanTemps);

const readRecord = (out: string, env: string) => JSON.parse(fs.readFileSync(path.join(out, env, 'ecr.json'), 'utf8'));

function prodDataCluster(t: {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}): [string, { Type: string; Properties?: Record<string, unknown> }] {
  const entry = Object.entries(t.Resources).find(([, r]) => r.Type === 'AWS::RDS::DBCluster');
  if (!entry) throw new Error('no cluster');
  return entry;
}

describe('clinspark ecr', () => {
  test('a planted PROD database replacement is blocking: exit 3, the cluster named with construct path, property and impact', async () => {
    const candidate = plantedAssembly(baseline, (stack, t) => {
      if (stack !== 'clinspark-northwind-prod-data') return false;
      const [, cluster] = prodDataCluster(t);
      cluster.Properties!.DBClusterIdentifier = `${String(cluster.Properties!.DBClusterIdentifier)}-new`;
      return true;
    });
    const out = tempDir('ecr');
    const r = await cli(['ecr', '--baseline', baseline, '--assembly', candidate, '--out', out]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(
      /\[stateful-replacement\] clinspark-northwind-prod-data\/MainDatabaseCluster\w+ \(AWS::RDS::DBCluster\) is replaced \(DBClusterIdentifier\)/,
    );
    const { record, recordSha256 } = readRecord(out, 'northwind/prod');
    expect(recordSha256).toBe(sha256(canonicalJson(record)));
    const row = record.resources.find((x: { type: string }) => x.type === 'AWS::RDS::DBCluster');
    expect(row).toMatchObject({
      change: 'replaced',
      stateful: true,
      constructPath: 'clinspark-northwind-prod-data/MainDatabase/Cluster/Resource',
    });
    expect(row.properties).toContainEqual(
      expect.objectContaining({
        property: 'DBClusterIdentifier',
        impact: 'replacement',
        before: 'clinspark-northwind-prod-main',
        after: 'clinspark-northwind-prod-main-new',
      }),
    );
    const md = fs.readFileSync(path.join(out, 'northwind', 'prod', 'ecr.md'), 'utf8');
    for (const section of [
      '1. Change reference',
      '2. Blocking findings',
      '3. Fingerprints',
      '5. Resources',
      '6. IAM changes',
      '7. Security-group changes',
      '8. Changes of unknown impact',
      '10. Rollback reference',
      '11. Signatures',
    ])
      expect(md).toContain(`## ${section}`);
    expect(md).toContain('| Account / region | 345678901234 / eu-west-1 |');
    expect(md).toContain(`Record SHA-256: ${recordSha256}`);
    for (const role of ['Prepared by', 'Reviewed by', 'Approved by']) expect(md).toContain(`| ${role} | |`);
    expect(md).toMatch(
      /aws rds create-db-cluster-snapshot --region eu-west-1 --db-cluster-identifier clinspark-northwind-prod-main --db-cluster-snapshot-identifier clinspark-northwind-prod-main-pre-[0-9a-f]{12}/,
    );
    expect(fs.readFileSync(path.join(out, 'northwind', 'prod', 'ecr.html'), 'utf8')).toContain(recordSha256);
    // Only the changed environment gets a record.
    expect(fs.existsSync(path.join(out, 'northwind', 'val'))).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8')).unchanged).toEqual(['northwind/val']);
  });

  test('a renamed stateful logical id and a moved database instance (locked create-only property) are blocking', async () => {
    const candidate = plantedAssembly(baseline, (stack, t) => {
      if (stack !== 'clinspark-northwind-prod-data') return false;
      const [id, key] = Object.entries(t.Resources).find(([, r]) => r.Type === 'AWS::Logs::LogGroup')!;
      delete t.Resources[id];
      t.Resources[`${id}Renamed`] = key;
      const instance = Object.values(t.Resources).find((r) => r.Type === 'AWS::RDS::DBInstance')!;
      instance.Properties!.AvailabilityZone = 'eu-west-1c';
      return true;
    });
    const out = tempDir('ecr');
    const r = await cli(['ecr', '--baseline', baseline, '--assembly', candidate, '--out', out, '--customer', 'northwind']);
    expect(r.code).toBe(3);
    const rules = readRecord(out, 'northwind/prod').record.blocking.map((f: { rule: string }) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['stateful-removal', 'locked-create-only-property']));
    expect(r.err).toMatch(/AvailabilityZone changes from eu-west-1\w to eu-west-1c; this create-only property \(stateful lock\)/);
  });

  test('a planted IAM broadening and an added security-group ingress rule in PROD are blocking', async () => {
    const candidate = plantedAssembly(baseline, (stack, t) => {
      if (stack !== 'clinspark-northwind-prod-app') return false;
      const policy = Object.values(t.Resources).find((r) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')!;
      const doc = policy.Properties!.PolicyDocument as { Statement: unknown[] };
      doc.Statement.push({ Effect: 'Allow', Action: 's3:*', Resource: '*' });
      const sg = Object.entries(t.Resources).find(([, r]) => r.Type === 'AWS::EC2::SecurityGroup')!;
      t.Resources.PlantedIngress = {
        Type: 'AWS::EC2::SecurityGroupIngress',
        Properties: {
          GroupId: { 'Fn::GetAtt': [sg[0], 'GroupId'] },
          IpProtocol: 'tcp',
          FromPort: 8443,
          ToPort: 8443,
          CidrIp: '203.0.113.0/24',
        },
      };
      return true;
    });
    const out = tempDir('ecr');
    const r = await cli(['ecr', '--baseline', baseline, '--assembly', candidate, '--out', out]);
    expect(r.code).toBe(3);
    const { record } = readRecord(out, 'northwind/prod');
    expect(record.iam).toContainEqual(
      expect.objectContaining({ change: 'added', effect: 'Allow', action: 's3:*', resource: '*', broadening: true }),
    );
    expect(record.securityGroups).toContainEqual(
      expect.objectContaining({ change: 'added', direction: 'ingress', peer: '203.0.113.0/24', broadening: true }),
    );
    expect(record.blocking.map((f: { rule: string }) => f.rule)).toEqual(
      expect.arrayContaining(['iam-broadening', 'security-group-broadening']),
    );
    expect(fs.readFileSync(path.join(out, 'northwind', 'prod', 'ecr.md'), 'utf8')).toContain('BROADENING');
  });

  test('a release bump of PROD is not blocking: the task definitions change, nothing stateful, no broadening', async () => {
    const bumped = fleetWith('northwind', (doc) => {
      doc.setIn(['release', 'version'], '2025.4.1');
      doc.setIn(['release', 'build'], 2290);
      doc.setIn(['release', 'digest'], `sha256:${'ab'.repeat(32)}`);
    });
    // The release ledger must know the hotfix build, and PROD may run it only once Northwind's VAL validated it.
    fs.appendFileSync(
      path.join(bumped, 'releases.yaml'),
      '      - { release: "2025.4.1-b2290", val: { start: "2025-11-10", end: "2025-11-14" }, reference: VSR-NW-2025.4.1 }\n',
    );
    const ledger = fs.readFileSync(path.join(bumped, 'releases.yaml'), 'utf8');
    fs.writeFileSync(
      path.join(bumped, 'releases.yaml'),
      ledger.replace(
        'customers:\n',
        `  - { version: "2025.4.1", build: 2290, date: "2025-11-03", notes: RN-2025.4.1, ` +
          `digest: "sha256:${'ab'.repeat(32)}" }\ncustomers:\n`,
      ),
    );
    const candidate = assemblyOf({ configDir: bumped, customers: ['northwind'], platform: false });
    const out = tempDir('ecr');
    const r = await cli(['ecr', '--baseline', baseline, '--assembly', candidate, '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const { record } = readRecord(out, 'northwind/prod');
    expect(record.blocking).toEqual([]);
    expect(record.resources.map((x: { type: string }) => x.type)).toContain('AWS::ECS::TaskDefinition');
    expect(record.resources.filter((x: { stateful: boolean; change: string }) => x.stateful && x.change !== 'modified')).toEqual([]);
    expect(JSON.stringify(record.resources)).toContain('2025.4.1-b2290');
  }, 120_000);

  test('a changed custom resource is of unknown impact, never "no change"', async () => {
    const candidate = plantedAssembly(baseline, (stack, t) => {
      if (stack !== 'clinspark-northwind-prod-data') return false;
      const custom = Object.values(t.Resources).find((r) => r.Type.startsWith('Custom::'))!;
      custom.Properties!.PlantedSetting = 'changed';
      return true;
    });
    const out = tempDir('ecr');
    const r = await cli(['ecr', '--baseline', baseline, '--assembly', candidate, '--out', out]);
    expect(r.code).toBe(0);
    const { record } = readRecord(out, 'northwind/prod');
    const row = record.resources.find((x: { type: string }) => x.type.startsWith('Custom::'));
    expect(row.change).toBe('modified');
    expect(row.unknownImpact).toMatch(/custom resource/);
    expect(row.properties[0].impact).toMatch(/^unknown \(custom resource/);
    expect(fs.readFileSync(path.join(out, 'northwind', 'prod', 'ecr.md'), 'utf8')).toMatch(
      /## 8\. Changes of unknown impact\n\nThe template diff cannot rate these changes; they are not "no change"/,
    );
  });

  test("a change set's RequiresRecreation wins over the template diff", async () => {
    let clusterId = '';
    const candidate = plantedAssembly(baseline, (stack, t) => {
      if (stack !== 'clinspark-northwind-prod-data') return false;
      const [id, cluster] = prodDataCluster(t);
      clusterId = id;
      cluster.Properties!.BackupRetentionPeriod = 34;
      return true;
    });
    const withoutChangeSet = tempDir('ecr');
    expect((await cli(['ecr', '--baseline', baseline, '--assembly', candidate, '--out', withoutChangeSet])).code).toBe(0);
    const changeSet = path.join(tempDir('cs'), 'cs.json');
    fs.writeFileSync(
      changeSet,
      JSON.stringify({
        StackName: 'clinspark-northwind-prod-data',
        Changes: [
          {
            Type: 'Resource',
            ResourceChange: {
              Action: 'Modify',
              LogicalResourceId: clusterId,
              ResourceType: 'AWS::RDS::DBCluster',
              Replacement: 'True',
              Details: [
                {
                  Target: { Attribute: 'Properties', Name: 'BackupRetentionPeriod', RequiresRecreation: 'Always' },
                  Evaluation: 'Static',
                  ChangeSource: 'DirectModification',
                },
              ],
            },
          },
        ],
      }),
    );
    const out = tempDir('ecr');
    const r = await cli([
      'ecr',
      '--baseline',
      baseline,
      '--assembly',
      candidate,
      '--out',
      out,
      '--change-set',
      `clinspark-northwind-prod-data=${changeSet}`,
    ]);
    expect(r.code).toBe(3);
    const { record } = readRecord(out, 'northwind/prod');
    expect(record.resources.find((x: { logicalId: string }) => x.logicalId === clusterId)).toMatchObject({
      change: 'replaced',
      impactSource: 'change set',
    });
    expect(record.changeSets).toEqual([expect.objectContaining({ stack: 'clinspark-northwind-prod-data' })]);
  });

  test('the same input gives byte-identical records', async () => {
    const candidate = plantedAssembly(baseline, (stack, t) => {
      if (stack !== 'clinspark-northwind-val-app') return false;
      t.Resources.Extra = { Type: 'AWS::SNS::Topic', Properties: {} };
      return true;
    });
    const [a, b] = [tempDir('ecr'), tempDir('ecr')];
    expect((await cli(['ecr', '--baseline', baseline, '--assembly', candidate, '--out', a])).code).toBe(0);
    expect((await cli(['ecr', '--baseline', baseline, '--assembly', candidate, '--out', b])).code).toBe(0);
    for (const f of ['ecr.md', 'ecr.html', 'ecr.json'])
      expect(fs.readFileSync(path.join(a, 'northwind', 'val', f))).toEqual(fs.readFileSync(path.join(b, 'northwind', 'val', f)));
  });

  test('usage errors exit 2 and input errors exit 1, with a message and no stack trace', async () => {
    const out = tempDir('ecr');
    const cases: [string[], number, RegExp][] = [
      [['ecr', '--out', out], 2, /--baseline is required/],
      [['ecr', '--baseline', baseline], 2, /--out is required/],
      [['ecr', '--baseline', baseline, '--out', out, '--change-set', 'nonsense'], 2, /give <stack>=<describe-change-set.json>/],
      [['ecr', '--baseline', baseline, '--out', out, '--bogus'], 2, /Unknown option '--bogus'/],
      [['ecr', '--baseline', baseline, '--assembly', baseline, '--out', out], 2, /same directory/],
      [['ecr', '--baseline', path.join(out, 'missing'), '--assembly', baseline, '--out', out], 1, /is not a directory/],
      [['ecr', '--baseline', baseline, '--assembly', baseline + '/', '--out', out, '--customer', 'nobody'], 2, /same directory/],
      [['ecr', '--baseline', out, '--assembly', baseline, '--out', out], 1, /has no manifest.json/],
      [
        [
          'ecr',
          '--baseline',
          baseline,
          '--assembly',
          assemblyOf({ customers: ['northwind'], platform: false }) + '/.',
          '--out',
          out,
          '--change-set',
          `clinspark-nobody-prod-data=${__filename}`,
        ],
        2,
        /same directory/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli(args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), code]);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/^\s+at /m);
    }
    const other = plantedAssembly(baseline, (stack, t) => {
      if (stack !== 'clinspark-northwind-val-app') return false;
      t.Resources.Extra = { Type: 'AWS::SNS::Topic', Properties: {} };
      return true;
    });
    const missingStack = await cli([
      'ecr',
      '--baseline',
      baseline,
      '--assembly',
      other,
      '--out',
      out,
      '--change-set',
      `clinspark-nobody-prod-data=${__filename}`,
    ]);
    expect(missingStack.code).toBe(1);
    expect(missingStack.err).toMatch(/no stack clinspark-nobody-prod-data in the candidate assembly/);
    const notJson = await cli([
      'ecr',
      '--baseline',
      baseline,
      '--assembly',
      other,
      '--out',
      out,
      '--change-set',
      `clinspark-northwind-val-app=${__filename}`,
    ]);
    expect(notJson.code).toBe(1);
    expect(notJson.err).toMatch(/not JSON/);
    const help = await cli(['ecr', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/3 blocking findings/);
  });
});

describe('the fleet gate (npm run gate)', () => {
  test('a baseline written from the approved assembly passes it unchanged and refuses the planted replacement', async () => {
    const baselineDir = path.join(tempDir('baseline'), 'baseline', 'fleet');
    expect((await cli(['baseline', '--assembly', baseline, '--out', baselineDir])).code).toBe(0);
    expect(fs.readdirSync(baselineDir).filter((f) => f.endsWith('.template.json')).length).toBe(5);
    const same = await cli(['ecr', '--baseline', baselineDir, '--assembly', baseline, '--out', tempDir('gate')]);
    expect(same.code).toBe(0);
    expect(same.out).toMatch(/unchanged: northwind\/prod, northwind\/val/);
    const planted = plantedAssembly(baseline, (stack, t) => {
      if (stack !== 'clinspark-northwind-prod-data') return false;
      const [id, cluster] = prodDataCluster(t);
      delete t.Resources[id];
      t.Resources[`${id}V2`] = cluster;
      return true;
    });
    const refused = await cli(['ecr', '--baseline', baselineDir, '--assembly', planted, '--out', tempDir('gate')]);
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(
      /\[stateful-removal\] clinspark-northwind-prod-data\/MainDatabaseCluster\w+ \(AWS::RDS::DBCluster\) is orphaned/,
    );
    // The synth-time hook finds the same, by the fleet's conventional baseline directory.
    const root = path.dirname(path.dirname(baselineDir));
    const fleetDir = path.join(root, 'fleet');
    fs.mkdirSync(fleetDir);
    const { baselineDirFor } = await import('../../lib/evidence/gate');
    expect(baselineDirFor(fleetDir, root)).toBe(baselineDir);
    writeBaseline(baseline, baselineDirFor(path.join(root, 'fleet'), root));
    expect(baselineGateProblems(planted, path.join(tempDir('nofleet'), 'x'))).toEqual([]);
  });
});
