/** The generated parts of the README stay in step with the code (`npm run docs` rewrites them). */
import * as fs from 'fs';
import * as path from 'path';
import { CATALOG_END, CATALOG_START, INVENTORY_END, INVENTORY_START, renderCatalogTable, renderInventory } from '../lib/catalog-table';
import { buildTestFleet } from './support/fleet';

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const between = (start: string, end: string) => readme.slice(readme.indexOf(start) + start.length, readme.indexOf(end)).trim();

describe('README', () => {
  test('starts with the two commands: set up and synthesise, then the whole test suite', () => {
    const firstBlock = readme.split('```')[1];
    expect(firstBlock).toMatch(/^bash\nnpm ci && npx cdk synth\b/);
    expect(firstBlock.split('\n')[2]).toMatch(/^npm test\b/);
  });

  test('the catalog table is the catalog', () => {
    expect(between(CATALOG_START, CATALOG_END)).toBe(renderCatalogTable());
  });

  test('the inventory of the example PROD environment matches its stacks', () => {
    const fleet = buildTestFleet();
    const assembly = fleet.app.synth();
    const templates = assembly.stacks
      .filter((s) => s.stackName.startsWith('clinspark-northwind-prod-'))
      .map((s) => ({ stack: s.stackName, resources: (s.template as { Resources: Record<string, { Type: string }> }).Resources }));
    expect(between(INVENTORY_START, INVENTORY_END)).toBe(renderInventory(templates));
  });

  test(".ci/run runs the README's test command", () => {
    const ci = fs.readFileSync(path.join(__dirname, '..', '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm test$/m);
  });
});
