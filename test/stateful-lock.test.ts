/**
 * No refactor may replace production data silently: every stateful resource of the example
 * fleet keeps its logical id. When this fails, either undo the change that moved a stateful
 * construct, or (for an intended, planned change) run `npm run stateful-lock:update` and have
 * the diff of stateful-lock.json reviewed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { StatefulLock, compareLock, statefulResources } from '../lib/stateful-lock';
import { buildTestFleet } from './support/fleet';

const lockFile = path.join(__dirname, '..', 'config', 'stateful-lock.json');

describe('stateful lock', () => {
  const locked = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as StatefulLock;
  const current = statefulResources(buildTestFleet().app);
  const diff = compareLock(locked, current);

  test('no locked stateful resource disappears or changes type', () => {
    expect({ missing: diff.missing, changed: diff.changed }).toEqual({ missing: [], changed: [] });
  });

  test('every stateful resource is in the lock (run npm run stateful-lock:update after review)', () => {
    expect(diff.unlocked).toEqual([]);
  });

  test('the lock covers the databases, keys, secrets and logs of every environment', () => {
    for (const stack of Object.keys(current).filter((s) => s.endsWith('-data'))) {
      const types = new Set(Object.values(locked[stack] ?? {}));
      for (const t of ['AWS::RDS::DBCluster', 'AWS::KMS::Key', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup', 'AWS::S3::Bucket'])
        expect(types).toContain(t);
    }
  });

  test('compareLock reports a renamed database as missing and its new id as unlocked', () => {
    const before: StatefulLock = { s: { MainDatabaseCluster1: 'AWS::RDS::DBCluster' } };
    const after: StatefulLock = { s: { MainDbCluster2: 'AWS::RDS::DBCluster' } };
    expect(compareLock(before, after)).toEqual({
      missing: ['s/MainDatabaseCluster1 (AWS::RDS::DBCluster)'],
      changed: [],
      unlocked: ['s/MainDbCluster2 (AWS::RDS::DBCluster)'],
    });
  });
});
