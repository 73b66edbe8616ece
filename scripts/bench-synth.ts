/**
 * Synthesis benchmark (`npm run bench [-- example 1 10 50] [--no-sharded]`): for the example fleet
 * (`example`: config/) and for generated fleets of N customers, each with a full lifecycle
 * (Sandbox, Migration, Pre-PROD, PROD with a read replica, VAL), runs `npx cdk synth --no-lookups
 * --quiet -c config=<dir>` through the project's CDK CLI (every gate on: cdk-nag packs, project
 * rules, CDK's built-in template validator with `validateAgainstDefaultRules`, stateful lock), and
 * reports wall time, stacks, resources, largest template and peak memory (the largest process:
 * the CDK app); then, in the same run and on the same machine, the bare-CDK floor of the same
 * templates (scripts/bench-floor.ts: CfnInclude, validator on, no construct logic), the ratio to
 * it, the same floor without the validator (CDK resolving and writing the templates, nothing
 * else) and the ratio to that, and the sharded synthesis (`npm run synth:sharded`, one process
 * per core). The memory growth per customer is given between consecutive sizes and as a
 * least-squares line over every size.
 * Not a test: numbers go to the README.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');
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
  fleet: string;
  customers: number;
  stacks: number;
  resources: number;
  largestResources: number;
  largestKb: number;
  seconds: number;
  peakMb: number;
  floorSeconds: number;
  /** The same floor without CDK's template validator: CDK resolving and writing the templates. */
  bareFloorSeconds: number;
  shardedSeconds?: number;
}

const CDK_CLI = path.join(root, 'node_modules', 'aws-cdk', 'bin', 'cdk');
const OFFLINE_ENV: NodeJS.ProcessEnv = {
  CDK_DISABLE_VERSION_CHECK: '1',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_PROFILE: 'none',
};

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

/** A fleet directory of n generated customers. */
function generatedFleet(n: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `clinspark-bench-${n}-`));
  fs.mkdirSync(path.join(dir, 'customers'));
  fs.mkdirSync(path.join(dir, 'scrub'));
  fs.writeFileSync(path.join(dir, 'scrub', 'volunteers.rules.yaml'), RULES);
  for (let i = 1; i <= n; i++) fs.writeFileSync(path.join(dir, 'customers', `cust${String(i).padStart(3, '0')}.yaml`), customerYaml(i));
  return dir;
}

