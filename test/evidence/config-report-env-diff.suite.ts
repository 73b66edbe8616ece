/**
 * `npx clinspark config-report` and `npx clinspark env-diff` on the example fleet: every resolved
 * setting with its source, the catalog column, a PDF whose text is the Markdown's; an environment
 * compared with itself is equivalent (exit 0), VAL against PROD shows the release (exit 3), and
 * what names an environment (slug, account, zones, stack-derived ids) never shows as a difference.
 */
import * as fs from 'fs';
import * as path from 'path';
import { assemblyOf, cleanTemps, cli, markdownCells, pdfText, squash, tempDir } from './support';

let assembly: string;
const AT = '2026-12-01T09:00:00Z';

beforeAll(() => {
  assembly = assemblyOf();
}, 240_000);
afterAll(cleanTemps);

describe('clinspark config-report', () => {
  test('northwind/prod: release, sizing, windows, SSO, ingress, replica and catalog policy, each value with its source', async () => {
    const out = tempDir('cfg');
    const r = await cli(['config-report', '--customer', 'northwind', '--environment', 'prod', '--out', out, '--generated-at', AT]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const md = fs.readFileSync(path.join(out, 'config-report.md'), 'utf8');
    expect(md).toContain('| version | 2025.4.0 | owner default: customers/northwind.yaml release |');
    expect(md).toContain(
      '| maintenance window (UTC) | sun:02:00-sun:03:00 | override: customers/northwind.yaml environments.prod.maintenanceWindow |',
    );
    expect(md).toContain('| task CPU units | 2048 | catalog: lib/catalog.ts (PROD) |');
    expect(md).toContain('| database | db.r7g.large writer + 1 reader(s) | catalog: lib/catalog.ts (PROD) |');
    expect(md).toContain(
      '| SSO issuer | https://login.northwind.example/oauth2/default | override: customers/northwind.yaml environments.prod.sso.issuer |',
    );
    expect(md).toContain('| client ranges (ingress) | the internet (behind WAF) | default: none |');
    expect(md).toContain(
      '| jump host AMI | ami-0a1b2c3d4e5f60718 | override: customers/northwind.yaml environments.prod.readReplica.jumpHostAmi |',
    );
    expect(md).toContain('| deletion protection | yes |');
    expect(md).toContain('| log retention | 6 y |');
    for (const f of ['config-report.html', 'config-report.pdf', 'config-report.json']) expect(fs.existsSync(path.join(out, f))).toBe(true);
    const text = squash(pdfText(path.join(out, 'config-report.pdf')));
    expect(markdownCells(md).filter((c) => !text.includes(squash(c)))).toEqual([]);
    const again = tempDir('cfg');
    expect(
      (await cli(['config-report', '--customer', 'northwind', '--environment', 'prod', '--out', again, '--generated-at', AT])).code,
    ).toBe(0);
    for (const f of ['config-report.md', 'config-report.html', 'config-report.pdf', 'config-report.json'])
      expect(fs.readFileSync(path.join(again, f)).equals(fs.readFileSync(path.join(out, f)))).toBe(true);
  });

  test('northwind/val names its source and scrub rules; platform Demo by name', async () => {
    const out = tempDir('cfg');
    expect((await cli(['config-report', '--customer', 'northwind', '--environment', 'val', '--out', out])).code).toBe(0);
    const md = fs.readFileSync(path.join(out, 'config-report.md'), 'utf8');
    expect(md).toContain('| source environment | prod | override: customers/northwind.yaml environments.val.source |');
    expect(md).toContain('| scrub rules | scrub/volunteers.rules.yaml |');
    expect(md).toContain('| version | 2026.1.0 | override: customers/northwind.yaml environments.val.release |');
    const demo = tempDir('cfg');
    expect((await cli(['config-report', '--customer', 'platform', '--environment', 'demo-r2026-1', '--out', demo])).code).toBe(0);
    expect(fs.readFileSync(path.join(demo, 'config-report.md'), 'utf8')).toContain(
      '| version | 2026.1.0 | override: platform.yaml demos[1].release |',
    );
  });

  test('bad usage exits 2, an unknown environment 1', async () => {
    const out = tempDir('cfg');
    for (const [args, code, message] of [
      [['config-report', '--environment', 'prod', '--out', out], 2, /--customer is required/],
      [['config-report', '--customer', 'acme', '--environment', 'prod', '--out', out], 1, /acme has no environment 'prod'/],
      [['config-report', '--customer', 'acme', '--environment', 'preprod', '--out', out, 'extra'], 2, /unexpected argument 'extra'/],
    ] as [string[], number, RegExp][]) {
      const r = await cli(args);
      expect(r.code).toBe(code);
      expect(r.err).toMatch(message);
    }
  });
});

describe('clinspark env-diff', () => {
  test('an environment compared with itself is equivalent: exit 0, nothing listed', async () => {
    const out = tempDir('diff');
    const r = await cli(['env-diff', 'northwind/prod', 'northwind/prod', '--assembly', assembly, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/northwind\/prod and northwind\/prod are equivalent/);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'env-diff.json'), 'utf8'))).toMatchObject({ equivalent: true, rows: [] });
  });

  test('VAL against PROD shows the release side by side: exit 3', async () => {
    const out = tempDir('diff');
    const r = await cli(['env-diff', 'northwind/val', 'northwind/prod', '--assembly', assembly, '--out', out]);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^Release: version +\| 2026\.1\.0 +\| 2025\.4\.0$/m);
    expect(r.out).toMatch(/^Release: image tag +\| 2026\.1\.0-b2410 +\| 2025\.4\.0-b2231$/m);
    const md = fs.readFileSync(path.join(out, 'env-diff.md'), 'utf8');
    expect(md).toContain('| Release: version | 2026.1.0 | 2025.4.0 |');
    expect(md).toContain('| Identity: kind | val | prod |');
  });

  test(
    'names, accounts, zones and stack-derived ids are normalised: two Demos differ ' + 'in their release (and its ledger entry) only',
    async () => {
      const out = tempDir('diff');
      const r = await cli(['env-diff', 'platform/demo-r2025-4', 'platform/demo-r2026-1', '--assembly', assembly, '--out', out]);
      expect(r.code).toBe(3);
      const d = JSON.parse(fs.readFileSync(path.join(out, 'env-diff.json'), 'utf8'));
      expect(d.rows.map((x: { item: string }) => x.item)).toEqual([
        'Release: version',
        'Release: build',
        'Release: image tag',
        // The release ledger's entry (date, notes) is the release's own.
        'Release: ledger entry',
        expect.stringMatching(/^app\/MainTask\w+ ContainerDefinitions$/),
      ]);
      const cross = await cli(['env-diff', 'acme/preprod', 'northwind/prod', '--assembly', assembly]);
      expect(cross.code).toBe(3);
      // Below the header (which names both environments), nothing that only names them is left.
      expect(cross.out.split('\n').slice(3).join('\n')).not.toMatch(
        /345678901234|210987654321|eu-west-1[abc]|us-east-1[ab]|clinspark-(acme|northwind)-|northwind\.clinspark\.cloud/,
      );
    },
  );

  test('bad usage exits 2, an unknown environment 1', async () => {
    for (const [args, code, message] of [
      [['env-diff', 'northwind/prod'], 2, /give two environments/],
      [['env-diff', 'northwind', 'northwind/prod'], 2, /'northwind' is not <slug>\/<kind>/],
      [['env-diff', 'northwind/prod', 'nobody/prod', '--assembly', assembly], 1, /no customer 'nobody'/],
    ] as [string[], number, RegExp][]) {
      const r = await cli(args);
      expect(r.code).toBe(code);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/^\s+at /m);
    }
    expect((await cli(['env-diff', '--help'])).out).toMatch(/0 equivalent, 3 different/);
  });
});
