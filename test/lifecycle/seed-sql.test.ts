/**
 * The seed SQL on MariaDB: same seed, same rows; another seed, other rows; a rerun changes
 * nothing; a new seed or count replaces the seeded rows only; every value from the scrub engine's
 * dictionaries and fiction ranges; a schema of one's own.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as mysql from 'mysql2/promise';
import { CITIES, FIRST_NAMES, LAST_NAMES, STREETS } from '../../constructs/pii-scrub/engine/dictionaries';
import { SEED_TABLES } from '../../constructs/lifecycle/seed/generator';
import { MARKER_TABLE, ROWS_TABLE, applySeed, readMarker } from '../../constructs/lifecycle/seed/sql';
import { adminConnection, dropDatabase, scratchDatabase } from '../support/db';

const BUNDLED_SCHEMA = fs.readFileSync(path.join(__dirname, '..', '..', 'constructs', 'lifecycle', 'seed', 'schema.sql'), 'utf8');

const created: string[] = [];
const open: mysql.Connection[] = [];

async function database(prefix = 'seed'): Promise<mysql.Connection> {
  const name = await scratchDatabase(prefix);
  created.push(name);
  const conn = await adminConnection(name);
  await conn.query("SET time_zone = '+00:00'");
  open.push(conn);
  return conn;
}

afterAll(async () => {
  for (const c of open) await c.end().catch(() => undefined);
  for (const d of created) await dropDatabase(d);
});

async function rowsOf(conn: mysql.Connection, table: string): Promise<Record<string, unknown>[]> {
  const key = table === 'studies' ? 'code' : 'id';
  const [rows] = await conn.query({ sql: `SELECT * FROM \`${table}\` ORDER BY \`${key}\``, dateStrings: true });
  return rows as Record<string, unknown>[];
}

/** A checksum of every seed table (every column, updated_at included). */
async function checksum(conn: mysql.Connection): Promise<string> {
  const hash = createHash('sha256');
  for (const t of SEED_TABLES) hash.update(`${t}:${JSON.stringify(await rowsOf(conn, t))}\n`);
  return hash.digest('hex');
}

async function count(conn: mysql.Connection, table: string): Promise<number> {
  const [rows] = await conn.query(`SELECT COUNT(*) AS n FROM \`${table}\``);
  return Number((rows as Array<{ n: number }>)[0].n);
}

