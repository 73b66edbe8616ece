/**
 * Synthesis benchmark (`npm run bench [-- 1 10 50]`): generates fleets of N customers, each with
 * a full lifecycle (Sandbox, Migration, Pre-PROD, PROD with a read replica, VAL), and synthesises
 * each through the CDK app exactly as `cdk synth` runs it (compliance gate and built-in validator
 * included), reporting wall time, stacks, resources, largest template and peak memory; then, in the
 * same run and on the same machine, the bare-CDK floor of the same templates (scripts/bench-floor.ts:
 * CfnInclude, validator on, no construct logic) and the ratio to it, and the sharded synthesis
 * (`npm run synth:sharded`, one process per core). Not a test: numbers go to the README.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const SIZES = sizes.length > 0 ? sizes : [1, 10, 50];
const RULES = fs.readFileSync(path.join(root, 'config', 'scrub', 'volunteers.rules.yaml'), 'utf8');

function customerYaml(i: number): string {
  const slug = `cust${String(i).padStart(3, '0')}`;
  const account = String(200000000000 + i);
  const region = ['us-east-1', 'eu-west-1', 'eu-central-1'][i % 3];
  const uuid = `${String(i).padStart(8, '0')}-1111-4222-8333-444455556666`;
  return `slug: ${slug}
displayName: Benchmark customer ${i}
aws:
  account: "${account}"
  region: ${region}
  availabilityZones: [${region}a, ${region}b, ${region}c]
release: { version: "2025.4.0", build: 2231, digest: "sha256:${'ab'.repeat(32)}" }
image: { repository: 123456789012.dkr.ecr.${region}.amazonaws.com/clinspark/app }
dns:
  zoneId: Z0BENCH${String(i).padStart(13, '0')}
  zoneName: ${slug}.clinspark.cloud
  certificateArn: arn:aws:acm:${region}:${account}:certificate/${uuid}
environments:
  sandbox: {}
  migration: { ingress: { allowedCidrs: [198.51.100.0/24] } }
  preprod: { ingress: { allowedCidrs: [198.51.100.0/24] } }
  prod:
    ingress: { allowedCidrs: [198.51.100.0/24] }
    readReplica:
      allowedCidrs: [198.51.100.0/24]
      jumpHostAmi: ami-0a1b2c3d4e5f60718
      sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK7Jr0f3hZ9y2mQ8sWc4xTnVb1LpE6dGaRkYu0oHiN5t bench"]
      credentials: { recipientArn: "arn:aws:iam::${account}:user/bi.owner", issueDate: "2026-11-16" }
  val:
    source: prod
    scrubRules: scrub/volunteers.rules.yaml
`;
}

interface Row {
  customers: number;
  stacks: number;
  resources: number;
  largestResources: number;
  largestKb: number;
  seconds: number;
  peakMb: number;
  floorSeconds: number;
  shardedSeconds: number;
}

function timed(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed:\n${r.stderr.slice(-3000)}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function run(n: number): Row {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `clinspark-bench-${n}-`));
  fs.mkdirSync(path.join(dir, 'customers'));
  fs.mkdirSync(path.join(dir, 'scrub'));
  fs.writeFileSync(path.join(dir, 'scrub', 'volunteers.rules.yaml'), RULES);
  for (let i = 1; i <= n; i++) fs.writeFileSync(path.join(dir, 'customers', `cust${String(i).padStart(3, '0')}.yaml`), customerYaml(i));
  const outdir = path.join(dir, 'cdk.out');
  const rssFile = path.join(dir, 'rss');
  const start = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    [
      '--max-old-space-size=12288',
      '-r',
      'ts-node/register',
      '-r',
      path.join(__dirname, 'support', 'report-rss.js'),
      path.join(root, 'bin', 'clinspark.ts'),
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({
          ...(JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context,
          config: dir,
        }),
        CLINSPARK_RSS_FILE: rssFile,
      },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`synth of ${n} customers failed:\n${r.stderr.slice(-3000)}`);
  const templates = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
  let resources = 0;
  let largestResources = 0;
  let largestBytes = 0;
  for (const t of templates) {
    const text = fs.readFileSync(path.join(outdir, t), 'utf8');
    const count = Object.keys((JSON.parse(text) as { Resources: object }).Resources).length;
    resources += count;
    largestResources = Math.max(largestResources, count);
    largestBytes = Math.max(largestBytes, Buffer.byteLength(text));
  }
  const peakMb = Math.round(Number(fs.readFileSync(rssFile, 'utf8')) / 1024);
  const floorSeconds = timed(
    ['--max-old-space-size=12288', '-r', 'ts-node/register', path.join(__dirname, 'bench-floor.ts'), outdir, path.join(dir, 'floor.out')],
    {},
  );
  const jobs = String(Math.max(1, os.cpus().length));
  const shardedSeconds = timed(
    [
      '-r',
      'ts-node/register',
      path.join(__dirname, 'synth-sharded.ts'),
      '--jobs',
      jobs,
      '--config',
      dir,
      '--out',
      path.join(dir, 'sharded.out'),
    ],
    {},
  );
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    customers: n,
    stacks: templates.length,
    resources,
    largestResources,
    largestKb: Math.round(largestBytes / 1024),
    seconds,
    peakMb,
    floorSeconds,
    shardedSeconds,
  };
}

const rows: Row[] = [];
for (const n of SIZES) {
  process.stderr.write(`bench: synthesising ${n} customer(s)...\n`);
  rows.push(run(n));
}
const cores = Math.max(1, os.cpus().length);
const lines = [
  `| customers | stacks | resources | largest template (resources / KB) | synth wall time | per customer | peak memory | bare-CDK floor | ratio to floor | sharded (${cores} jobs) |`,
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.customers} | ${r.stacks} | ${r.resources} | ${r.largestResources} / ${r.largestKb} | ${r.seconds.toFixed(1)} s | ${(r.seconds / r.customers).toFixed(2)} s | ${r.peakMb} MB | ` +
      `${r.floorSeconds.toFixed(1)} s | ${(r.seconds / r.floorSeconds).toFixed(1)}x | ${r.shardedSeconds.toFixed(1)} s |`,
  ),
];
if (rows.length > 1) {
  const [a, b] = [rows[rows.length - 2], rows[rows.length - 1]];
  lines.push(
    '',
    `Marginal cost per extra customer between ${a.customers} and ${b.customers}: ${((b.seconds - a.seconds) / (b.customers - a.customers)).toFixed(2)} s, ${((b.peakMb - a.peakMb) / (b.customers - a.customers)).toFixed(0)} MB.`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
