/**
 * Rules meet the live schema: every check that can be made before the first write. A plan that
 * comes back is safe to execute; otherwise ScrubRulesError lists every problem (missing tables or
 * columns, columns without a rule, strategies that do not fit a column, broken links...).
 *
 * Privacy by default, exhaustively: every table of the scrubbed database and every other
 * non-system schema of the server must be named by the rules (masked, truncated or kept), and every
 * column of a masked table needs a rule (`keep` included), so a table, schema or column added by a
 * release stops the scrub instead of leaking.
 */
import { createHash } from 'crypto';
import type { Connection } from 'mysql2/promise';
import { RulesIssue, RulesPathSegment, ScrubRulesError, didYouMean, formatRulesIssue } from './issues';
import { ColumnRule, MaskTableRules, ScrubRules, SCRATCH_TABLE_PREFIX, SYSTEM_SCHEMAS, detectRulesOf } from './rules';
import {
  ColumnInfo,
  ForeignKeyInfo,
  InventorySchema,
  SURROGATE_COLUMN,
  SchemaInfo,
  TableInfo,
  primaryKeyColumns,
  readInventory,
  readSchema,
} from './schema';
import { quoteIdentifier } from './sql';
import { STORED_STRATEGIES } from './strategies';
import { ENGINE_VERSION } from './version';

/** A column that is changed (every rule but `keep`). */
export interface PlannedColumn {
  readonly rule: Exclude<ColumnRule, { strategy: 'keep' }>;
  readonly info: ColumnInfo;
  /** Column of the originals table holding the masked value computed by the snapshot (stored strategies). */
  readonly storedColumn?: string;
  /** The subject column of a dateShift rule. */
  readonly shiftSubject?: string;
  /** Length of the generated value, for strategies that write fixed-size or truncated text. */
  readonly outputLength?: number;
}

/** How a masked table is batched: by its primary key, a UNIQUE index, or a temporary surrogate key. */
export type KeySource = 'primary key' | 'unique index' | 'surrogate';

interface TablePlanBase {
  /** The name in rules, messages and evidence: `table` in the scrubbed database, `schema.table` elsewhere. */
  readonly table: string;
  readonly schema: string;
  /** Qualified, quoted SQL reference. */
  readonly ref: string;
  /** Rows when the plan was made. */
  readonly rows: number;
  /** Text columns scanned for PII patterns after the scrub (kept columns only). */
  readonly scanColumns: readonly ColumnInfo[];
}

export interface MaskTablePlan extends TablePlanBase {
  readonly action: 'mask';
  /** Batching key columns, in index order (the surrogate column when keySource is 'surrogate'). */
  readonly key: readonly ColumnInfo[];
  readonly keySource: KeySource;
  /** Name of the UNIQUE index used, when keySource is 'unique index'. */
  readonly keyIndex?: string;
  readonly masked: readonly PlannedColumn[];
  readonly kept: readonly string[];
  /** ON UPDATE CURRENT_TIMESTAMP columns, assigned to themselves by every masking UPDATE. */
  readonly onUpdateColumns: readonly string[];
  /** Scratch table holding the key and the masked values computed from the originals. */
  readonly originalsTable: string;
}

export interface TruncateTablePlan extends TablePlanBase {
  readonly action: 'truncate';
}

export interface KeepTablePlan extends TablePlanBase {
  readonly action: 'keep';
  /**
   * Key of a kept table of the scrubbed database (primary key, else the smallest UNIQUE index of
   * NOT NULL columns): its PII scan reads it in key ranges. Without one, the scan is one read.
   */
  readonly scanKey?: readonly ColumnInfo[];
}

export type TablePlan = MaskTablePlan | TruncateTablePlan | KeepTablePlan;

