/**
 * The control steps and the starter of the VAL scrubbed-copy workflow, with RDS, Secrets Manager
 * and Step Functions mocked (aws-sdk-client-mock) and the wait condition signal sent to a local
 * HTTP server.
 */
import * as http from 'http';
import {
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DBClusterNotFoundFault,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import {
  NotReady,
  StagingRun,
  TAG_EXECUTION,
  TAG_RUN,
  control,
  failureReason,
  starter,
  starterTiming,
} from '../../constructs/val-clone/handler/staging';

const rds = mockClient(RDSClient);
const secrets = mockClient(SecretsManagerClient);
const sfn = mockClient(SFNClient);
starterTiming.retryMs = 1;

const PASSWORD = 'Staging-Password-0123456789-abcdefghijkl';
const RUN: StagingRun = {
  role: 'main',
  runHash: 'abc123',
  copy: { kind: 'clone', sourceClusterIdentifier: 'clinspark-acme-prod-main' },
  stagingClusterIdentifier: 'clinspark-acme-val-main-staging-abc123',
  kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/val-main',
  subnetGroupName: 'staging-subnets',
  securityGroupId: 'sg-staging',
  clusterParameterGroupName: 'staging-params',
  capacity: { mode: 'serverless', minAcu: 0.5, maxAcu: 8 },
  stagingSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:staging',
  databaseName: 'clinspark',
  scrubbedSnapshotIdentifier: 'clinspark-acme-val-main-scrubbed-abc123',
  tags: { 'clinspark:customer': 'acme', 'clinspark:environment': 'val' },
};
const notFound = () => new DBClusterNotFoundFault({ message: 'not found', $metadata: {} });
const snapshotNotFound = () => Object.assign(new Error('not found'), { name: 'DBClusterSnapshotNotFoundFault' });

let logSpy: jest.SpyInstance;
beforeEach(() => {
  rds.reset();
  secrets.reset();
  sfn.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ run: 'abc123', password: PASSWORD }) });
  logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  // Nothing logged carries the staging password.
  for (const call of logSpy.mock.calls) expect(String(call[0])).not.toContain(PASSWORD);
  logSpy.mockRestore();
});

describe('staging restore', () => {
  test(
    'a clone: copy-on-write at the latest restorable time, VAL key, staging network ' + 'only, 1-day retention, no protection, run tags',
    async () => {
      rds.on(DescribeDBClustersCommand).rejects(notFound());
      rds.on(RestoreDBClusterToPointInTimeCommand).resolves({});
      await control({ action: 'restore', run: RUN });
      const input = rds.commandCalls(RestoreDBClusterToPointInTimeCommand)[0].args[0].input;
      expect(input).toMatchObject({
        DBClusterIdentifier: 'clinspark-acme-val-main-staging-abc123',
        SourceDBClusterIdentifier: 'clinspark-acme-prod-main',
        RestoreType: 'copy-on-write',
        UseLatestRestorableTime: true,
        KmsKeyId: RUN.kmsKeyId,
        DBSubnetGroupName: 'staging-subnets',
        VpcSecurityGroupIds: ['sg-staging'],
        DBClusterParameterGroupName: 'staging-params',
        BackupRetentionPeriod: 1,
        DeletionProtection: false,
        EnableIAMDatabaseAuthentication: false,
        CopyTagsToSnapshot: false,
      });
      expect(input.Tags).toEqual(
        expect.arrayContaining([
          { Key: TAG_RUN, Value: 'abc123' },
          { Key: 'clinspark:customer', Value: 'acme' },
        ]),
      );
      expect(input.EnableCloudwatchLogsExports).toBeUndefined();
    },
  );

  test('a pinned snapshot: RestoreDBClusterFromSnapshot with the same protections', async () => {
    rds.on(DescribeDBClustersCommand).rejects(notFound());
    rds.on(RestoreDBClusterFromSnapshotCommand).resolves({});
    await control({
      action: 'restore',
      run: { ...RUN, copy: { kind: 'snapshot', snapshotIdentifier: 'clinspark-acme-preprod-main-2026-11-18' } },
    });
    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)[0].args[0].input).toMatchObject({
      SnapshotIdentifier: 'clinspark-acme-preprod-main-2026-11-18',
      Engine: 'aurora-mysql',
      KmsKeyId: RUN.kmsKeyId,
      VpcSecurityGroupIds: ['sg-staging'],
      BackupRetentionPeriod: 1,
      DeletionProtection: false,
    });
    expect(rds.commandCalls(RestoreDBClusterToPointInTimeCommand)).toHaveLength(0);
  });

  test('a retry finds its own staging cluster and goes on; one still being deleted is waited for; a foreign one is refused', async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'creating', TagList: [{ Key: TAG_RUN, Value: 'abc123' }] }] });
    await expect(control({ action: 'restore', run: RUN })).resolves.toEqual({});
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'deleting', TagList: [] }] });
    await expect(control({ action: 'restore', run: RUN })).rejects.toBeInstanceOf(NotReady);
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'available', TagList: [{ Key: TAG_RUN, Value: 'other' }] }] });
    await expect(control({ action: 'restore', run: RUN })).rejects.toThrow(/exists and is not a staging copy of run abc123/);
    expect(rds.commandCalls(RestoreDBClusterToPointInTimeCommand)).toHaveLength(0);
  });
});

