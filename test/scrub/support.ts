/** Helpers of the PII scrub tests: fixture databases, keys, table dumps. */
import * as mysql from 'mysql2/promise';
import { createHash } from 'crypto';
import { adminConnection, dropDatabase, scratchDatabase, testServer, tlsOptions } from '../support/db';
import { FixtureCounts, loadVolunteerFixture } from './fixtures/volunteers';

/** Two different 64-byte keys (as a Lambda would read them from Secrets Manager). */
export const KEY_A = Buffer.from('A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4Y5z6-key-A-test!', 'utf8');
export const KEY_B = Buffer.from('Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7Mm6Ll5Kk4Jj3-key-B-test!', 'utf8');

/**
 * The account of a fixture database: it sees only its own schemas (the engine inventories every
 * schema the account can see, and the test server is shared by parallel test files).
 */
export function scopedUser(database: string): { user: string; password: string } {
  return { user: `u_${createHash('sha256').update(database).digest('hex').slice(0, 24)}`, password: 'Scoped-Test-Pass-0nly' };
}

/** Creates the scoped account of `database` (if needed) and grants it every privilege on `schemas`. */
export async function grantScoped(database: string, schemas: readonly string[] = [database]): Promise<void> {
  const { user, password } = scopedUser(database);
  const admin = await adminConnection();
  try {
    await admin.query(`CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '${password}'`);
    for (const s of schemas) await admin.query(`GRANT ALL PRIVILEGES ON \`${s}\`.* TO '${user}'@'%'`);
  } finally {
    await admin.end();
  }
}

/** A connection to `database` as its scoped account, with the options the engine's callers use. */
export async function connectTo(database: string): Promise<mysql.Connection> {
  const server = testServer();
  const { user, password } = scopedUser(database);
  const conn = await mysql.createConnection({
    host: server.host,
    port: server.port,
    user,
    password,
    database,
    ssl: tlsOptions(server),
    multipleStatements: true,
    charset: 'utf8mb4_unicode_ci',
  });
  await conn.query("SET time_zone = '+00:00'");
  return conn;
}

export interface FixtureDb {
  readonly name: string;
  readonly conn: mysql.Connection;
  readonly counts: FixtureCounts;
  close(): Promise<void>;
}

/** A scratch database holding the volunteer fixture; `updated_at` is pinned so any change shows. */
export async function fixtureDb(prefix: string, extra = 60): Promise<FixtureDb> {
  const name = await scratchDatabase(prefix);
  await grantScoped(name);
  const conn = await connectTo(name);
  const counts = await loadVolunteerFixture(conn, extra);
  await conn.query("UPDATE volunteers SET updated_at = '2021-06-01 12:00:00'");
  return {
    name,
    conn,
    counts,
    async close() {
      await conn.end().catch(() => undefined);
      await dropDatabase(name);
      const admin = await adminConnection();
      await admin.query(`DROP USER IF EXISTS '${scopedUser(name).user}'@'%'`).finally(() => admin.end());
    },
  };
}

export type Cell = string | null;
export type Dump = Record<string, Record<string, Cell>[]>;

/** Every table of the schema, every row (ordered by the first column), every value as text. */
export async function dumpDatabase(conn: mysql.Connection, database: string): Promise<Dump> {
  const [cols] = await conn.query(
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION',
    [database],
  );
  const byTable = new Map<string, string[]>();
  for (const r of cols as Array<{ t: string; c: string }>) byTable.set(r.t, [...(byTable.get(r.t) ?? []), r.c]);
  const dump: Dump = {};
  for (const [table, columns] of byTable) {
    const select = columns.map((c) => `CAST(\`${c}\` AS CHAR) AS \`${c}\``).join(', ');
    const [rows] = await conn.query(`SELECT ${select} FROM \`${database}\`.\`${table}\` x ORDER BY x.\`${columns[0]}\``);
    dump[table] = (rows as Array<Record<string, unknown>>).map((r) =>
      Object.fromEntries(
        columns.map((c) => [c, r[c] === null ? null : Buffer.isBuffer(r[c]) ? r[c].toString('hex') : String(r[c] as string | number)]),
      ),
    );
  }
  return dump;
}

/** Text columns (char/varchar/text) per table. */
export async function textColumns(conn: mysql.Connection, database: string): Promise<Map<string, string[]>> {
  const [cols] = await conn.query(
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE ' +
      'TABLE_SCHEMA = ? AND DATA_TYPE IN ' +
      "('char','varchar','tinytext','text','mediumtext','longtext')",
    [database],
  );
  const out = new Map<string, string[]>();
  for (const r of cols as Array<{ t: string; c: string }>) out.set(r.t, [...(out.get(r.t) ?? []), r.c]);
  return out;
}

export async function tableNames(conn: mysql.Connection, database: string): Promise<string[]> {
  const [rows] = await conn.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [
    database,
  ]);
  return (rows as Array<{ t: string }>).map((r) => r.t).sort();
}

export function column(dump: Dump, table: string, name: string): Cell[] {
  return dump[table].map((r) => r[name]);
}

/** Captures everything written through a CliIo. */
export function bufferIo(): { io: { out(t: string): void; err(t: string): void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, out, err };
}
