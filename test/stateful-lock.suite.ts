/**
 * No refactor may replace production data silently: every stateful resource of the example
 * fleet keeps its logical id. When this fails, either undo the change that moved a stateful
 * construct, or (for an intended, planned change) run `npm run stateful-lock:update` and have
 * the diff of stateful-lock.json reviewed.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareLock, statefulResources } from '../lib/stateful-lock';
import { StatefulLock, readStatefulLock } from '../lib/stateful-lock-file';
import { buildTestFleet } from './support/fleet';

const lockFile = path.join(__dirname, '..', 'config', 'stateful-lock.json');

describe('stateful lock', () => {
  // readStatefulLock: the committed lock has the shape `cdk synth` accepts.
  const locked = readStatefulLock(lockFile);
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

test('npm run stateful-lock:update rewrites a broken lock (the only problem it reads past) into the committed one', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-lock-update-'));
  try {
    fs.cpSync(path.join(__dirname, '..', 'config'), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'stateful-lock.json'), '{"clinspark-acme-sandbox-data": 5}');
    const root = path.join(__dirname, '..');
    const r = spawnSync(process.execPath, ['-r', 'ts-node/register', path.join(root, 'scripts', 'update-stateful-lock.ts'), dir], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/stateful-lock\.json: .*expected record, received number[\s\S]*writing a new lock; review its diff/);
    expect(fs.readFileSync(path.join(dir, 'stateful-lock.json'), 'utf8')).toBe(fs.readFileSync(lockFile, 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
