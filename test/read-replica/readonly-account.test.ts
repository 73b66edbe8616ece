/**
 * The read-only account handler against the real test MariaDB (TLS), with Secrets Manager faked in
 * memory. Every test uses its own account name; the application schemas are this file's own.
 */
import * as mysql from 'mysql2/promise';
import { EXCLUDED_PASSWORD_CHARACTERS, MIN_PASSWORD_LENGTH, onEvent } from '../../constructs/read-replica/handler/readonly-account';
import { CustomResourceEvent, CustomResourceResponse } from '../../constructs/core/runtime/custom-resource';
import { adminConnection, dropDatabase, scratchDatabase, testServer } from '../support/db';
import { closedPort, connectAs, ConsoleCapture, errnoOf, expectNoSecretIn, FakeSecretsManager, SqlCapture, uniqueName } from './support';

const REPLICA_SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme-prod-replica-master-AbCdEf';
const ACCOUNT_SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme-prod-replica-ro-user-GhIjKl';

/** The characters the brief requires to be excluded, plus whitespace. */
const MUST_EXCLUDE = '"\'`$\\/@:;?#%&=+ ,{}[]()<>|!*~^';

interface StoredAccount {
  username: string;
  password: string;
  host: string;
  port: number;
  issueDate: string;
}

let secrets: FakeSecretsManager;
const consoleCapture = new ConsoleCapture();
const sqlCapture = new SqlCapture();
let admin: mysql.Connection;
let appA: string;
let appB: string;
let appC: string;
let internal: string;
const users: string[] = [];
const errorsSeen: string[] = [];
const dataSeen: string[] = [];

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  props: Record<string, string>,
  extra: Partial<CustomResourceEvent> = {},
): CustomResourceEvent {
  return {
    RequestType: requestType,
    RequestId: uniqueName('req-'),
    LogicalResourceId: 'ReadOnlyAccount',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:provider', ...props },
    ...extra,
  };
}

function props(username: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ReplicaSecretArn: REPLICA_SECRET,
    AccountSecretArn: ACCOUNT_SECRET,
    Username: username,
    IssueDate: '2025-03-01',
    Schemas: [appA, appB].join(','),
    ReleaseVersion: '24.1.0',
    ...overrides,
  };
}

/** Runs the production entry point, recording Data and errors for the no-password check. */
async function run(e: CustomResourceEvent): Promise<CustomResourceResponse> {
  try {
    const out = await onEvent(e);
    dataSeen.push(JSON.stringify(out));
    return out;
  } catch (error) {
    errorsSeen.push(`${(error as Error).message}\n${(error as Error).stack}`);
    throw error;
  }
}

function newUser(): string {
  const name = uniqueName('RO_USER_');
  users.push(name);
  return name;
}

async function showGrants(user: string): Promise<string[]> {
  const [rows] = await admin.query(`SHOW GRANTS FOR ?@'%'`, [user]);
  return (rows as Array<Record<string, string>>).map((r) => Object.values(r)[0]).sort();
}

async function schemaPrivileges(user: string): Promise<Record<string, string[]>> {
  const [rows] = await admin.query(
    'SELECT TABLE_SCHEMA AS s, PRIVILEGE_TYPE AS p, IS_GRANTABLE AS g FROM ' +
      'information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ? ORDER BY 1, 2',
    [`'${user}'@'%'`],
  );
  const out: Record<string, string[]> = {};
  for (const r of rows as Array<{ s: string; p: string; g: string }>) {
    expect(r.g).toBe('NO');
    (out[r.s.replace(/\\([_%])/g, '$1')] ??= []).push(r.p);
  }
  return out;
}

async function globalPrivileges(user: string): Promise<string[]> {
  const [rows] = await admin.query('SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?', [
    `'${user}'@'%'`,
  ]);
  return (rows as Array<{ p: string }>).map((r) => r.p).sort();
}

function stored(): StoredAccount {
  return secrets.json<StoredAccount>(ACCOUNT_SECRET);
}