export interface ScrubPlan {
  readonly database: string;
  readonly rules: ScrubRules;
  /**
   * Every table of the inventory: the scrubbed database's in rules-file order, then the other
   * schemas' (schema and table names sorted).
   */
  readonly tables: readonly TablePlan[];
  /** Every non-system schema inventoried (the scrubbed database first). */
  readonly schemas: readonly string[];
  /** Schemas left out of the inventory. */
  readonly systemSchemas: readonly string[];
  /** Every foreign key between tables of the schema (all are checked after a scrub). */
  readonly foreignKeys: readonly ForeignKeyInfo[];
  /** Things that may fail at run time (e.g. a non-injective strategy on a unique index). */
  readonly warnings: readonly string[];
  /** SHA-256 of what the plan does; a resumed run must find the same plan. */
  readonly fingerprint: string;
}

/** Scratch tables holding the keyed hashes of the originals: `_clinspark_scrub_orig_<n>`. */
export const ORIGINALS_TABLE_PREFIX = `${SCRATCH_TABLE_PREFIX}_orig_`;

const EMAIL_LOCAL_LENGTH = 17; // 'u' + 16 hex
const MIN_HASH_LENGTH = 16;

function typeName(info: ColumnInfo): string {
  return info.columnType;
}

interface Ctx {
  readonly schema: SchemaInfo;
  readonly rowCounts: Map<string, number>;
  report(path: RulesPathSegment[], message: string): void;
  warn(message: string): void;
}

function columnPath(table: string, column: string, ...rest: RulesPathSegment[]): RulesPathSegment[] {
  return ['tables', table, 'columns', column, ...rest];
}

interface ResolvedKey {
  readonly columns: readonly ColumnInfo[];
  readonly source: KeySource;
  readonly index?: string;
}

/** A unique index whose columns are all NOT NULL identifies each row. */
function usableUnique(info: TableInfo): Array<{ name: string; columns: readonly string[] }> {
  const byName = new Map(info.columns.map((c) => [c.name, c]));
  return info.indexes
    .filter((i) => i.unique && i.name !== 'PRIMARY' && i.columns.every((c) => byName.get(c) && !byName.get(c)?.nullable))
    .sort((a, b) => a.columns.length - b.columns.length || a.name.localeCompare(b.name));
}

/** The key a kept table's PII scan is batched on: the primary key, else the smallest usable UNIQUE index. */
function scanKeyOf(info: TableInfo): ColumnInfo[] | undefined {
  const byName = new Map(info.columns.map((c) => [c.name, c]));
  const pk = info.hasSurrogate ? [] : primaryKeyColumns(info);
  const names = pk.length ? pk : usableUnique(info)[0]?.columns;
  return names?.length ? names.map((n) => byName.get(n) as ColumnInfo) : undefined;
}

function resolveKey(ctx: Ctx, rules: MaskTableRules, info: TableInfo): ResolvedKey | undefined {
  const byName = new Map(info.columns.map((c) => [c.name, c]));
  const pk = primaryKeyColumns(info);
  const cols = (names: readonly string[]) => names.map((n) => byName.get(n) as ColumnInfo);
  if (rules.key === undefined) {
    if (pk.length > 0 && !info.hasSurrogate) return { columns: cols(pk), source: 'primary key' };
    const unique = usableUnique(info)[0];
    if (unique) return { columns: cols(unique.columns), source: 'unique index', index: unique.name };
    return { columns: [], source: 'surrogate' };
  }
  const missing = rules.key.filter((k) => !byName.has(k));
  if (missing.length) {
    for (const k of missing)
      ctx.report(
        ['tables', rules.table, 'key'],
        `column '${k}' does not exist in table '${rules.table}'${didYouMean(k, [...byName.keys()])}`,
      );
    return undefined;
  }
  const same = (names: readonly string[]) => names.length === rules.key?.length && names.every((n) => rules.key?.includes(n));
  if (same(pk)) return { columns: cols(pk), source: 'primary key' };
  const unique = usableUnique(info).find((i) => same(i.columns));
  if (unique) return { columns: cols(unique.columns), source: 'unique index', index: unique.name };
  ctx.report(
    ['tables', rules.table, 'key'],
    `${rules.key.map((k) => `'${k}'`).join(', ')} must be the primary key ` +
      `(${pk.length ? pk.join(', ') : 'none'}) or the columns of a UNIQUE index whose ` +
      `columns are all NOT NULL; or leave 'key' out (the engine then uses the primary ` +
      `key, a unique index, or a temporary surrogate key)`,
  );
  return undefined;
}

