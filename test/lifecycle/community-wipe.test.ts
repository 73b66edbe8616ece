/**
 * Community wipe (platform.yaml `community.wipe`): the wipe is part of the cluster identifier, so
 * CloudFormation replaces the custom-named cluster under the same logical id (keys, secrets and
 * every other stateful resource keep theirs); restored from `fromSnapshot` or empty and reseeded;
 * deletion protection off while a wipe is configured (the replaced cluster must be deletable), the
 * final snapshot kept by the removal policy; the stateful lock of the example fleet accepts it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { evaluateCompliance } from '../../lib/compliance/packs';
import { buildComplianceReport } from '../../lib/compliance/report';
import { compareLock, lockedResourcesOf } from '../../lib/stateful-lock';
import { StatefulLock } from '../../lib/stateful-lock-file';
import { wipedClusterIdentifier } from '../../lib/naming';
import { buildTestFleet } from '../support/fleet';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'fleets');
const STACK = 'clinspark-platform-community-data';
const BASE = 'clinspark-platform-community-main';
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'config', 'stateful-lock.json'), 'utf8')) as StatefulLock;

const seededFleet = buildTestFleet({ configDir: path.join(FIXTURES, 'community-wipe-seed'), customers: [] });
const seeded = seededFleet.template(STACK);
const restored = buildTestFleet({ configDir: path.join(FIXTURES, 'community-wipe-snapshot'), customers: [] }).template(STACK);

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
function only(t: Template, type: string): [string, Resource] {
  const found = Object.entries(t.findResources(type)) as Array<[string, Resource]>;
  expect(found).toHaveLength(1);
  return found[0];
}

describe('Community wipe', () => {
  test('the wipe label and source name the cluster; a new label or source is a new name, within 63 characters', () => {
    const a = wipedClusterIdentifier(BASE, { label: 'w2026-01' });
    expect(a).toMatch(/^clinspark-platform-community-main-w2026-01-[0-9a-f]{6}$/);
    expect(wipedClusterIdentifier(BASE, { label: 'w2026-01' })).toBe(a);
    expect(wipedClusterIdentifier(BASE, { label: 'w2026-01', fromSnapshot: 'snap-a' })).not.toBe(a);
    expect(wipedClusterIdentifier(BASE, { label: 'w2026-02' })).not.toBe(a);
    expect(wipedClusterIdentifier(BASE, { label: 'a'.repeat(20), fromSnapshot: 'x' }).length).toBeLessThanOrEqual(63);
  });

  test('reseeded: the same logical cluster under the wipe name, empty, deletion protection off, final snapshot kept', () => {
    const [id, cluster] = only(seeded, 'AWS::RDS::DBCluster');
    expect(id).toBe(Object.keys(lock[STACK]).find((k) => lock[STACK][k] === 'AWS::RDS::DBCluster'));
    expect(cluster.Properties).toMatchObject({
      DBClusterIdentifier: wipedClusterIdentifier(BASE, { label: 'w2026-01' }),
      DeletionProtection: false,
      StorageEncrypted: true,
    });
    expect(cluster.Properties.SnapshotIdentifier).toBeUndefined();
    expect([cluster.DeletionPolicy, cluster.UpdateReplacePolicy]).toEqual(['Snapshot', 'Snapshot']);
    const [, seed] = only(seeded, 'Custom::ClinSparkSeed');
    expect(seed.Properties).toMatchObject({ ClusterIdentifier: { Ref: id }, Seed: 'platform', Volunteers: '200' });
  });

  test('restored: from the given snapshot, with Community own master password and every other account locked; not seeded', () => {
    const [, cluster] = only(restored, 'AWS::RDS::DBCluster');
    expect(cluster.Properties).toMatchObject({
      DBClusterIdentifier: wipedClusterIdentifier(BASE, {
        label: 'w2026-02',
        fromSnapshot: 'clinspark-northwind-val-main-scrubbed-abc123',
      }),
      SnapshotIdentifier: 'clinspark-northwind-val-main-scrubbed-abc123',
      DeletionProtection: false,
    });
    expect(cluster.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^MainDatabaseKey/), 'Arn'] });
    const [, account] = only(restored, 'Custom::ClinSparkApplicationAccount');
    expect(account.Properties).toMatchObject({ ResetMasterPassword: 'true', LockOtherAccounts: 'true' });
    expect(restored.findResources('Custom::ClinSparkSeed')).toEqual({});
  });

  test.each([
    ['reseeded', seeded, ['SeedJobFunctionLogsE24D832C', 'SeedJobProviderLogs022493C5']],
    ['restored', restored, []],
  ])('%s: the stateful lock of the example fleet accepts the wipe (every stateful resource keeps its logical id)', (_name, t, added) => {
    const current = { [STACK]: lockedResourcesOf(t.toJSON()) };
    // Only new resources (the seed job's log groups of a reseeded Community) are unlocked: reported, never refused.
    expect(compareLock(lock, current, new Set([STACK]))).toEqual({
      missing: [],
      changed: [],
      unlocked: added.map((id) => `${STACK}/${id} (AWS::Logs::LogGroup)`),
    });
  });

  test('the lock still refuses a stateful resource that disappears from Community', () => {
    const current = lockedResourcesOf(seeded.toJSON());
    const keyId = Object.keys(current).find((k) => k.startsWith('MainDatabaseKey')) as string;
    delete current[keyId];
    expect(compareLock(lock, { [STACK]: current }, new Set([STACK])).missing).toEqual([`${STACK}/${keyId} (AWS::KMS::Key)`]);
  });

  test('compliance: no unacknowledged finding, and the deletion-protection findings give the wipe as their reason', () => {
    const recorder = evaluateCompliance(seededFleet.app);
    expect(recorder.failures().map((f) => `${f.id} on ${f.path}`)).toEqual([]);
    const report = buildComplianceReport(recorder, seededFleet.app);
    const reasons = report.stacks
      .filter((s) => s.stack === STACK)
      .flatMap((s) => s.acknowledgements)
      .filter((a) => a.id === 'AwsSolutions-RDS10')
      .map((a) => a.reason);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/a wipe replaces this cluster.*survives that in a final snapshot/);
  });
});