describe('staging set-up', () => {
  test('configure: the staging master password from its secret, capacity, retention 1 day, applied immediately', async () => {
    rds.on(ModifyDBClusterCommand).resolves({});
    await control({ action: 'configure', run: RUN });
    expect(rds.commandCalls(ModifyDBClusterCommand)[0].args[0].input).toEqual({
      DBClusterIdentifier: RUN.stagingClusterIdentifier,
      MasterUserPassword: PASSWORD,
      BackupRetentionPeriod: 1,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 },
      ApplyImmediately: true,
    });
  });

  test('the waits throw NotReady until RDS reports the resource ready', async () => {
    rds
      .on(DescribeDBClustersCommand)
      .resolves({ DBClusters: [{ Status: 'available', PendingModifiedValues: { MasterUserPassword: '****' } }] });
    await expect(control({ action: 'awaitConfigured', run: RUN })).rejects.toMatchObject({ name: 'NotReady' });
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'available', PendingModifiedValues: {} }] });
    await expect(control({ action: 'awaitConfigured', run: RUN })).resolves.toEqual({});
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'creating' }] });
    await expect(control({ action: 'awaitInstance', run: RUN })).rejects.toMatchObject({ name: 'NotReady' });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'available' }] });
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [{ Status: 'available', Endpoint: 'staging.cluster.example', Port: 3306, MasterUsername: 'clinspark_admin' }],
    });
    await expect(control({ action: 'awaitInstance', run: RUN })).resolves.toEqual({
      host: 'staging.cluster.example',
      port: 3306,
      masterUsername: 'clinspark_admin',
    });
  });

  test('createInstance: a private writer, created once', async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'available', DBClusterMembers: [] }] });
    rds.on(CreateDBInstanceCommand).resolves({});
    await control({ action: 'createInstance', run: RUN });
    expect(rds.commandCalls(CreateDBInstanceCommand)[0].args[0].input).toMatchObject({
      DBInstanceIdentifier: `${RUN.stagingClusterIdentifier}-w`,
      DBClusterIdentifier: RUN.stagingClusterIdentifier,
      DBInstanceClass: 'db.serverless',
      PubliclyAccessible: false,
    });
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [{ Status: 'available', DBClusterMembers: [{ DBInstanceIdentifier: `${RUN.stagingClusterIdentifier}-w` }] }],
    });
    await control({ action: 'createInstance', run: RUN });
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(1);
  });
});

