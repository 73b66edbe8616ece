import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildSync } from 'esbuild';

/** Node.js version the handlers are bundled for (matches the Lambda runtime, NODEJS_24_X). */
export const HANDLER_NODE_TARGET = 'node24';

const cache = new Map<string, string>();
let cleanupRegistered = false;

function registerCleanup(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  // Assets are copied into the cloud assembly during synthesis; the bundles are scratch files.
  process.once('exit', () => {
    for (const dir of cache.values()) fs.rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * Bundles a Lambda handler with the locally installed esbuild, once per process and entry file
 * (a fleet synth uses each handler in many stacks; the asset hash is the same for all of them).
 * Returns the directory holding `index.js`. Deterministic output: same sources, same asset hash.
 */
export function bundleHandler(entry: string): string {
  const absolute = path.resolve(entry);
  const cached = cache.get(absolute);
  if (cached) return cached;
  if (!fs.existsSync(absolute)) throw new Error(`Lambda handler entry not found: ${absolute}`);
  const key = crypto.createHash('sha256').update(absolute).digest('hex').slice(0, 16);
  const outdir = path.join(os.tmpdir(), 'clinspark-handler-bundles', `${process.pid}-${key}`);
  fs.rmSync(outdir, { recursive: true, force: true });
  buildSync({
    entryPoints: [absolute],
    outfile: path.join(outdir, 'index.js'),
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
  });
  cache.set(absolute, outdir);
  registerCleanup();
  return outdir;
}
