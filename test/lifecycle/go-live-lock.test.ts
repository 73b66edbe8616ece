/**
 * The stateful lock keeps a deployed PROD's data origin: once PROD Main was restored from
 * Pre-PROD at go-live (initialData), removing or changing initialData would replace PROD Main
 * (SnapshotIdentifier / SourceDBClusterIdentifier are create-only): cdk synth refuses it. (Adding
 * initialData to a deployed PROD is warned about by validation: lifecycle fixtures.) VAL (a new scrubbed
 * snapshot at every refresh) and Community (a wipe replaces its data on purpose) are not locked on it.
 */
import { App, Stack } from 'aws-cdk-lib';
import { loadFleet } from '../../lib/config';
import { CustomerConfig, Fleet } from '../../lib/config/model';
import { buildFleet } from '../../lib/fleet';
import { offlineApp } from '../../lib/offline-app';
import { compareLock, locksDataOrigin, statefulResources } from '../../lib/stateful-lock';
import { StatefulLock } from '../../lib/stateful-lock-file';
import { EXAMPLE_CONFIG } from '../support/fleet';

const example = loadFleet(EXAMPLE_CONFIG);
const PROD_DATA = 'clinspark-northwind-prod-data';

function lockOf(prod: Record<string, unknown>): StatefulLock {
  const app: App = offlineApp({ withoutBuiltinValidation: true });
  const change = (c: CustomerConfig): CustomerConfig => ({
    ...c,
    environments: { ...c.environments, prod: { ...c.environments.prod!, ...prod } },
  });
  const fleet: Fleet = { ...example, customers: example.customers.map((c) => (c.slug === 'northwind' ? change(c) : c)) };
  buildFleet(app, fleet, { owners: ['northwind'] });
  expect(app.node.children.filter(Stack.isStack).map((s) => s.stackName)).toContain(PROD_DATA);
  return statefulResources(app);
}

describe('go-live and the stateful lock', () => {
  const empty = lockOf({});
  const restored = lockOf({ initialData: { fromPreprodSnapshot: 'clinspark-northwind-preprod-main-golive' } });
  const mainCluster = Object.entries(restored[PROD_DATA]).find(([id]) => id.startsWith('MainDatabaseCluster'));

  test('a PROD restored at go-live records where its Main data came from; its Test does not', () => {
    expect(mainCluster?.[1]).toEqual({
      type: 'AWS::RDS::DBCluster',
      createOnly: { SnapshotIdentifier: 'clinspark-northwind-preprod-main-golive' },
    });
    const test = Object.entries(restored[PROD_DATA]).find(([id]) => id.startsWith('TestDatabaseCluster'));
    expect(test?.[1]).toBe('AWS::RDS::DBCluster');
  });

  test('removing initialData from the deployed PROD is refused as a replacement of PROD Main', () => {
    const diff = compareLock(restored, empty, new Set([PROD_DATA]));
    expect(diff.missing).toEqual([]);
    expect(diff.changed).toHaveLength(1);
    expect(diff.changed[0]).toMatch(
      /^clinspark-northwind-prod-data\/MainDatabaseCluster\w+ \(AWS::RDS::DBCluster\): SnapshotIdentifier changes from clinspark-northwind-preprod-main-golive to \(unset\); this create-only property makes CloudFormation replace the resource/,
    );
  });

  test('the same initialData passes; an origin the lock does not record (a lock from before origins were recorded) is not refused', () => {
    expect(
      compareLock(restored, lockOf({ initialData: { fromPreprodSnapshot: 'clinspark-northwind-preprod-main-golive' } })).changed,
    ).toEqual([]);
    expect(compareLock(empty, restored, new Set([PROD_DATA])).changed).toEqual([]);
  });

  test('the data origin is locked for every kind except VAL (refreshed copies) and Community (wipes)', () => {
    expect(['sandbox', 'migration', 'preprod', 'prod', 'demo'].every(locksDataOrigin)).toBe(true);
    expect(locksDataOrigin('val')).toBe(false);
    expect(locksDataOrigin('community')).toBe(false);
    expect(locksDataOrigin(undefined)).toBe(false);
  });
});