describe('scrubbed snapshot and staging deletion', () => {
  test('snapshot: the deterministic identifier of the scrubbed staging cluster, tagged with run, execution and evidence', async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).rejects(snapshotNotFound());
    rds.on(CreateDBClusterSnapshotCommand).resolves({});
    await control({ action: 'snapshot', run: RUN, execution: 'main-abc123-x', evidenceKey: 'main/s.json' });
    const input = rds.commandCalls(CreateDBClusterSnapshotCommand)[0].args[0].input;
    expect(input).toMatchObject({
      DBClusterIdentifier: RUN.stagingClusterIdentifier,
      DBClusterSnapshotIdentifier: RUN.scrubbedSnapshotIdentifier,
    });
    expect(input.Tags).toEqual(
      expect.arrayContaining([
        { Key: TAG_EXECUTION, Value: 'main-abc123-x' },
        { Key: 'clinspark:scrub-evidence', Value: 'main/s.json' },
      ]),
    );
  });

  test('a snapshot under that name made by something else is refused (never taken as scrubbed)', async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [{ Status: 'available', TagList: [] }] });
    await expect(control({ action: 'snapshot', run: RUN, execution: 'main-abc123-x', evidenceKey: 'k' })).rejects.toThrow(
      /already exists \(made by someone else\)/,
    );
    expect(rds.commandCalls(CreateDBClusterSnapshotCommand)).toHaveLength(0);
  });

  test(
    'deleteStaging: every instance and the cluster, without a final snapshot and ' + 'with the automated backups; awaitDeleted until gone',
    async () => {
      rds.on(DescribeDBClustersCommand).resolves({
        DBClusters: [{ Status: 'available', DBClusterMembers: [{ DBInstanceIdentifier: 'w1' }, { DBInstanceIdentifier: 'r1' }] }],
      });
      rds.on(DeleteDBInstanceCommand).resolves({});
      rds.on(DeleteDBClusterCommand).resolves({});
      await control({ action: 'deleteStaging', run: RUN });
      expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
        { DBInstanceIdentifier: 'w1', SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
        { DBInstanceIdentifier: 'r1', SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
      ]);
      expect(rds.commandCalls(DeleteDBClusterCommand)[0].args[0].input).toEqual({
        DBClusterIdentifier: RUN.stagingClusterIdentifier,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      });
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'deleting' }] });
      await expect(control({ action: 'awaitDeleted', run: RUN })).rejects.toMatchObject({ name: 'NotReady' });
      rds.on(DescribeDBClustersCommand).rejects(notFound());
      await expect(control({ action: 'awaitDeleted', run: RUN })).resolves.toEqual({ deleted: true });
    },
  );

  test("cleanup after a failure: the staging copy and only this execution's snapshot go", async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        {
          Status: 'creating',
          TagList: [
            { Key: TAG_RUN, Value: 'abc123' },
            { Key: TAG_EXECUTION, Value: 'main-abc123-x' },
          ],
        },
      ],
    });
    rds.on(DeleteDBClusterSnapshotCommand).resolves({});
    rds
      .on(DescribeDBClustersCommand)
      .resolves({ DBClusters: [{ Status: 'available', DBClusterMembers: [{ DBInstanceIdentifier: 'w1' }] }] });
    await expect(control({ action: 'cleanup', run: RUN, execution: 'main-abc123-x' })).rejects.toMatchObject({ name: 'NotReady' });
    expect(rds.commandCalls(DeleteDBClusterSnapshotCommand)).toHaveLength(1);
    expect(rds.commandCalls(DeleteDBClusterCommand)[0].args[0].input).toMatchObject({
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
    rds.reset();
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        {
          Status: 'available',
          TagList: [
            { Key: TAG_RUN, Value: 'abc123' },
            { Key: TAG_EXECUTION, Value: 'another-run' },
          ],
        },
      ],
    });
    rds.on(DescribeDBClustersCommand).rejects(notFound());
    await expect(control({ action: 'cleanup', run: RUN, execution: 'main-abc123-x' })).resolves.toEqual({ deleted: true });
    expect(rds.commandCalls(DeleteDBClusterSnapshotCommand)).toHaveLength(0);
  });

  test('instances still being created: the cluster deletion is retried (NotReady), not failed', async () => {
    rds
      .on(DescribeDBClustersCommand)
      .resolves({ DBClusters: [{ Status: 'available', DBClusterMembers: [{ DBInstanceIdentifier: 'w1' }] }] });
    rds.on(DeleteDBInstanceCommand).rejects(Object.assign(new Error('creating'), { name: 'InvalidDBInstanceStateFault' }));
    rds.on(DeleteDBClusterCommand).rejects(Object.assign(new Error('has instances'), { name: 'InvalidDBClusterStateFault' }));
    await expect(control({ action: 'deleteStaging', run: RUN })).rejects.toMatchObject({ name: 'NotReady' });
  });
});

