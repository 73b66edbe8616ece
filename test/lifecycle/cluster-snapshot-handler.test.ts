/**
 * The lifecycle snapshot custom resource (constructs/lifecycle/handler/cluster-snapshot.ts) with
 * RDS mocked (aws-sdk-client-mock): pre-upgrade Create / Update / no-op / idempotent retry /
 * refusals, go-live once, Delete keeps, isComplete waits for `available`; and the names
 * (constructs/lifecycle/snapshot-names.ts) against the identifier rules.
 */
import {
  CreateDBClusterSnapshotCommand,
  DBClusterNotFoundFault,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import {
  REUSE_WINDOW_HOURS,
  TAG_PURPOSE,
  handler,
  isComplete,
  parseSnapshotProperties,
} from '../../constructs/lifecycle/handler/cluster-snapshot';
import {
  boundedIdentifier,
  goLiveSnapshotIdentifier,
  isSnapshotIdentifier,
  preUpgradeSnapshotIdentifier,
} from '../../constructs/lifecycle/snapshot-names';

const rds = mockClient(RDSClient);
const CLUSTER = 'clinspark-northwind-prod-main';
const ENGINE = '8.0.mysql_aurora.3.12.0';
const TAGS = { 'clinspark:customer': 'northwind', 'clinspark:environment': 'prod', 'clinspark:change-controlled': 'true' };
const props = (release: string, engine = ENGINE) => ({
  ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:x',
  Mode: 'pre-upgrade',
  ClusterIdentifier: CLUSTER,
  Release: release,
  EngineVersion: engine,
  Tags: TAGS,
});
const snapshotNotFound = () => Object.assign(new Error('not found'), { name: 'DBClusterSnapshotNotFoundFault' });
const clusterNotFound = () => new DBClusterNotFoundFault({ message: 'not found', $metadata: {} });

let logs: string[];
beforeEach(() => {
  rds.reset();
  logs = [];
  jest.spyOn(console, 'log').mockImplementation((line?: unknown) => void logs.push(String(line)));
  jest.spyOn(console, 'warn').mockImplementation((line?: unknown) => void logs.push(String(line)));
  jest.spyOn(console, 'error').mockImplementation((line?: unknown) => void logs.push(String(line)));
  rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: CLUSTER, Status: 'available' }] });
  rds.on(DescribeDBClusterSnapshotsCommand).rejects(snapshotNotFound());
  rds.on(CreateDBClusterSnapshotCommand).resolves({});
});
afterEach(() => jest.restoreAllMocks());

/** The pre-upgrade snapshot of CLUSTER from 2025.4.0-b2231 to 2026.1.0-b2410 (longer than 63 characters: hashed). */
const UPGRADE_ID = preUpgradeSnapshotIdentifier(
  CLUSTER,
  { release: '2025.4.0-b2231', engineVersion: ENGINE },
  { release: '2026.1.0-b2410', engineVersion: ENGINE },
);
const created = () => rds.commandCalls(CreateDBClusterSnapshotCommand).map((c) => c.args[0].input);
const tagsOf = (input: { Tags?: { Key?: string; Value?: string }[] }) =>
  Object.fromEntries((input.Tags ?? []).map((t) => [t.Key, t.Value]));