/** Reports what does not fit; returns the output length for truncating strategies. */
function checkColumn(
  ctx: Ctx,
  table: TableInfo,
  rule: ColumnRule,
  info: ColumnInfo,
  key: ResolvedKey | undefined,
  rows: number,
): { ok: boolean; outputLength?: number } {
  const path = columnPath(table.name, rule.column);
  let ok = true;
  const bad = (message: string, p: RulesPathSegment[] = path) => {
    ok = false;
    ctx.report(p, message);
  };
  if (rule.strategy === 'keep') return { ok };
  if (info.generated) {
    bad(`'${info.name}' is a generated column (recomputed from other columns); mark it keep and mask the columns it is computed from`);
    return { ok };
  }
  if (key && key.columns.some((k) => k.name === info.name)) {
    bad(
      `'${info.name}' is part of the key used for batching (${key.source}) and links ` +
        `rows; it must be keep (mask the personal columns instead)`,
    );
    return { ok };
  }
  const needsText = () => {
    if (info.typeClass !== 'string')
      bad(`strategy '${rule.strategy}' needs a text column (char, varchar or text); '${info.name}' is ${typeName(info)}`);
    return info.typeClass === 'string';
  };
  const maxLength = info.maxLength ?? 0;
  switch (rule.strategy) {
    case 'null':
      if (!info.nullable)
        bad(
          `'${info.name}' is NOT NULL, so it cannot be set to NULL; use fixed (e.g. { strategy: fixed, value: "" }) or another strategy`,
          [...path],
        );
      return { ok };
    case 'fixed': {
      const v = rule.value;
      if (info.typeClass === 'string' && String(v).length > maxLength)
        bad(`the fixed value has ${String(v).length} characters but '${info.name}' is ${typeName(info)}`, [...path, 'value']);
      if (info.typeClass === 'integer' && !(typeof v === 'number' && Number.isInteger(v)))
        bad(`'${info.name}' is ${typeName(info)}; the fixed value must be a whole number`, [...path, 'value']);
      if (info.typeClass === 'decimal' && typeof v !== 'number')
        bad(`'${info.name}' is ${typeName(info)}; the fixed value must be a number`, [...path, 'value']);
      if (info.typeClass === 'date' && !(typeof v === 'string' && /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$/.test(v))) {
        bad(`'${info.name}' is ${typeName(info)}; the fixed value must be a date "YYYY-MM-DD" or "YYYY-MM-DD hh:mm:ss"`, [
          ...path,
          'value',
        ]);
      }
      if (rows > 1 && table.indexes.some((i) => i.unique && i.columns.includes(info.name)))
        ctx.warn(`${table.name}.${info.name}: a fixed value in a UNIQUE index fails on the second row`);
      return { ok };
    }
    case 'hash': {
      if (!needsText()) return { ok };
      const length = rule.length ?? Math.min(64, maxLength);
      if (length > maxLength) bad(`length ${length} does not fit '${info.name}' (${typeName(info)})`, [...path, 'length']);
      else if (length < MIN_HASH_LENGTH)
        bad(
          `'${info.name}' (${typeName(info)}) is too short for a keyed hash (at least ` +
            `${MIN_HASH_LENGTH} characters); use partial, fixed or null`,
        );
      return { ok, outputLength: length };
    }
    case 'email': {
      if (!needsText()) return { ok };
      const length = EMAIL_LOCAL_LENGTH + 1 + rule.domain.length;
      if (length > maxLength)
        bad(`fake addresses at '${rule.domain}' have ${length} characters but '${info.name}' is ${typeName(info)}; use a shorter domain`);
      return { ok, outputLength: length };
    }
    case 'phone': {
      if (!needsText()) return { ok };
      if (rule.format.length > maxLength)
        bad(`the format '${rule.format}' has ${rule.format.length} characters but '${info.name}' is ${typeName(info)}`, [
          ...path,
          'format',
        ]);
      return { ok, outputLength: rule.format.length };
    }
    case 'pseudonym':
      if (!needsText()) return { ok };
      if (maxLength < 4) bad(`'${info.name}' (${typeName(info)}) is too short for a pseudonym; use partial, fixed or null`);
      return { ok, outputLength: maxLength };
    case 'partial':
      needsText();
      return { ok };
    case 'generalize':
    case 'dateShift':
      if (info.typeClass !== 'date')
        bad(`strategy '${rule.strategy}' needs a date column (date, datetime or timestamp); '${info.name}' is ${typeName(info)}`);
      return { ok };
  }
}

