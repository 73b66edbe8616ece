/**
 * `npx clinspark iq` on the example fleet synthesised by the real `cdk synth` (compliance report
 * included): every environment of every kind passes every check of the protocol with every
 * stateful resource in the inventory; the PDF's text is the Markdown's; the same input gives
 * byte-identical files; a deployed cluster without deletion protection fails its row and becomes a
 * deviation; bad usage exits 2.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CHECKS } from '../../lib/evidence/iq-checks';
import { loadProtocol } from '../../lib/evidence/iq';
import { STATEFUL_TYPES } from '../../lib/stateful-lock';
import { cleanTemps, cli, markdownCells, pdfText, plantedAssembly, ROOT, squash, tempDir } from './support';

let assembly: string;
const ENVIRONMENTS: [string, string][] = [
  ['acme', 'sandbox'],
  ['acme', 'migration'],
  ['acme', 'preprod'],
  ['northwind', 'prod'],
  ['northwind', 'val'],
  ['platform', 'demo-r2025-4'],
  ['platform', 'demo-r2026-1'],
  ['platform', 'community'],
];
const AT = '2026-12-01T09:00:00Z';

beforeAll(() => {
  assembly = tempDir('assembly');
  const env = {
    ...process.env,
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: 'none',
  };
  const r = spawnSync(
    path.join(ROOT, 'node_modules', '.bin', 'cdk'),
    ['synth', '--no-lookups', '--no-notices', '--quiet', '-o', assembly],
    { cwd: ROOT, env, encoding: 'utf8', timeout: 400_000 },
  );
  if (r.status !== 0) throw new Error(`cdk synth failed: ${r.stderr}`);
}, 420_000);
afterAll(cleanTemps);

const files = (out: string) => ['iq.md', 'iq.html', 'iq.pdf', 'iq.json'].map((f) => path.join(out, f));

/** `clinspark iq` on one environment of an assembly, at the fixed generation time. */
const runIq = (customer: string, environment: string, assemblyDir: string, out: string, ...extra: string[]) =>
  cli([
    'iq',
    '--customer',
    customer,
    '--environment',
    environment,
    '--assembly',
    assemblyDir,
    '--out',
    out,
    '--generated-at',
    AT,
    ...extra,
  ]);

