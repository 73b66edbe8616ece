/**
 * What the engine needs to know about a live schema, read from information_schema (the same
 * queries work on MariaDB 10.11 and MySQL 8.0; every column is aliased because MySQL 8 returns
 * information_schema column names in upper case).
 */
import type { Connection } from 'mysql2/promise';
import { SCRATCH_TABLE_PREFIX } from './rules';

/** A column value read back as text (strings as they are, binary values as UTF-8). */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return typeof value === 'number' || typeof value === 'bigint' ? value.toString() : (JSON.stringify(value) ?? '');
}
export type ColumnClass = 'string' | 'date' | 'integer' | 'decimal' | 'other';

export interface ColumnInfo {
  readonly name: string;
  /** Lower-case DATA_TYPE, e.g. `varchar`. */
  readonly dataType: string;
  /** COLUMN_TYPE, e.g. `varchar(255)`, `int(10) unsigned`. */
  readonly columnType: string;
  readonly typeClass: ColumnClass;
  /** CHARACTER_MAXIMUM_LENGTH of string columns, in characters. */
  readonly maxLength?: number;
  readonly nullable: boolean;
  /** A VIRTUAL/STORED generated column (cannot be written). */
  readonly generated: boolean;
  /** `ON UPDATE CURRENT_TIMESTAMP`: the engine assigns it to itself so masking does not touch it. */
  readonly onUpdate: boolean;
  /** CHARACTER_SET_NAME / COLLATION_NAME of text columns. */
  readonly charset?: string;
  readonly collation?: string;
}

export interface IndexInfo {
  readonly name: string;
  readonly unique: boolean;
  readonly columns: readonly string[];
}

export interface TableInfo {
  readonly name: string;
  readonly columns: readonly ColumnInfo[];
  readonly indexes: readonly IndexInfo[];
  /** Names of BEFORE/AFTER UPDATE triggers. */
  readonly updateTriggers: readonly string[];
  /** The engine's temporary surrogate key column is present (hidden from columns and indexes). */
  readonly hasSurrogate?: boolean;
}

/** The engine's temporary surrogate key of a table without a usable key (added, then dropped). */
export const SURROGATE_COLUMN = '_clinspark_scrub_rid';

export interface ForeignKeyInfo {
  readonly name: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly referencedTable: string;
  readonly referencedColumns: readonly string[];
}

export interface SchemaInfo {
  readonly database: string;
  /** Base tables, without the engine's scratch tables. */
  readonly tables: ReadonlyMap<string, TableInfo>;
  /** Views (named in errors: a view cannot be scrubbed). */
  readonly views: readonly string[];
  /** Foreign keys between tables of this schema. */
  readonly foreignKeys: readonly ForeignKeyInfo[];
}

const STRING_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
const DATE_TYPES = new Set(['date', 'datetime', 'timestamp']);
const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const DECIMAL_TYPES = new Set(['decimal', 'numeric', 'float', 'double', 'real']);

function classify(dataType: string): ColumnClass {
  if (STRING_TYPES.has(dataType)) return 'string';
  if (DATE_TYPES.has(dataType)) return 'date';
  if (INTEGER_TYPES.has(dataType)) return 'integer';
  if (DECIMAL_TYPES.has(dataType)) return 'decimal';
  return 'other';
}

export function isScratchTable(name: string): boolean {
  return name.toLowerCase().startsWith(SCRATCH_TABLE_PREFIX);
}

type Row = Record<string, unknown>;

async function rows(conn: Connection, sql: string, params: unknown[]): Promise<Row[]> {
  const [result] = await conn.query(sql, params);
  return result as Row[];
}