function planMaskTable(
  ctx: Ctx,
  rules: MaskTableRules,
  info: TableInfo,
  index: number,
  database: string,
  scanMasked: boolean,
): MaskTablePlan | undefined {
  let ok = true;
  const report = (p: RulesPathSegment[], m: string) => {
    ok = false;
    ctx.report(p, m);
  };
  const byName = new Map(info.columns.map((c) => [c.name, c]));
  const ruleByColumn = new Map(rules.columns.map((r) => [r.column, r]));
  for (const r of rules.columns) {
    if (!byName.has(r.column)) {
      report(
        columnPath(rules.table, r.column),
        `column '${r.column}' does not exist in table ` +
          `'${rules.table}'${didYouMean(r.column, [...byName.keys()])}; remove the rule or ` +
          `fix the name`,
      );
    }
  }
  for (const c of info.columns) {
    if (!ruleByColumn.has(c.name)) {
      report(
        ['tables', rules.table, 'columns'],
        `column '${c.name}' (${typeName(c)}) has no rule; every column of a scrubbed ` +
          `table needs one: write '${c.name}: keep' if it holds no personal data, ` +
          `otherwise a masking strategy`,
      );
    }
  }
  const subjectPath = ['tables', rules.table, 'subject'];
  if (rules.subject !== undefined && !byName.has(rules.subject)) {
    report(
      subjectPath,
      `column '${rules.subject}' does not exist in table '${rules.table}'${didYouMean(rules.subject, [...byName.keys()])}`,
    );
  }
  const key = resolveKey(ctx, rules, info);
  if (!key) ok = false;
  if (info.updateTriggers.length > 0 && !rules.allowUpdateTriggers && rules.columns.some((r) => r.strategy !== 'keep')) {
    report(
      ['tables', rules.table],
      `has UPDATE trigger(s) ${info.updateTriggers.join(', ')} that masking would fire ` +
        `(they may copy original values elsewhere); drop them before the scrub, or set ` +
        `'allowUpdateTriggers: true' once you have checked them`,
    );
  }
  const rows = ctx.rowCounts.get(rules.table) ?? 0;
  const masked: PlannedColumn[] = [];
  let storedIndex = 0;
  for (const rule of rules.columns) {
    const col = byName.get(rule.column);
    if (!col) continue;
    const checked = checkColumn(ctx, info, rule, col, key, rows);
    if (!checked.ok) ok = false;
    if (rule.strategy === 'keep') continue;
    let shiftSubject: string | undefined;
    if (rule.strategy === 'dateShift') {
      const subject = byName.get(rule.subject);
      const fromTable = rules.subject === rule.subject;
      const p = fromTable ? subjectPath : columnPath(rules.table, rule.column, 'subject');
      if (!subject) {
        if (fromTable)
          ok = false; // reported once, at the table's subject
        else
          report(
            p,
            `subject column '${rule.subject}' does not exist in table '${rules.table}'${didYouMean(rule.subject, [...byName.keys()])}`,
          );
      } else if ((ruleByColumn.get(subject.name)?.strategy ?? 'keep') !== 'keep') {
        report(p, `subject column '${subject.name}' must be keep: the shift is derived from it, so it must stay the same in every table`);
      } else {
        shiftSubject = subject.name;
      }
    }
    masked.push({
      rule,
      info: col,
      ...(STORED_STRATEGIES.has(rule.strategy) ? { storedColumn: `n${storedIndex++}` } : {}),
      ...(shiftSubject ? { shiftSubject } : {}),
      ...(checked.outputLength !== undefined ? { outputLength: checked.outputLength } : {}),
    });
    const uniqueIdx = info.indexes.find((i) => i.unique && i.columns.includes(col.name));
    if (uniqueIdx && ['pseudonym', 'phone', 'partial', 'generalize', 'dateShift'].includes(rule.strategy)) {
      ctx.warn(
        `${rules.table}.${col.name}: strategy '${rule.strategy}' is not one-to-one and ` +
          `the column is in UNIQUE index '${uniqueIdx.name}'; the scrub fails if two rows ` +
          `get the same value`,
      );
    }
  }
  if (!ok || !key) return undefined;
  const kept = rules.columns.filter((r) => r.strategy === 'keep').map((r) => r.column);
  const keyColumns: ColumnInfo[] =
    key.source === 'surrogate'
      ? [
          {
            name: SURROGATE_COLUMN,
            dataType: 'bigint',
            columnType: 'bigint unsigned',
            typeClass: 'integer',
            nullable: false,
            generated: false,
            onUpdate: false,
          },
        ]
      : [...key.columns];
  if (key.source === 'surrogate' && masked.length > 0) {
    ctx.warn(
      `${rules.table}: no primary key and no UNIQUE index of NOT NULL columns; batched ` +
        `on a temporary surrogate key (one ALTER TABLE adds it, another drops it after ` +
        `the scrub)`,
    );
  }
  return {
    table: rules.table,
    schema: database,
    ref: `${quoteIdentifier(database)}.${quoteIdentifier(rules.table)}`,
    action: 'mask',
    key: keyColumns,
    keySource: key.source,
    ...(key.index ? { keyIndex: key.index } : {}),
    rows,
    masked,
    kept,
    scanColumns: scanMasked ? info.columns.filter((c) => c.typeClass === 'string' && kept.includes(c.name)) : [],
    onUpdateColumns: info.columns.filter((c) => c.onUpdate && !masked.some((m) => m.info.name === c.name)).map((c) => c.name),
    originalsTable: `${ORIGINALS_TABLE_PREFIX}${index}`,
  };
}

