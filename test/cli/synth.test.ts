/**
 * The documented entry points through the real CDK CLI, offline (--no-lookups, no credentials):
 * a broken fleet writes nothing and prints every problem without a stack trace; -c customer=<slug>
 * synthesises that customer's stacks only, and writes the compliance report.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CDK_BIN, OFFLINE_CDK_ENV } from '../support/cdk-cli';

const root = path.join(__dirname, '..', '..');
const cdk = CDK_BIN;
const env = OFFLINE_CDK_ENV;

function synth(args: string[]): { status: number | null; stdout: string; stderr: string; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-synth-'));
  const r = spawnSync(cdk, ['synth', '--no-lookups', '--no-notices', '--quiet', '-o', outdir, ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, outdir };
}

describe('cdk synth', () => {
  test('a fleet with configuration errors exits non-zero, lists every problem, writes no template', () => {
    const r = synth(['-c', `config=${path.join(root, 'test', 'fixtures', 'validation', 'collected', 'many-problems-in-many-files')}`]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/has 6 problem\(s\); nothing was synthesised/);
    expect(r.stderr).toMatch(/customers\/acme\.yaml: environments\.val\.source: 'prod' is not an environment of this customer/);
    expect(r.stderr).not.toMatch(/^\s+at .*\.(ts|js):\d+/m);
    expect(fs.readdirSync(r.outdir).filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });

  test('-c customer=<slug> synthesises that customer only, passes the compliance gate and writes the reviewer report', () => {
    const r = synth(['-c', 'customer=acme']);
    expect(r.stderr).not.toMatch(/compliance gate failed/);
    expect(r.status).toBe(0);
    const templates = fs
      .readdirSync(r.outdir)
      .filter((f) => f.endsWith('.template.json'))
      .sort();
    expect(templates).toEqual([
      'clinspark-acme-migration-app.template.json',
      'clinspark-acme-migration-data.template.json',
      'clinspark-acme-preprod-app.template.json',
      'clinspark-acme-preprod-data.template.json',
      'clinspark-acme-sandbox-app.template.json',
      'clinspark-acme-sandbox-data.template.json',
    ]);
    // The vendor's on-call subscriptions (platform.yaml) are on the customer's alarm topic in a
    // synth of that customer alone too: deploying it must not unsubscribe the vendor.
    for (const kind of ['sandbox', 'migration', 'preprod']) {
      const data = JSON.parse(fs.readFileSync(path.join(r.outdir, `clinspark-acme-${kind}-data.template.json`), 'utf8'));
      const endpoints = Object.values(data.Resources as Record<string, { Type: string; Properties: { Endpoint?: string } }>)
        .filter((res) => res.Type === 'AWS::SNS::Subscription')
        .map((res) => res.Properties.Endpoint);
      expect(endpoints).toEqual(expect.arrayContaining(['clinspark-oncall@vendor.example']));
    }
    // No creation stack traces (bin/clinspark.ts; `cdk synth --debug` records them): none in the assembly's metadata.
    const metadata = fs.readdirSync(r.outdir).filter((f) => f.endsWith('.metadata.json') || f === 'manifest.json');
    expect(metadata).toContain('manifest.json');
    for (const f of metadata)
      expect([f, fs.readFileSync(path.join(r.outdir, f), 'utf8').includes('aws:cdk:creationStack')]).toEqual([f, false]);
    const report = JSON.parse(fs.readFileSync(path.join(r.outdir, 'compliance', 'nag-report.json'), 'utf8'));
    expect(report.passed).toBe(true);
    expect(fs.readFileSync(path.join(r.outdir, 'compliance', 'nag-report.md'), 'utf8')).toMatch(/^# Compliance report/);
  });

  test('an unknown customer is refused with the list of known ones', () => {
    const r = synth(['-c', 'customer=nobody']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/customer=nobody: no such customer .* known: acme, northwind, platform/);
  });
});
