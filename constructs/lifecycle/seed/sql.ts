/**
 * Writing a seed (generator.ts) into a database: the schema's statements first (idempotent DDL,
 * `CREATE TABLE IF NOT EXISTS`), then, in ONE transaction, the removal of the rows an earlier seed
 * wrote, the new rows in multi-row batches, the record of every row written, and the marker.
 *
 * The marker (`clinspark_seed`: seed, count, generator version, schema hash, fingerprint of the
 * rows) makes a rerun with the same seed, count and schema change nothing: not a row, not a
 * statement of the schema. A different seed or count (or schema) removes exactly the rows listed in
 * `clinspark_seed_rows` (rows people added through the application stay) and writes the new ones.
 *
 * The seed writes the tables of the seed model (SEED_TABLES) that the schema has, in the columns of
 * the model that the table has; a NOT NULL column the model does not know must have a default
 * (otherwise the seed stops before writing, naming the table and column). Ids are assigned by the
 * seed, after the highest id of the table (1..N in an empty database), so rows reference each other
 * within one transaction without relying on AUTO_INCREMENT's lock mode.
 */
import { createHash } from 'crypto';
import type * as mysql from 'mysql2/promise';
import { quoteIdentifier } from '../../core/runtime/database';
import { HandlerError, wrapError } from '../../core/runtime/errors';
import { query, Row } from '../../core/runtime/mysql';
import { Redactor } from '../../core/runtime/redaction';
import {
  GENERATOR_VERSION,
  SEED_REFERENCES,
  SEED_TABLES,
  SeedData,
  SeedRow,
  SeedTable,
  SeedValue,
  generateSeed,
  seedFingerprint,
} from './generator';

/** The marker table: one row, the seed currently in the database. */
export const MARKER_TABLE = 'clinspark_seed';
/** Every row the current seed wrote (table, key), so a reseed removes those and no other. */
export const ROWS_TABLE = 'clinspark_seed_rows';

/** Rows per INSERT statement. */
export const DEFAULT_BATCH_SIZE = 500;

/** The key column of each seed table (studies by code, the others by integer id). */
const KEY_COLUMN: Readonly<Record<SeedTable, string>> = {
  studies: 'code',
  volunteers: 'id',
  contacts: 'id',
  visits: 'id',
  lab_results: 'id',
};

export interface SeedOptions {
  readonly seed: string;
  readonly volunteers: number;
  /** The seed schema: statements separated by `;` (no DELIMITER). */
  readonly schemaSql: string;
  /** @default DEFAULT_BATCH_SIZE */
  readonly batchSize?: number;
  /** @default - a redactor of its own (errors carry no secret: the SQL module reads none) */
  readonly redactor?: Redactor;
}