beforeAll(async () => {
  process.env.DB_CA_BUNDLE_FILE = testServer().caPath;
  process.env.AWS_REGION = 'eu-west-1';
  secrets = new FakeSecretsManager();
  admin = await adminConnection();
  [appA, appB, appC] = await Promise.all([scratchDatabase('ro_app_a'), scratchDatabase('ro_app_b'), scratchDatabase('ro_app_c')]);
  internal = await scratchDatabase('_clinspark_scrub');
  for (const db of [appA, appB, appC, internal]) {
    await admin.query(`CREATE TABLE \`${db}\`.volunteer (id INT PRIMARY KEY, initials VARCHAR(8))`);
    await admin.query(`INSERT INTO \`${db}\`.volunteer VALUES (1, 'ABC'), (2, 'XYZ')`);
    await admin.query(`CREATE VIEW \`${db}\`.volunteer_count AS SELECT COUNT(*) AS n FROM \`${db}\`.volunteer`);
  }
});

afterAll(async () => {
  for (const user of users) await admin.query(`DROP USER IF EXISTS ?@'%'`, [user]);
  await Promise.all([appA, appB, appC, internal].filter(Boolean).map((db) => dropDatabase(db)));
  await admin.end();
  secrets.restore();
});

beforeEach(() => {
  secrets.reset();
  secrets.putMasterSecret(REPLICA_SECRET);
  errorsSeen.length = 0;
  dataSeen.length = 0;
  consoleCapture.start();
});

afterEach(() => {
  consoleCapture.stop();
  sqlCapture.stop();
  // Whatever happened in the test: no password in the log, the returned Data or a thrown error.
  const passwords = [...secrets.generated, testServer().adminPassword];
  expectNoSecretIn(
    { 'the handler log': consoleCapture.text, 'the returned Data': dataSeen.join('\n'), 'a thrown error': errorsSeen.join('\n') },
    passwords,
  );
});

