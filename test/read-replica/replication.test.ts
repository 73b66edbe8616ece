/**
 * The replication handler. The source side (replication user, grants, REQUIRE SSL) runs for real
 * on the test MariaDB; the replica side runs against stand-ins of Aurora's mysql.rds_* procedures
 * in a scratch schema (see aurora-stand-ins.ts), one per test.
 */
import { DescribeDBClustersCommand, ModifyDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import * as mysql from 'mysql2/promise';
import { CustomResourceEvent, CustomResourceResponse } from '../../constructs/core/runtime/custom-resource';
import { nativePasswordHash } from '../../constructs/core/runtime/redaction';
import { createReplicationHandler, isReservedAccount, ReplicationHandlerOptions } from '../../constructs/read-replica/handler/replication';
import { adminConnection, dropDatabase, scratchDatabase, testServer } from '../support/db';
import {
  createAuroraStandIns,
  recordedCalls,
  recordedSourceCalls,
  setBehaviour,
  setReplicaStatus,
  setSourceConfiguration,
  sourceConfiguration,
} from './aurora-stand-ins';
import { closedPort, connectAs, ConsoleCapture, errnoOf, expectNoSecretIn, FakeSecretsManager, SqlCapture, uniqueName } from './support';

const SOURCE_SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme-prod-main-master-AbCdEf';
const REPLICA_SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme-prod-replica-master-GhIjKl';
const REPLICATION_SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme-prod-replication-MnOpQr';
const SOURCE_HOST = 'acme-prod-main.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com';
const START_TIMEOUT_MS = 600;

let secrets: FakeSecretsManager;
const consoleCapture = new ConsoleCapture();
const sqlCapture = new SqlCapture();
let admin: mysql.Connection;
let appSchema: string;
let standIns: string;
const schemas: string[] = [];
const users: string[] = [];
const replicationPasswords: string[] = [];
const errorsSeen: string[] = [];
const dataSeen: string[] = [];

function handler(extra: ReplicationHandlerOptions = {}) {
  return createReplicationHandler({
    procedureSchema: standIns,
    replicaStatusStatement: `CALL \`${standIns}\`.rds_show_replica_status()`,
    startTimeoutMs: START_TIMEOUT_MS,
    pollIntervalMs: 20,
    connectTimeoutMs: 3000,
    deleteConnectTimeoutMs: 2000,
    // Only accounts a test made to be inherited (the server is shared with parallel test files).
    lockableAccounts: 'rr\\_inherited\\_%',
    ...extra,
  });
}

async function run(e: CustomResourceEvent, extra: ReplicationHandlerOptions = {}): Promise<CustomResourceResponse> {
  try {
    const out = await handler(extra)(e);
    dataSeen.push(JSON.stringify(out));
    return out;
  } catch (error) {
    errorsSeen.push(`${(error as Error).message}\n${(error as Error).stack}`);
    throw error;
  }
}

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  props: Record<string, string>,
  extra: Partial<CustomResourceEvent> = {},
): CustomResourceEvent {
  return {
    RequestType: requestType,
    RequestId: uniqueName('req-'),
    LogicalResourceId: 'Replication',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:provider', ...props },
    ...extra,
  };
}

function props(user: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    SourceSecretArn: SOURCE_SECRET,
    ReplicaSecretArn: REPLICA_SECRET,
    ReplicationUser: user,
    ReplicationSecretArn: REPLICATION_SECRET,
    SourceHost: SOURCE_HOST,
    SourcePort: '3306',
    ...overrides,
  };
}

/** A new replication user and its secret (CDK-style JSON, 32 characters: the CHANGE REPLICATION SOURCE limit). */
function newReplicationUser(): { user: string; password: string } {
  const user = uniqueName('clinspark_repl_');
  users.push(user);
  return { user, password: setReplicationPassword(user) };
}

function setReplicationPassword(user: string): string {
  const password = `Rp-${uniqueName('')}${uniqueName('')}-x9`.slice(0, 32);
  replicationPasswords.push(password);
  secrets.values.set(REPLICATION_SECRET, JSON.stringify({ username: user, password }));
  return password;
}

