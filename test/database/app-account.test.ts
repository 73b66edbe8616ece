/**
 * The application-account custom resource against a real MariaDB (TLS): the account exists with
 * the secret's password, requires TLS, has privileges on its schema only, re-runs change
 * nothing, and on a VAL copy every other account of the source is locked.
 */
import { DescribeDBClustersCommand, ModifyDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import * as fs from 'fs';
import * as mysql from 'mysql2/promise';
import { applyAccount, handler, isSystemAccount, resetTiming } from '../../constructs/database/handler/app-account';
import { adminConnection, dropDatabase, scratchDatabase, testServer, tlsOptions } from '../support/db';
import { startMariaDb, stopMariaDb } from '../support/mariadb';

const sm = mockClient(SecretsManagerClient);
const rdsMock = mockClient(RDSClient);
resetTiming.pollMs = 5;
const unique = () => Math.random().toString(36).slice(2, 8);

async function connectAs(user: string, password: string, database?: string, ssl = true): Promise<mysql.Connection> {
  const s = testServer();
  return mysql.createConnection({ host: s.host, port: s.port, user, password, database, ssl: ssl ? tlsOptions(s) : undefined });
}

async function grantsOf(conn: mysql.Connection, user: string): Promise<string[]> {
  const [rows] = await conn.query(`SHOW GRANTS FOR ${conn.escape(user)}@'%'`);
  return (rows as Array<Record<string, string>>).map((r) => Object.values(r)[0]).sort();
}

describe('application account handler', () => {
  let admin: mysql.Connection;
  let schema: string;
  let other: string;
  // The handler logs each step for CloudWatch; tests that check the log lines capture them themselves.
  beforeEach(() => void jest.spyOn(console, 'log').mockImplementation(() => undefined));
  beforeAll(async () => {
    admin = await adminConnection();
    schema = await scratchDatabase('appacct');
    other = await scratchDatabase('appacct_other');
    await admin.query(`CREATE TABLE \`${schema}\`.visits (id INT PRIMARY KEY)`);
    await admin.query(`CREATE TABLE \`${other}\`.secrets (id INT PRIMARY KEY)`);
    process.env.DB_CA_BUNDLE_FILE = testServer().caPath;
  });
  afterAll(async () => {
    await dropDatabase(schema);
    await dropDatabase(other);
    await admin.end();
  });

  test('creates the account with the secret password, TLS required, privileges on its schema only', async () => {
    const user = `app_${unique()}`;
    await applyAccount(admin, {
      username: user,
      password: 'First-Password-0123456789abcdef',
      database: schema,
      masterUsername: 'clinspark_admin',
      lockOthers: false,
    });

    const app = await connectAs(user, 'First-Password-0123456789abcdef', schema);
    await app.query('INSERT INTO visits VALUES (1)');
    await app.query('CREATE TABLE migrations (v INT)');
    await expect(app.query(`SELECT * FROM \`${other}\`.secrets`)).rejects.toThrow(/denied/i);
    await expect(app.query('SELECT * FROM mysql.user')).rejects.toThrow(/denied/i);
    await expect(app.query(`GRANT SELECT ON \`${schema}\`.* TO ${admin.escape(user)}@'%'`)).rejects.toThrow(/denied/i);
    await app.end();

    await expect(connectAs(user, 'First-Password-0123456789abcdef', schema, false)).rejects.toThrow(/denied/i);
    const grants = await grantsOf(admin, user);
    expect(grants.some((g) => /GRANT USAGE ON \*\.\*/.test(g) && /REQUIRE SSL/.test(g))).toBe(true);
    expect(grants.filter((g) => !/GRANT USAGE ON \*\.\*/.test(g))).toEqual([
      `GRANT ALL PRIVILEGES ON \`${schema}\`.* TO \`${user}\`@\`%\``,
    ]);
  });

  test('re-running is idempotent and a new secret value replaces the password', async () => {
    const user = `app_${unique()}`;
    const opts = { username: user, database: schema, masterUsername: 'clinspark_admin', lockOthers: false };
    await applyAccount(admin, { ...opts, password: 'Old-Password-0123456789abcdefgh' });
    const before = await grantsOf(admin, user);
    await applyAccount(admin, { ...opts, password: 'Old-Password-0123456789abcdefgh' });
    expect(await grantsOf(admin, user)).toEqual(before);

    await applyAccount(admin, { ...opts, password: 'New-Password-0123456789abcdefgh' });
    await expect(connectAs(user, 'Old-Password-0123456789abcdefgh')).rejects.toThrow(/denied/i);
    const conn = await connectAs(user, 'New-Password-0123456789abcdefgh');
    await conn.end();
  });

  test('on a VAL copy, every other non-system account of the source is locked', async () => {
    // Locking touches every account of the server: a server of its own, not the shared one.
    const own = await startMariaDb();
    const ownConn = () =>
      mysql.createConnection({
        host: own.host,
        port: own.port,
        user: own.adminUser,
        password: own.adminPassword,
        ssl: { ca: fs.readFileSync(own.caPath, 'utf8') },
      });
    const admin = await ownConn();
    const connectAs = (user: string, password: string, database?: string) =>
      mysql.createConnection({
        host: own.host,
        port: own.port,
        user,
        password,
        database,
        ssl: { ca: fs.readFileSync(own.caPath, 'utf8') },
      });
    try {
      await admin.query(`CREATE DATABASE \`${schema}\``);
      const tag = unique();
      const sourceApp = `app_${tag}`;
      const sourceRepl = `repl_${tag}`;
      for (const u of [sourceApp, sourceRepl])
        await admin.query(`CREATE USER ${admin.escape(u)}@'%' IDENTIFIED BY 'Source-Password-0123456789ab'`);
      const valApp = `valapp_${tag}`;
      const { locked } = await applyAccount(admin, {
        username: valApp,
        password: 'Val-Password-0123456789abcdefg',
        database: schema,
        masterUsername: own.adminUser,
        lockOthers: true,
      });

      expect(locked.sort()).toEqual([`${sourceApp}@%`, `${sourceRepl}@%`].sort());
      await expect(connectAs(sourceApp, 'Source-Password-0123456789ab')).rejects.toThrow(/locked|denied/i);
      await expect(connectAs(sourceRepl, 'Source-Password-0123456789ab')).rejects.toThrow(/locked|denied/i);
      const conn = await connectAs(valApp, 'Val-Password-0123456789abcdefg', schema);
      await conn.end();
      const master = await ownConn();
      await master.end();
    } finally {
      await admin.end();
      stopMariaDb(own);
    }
  });

  test(
    'on a copy that arrives with every source account locked, the application user ' +
      "and its rotation twin get VAL's password (either parity)",
    async () => {
      const own = await startMariaDb();
      const ca = fs.readFileSync(own.caPath, 'utf8');
      const connectAs = (user: string, password: string) =>
        mysql.createConnection({ host: own.host, port: own.port, user, password, ssl: { ca } });
      const admin = await connectAs(own.adminUser, own.adminPassword);
      try {
        const db = `twin_${unique()}`;
        for (const [current, twin] of [
          ['clinspark_app', 'clinspark_app_clone'],
          ['other_app_clone', 'other_app'],
        ]) {
          // The source's application user and its twin, both with source passwords, locked by the staging copy.
          for (const u of [current, twin])
            await admin.query(`CREATE USER ${admin.escape(u)}@'%' IDENTIFIED BY 'Source-Password-0123456789ab' ACCOUNT LOCK`);
          const result = await applyAccount(admin, {
            username: current,
            password: 'Val-Password-0123456789abcdefg',
            database: db,
            masterUsername: own.adminUser,
            lockOthers: true,
          });
          expect(result.twin).toBe(twin);
          for (const u of [current, twin]) {
            await expect(connectAs(u, 'Source-Password-0123456789ab')).rejects.toThrow(/denied|locked/i);
            const conn = await connectAs(u, 'Val-Password-0123456789abcdefg');
            await conn.end();
          }
          expect(result.locked).not.toContain(`${current}@%`);
          expect(result.locked).not.toContain(`${twin}@%`);
        }
      } finally {
        await admin.end();
        stopMariaDb(own);
      }
    },
  );

  test(
    'a restored copy that is not locked (PROD Main at go-live): the rotation twin ' +
      'gets the new password, other accounts stay as they are',
    async () => {
      const user = `golive_${unique()}`;
      const twin = `${user}_clone`;
      const other = `repl_${unique()}`;
      for (const u of [user, twin, other])
        await admin.query(`CREATE USER ${admin.escape(u)}@'%' IDENTIFIED BY 'Preprod-Password-0123456789ab'`);
      const result = await applyAccount(admin, {
        username: user,
        password: 'Prod-Password-0123456789abcdefgh',
        database: schema,
        masterUsername: 'clinspark_admin',
        lockOthers: false,
        resetTwin: true,
      });
      expect(result).toEqual({ locked: [], twin });
      for (const u of [user, twin]) {
        await expect(connectAs(u, 'Preprod-Password-0123456789ab', schema)).rejects.toThrow(/denied/i);
        const conn = await connectAs(u, 'Prod-Password-0123456789abcdefgh', schema);
        await conn.end();
      }
      // Not locked: a later update of PROD's account resource must never lock PROD's own accounts.
      const conn = await connectAs(other, 'Preprod-Password-0123456789ab');
      await conn.end();
      for (const u of [user, twin, other]) await admin.query(`DROP USER ${admin.escape(u)}@'%'`);
    },
  );

  test('system accounts are recognised and never locked', () => {
    expect(
      ['rdsadmin', 'rdsrepladmin', 'mysql.sys', 'mysql.session', 'AWS_LAMBDA_ACCESS', 'rds_superuser_role', 'mariadb.sys'].every(
        isSystemAccount,
      ),
    ).toBe(true);
    expect(['clinspark_app', 'RO_USER', 'clinspark_repl'].some(isSystemAccount)).toBe(false);
  });

  test('the Lambda handler reads both secrets, never returns or logs the password, and deletes as a no-op', async () => {
    const s = testServer();
    const user = `app_${unique()}`;
    const password = 'Handler-Password-0123456789abcd';
    sm.reset();
    sm.on(GetSecretValueCommand, { SecretId: 'arn:master' }).resolves({
      SecretString: JSON.stringify({ host: s.host, port: s.port, username: s.adminUser, password: s.adminPassword }),
    });
    sm.on(GetSecretValueCommand, { SecretId: 'arn:account' }).resolves({
      SecretString: JSON.stringify({ host: s.host, port: s.port, username: user, password, dbname: schema }),
    });
    const logs: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((m: string) => void logs.push(m));
    try {
      const out = await handler({
        RequestType: 'Create',
        ResourceProperties: { MasterSecretArn: 'arn:master', AccountSecretArn: 'arn:account', DatabaseName: schema },
      });
      expect(out.Data?.Username).toBe(user);
      expect(JSON.stringify(out)).not.toContain(password);
      expect(logs.join('\n')).not.toContain(password);
      expect(logs.join('\n')).not.toContain(s.adminPassword);
      const conn = await connectAs(user, password, schema);
      await conn.end();

      sm.reset(); // a delete must not even need the secrets
      const deleted = await handler({
        RequestType: 'Delete',
        PhysicalResourceId: out.PhysicalResourceId,
        ResourceProperties: { MasterSecretArn: 'arn:gone', AccountSecretArn: 'arn:gone', DatabaseName: schema },
      });
      expect(deleted.PhysicalResourceId).toBe(out.PhysicalResourceId);
    } finally {
      spy.mockRestore();
    }
  });

  test('a restored copy first gets its own master password through the RDS API, then the account', async () => {
    const s = testServer();
    const user = `app_${unique()}`;
    sm.reset();
    rdsMock.reset();
    sm.on(GetSecretValueCommand, { SecretId: 'arn:master' }).resolves({
      SecretString: JSON.stringify({ host: s.host, port: s.port, username: s.adminUser, password: s.adminPassword }),
    });
    sm.on(GetSecretValueCommand, { SecretId: 'arn:account' }).resolves({
      SecretString: JSON.stringify({
        host: s.host,
        port: s.port,
        username: user,
        password: 'Copy-Password-0123456789abcdefg',
        dbname: schema,
      }),
    });
    rdsMock.on(ModifyDBClusterCommand).resolves({});
    rdsMock
      .on(DescribeDBClustersCommand)
      .resolvesOnce({
        DBClusters: [{ Status: 'resetting-master-credentials', PendingModifiedValues: { MasterUserPassword: '****' } }],
      })
      .resolves({ DBClusters: [{ Status: 'available', PendingModifiedValues: {} }] });

    await handler({
      RequestType: 'Create',
      ResourceProperties: {
        MasterSecretArn: 'arn:master',
        AccountSecretArn: 'arn:account',
        DatabaseName: schema,
        ResetMasterPassword: 'true',
        ClusterIdentifier: 'clinspark-acme-val-main-1a2b3c',
      },
    });
    const modify = rdsMock.commandCalls(ModifyDBClusterCommand);
    expect(modify).toHaveLength(1);
    expect(modify[0].args[0].input).toEqual({
      DBClusterIdentifier: 'clinspark-acme-val-main-1a2b3c',
      MasterUserPassword: s.adminPassword,
      ApplyImmediately: true,
    });
    expect(rdsMock.commandCalls(DescribeDBClustersCommand).length).toBeGreaterThanOrEqual(2);
    const conn = await connectAs(user, 'Copy-Password-0123456789abcdefg', schema);
    await conn.end();
  });

  test('a restore without a cluster identifier is refused before anything changes', async () => {
    sm.reset();
    rdsMock.reset();
    const s = testServer();
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ host: s.host, port: s.port, username: 'u', password: 'p' }) });
    await expect(
      handler({
        RequestType: 'Update',
        ResourceProperties: { MasterSecretArn: 'a', AccountSecretArn: 'b', DatabaseName: schema, ResetMasterPassword: 'true' },
      }),
    ).rejects.toThrow(/needs ClusterIdentifier/);
    expect(rdsMock.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
  });

  test('an error that quotes a password (driver, RDS API) reaches CloudFormation redacted', async () => {
    const s = testServer();
    sm.reset();
    rdsMock.reset();
    sm.on(GetSecretValueCommand, { SecretId: 'arn:master' }).resolves({
      SecretString: JSON.stringify({ host: s.host, port: s.port, username: s.adminUser, password: s.adminPassword }),
    });
    sm.on(GetSecretValueCommand, { SecretId: 'arn:account' }).resolves({
      SecretString: JSON.stringify({
        host: s.host,
        port: s.port,
        username: 'app_x',
        password: 'Leaky-Password-0123456789abcdefg',
        dbname: schema,
      }),
    });
    rdsMock
      .on(ModifyDBClusterCommand)
      .rejects(new Error(`InvalidParameterValue: MasterUserPassword '${s.adminPassword}' does not meet the policy`));
    const error = await handler({
      RequestType: 'Create',
      ResourceProperties: {
        MasterSecretArn: 'arn:master',
        AccountSecretArn: 'arn:account',
        DatabaseName: schema,
        ResetMasterPassword: 'true',
        ClusterIdentifier: 'clinspark-acme-val-main-1a2b3c',
      },
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/InvalidParameterValue: MasterUserPassword '\*\*\*\*\*' does not meet the policy/);
    expect(error?.message).not.toContain(s.adminPassword);
  });

  test("the audited account statements carry the password's hash, never the password", async () => {
    const user = `app_${unique()}`;
    const password = 'Audited-Password-0123456789abcdef';
    const statements: string[] = [];
    const original = admin.query.bind(admin);
    const spy = jest.spyOn(admin, 'query').mockImplementation((sql: unknown, values?: unknown) => {
      statements.push(String(typeof sql === 'string' ? sql : (sql as { sql: string }).sql));
      return original(sql as string, values as never);
    });
    try {
      await applyAccount(admin, { username: user, password, database: schema, masterUsername: testServer().adminUser, lockOthers: false });
      await applyAccount(admin, { username: user, password, database: schema, masterUsername: testServer().adminUser, lockOthers: false });
    } finally {
      spy.mockRestore();
    }
    const dcl = statements.filter((q) => /^(CREATE|ALTER) USER/.test(q));
    expect(dcl).toHaveLength(2);
    for (const q of [...statements]) expect(q).not.toContain(password);
    for (const q of dcl) expect(q).toMatch(/IDENTIFIED WITH mysql_native_password AS '\*[0-9A-F]{40}'/);
    const conn = await connectAs(user, password, schema);
    await conn.end();
  });
});
