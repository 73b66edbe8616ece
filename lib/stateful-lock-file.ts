/**
 * The stateful lock file (`<config>/stateful-lock.json`): its shape and its reader, on their own so
 * that configuration validation (lib/config) and `cdk synth` read a lock the same way without
 * lib/config importing the stacks' side of the lock (lib/stateful-lock.ts).
 */
import * as fs from 'fs';
import { z } from 'zod';

/** The stateful lock's file name in a configuration directory. */
export const LOCK_FILE = 'stateful-lock.json';

/** A locked resource: its type, or its type and the values of its create-only properties. */
export type LockedResource = string | { readonly type: string; readonly createOnly: Readonly<Record<string, string>> };
/** stack name -> logical id -> locked resource */
export type StatefulLock = Record<string, Record<string, LockedResource>>;

const lockSchema: z.ZodType<StatefulLock> = z.record(
  z.string().min(1),
  z.record(
    z.string().min(1),
    z.union([z.string().min(1), z.strictObject({ type: z.string().min(1), createOnly: z.record(z.string(), z.string()) })]),
  ),
);

/** A lock file that cannot be read, is not JSON or is not a lock (it would lock nothing). */
export class StatefulLockError extends Error {}

const FIX = 'restore it from version control, or rewrite it with `npm run stateful-lock:update` and review the diff';
const SHAPE = 'a lock maps each stack to its stateful resources (logical id: type, or { type, createOnly })';

/** The lock in `file`, parsed; or where and why it is not a lock (a `problem` ends with the fix). */
export function inspectStatefulLock(file: string): { readonly lock: StatefulLock } | { readonly path: string[]; readonly problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const what = e instanceof SyntaxError ? 'is not JSON' : 'cannot be read';
    return { path: [], problem: `${what} (${(e as Error).message}); ${FIX}` };
  }
  const parsed = lockSchema.safeParse(json);
  if (parsed.success) return { lock: parsed.data };
  const issue = parsed.error.issues[0];
  return { path: issue.path.map(String), problem: `${issue.message}; ${SHAPE}; ${FIX}` };
}

/**
 * The stateful lock in `file`, as `npm run stateful-lock:update` writes it. Anything else is a
 * StatefulLockError naming the file, the path and the fix: a lock of the wrong shape must not pass
 * as one that locks nothing.
 */
export function readStatefulLock(file: string): StatefulLock {
  const result = inspectStatefulLock(file);
  if ('lock' in result) return result.lock;
  const at = result.path.length > 0 ? result.path.map((p) => JSON.stringify(p)).join(' > ') : '(top level)';
  throw new StatefulLockError(`${file}: ${at}: ${result.problem}`);
}
