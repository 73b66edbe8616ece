/**
 * Guards over the sources of every Lambda handler (constructs/<construct>/handler/**) and of the
 * shared runtime they use (constructs/core/runtime):
 * - nothing writes to the console but the runtime's Logger (which redacts every line), so no
 *   handler can log a password it has read;
 * - the runtime and the handlers never import aws-cdk-lib (they run in Lambda, not at synth);
 * - imports are static (esbuild bundles them), and every handler entry bundles;
 * - the shared runtime is the only home of the plumbing (no handler-local sleep, poll loop or logger).
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildSync } from 'esbuild';

const ROOT = path.join(__dirname, '..', '..');
const CONSTRUCTS = path.join(ROOT, 'constructs');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

const handlerDirs = fs
  .readdirSync(CONSTRUCTS)
  .map((c) => path.join(CONSTRUCTS, c, 'handler'))
  .filter((d) => fs.existsSync(d));
const runtimeFiles = tsFiles(path.join(CONSTRUCTS, 'core', 'runtime'));
const handlerFiles = handlerDirs.flatMap(tsFiles);
const all = [...runtimeFiles, ...handlerFiles];
const rel = (f: string) => path.relative(ROOT, f);
/** Source without comments (a comment may mention console.log). */
const code = (f: string) =>
  fs
    .readFileSync(f, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

/** The Lambda entry files, as the constructs bundle them. */
const ENTRIES = [
  'constructs/database/handler/app-account.ts',
  'constructs/lifecycle/handler/cluster-snapshot.ts',
  'constructs/lifecycle/handler/seed.ts',
  'constructs/pii-scrub/handler/index.ts',
  'constructs/read-replica/handler/replication.ts',
  'constructs/read-replica/handler/readonly-account.ts',
  'constructs/val-clone/handler/staging.ts',
];

test('the guards see every handler family', () => {
  expect(handlerDirs.map(rel).sort()).toEqual([
    'constructs/database/handler',
    'constructs/lifecycle/handler',
    'constructs/pii-scrub/handler',
    'constructs/read-replica/handler',
    'constructs/val-clone/handler',
  ]);
  for (const e of ENTRIES) expect(handlerFiles.map(rel)).toContain(e);
});

test('no handler and no runtime module writes to the console except the Logger', () => {
  const offenders = all
    .filter((f) => !f.endsWith(path.join('runtime', 'logger.ts')))
    .flatMap((f) =>
      code(f)
        .split('\n')
        .map((line, i) => ({ line, n: i + 1 }))
        .filter(({ line }) => /\bconsole\s*\.\s*[a-z]+\s*\(|process\.(stdout|stderr)\.write/.test(line))
        .map(({ n, line }) => `${rel(f)}:${n}: ${line.trim()}`),
    );
  expect(offenders).toEqual([]);
});

test("no handler has its own sleep, setTimeout loop or event types: the runtime's are used", () => {
  const offenders = handlerFiles.flatMap((f) => {
    const src = code(f);
    return [
      /\bsetTimeout\s*\(/.test(src) ? `${rel(f)}: setTimeout (use sleep/pollUntil from core/runtime/poll)` : undefined,
      /\bfor\s*\(\s*;\s*;\s*\)/.test(src) ? `${rel(f)}: an unbounded for(;;) loop (use pollUntil)` : undefined,
      /\b(class Logger|function log\s*\(|const sleep\b|function sleep\b)/.test(src) ? `${rel(f)}: its own logger or sleep` : undefined,
      /interface \w*(CustomResource|Rotation)\w*Event\b/.test(src)
        ? `${rel(f)}: its own event type (use @types/aws-lambda through core/runtime)`
        : undefined,
    ].filter((x): x is string => !!x);
  });
  expect(offenders).toEqual([]);
});

test('the runtime and the handlers never import aws-cdk-lib, and import statically', () => {
  const offenders = all.flatMap((f) => {
    const src = code(f);
    return [
      /from\s+['"](aws-cdk-lib|constructs)(\/[^'"]*)?['"]/.test(src) ? `${rel(f)}: imports aws-cdk-lib/constructs` : undefined,
      /\bimport\s*\(|\brequire\s*\(/.test(src) ? `${rel(f)}: dynamic import or require` : undefined,
    ].filter((x): x is string => !!x);
  });
  expect(offenders).toEqual([]);
});

test.each(ENTRIES)('%s bundles with esbuild, without aws-cdk-lib', (entry) => {
  const out = buildSync({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(out.metafile?.inputs ?? {});
  expect(inputs.some((i) => i.includes('core/runtime/'))).toBe(true);
  expect(inputs.filter((i) => /node_modules\/(aws-cdk-lib|constructs)\//.test(i))).toEqual([]);
  // The staging steps open no database connection: the redactor must not drag the driver in.
  if (entry.includes('val-clone')) expect(inputs.filter((i) => i.includes('node_modules/mysql2/'))).toEqual([]);
});