/** How a column's values are transformed, for comparing the two ends of a foreign key. */
function mappingOf(rules: ScrubRules, table: string, column: string, plans: Map<string, TablePlan>): string {
  const plan = plans.get(table);
  const tableRules = rules.tables.find((t) => t.table === table);
  if (!tableRules) return 'keep';
  if (tableRules.action === 'truncate') return 'truncate';
  const planned = plan?.action === 'mask' ? plan.masked.find((m) => m.info.name === column) : undefined;
  if (!planned) return 'keep';
  const { column: _ignored, ...rest } = planned.rule;
  void _ignored;
  return JSON.stringify({ ...rest, outputLength: planned.outputLength });
}

function describeMapping(m: string): string {
  if (m === 'keep' || m === 'truncate') return m;
  const parsed = JSON.parse(m) as Record<string, unknown>;
  return Object.entries(parsed)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ');
}

function checkForeignKeys(ctx: Ctx, rules: ScrubRules, plans: Map<string, TablePlan>): void {
  for (const fk of ctx.schema.foreignKeys) {
    const childRules = rules.tables.find((t) => t.table === fk.table);
    const parentRules = rules.tables.find((t) => t.table === fk.referencedTable);
    if (!childRules && !parentRules) continue;
    if (childRules?.action === 'truncate') continue;
    if (parentRules?.action === 'truncate' && fk.table !== fk.referencedTable) {
      if ((ctx.rowCounts.get(fk.table) ?? 0) > 0) {
        ctx.report(
          ['tables', fk.referencedTable],
          `truncating '${fk.referencedTable}' would orphan the rows of '${fk.table}' ` +
            `(foreign key ${fk.name}); truncate '${fk.table}' as well, or keep ` +
            `'${fk.referencedTable}'`,
        );
      }
      continue;
    }
    fk.columns.forEach((col, i) => {
      const refCol = fk.referencedColumns[i];
      const a = mappingOf(rules, fk.table, col, plans);
      const b = mappingOf(rules, fk.referencedTable, refCol, plans);
      if (a !== b) {
        const path = childRules ? columnPath(fk.table, col) : columnPath(fk.referencedTable, refCol);
        ctx.report(
          path,
          `foreign key ${fk.name} links ${fk.table}.${col} to ` +
            `${fk.referencedTable}.${refCol}, but they are masked differently ` +
            `(${describeMapping(a)} vs ${describeMapping(b)}); give both the same rule so ` +
            `the link survives`,
        );
      }
    });
  }
}

