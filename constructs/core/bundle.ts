import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { BuildOptions, buildSync, version as esbuildVersion } from 'esbuild';

/** Node.js version the handlers are bundled for (matches the Lambda runtime, NODEJS_24_X). */
export const HANDLER_NODE_TARGET = 'node24';

const cache = new Map<string, string>();

/**
 * The on-disk cache of bundles, shared by every synth of this checkout (a sharded synth's
 * processes, the tests, the next `cdk synth`): `node_modules/.cache/clinspark-bundles/<key>/`
 * holds `bundle/index.js` and `inputs.json`, the SHA-256 of every file esbuild read for it. The
 * key covers what else decides the output: the entry's absolute path, the build options, the
 * esbuild version and the package lock (installed packages). A bundle is reused only when every
 * input still has its recorded hash, so the output is the one esbuild would write now.
 */
const DISK_CACHE = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'clinspark-bundles');

const sha256 = (data: crypto.BinaryLike) => crypto.createHash('sha256').update(data).digest('hex');

function fileHash(file: string): string | undefined {
  try {
    return sha256(fs.readFileSync(file));
  } catch {
    return undefined;
  }
}

const BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: HANDLER_NODE_TARGET,
  format: 'cjs',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'error',
  // Lambda's own SDK copy is not used: the pinned client versions are bundled.
  external: [],
};

function cacheKey(absolute: string): string {
  const lock = fileHash(path.join(__dirname, '..', '..', 'package-lock.json')) ?? '';
  return sha256(JSON.stringify({ absolute, options: BUILD_OPTIONS, esbuild: esbuildVersion, lock })).slice(0, 32);
}

/** The cached bundle directory for this key, if every recorded input is unchanged. */
function fromDiskCache(key: string): string | undefined {
  const dir = path.join(DISK_CACHE, key);
  let inputs: Record<string, string>;
  try {
    inputs = JSON.parse(fs.readFileSync(path.join(dir, 'inputs.json'), 'utf8')) as Record<string, string>;
  } catch {
    return undefined;
  }
  for (const [file, hash] of Object.entries(inputs)) if (fileHash(file) !== hash) return undefined;
  const bundle = path.join(dir, 'bundle');
  return fs.existsSync(path.join(bundle, 'index.js')) ? bundle : undefined;
}

/** Builds into a scratch directory and moves it into the cache in one rename (concurrent synths may race). */
function buildIntoDiskCache(absolute: string, key: string): string {
  const dir = path.join(DISK_CACHE, key);
  const scratch = path.join(DISK_CACHE, `.tmp-${process.pid}-${key}`);
  fs.rmSync(scratch, { recursive: true, force: true });
  const result = buildSync({
    ...BUILD_OPTIONS,
    entryPoints: [absolute],
    outfile: path.join(scratch, 'bundle', 'index.js'),
    metafile: true,
  });
  const inputs: Record<string, string> = {};
  for (const input of Object.keys(result.metafile?.inputs ?? {})) {
    const file = path.resolve(input);
    const hash = fileHash(file);
    if (hash) inputs[file] = hash;
  }
  fs.writeFileSync(path.join(scratch, 'inputs.json'), `${JSON.stringify(inputs, null, 1)}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.renameSync(scratch, dir);
  } catch {
    // Another process put the same bundle there first.
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return path.join(dir, 'bundle');
}

/**
 * Bundles a Lambda handler with the locally installed esbuild, once per process and entry file
 * (a fleet synth uses each handler in many stacks; the asset hash is the same for all of them),
 * and across processes through the on-disk cache above. Returns the directory holding `index.js`.
 * Deterministic output: same sources, same asset hash.
 */
export function bundleHandler(entry: string): string {
  const absolute = path.resolve(entry);
  const cached = cache.get(absolute);
  if (cached) return cached;
  if (!fs.existsSync(absolute)) throw new Error(`Lambda handler entry not found: ${absolute}`);
  const key = cacheKey(absolute);
  const outdir = fromDiskCache(key) ?? buildIntoDiskCache(absolute, key);
  cache.set(absolute, outdir);
  return outdir;
}
