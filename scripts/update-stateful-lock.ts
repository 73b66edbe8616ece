/**
 * Rewrites stateful-lock.json from the example fleet. Run it only when a change to stateful
 * resources is intended (a new resource, or a replacement that has been planned with a data
 * migration), and have the diff of stateful-lock.json reviewed with the change.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadFleet } from '../lib/config';
import { buildFleet } from '../lib/fleet';
import { offlineApp } from '../lib/offline-app';
import { statefulResources } from '../lib/stateful-lock';

const root = path.join(__dirname, '..');
const app = offlineApp();
buildFleet(app, loadFleet(path.join(root, 'config')));
const lock = statefulResources(app);
fs.writeFileSync(path.join(root, 'stateful-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
const count = Object.values(lock).reduce((n, r) => n + Object.keys(r).length, 0);
process.stdout.write(`stateful-lock.json: ${count} stateful resources in ${Object.keys(lock).length} stacks\n`);