describe('read-only account RO_USER', () => {
  test('GIVEN two listed schemas WHEN created THEN the account reads both (tables and views) and nothing else', async () => {
    const user = newUser();
    const out = await run(event('Create', props(user)));

    expect(out.Data).toEqual({ Username: user, Schemas: [appA, appB].sort().join(',') });
    expect(out.PhysicalResourceId).toBe(`${user}@${testServer().host}:${testServer().port}`);
    const account = stored();
    expect(account).toEqual({
      username: user,
      password: expect.any(String),
      host: testServer().host,
      port: testServer().port,
      issueDate: '2025-03-01',
      passwordSetAt: expect.any(String),
    });

    const ro = await connectAs(user, account.password);
    try {
      for (const db of [appA, appB]) {
        const [rows] = await ro.query(`SELECT initials FROM \`${db}\`.volunteer ORDER BY id`);
        expect(rows).toEqual([{ initials: 'ABC' }, { initials: 'XYZ' }]);
        const [view] = await ro.query(`SELECT n FROM \`${db}\`.volunteer_count`);
        expect(view).toEqual([{ n: 2 }]);
        const [create] = await ro.query(`SHOW CREATE VIEW \`${db}\`.volunteer_count`);
        expect((create as unknown[]).length).toBe(1);
      }
      // A schema not in the list, the internal schema and the credential store are out of reach.
      for (const table of [`\`${appC}\`.volunteer`, `\`${internal}\`.volunteer`, 'mysql.user', 'mysql.global_priv', 'mysql.db']) {
        expect(await errnoOf(ro.query(`SELECT * FROM ${table}`))).toBe(1142); // ER_TABLEACCESS_DENIED_ERROR
      }
      const [dbs] = await ro.query('SHOW DATABASES');
      expect((dbs as Array<{ Database: string }>).map((r) => r.Database).sort()).toEqual([appA, appB, 'information_schema'].sort());
    } finally {
      await ro.end();
    }

    expect(await globalPrivileges(user)).toEqual(['USAGE']);
    expect(await schemaPrivileges(user)).toEqual({ [appA]: ['SELECT', 'SHOW VIEW'], [appB]: ['SELECT', 'SHOW VIEW'] });
    const [ssl] = await admin.query('SELECT ssl_type FROM mysql.user WHERE User = ? AND Host = ?', [user, '%']);
    expect(ssl).toEqual([{ ssl_type: 'ANY' }]);
  });

  test('GIVEN the account WHEN it tries to write, change the schema or grant THEN every attempt is refused', async () => {
    const user = newUser();
    await run(event('Create', props(user)));
    const ro = await connectAs(user, stored().password, { database: appA });
    try {
      const attempts: Array<[string, string]> = [
        ['INSERT', `INSERT INTO volunteer VALUES (3, 'NEW')`],
        ['UPDATE', `UPDATE volunteer SET initials = 'HAX' WHERE id = 1`],
        ['DELETE', 'DELETE FROM volunteer WHERE id = 1'],
        ['CREATE TABLE', 'CREATE TABLE stolen (id INT)'],
        ['DROP TABLE', 'DROP TABLE volunteer'],
        ['ALTER TABLE', 'ALTER TABLE volunteer ADD COLUMN x INT'],
        ['CREATE VIEW', 'CREATE VIEW v2 AS SELECT 1'],
        ['GRANT', `GRANT SELECT ON \`${appA}\`.* TO '${user}'@'%'`],
        ['CREATE USER', `CREATE USER 'x${user.slice(1)}'@'%' IDENTIFIED BY 'whatever-123'`],
        ['CREATE DATABASE', 'CREATE DATABASE ro_should_not_exist'],
      ];
      for (const [what, sql] of attempts) {
        const errno = await errnoOf(ro.query(sql));
        // 1142/1044/1227: table, database or global access denied.
        expect({ what, refused: [1142, 1044, 1227].includes(errno) }).toEqual({ what, refused: true });
      }
      const [rows] = await ro.query('SELECT COUNT(*) AS n FROM volunteer');
      expect(rows).toEqual([{ n: 2 }]);
    } finally {
      await ro.end();
    }
  });

  test('GIVEN the account WHEN a client connects without TLS THEN the login is refused', async () => {
    const user = newUser();
    await run(event('Create', props(user)));
    expect(await errnoOf(connectAs(user, stored().password, { tls: false }))).toBe(1045);
    const ok = await connectAs(user, stored().password);
    await ok.end();
  });

  test('GIVEN the same properties WHEN the handler runs again THEN it changes nothing', async () => {
    const user = newUser();
    await run(event('Create', props(user)));
    const before = {
      secret: secrets.values.get(ACCOUNT_SECRET),
      grants: await showGrants(user),
      puts: secrets.puts.length,
      generated: secrets.generated.length,
    };

    sqlCapture.start();
    await run(event('Create', props(user)));
    await run(event('Update', props(user, { ReleaseVersion: '24.2.0' }), { PhysicalResourceId: 'x', OldResourceProperties: props(user) }));
    sqlCapture.stop();

    expect(sqlCapture.writes()).toEqual([]);
    expect(secrets.values.get(ACCOUNT_SECRET)).toBe(before.secret);
    expect(secrets.puts.length).toBe(before.puts);
    expect(secrets.generated.length).toBe(before.generated);
    expect(await showGrants(user)).toEqual(before.grants);
    expect(consoleCapture.text).toMatch(/unchanged/);
  });

  test('GIVEN a new IssueDate WHEN updated THEN a new password is issued: the old one is refused, the new one accepted', async () => {
    const user = newUser();
    await run(event('Create', props(user)));
    const old = stored();
    const grantsBefore = await schemaPrivileges(user);

    await run(event('Update', props(user, { IssueDate: '2025-03-15' }), { PhysicalResourceId: 'x', OldResourceProperties: props(user) }));
    const renewed = stored();

    expect(renewed.issueDate).toBe('2025-03-15');
    expect(renewed.password).not.toBe(old.password);
    expect(await errnoOf(connectAs(user, old.password))).toBe(1045);
    const ro = await connectAs(user, renewed.password);
    await ro.end();
    expect(await schemaPrivileges(user)).toEqual(grantsBefore);
    expect(secrets.generated).toHaveLength(2);
  });

  test('the password comes from GetRandomPassword with the documented policy, and meets it', async () => {
    const user = newUser();
    await run(event('Create', props(user)));

    expect(secrets.randomPasswordInputs).toEqual([
      {
        PasswordLength: MIN_PASSWORD_LENGTH,
        ExcludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
        IncludeSpace: false,
        RequireEachIncludedType: true,
      },
    ]);
    for (const c of MUST_EXCLUDE) expect(EXCLUDED_PASSWORD_CHARACTERS).toContain(c);

    const { password } = stored();
    expect(password.length).toBeGreaterThanOrEqual(48);
    expect(password).toMatch(/[A-Z]/);
    expect(password).toMatch(/[a-z]/);
    expect(password).toMatch(/[0-9]/);
    expect(password).toMatch(/[-._]/);
    expect(password).toMatch(/^[A-Za-z0-9._-]+$/);
    expect([...password].filter((c) => MUST_EXCLUDE.includes(c) || /\s/.test(c))).toEqual([]);
  });

  test('PasswordLength longer than the minimum is honoured; shorter is refused before anything changes', async () => {
    const user = newUser();
    await run(event('Create', props(user, { PasswordLength: '64' })));
    expect(stored().password).toHaveLength(64);

    const other = newUser();
    await expect(run(event('Create', props(other, { PasswordLength: '40' })))).rejects.toThrow(
      /'PasswordLength' must be an integer between 48 and 128/,
    );
    expect(await globalPrivileges(other)).toEqual([]);
  });

  test('GIVEN GetRandomPassword returns a password that breaks the policy THEN the handler refuses it without showing it', async () => {
    const user = newUser();
    secrets.nextRandomPassword = 'Abcdefghij0123456789@Abcdefghij0123456789-Abcdefghij';
    const failure = run(event('Create', props(user)));
    await expect(failure).rejects.toThrow(/breaks the policy: it contains an excluded character/);
    expect(errorsSeen.join('\n')).not.toContain(secrets.generated[0]);
    expect(secrets.values.has(ACCOUNT_SECRET)).toBe(false);
    expect(await globalPrivileges(user)).toEqual([]);
  });

  test('GIVEN a schema removed from Schemas WHEN updated THEN its grants are revoked, the password kept', async () => {
    const user = newUser();
    await run(event('Create', props(user)));
    const password = stored().password;

    const out = await run(event('Update', props(user, { Schemas: appA }), { PhysicalResourceId: 'x', OldResourceProperties: props(user) }));

    expect(out.Data).toEqual({ Username: user, Schemas: appA });
    expect(await schemaPrivileges(user)).toEqual({ [appA]: ['SELECT', 'SHOW VIEW'] });
    expect(stored().password).toBe(password);
    const ro = await connectAs(user, password);
    try {
      expect(await errnoOf(ro.query(`SELECT * FROM \`${appB}\`.volunteer`))).toBe(1142);
    } finally {
      await ro.end();
    }
  });

  test('GIVEN privileges or a password changed by hand WHEN the handler re-runs THEN it restores exactly its own state', async () => {
    const user = newUser();
    await run(event('Create', props(user)));
    const password = stored().password;
    await admin.query(`GRANT INSERT, DELETE ON \`${appA}\`.* TO ?@'%'`, [user]);
    await admin.query(`GRANT SELECT ON \`${appC}\`.* TO ?@'%'`, [user]);
    await admin.query(`GRANT PROCESS, FILE ON *.* TO ?@'%'`, [user]);
    await admin.query(`GRANT SELECT ON mysql.user TO ?@'%'`, [user]);
    await admin.query(`ALTER USER ?@'%' IDENTIFIED BY 'Changed-By-Hand-1234567890' REQUIRE NONE`, [user]);

    await run(event('Create', props(user)));

    expect(await globalPrivileges(user)).toEqual(['USAGE']);
    expect(await schemaPrivileges(user)).toEqual({ [appA]: ['SELECT', 'SHOW VIEW'], [appB]: ['SELECT', 'SHOW VIEW'] });
    const [tablePrivs] = await admin.query('SELECT COUNT(*) AS n FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ?', [
      `'${user}'@'%'`,
    ]);
    expect(tablePrivs).toEqual([{ n: 0 }]);
    expect(await errnoOf(connectAs(user, password, { tls: false }))).toBe(1045);
    const ro = await connectAs(user, password);
    await ro.end();
    expect(stored().password).toBe(password);
    expect(consoleCapture.text).toMatch(/did not match the account secret/);
  });

  test('GIVEN no Schemas WHEN created THEN every application schema is granted and no system or internal schema', async () => {
    const user = newUser();
    const out = await run(event('Create', { ...props(user), Schemas: '' }));

    const granted = out.Data!.Schemas.split(',');
    expect(granted).toEqual(expect.arrayContaining([appA, appB, appC]));
    for (const schema of granted) {
      expect(['mysql', 'sys', 'information_schema', 'performance_schema']).not.toContain(schema.toLowerCase());
      expect(schema.toLowerCase().startsWith('_clinspark')).toBe(false);
    }
    const privileges = await schemaPrivileges(user);
    expect(Object.keys(privileges).sort()).toEqual([...granted].sort());
    const ro = await connectAs(user, stored().password);
    try {
      expect(await errnoOf(ro.query(`SELECT * FROM \`${appC}\`.volunteer`))).toBe(0);
      expect(await errnoOf(ro.query(`SELECT * FROM \`${internal}\`.volunteer`))).toBe(1142);
      expect(await errnoOf(ro.query('SELECT * FROM mysql.user'))).toBe(1142);
    } finally {
      await ro.end();
    }
  });

  test.each([
    ['mysql', /'mysql' is a system or internal schema/],
    ['PERFORMANCE_SCHEMA', /'PERFORMANCE_SCHEMA' is a system or internal schema/],
    ['_clinspark_pii_map', /'_clinspark_pii_map' is a system or internal schema/],
  ])('GIVEN Schemas lists %s THEN the handler refuses before touching anything', async (schema, message) => {
    const user = newUser();
    await expect(run(event('Create', props(user, { Schemas: `${appA},${schema}` })))).rejects.toThrow(message);
    expect(await globalPrivileges(user)).toEqual([]);
    expect(secrets.generated).toEqual([]);
  });

  test('GIVEN Schemas lists a schema that does not exist THEN the handler names it and creates nothing', async () => {
    const user = newUser();
    await expect(run(event('Create', props(user, { Schemas: `${appA},no_such_schema_xyz` })))).rejects.toThrow(
      /'no_such_schema_xyz' not found on the replica/,
    );
    expect(await globalPrivileges(user)).toEqual([]);
  });

  test.each([
    ['IssueDate', '2025-02-30', /'IssueDate' must be a date written YYYY-MM-DD/],
    ['IssueDate', '01/03/2025', /'IssueDate' must be a date written YYYY-MM-DD/],
    ['Username', "RO'; DROP USER x", /'Username' must be 1-32 characters/],
  ])('GIVEN %s=%j THEN the handler refuses with a message naming the property', async (name, value, message) => {
    await expect(run(event('Create', props(newUser(), { [name]: value })))).rejects.toThrow(message);
  });

  test(
    'GIVEN a new Username WHEN updated THEN the physical id changes, and the Delete ' + 'of the old one drops only the old account',
    async () => {
      const oldUser = newUser();
      const newUserName = newUser();
      const first = await run(event('Create', props(oldUser)));
      const second = await run(
        event('Update', props(newUserName), { PhysicalResourceId: first.PhysicalResourceId, OldResourceProperties: props(oldUser) }),
      );
      expect(second.PhysicalResourceId).not.toBe(first.PhysicalResourceId);
      expect(stored().username).toBe(newUserName);

      // CloudFormation then deletes the replaced resource with its (old) properties.
      await run(event('Delete', props(oldUser), { PhysicalResourceId: first.PhysicalResourceId }));
      expect(await globalPrivileges(oldUser)).toEqual([]);
      const ro = await connectAs(newUserName, stored().password);
      await ro.end();
    },
  );

  test('GIVEN the account WHEN deleted THEN it is dropped and its password no longer logs in', async () => {
    const user = newUser();
    const created = await run(event('Create', props(user)));
    const { password } = stored();

    const out = await run(event('Delete', props(user), { PhysicalResourceId: created.PhysicalResourceId }));

    expect(out).toEqual({ PhysicalResourceId: created.PhysicalResourceId });
    expect(await globalPrivileges(user)).toEqual([]);
    expect(await errnoOf(connectAs(user, password))).toBe(1045);
    // Deleting again (already gone) succeeds too.
    await expect(run(event('Delete', props(user), { PhysicalResourceId: created.PhysicalResourceId }))).resolves.toEqual(out);
  });

  test('GIVEN the replica is unreachable or its secret is gone WHEN deleted THEN the delete still succeeds, with a warning', async () => {
    secrets.putMasterSecret(REPLICA_SECRET, { port: await closedPort() });
    const started = Date.now();
    await expect(run(event('Delete', props('RO_USER'), { PhysicalResourceId: 'RO_USER@gone:3306' }))).resolves.toEqual({
      PhysicalResourceId: 'RO_USER@gone:3306',
    });
    expect(Date.now() - started).toBeLessThan(5000);

    secrets.values.delete(REPLICA_SECRET);
    await expect(run(event('Delete', props('RO_USER'), { PhysicalResourceId: 'RO_USER@gone:3306' }))).resolves.toEqual({
      PhysicalResourceId: 'RO_USER@gone:3306',
    });
    expect(consoleCapture.text).toMatch(/ECONNREFUSED/);
    expect(consoleCapture.text).toMatch(/ResourceNotFoundException/);
  });

  test('GIVEN the replica is unreachable WHEN created THEN the error names the host and no password', async () => {
    const port = await closedPort();
    secrets.putMasterSecret(REPLICA_SECRET, { port });
    await expect(run(event('Create', props(newUser())))).rejects.toThrow(
      new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}.*ECONNREFUSED`),
    );
  });

  test(
    'GIVEN a grant fails after CREATE USER WHEN created THEN the account is dropped ' + 'again (a failed Create gets no Delete)',
    async () => {
      // A "master" that may create users but holds no GRANT OPTION: CREATE USER works, GRANT fails.
      const limited = uniqueName('limited_');
      const limitedPassword = `Limited-${uniqueName('')}-Pw`;
      users.push(limited);
      await admin.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [limited, limitedPassword]);
      await admin.query(`GRANT CREATE USER, SELECT ON *.* TO ?@'%'`, [limited]);
      const s = testServer();
      secrets.values.set(REPLICA_SECRET, JSON.stringify({ host: s.host, port: s.port, username: limited, password: limitedPassword }));
      const user = newUser();

      await expect(run(event('Create', props(user)))).rejects.toThrow(/GRANT on .*(denied|GRANT)/i);

      expect(await globalPrivileges(user)).toEqual([]);
      expect(consoleCapture.text).toMatch(/create failed; dropping/);
      expectNoSecretIn({ 'the handler log': consoleCapture.text, 'a thrown error': errorsSeen.join('\n') }, [limitedPassword]);
    },
  );
});

describe('read-only account: excluded tables and columns, password expiry, no clear password in statements', () => {
  let appX: string;
  const dayMs = 86_400_000;
  const inDays = (n: number) => new Date(Date.now() + n * dayMs).toISOString().slice(0, 10);
  const exclusions = () => ({ Schemas: appX, ExcludeTables: `${appX}.api_tokens`, ExcludeColumns: `${appX}.app_users.password_hash` });

  beforeAll(async () => {
    appX = await scratchDatabase('ro_app_x');
    await admin.query(`CREATE TABLE \`${appX}\`.app_users (id INT PRIMARY KEY, login VARCHAR(32), password_hash VARCHAR(64))`);
    await admin.query(`INSERT INTO \`${appX}\`.app_users VALUES (1, 'jdoe', '$2a$10$hash')`);
    await admin.query(`CREATE TABLE \`${appX}\`.api_tokens (id INT PRIMARY KEY, token VARCHAR(64))`);
    await admin.query(`INSERT INTO \`${appX}\`.api_tokens VALUES (1, 'tok-secret')`);
    await admin.query(`CREATE TABLE \`${appX}\`.study (id INT PRIMARY KEY, name VARCHAR(32))`);
    await admin.query(`INSERT INTO \`${appX}\`.study VALUES (1, 'CS-001')`);
    await admin.query(`CREATE VIEW \`${appX}\`.study_names AS SELECT name FROM \`${appX}\`.study`);
  });

  afterAll(async () => {
    if (appX) await dropDatabase(appX);
  });

  async function readAs(user: string, sql: string): Promise<number> {
    const ro = await connectAs(user, stored().password);
    try {
      return await errnoOf(ro.query(sql));
    } finally {
      await ro.end();
    }
  }

  test(
    'GIVEN ExcludeTables and ExcludeColumns WHEN created THEN RO_USER reads every ' +
      'other table and view, the allowed columns only, and neither the excluded table ' +
      'nor the excluded column; no schema-wide grant',
    async () => {
      const user = newUser();
      await run(event('Create', props(user, exclusions())));

      expect(await schemaPrivileges(user)).toEqual({});
      expect(await readAs(user, `SELECT * FROM \`${appX}\`.study`)).toBe(0);
      expect(await readAs(user, `SELECT * FROM \`${appX}\`.study_names`)).toBe(0);
      expect(await readAs(user, `SELECT id, login FROM \`${appX}\`.app_users`)).toBe(0);
      // 1142 ER_TABLEACCESS_DENIED_ERROR, 1143 ER_COLUMNACCESS_DENIED_ERROR.
      expect(await readAs(user, `SELECT * FROM \`${appX}\`.api_tokens`)).toBe(1142);
      expect(await readAs(user, `SELECT password_hash FROM \`${appX}\`.app_users`)).toBe(1143);
      expect([1142, 1143]).toContain(await readAs(user, `SELECT * FROM \`${appX}\`.app_users`));
      expect(await readAs(user, `SELECT * FROM \`${appB}\`.volunteer`)).toBe(1142);
    },
  );

  test(
    'GIVEN exclusions WHEN the handler runs again THEN it writes nothing; a table ' +
      'created later is readable only after the grants are re-run (new ReleaseVersion)',
    async () => {
      const user = newUser();
      await run(event('Create', props(user, exclusions())));
      sqlCapture.start();
      await run(event('Update', props(user, exclusions()), { PhysicalResourceId: 'x', OldResourceProperties: props(user, exclusions()) }));
      sqlCapture.stop();
      expect(sqlCapture.writes()).toEqual([]);

      await admin.query(`CREATE TABLE \`${appX}\`.added_by_upgrade (id INT PRIMARY KEY)`);
      try {
        expect(await readAs(user, `SELECT * FROM \`${appX}\`.added_by_upgrade`)).toBe(1142);
        await run(
          event('Update', props(user, { ...exclusions(), ReleaseVersion: '24.2.0' }), {
            PhysicalResourceId: 'x',
            OldResourceProperties: props(user, exclusions()),
          }),
        );
        expect(await readAs(user, `SELECT * FROM \`${appX}\`.added_by_upgrade`)).toBe(0);
        expect(await readAs(user, `SELECT * FROM \`${appX}\`.api_tokens`)).toBe(1142);
      } finally {
        await admin.query(`DROP TABLE \`${appX}\`.added_by_upgrade`);
      }
    },
  );

  test(
    'GIVEN the exclusions are removed WHEN updated THEN the schema is granted ' + 'schema-wide again and no table or column grant is left',
    async () => {
      const user = newUser();
      await run(event('Create', props(user, exclusions())));
      await run(
        event('Update', props(user, { Schemas: appX }), { PhysicalResourceId: 'x', OldResourceProperties: props(user, exclusions()) }),
      );

      expect(await schemaPrivileges(user)).toEqual({ [appX]: ['SELECT', 'SHOW VIEW'] });
      const [tables] = await admin.query('SELECT COUNT(*) AS n FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ?', [
        `'${user}'@'%'`,
      ]);
      const [columns] = await admin.query('SELECT COUNT(*) AS n FROM information_schema.COLUMN_PRIVILEGES WHERE GRANTEE = ?', [
        `'${user}'@'%'`,
      ]);
      expect([(tables as Array<{ n: number }>)[0].n, (columns as Array<{ n: number }>)[0].n]).toEqual([0, 0]);
      expect(await readAs(user, `SELECT * FROM \`${appX}\`.api_tokens`)).toBe(0);
    },
  );

  test.each([
    ['a table that does not exist', { ExcludeTables: 'TABLE.api_tokenz' }, /ExcludeTables: '.*\.api_tokenz' does not exist on the replica/],
    [
      'a column that does not exist',
      { ExcludeColumns: 'TABLE.app_users.passwd' },
      /ExcludeColumns: '.*\.app_users\.passwd' does not exist on the replica/,
    ],
    [
      'a schema that is not granted',
      { ExcludeTables: 'OTHER.volunteer' },
      /an exclusion names schema '.*', which the read-only account is not granted/,
    ],
  ])('GIVEN an exclusion naming %s THEN the handler refuses and creates no account', async (_what, overrides, message) => {
    const user = newUser();
    const resolved = Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, v.replace('TABLE', appX).replace('OTHER', appB)]));
    await expect(run(event('Create', props(user, { Schemas: appX, ...resolved })))).rejects.toThrow(message);
    expect(await globalPrivileges(user)).toEqual([]);
    const [rows] = await admin.query('SELECT 1 FROM mysql.user WHERE User = ?', [user]);
    expect(rows).toEqual([]);
  });

  test(
    'GIVEN PasswordExpiresOn WHEN created THEN the password expires that day ' +
      '(PASSWORD EXPIRE INTERVAL N DAY from now) and the secret tells the recipient ' +
      'when',
    async () => {
      const user = newUser();
      const expiresOn = inDays(40);
      await run(event('Create', props(user, { PasswordExpiresOn: expiresOn })));

      const [rows] = await admin.query("SHOW CREATE USER ?@'%'", [user]);
      const text = String(Object.values((rows as Array<Record<string, string>>)[0])[0]);
      expect(text).toMatch(/PASSWORD EXPIRE INTERVAL (40|41) DAY/);
      expect(stored()).toEqual(expect.objectContaining({ expiresOn, passwordSetAt: expect.any(String) }));
      // A re-run keeps the clock: nothing is written.
      sqlCapture.start();
      await run(
        event('Update', props(user, { PasswordExpiresOn: expiresOn }), {
          PhysicalResourceId: 'x',
          OldResourceProperties: props(user, { PasswordExpiresOn: expiresOn }),
        }),
      );
      sqlCapture.stop();
      expect(sqlCapture.writes()).toEqual([]);
      // A later expiry day (longer validity) moves the interval, keeping the password.
      const password = stored().password;
      await run(
        event('Update', props(user, { PasswordExpiresOn: inDays(70) }), {
          PhysicalResourceId: 'x',
          OldResourceProperties: props(user, { PasswordExpiresOn: expiresOn }),
        }),
      );
      const [after] = await admin.query("SHOW CREATE USER ?@'%'", [user]);
      expect(String(Object.values((after as Array<Record<string, string>>)[0])[0])).toMatch(/PASSWORD EXPIRE INTERVAL (70|71) DAY/);
      expect(stored().password).toBe(password);
    },
  );

  test("GIVEN the password has expired THEN the server refuses the account's queries until a re-issue", async () => {
    const user = newUser();
    await run(event('Create', props(user, { PasswordExpiresOn: inDays(20) })));
    // What the server does once the interval has run out (simulated: the clock cannot be moved).
    await admin.query("ALTER USER ?@'%' PASSWORD EXPIRE", [user]);
    // MariaDB lets the client in to change the password only (1820 ER_MUST_CHANGE_PASSWORD);
    // Aurora MySQL 3 (disconnect_on_expired_password ON) refuses the login (1862).
    expect(await readAs(user, `SELECT * FROM \`${appA}\`.volunteer`)).toBe(1820);
    await run(
      event('Update', props(user, { IssueDate: '2025-03-09', PasswordExpiresOn: inDays(30) }), {
        PhysicalResourceId: 'x',
        OldResourceProperties: props(user),
      }),
    );
    expect(await readAs(user, `SELECT * FROM \`${appA}\`.volunteer`)).toBe(0);
  });

  test(
    'GIVEN PasswordExpiresOn already passed WHEN a new password would be issued THEN ' +
      'the handler refuses (it would be expired at once)',
    async () => {
      const user = newUser();
      await expect(run(event('Create', props(user, { PasswordExpiresOn: '2025-03-05' })))).rejects.toThrow(
        /PasswordExpiresOn 2025-03-05 has passed: .*re-issue with a new IssueDate/,
      );
    },
  );

  test(
    'no statement carries the clear password: CREATE/ALTER USER send its ' +
      'mysql_native_password hash (the audit log records account statements)',
    async () => {
      const user = newUser();
      sqlCapture.start();
      await run(event('Create', props(user)));
      await run(event('Update', props(user, { IssueDate: '2025-03-02' }), { PhysicalResourceId: 'x', OldResourceProperties: props(user) }));
      sqlCapture.stop();
      const passwords = secrets.generated;
      expect(passwords).toHaveLength(2);
      const carrying = sqlCapture.statements.filter((s) =>
        passwords.some((p) => s.sql.includes(p) || JSON.stringify(s.values ?? null).includes(p)),
      );
      expect(carrying).toEqual([]);
      expect(sqlCapture.writes().filter((w) => /IDENTIFIED/.test(w))).toEqual([
        'CREATE USER ?@? IDENTIFIED WITH mysql_native_password AS ? REQUIRE SSL PASSWORD EXPIRE NEVER',
        'ALTER USER ?@? IDENTIFIED WITH mysql_native_password AS ? REQUIRE SSL PASSWORD EXPIRE NEVER',
      ]);
    },
  );
});
