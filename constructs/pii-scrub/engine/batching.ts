/**
 * Key-range batches over any key: a single- or multi-column primary key or UNIQUE index of NOT
 * NULL columns of any type (integer, UUID/char, binary, date...), or the engine's temporary
 * surrogate key. A batch is `(key) > lo AND (key) <= hi` in the key's index order, written as the
 * lexicographic expansion `k0 > a OR (k0 = a AND k1 > b) ...` (which both MySQL 8 and MariaDB
 * turn into index ranges).
 *
 * Key values never travel as text that could be re-read differently: integers as decimal digits,
 * text and binary values as the hex of their bytes (rebuilt with `CONVERT(X'..' USING <charset>)
 * COLLATE <column collation>`, so comparisons use the column's own collation, i.e. its index
 * order), other types as their canonical text. The cursor stored in the state table is the JSON
 * array of these encodings: no value is logged or written to evidence.
 */
import type { Connection } from 'mysql2/promise';
import type { MaskTablePlan } from './plan';
import type { ColumnInfo } from './schema';
import { integerLiteral, literal, quoteIdentifier } from './sql';

export interface Batch {
  readonly lo: readonly string[] | null;
  readonly hi: readonly string[];
}

const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

function encodeExpr(alias: string, c: ColumnInfo): string {
  const ref = `${alias}.${quoteIdentifier(c.name)}`;
  if (c.typeClass === 'string' || BINARY_TYPES.has(c.dataType)) return `HEX(${ref})`;
  return `CAST(${ref} AS CHAR)`;
}

export function keyLiteral(c: ColumnInfo, encoded: string): string {
  if (c.typeClass === 'integer') return integerLiteral(encoded);
  if (c.typeClass === 'string' || BINARY_TYPES.has(c.dataType)) {
    if (!/^([0-9A-Fa-f]{2})*$/.test(encoded)) throw new Error('a key value is not hex');
    const bytes = encoded.length ? `X'${encoded}'` : "''";
    if (c.typeClass !== 'string') return bytes;
    if (!/^[a-z0-9_]+$/.test(c.charset ?? '') || !/^[a-z0-9_]+$/.test(c.collation ?? ''))
      throw new Error(`unknown character set of key column ${c.name}`);
    return `CONVERT(${bytes} USING ${c.charset}) COLLATE ${c.collation}`;
  }
  return literal(encoded);
}

function ref(alias: string, c: ColumnInfo): string {
  return `${alias}.${quoteIdentifier(c.name)}`;
}

/** Rows after `values` in key order (`strict`) or up to and including them. */
function compare(alias: string, key: readonly ColumnInfo[], values: readonly string[], op: '>' | '<='): string {
  const strict = op === '>' ? '>' : '<';
  const terms: string[] = [];
  for (let i = 0; i < key.length; i++) {
    const eq = key.slice(0, i).map((c, j) => `${ref(alias, c)} = ${keyLiteral(c, values[j])}`);
    const last = i === key.length - 1 && op === '<=' ? '<=' : strict;
    terms.push([...eq, `${ref(alias, key[i])} ${last} ${keyLiteral(key[i], values[i])}`].join(' AND '));
  }
  return terms.length === 1 ? terms[0] : `(${terms.map((t) => `(${t})`).join(' OR ')})`;
}

export function rangeCondition(alias: string, key: readonly ColumnInfo[], b: Batch): string {
  const upper = compare(alias, key, b.hi, '<=');
  return b.lo === null ? upper : `${compare(alias, key, b.lo, '>')} AND ${upper}`;
}

/** The next key range of at most `size` rows after `lo`, or undefined when the table is done. */
export async function nextBatch(
  conn: Connection,
  t: Pick<MaskTablePlan, 'key' | 'ref'>,
  lo: readonly string[] | null,
  size: number,
): Promise<Batch | undefined> {
  const alias = 'b';
  const cols = t.key.map((c, i) => `${encodeExpr(alias, c)} AS k${i}`).join(', ');
  const where = lo === null ? '' : `WHERE ${compare(alias, t.key, lo, '>')}`;
  const order = (dir: string) => t.key.map((c) => `${ref(alias, c)}${dir}`).join(', ');
  const read = (r: Record<string, unknown> | undefined) => (r ? t.key.map((_, i) => String(r[`k${i}`])) : undefined);
  const [rows] = await conn.query(`SELECT ${cols} FROM ${t.ref} ${alias} ${where} ORDER BY ${order('')} LIMIT 1 OFFSET ${size - 1}`);
  const hit = read((rows as Array<Record<string, unknown>>)[0]);
  if (hit) return { lo, hi: hit };
  const [last] = await conn.query(`SELECT ${cols} FROM ${t.ref} ${alias} ${where} ORDER BY ${order(' DESC')} LIMIT 1`);
  const m = read((last as Array<Record<string, unknown>>)[0]);
  return m ? { lo, hi: m } : undefined;
}

/** `o.k0 = t.c0 AND ...`: the originals table joined on the key. */
export function joinOn(t: MaskTablePlan, o: string, alias: string): string {
  return t.key.map((c, i) => `${o}.k${i} = ${ref(alias, c)}`).join(' AND ');
}

/** Column definitions of the key in the originals table. */
export function keyColumnDefinitions(t: MaskTablePlan): string[] {
  return t.key.map((c, i) => `k${i} ${columnDefinition(c)} NOT NULL`);
}

/** A column's type as written in CREATE TABLE, with its character set and collation. */
export function columnDefinition(c: ColumnInfo): string {
  const type = c.columnType.replace(/\s+(on update|default)\b.*$/i, '');
  return c.typeClass === 'string' && c.charset && c.collation ? `${type} CHARACTER SET ${c.charset} COLLATE ${c.collation}` : type;
}
