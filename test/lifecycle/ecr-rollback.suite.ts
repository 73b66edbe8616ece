/**
 * The ECR's rollback reference and the pre-upgrade snapshot: where the release or the engine of a
 * change-controlled database changes against the baseline, the row names the snapshot the data
 * stack will take (the handler's own name) and the stack output that reports it; every other
 * database keeps the manual create-db-cluster-snapshot command.
 */
import * as fs from 'fs';
import * as path from 'path';
import { preUpgradeSnapshotIdentifier } from '../../constructs/lifecycle/snapshot-names';
import { CLUSTER_SNAPSHOT_RESOURCE_TYPE } from '../../constructs/lifecycle/pre-upgrade-snapshot';
import { assemblyOf, cleanTemps, cli, plantedAssembly, tempDir } from '../evidence/support';

let baseline: string;
beforeAll(() => {
  baseline = assemblyOf({ customers: ['northwind'], platform: false });
}, 300_000);
afterAll(cleanTemps);

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; [k: string]: unknown }> };
const ENGINE = '8.0.mysql_aurora.3.12.0';

/** Sets Release / EngineVersion of PROD Main's pre-upgrade snapshot resource (what a release or engine change does to it). */
function plantUpgrade(change: { Release?: string; EngineVersion?: string }, remove = false): string {
  return plantedAssembly(baseline, (stack, t: Template) => {
    if (stack !== 'clinspark-northwind-prod-data') return false;
    const [id, r] =
      Object.entries(t.Resources).find(
        ([, x]) => x.Type === CLUSTER_SNAPSHOT_RESOURCE_TYPE && x.Properties?.ClusterIdentifier === 'clinspark-northwind-prod-main',
      ) ?? [];
    if (!id || !r) throw new Error('no pre-upgrade snapshot resource for PROD Main');
    if (remove) delete t.Resources[id];
    else Object.assign(r.Properties ?? {}, change);
    return true;
  });
}

async function rollbackOf(baselineDir: string, candidate: string): Promise<Array<Record<string, string>>> {
  const out = tempDir('ecr');
  const r = await cli(['ecr', '--baseline', baselineDir, '--assembly', candidate, '--out', out]);
  expect(r.code).toBe(0);
  const { record } = JSON.parse(fs.readFileSync(path.join(out, 'northwind/prod', 'ecr.json'), 'utf8'));
  const md = fs.readFileSync(path.join(out, 'northwind', 'prod', 'ecr.md'), 'utf8');
  expect(md).toContain('## 10. Rollback reference');
  return Object.assign(record.rollback, { md });
}

test(
  'a release change: the rollback row predicts the pre-upgrade snapshot and names ' + 'its stack output; Test keeps the manual command',
  async () => {
    const rows = await rollbackOf(baseline, plantUpgrade({ Release: '2026.1.0-b2410' }));
    const main = rows.find((r) => r.cluster === 'clinspark-northwind-prod-main');
    const expected = preUpgradeSnapshotIdentifier(
      'clinspark-northwind-prod-main',
      { release: '2025.4.0-b2231', engineVersion: ENGINE },
      { release: '2026.1.0-b2410', engineVersion: ENGINE },
    );
    expect(main).toMatchObject({
      takenBy: 'pre-upgrade snapshot',
      snapshotIdentifier: expected,
      stackOutput: 'MainPreUpgradeSnapshot',
      change: 'release 2025.4.0-b2231 -> 2026.1.0-b2410',
      command: expect.stringContaining(
        '--stack-name clinspark-northwind-prod-data --query "Stacks[0].Outputs[?OutputKey==\'MainPreUpgradeSnapshot\'].OutputValue"',
      ),
    });
    const test = rows.find((r) => r.cluster === 'clinspark-northwind-prod-test');
    expect(test).toMatchObject({ takenBy: 'manual', command: expect.stringMatching(/^aws rds create-db-cluster-snapshot /) });
    expect((rows as unknown as { md: string }).md).toContain(expected);
    expect((rows as unknown as { md: string }).md).toContain('MainPreUpgradeSnapshot');
  },
  300_000,
);

test('an engine change: the row is named after the engine versions', async () => {
  const rows = await rollbackOf(baseline, plantUpgrade({ EngineVersion: '8.0.mysql_aurora.3.12.1' }));
  const main = rows.find((r) => r.cluster === 'clinspark-northwind-prod-main');
  expect(main?.takenBy).toBe('pre-upgrade snapshot');
  expect(main?.change).toBe(`engine ${ENGINE} -> 8.0.mysql_aurora.3.12.1`);
  expect(main?.snapshotIdentifier).toBe(
    preUpgradeSnapshotIdentifier(
      'clinspark-northwind-prod-main',
      { release: '2025.4.0-b2231', engineVersion: ENGINE },
      { release: '2025.4.0-b2231', engineVersion: '8.0.mysql_aurora.3.12.1' },
    ),
  );
}, 300_000);

test('the snapshot resource added to a deployed stack (absent from the baseline): the -from-deployed snapshot', async () => {
  const rows = await rollbackOf(plantUpgrade({}, true), baseline);
  const main = rows.find((r) => r.cluster === 'clinspark-northwind-prod-main');
  expect(main).toMatchObject({
    takenBy: 'pre-upgrade snapshot',
    snapshotIdentifier: preUpgradeSnapshotIdentifier('clinspark-northwind-prod-main', undefined, {
      release: '2025.4.0-b2231',
      engineVersion: ENGINE,
    }),
  });
}, 300_000);
