/**
 * Rules meet the live schema: every check that can be made before the first write. A plan that
 * comes back is safe to execute; otherwise ScrubRulesError lists every problem (missing tables or
 * columns, columns without a rule, strategies that do not fit a column, broken links...).
 *
 * Privacy by default: every column of a table named in the rules needs a rule (`keep` included),
 * so a personal-data column added by a release is never silently left. Tables not named in the
 * rules are not touched.
 */
import { createHash } from 'crypto';
import type { Connection } from 'mysql2/promise';
import { RulesIssue, RulesPathSegment, ScrubRulesError, didYouMean, formatRulesIssue } from './issues';
import { ColumnRule, MaskTableRules, ScrubRules, SCRATCH_TABLE_PREFIX } from './rules';
import { ColumnInfo, ForeignKeyInfo, SchemaInfo, TableInfo, primaryKeyColumns, readSchema } from './schema';
import { quoteIdentifier } from './sql';
import { ENGINE_VERSION } from './version';

/** A column that is changed (every rule but `keep`). */
export interface PlannedColumn {
  readonly rule: Exclude<ColumnRule, { strategy: 'keep' }>;
  readonly info: ColumnInfo;
  /** Column of the originals table holding this column's keyed hash, when the strategy uses one. */
  readonly originalsColumn?: string;
  /** Column of the originals table holding the keyed hash of the subject (dateShift). */
  readonly shiftColumn?: string;
  /** Length of the generated value, for strategies that write fixed-size or truncated text. */
  readonly outputLength?: number;
}

/** One keyed hash of a subject column per (subject, days), shared by the table's dateShift rules. */
export interface ShiftSource {
  readonly originalsColumn: string;
  readonly subject: string;
}

export interface MaskTablePlan {
  readonly table: string;
  readonly action: 'mask';
  readonly key: ColumnInfo;
  /** Rows when the plan was made. */
  readonly rows: number;
  readonly masked: readonly PlannedColumn[];
  readonly kept: readonly string[];
  /** ON UPDATE CURRENT_TIMESTAMP columns, assigned to themselves by every masking UPDATE. */
  readonly onUpdateColumns: readonly string[];
  readonly shifts: readonly ShiftSource[];
  /** Scratch table holding the keyed hashes of the original values. */
  readonly originalsTable: string;
}

export interface TruncateTablePlan {
  readonly table: string;
  readonly action: 'truncate';
  readonly rows: number;
}

export type TablePlan = MaskTablePlan | TruncateTablePlan;

