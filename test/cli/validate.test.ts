/**
 * `npx clinspark validate`: every problem printed as <file>: <path>: <problem>, exit codes, help;
 * and every kind of bad input (issue 9) refused by both entry points, `clinspark validate` and
 * `cdk synth`, with one line per problem, no stack trace and nothing written.
 */
import { execFile, execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AppRun, CDK_BIN, OFFLINE_CDK_ENV, runAppBatch } from '../support/cdk-cli';
import { parse } from 'yaml';
import { main } from '../../lib/cli/main';

const root = path.join(__dirname, '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'validation');

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return main(args, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) }).then((code) => ({ code, out, err }));
}

describe('clinspark validate', () => {
  test('a valid fleet exits 0 and lists its environments and stacks', async () => {
    const r = await run(['validate', '--config', path.join(root, 'config')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid: 2 customer\(s\), platform, 8 environment\(s\)/);
    expect(r.out).toMatch(/northwind\/val\s+VAL\s+2026\.1\.0-b2410\s+clinspark-northwind-val-data, clinspark-northwind-val-app/);
  });

  test('an invalid fleet exits 1 and prints every problem with file, path and line', async () => {
    const r = await run(['validate', '--config', path.join(fixtures, 'collected', 'many-problems-in-many-files')]);
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toMatch(/6 problems found/);
    expect(errorLines(lines.slice(1))).toHaveLength(6);
    for (const line of errorLines(lines.slice(1)))
      expect(line).toMatch(/^(customers\/acme\.yaml|platform\.yaml): [\w.[\]]+: .+ \(line \d+\)$/);
  });

  test('usage errors exit 2 and point at --help', async () => {
    expect((await run(['validate', '--bogus'])).code).toBe(2);
    expect((await run(['nosuchcommand'])).err).toMatch(/unknown command 'nosuchcommand'/);
  });

  test('--help documents every option of every command', async () => {
    const { commands } = await import('../../lib/cli/commands');
    for (const command of commands) {
      const r = await run([command.name, '--help']);
      expect(r.code).toBe(0);
      for (const option of Object.keys(command.options)) expect(r.out).toContain(`--${option}`);
    }
  });

  test('the installed bin runs without a stack trace on bad input (as `npx clinspark` does)', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(root, 'bin', 'clinspark-cli.js'), 'validate', '--config', path.join(fixtures, 'cidr', 'open-to-internet')],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /customers\/acme\.yaml: environments\.prod\.ingress\.allowedCidrs\[0\]: '0\.0\.0\.0\/0' opens access to the whole internet/,
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(execFileSync(process.execPath, [path.join(root, 'bin', 'clinspark-cli.js'), '--help'], { encoding: 'utf8' })).toMatch(
      /Commands:/,
    );
  });
});

/** The bad-input fixtures of issue 9, each refused by both entry points. */
const BAD_INPUTS = [
  'ssh-keys/truncated',
  'ssh-keys/truncated-not-base64',
  'ssh-keys/wrong-body-length',
  'ssh-keys/ecdsa-point-wrong-length',
  'ssh-keys/type-not-matching-body',
  'ssh-keys/rsa-2048',
  'ssh-keys/same-key-twice',
  'azs/zone-not-in-region',
  'azs/ca-central-1c',
  'azs/prod-on-two-zones',
  'azs/prod-in-two-zone-region',
  'azs/more-zones-than-region',
  'azs/region-without-zone-table',
  'files/yaml-syntax-error',
  'files/yaml-bad-indentation',
  'files/duplicate-key',
  'files/duplicate-nested-key',
  'files/alias-bomb',
  'files/customer-file-is-directory',
  'files/customers-is-a-file',
  'files/not-utf8',
  'files/yml-beside-yaml',
  'files/platform-yml-beside-yaml',
  'files/uppercase-extension',
  'val-copy/rules-is-directory',
  'val-copy/rules-symlink-outside',
  'val-copy/rules-not-utf8',
  'val-copy/rules-alias-bomb',
  'dns/shared-zone-id',
  'dns/zone-id-shared-with-platform',
];

interface Expected {
  errors: Array<{ file: string; path: string; message: string; line?: number }>;
}

function expectedOf(name: string): Expected {
  return parse(fs.readFileSync(path.join(fixtures, name, 'expected.yaml'), 'utf8')) as Expected;
}

/** A printed problem line: `<file>: <path>: <problem> (line N)`, the line part when known. */
const PROBLEM_LINE =
  /^(customers\/[\w.-]+|customers|platform\.ya?ml|releases\.yaml|scrub\/[\w./-]+|seed\/[\w./-]+): ((\(file\))|[\w$]+(\.[\w$]+|\[\d+\])*): .+?( \(line \d+\))?$/;

