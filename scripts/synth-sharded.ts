/**
 * Sharded synthesis for CI: `npm run synth:sharded -- [--jobs N] [--config <dir>] [--out <dir>]`.
 *
 * Splits the fleet's owners (customers, and `platform` when platform.yaml exists) into N groups
 * of about equal size (by number of environments) and runs the CDK app once per group, N at a
 * time, exactly as `cdk synth -c customer=<a,b,...>` runs it: configuration validation,
 * compliance gate, built-in template validator and stateful lock included. Each group writes a
 * cloud assembly of its own under `<out>/shard-<k>/` (templates, compliance report), so a fleet
 * uses every core of the machine. Exit 0 when every group synthesised, 1 otherwise (each failing
 * group's output is printed).
 *
 * For fleets beyond one machine, CI fans out the same way across jobs: one job per customer with
 * `npx cdk synth -c customer=<slug>` (see README, "Stacks: naming, synth, diff, deploy").
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigValidationError, issueLines, loadFleet } from '../lib/config';
import { PLATFORM_OWNER } from '../lib/config/model';

const root = path.join(__dirname, '..');

interface Options {
  jobs: number;
  configDir: string;
  outDir: string;
}

function usage(message: string): never {
  process.stderr.write(`synth-sharded: ${message}\nusage: npm run synth:sharded -- [--jobs N] [--config <dir>] [--out <dir>]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    jobs: Math.max(1, os.cpus().length),
    configDir: path.join(root, 'config'),
    outDir: path.join(root, 'cdk.out.sharded'),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(
        'npm run synth:sharded -- [--jobs N] [--config <dir>] [--out <dir>]\n  ' +
          'Synthesises the fleet in N parallel groups of owners (default: one per CPU ' +
          'core).\n',
      );
      process.exit(0);
    }
    if (value === undefined) usage(`${flag} needs a value`);
    if (flag === '--jobs') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 64) usage(`--jobs must be a whole number from 1 to 64 (got '${value}')`);
      options.jobs = n;
    } else if (flag === '--config') options.configDir = path.resolve(value);
    else if (flag === '--out') options.outDir = path.resolve(value);
    else usage(`unknown option '${flag}'`);
    i++;
  }
  return options;
}

/** Owners into `jobs` groups, the largest first onto the lightest group (by environment count). */
export function shardOwners(owners: ReadonlyArray<{ name: string; weight: number }>, jobs: number): string[][] {
  const groups = Array.from({ length: Math.min(jobs, owners.length) }, () => ({ names: [] as string[], weight: 0 }));
  for (const owner of [...owners].sort((a, b) => b.weight - a.weight || a.name.localeCompare(b.name))) {
    const lightest = groups.reduce((a, b) => (b.weight < a.weight ? b : a));
    lightest.names.push(owner.name);
    lightest.weight += owner.weight;
  }
  return groups.map((g) => g.names.sort());
}

function runGroup(names: string[], index: number, options: Options): Promise<{ ok: boolean; output: string; seconds: number }> {
  const outdir = path.join(options.outDir, `shard-${index + 1}`);
  fs.rmSync(outdir, { recursive: true, force: true });
  const context = {
    ...(JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context,
    config: options.configDir,
    customer: names.join(','),
  };
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register', path.join(root, 'bin', 'clinspark.ts')], {
      cwd: root,
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ ok: code === 0, output, seconds: (Date.now() - started) / 1000 }));
  });
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  let fleet;
  try {
    fleet = loadFleet(options.configDir);
  } catch (e) {
    if (!(e instanceof ConfigValidationError)) throw e;
    process.stderr.write(
      `synth-sharded: configuration in ${options.configDir} has ${e.issues.length} ` +
        `problem(s); nothing was synthesised:\n${issueLines(e.issues).join('\n')}\n`,
    );
    return 1;
  }
  const owners = [
    ...fleet.customers.map((c) => ({ name: c.slug, weight: Object.keys(c.environments ?? {}).length })),
    ...(fleet.platform ? [{ name: PLATFORM_OWNER, weight: 1 + (fleet.platform.demos?.length ?? 0) }] : []),
  ];
  const groups = shardOwners(owners, options.jobs);
  process.stderr.write(
    `synth-sharded: ${owners.length} owners in ${groups.length} group(s) -> ` +
      `${path.relative(process.cwd(), options.outDir) || '.'}/shard-<k>/\n`,
  );
  const queue = groups.map((names, i) => ({ names, i }));
  const results: Array<{ names: string[]; ok: boolean; output: string; seconds: number }> = [];
  await Promise.all(
    Array.from({ length: Math.min(options.jobs, groups.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift())
        results[next.i] = { names: next.names, ...(await runGroup(next.names, next.i, options)) };
    }),
  );
  for (const [i, r] of results.entries()) {
    process.stderr.write(`synth-sharded: shard-${i + 1} (${r.names.join(', ')}): ${r.ok ? 'ok' : 'FAILED'} in ${r.seconds.toFixed(1)} s\n`);
    if (!r.ok) process.stderr.write(r.output);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