describe('names', () => {
  test('a release change: <cluster>-pre-<new>-from-<old>, sanitised to the identifier rules', () => {
    const id = preUpgradeSnapshotIdentifier(
      'clinspark-acme-prod-main',
      { release: '2025.4.0-b2231', engineVersion: ENGINE },
      { release: '2026.1.0-b2410', engineVersion: ENGINE },
    );
    expect(id).toBe('clinspark-acme-prod-main-pre-2026-1-0-b2410-from-2025-4-0-b2231');
    expect(isSnapshotIdentifier(id)).toBe(true);
  });

  test('an engine change alone is named after the engine versions', () => {
    expect(
      preUpgradeSnapshotIdentifier(
        'clinspark-acme-prod-main',
        { release: '2026.1.0-b2410', engineVersion: '8.0.mysql_aurora.3.10.0' },
        { release: '2026.1.0-b2410', engineVersion: ENGINE },
      ),
    ).toBe('clinspark-acme-prod-main-pre-aurora-3-12-0-from-aurora-3-10-0');
  });

  test('a name longer than 63 characters is cut and ends in a hash of the whole name; the cluster prefix stays', () => {
    const from = { release: '2025.4.0-b2231', engineVersion: ENGINE };
    const long = preUpgradeSnapshotIdentifier(CLUSTER, from, { release: '2026.1.0-b2410', engineVersion: ENGINE });
    const other = preUpgradeSnapshotIdentifier(CLUSTER, from, { release: '2026.1.0-b2411', engineVersion: ENGINE });
    for (const id of [long, other]) {
      expect(id.length).toBeLessThanOrEqual(63);
      expect(isSnapshotIdentifier(id)).toBe(true);
      expect(id).toMatch(/^clinspark-northwind-prod-main-pre-2026-1-0-b241[01]-[0-9a-f]{6}$/);
    }
    expect(long).not.toBe(other);
    // Deterministic: the ECR predicts what the handler takes.
    expect(preUpgradeSnapshotIdentifier(CLUSTER, from, { release: '2026.1.0-b2410', engineVersion: ENGINE })).toBe(long);
  });

  test.each([
    ['Upper.Case__and  spaces', 'x-upper-case-and-spaces'],
    ['--lead-and-trail--', 'x-lead-and-trail'],
    ['a..b', 'x-a-b'],
  ])('sanitising %j', (rest, expected) => {
    const id = boundedIdentifier('x-', rest);
    expect(id).toBe(expected);
    expect(isSnapshotIdentifier(id)).toBe(true);
  });

  test.each(['1abc', 'abc-', 'a--b', 'ABC', 'a_b', 'a'.repeat(64), ''])('%j is not a snapshot identifier', (id) => {
    expect(isSnapshotIdentifier(id)).toBe(false);
  });

  test('the go-live snapshot: <source cluster>-golive', () => {
    expect(goLiveSnapshotIdentifier('clinspark-acme-preprod-main')).toBe('clinspark-acme-preprod-main-golive');
  });
});

describe('properties', () => {
  test('every problem at once, naming the property', () => {
    expect(() => parseSnapshotProperties({ Mode: 'upgrade', ClusterIdentifier: 'Bad_Name' })).toThrow(
      /property 'Mode' must be 'pre-upgrade' or 'go-live'.*property 'ClusterIdentifier' must be an Aurora cluster identifier/,
    );
    expect(() => parseSnapshotProperties({ Mode: 'pre-upgrade', ClusterIdentifier: CLUSTER })).toThrow(
      /property 'Release' is required with Mode 'pre-upgrade'; property 'EngineVersion' is required/,
    );
    expect(() => parseSnapshotProperties({ Mode: 'go-live', ClusterIdentifier: CLUSTER, SnapshotIdentifier: 'x--y' })).toThrow(
      /property 'SnapshotIdentifier' must be a DB cluster snapshot identifier/,
    );
  });
});