/**
 * The error lines of printed output: warnings (`warning: <problem line>`, e.g. a fleet without a
 * release ledger) are checked for their form and set aside, since fixtures list errors.
 */
function errorLines(lines: readonly string[]): string[] {
  const warnings = lines.filter((l) => l.startsWith('warning: '));
  for (const w of warnings) expect(w.slice('warning: '.length)).toMatch(PROBLEM_LINE);
  return lines.filter((l) => !l.startsWith('warning: '));
}

/** Checks printed problem lines against a fixture's expected.yaml: the same problems, no more. */
function expectProblems(name: string, lines: string[]): void {
  const expected = expectedOf(name);
  expect(lines).toHaveLength(expected.errors.length);
  const unmatched = [...lines];
  for (const want of expected.errors) {
    const prefix = `${want.file}: ${want.path}: `;
    const index = unmatched.findIndex((l) => {
      if (!l.startsWith(prefix)) return false;
      const m = /^(.*?)(?: \(line (\d+)\))?$/.exec(l.slice(prefix.length))!;
      return new RegExp(want.message).test(m[1]) && (want.line === undefined || Number(m[2]) === want.line);
    });
    if (index < 0) throw new Error(`${name}: expected ${prefix}/${want.message}/ in:\n${lines.join('\n')}`);
    unmatched.splice(index, 1);
  }
}

const cdk = CDK_BIN;
const cdkEnv = OFFLINE_CDK_ENV;

/**
 * `cdk synth -c config=<dir>` through the real CDK CLI into a fresh output directory (removed
 * afterwards). Every fixture also goes through runAppBatch (test/support/cdk-cli.ts): the CDK app
 * of cdk.json run the way the CLI runs it (the context and output directory in CDK_CONTEXT_JSON
 * and CDK_OUTDIR), the same code path without the CLI's start-up, all fixtures in one process.
 */
function cdkSynth(configDir: string): Promise<AppRun> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-badinput-'));
  return new Promise((resolve) => {
    execFile(
      cdk,
      ['synth', '--no-lookups', '--no-notices', '--quiet', '-o', outdir, '-c', `config=${configDir}`],
      { cwd: root, env: cdkEnv, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        const written = fs.existsSync(outdir)
          ? fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json') || f === 'compliance')
          : [];
        fs.rmSync(outdir, { recursive: true, force: true });
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr, written });
      },
    );
  });
}

/** The problem lines of the CDK app's output (after its one-line header, before cdk's own last line). */
function synthProblemLines(stderr: string): string[] {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const start = lines.findIndex((l) => /^clinspark: configuration in .* has \d+ problem\(s\); nothing was synthesised:$/.test(l));
  if (start < 0) throw new Error(`no configuration header in:\n${stderr}`);
  return lines.slice(start + 1).filter((l) => !/Subprocess exited with error/.test(l));
}

