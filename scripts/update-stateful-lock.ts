/**
 * Rewrites stateful-lock.json from the example fleet. Run it only when a change to stateful
 * resources is intended (a new resource, or a replacement that has been planned with a data
 * migration), and have the diff of stateful-lock.json reviewed with the change.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { loadFleet } from '../lib/config';
import { buildFleet } from '../lib/fleet';
import { statefulResources } from '../lib/stateful-lock';

const root = path.join(__dirname, '..');
const app = new App({
  outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-lock-')),
  builtinCloudFormationValidation: false,
  context: JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')).context,
});
buildFleet(app, loadFleet(path.join(root, 'config')));
const lock = statefulResources(app);
fs.writeFileSync(path.join(root, 'stateful-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
const count = Object.values(lock).reduce((n, r) => n + Object.keys(r).length, 0);
process.stdout.write(`stateful-lock.json: ${count} stateful resources in ${Object.keys(lock).length} stacks\n`);
