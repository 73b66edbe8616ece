/**
 * Rewrites a fleet's stateful lock (`<config dir>/stateful-lock.json`; default: the example fleet
 * in config/). Run it only when a change to stateful resources is intended (a new resource, or a
 * replacement that has been planned with a data migration), and have the diff of the lock file
 * reviewed with the change.
 *
 *   npm run stateful-lock:update [-- <config dir>]
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigValidationError, formatIssue, isWarning, loadFleet } from '../lib/config';
import { buildFleet } from '../lib/fleet';
import { offlineApp } from '../lib/offline-app';
import { statefulResources } from '../lib/stateful-lock';
import { LOCK_FILE } from '../lib/stateful-lock-file';

const configDir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'config'));
const file = path.join(configDir, LOCK_FILE);
let fleet;
try {
  try {
    fleet = loadFleet(configDir);
  } catch (e) {
    // A broken lock is what this script repairs: when it is the only problem, read the fleet without it.
    if (!(e instanceof ConfigValidationError) || e.issues.some((i) => !isWarning(i) && i.file !== LOCK_FILE)) throw e;
    process.stderr.write(
      `stateful-lock: ${e.issues
        .filter((i) => i.file === LOCK_FILE)
        .map(formatIssue)
        .join('\n')}\nstateful-lock: writing a new lock; review its diff\n`,
    );
    fleet = loadFleet(configDir, { ignoreLock: true });
  }
} catch (e) {
  if (!(e instanceof ConfigValidationError)) throw e;
  process.stderr.write(
    `stateful-lock: configuration in ${configDir} has ${e.issues.length} problem(s); ` +
      `nothing written:\n${e.issues.map(formatIssue).join('\n')}\n`,
  );
  process.exit(1);
}
// The lock lists logical ids, types and create-only values: CDK's template validator adds nothing
// to it, and `cdk synth` validates these templates wherever they are deployed from.
const app = offlineApp({ withoutBuiltinValidation: true });
buildFleet(app, fleet);
const lock = statefulResources(app);
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
const count = Object.values(lock).reduce((n, r) => n + Object.keys(r).length, 0);
process.stdout.write(`${path.relative(process.cwd(), file)}: ${count} stateful resources in ${Object.keys(lock).length} stacks\n`);