function run(fleet: string, configDir: string, customers: number, work: string, sharded: boolean): Row {
  const outdir = path.join(work, 'cdk.out');
  const rssFile = path.join(work, 'rss');
  // Every node process of the synth (the CLI and the app it runs) appends its peak resident memory.
  const seconds = timed([CDK_CLI, 'synth', '--no-lookups', '--quiet', '--no-notices', '-c', `config=${configDir}`, '-o', outdir], {
    ...OFFLINE_ENV,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require=${path.join(__dirname, 'support', 'report-rss.js')}`].filter(Boolean).join(' '),
    CLINSPARK_RSS_FILE: rssFile,
  });
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
  const peakKb = Math.max(
    ...fs
      .readFileSync(rssFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(Number),
  );
  const floor = (...extra: string[]) =>
    timed(['-r', 'ts-node/register', path.join(__dirname, 'bench-floor.ts'), outdir, path.join(work, 'floor.out'), ...extra], {});
  const floorSeconds = floor();
  fs.rmSync(path.join(work, 'floor.out'), { recursive: true, force: true });
  const bareFloorSeconds = floor('--without-validation');
  const jobs = String(Math.max(1, os.cpus().length));
  const shardedSeconds = sharded
    ? timed(
        [
          '-r',
          'ts-node/register',
          path.join(__dirname, 'synth-sharded.ts'),
          '--jobs',
          jobs,
          '--config',
          configDir,
          '--out',
          path.join(work, 'sharded.out'),
        ],
        {},
      )
    : undefined;
  return {
    fleet,
    customers,
    stacks: templates.length,
    resources,
    largestResources,
    largestKb: Math.round(largestBytes / 1024),
    seconds,
    peakMb: Math.round(peakKb / 1024),
    floorSeconds,
    bareFloorSeconds,
    shardedSeconds,
  };
}

const args = process.argv.slice(2);
const sharded = !args.includes('--no-sharded');
const wanted = args.filter((a) => a === 'example' || Number(a) > 0);
const SIZES = wanted.length > 0 ? wanted : ['example', '1', '10', '50'];
const rows: Row[] = [];
for (const size of SIZES) {
  process.stderr.write(`bench: synthesising ${size === 'example' ? 'the example fleet (config/)' : `${size} customer(s)`}...\n`);
  if (size === 'example') {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-bench-example-'));
    const customers = fs.readdirSync(path.join(root, 'config', 'customers')).filter((f) => f.endsWith('.yaml')).length;
    rows.push(run('example (config/)', path.join(root, 'config'), customers, work, sharded));
    fs.rmSync(work, { recursive: true, force: true });
  } else {
    const n = Number(size);
    const dir = generatedFleet(n);
    rows.push(run(`${n} customer${n === 1 ? '' : 's'}`, dir, n, dir, sharded));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const cores = Math.max(1, os.cpus().length);
const lines = [
  `| fleet | stacks | resources | largest template (resources / KB) | \`cdk ` +
    `synth\` | per customer | peak memory | bare-CDK floor | ratio to floor | floor ` +
    `without validator | ratio to it |${sharded ? ` sharded (${cores} jobs) |` : ''}`,
  `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|${sharded ? '---:|' : ''}`,
  ...rows.map(
    (r) =>
      `| ${r.fleet} | ${r.stacks} | ${r.resources} | ${r.largestResources} / ` +
      `${r.largestKb} | ${r.seconds.toFixed(1)} s | ` +
      `${(r.seconds / r.customers).toFixed(2)} s | ${r.peakMb} MB | ` +
      `${r.floorSeconds.toFixed(1)} s | ${(r.seconds / r.floorSeconds).toFixed(1)}x | ` +
      `${r.bareFloorSeconds.toFixed(1)} s | ` +
      `${(r.seconds / r.bareFloorSeconds).toFixed(1)}x ` +
      `|${r.shardedSeconds !== undefined ? ` ${r.shardedSeconds.toFixed(1)} s |` : ''}`,
  ),
];
// Growth per customer over the generated fleets (same customer shape): consecutive sizes, and the
// least-squares line over all of them with its R² (1.0 = exactly linear).
const generated = rows.filter((r) => !r.fleet.startsWith('example'));
if (generated.length > 1) {
  lines.push('');
  for (let i = 1; i < generated.length; i++) {
    const [a, b] = [generated[i - 1], generated[i]];
    const dn = b.customers - a.customers;
    lines.push(
      `From ${a.customers} to ${b.customers} customers: ` +
        `${((b.seconds - a.seconds) / dn).toFixed(2)} s and ` +
        `${((b.peakMb - a.peakMb) / dn).toFixed(1)} MB per extra customer.`,
    );
  }
  const fit = (ys: number[]) => {
    const xs = generated.map((r) => r.customers);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sxy = xs.reduce((acc, x, i) => acc + (x - mx) * (ys[i] - my), 0);
    const sxx = xs.reduce((acc, x) => acc + (x - mx) ** 2, 0);
    const slope = sxy / sxx;
    const ssTot = ys.reduce((acc, y) => acc + (y - my) ** 2, 0);
    const ssRes = ys.reduce((acc, y, i) => acc + (y - (my + slope * (xs[i] - mx))) ** 2, 0);
    return { slope, intercept: my - slope * mx, r2: ssTot === 0 ? 1 : 1 - ssRes / ssTot };
  };
  const mem = fit(generated.map((r) => r.peakMb));
  const time = fit(generated.map((r) => r.seconds));
  lines.push(
    `Least-squares over ${generated.map((r) => r.customers).join(', ')} customers: ` +
      `peak memory ${mem.intercept.toFixed(0)} MB + ${mem.slope.toFixed(1)} MB per ` +
      `customer (R² ${mem.r2.toFixed(3)}); ` +
      `time ${time.intercept.toFixed(1)} s + ${time.slope.toFixed(2)} s per customer (R² ${time.r2.toFixed(3)}).`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