describe('pre-upgrade', () => {
  test('Create on a new stack (the cluster does not exist yet): no snapshot, attribute none', async () => {
    rds.on(DescribeDBClustersCommand).rejects(clusterNotFound());
    const out = await handler({ RequestType: 'Create', ResourceProperties: props('2026.1.0-b2410') });
    expect(out).toEqual({ PhysicalResourceId: `none:${CLUSTER}`, Data: { SnapshotIdentifier: 'none' } });
    expect(created()).toEqual([]);
  });

  test('Create on a deployed stack (the cluster exists): snapshot <cluster>-pre-<release>-from-deployed, tagged', async () => {
    const out = await handler({ RequestType: 'Create', ResourceProperties: props('2026.1.0-b2410') });
    const id = preUpgradeSnapshotIdentifier(CLUSTER, undefined, { release: '2026.1.0-b2410', engineVersion: ENGINE });
    expect(id).toMatch(/^clinspark-northwind-prod-main-pre-2026-1-0-b2410-from-deployed$/);
    expect(out).toEqual({ PhysicalResourceId: id, Data: { SnapshotIdentifier: id } });
    expect(created()).toEqual([expect.objectContaining({ DBClusterIdentifier: CLUSTER, DBClusterSnapshotIdentifier: id })]);
    expect(tagsOf(created()[0])).toMatchObject({ ...TAGS, [TAG_PURPOSE]: 'pre-upgrade', 'clinspark:to-release': '2026.1.0-b2410' });
  });

  test('Update with a new release: snapshot named after old and new, tagged with both, before anything else', async () => {
    const out = await handler({
      RequestType: 'Update',
      PhysicalResourceId: `none:${CLUSTER}`,
      ResourceProperties: props('2026.1.0-b2410'),
      OldResourceProperties: props('2025.4.0-b2231'),
    });
    const id = preUpgradeSnapshotIdentifier(
      CLUSTER,
      { release: '2025.4.0-b2231', engineVersion: ENGINE },
      { release: '2026.1.0-b2410', engineVersion: ENGINE },
    );
    expect(out).toEqual({ PhysicalResourceId: id, Data: { SnapshotIdentifier: id } });
    expect(created()).toHaveLength(1);
    expect(logs.join('\n')).toContain('"event":"snapshot-started"');
    expect(tagsOf(created()[0])).toMatchObject({
      ...TAGS,
      [TAG_PURPOSE]: 'pre-upgrade',
      'clinspark:snapshot-of': CLUSTER,
      'clinspark:from-release': '2025.4.0-b2231',
      'clinspark:to-release': '2026.1.0-b2410',
      'clinspark:from-engine': ENGINE,
      'clinspark:to-engine': ENGINE,
    });
  });

  test('Update with a new engine version only: snapshot named after the engine versions', async () => {
    const out = await handler({
      RequestType: 'Update',
      PhysicalResourceId: 'earlier-snapshot',
      ResourceProperties: props('2026.1.0-b2410', ENGINE),
      OldResourceProperties: props('2026.1.0-b2410', '8.0.mysql_aurora.3.10.0'),
    });
    // 66 characters in full: the new engine and a hash of the whole name.
    expect(out.Data?.SnapshotIdentifier).toMatch(/^clinspark-northwind-prod-main-pre-aurora-3-12-0-[0-9a-f]{6}$/);
    expect(created()[0].DBClusterSnapshotIdentifier).toBe(out.Data?.SnapshotIdentifier);
    expect(tagsOf(created()[0])).toMatchObject({ 'clinspark:from-engine': '8.0.mysql_aurora.3.10.0', 'clinspark:to-engine': ENGINE });
  });

  test('Update with the same release and engine (other properties changed): no snapshot, the previous identifier returned', async () => {
    const previous = UPGRADE_ID;
    const out = await handler({
      RequestType: 'Update',
      PhysicalResourceId: previous,
      ResourceProperties: { ...props('2026.1.0-b2410'), Tags: { ...TAGS, extra: 'x' } },
      OldResourceProperties: props('2026.1.0-b2410'),
    });
    expect(out).toEqual({ PhysicalResourceId: previous, Data: { SnapshotIdentifier: previous } });
    expect(created()).toEqual([]);
    expect(rds.commandCalls(DescribeDBClustersCommand)).toEqual([]);
  });

  test('a no-op Update of a resource that never took a snapshot keeps returning none', async () => {
    const out = await handler({
      RequestType: 'Update',
      PhysicalResourceId: `none:${CLUSTER}`,
      ResourceProperties: props('2026.1.0-b2410'),
      OldResourceProperties: props('2026.1.0-b2410'),
    });
    expect(out).toEqual({ PhysicalResourceId: `none:${CLUSTER}`, Data: { SnapshotIdentifier: 'none' } });
  });

  test('an Update whose cluster does not exist (a VAL refresh names a new cluster): no snapshot', async () => {
    rds.on(DescribeDBClustersCommand).rejects(clusterNotFound());
    const out = await handler({
      RequestType: 'Update',
      PhysicalResourceId: 'x',
      ResourceProperties: props('2026.1.0-b2410'),
      OldResourceProperties: props('2025.4.0-b2231'),
    });
    expect(out.Data).toEqual({ SnapshotIdentifier: 'none' });
    expect(created()).toEqual([]);
  });

  test('a retried deployment: an existing snapshot of ours, recent or still being created, is accepted (no second create)', async () => {
    const id = UPGRADE_ID;
    for (const existing of [{ Status: 'creating' }, { Status: 'available', SnapshotCreateTime: new Date(Date.now() - 60 * 60_000) }]) {
      rds.reset();
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: CLUSTER }] });
      rds.on(DescribeDBClusterSnapshotsCommand).resolves({
        DBClusterSnapshots: [
          {
            DBClusterSnapshotIdentifier: id,
            DBClusterIdentifier: CLUSTER,
            TagList: [{ Key: TAG_PURPOSE, Value: 'pre-upgrade' }],
            ...existing,
          },
        ],
      });
      const out = await handler({
        RequestType: 'Update',
        PhysicalResourceId: 'x',
        ResourceProperties: props('2026.1.0-b2410'),
        OldResourceProperties: props('2025.4.0-b2231'),
      });
      expect(out.Data?.SnapshotIdentifier).toBe(id);
      expect(created()).toEqual([]);
    }
  });

  test('a race (DBClusterSnapshotAlreadyExistsFault on create) is accepted when the snapshot is ours', async () => {
    const id = UPGRADE_ID;
    rds
      .on(DescribeDBClusterSnapshotsCommand)
      .rejectsOnce(snapshotNotFound())
      .resolves({
        DBClusterSnapshots: [
          {
            DBClusterSnapshotIdentifier: id,
            DBClusterIdentifier: CLUSTER,
            Status: 'creating',
            TagList: [{ Key: TAG_PURPOSE, Value: 'pre-upgrade' }],
          },
        ],
      });
    rds.on(CreateDBClusterSnapshotCommand).rejects(Object.assign(new Error('exists'), { name: 'DBClusterSnapshotAlreadyExistsFault' }));
    const out = await handler({
      RequestType: 'Update',
      PhysicalResourceId: 'x',
      ResourceProperties: props('2026.1.0-b2410'),
      OldResourceProperties: props('2025.4.0-b2231'),
    });
    expect(out.Data?.SnapshotIdentifier).toBe(id);
  });

  test.each([
    [
      'older than the reuse window (it does not hold the current data)',
      { Status: 'available', SnapshotCreateTime: new Date(Date.now() - (REUSE_WINDOW_HOURS + 1) * 3_600_000), purpose: 'pre-upgrade' },
      /more than 24 hours ago: it does not hold the current data/,
    ],
    [
      'not made by this resource',
      { Status: 'available', SnapshotCreateTime: new Date(), purpose: undefined },
      /was not made by this resource/,
    ],
    ['failed', { Status: 'failed', SnapshotCreateTime: new Date(), purpose: 'pre-upgrade' }, /is failed; delete it/],
  ])('an existing snapshot %s is refused', async (_what, existing, message) => {
    const id = UPGRADE_ID;
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: id,
          DBClusterIdentifier: CLUSTER,
          Status: existing.Status,
          SnapshotCreateTime: existing.SnapshotCreateTime,
          TagList: existing.purpose ? [{ Key: TAG_PURPOSE, Value: existing.purpose }] : [],
        },
      ],
    });
    await expect(
      handler({
        RequestType: 'Update',
        PhysicalResourceId: 'x',
        ResourceProperties: props('2026.1.0-b2410'),
        OldResourceProperties: props('2025.4.0-b2231'),
      }),
    ).rejects.toThrow(message);
    expect(created()).toEqual([]);
  });

  test('an RDS error names the call and the snapshot', async () => {
    rds.on(CreateDBClusterSnapshotCommand).rejects(Object.assign(new Error('cluster is stopped'), { name: 'InvalidDBClusterStateFault' }));
    await expect(
      handler({
        RequestType: 'Update',
        PhysicalResourceId: 'x',
        ResourceProperties: props('2026.1.0-b2410'),
        OldResourceProperties: props('2025.4.0-b2231'),
      }),
    ).rejects.toThrow(
      /CreateDBClusterSnapshot clinspark-northwind-prod-main-pre-.* of clinspark-northwind-prod-main failed: InvalidDBClusterStateFault cluster is stopped/,
    );
  });

  test('Delete: nothing, the snapshot stays', async () => {
    const id = UPGRADE_ID;
    const out = await handler({ RequestType: 'Delete', PhysicalResourceId: id, ResourceProperties: props('2026.1.0-b2410') });
    expect(out).toEqual({ PhysicalResourceId: id });
    expect(rds.calls()).toEqual([]);
  });
});