describe('the approved protocol', () => {
  test('is versioned, its ids are unique, and every check has exactly one implementation', () => {
    const protocol = loadProtocol();
    expect(protocol.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(protocol.history.map((h) => h.version)).toContain(protocol.version);
    const ids = protocol.checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(Object.keys(CHECKS).sort());
    for (const c of protocol.checks)
      for (const field of [c.title, c.clause, c.method, c.acceptance]) expect(field).toEqual(expect.any(String));
  });
});

describe('clinspark iq', () => {
  test.each(ENVIRONMENTS)(
    '%s/%s: every check PASS, every stateful resource in the inventory, all sections',
    async (customer, environment) => {
      const out = tempDir('iq');
      const r = await runIq(customer, environment, assembly, out);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      for (const f of files(out)) expect(fs.existsSync(f)).toBe(true);
      const { record } = JSON.parse(fs.readFileSync(path.join(out, 'iq.json'), 'utf8'));
      expect(record.verification.filter((v: { result: string }) => v.result !== 'PASS')).toEqual([]);
      expect(record.deviations).toEqual([]);
      expect(record.verification.some((v: { checkId: string }) => v.checkId === 'IQ-16')).toBe(environment === 'val');
      const inventory = new Set(record.inventory.map((i: { stack: string; logicalId: string }) => `${i.stack}/${i.logicalId}`));
      const manifest = JSON.parse(fs.readFileSync(path.join(assembly, 'manifest.json'), 'utf8'));
      const stacks = Object.keys(manifest.artifacts).filter(
        (s) => manifest.artifacts[s].type === 'aws:cloudformation:stack' && s.startsWith(`clinspark-${customer}-${environment}-`),
      );
      expect(stacks.length).toBeGreaterThanOrEqual(2);
      let stateful = 0;
      for (const s of stacks) {
        const t = JSON.parse(fs.readFileSync(path.join(assembly, `${s}.template.json`), 'utf8'));
        for (const [id, res] of Object.entries(t.Resources as Record<string, { Type: string }>)) {
          if (!(STATEFUL_TYPES as readonly string[]).includes(res.Type)) continue;
          stateful++;
          expect(inventory).toContain(`${s}/${id}`);
        }
      }
      expect(stateful).toBeGreaterThan(5);
      const md = fs.readFileSync(path.join(out, 'iq.md'), 'utf8');
      for (const s of [
        '1. Document control',
        '2. Scope',
        '3. Specification fingerprint',
        '4. Installed components',
        '5. Verification',
        '6. Deviations',
        '7. Architecture',
        '8. Evidence index, signatures and revision history',
      ])
        expect(md).toContain(`## ${s}`);
      expect(md).toContain('None: every check passed.');
      expect(md).toContain(`| Generated (UTC) | ${AT} (--generated-at) |`);
      const html = fs.readFileSync(path.join(out, 'iq.html'), 'utf8');
      expect(html).toMatch(/<figure>\n<svg [^>]*>[\s\S]*Aurora MySQL[\s\S]*<\/svg>/);
    },
    60_000,
  );

  test("the PDF is generated offline and its text is the Markdown's, byte-identical for the same input", async () => {
    const [a, b] = [tempDir('iq'), tempDir('iq')];
    for (const out of [a, b]) expect((await runIq('northwind', 'prod', assembly, out)).code).toBe(0);
    for (const [x, y] of files(a).map((f, i) => [f, files(b)[i]])) expect(fs.readFileSync(x).equals(fs.readFileSync(y))).toBe(true);
    const pdf = fs.readFileSync(path.join(a, 'iq.pdf'));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1')).toContain('(D:20261201090000Z)');
    const text = squash(pdfText(path.join(a, 'iq.pdf')));
    const missing = markdownCells(fs.readFileSync(path.join(a, 'iq.md'), 'utf8')).filter((c) => !text.includes(squash(c)));
    expect(missing).toEqual([]);
    // The architecture drawing is in the PDF as vector graphics with its labels.
    expect(text).toContain(squash('clinspark-northwind-prod-replica'));
    expect(text).toContain('binlogreplication');
  }, 60_000);

  test('a deployed PROD cluster without deletion protection fails its row and becomes a deviation; physical ids are listed', async () => {
    const deployed = tempDir('deployed');
    const clusters: Record<string, unknown>[] = [];
    const resources: Record<string, unknown>[] = [];
    const stacks: Record<string, unknown>[] = [];
    for (const s of ['clinspark-northwind-prod-data', 'clinspark-northwind-prod-app', 'clinspark-northwind-prod-replica']) {
      const t = JSON.parse(fs.readFileSync(path.join(assembly, `${s}.template.json`), 'utf8'));
      stacks.push({
        StackName: s,
        StackId: `arn:aws:cloudformation:eu-west-1:345678901234:stack/${s}/1`,
        EnableTerminationProtection: true,
        Tags: [
          { Key: 'clinspark:customer', Value: 'northwind' },
          { Key: 'clinspark:environment', Value: 'prod' },
          { Key: 'clinspark:change-controlled', Value: 'true' },
        ],
      });
      for (const [id, r] of Object.entries(t.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>)) {
        resources.push({ StackName: s, LogicalResourceId: id, PhysicalResourceId: `physical-${id}`, ResourceType: r.Type });
        if (r.Type !== 'AWS::RDS::DBCluster') continue;
        const name = String(r.Properties.DBClusterIdentifier);
        clusters.push({
          DBClusterIdentifier: name,
          DBClusterArn: `arn:aws:rds:eu-west-1:345678901234:cluster:${name}`,
          StorageEncrypted: true,
          KmsKeyId: 'arn:aws:kms:eu-west-1:345678901234:key/1',
          DeletionProtection: name !== 'clinspark-northwind-prod-main',
          BackupRetentionPeriod: r.Properties.BackupRetentionPeriod,
          EnabledCloudwatchLogsExports: ['audit', 'error', 'slowquery'],
        });
      }
    }
    fs.writeFileSync(path.join(deployed, 'describe-db-clusters.json'), JSON.stringify({ DBClusters: clusters }));
    fs.writeFileSync(path.join(deployed, 'describe-stacks.json'), JSON.stringify({ Stacks: stacks }));
    fs.writeFileSync(path.join(deployed, 'describe-stack-resources.json'), JSON.stringify({ StackResources: resources }));
    const out = tempDir('iq');
    const r = await runIq('northwind', 'prod', assembly, out, '--deployed', deployed);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /FAIL IQ-07 Database deletion protection as the catalog sets it: clinspark-northwind-prod-main deployed: DeletionProtection false/,
    );
    const { record } = JSON.parse(fs.readFileSync(path.join(out, 'iq.json'), 'utf8'));
    expect(record.verification.filter((v: { result: string }) => v.result === 'FAIL').map((v: { checkId: string }) => v.checkId)).toEqual([
      'IQ-07',
    ]);
    expect(record.deviations).toEqual([
      expect.objectContaining({ checkId: 'IQ-07', id: expect.stringMatching(/^IQ-northwind-prod-[0-9a-f]{12}-DEV-01$/) }),
    ]);
    expect(record.inventory.find((i: { type: string }) => i.type === 'AWS::RDS::DBCluster').physicalId).toMatch(/^physical-/);
    const md = fs.readFileSync(path.join(out, 'iq.md'), 'utf8');
    expect(md).toMatch(/\| IQ-07 Database deletion protection as the catalog sets it \|.*\| FAIL \|/);
    expect(md).toMatch(
      /## 6\. Deviations\n\n\| Deviation \| Check \| Description \| Disposition \(filled in\) \|\n\|---\|---\|---\|---\|\n\| IQ-northwind-prod-\w+-DEV-01 \| IQ-07 \|/,
    );
    expect(md).toContain('deployed/describe-db-clusters.json');
  }, 60_000);

  test.each([
    ['10.0.0.0/0', /open to 10\.0\.0\.0\/0/],
    ['10.0.0.0/7', /ingress from 10\.0\.0\.0\/7, which is not a configured range/],
    // Private, but outside the environment's VPC (10.40.0.0/16): not internal.
    ['10.99.0.0/16', /ingress from 10\.99\.0\.0\/16, which is not a configured range/],
    ['203.0.113.0/24', /ingress from 203\.0\.113\.0\/24, which is not a configured range/],
  ])(
    'a planted MySQL ingress rule from %s fails IQ-06 (every-address blocks and the VPC range parsed, not matched as text)',
    async (cidr, reason) => {
      const planted = plantedAssembly(assembly, (stack, t) => {
        if (stack !== 'clinspark-northwind-prod-data') return false;
        t.Resources.PlantedIngress = {
          Type: 'AWS::EC2::SecurityGroupIngress',
          Properties: { GroupId: 'sg-0123456789abcdef0', IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, CidrIp: cidr },
        };
        return true;
      });
      const out = tempDir('iq');
      const r = await runIq('northwind', 'prod', planted, out);
      expect(r.code).toBe(0);
      const { record } = JSON.parse(fs.readFileSync(path.join(out, 'iq.json'), 'utf8'));
      const row = record.verification.find((v: { checkId: string }) => v.checkId === 'IQ-06');
      expect(row.result).toBe('FAIL');
      expect(JSON.stringify(row)).toMatch(reason);
      expect(record.verification.filter((v: { result: string }) => v.result === 'FAIL').map((v: { checkId: string }) => v.checkId)).toEqual(
        ['IQ-06'],
      );
    },
  );

  test('bad usage exits 2, bad input 1, with a message and no stack trace', async () => {
    const out = tempDir('iq');
    const malformed = tempDir('deployed');
    fs.writeFileSync(
      path.join(malformed, 'describe-stacks.json'),
      JSON.stringify({ Stacks: [{ StackName: 'a' }, { StackName: 'b', Tags: [{ Key: 'k', Value: 7 }] }] }),
    );
    const cases: [string[], number, RegExp][] = [
      [['iq', '--environment', 'prod', '--out', out], 2, /--customer is required/],
      [['iq', '--customer', 'northwind', '--out', out], 2, /--environment is required/],
      [['iq', '--customer', 'northwind', '--environment', 'prod'], 2, /--out is required/],
      [['iq', '--customer', 'northwind', '--environment', 'prod', '--out', out, '--generated-at', 'yesterday'], 2, /not an ISO 8601 time/],
      [
        ['iq', '--customer', 'nobody', '--environment', 'prod', '--out', out, '--assembly', assembly],
        1,
        /no customer 'nobody'.*known: acme, northwind, platform/,
      ],
      [
        ['iq', '--customer', 'acme', '--environment', 'prod', '--out', out, '--assembly', assembly],
        1,
        /acme has no environment 'prod'; it has: sandbox, migration, preprod/,
      ],
      [
        ['iq', '--customer', 'platform', '--environment', 'demo', '--out', out, '--assembly', assembly],
        1,
        /platform has 2 demo environments \(demo-r2025-4, demo-r2026-1\)/,
      ],
      [['iq', '--customer', 'northwind', '--environment', 'prod', '--out', out, '--assembly', out], 1, /has no manifest.json/],
      [
        [
          'iq',
          '--customer',
          'northwind',
          '--environment',
          'prod',
          '--out',
          out,
          '--assembly',
          assembly,
          '--deployed',
          path.join(out, 'nope'),
        ],
        1,
        /is not a directory/,
      ],
      [
        ['iq', '--customer', 'northwind', '--environment', 'prod', '--out', out, '--assembly', assembly, '--deployed', malformed],
        1,
        /--deployed .*describe-stacks\.json: Stacks\[1\]\.Tags\[0\]\.Value: .*give the unedited JSON output/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli(args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), code]);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/^\s+at /m);
    }
    const help = await cli(['iq', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/iq-protocol.yaml/);
  });
});