describe('seed SQL (MariaDB)', () => {
  test('the same seed gives the same rows in two databases; another seed gives other rows', async () => {
    const [a, b, c] = [await database(), await database(), await database()];
    const outcomeA = await applySeed(a, { seed: 'acme', volunteers: 200, schemaSql: BUNDLED_SCHEMA });
    await applySeed(b, { seed: 'acme', volunteers: 200, schemaSql: BUNDLED_SCHEMA, batchSize: 37 });
    await applySeed(c, { seed: 'other', volunteers: 200, schemaSql: BUNDLED_SCHEMA });
    expect(outcomeA.status).toBe('seeded');
    expect(await count(a, 'volunteers')).toBe(200);
    expect(await checksum(b)).toBe(await checksum(a));
    expect(await checksum(c)).not.toBe(await checksum(a));
    expect((await rowsOf(a, 'volunteers'))[0]).toMatchObject({ id: 1, volunteer_number: 'SEED-000001' });
    expect(outcomeA.rows.contacts).toBe(await count(a, 'contacts'));
    expect(outcomeA.rows.lab_results).toBe(await count(a, 'lab_results'));
  });

  test('a rerun with the same seed and count changes nothing (not even the marker)', async () => {
    const conn = await database();
    await applySeed(conn, { seed: 'rerun', volunteers: 60, schemaSql: BUNDLED_SCHEMA });
    const before = await checksum(conn);
    const marker = await readMarker(conn);
    await new Promise((r) => setTimeout(r, 1100));
    const again = await applySeed(conn, { seed: 'rerun', volunteers: 60, schemaSql: BUNDLED_SCHEMA });
    expect(again.status).toBe('unchanged');
    expect(await checksum(conn)).toBe(before);
    expect(await readMarker(conn)).toEqual(marker);
  });

  test('a new count or seed replaces the seeded rows only; rows added through the application stay', async () => {
    const conn = await database();
    await applySeed(conn, { seed: 'grow', volunteers: 20, schemaSql: BUNDLED_SCHEMA });
    await conn.query(
      'INSERT INTO volunteers (volunteer_number, first_name, last_name, sex, ' +
        "registered_at) VALUES ('APP-1', 'Trainer', 'Added', 'F', '2025-01-01 10:00:00')",
    );
    const grown = await applySeed(conn, { seed: 'grow', volunteers: 30, schemaSql: BUNDLED_SCHEMA });
    expect(grown.status).toBe('reseeded');
    expect(grown.removed).toBeGreaterThan(20);
    expect(await count(conn, 'volunteers')).toBe(31);
    const [app] = await conn.query("SELECT COUNT(*) AS n FROM volunteers WHERE volunteer_number = 'APP-1'");
    expect(Number((app as Array<{ n: number }>)[0].n)).toBe(1);

    const reseeded = await applySeed(conn, { seed: 'another', volunteers: 5, schemaSql: BUNDLED_SCHEMA });
    expect(reseeded.status).toBe('reseeded');
    expect(await count(conn, 'volunteers')).toBe(6);
    expect(await count(conn, ROWS_TABLE)).toBe(
      5 + (reseeded.rows.contacts ?? 0) + (reseeded.rows.visits ?? 0) + (reseeded.rows.lab_results ?? 0) + (reseeded.rows.studies ?? 0),
    );
    expect(await readMarker(conn)).toMatchObject({ seed: 'another', volunteers: 5, fingerprint: reseeded.fingerprint });
  });

  test('no value in the database outside the dictionaries and the fiction ranges', async () => {
    const conn = await database();
    await applySeed(conn, { seed: 'ranges', volunteers: 200, schemaSql: BUNDLED_SCHEMA });
    const [bad] = await conn.query(
      `SELECT COUNT(*) AS n FROM volunteers WHERE
         first_name NOT IN (?) OR (middle_name IS NOT NULL AND middle_name NOT IN (?)) OR last_name NOT IN (?) OR city NOT IN (?)
         OR email NOT REGEXP '^u[0-9a-f]{16}@example[.]invalid$' OR phone NOT REGEXP '^[+]1 [0-9]{3} 555 01[0-9]{2}$'
         OR SUBSTRING(address_line, LOCATE(' ', address_line) + 1) NOT IN (?) OR address_line NOT REGEXP '^[1-9][0-9]{0,2} '
         OR national_id NOT REGEXP '^[0-9a-f]{32}$' OR postal_code NOT REGEXP '^[0-9]{2}[*]{3}$'`,
      [FIRST_NAMES, FIRST_NAMES, LAST_NAMES, CITIES, STREETS],
    );
    expect(Number((bad as Array<{ n: number }>)[0].n)).toBe(0);
    const [badContacts] = await conn.query(
      `SELECT COUNT(*) AS n FROM contacts WHERE SUBSTRING_INDEX(full_name, ' ', 1) NOT ` +
        `IN (?) OR SUBSTRING_INDEX(full_name, ' ', -1) NOT IN (?)
         OR (email IS ` +
        `NOT NULL AND email NOT REGEXP '^u[0-9a-f]{16}@example[.]invalid$') OR phone NOT ` +
        `REGEXP '^[+]1 [0-9]{3} 555 01[0-9]{2}$'`,
      [FIRST_NAMES, LAST_NAMES],
    );
    expect(Number((badContacts as Array<{ n: number }>)[0].n)).toBe(0);
    // Every other table holds no personal value: the audit table is left empty.
    expect(await count(conn, 'audit_events')).toBe(0);
  });

  test('a schema of ones own: only its tables and columns are written; a changed schema reseeds', async () => {
    const conn = await database();
    const schema = [
      'CREATE TABLE IF NOT EXISTS volunteers (',
      '  id BIGINT NOT NULL PRIMARY KEY, volunteer_number VARCHAR(20) NOT NULL, first_name VARCHAR(100) NOT NULL,',
      "  last_name VARCHAR(100) NOT NULL, email VARCHAR(255) NULL, site VARCHAR(20) NOT NULL DEFAULT 'main'",
      ');',
      'CREATE TABLE IF NOT EXISTS visits (id BIGINT NOT NULL PRIMARY KEY, volunteer_id BIGINT NOT NULL, visit_date DATE NOT NULL);',
    ].join('\n');
    const outcome = await applySeed(conn, { seed: 'custom', volunteers: 25, schemaSql: schema });
    expect(outcome.skippedTables).toEqual(['studies', 'contacts', 'lab_results']);
    expect(await count(conn, 'volunteers')).toBe(25);
    const [rows] = await conn.query(
      'SELECT v.site, COUNT(*) AS n FROM visits x JOIN volunteers v ON v.id = x.volunteer_id GROUP BY v.site',
    );
    expect(rows).toEqual([{ site: 'main', n: outcome.rows.visits }]);
    const changed = await applySeed(conn, { seed: 'custom', volunteers: 25, schemaSql: `${schema}\n-- revised\n` });
    expect(changed.status).toBe('reseeded');
    expect(await count(conn, 'volunteers')).toBe(25);
  });

  test('a schema that does not fit stops before writing, naming every problem', async () => {
    const conn = await database();
    const schema =
      'CREATE TABLE IF NOT EXISTS volunteers (volunteer_number VARCHAR(20) NOT NULL, first_name VARCHAR(100), badge VARCHAR(8) NOT NULL);';
    await expect(applySeed(conn, { seed: 'bad', volunteers: 3, schemaSql: schema })).rejects.toThrow(
      /table 'volunteers' has no column 'id'.*table 'volunteers' column 'badge' is NOT NULL without a default/,
    );
    expect(await count(conn, 'volunteers')).toBe(0);
    expect(await readMarker(conn)).toBeUndefined();
    await expect(
      applySeed(await database(), { seed: 'x', volunteers: 1, schemaSql: 'CREATE TABLE IF NOT EXISTS t (id INT);' }),
    ).rejects.toThrow(/no table 'volunteers'/);
  });

  test('a failure inside the transaction leaves the earlier seed as it was', async () => {
    const conn = await database();
    await applySeed(conn, { seed: 'keep', volunteers: 10, schemaSql: BUNDLED_SCHEMA });
    const before = await checksum(conn);
    // A row of the application referencing a seeded volunteer blocks the removal of the old seed.
    await conn.query("INSERT INTO visits (volunteer_id, study_code, visit_date) VALUES (1, 'SEED-S01', '2025-02-02')");
    await expect(applySeed(conn, { seed: 'changed', volunteers: 10, schemaSql: BUNDLED_SCHEMA })).rejects.toThrow(
      /removing the earlier seed's rows of .*remove those first/,
    );
    await conn.query('DELETE FROM visits WHERE id = (SELECT MAX(id) FROM (SELECT id FROM visits) x)');
    expect(await checksum(conn)).toBe(before);
    expect(await readMarker(conn)).toMatchObject({ seed: 'keep' });
    expect(await count(conn, MARKER_TABLE)).toBe(1);
  });
});