describe('go-live', () => {
  const SOURCE = 'clinspark-acme-preprod-main';
  const goLive = {
    Mode: 'go-live',
    ClusterIdentifier: SOURCE,
    SnapshotIdentifier: `${SOURCE}-golive`,
    Tags: { 'clinspark:environment': 'prod' },
  };

  test('Create: one snapshot of the source cluster under the fixed name', async () => {
    const out = await handler({ RequestType: 'Create', ResourceProperties: goLive });
    expect(out).toEqual({ PhysicalResourceId: `${SOURCE}-golive`, Data: { SnapshotIdentifier: `${SOURCE}-golive` } });
    expect(created()).toEqual([expect.objectContaining({ DBClusterIdentifier: SOURCE, DBClusterSnapshotIdentifier: `${SOURCE}-golive` })]);
    expect(tagsOf(created()[0])).toMatchObject({ [TAG_PURPOSE]: 'go-live', 'clinspark:snapshot-of': SOURCE });
  });

  test('Create without the source cluster fails with the way out', async () => {
    rds.on(DescribeDBClustersCommand).rejects(clusterNotFound());
    await expect(handler({ RequestType: 'Create', ResourceProperties: goLive })).rejects.toThrow(
      /source cluster clinspark-acme-preprod-main does not exist; deploy Pre-PROD first, or go live from a snapshot/,
    );
  });

  test('Update never takes another snapshot (PROD Main was restored from the first)', async () => {
    const out = await handler({
      RequestType: 'Update',
      PhysicalResourceId: `${SOURCE}-golive`,
      ResourceProperties: { ...goLive, Tags: { other: 'tag' } },
      OldResourceProperties: goLive,
    });
    expect(out).toEqual({ PhysicalResourceId: `${SOURCE}-golive`, Data: { SnapshotIdentifier: `${SOURCE}-golive` } });
    expect(rds.calls()).toEqual([]);
  });
});

