/**
 * Rewrites the generated parts of README.md (`npm run docs`): the environment catalog table and
 * the inventory of the example PROD environment's stacks. test/docs.suite.ts fails when they are
 * stale.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  CATALOG_END,
  CATALOG_START,
  INVENTORY_END,
  INVENTORY_START,
  renderCatalogTable,
  renderInventory,
  replaceBetweenMarkers,
} from '../lib/catalog-table';
import { loadFleet } from '../lib/config';
import { buildFleet } from '../lib/fleet';
import { offlineApp } from '../lib/offline-app';

export const INVENTORY_STACK_PREFIX = 'clinspark-northwind-prod-';

const root = path.join(__dirname, '..');
const app = offlineApp();
buildFleet(app, loadFleet(path.join(root, 'config')));
const assembly = app.synth();
const templates = assembly.stacks
  .filter((s) => s.stackName.startsWith(INVENTORY_STACK_PREFIX))
  .map((s) => ({ stack: s.stackName, resources: (s.template as { Resources: Record<string, { Type: string }> }).Resources }));

const readme = path.join(root, 'README.md');
const before = fs.readFileSync(readme, 'utf8');
let text = replaceBetweenMarkers(before, CATALOG_START, CATALOG_END, renderCatalogTable());
text = replaceBetweenMarkers(text, INVENTORY_START, INVENTORY_END, renderInventory(templates));
if (text === before) {
  process.stdout.write('README.md: catalog table and environment inventory already up to date; nothing written\n');
} else {
  fs.writeFileSync(readme, text);
  process.stdout.write('README.md: catalog table and environment inventory updated\n');
}