export interface ScrubPlan {
  readonly database: string;
  readonly rules: ScrubRules;
  /** In rules-file order. */
  readonly tables: readonly TablePlan[];
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
/** Strategies whose output depends on a keyed hash of the value itself. */
const TOKEN_STRATEGIES = new Set(['hash', 'email', 'phone', 'pseudonym', 'partial', 'generalize', 'dateShift']);

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

function resolveKey(ctx: Ctx, rules: MaskTableRules, info: TableInfo): ColumnInfo | undefined {
  const byName = new Map(info.columns.map((c) => [c.name, c]));
  const pk = primaryKeyColumns(info);
  if (rules.key === undefined) {
    const col = pk.length === 1 ? byName.get(pk[0]) : undefined;
    if (!col || col.typeClass !== 'integer') {
      ctx.report(['tables', rules.table], `has no single-column integer primary key to batch on (primary key: ${pk.length ? pk.join(', ') : 'none'}); set 'key:' to a unique NOT NULL integer column, or truncate the table`);
      return undefined;
    }
    return col;
  }
  const col = byName.get(rules.key);
  if (!col) {
    ctx.report(['tables', rules.table, 'key'], `column '${rules.key}' does not exist in table '${rules.table}'${didYouMean(rules.key, [...byName.keys()])}`);
    return undefined;
  }
  const unique = (pk.length === 1 && pk[0] === col.name) || (!col.nullable && info.indexes.some((i) => i.unique && i.columns.length === 1 && i.columns[0] === col.name));
  if (col.typeClass !== 'integer' || !unique) {
    ctx.report(['tables', rules.table, 'key'], `'${rules.key}' (${typeName(col)}) must be an integer column that is the primary key or has a single-column UNIQUE index and is NOT NULL`);
    return undefined;
  }
  return col;
}

/** Reports what does not fit; returns the output length for truncating strategies. */
function checkColumn(ctx: Ctx, table: TableInfo, rule: ColumnRule, info: ColumnInfo, key: ColumnInfo | undefined, rows: number): { ok: boolean; outputLength?: number } {
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
  if (key && key.name === info.name) {
    bad(`'${info.name}' is the key used for batching and links rows; it must be keep (mask the personal columns instead)`);
    return { ok };
  }
  const needsText = () => {
    if (info.typeClass !== 'string') bad(`strategy '${rule.strategy}' needs a text column (char, varchar or text); '${info.name}' is ${typeName(info)}`);
    return info.typeClass === 'string';
  };
  const maxLength = info.maxLength ?? 0;
  switch (rule.strategy) {
    case 'null':
      if (!info.nullable) bad(`'${info.name}' is NOT NULL, so it cannot be set to NULL; use fixed (e.g. { strategy: fixed, value: "" }) or another strategy`, [...path]);
      return { ok };
    case 'fixed': {
      const v = rule.value;
      if (info.typeClass === 'string' && String(v).length > maxLength) bad(`the fixed value has ${String(v).length} characters but '${info.name}' is ${typeName(info)}`, [...path, 'value']);
      if (info.typeClass === 'integer' && !(typeof v === 'number' && Number.isInteger(v))) bad(`'${info.name}' is ${typeName(info)}; the fixed value must be a whole number`, [...path, 'value']);
      if (info.typeClass === 'decimal' && typeof v !== 'number') bad(`'${info.name}' is ${typeName(info)}; the fixed value must be a number`, [...path, 'value']);
      if (info.typeClass === 'date' && !(typeof v === 'string' && /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$/.test(v))) {
        bad(`'${info.name}' is ${typeName(info)}; the fixed value must be a date "YYYY-MM-DD" or "YYYY-MM-DD hh:mm:ss"`, [...path, 'value']);
      }
      if (rows > 1 && table.indexes.some((i) => i.unique && i.columns.includes(info.name))) ctx.warn(`${table.name}.${info.name}: a fixed value in a UNIQUE index fails on the second row`);
      return { ok };
    }
    case 'hash': {
      if (!needsText()) return { ok };
      const length = rule.length ?? Math.min(64, maxLength);
      if (length > maxLength) bad(`length ${length} does not fit '${info.name}' (${typeName(info)})`, [...path, 'length']);
      else if (length < MIN_HASH_LENGTH) bad(`'${info.name}' (${typeName(info)}) is too short for a keyed hash (at least ${MIN_HASH_LENGTH} characters); use partial, fixed or null`);
      return { ok, outputLength: length };
    }
    case 'email': {
      if (!needsText()) return { ok };
      const length = EMAIL_LOCAL_LENGTH + 1 + rule.domain.length;
      if (length > maxLength) bad(`fake addresses at '${rule.domain}' have ${length} characters but '${info.name}' is ${typeName(info)}; use a shorter domain`);
      return { ok, outputLength: length };
    }
    case 'phone': {
      if (!needsText()) return { ok };
      if (rule.format.length > maxLength) bad(`the format '${rule.format}' has ${rule.format.length} characters but '${info.name}' is ${typeName(info)}`, [...path, 'format']);
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
      if (info.typeClass !== 'date') bad(`strategy '${rule.strategy}' needs a date column (date, datetime or timestamp); '${info.name}' is ${typeName(info)}`);
      return { ok };
  }
}

function planMaskTable(ctx: Ctx, rules: MaskTableRules, info: TableInfo, index: number): MaskTablePlan | undefined {
  let ok = true;
  const report = (p: RulesPathSegment[], m: string) => {
    ok = false;
    ctx.report(p, m);
  };
  const byName = new Map(info.columns.map((c) => [c.name, c]));
  const ruleByColumn = new Map(rules.columns.map((r) => [r.column, r]));
  for (const r of rules.columns) {
    if (!byName.has(r.column)) {
      report(columnPath(rules.table, r.column), `column '${r.column}' does not exist in table '${rules.table}'${didYouMean(r.column, [...byName.keys()])}; remove the rule or fix the name`);
    }
  }
  for (const c of info.columns) {
    if (!ruleByColumn.has(c.name)) {
      report(
        ['tables', rules.table, 'columns'],
        `column '${c.name}' (${typeName(c)}) has no rule; every column of a scrubbed table needs one: write '${c.name}: keep' if it holds no personal data, otherwise a masking strategy`,
      );
    }
  }
  const subjectPath = ['tables', rules.table, 'subject'];
  if (rules.subject !== undefined && !byName.has(rules.subject)) {
    report(subjectPath, `column '${rules.subject}' does not exist in table '${rules.table}'${didYouMean(rules.subject, [...byName.keys()])}`);
  }
  const key = resolveKey(ctx, rules, info);
  if (!key) ok = false;
  if (info.updateTriggers.length > 0 && !rules.allowUpdateTriggers && rules.columns.some((r) => r.strategy !== 'keep')) {
    report(
      ['tables', rules.table],
      `has UPDATE trigger(s) ${info.updateTriggers.join(', ')} that masking would fire (they may copy original values elsewhere); drop them before the scrub, or set 'allowUpdateTriggers: true' once you have checked them`,
    );
  }
  const rows = ctx.rowCounts.get(rules.table) ?? 0;
  const masked: PlannedColumn[] = [];
  const shifts: ShiftSource[] = [];
  let tokenIndex = 0;
  for (const rule of rules.columns) {
    const col = byName.get(rule.column);
    if (!col) continue;
    const checked = checkColumn(ctx, info, rule, col, key, rows);
    if (!checked.ok) ok = false;
    if (rule.strategy === 'keep') continue;
    let shiftColumn: string | undefined;
    if (rule.strategy === 'dateShift') {
      const subject = byName.get(rule.subject);
      const fromTable = rules.subject === rule.subject;
      const p = fromTable ? subjectPath : columnPath(rules.table, rule.column, 'subject');
      if (!subject) {
        if (fromTable) ok = false; // reported once, at the table's subject
        else report(p, `subject column '${rule.subject}' does not exist in table '${rules.table}'${didYouMean(rule.subject, [...byName.keys()])}`);
      } else if ((ruleByColumn.get(subject.name)?.strategy ?? 'keep') !== 'keep') {
        report(p, `subject column '${subject.name}' must be keep: the shift is derived from it, so it must stay the same in every table`);
      } else {
        let shift = shifts.find((s) => s.subject === subject.name);
        if (!shift) {
          shift = { originalsColumn: `s${shifts.length}`, subject: subject.name };
          shifts.push(shift);
        }
        shiftColumn = shift.originalsColumn;
      }
    }
    masked.push({
      rule,
      info: col,
      ...(TOKEN_STRATEGIES.has(rule.strategy) ? { originalsColumn: `h${tokenIndex++}` } : {}),
      ...(shiftColumn ? { shiftColumn } : {}),
      ...(checked.outputLength !== undefined ? { outputLength: checked.outputLength } : {}),
    });
    const uniqueIdx = info.indexes.find((i) => i.unique && i.columns.includes(col.name));
    if (uniqueIdx && ['pseudonym', 'phone', 'partial', 'generalize', 'dateShift'].includes(rule.strategy)) {
      ctx.warn(`${rules.table}.${col.name}: strategy '${rule.strategy}' is not one-to-one and the column is in UNIQUE index '${uniqueIdx.name}'; the scrub fails if two rows get the same value`);
    }
  }
  if (!ok || !key) return undefined;
  return {
    table: rules.table,
    action: 'mask',
    key,
    rows,
    masked,
    kept: rules.columns.filter((r) => r.strategy === 'keep').map((r) => r.column),
    onUpdateColumns: info.columns.filter((c) => c.onUpdate && !masked.some((m) => m.info.name === c.name)).map((c) => c.name),
    shifts,
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
        ctx.report(['tables', fk.referencedTable], `truncating '${fk.referencedTable}' would orphan the rows of '${fk.table}' (foreign key ${fk.name}); truncate '${fk.table}' as well, or keep '${fk.referencedTable}'`);
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
          `foreign key ${fk.name} links ${fk.table}.${col} to ${fk.referencedTable}.${refCol}, but they are masked differently (${describeMapping(a)} vs ${describeMapping(b)}); give both the same rule so the link survives`,
        );
      }
    });
  }
}