describe('isComplete', () => {
  const event = (id: string) => ({
    RequestType: 'Update' as const,
    ResourceProperties: props('x'),
    PhysicalResourceId: id,
    Data: { SnapshotIdentifier: id },
  });

  test('nothing to wait for: none, or Delete', async () => {
    expect(await isComplete(event('none'))).toEqual({ IsComplete: true });
    expect(await isComplete({ RequestType: 'Delete', ResourceProperties: {}, PhysicalResourceId: 'x' })).toEqual({ IsComplete: true });
    expect(rds.calls()).toEqual([]);
  });

  test('creating: not yet; available: complete', async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [{ Status: 'creating', PercentProgress: 40 }] });
    expect(await isComplete(event('snap-a'))).toEqual({ IsComplete: false });
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [{ Status: 'available' }] });
    expect(await isComplete(event('snap-a'))).toEqual({ IsComplete: true });
  });

  test('a failed or vanished snapshot fails the deployment', async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [{ Status: 'failed' }] });
    await expect(isComplete(event('snap-a'))).rejects.toThrow(/snapshot snap-a is failed, not available/);
    rds.on(DescribeDBClusterSnapshotsCommand).rejects(snapshotNotFound());
    await expect(isComplete(event('snap-a'))).rejects.toThrow(/snap-a disappeared/);
  });
});