/** Reads tables, columns, indexes, UPDATE triggers and foreign keys of one schema. */
export async function readSchema(conn: Connection, database: string): Promise<SchemaInfo> {
  const tableRows = await rows(
    conn,
    'SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [database],
  );
  const columnRows = await rows(
    conn,
    `SELECT TABLE_NAME AS tbl, COLUMN_NAME AS name, LOWER(DATA_TYPE) AS dataType, COLUMN_TYPE AS columnType,
            CHARACTER_MAXIMUM_LENGTH AS maxLength, IS_NULLABLE AS nullable, EXTRA AS extra,
            CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [database],
  );
  const indexRows = await rows(
    conn,
    `SELECT TABLE_NAME AS tbl, INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS col
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    [database],
  );
  const triggerRows = await rows(
    conn,
    'SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl FROM ' +
      'information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND EVENT_MANIPULATION = ' +
      "'UPDATE'",
    [database],
  );
  const fkRows = await rows(
    conn,
    `SELECT CONSTRAINT_NAME AS name, TABLE_NAME AS tbl, COLUMN_NAME AS col, ` +
      `REFERENCED_TABLE_NAME AS refTable, REFERENCED_COLUMN_NAME AS refCol
       FROM ` +
      `information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = ? AND ` +
      `REFERENCED_TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL
      ORDER ` +
      `BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`,
    [database, database],
  );

  const baseNames = tableRows
    .filter(
      (r) =>
        String(r.type) !== 'VIEW' && String(r.type) !== 'SYSTEM VIEW' && String(r.type) !== 'SEQUENCE' && !isScratchTable(String(r.name)),
    )
    .map((r) => String(r.name));
  const views = tableRows.filter((r) => String(r.type) === 'VIEW').map((r) => String(r.name));
  const columnsByTable = new Map<string, ColumnInfo[]>();
  const surrogates = new Set<string>();
  for (const r of columnRows) {
    if (String(r.name) === SURROGATE_COLUMN) {
      surrogates.add(String(r.tbl));
      continue;
    }
    const extra = String((r.extra as string | null) ?? '').toLowerCase();
    const dataType = String(r.dataType);
    const list = columnsByTable.get(String(r.tbl)) ?? [];
    list.push({
      name: String(r.name),
      dataType,
      columnType: String(r.columnType),
      typeClass: classify(dataType),
      ...(r.maxLength !== null && r.maxLength !== undefined ? { maxLength: Number(r.maxLength) } : {}),
      nullable: String(r.nullable) === 'YES',
      generated: /\b(virtual|stored|persistent) generated\b/.test(extra),
      onUpdate: extra.includes('on update'),
      ...(r.charset ? { charset: textOf(r.charset) } : {}),
      ...(r.collation ? { collation: textOf(r.collation) } : {}),
    });
    columnsByTable.set(String(r.tbl), list);
  }
  const indexesByTable = new Map<string, Map<string, { unique: boolean; columns: string[] }>>();
  for (const r of indexRows) {
    if (String(r.col) === SURROGATE_COLUMN) continue;
    const byName = indexesByTable.get(String(r.tbl)) ?? new Map<string, { unique: boolean; columns: string[] }>();
    const idx = byName.get(String(r.name)) ?? { unique: Number(r.nonUnique) === 0, columns: [] };
    idx.columns.push(String(r.col));
    byName.set(String(r.name), idx);
    indexesByTable.set(String(r.tbl), byName);
  }
  const triggersByTable = new Map<string, string[]>();
  for (const r of triggerRows) triggersByTable.set(String(r.tbl), [...(triggersByTable.get(String(r.tbl)) ?? []), String(r.name)]);

  const tables = new Map<string, TableInfo>();
  for (const name of baseNames) {
    tables.set(name, {
      name,
      columns: columnsByTable.get(name) ?? [],
      indexes: [...(indexesByTable.get(name) ?? new Map<string, { unique: boolean; columns: string[] }>()).entries()].map(([n, i]) => ({
        name: n,
        unique: i.unique,
        columns: i.columns,
      })),
      updateTriggers: triggersByTable.get(name) ?? [],
      ...(surrogates.has(name) ? { hasSurrogate: true } : {}),
    });
  }
  const fks = new Map<string, { name: string; table: string; columns: string[]; referencedTable: string; referencedColumns: string[] }>();
  for (const r of fkRows) {
    const id = `${String(r.tbl)}\u0000${String(r.name)}`;
    const fk = fks.get(id) ?? {
      name: String(r.name),
      table: String(r.tbl),
      columns: [],
      referencedTable: String(r.refTable),
      referencedColumns: [],
    };
    fk.columns.push(String(r.col));
    fk.referencedColumns.push(String(r.refCol));
    fks.set(id, fk);
  }
  const foreignKeys = [...fks.values()].filter((fk) => tables.has(fk.table) && tables.has(fk.referencedTable));
  return { database, tables, views, foreignKeys };
}