export interface SeedOutcome {
  /** `unchanged`: the marker matched; `seeded`: first seed; `reseeded`: an earlier seed's rows were replaced. */
  readonly status: 'unchanged' | 'seeded' | 'reseeded';
  readonly fingerprint: string;
  /** Rows written per table (the whole seed, also when unchanged). */
  readonly rows: Readonly<Partial<Record<SeedTable, number>>>;
  /** Rows of the earlier seed removed. */
  readonly removed: number;
  /** Seed tables the schema does not have (nothing written for them). */
  readonly skippedTables: readonly SeedTable[];
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The statements of an SQL script, split on `;` outside quotes, backticks and comments. Comments
 * stay in the statement text (MySQL's executable `/*! ... *\/` comments keep working); a piece that
 * is only comments and blanks is dropped. DELIMITER (a client command, not SQL) is refused.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let meaningful = false;
  let i = 0;
  const push = () => {
    if (meaningful) {
      const text = current.trim();
      if (/^delimiter\b/i.test(text.replace(/^(--[^\n]*\n|#[^\n]*\n|\/\*[\s\S]*?\*\/|\s)+/, '')))
        throw new Error(`the seed schema uses DELIMITER (a client command); write plain statements separated by ';'`);
      statements.push(text);
    }
    current = '';
    meaningful = false;
  };
  while (i < script.length) {
    const ch = script[i];
    const next = script[i + 1];
    if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      while (j < script.length && script[j] !== ch) j += script[j] === '\\' && ch !== '`' ? 2 : 1;
      current += script.slice(i, j + 1);
      meaningful = true;
      i = j + 1;
    } else if ((ch === '-' && next === '-' && /\s/.test(script[i + 2] ?? ' ')) || ch === '#') {
      const end = script.indexOf('\n', i);
      const j = end === -1 ? script.length : end;
      current += script.slice(i, j);
      i = j;
    } else if (ch === '/' && next === '*') {
      const end = script.indexOf('*/', i + 2);
      const j = end === -1 ? script.length : end + 2;
      // An executable comment /*! ... */ is a statement's content; a plain one is not.
      if (script[i + 2] === '!') meaningful = true;
      current += script.slice(i, j);
      i = j;
    } else if (ch === ';') {
      push();
      i += 1;
    } else {
      if (!/\s/.test(ch)) meaningful = true;
      current += ch;
      i += 1;
    }
  }
  push();
  return statements;
}

interface ColumnInfo {
  readonly name: string;
  readonly nullable: boolean;
  readonly hasDefault: boolean;
  readonly autoIncrement: boolean;
  readonly generated: boolean;
}

async function columnsOf(conn: mysql.Connection, redactor: Redactor): Promise<Map<string, ColumnInfo[]>> {
  // information_schema.COLUMNS (MySQL 8.0 reference manual, "The INFORMATION_SCHEMA COLUMNS Table").
  const rows = await query(
    conn,
    'reading the seed tables',
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, IS_NULLABLE AS n, COLUMN_DEFAULT AS d, EXTRA AS e
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?) ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [[...SEED_TABLES]],
    redactor,
  );
  const out = new Map<string, ColumnInfo[]>();
  for (const r of rows) {
    const table = String(r.t);
    const extra = typeof r.e === 'string' ? r.e.toLowerCase() : '';
    const list = out.get(table) ?? [];
    list.push({
      name: String(r.c),
      nullable: r.n === 'YES',
      hasDefault: r.d !== null && r.d !== undefined,
      autoIncrement: extra.includes('auto_increment'),
      generated: extra.includes('generated'),
    });
    out.set(table, list);
  }
  return out;
}

/** What will be written to one table: its columns (key first) and rows, references resolved. */
interface TablePlan {
  readonly table: SeedTable;
  readonly key: string;
  readonly columns: readonly string[];
}

/** The tables and columns the seed writes, or every reason it cannot. */
function planTables(data: SeedData, columns: Map<string, ColumnInfo[]>): { plans: TablePlan[]; skipped: SeedTable[] } {
  const problems: string[] = [];
  const plans: TablePlan[] = [];
  const skipped: SeedTable[] = [];
  if (!columns.has('volunteers')) problems.push("the schema has no table 'volunteers' (the seed writes synthetic volunteers)");
  for (const table of SEED_TABLES) {
    const info = columns.get(table);
    if (!info) {
      skipped.push(table);
      continue;
    }
    const key = KEY_COLUMN[table];
    const generated = new Set([key, ...Object.keys(data[table][0] ?? sampleRow(table))]);
    if (!info.some((c) => c.name === key)) problems.push(`table '${table}' has no column '${key}' (the seed's key of that table)`);
    for (const c of info) {
      if (!generated.has(c.name) && !c.nullable && !c.hasDefault && !c.autoIncrement && !c.generated)
        problems.push(`table '${table}' column '${c.name}' is NOT NULL without a default, and the seed has no value for it`);
    }
    const present = new Set(info.filter((c) => !c.generated).map((c) => c.name));
    plans.push({ table, key, columns: [key, ...[...generated].filter((c) => c !== key && present.has(c))] });
  }
  if (problems.length > 0) throw new HandlerError(`the seed schema does not fit the seed: ${problems.join('; ')}`);
  return { plans, skipped };
}

/** Column names of a table's rows when the seed has none of them (0 volunteers). */
function sampleRow(table: SeedTable): SeedRow {
  return generateSeed({ seed: 'columns', volunteers: 1 })[table][0] ?? {};
}

function placeholders(columns: number, rows: number): string {
  const row = `(${new Array(columns).fill('?').join(', ')})`;
  return new Array(rows).fill(row).join(', ');
}

async function insertBatches(
  conn: mysql.Connection,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly SeedValue[])[],
  batchSize: number,
  redactor: Redactor,
): Promise<void> {
  const head = `INSERT INTO ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(', ')}) VALUES `;
  for (let from = 0; from < rows.length; from += batchSize) {
    const batch = rows.slice(from, from + batchSize);
    await query(conn, `seeding ${table}`, head + placeholders(columns.length, batch.length), batch.flat(), redactor);
  }
}

async function ensureSeedTables(conn: mysql.Connection, redactor: Redactor): Promise<void> {
  await query(
    conn,
    'creating the seed marker',
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(MARKER_TABLE)} (
       id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
       seed VARCHAR(200) NOT NULL,
       volunteers INT UNSIGNED NOT NULL,
       generator VARCHAR(16) NOT NULL,
       schema_sha256 CHAR(64) NOT NULL,
       fingerprint CHAR(64) NOT NULL,
       seeded_at DATETIME NOT NULL
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    [],
    redactor,
  );
  await query(
    conn,
    'creating the seed row list',
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(ROWS_TABLE)} (
       table_name VARCHAR(64) NOT NULL,
       row_key VARCHAR(64) NOT NULL,
       PRIMARY KEY (table_name, row_key)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    [],
    redactor,
  );
}

/** Runs a statement that changes rows; returns how many. Errors are wrapped (redacted, without the statement's values). */
async function affectedRows(conn: mysql.Connection, label: string, sql: string, values: unknown[], redactor: Redactor): Promise<number> {
  try {
    const [result] = await conn.query(sql, values);
    return Number((result as { affectedRows?: number }).affectedRows ?? 0);
  } catch (error) {
    throw wrapError(label, error, redactor);
  }
}

/** The seed currently recorded in the database, if any. */
export async function readMarker(conn: mysql.Connection, redactor: Redactor = new Redactor()): Promise<Row | undefined> {
  const rows = await query(conn, 'reading the seed marker', `SELECT * FROM ${quoteIdentifier(MARKER_TABLE)} WHERE id = 1`, [], redactor);
  return rows[0];
}

/**
 * Seeds the connection's current database (see the file comment). The connection's session time
 * zone is set to UTC, so TIMESTAMP columns store what the generator wrote.
 */
export async function applySeed(conn: mysql.Connection, options: SeedOptions): Promise<SeedOutcome> {
  const redactor = options.redactor ?? new Redactor();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const schemaSha256 = sha256(options.schemaSql);
  const data = generateSeed({ seed: options.seed, volunteers: options.volunteers });
  const fingerprint = seedFingerprint(data, schemaSha256);
  const counts = Object.fromEntries(SEED_TABLES.map((t) => [t, data[t].length])) as Record<SeedTable, number>;

  await query(conn, 'setting the session time zone', "SET time_zone = '+00:00'", [], redactor);
  await ensureSeedTables(conn, redactor);
  const before = await readMarker(conn, redactor);
  if (before && before.fingerprint === fingerprint) {
    const columns = await columnsOf(conn, redactor);
    return {
      status: 'unchanged',
      fingerprint,
      rows: counts,
      removed: 0,
      skippedTables: SEED_TABLES.filter((t) => !columns.has(t)),
    };
  }

  // DDL commits implicitly in MySQL: the schema runs before the transaction, and is idempotent.
  const statements = splitStatements(options.schemaSql);
  for (const [n, statement] of statements.entries()) await query(conn, `seed schema statement ${n + 1}`, statement, [], redactor);
  const { plans, skipped } = planTables(data, await columnsOf(conn, redactor));

  await query(conn, 'starting the seed transaction', 'START TRANSACTION', [], redactor);
  try {
    await query(conn, 'locking the seed marker', `SELECT id FROM ${quoteIdentifier(MARKER_TABLE)} WHERE id = 1 FOR UPDATE`, [], redactor);
    let removed = 0;
    for (const plan of [...plans].reverse()) {
      const t = quoteIdentifier(plan.table);
      const key = plan.key === 'id' ? `CAST(${t}.${quoteIdentifier('id')} AS CHAR)` : `${t}.${quoteIdentifier(plan.key)}`;
      removed += await affectedRows(
        conn,
        `removing the earlier seed's rows of ${plan.table} (rows added through the application may reference them; remove those first)`,
        `DELETE ${t} FROM ${t} JOIN ${quoteIdentifier(ROWS_TABLE)} r ON r.table_name = ? AND r.row_key = ${key}`,
        [plan.table],
        redactor,
      );
    }
    await query(conn, 'clearing the seed row list', `DELETE FROM ${quoteIdentifier(ROWS_TABLE)}`, [], redactor);

    // Ids after the highest id of each table (locked: no other writer takes them meanwhile).
    const ids: Partial<Record<SeedTable, number>> = {};
    for (const plan of plans) {
      if (plan.key !== 'id') continue;
      const [max] = await query(
        conn,
        `reading the highest id of ${plan.table}`,
        `SELECT COALESCE(MAX(id), 0) AS m FROM ${quoteIdentifier(plan.table)} FOR UPDATE`,
        [],
        redactor,
      );
      ids[plan.table] = Number(max.m);
    }
    const written = new Set(plans.map((p) => p.table));
    for (const plan of plans) {
      const rows = data[plan.table];
      const base = ids[plan.table];
      const values = rows.map((row, i) => [
        base === undefined ? row[plan.key] : base + i + 1,
        ...plan.columns.slice(1).map((c) => {
          const target = SEED_REFERENCES[plan.table][c];
          if (target === undefined || row[c] === null) return row[c] ?? null;
          // A reference to a seed table the schema does not have stays the ordinal.
          const targetBase = written.has(target) ? ids[target] : undefined;
          return targetBase !== undefined ? targetBase + Number(row[c]) : row[c];
        }),
      ]);
      await insertBatches(conn, plan.table, plan.columns, values, batchSize, redactor);
      await insertBatches(
        conn,
        ROWS_TABLE,
        ['table_name', 'row_key'],
        values.map((v) => [plan.table, String(v[0])]),
        batchSize,
        redactor,
      );
    }
    await query(conn, 'replacing the seed marker', `DELETE FROM ${quoteIdentifier(MARKER_TABLE)}`, [], redactor);
    await query(
      conn,
      'writing the seed marker',
      `INSERT INTO ${quoteIdentifier(MARKER_TABLE)} (id, seed, volunteers, generator, schema_sha256, fingerprint, seeded_at)
       VALUES (1, ?, ?, ?, ?, ?, UTC_TIMESTAMP())`,
      [options.seed, options.volunteers, GENERATOR_VERSION, schemaSha256, fingerprint],
      redactor,
    );
    await query(conn, 'committing the seed', 'COMMIT', [], redactor);
    return {
      status: before ? 'reseeded' : 'seeded',
      fingerprint,
      rows: Object.fromEntries(plans.map((p) => [p.table, data[p.table].length])),
      removed,
      skippedTables: skipped,
    };
  } catch (error) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