/** Exact row counts; `tables` maps the display name to the qualified reference. */
async function countRows(conn: Connection, tables: ReadonlyMap<string, string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const [name, ref] of tables) {
    const [r] = await conn.query(`SELECT COUNT(*) AS n FROM ${ref}`);
    counts.set(name, Number((r as Array<{ n: string | number }>)[0].n));
  }
  return counts;
}

/** SHA-256 of what a plan does (engine version, tables, rules, scratch columns), not of row counts. */
export function planFingerprint(database: string, tables: readonly TablePlan[]): string {
  const shape = tables.map((t) =>
    t.action !== 'mask'
      ? { table: t.table, action: t.action }
      : {
          table: t.table,
          key: t.key.map((k) => k.name),
          source: t.keySource,
          masked: t.masked.map((m) => ({ ...m.rule, n: m.storedColumn, s: m.shiftSubject, l: m.outputLength })),
          orig: t.originalsTable,
        },
  );
  return createHash('sha256')
    .update(JSON.stringify({ engine: ENGINE_VERSION, database, shape }))
    .digest('hex');
}

export interface PlanOptions {
  /**
   * Count the rows of every table of the inventory (row counts in the plan and the evidence, and
   * the check that a truncated parent has no child rows left). A resumed run skips it. @default true
   */
  readonly countRows?: boolean;
}

function qualified(database: string, schema: string, table: string): { name: string; ref: string } {
  return { name: schema === database ? table : `${schema}.${table}`, ref: `${quoteIdentifier(schema)}.${quoteIdentifier(table)}` };
}

/**
 * Checks the rules against the live schema and the server's inventory, and returns what a scrub
 * would do, or throws ScrubRulesError with every problem (a table or schema the rules do not name
 * is one). Reads only (information_schema and row counts).
 */
