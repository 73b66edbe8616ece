/**
 * One fixture fleet per validation case: test/fixtures/validation/<rule>/<case>/ holds the YAML
 * files and expected.yaml, the exact list of problems (file, path, message pattern) that
 * validation must report: nothing missing and nothing extra.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { ConfigValidationError, formatPath, loadFleet, readFleet } from '../../lib/config';
import { fleetEnvironments } from '../../lib/environments';

const ROOT = path.join(__dirname, '..', 'fixtures', 'validation');

interface Expected {
  /** `line`, when given, must be the reported line too. */
  errors: Array<{ file: string; path: string; message: string; line?: number }>;
  /** When given, the exact list of warnings too (lifecycle fixtures); otherwise warnings are not compared. */
  warnings?: Array<{ file: string; path: string; message: string; line?: number }>;
}

type Reported = { file: string; path: string; message: string; line?: number };

/** Matches every expected entry to one reported problem; returns the reported ones left over. */
function matchAll(expected: Expected['errors'], reported: Reported[]): Reported[] {
  const unmatched = [...reported];
  for (const want of expected) {
    const index = unmatched.findIndex(
      (a) =>
        a.file === want.file &&
        a.path === want.path &&
        new RegExp(want.message).test(a.message) &&
        (want.line === undefined || a.line === want.line),
    );
    if (index < 0) {
      throw new Error(
        `expected problem not reported: ${want.file}: ${want.path}: ` +
          `/${want.message}/${want.line !== undefined ? ` (line ${want.line})` : ''}\n` +
          `reported:\n${reported.map((a) => `  ${a.file}: ${a.path}: ${a.message} (line ${a.line})`).join('\n')}`,
      );
    }
    unmatched.splice(index, 1);
  }
  return unmatched;
}

const cases = fs
  .readdirSync(ROOT)
  .flatMap((rule) => fs.readdirSync(path.join(ROOT, rule)).map((c) => `${rule}/${c}`))
  .sort();

describe('fleet validation fixtures', () => {
  test('there is a good and a bad fixture for every rule family', () => {
    const families = new Set(cases.map((c) => c.split('/')[0]));
    for (const required of [
      'slug',
      'account',
      'azs',
      'environments',
      'val-source',
      'cidr',
      'release',
      'windows',
      'files',
      'collected',
      'good',
      'ssh-keys',
      'dns',
      'ingress',
      'lifecycle',
    ]) {
      expect(families).toContain(required);
    }
  });

  test.each(cases)('%s', (name) => {
    const dir = path.join(ROOT, name);
    const expected = parse(fs.readFileSync(path.join(dir, 'expected.yaml'), 'utf8')) as Expected;
    // Lifecycle fixtures may pin "today" (VAL validation windows): CLINSPARK_TODAY in expected.yaml.
    const today = (expected as { today?: string }).today;
    const before = process.env.CLINSPARK_TODAY;
    if (today) process.env.CLINSPARK_TODAY = today;
    let issues;
    try {
      issues = readFleet(dir).issues;
    } finally {
      if (today) {
        if (before === undefined) delete process.env.CLINSPARK_TODAY;
        else process.env.CLINSPARK_TODAY = before;
      }
    }
    const toReported = (i: (typeof issues)[number]): Reported => ({
      file: i.file,
      path: formatPath(i.path),
      message: i.message,
      line: i.line,
    });
    const unmatched = matchAll(expected.errors ?? [], issues.filter((i) => i.severity !== 'warning').map(toReported));
    if (expected.warnings) {
      const extra = matchAll(expected.warnings, issues.filter((i) => i.severity === 'warning').map(toReported));
      expect(extra.map(({ line: _line, ...rest }) => rest)).toEqual([]);
    }
    expect(unmatched.map(({ line: _line, ...rest }) => rest)).toEqual([]);
  });
});

describe('loadFleet', () => {
  test('throws one error carrying every problem, formatted <file>: <path>: <problem> (line)', () => {
    const dir = path.join(ROOT, 'collected', 'many-problems-in-many-files');
    let error: unknown;
    try {
      loadFleet(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const e = error as ConfigValidationError;
    expect(e.issues.length).toBe(6);
    expect(e.message).toMatch(
      /customers\/acme\.yaml: environments\.preprod\.ingress\.allowedCidrs\[0\]: '0\.0\.0\.0\/0' opens access to the whole internet .* \(line \d+\)/,
    );
    expect(e.message).toMatch(/platform\.yaml: demos\[0\]\.name: must be DNS-safe/);
  });

  test('returns the typed fleet with defaults applied and builds coerced to strings', () => {
    const fleet = loadFleet(path.join(ROOT, 'good', 'full-lifecycle-with-platform'));
    expect(fleet.customers.map((c) => c.slug)).toEqual(['acme']);
    expect(fleet.customers[0].release).toEqual({
      version: '2025.4.0',
      build: '2231',
      digest: 'sha256:129d008298b6154840313aeba8fd5e3dd2b47d5076f810a61d330be410725551',
    });
    expect(fleet.customers[0].environments.val?.release?.build).toBe('2410');
    expect(fleet.platform?.demos?.map((d) => d.name)).toEqual(['r2025-4']);
  });

  test('a missing directory is reported, not thrown as a crash', () => {
    expect(() => loadFleet('/nonexistent/fleet')).toThrow(/configuration directory not found/);
  });

  test('the shipped example fleet is valid and exercises all seven environment kinds', () => {
    const fleet = loadFleet(path.join(__dirname, '..', '..', 'config'));
    const kinds = new Set<string>();
    for (const c of fleet.customers) for (const k of Object.keys(c.environments)) kinds.add(k);
    if (fleet.platform?.demos?.length) kinds.add('demo');
    if (fleet.platform?.community) kinds.add('community');
    expect([...kinds].sort()).toEqual(['community', 'demo', 'migration', 'preprod', 'prod', 'sandbox', 'val']);
    expect(fleet.platform?.demos?.map((d) => d.release?.version ?? fleet.platform?.release.version)).toEqual(['2025.4.0', '2026.1.0']);
  });

  test(
    'the shipped example fleet pins every change-controlled environment by digest ' +
      'and puts every real-PII environment behind client ranges or SSO',
    () => {
      const envs = fleetEnvironments(loadFleet(path.join(__dirname, '..', '..', 'config')));
      const changeControlled = envs.filter((e) => e.policy.changeControlled);
      const pii = envs.filter((e) => e.policy.holdsRealPii);
      expect(changeControlled.map((e) => e.id).sort()).toEqual(['acme/preprod', 'northwind/prod', 'northwind/val']);
      for (const e of changeControlled) expect(e.release.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(pii.map((e) => e.id).sort()).toEqual(['acme/migration', 'acme/preprod', 'northwind/prod']);
      for (const e of pii) expect(e.sso !== undefined || (e.ingressCidrs?.length ?? 0) > 0).toBe(true);
      expect(envs.find((e) => e.id === 'acme/preprod')?.ingressCidrs).toEqual(['198.51.100.0/24', '203.0.113.64/26']);
      // Safe container defaults where the release does not say otherwise.
      for (const e of envs)
        expect({ readOnlyRootFilesystem: e.release.readOnlyRootFilesystem, user: e.release.user }).toEqual({
          readOnlyRootFilesystem: true,
          user: '1000:1000',
        });
    },
  );
});