describe('bad input is refused cleanly by clinspark validate', () => {
  test.each(BAD_INPUTS)('%s', async (name) => {
    const started = Date.now();
    const r = await run(['validate', '--config', path.join(fixtures, name)]);
    expect(r.code).toBe(1);
    expect(r.err).not.toMatch(/unexpected error|^\s+at /m);
    const [header, ...printed] = r.err.trim().split('\n');
    expect(header).toMatch(/: \d+ problems? found$/);
    const lines = errorLines(printed);
    for (const line of lines) expect(line).toMatch(PROBLEM_LINE);
    expectProblems(name, lines);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('bad input is refused cleanly by cdk synth (the CDK app calls loadFleet)', () => {
  let results: Map<string, AppRun>;

  // Through the real CLI: one fixture per kind of failure (key decoding, YAML parsing, file system).
  const THROUGH_CLI = ['ssh-keys/type-not-matching-body', 'files/duplicate-key', 'val-copy/rules-symlink-outside'];

  beforeAll(async () => {
    results = new Map();
    // The CLI runs one after the other, beside the batch of every fixture through the app: the machine is shared.
    const [viaApp, viaCli] = await Promise.all([
      runAppBatch(BAD_INPUTS.map((name) => ({ config: path.join(fixtures, name) }))),
      THROUGH_CLI.reduce<Promise<AppRun[]>>(
        async (done, name) => [...(await done), await cdkSynth(path.join(fixtures, name))],
        Promise.resolve([]),
      ),
    ]);
    BAD_INPUTS.forEach((name, i) => results.set(name, viaApp[i]));
    THROUGH_CLI.forEach((name, i) => results.set(`${name} (cdk CLI)`, viaCli[i]));
  }, 600_000);

  test.each(THROUGH_CLI)('%s, through the cdk CLI', (name) => {
    const r = results.get(`${name} (cdk CLI)`)!;
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/^\s+at .*\.(ts|js):\d+/m);
    expect(r.written).toEqual([]);
    expectProblems(name, errorLines(synthProblemLines(r.stderr)));
  });

  test.each(BAD_INPUTS)('%s', (name) => {
    const r = results.get(name)!;
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/^\s+at .*\.(ts|js):\d+/m);
    expect(r.written).toEqual([]);
    const lines = errorLines(synthProblemLines(r.stderr));
    for (const line of lines) expect(line).toMatch(PROBLEM_LINE);
    expectProblems(name, lines);
  });
});

describe('a 100,000-entry CIDR list', () => {
  let dir: string;

  beforeAll(() => {
    // Generated here rather than committed: every third entry is a /32 inside the /24 before it.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-cidr100k-'));
    fs.cpSync(path.join(fixtures, 'good', 'minimal-customer'), dir, { recursive: true });
    // A release ledger, so that the only problems are the CIDR list's (no "no ledger" warning).
    fs.writeFileSync(
      path.join(dir, 'releases.yaml'),
      [
        'releases:',
        '  - { version: "2025.4.0", build: 2231, date: "2025-10-06", notes: RN-2025.4.0 }',
        'customers:',
        '  acme:',
        '    validated:',
        '      - { release: "2025.4.0-b2231", val: { start: "2025-10-13", end: "2025-10-31" }, reference: VSR-ACME }',
        '',
      ].join('\n'),
    );
    const file = path.join(dir, 'customers', 'acme.yaml');
    const entries: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const n = i % 3 === 2 ? i - 1 : i;
      const block = `${11 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
      entries.push(i % 3 === 2 ? `      - ${block}.9/32` : `      - ${block}.0/24`);
    }
    const text = fs
      .readFileSync(file, 'utf8')
      .replace(/^ {2}prod: \{.*\}\n/m, `  prod:\n    ingress:\n      allowedCidrs:\n${entries.join('\n')}\n`);
    fs.writeFileSync(file, text);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('validates in seconds and prints the first 50 problems, then a count', async () => {
    const started = Date.now();
    const r = await run(['validate', '--config', dir]);
    const seconds = (Date.now() - started) / 1000;
    expect(r.code).toBe(1);
    const [header, ...lines] = r.err.trim().split('\n');
    expect(header).toMatch(/: 33334 problems found$/);
    expect(lines).toHaveLength(51);
    expect(lines[0]).toBe(
      'customers/acme.yaml: environments.prod.ingress.allowedCidrs: list at most 50 CIDR blocks (security group rule limits) (line 23)',
    );
    expect(lines[1]).toBe(
      "customers/acme.yaml: environments.prod.ingress.allowedCidrs[2]: '11.0.1.9/32' " +
        "overlaps entry [1] ('11.0.1.0/24'): 11.0.1.9/32 lies inside 11.0.1.0/24; keep " +
        'only the range you mean (line 26)',
    );
    expect(lines[50]).toBe(
      '... and 33284 more problems (fix the ones above first; `npx clinspark validate --max-problems 0` prints every one)',
    );
    // 74 s (and 34,000 lines) before the sweep; a few seconds now, with room for a loaded machine.
    expect(seconds).toBeLessThan(20);
  }, 60_000);

  test('--max-problems 0 prints every problem', async () => {
    const r = await run(['validate', '--quiet', '--max-problems', '0', '--config', dir]);
    expect(r.err.trim().split('\n')).toHaveLength(1 + 33334);
    expect((await run(['validate', '--max-problems', 'all', '--config', dir])).code).toBe(2);
  }, 60_000);

  test('cdk synth caps its output the same way and writes nothing', async () => {
    const r = await cdkSynth(dir);
    expect(r.code).not.toBe(0);
    expect(r.written).toEqual([]);
    const lines = synthProblemLines(r.stderr);
    expect(lines).toHaveLength(51);
    expect(lines[50]).toMatch(/^\.\.\. and 33284 more problems/);
  }, 120_000);
});

describe('smaller things', () => {
  test('clinspark --version prints the package version', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^clinspark ${pkg.version.replace(/\./g, '\\.')} \\(`));
    }
    expect((await run(['--help'])).out).toContain('--version');
  });

  test("the README's validate example is what validate prints (same lines, same line numbers)", async () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const block = /```\n\$ npx clinspark validate --config (\S+)\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const r = await run(['validate', '--config', path.join(root, block![1])]);
    const printed = r.err.trim().split('\n');
    const shown = block![2]
      .trim()
      .split('\n')
      .filter((l) => l !== '...');
    expect(shown.length).toBeGreaterThan(1);
    expect(printed[0].replace(path.join(root, block![1]), block![1])).toBe(shown[0]);
    for (const line of shown.slice(1)) expect(printed).toContain(line);
  });
});