export async function planScrub(conn: Connection, database: string, rules: ScrubRules, options: PlanOptions = {}): Promise<ScrubPlan> {
  const schema = await readSchema(conn, database);
  const inventory = await readInventory(conn, database, SYSTEM_SCHEMAS);
  const detect = detectRulesOf(rules);
  const issues: RulesIssue[] = [];
  const warnings: string[] = [];
  const report = (path: RulesPathSegment[], message: string) => issues.push({ file: rules.file, path, message });

  // The other schemas: each named, each of its tables named.
  const others = inventory.filter((s) => s.schema !== database);
  const schemaRules = rules.schemas ?? [];
  const otherTables: Array<{ schema: InventorySchema; table: InventorySchema['tables'][number]; action: 'keep' | 'truncate' }> = [];
  for (const sr of schemaRules) {
    if (sr.schema === database) {
      report(['schemas', sr.schema], `'${sr.schema}' is the scrubbed database; name its tables under 'tables', not under 'schemas'`);
      continue;
    }
    const found = others.find((o) => o.schema === sr.schema);
    if (!found) {
      report(
        ['schemas', sr.schema],
        `schema '${sr.schema}' does not exist on the server${didYouMean(
          sr.schema,
          others.map((o) => o.schema),
        )}; remove it from the rules or fix the name`,
      );
      continue;
    }
    if (sr.action !== 'tables') {
      for (const t of found.tables) otherTables.push({ schema: found, table: t, action: sr.action });
      continue;
    }
    for (const tr of sr.tables) {
      if (!found.tables.some((t) => t.table === tr.table)) {
        report(
          ['schemas', sr.schema, 'tables', tr.table],
          `table '${tr.table}' does not exist in schema '${sr.schema}'${didYouMean(
            tr.table,
            found.tables.map((t) => t.table),
          )}; remove it from the rules or fix the name`,
        );
      }
    }
    for (const t of found.tables) {
      const tr = sr.tables.find((x) => x.table === t.table);
      if (tr) otherTables.push({ schema: found, table: t, action: tr.action });
      else
        report(
          ['schemas', sr.schema, 'tables'],
          `table '${sr.schema}.${t.table}' is not named in the rules; every table of the schema must be: keep or truncate`,
        );
    }
  }
  for (const o of others) {
    if (!schemaRules.some((sr) => sr.schema === o.schema)) {
      report(
        ['schemas'],
        `schema '${o.schema}' (${o.tables.length} ` +
          `table(s)${
            o.tables.length
              ? `: ${o.tables
                  .slice(0, 5)
                  .map((t) => t.table)
                  .join(', ')}${o.tables.length > 5 ? ', ...' : ''}`
              : ''
          }) ` +
          `is not named in the rules; every non-system schema of the server must be named: ` +
          `'${o.schema}: keep' (no personal data), 'truncate', or '{ tables: ... }'`,
      );
    }
  }
  // The scrubbed database: every base table named.
  for (const name of schema.tables.keys()) {
    if (!rules.tables.some((t) => t.table === name)) {
      report(
        ['tables'],
        `table '${name}' of database '${database}' is not named in the rules; every ` +
          `table must be: masked ('${name}: { columns: ... }'), 'truncate', or 'keep' (no ` +
          `personal data)`,
      );
    }
  }

  const toCount = new Map<string, string>();
  for (const t of rules.tables) if (schema.tables.has(t.table)) toCount.set(t.table, qualified(database, database, t.table).ref);
  for (const o of otherTables) {
    const q = qualified(database, o.schema.schema, o.table.table);
    toCount.set(q.name, q.ref);
  }
  const rowCounts = options.countRows === false ? new Map<string, number>() : await countRows(conn, toCount);
  const ctx: Ctx = { schema, rowCounts, report, warn: (m) => warnings.push(m) };
  const plans = new Map<string, TablePlan>();
  let maskIndex = 0;
  for (const t of rules.tables) {
    const info = schema.tables.get(t.table);
    if (!info) {
      const message = schema.views.includes(t.table)
        ? `'${t.table}' is a view; only base tables can be scrubbed (scrub the tables it reads)`
        : `table '${t.table}' does not exist in database ` +
          `'${database}'${didYouMean(t.table, [...schema.tables.keys()])}; remove it from ` +
          `the rules or fix the name`;
      ctx.report(['tables', t.table], message);
      continue;
    }
    const q = qualified(database, database, t.table);
    if (t.action === 'truncate') {
      plans.set(t.table, {
        table: t.table,
        schema: database,
        ref: q.ref,
        action: 'truncate',
        rows: rowCounts.get(t.table) ?? 0,
        scanColumns: [],
      });
      continue;
    }
    if (t.action === 'keep') {
      const scanColumns = info.columns.filter((c) => c.typeClass === 'string');
      const scanKey = scanColumns.length ? scanKeyOf(info) : undefined;
      plans.set(t.table, {
        table: t.table,
        schema: database,
        ref: q.ref,
        action: 'keep',
        rows: rowCounts.get(t.table) ?? 0,
        scanColumns,
        ...(scanKey ? { scanKey } : {}),
      });
      continue;
    }
    maskIndex += 1;
    const plan = planMaskTable(ctx, t, info, maskIndex, database, detect.scanMaskedTables);
    if (plan) plans.set(t.table, plan);
  }
  checkForeignKeys(ctx, rules, plans);
  const days = new Set(
    rules.tables.flatMap((t) => (t.action === 'mask' ? t.columns.flatMap((c) => (c.strategy === 'dateShift' ? [c.days] : [])) : [])),
  );
  if (days.size > 1) {
    warnings.push(
      `dateShift rules use different 'days' (${[...days].join(', ')}): the shift of ` +
        `one subject depends on 'days', so dates with different 'days' move by different ` +
        `offsets`,
    );
  }
  for (const [i, a] of detect.acknowledge.entries()) {
    const exists = plans.has(a.table) || otherTables.some((o) => qualified(database, o.schema.schema, o.table.table).name === a.table);
    if (!exists)
      report(
        ['detect', 'acknowledge', i, 'table'],
        `table '${a.table}' is not in the inventory (write 'table' for the scrubbed database, 'schema.table' for another schema)`,
      );
  }
  if (issues.length > 0) {
    const seen = new Set<string>();
    throw new ScrubRulesError(issues.filter((i) => !seen.has(formatRulesIssue(i)) && seen.add(formatRulesIssue(i))));
  }
  const tables: TablePlan[] = rules.tables.map((t) => plans.get(t.table) as TablePlan);
  for (const o of otherTables) {
    const q = qualified(database, o.schema.schema, o.table.table);
    tables.push({
      table: q.name,
      schema: o.schema.schema,
      ref: q.ref,
      action: o.action,
      rows: rowCounts.get(q.name) ?? 0,
      scanColumns: o.action === 'keep' ? o.table.textColumns : [],
    });
  }
  return {
    database,
    rules,
    tables,
    schemas: [database, ...others.map((o) => o.schema)],
    systemSchemas: [...SYSTEM_SCHEMAS],
    foreignKeys: schema.foreignKeys,
    warnings,
    fingerprint: planFingerprint(database, tables),
  };
}