async function countRows(conn: Connection, database: string, tables: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const t of tables) {
    const [r] = await conn.query(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(database)}.${quoteIdentifier(t)}`);
    counts.set(t, Number((r as Array<{ n: string | number }>)[0].n));
  }
  return counts;
}

/** SHA-256 of what a plan does (engine version, tables, rules, scratch columns), not of row counts. */
export function planFingerprint(database: string, tables: readonly TablePlan[]): string {
  const shape = tables.map((t) =>
    t.action === 'truncate'
      ? { table: t.table, action: t.action }
      : { table: t.table, key: t.key.name, masked: t.masked.map((m) => ({ ...m.rule, o: m.originalsColumn, s: m.shiftColumn, l: m.outputLength })), shifts: t.shifts, orig: t.originalsTable },
  );
  return createHash('sha256').update(JSON.stringify({ engine: ENGINE_VERSION, database, shape })).digest('hex');
}

export interface PlanOptions {
  /**
   * Count the rows of every table named in the rules (row counts in the plan, and the check that
   * a truncated parent has no child rows left). A resumed run skips it. @default true
   */
  readonly countRows?: boolean;
}

/**
 * Checks the rules against the live schema and returns what a scrub would do, or throws
 * ScrubRulesError with every problem. Reads only (information_schema and row counts).
 */
export async function planScrub(conn: Connection, database: string, rules: ScrubRules, options: PlanOptions = {}): Promise<ScrubPlan> {
  const schema = await readSchema(conn, database);
  const issues: RulesIssue[] = [];
  const warnings: string[] = [];
  const existing = rules.tables.filter((t) => schema.tables.has(t.table)).map((t) => t.table);
  const rowCounts = options.countRows === false ? new Map<string, number>() : await countRows(conn, database, existing);
  const ctx: Ctx = {
    schema,
    rowCounts,
    report: (path, message) => issues.push({ file: rules.file, path, message }),
    warn: (m) => warnings.push(m),
  };
  const plans = new Map<string, TablePlan>();
  let maskIndex = 0;
  for (const t of rules.tables) {
    const info = schema.tables.get(t.table);
    if (!info) {
      const message = schema.views.includes(t.table)
        ? `'${t.table}' is a view; only base tables can be scrubbed (scrub the tables it reads)`
        : `table '${t.table}' does not exist in database '${database}'${didYouMean(t.table, [...schema.tables.keys()])}; remove it from the rules or fix the name`;
      ctx.report(['tables', t.table], message);
      continue;
    }
    if (t.action === 'truncate') {
      plans.set(t.table, { table: t.table, action: 'truncate', rows: rowCounts.get(t.table) ?? 0 });
      continue;
    }
    maskIndex += 1;
    const plan = planMaskTable(ctx, t, info, maskIndex);
    if (plan) plans.set(t.table, plan);
  }
  checkForeignKeys(ctx, rules, plans);
  const days = new Set(rules.tables.flatMap((t) => (t.action === 'mask' ? t.columns.flatMap((c) => (c.strategy === 'dateShift' ? [c.days] : [])) : [])));
  if (days.size > 1) {
    warnings.push(`dateShift rules use different 'days' (${[...days].join(', ')}): the shift of one subject depends on 'days', so dates with different 'days' move by different offsets`);
  }
  if (issues.length > 0) {
    const seen = new Set<string>();
    throw new ScrubRulesError(issues.filter((i) => !seen.has(formatRulesIssue(i)) && seen.add(formatRulesIssue(i))));
  }
  const tables = rules.tables.map((t) => plans.get(t.table) as TablePlan);
  return { database, rules, tables, foreignKeys: schema.foreignKeys, warnings, fingerprint: planFingerprint(database, tables) };
}

/** A human-readable plan (the CLI's --dry-run). Names and counts only, never values. */
export function formatPlan(plan: ScrubPlan): string {
  const out: string[] = [`Scrub plan for database '${plan.database}' (rules ${plan.rules.file}, sha256 ${plan.rules.sha256}):`];
  for (const t of plan.tables) {
    if (t.action === 'truncate') {
      out.push(`  ${t.table}: truncate (${t.rows} rows)`);
      continue;
    }
    out.push(`  ${t.table}: mask ${t.masked.length} column(s) of ${t.rows} rows, batched on '${t.key.name}'`);
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
  out.push('  tables not named in the rules are not touched');
  for (const w of plan.warnings) out.push(`  warning: ${w}`);
  return out.join('\n');
}