describe('wait condition signal', () => {
  let server: http.Server;
  let received: Array<{ method?: string; contentType?: string; body: string }>;
  let url: string;
  beforeAll(async () => {
    received = [];
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ method: req.method, contentType: req.headers['content-type'], body });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/handle?X-Amz-Signature=x`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('SUCCESS carries the scrubbed snapshot identifier as Data; FAILURE the redacted reason; PUT without a content type', async () => {
    await control({ action: 'signal', run: { ...RUN, handleUrl: url }, status: 'SUCCESS' });
    await control({
      action: 'signal',
      run: { ...RUN, handleUrl: url },
      status: 'FAILURE',
      error: { Error: 'Error', Cause: JSON.stringify({ errorMessage: 'PII scrub of database clinspark failed: verification failed' }) },
    });
    expect(received.map((r) => [r.method, r.contentType ?? ''])).toEqual([
      ['PUT', ''],
      ['PUT', ''],
    ]);
    expect(JSON.parse(received[0].body)).toEqual({
      Status: 'SUCCESS',
      Reason: `scrubbed and verified: ${RUN.scrubbedSnapshotIdentifier}`,
      UniqueId: 'main',
      Data: RUN.scrubbedSnapshotIdentifier,
    });
    expect(JSON.parse(received[1].body)).toMatchObject({
      Status: 'FAILURE',
      UniqueId: 'main',
      Reason: 'Error: PII scrub of database clinspark failed: verification failed',
    });
  });

  test('failureReason reads Step Functions causes and is bounded', () => {
    expect(failureReason(undefined)).toBe('the scrubbed-copy workflow failed');
    expect(failureReason({ Error: 'States.Timeout', Cause: 'plain' })).toBe('States.Timeout: plain');
    expect(failureReason({ Error: 'E', Cause: 'x'.repeat(5000) }).length).toBe(1000);
  });
});

describe('starter custom resource', () => {
  const props = {
    StateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:wf',
    Run: JSON.stringify(RUN),
    HandleUrl: 'https://cloudformation-waitcondition.example/handle',
  };

  test('Create starts one execution named after the run, with the handle URL; the execution ARN is the physical id', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:wf:main-abc123-4f0e2c1a9b7d' });
    const out = await starter({ RequestType: 'Create', RequestId: '4f0e2c1a-9b7d-4e55', ResourceProperties: props });
    expect(out).toEqual({
      PhysicalResourceId: 'arn:aws:states:eu-west-1:111122223333:execution:wf:main-abc123-4f0e2c1a9b7d',
      Data: { ExecutionName: 'main-abc123-4f0e2c1a9b7d' },
    });
    const input = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(input.name).toBe('main-abc123-4f0e2c1a9b7d');
    expect(JSON.parse(input.input ?? '')).toEqual({ run: { ...RUN, handleUrl: props.HandleUrl } });
  });

  test(
    'Create refuses a Run the control steps cannot carry out, naming the field, and ' + 'starts nothing; other fields pass through',
    async () => {
      sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:wf:x' });
      const { kmsKeyId: _kmsKeyId, ...withoutKey } = RUN;
      const broken: Record<string, unknown>[] = [
        withoutKey,
        { ...RUN, copy: { kind: 'export', sourceClusterIdentifier: 'x' } },
        { ...RUN, capacity: { mode: 'serverless', minAcu: 0.3, maxAcu: 4 } },
      ];
      for (const run of broken) {
        await expect(
          starter({ RequestType: 'Create', RequestId: 'r', ResourceProperties: { ...props, Run: JSON.stringify(run) } }),
        ).rejects.toThrow(/Run/);
      }
      await expect(
        starter({ RequestType: 'Create', RequestId: 'r', ResourceProperties: { ...props, Run: JSON.stringify(withoutKey) } }),
      ).rejects.toThrow(/kmsKeyId/);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);

      const withScrub = { ...RUN, scrub: { batchSize: 500 } };
      await starter({ RequestType: 'Create', RequestId: 'r', ResourceProperties: { ...props, Run: JSON.stringify(withScrub) } });
      const input = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
      expect(JSON.parse(input.input ?? '')).toEqual({ run: { ...withScrub, handleUrl: props.HandleUrl } });
    },
  );

  test('Update starts nothing (a new run is a new resource)', async () => {
    await expect(
      starter({ RequestType: 'Update', RequestId: 'r', PhysicalResourceId: 'arn:aws:states:x', ResourceProperties: props }),
    ).resolves.toEqual({ PhysicalResourceId: 'arn:aws:states:x' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  test(
    'Delete (rollback, timeout, refresh clean-up) stops a running execution, deletes ' + "staging and the run's scrubbed snapshot",
    async () => {
      sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
      sfn.on(StopExecutionCommand).resolves({});
      rds
        .on(DescribeDBClustersCommand)
        .resolves({ DBClusters: [{ Status: 'available', DBClusterMembers: [{ DBInstanceIdentifier: 'w1' }] }] });
      rds.on(DeleteDBInstanceCommand).resolves({});
      rds.on(DeleteDBClusterCommand).resolves({});
      rds.on(DescribeDBClusterSnapshotsCommand).resolves({
        DBClusterSnapshots: [
          {
            Status: 'available',
            TagList: [
              { Key: TAG_RUN, Value: 'abc123' },
              { Key: TAG_EXECUTION, Value: 'any' },
            ],
          },
        ],
      });
      rds.on(DeleteDBClusterSnapshotCommand).resolves({});
      await starter({ RequestType: 'Delete', RequestId: 'r', PhysicalResourceId: 'arn:aws:states:x', ResourceProperties: props });
      expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(1);
      expect(rds.commandCalls(DeleteDBClusterCommand)[0].args[0].input).toEqual({
        DBClusterIdentifier: RUN.stagingClusterIdentifier,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      });
      expect(rds.commandCalls(DeleteDBClusterSnapshotCommand)[0].args[0].input).toEqual({
        DBClusterSnapshotIdentifier: RUN.scrubbedSnapshotIdentifier,
      });
    },
  );

  test('Delete of a finished run whose staging copy is gone succeeds, and keeps a snapshot of another run', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    rds.on(DescribeDBClustersCommand).rejects(notFound());
    rds
      .on(DescribeDBClusterSnapshotsCommand)
      .resolves({ DBClusterSnapshots: [{ Status: 'available', TagList: [{ Key: TAG_RUN, Value: 'fff000' }] }] });
    await expect(
      starter({ RequestType: 'Delete', RequestId: 'r', PhysicalResourceId: 'arn:aws:states:x', ResourceProperties: props }),
    ).resolves.toEqual({ PhysicalResourceId: 'arn:aws:states:x' });
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
    expect(rds.commandCalls(DeleteDBClusterSnapshotCommand)).toHaveLength(0);
  });
});