async function globalPrivileges(user: string): Promise<Array<{ p: string; g: string }>> {
  const [rows] = await admin.query(
    'SELECT PRIVILEGE_TYPE AS p, IS_GRANTABLE AS g FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ? ORDER BY 1',
    [`'${user}'@'%'`],
  );
  return rows as Array<{ p: string; g: string }>;
}

async function otherPrivilegeCount(user: string): Promise<number> {
  const grantee = `'${user}'@'%'`;
  const [rows] = await admin.query(
    [
      'SELECT (SELECT COUNT(*) FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?)',
      ' + (SELECT COUNT(*) FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ?)',
      ' + (SELECT COUNT(*) FROM information_schema.COLUMN_PRIVILEGES WHERE GRANTEE = ?) AS n',
    ].join(''),
    [grantee, grantee, grantee],
  );
  return Number((rows as Array<{ n: number }>)[0].n);
}

async function sslType(user: string): Promise<string | undefined> {
  const [rows] = await admin.query('SELECT ssl_type FROM mysql.user WHERE User = ? AND Host = ?', [user, '%']);
  return (rows as Array<{ ssl_type: string }>)[0]?.ssl_type;
}

const names = (calls: Array<{ name: string }>) => calls.map((c) => c.name);

beforeAll(async () => {
  process.env.DB_CA_BUNDLE_FILE = testServer().caPath;
  process.env.AWS_REGION = 'eu-west-1';
  secrets = new FakeSecretsManager();
  admin = await adminConnection();
  appSchema = await scratchDatabase('repl_app');
  schemas.push(appSchema);
  await admin.query(`CREATE TABLE \`${appSchema}\`.volunteer (id INT PRIMARY KEY, initials VARCHAR(8))`);
  await admin.query(`INSERT INTO \`${appSchema}\`.volunteer VALUES (1, 'ABC')`);
});

afterAll(async () => {
  for (const user of users) await admin.query(`DROP USER IF EXISTS ?@'%'`, [user]);
  await Promise.all(schemas.map((s) => dropDatabase(s)));
  await admin.end();
  secrets.restore();
});

beforeEach(async () => {
  secrets.reset();
  secrets.putMasterSecret(SOURCE_SECRET);
  secrets.putMasterSecret(REPLICA_SECRET);
  standIns = await scratchDatabase('aurora_rds');
  schemas.push(standIns);
  await createAuroraStandIns(standIns);
  errorsSeen.length = 0;
  dataSeen.length = 0;
  consoleCapture.start();
});

afterEach(() => {
  consoleCapture.stop();
  sqlCapture.stop();
  expectNoSecretIn(
    { 'the handler log': consoleCapture.text, 'the returned Data': dataSeen.join('\n'), 'a thrown error': errorsSeen.join('\n') },
    [...replicationPasswords, testServer().adminPassword],
  );
});

