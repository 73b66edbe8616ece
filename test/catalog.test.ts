/**
 * The environment catalog is the one table of policy per kind; these tests pin the policy that
 * DESIGN.md and the foundation issue demand, so a change to it is a deliberate, visible act.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { CATALOG } from '../lib/catalog';
import { ENVIRONMENT_KINDS } from '../lib/config/model';
import { backupOverlapsMaintenance, parseBackupWindow, parseMaintenanceWindow } from '../lib/config/windows';

const row = (k: keyof typeof CATALOG) => CATALOG[k];

describe('environment catalog', () => {
  test('has exactly the seven kinds of DESIGN.md', () => {
    expect(Object.keys(CATALOG).sort()).toEqual([...ENVIRONMENT_KINDS].sort());
  });

  test.each([
    // kind, instances, longevity, change-controlled, owner
    ['sandbox', ['main', 'test'], 'ephemeral', false, 'customer'],
    ['migration', ['main'], 'ephemeral', false, 'customer'],
    ['preprod', ['main'], 'ephemeral', true, 'customer'],
    ['val', ['main', 'test'], 'ephemeral', true, 'customer'],
    ['prod', ['main', 'test'], 'persistent', true, 'customer'],
    ['demo', ['main'], 'persistent', false, 'platform'],
    ['community', ['main'], 'persistent', false, 'platform'],
  ] as const)('%s: instances %j, %s, change-controlled %s, owned by %s', (kind, instances, longevity, cc, owner) => {
    const p = row(kind);
    expect(p.instances).toEqual(instances);
    expect(p.longevity).toBe(longevity);
    expect(p.changeControlled).toBe(cc);
    expect(p.owner).toBe(owner);
  });

  test(
    'ephemeral non-controlled data is destroyed with its stack; Pre-PROD and VAL ' +
      'keep a final snapshot; PROD is retained and deletion-protected',
    () => {
      expect(row('sandbox').stateful.database).toBe(RemovalPolicy.DESTROY);
      expect(row('migration').stateful.database).toBe(RemovalPolicy.DESTROY);
      expect(row('preprod').stateful.database).toBe(RemovalPolicy.SNAPSHOT);
      expect(row('val').stateful.database).toBe(RemovalPolicy.SNAPSHOT);
      expect(row('prod').stateful.database).toBe(RemovalPolicy.RETAIN);
      expect(row('prod').stateful.deletionProtection).toBe(true);
      expect(row('prod').stack.terminationProtection).toBe(true);
    },
  );

  test.each(ENVIRONMENT_KINDS)('%s: keys and secrets outlive any data that is kept (a snapshot is useless without its key)', (kind) => {
    const p = row(kind);
    if (p.stateful.database !== RemovalPolicy.DESTROY) expect(p.stateful.keysAndSecrets).not.toBe(RemovalPolicy.DESTROY);
  });

  test.each(ENVIRONMENT_KINDS)('%s: change-controlled or persistent stacks are termination-protected and keep audit logs', (kind) => {
    const p = row(kind);
    if (p.changeControlled || p.longevity === 'persistent') expect(p.stack.terminationProtection).toBe(true);
    if (p.changeControlled) expect(p.stateful.logs).toBe(RemovalPolicy.RETAIN);
  });

  test('persistent and change-controlled kinds are in an AWS Backup plan; the others are not', () => {
    for (const kind of ENVIRONMENT_KINDS) {
      const p = row(kind);
      expect(Boolean(p.backup.plan)).toBe(p.changeControlled || p.longevity === 'persistent');
    }
  });

  test(
    'ephemeral kinds run Aurora Serverless v2 that scales to zero; PROD runs a ' +
      'writer and a standby reader with a NAT gateway per zone',
    () => {
      for (const kind of ENVIRONMENT_KINDS.filter((k) => row(k).longevity === 'ephemeral')) {
        const db = row(kind).database;
        expect(db).toMatchObject({ mode: 'serverless', minAcu: 0 });
        expect(row(kind).app.minTasks).toBe(0);
        expect(row(kind).network).toEqual({ maxAzs: 2, natGateways: 'single' });
      }
      expect(row('prod').database).toMatchObject({ mode: 'provisioned', readers: 1 });
      expect(row('prod').network).toEqual({ maxAzs: 3, natGateways: 'perAz' });
      expect(row('prod').app.minTasksFloor).toBeGreaterThanOrEqual(2);
    },
  );

  test('only PROD writes the binary log a read replica needs', () => {
    expect(ENVIRONMENT_KINDS.filter((k) => row(k).binlogReplicationSource)).toEqual(['prod']);
  });

  test.each(ENVIRONMENT_KINDS)('%s: default backup and maintenance windows are valid and do not overlap', (kind) => {
    const m = parseMaintenanceWindow(row(kind).windows.maintenance);
    const b = parseBackupWindow(row(kind).windows.backup);
    expect(m.ok && b.ok).toBe(true);
    if (m.ok && b.ok) expect(backupOverlapsMaintenance(b.value, m.value)).toBe(false);
  });

  test('log retention grows with the weight of the records: PROD at least six years (HIPAA), change-controlled at least one', () => {
    expect(row('prod').logRetention).toBeGreaterThanOrEqual(2192);
    for (const kind of ENVIRONMENT_KINDS.filter((k) => row(k).changeControlled)) expect(row(kind).logRetention).toBeGreaterThanOrEqual(365);
  });
});