/** The single-column primary key, if any. */
export function primaryKeyColumns(table: TableInfo): readonly string[] {
  return table.indexes.find((i) => i.name === 'PRIMARY')?.columns ?? [];
}

/** One schema of the server as the inventory sees it: base tables and their text columns. */
export interface InventorySchema {
  readonly schema: string;
  readonly tables: ReadonlyArray<{ readonly table: string; readonly textColumns: readonly ColumnInfo[] }>;
}

/**
 * Every non-system schema visible to the session's account (the Lambda uses the cluster's master
 * user, which sees all of them), with its base tables (the engine's scratch tables of `database`
 * left out) and their text columns.
 */
export async function readInventory(conn: Connection, database: string, systemSchemas: readonly string[]): Promise<InventorySchema[]> {
  const skip = systemSchemas.map((s) => s.toLowerCase());
  const schemaRows = await rows(conn, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME', []);
  const schemas = schemaRows.map((r) => String(r.name)).filter((n) => !skip.includes(n.toLowerCase()));
  if (!schemas.includes(database)) schemas.push(database);
  if (schemas.length === 0) return [];
  const marks = schemas.map(() => '?').join(', ');
  const tableRows = await rows(
    conn,
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS name FROM information_schema.TABLES ` +
      `WHERE TABLE_SCHEMA IN (${marks}) AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM ` +
      `VERSIONED') ORDER BY TABLE_SCHEMA, TABLE_NAME`,
    schemas,
  );
  const colRows = await rows(
    conn,
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS tbl, COLUMN_NAME AS name, ` +
      `LOWER(DATA_TYPE) AS dataType, COLUMN_TYPE AS columnType, ` +
      `CHARACTER_MAXIMUM_LENGTH AS maxLength,
            IS_NULLABLE AS nullable, ` +
      `CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation
       FROM ` +
      `information_schema.COLUMNS WHERE TABLE_SCHEMA IN (${marks}) AND ` +
      `LOWER(DATA_TYPE) IN ('char', 'varchar', 'tinytext', 'text', 'mediumtext', ` +
      `'longtext')
      ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
    schemas,
  );
  const cols = new Map<string, ColumnInfo[]>();
  for (const r of colRows) {
    const id = `${String(r.s)}\u0000${String(r.tbl)}`;
    cols.set(id, [
      ...(cols.get(id) ?? []),
      {
        name: String(r.name),
        dataType: String(r.dataType),
        columnType: String(r.columnType),
        typeClass: 'string',
        ...(r.maxLength !== null && r.maxLength !== undefined ? { maxLength: Number(r.maxLength) } : {}),
        nullable: String(r.nullable) === 'YES',
        generated: false,
        onUpdate: false,
        ...(r.charset ? { charset: textOf(r.charset) } : {}),
        ...(r.collation ? { collation: textOf(r.collation) } : {}),
      },
    ]);
  }
  return schemas.map((schema) => ({
    schema,
    tables: tableRows
      .filter((r) => String(r.s) === schema && !(schema === database && isScratchTable(String(r.name))))
      .map((r) => ({ table: String(r.name), textColumns: cols.get(`${schema}\u0000${String(r.name)}`) ?? [] })),
  }));
}