describe('replication custom resource', () => {
  test(
    'GIVEN a fresh pair WHEN created THEN the source has a least-privilege TLS-only ' +
      'replication user and the replica replicates over TLS',
    async () => {
      const { user, password } = newReplicationUser();
      await setBehaviour(admin, standIns, { seconds_behind: 3 });

      const out = await run(event('Create', props(user)));

      expect(out.Data).toEqual({ ReplicationRunning: 'true', SecondsBehindSource: '3' });
      expect(out.PhysicalResourceId).toBe(`replication/${user}@${SOURCE_HOST}:3306`);
      // Replica: configured with GTID auto-position, TLS switched on, then started; in that order.
      expect(await recordedCalls(admin, standIns)).toEqual([
        { name: 'rds_set_external_source_with_auto_position', args: [SOURCE_HOST, 3306, user, password, 0] },
        { name: 'rds_set_binlog_source_ssl', args: [1] },
        { name: 'rds_start_replication', args: [] },
      ]);
      // Source: exactly REPLICATION SLAVE on *.*, no GRANT OPTION, nothing else anywhere, REQUIRE SSL.
      expect(await globalPrivileges(user)).toEqual([{ p: 'REPLICATION SLAVE', g: 'NO' }]);
      expect(await otherPrivilegeCount(user)).toBe(0);
      expect(await sslType(user)).toBe('ANY');
    },
  );

  test('GIVEN the replication user WHEN it logs in THEN TLS is required and application data is out of reach', async () => {
    const { user, password } = newReplicationUser();
    await run(event('Create', props(user)));

    expect(await errnoOf(connectAs(user, password, { tls: false }))).toBe(1045);
    const repl = await connectAs(user, password);
    try {
      expect(await errnoOf(repl.query(`SELECT * FROM \`${appSchema}\`.volunteer`))).toBe(1142);
      expect(await errnoOf(repl.query('SELECT * FROM mysql.user'))).toBe(1142);
      expect(await errnoOf(repl.query(`CREATE TABLE \`${appSchema}\`.x (id INT)`))).toBe(1142);
      const [dbs] = await repl.query('SHOW DATABASES');
      expect((dbs as Array<{ Database: string }>).map((r) => r.Database)).toEqual(['information_schema']);
    } finally {
      await repl.end();
    }
  });

  test('GIVEN replication already running as configured WHEN created again THEN nothing changes', async () => {
    const { user } = newReplicationUser();
    await run(event('Create', props(user)));
    const callsBefore = await recordedCalls(admin, standIns);
    const [hashBefore] = await admin.query('SELECT Password FROM mysql.user WHERE User = ?', [user]);

    sqlCapture.start();
    const out = await run(event('Create', props(user)));
    sqlCapture.stop();

    expect(out.Data).toEqual({ ReplicationRunning: 'true', SecondsBehindSource: '0' });
    expect(sqlCapture.statements.length).toBeGreaterThan(0);
    expect(sqlCapture.writes()).toEqual([]);
    expect(await recordedCalls(admin, standIns)).toEqual(callsBefore);
    expect((await admin.query('SELECT Password FROM mysql.user WHERE User = ?', [user]))[0]).toEqual(hashBefore);
    expect(consoleCapture.text).toMatch(/unchanged/);
  });

  test(
    'no audited account statement carries the replication password: CREATE USER ' +
      'sends its mysql_native_password hash; only the replication procedure gets the ' +
      'password, as a placeholder value',
    async () => {
      const { user, password } = newReplicationUser();
      sqlCapture.start();
      await run(event('Create', props(user)));
      sqlCapture.stop();
      const withPassword = sqlCapture.statements.filter((s) => Array.isArray(s.values) && s.values.includes(password));
      expect(withPassword.map((s) => s.sql)).toEqual([
        `CALL \`${standIns}\`.\`rds_set_external_source_with_auto_position\`(?, ?, ?, ?, ?)`,
      ]);
      expect(sqlCapture.statements.filter((s) => s.sql.includes(password))).toEqual([]);
      // Typed values: the port and ssl_encryption go to the procedure as integers.
      expect(withPassword[0].values).toEqual([SOURCE_HOST, 3306, user, password, 0]);
      const create = sqlCapture.statements.find((s) => s.sql.startsWith('CREATE USER'));
      expect(create?.sql).toBe('CREATE USER ?@? IDENTIFIED WITH mysql_native_password AS ? REQUIRE SSL');
      expect(create?.values).toEqual([user, '%', nativePasswordHash(password)]);
      // ... and the hash is what the server stores: the password logs in.
      const repl = await connectAs(user, password);
      await repl.end();
    },
  );

  test(
    'GIVEN a rotated replication password WHEN updated THEN the source user gets it ' + 'and the replica is reset and restarted with it',
    async () => {
      const { user, password: oldPassword } = newReplicationUser();
      const created = await run(event('Create', props(user)));
      const newPassword = setReplicationPassword(user);

      const out = await run(
        event('Update', props(user), { PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: props(user) }),
      );

      expect(out).toEqual({
        PhysicalResourceId: created.PhysicalResourceId,
        Data: { ReplicationRunning: 'true', SecondsBehindSource: '0' },
      });
      expect(await errnoOf(connectAs(user, oldPassword))).toBe(1045);
      const repl = await connectAs(user, newPassword);
      await repl.end();
      const calls = await recordedCalls(admin, standIns);
      expect(names(calls.slice(3))).toEqual([
        'rds_stop_replication',
        'rds_reset_external_source',
        'rds_set_external_source_with_auto_position',
        'rds_set_binlog_source_ssl',
        'rds_start_replication',
      ]);
      expect(calls[5].args).toEqual([SOURCE_HOST, 3306, user, newPassword, 0]);
      expect(await globalPrivileges(user)).toEqual([{ p: 'REPLICATION SLAVE', g: 'NO' }]);
      expect(await sslType(user)).toBe('ANY');
    },
  );

  test(
    'GIVEN the password was rotated but no property changed WHEN the Create is ' + 're-run THEN the change is detected and applied too',
    async () => {
      const { user } = newReplicationUser();
      await run(event('Create', props(user)));
      const newPassword = setReplicationPassword(user);

      await run(event('Create', props(user)));

      const calls = await recordedCalls(admin, standIns);
      expect(calls.filter((c) => c.name === 'rds_set_external_source_with_auto_position').map((c) => c.args[3])).toEqual([
        expect.any(String),
        newPassword,
      ]);
      const repl = await connectAs(user, newPassword);
      await repl.end();
    },
  );

  test(
    'GIVEN privileges or REQUIRE SSL changed by hand on the source WHEN re-run THEN ' +
      'the user is restored to REPLICATION SLAVE + REQUIRE SSL',
    async () => {
      const { user } = newReplicationUser();
      await run(event('Create', props(user)));
      await admin.query(`GRANT SELECT ON \`${appSchema}\`.* TO ?@'%'`, [user]);
      await admin.query(`GRANT REPLICATION CLIENT, PROCESS ON *.* TO ?@'%' WITH GRANT OPTION`, [user]);
      await admin.query(`ALTER USER ?@'%' REQUIRE NONE`, [user]);

      await run(event('Create', props(user)));

      expect(await globalPrivileges(user)).toEqual([{ p: 'REPLICATION SLAVE', g: 'NO' }]);
      expect(await otherPrivilegeCount(user)).toBe(0);
      expect(await sslType(user)).toBe('ANY');
    },
  );

  test(
    'GIVEN the I/O thread cannot connect WHEN created THEN the error carries ' + 'Last_IO_Error, no password, and the Create is undone',
    async () => {
      const { user, password } = newReplicationUser();
      await setBehaviour(admin, standIns, {
        final_io: 'Connecting',
        io_errno: 2061,
        io_error:
          `error connecting to source '${user}@${SOURCE_HOST}:3306' - retry-time: 60 ` +
          `retries: 1 message: Access denied for user '${user}'@'10.0.12.34' (using ` +
          `password: YES) {password}`,
        connecting_polls: 1,
      });
      const started = Date.now();

      const failure = run(event('Create', props(user)));

      await expect(failure).rejects.toThrow(/replication did not start within 1 s: Replica_IO_Running=Connecting, Replica_SQL_Running=Yes/);
      await expect(failure).rejects.toThrow(/Last_IO_Errno=2061, Last_IO_Error=.*Access denied for user/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(START_TIMEOUT_MS);
      expect(errorsSeen.join('\n')).not.toContain(password);
      expect(errorsSeen.join('\n')).toContain('*****');
      // Undone: the replica's configuration is reset and the user created by this Create is dropped.
      expect(names(await recordedCalls(admin, standIns)).slice(-2)).toEqual(['rds_stop_replication', 'rds_reset_external_source']);
      expect(await globalPrivileges(user)).toEqual([]);
    },
  );

  test('GIVEN the SQL thread stops with an error THEN the handler fails at once with Last_SQL_Error', async () => {
    const { user } = newReplicationUser();
    await setBehaviour(admin, standIns, {
      final_sql: 'No',
      sql_errno: 1146,
      sql_error: "Error executing row event: 'Table 'clinspark.visit' doesn't exist'",
    });

    await expect(run(event('Create', props(user)))).rejects.toThrow(
      /a replication thread stopped with an error.*Last_SQL_Errno=1146, Last_SQL_Error=.*Table 'clinspark.visit' doesn't exist/,
    );
  });

  test('GIVEN replication would run without TLS THEN the handler refuses it', async () => {
    const { user } = newReplicationUser();
    await setBehaviour(admin, standIns, { ssl_effective: 0 });

    await expect(run(event('Create', props(user)))).rejects.toThrow(/replication runs without TLS \(Source_SSL_Allowed=No\); refusing/);
  });

  test('GIVEN a replication password longer than 32 characters THEN the handler refuses before changing anything', async () => {
    const { user } = newReplicationUser();
    const long = 'L0ng-Password-That-Does-Not-Fit-In-Change-Replication-Source';
    replicationPasswords.push(long);
    secrets.values.set(REPLICATION_SECRET, JSON.stringify({ username: user, password: long }));

    await expect(run(event('Create', props(user)))).rejects.toThrow(
      new RegExp(`the password has ${long.length} characters; CHANGE REPLICATION SOURCE TO accepts at most 32`),
    );
    expect(await globalPrivileges(user)).toEqual([]);
    expect(await recordedCalls(admin, standIns)).toEqual([]);
  });

  test('GIVEN a replication secret for another user THEN the handler says so', async () => {
    const { user } = newReplicationUser();
    secrets.values.set(REPLICATION_SECRET, JSON.stringify({ username: 'someone_else', password: 'Abc-123' }));
    await expect(run(event('Create', props(user)))).rejects.toThrow(/is for user "someone_else", but ReplicationUser is/);
  });

  test('GIVEN a new ReplicationUser WHEN updated THEN the new user replicates and the old one is dropped', async () => {
    const first = newReplicationUser();
    const created = await run(event('Create', props(first.user)));
    const second = newReplicationUser();

    const out = await run(
      event('Update', props(second.user), { PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: props(first.user) }),
    );

    expect(out.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(await globalPrivileges(second.user)).toEqual([{ p: 'REPLICATION SLAVE', g: 'NO' }]);
    expect(await globalPrivileges(first.user)).toEqual([]);
    const calls = await recordedCalls(admin, standIns);
    expect(calls.filter((c) => c.name === 'rds_set_external_source_with_auto_position').pop()!.args[2]).toBe(second.user);
  });

  test('GIVEN running replication WHEN deleted THEN the replica is stopped and reset and the user dropped', async () => {
    const { user, password } = newReplicationUser();
    const created = await run(event('Create', props(user)));

    const out = await run(event('Delete', props(user), { PhysicalResourceId: created.PhysicalResourceId }));

    expect(out).toEqual({ PhysicalResourceId: created.PhysicalResourceId });
    expect(names(await recordedCalls(admin, standIns)).slice(3)).toEqual(['rds_stop_replication', 'rds_reset_external_source']);
    expect(await globalPrivileges(user)).toEqual([]);
    expect(await errnoOf(connectAs(user, password))).toBe(1045);
  });

  test('GIVEN the replica replicates from another source WHEN deleted THEN the replica is left alone', async () => {
    const { user } = newReplicationUser();
    await setReplicaStatus(admin, standIns, { host: 'other-source.example.internal', port: 3306, user: 'other', running: true });

    await run(event('Delete', props(user), { PhysicalResourceId: 'replication/x' }));

    expect(await recordedCalls(admin, standIns)).toEqual([]);
    expect(consoleCapture.text).toMatch(/replicates from other-source\.example\.internal:3306, not from .*; left unchanged/);
  });

  test('GIVEN the replica is unreachable and the source secret is gone WHEN deleted THEN the delete succeeds with warnings', async () => {
    const { user } = newReplicationUser();
    await run(event('Create', props(user)));
    secrets.putMasterSecret(REPLICA_SECRET, { port: await closedPort() });
    secrets.values.delete(SOURCE_SECRET);

    await expect(run(event('Delete', props(user), { PhysicalResourceId: 'replication/x' }))).resolves.toEqual({
      PhysicalResourceId: 'replication/x',
    });
    expect(consoleCapture.text).toMatch(/replica: could not stop\/reset replication \(ignored.*ECONNREFUSED/);
    expect(consoleCapture.text).toMatch(/source: could not drop the replication user \(ignored.*ResourceNotFoundException/);
  });

  test('GIVEN a Delete with unreadable properties THEN it succeeds without touching anything', async () => {
    await expect(run(event('Delete', { SourceHost: 'not a host!' }, { PhysicalResourceId: 'replication/x' }))).resolves.toEqual({
      PhysicalResourceId: 'replication/x',
    });
  });

  describe('binlog retention on the source', () => {
    test(
      'GIVEN a source with the default retention (NULL) WHEN created THEN binlog ' +
        'retention hours is set to 72 before the replication user exists',
      async () => {
        const { user } = newReplicationUser();
        sqlCapture.start();
        await run(event('Create', props(user)));
        sqlCapture.stop();

        expect(await recordedSourceCalls(admin, standIns)).toEqual([
          { name: 'rds_set_configuration', args: ['binlog retention hours', 72] },
        ]);
        expect((await sourceConfiguration(admin, standIns))['binlog retention hours']).toBe('72');
        // On the source, before anything else is configured: retention, then the user, then the replica.
        const sql = sqlCapture.statements.map((st) => st.sql);
        const retention = sql.findIndex((q) => q.includes('rds_set_configuration'));
        expect(retention).toBeGreaterThanOrEqual(0);
        expect(retention).toBeLessThan(sql.findIndex((q) => q.startsWith('CREATE USER')));
        expect(retention).toBeLessThan(sql.findIndex((q) => q.includes('rds_set_external_source_with_auto_position')));
        // Nothing on the replica side records a configuration call.
        expect(names(await recordedCalls(admin, standIns))).not.toContain('rds_set_configuration');
      },
    );

    test(
      'GIVEN BinlogRetentionHours WHEN created THEN that value is set; WHEN re-run ' + 'with the same value THEN nothing is written',
      async () => {
        const { user } = newReplicationUser();
        await run(event('Create', props(user, { BinlogRetentionHours: '168' })));
        expect((await sourceConfiguration(admin, standIns))['binlog retention hours']).toBe('168');

        sqlCapture.start();
        await run(event('Create', props(user, { BinlogRetentionHours: '168' })));
        sqlCapture.stop();
        expect(sqlCapture.writes()).toEqual([]);
        expect(await recordedSourceCalls(admin, standIns)).toHaveLength(1);
        expect(consoleCapture.text).toMatch(/binlog retention hours already 168/);
      },
    );

    test('GIVEN the retention was changed by hand WHEN updated THEN it is set back', async () => {
      const { user } = newReplicationUser();
      const created = await run(event('Create', props(user)));
      await setSourceConfiguration(admin, standIns, 'binlog retention hours', '24');

      await run(event('Update', props(user), { PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: props(user) }));

      expect((await sourceConfiguration(admin, standIns))['binlog retention hours']).toBe('72');
      expect(consoleCapture.text).toMatch(/binlog retention hours set to 72 \(was 24\)/);
    });
  });

  describe("accounts the clone inherited from PROD (with PROD's passwords as of clone time)", () => {
    test(
      'GIVEN inherited accounts WHEN created THEN each is locked with ACCOUNT LOCK, ' +
        'except the replica master user and the read-only account; roles and locked ' +
        'accounts are left as they are',
      async () => {
        const app = uniqueName('rr_inherited_app_');
        const ro = uniqueName('rr_inherited_ro_');
        const locked = uniqueName('rr_inherited_locked_');
        const role = uniqueName('rr_inherited_role_');
        users.push(app, ro, locked);
        const appPassword = `Prod-App-${uniqueName('')}`;
        const roPassword = `Ro-${uniqueName('')}`;
        replicationPasswords.push(appPassword, roPassword);
        await admin.query("CREATE USER ?@'%' IDENTIFIED BY ? REQUIRE SSL", [app, appPassword]);
        await admin.query("CREATE USER ?@'%' IDENTIFIED BY ? REQUIRE SSL", [ro, roPassword]);
        await admin.query("CREATE USER ?@'%' IDENTIFIED BY 'x-Locked-123' ACCOUNT LOCK", [locked]);
        await admin.query('CREATE ROLE ??', [role]);
        try {
          const { user } = newReplicationUser();
          sqlCapture.start();
          await run(event('Create', props(user, { ReadOnlyUser: ro })));
          sqlCapture.stop();

          // The PROD account no longer logs in on the replica (MariaDB 4151 ER_ACCOUNT_HAS_BEEN_LOCKED; MySQL 3118).
          expect(await errnoOf(connectAs(app, appPassword))).toBe(4151);
          const roConn = await connectAs(ro, roPassword);
          await roConn.end();
          const master = await adminConnection();
          await master.end();
          expect(sqlCapture.writes().filter((w) => /ACCOUNT LOCK/.test(w))).toEqual(['ALTER USER ?@? ACCOUNT LOCK']);
          expect(sqlCapture.statements.find((s) => /ACCOUNT LOCK/.test(s.sql))?.values).toEqual([app, '%']);
          expect(consoleCapture.text).toMatch(new RegExp(`locked 1 inherited account\\(s\\): '${app}'@'%'`));

          // Idempotent: a re-run locks nothing more; an account unlocked by hand is locked again on Update.
          await admin.query("ALTER USER ?@'%' ACCOUNT UNLOCK", [app]);
          await run(
            event('Update', props(user, { ReadOnlyUser: ro }), {
              PhysicalResourceId: `replication/${user}@${SOURCE_HOST}:3306`,
              OldResourceProperties: props(user, { ReadOnlyUser: ro }),
            }),
          );
          expect(await errnoOf(connectAs(app, appPassword))).toBe(4151);
        } finally {
          // Gone before the next test: they match lockableAccounts, which later tests' replica admins cannot read.
          await admin.query('DROP ROLE IF EXISTS ??', [role]);
          for (const u of [app, ro, locked]) await admin.query("DROP USER IF EXISTS ?@'%'", [u]);
        }
      },
    );

    test.each([
      ['rdsadmin', true],
      ['rdsrepladmin', true],
      ['rds_superuser_role', true],
      ['rdsproxyadmin', true],
      ['mysql.sys', true],
      ['mysql.session', true],
      ['mysql.infoschema', true],
      ['AWS_LOAD_S3_ACCESS', true],
      ['clinspark_app', false],
      ['admin', false],
      ['RO_USER', false],
    ])("Aurora's own account %s is reserved (never locked): %s", (user, reserved) => {
      expect(isReservedAccount(user)).toBe(reserved);
    });
  });

  describe("a replica restored as a clone (still has the source's master password)", () => {
    const rdsMock = mockClient(RDSClient);
    const CLUSTER = 'clinspark-acme-prod-replica';
    let replicaAdmin: string;
    let replicaPassword: string;
    let modified: Array<{ DBClusterIdentifier?: string; MasterUserPassword?: string; ApplyImmediately?: boolean }>;

    beforeEach(async () => {
      replicaAdmin = uniqueName('replica_admin_');
      users.push(replicaAdmin);
      // The clone's master user still has the source's password; the replica secret holds its own.
      const inherited = `Inherited-${uniqueName('')}`;
      replicaPassword = `Own-${uniqueName('')}${uniqueName('')}`;
      replicationPasswords.push(inherited, replicaPassword);
      await admin.query("CREATE USER ?@'%' IDENTIFIED BY ? REQUIRE SSL", [replicaAdmin, inherited]);
      await admin.query(`GRANT EXECUTE ON \`${standIns}\`.* TO ?@'%'`, [replicaAdmin]);
      // Aurora's master user reads mysql.user (the inherited-account lock lists the accounts).
      await admin.query(`GRANT SELECT ON mysql.user TO ?@'%'`, [replicaAdmin]);
      const s = testServer();
      secrets.values.set(
        REPLICA_SECRET,
        JSON.stringify({ engine: 'mysql', host: s.host, port: s.port, username: replicaAdmin, password: replicaPassword }),
      );
      modified = [];
      let describes = 0;
      rdsMock.reset();
      rdsMock
        .on(ModifyDBClusterCommand)
        .callsFake(async (input: { DBClusterIdentifier?: string; MasterUserPassword?: string; ApplyImmediately?: boolean }) => {
          modified.push(input);
          await admin.query("ALTER USER ?@'%' IDENTIFIED BY ?", [replicaAdmin, input.MasterUserPassword]);
          return { DBCluster: { DBClusterIdentifier: input.DBClusterIdentifier, Status: 'resetting-master-credentials' } };
        });
      rdsMock.on(DescribeDBClustersCommand).callsFake(() => {
        describes += 1;
        return describes < 2
          ? {
              DBClusters: [
                {
                  DBClusterIdentifier: CLUSTER,
                  Status: 'resetting-master-credentials',
                  PendingModifiedValues: { MasterUserPassword: '****' },
                },
              ],
            }
          : { DBClusters: [{ DBClusterIdentifier: CLUSTER, Status: 'available', PendingModifiedValues: {} }] };
      });
    });

    afterAll(() => rdsMock.restore());

    const options = (): ReplicationHandlerOptions => ({
      rds: new RDSClient({ region: 'eu-west-1' }),
      masterResetPollMs: 10,
      masterResetTimeoutMs: 2000,
    });

    test(
      'GIVEN ReplicaClusterIdentifier WHEN created THEN the master password is set to ' +
        'the replica secret through the RDS API, then replication is configured',
      async () => {
        const { user, password } = newReplicationUser();

        const out = await run(event('Create', props(user, { ReplicaClusterIdentifier: CLUSTER })), options());

        expect(out.Data).toEqual({ ReplicationRunning: 'true', SecondsBehindSource: '0' });
        expect(modified).toEqual([{ DBClusterIdentifier: CLUSTER, MasterUserPassword: replicaPassword, ApplyImmediately: true }]);
        expect(rdsMock.commandCalls(DescribeDBClustersCommand).length).toBeGreaterThanOrEqual(2);
        const login = await connectAs(replicaAdmin, replicaPassword);
        await login.end();
        expect(await recordedCalls(admin, standIns)).toEqual([
          { name: 'rds_set_external_source_with_auto_position', args: [SOURCE_HOST, 3306, user, password, 0] },
          { name: 'rds_set_binlog_source_ssl', args: [1] },
          { name: 'rds_start_replication', args: [] },
        ]);
        expect(consoleCapture.text).toMatch(/still has the source's master password/);
      },
    );

    test('GIVEN the password was already reset WHEN re-run THEN the RDS API is not called again', async () => {
      const { user } = newReplicationUser();
      await run(event('Create', props(user, { ReplicaClusterIdentifier: CLUSTER })), options());

      await run(event('Create', props(user, { ReplicaClusterIdentifier: CLUSTER })), options());

      expect(modified).toHaveLength(1);
    });

    test('GIVEN no ReplicaClusterIdentifier THEN access denied fails the Create without any RDS call', async () => {
      const { user } = newReplicationUser();

      await expect(run(event('Create', props(user)), options())).rejects.toThrow(
        /replica: cannot connect to .* as 'replica_admin_\w+'.*Access denied/,
      );
      expect(modified).toEqual([]);
      // Undone: the replication user this Create made on the source is gone again.
      expect(await globalPrivileges(user)).toEqual([]);
    });

    test('GIVEN the reset is never applied THEN the Create fails within the timeout, naming the cluster', async () => {
      const { user } = newReplicationUser();
      rdsMock.on(DescribeDBClustersCommand).resolves({
        DBClusters: [
          { DBClusterIdentifier: CLUSTER, Status: 'resetting-master-credentials', PendingModifiedValues: { MasterUserPassword: '****' } },
        ],
      });

      await expect(
        run(event('Create', props(user, { ReplicaClusterIdentifier: CLUSTER })), { ...options(), masterResetTimeoutMs: 100 }),
      ).rejects.toThrow(
        /replica clinspark-acme-prod-replica: the master password was not applied within 0 s \(status resetting-master-credentials\)/,
      );
    });
  });

  test.each([
    ['BinlogRetentionHours', '0', /'BinlogRetentionHours' must be an integer between 1 and 2160/],
    ['BinlogRetentionHours', '2161', /'BinlogRetentionHours' must be an integer between 1 and 2160/],
    ['ReplicaClusterIdentifier', 'Bad_Cluster', /'ReplicaClusterIdentifier' must be an Aurora cluster identifier/],
    ['SourcePort', '0', /'SourcePort' must be an integer between 1 and 65535/],
    ['SourceHost', 'host; DROP', /'SourceHost' must be a host name or IP address/],
    ['ReplicationUser', 'repl@%', /'ReplicationUser' must be 1-32 characters/],
  ])('GIVEN %s=%j THEN the handler refuses with a message naming the property', async (name, value, message) => {
    const { user } = newReplicationUser();
    await expect(run(event('Create', props(user, { [name]: value })))).rejects.toThrow(message);
  });
});