/** A human-readable plan (the CLI's --dry-run). Names and counts only, never values. */
export function formatPlan(plan: ScrubPlan): string {
  const out: string[] = [`Scrub plan for database '${plan.database}' (rules ${plan.rules.file}, sha256 ${plan.rules.sha256}):`];
  for (const t of plan.tables) {
    if (t.action === 'truncate') {
      out.push(`  ${t.table}: truncate (${t.rows} rows)`);
      continue;
    }
    if (t.action === 'keep') {
      out.push(
        `  ${t.table}: keep (${t.rows} ` +
          `rows${t.scanColumns.length ? `, ${t.scanColumns.length} text column(s) scanned for PII patterns` : ''})`,
      );
      continue;
    }
    const keyColumns = t.key.map((k) => `'${k.name}'`).join(', ');
    const batchKey =
      t.keySource === 'surrogate' ? 'a temporary surrogate key' : `${keyColumns} (${t.keySource}${t.keyIndex ? ` ${t.keyIndex}` : ''})`;
    out.push(`  ${t.table}: mask ${t.masked.length} column(s) of ${t.rows} rows, batched on ${batchKey}`);
    for (const m of t.masked) {
      const { column, strategy, ...options } = m.rule;
      const opts = Object.entries(options)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
        .join(' ');
      out.push(`    ${column.padEnd(24)} ${strategy}${opts ? ` (${opts})` : ''}   [${m.info.columnType}]`);
    }
    if (t.kept.length) out.push(`    kept: ${t.kept.join(', ')}`);
  }
  out.push(`  foreign keys checked after the scrub: ${plan.foreignKeys.length}`);
  out.push(`  schemas inventoried: ${plan.schemas.join(', ')} (system schemas ${plan.systemSchemas.join(', ')} excluded)`);
  for (const w of plan.warnings) out.push(`  warning: ${w}`);
  return out.join('\n');
}
