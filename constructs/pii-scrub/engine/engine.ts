/**
 * The scrub run: set-based SQL in key-range batches, checkpointed so that a run can stop before a
 * deadline and resume in a later call (the Lambda job), or run to completion in one call (CLI).
 *
 * Steps, in order (a step may span several calls; each batch commits together with its
 * checkpoint, so a batch is never applied twice):
 *
 *   prepare:<table>    tables without a usable key: add the temporary surrogate key
 *   mask:<table>       per batch, one transaction: the keyed pseudonyms computed from the originals
 *                      go to _clinspark_scrub_orig_<n> (INSERT ... SELECT); a locking read compares
 *                      the masked values with the originals (no original left, dateShift by its
 *                      offset); one UPDATE copies the keyed values and computes the in-place masks
 *                      (null, fixed, partial, generalize, dateShift) as the raw UPDATE does
 *   truncate:<table>
 *   verify:<table>     per key range (5x the batch), one read: keyed values as planned, no row
 *                      escaped, in-place masks in their masked form, already-scrubbed columns look
 *                      masked, kept text has no PII pattern
 *   scan:<table>       kept tables: PII patterns in their text columns (in key ranges if keyed)
 *   verify-foreign-keys, verify-row-counts
 *   cleanup            originals tables and surrogate keys dropped, verdict recorded
 *
 * Scratch tables live in the scrubbed schema, named `_clinspark_scrub_*`:
 * `_clinspark_scrub_state` (one row per run: status, step, last key done, counts and timings,
 * never a value; kept after the run as the record that the database was scrubbed) and
 * `_clinspark_scrub_orig_<n>` (key and masked keyed values, dropped at cleanup; only for tables
 * with keyed-pseudonym rules).
 */
import type { Connection } from 'mysql2/promise';
import {
  EVIDENCE_ENGINE,
  ScrubBusyError,
  ScrubEvidence,
  ScrubFailedError,
  StepEvidence,
  TableEvidence,
  VerificationCheck,
  safeErrorMessage,
} from './evidence';
import { checkKey, keyFingerprint } from './key';
import { Batch, columnDefinition, joinOn, keyColumnDefinitions, nextBatch, rangeCondition } from './batching';
import {
  KeepTablePlan,
  MaskTablePlan,
  ORIGINALS_TABLE_PREFIX,
  PlannedColumn,
  ScrubPlan,
  TablePlan,
  TruncateTablePlan,
  planScrub,
} from './plan';
import { ScrubRules, SCRATCH_TABLE_PREFIX, detectRulesOf } from './rules';
import { SURROGATE_COLUMN } from './schema';
import { ColumnSql, O, T, columnSql } from './strategies';
import { exactText, installKey, literal as escapeLiteral, quoteIdentifier, uninstallKey } from './sql';
import { ENGINE_VERSION } from './version';

/** The run record table, kept in the scrubbed schema after the run (no data values). */
export const STATE_TABLE = `${SCRATCH_TABLE_PREFIX}_state`;
/** Rows per key-range batch unless the caller says otherwise. */
export const DEFAULT_BATCH_SIZE = 20_000;
export const MAX_BATCH_SIZE = 1_000_000;
/** The verification pass reads (never writes) key ranges this many times the mask batch. */
const VERIFY_BATCH_FACTOR = 5;

/** Progress of a step, reported after every batch. Counts and names only. */
export interface ScrubProgress {
  readonly runId: string;
  /** `prepare`, `mask`, `truncate`, `verify`, `scan`, `verify-foreign-keys`, `verify-row-counts`, `cleanup`. */
  readonly step: string;
  readonly table?: string;
  readonly rowsDone: number;
  readonly rowsTotal?: number;
  /** Rows per second of this step in this call. */
  readonly rowsPerSecond: number;
  readonly stepDone: boolean;
}

export interface ScrubRunOptions {
  /**
   * An open connection (TLS) whose account may read information_schema and create, write and
   * drop tables in `database`. The engine takes over the session: it selects the database, sets
   * session variables (time_zone '+00:00', foreign_key_checks, the HMAC pads) and clears the pads
   * and restores foreign_key_checks at the end.
   */
  readonly connection: Connection;
  readonly database: string;
  readonly rules: ScrubRules;
  /** The scrub key, at least 32 bytes. Never logged, stored or sent to the database. */
  readonly key: Buffer;
  /** Identifies the run across calls; the same id resumes it. */
  readonly runId: string;
  /** Rows per batch. @default 20000 */
  readonly batchSize?: number;
  /**
   * Epoch milliseconds after which no new batch starts; the call then returns `complete: false`.
   * At least one batch runs per call. @default - none: run to completion
   */
  readonly deadline?: number;
  readonly onProgress?: (progress: ScrubProgress) => void;
}

/** What a call of runScrub achieved: paused before the deadline, or done (and verified). */
export type ScrubOutcome =
  | { readonly complete: false; readonly runId: string; readonly step: string }
  | { readonly complete: true; readonly runId: string; readonly evidence: ScrubEvidence };

type StepKind = 'prepare' | 'mask' | 'truncate' | 'verify' | 'scan' | 'verify-foreign-keys' | 'verify-row-counts' | 'cleanup';

interface Step {
  readonly kind: StepKind;
  readonly table?: TablePlan;
  readonly name: string;
}

interface Progress {
  startedAt: string;
  batchSize: number;
  invocations: number;
  keyFingerprint: string;
  rowsBefore: Record<string, number>;
  rowsAfter: Record<string, number>;
  valuesMasked: Record<string, Record<string, number>>;
  /** Per table: counters of the mask step (original left, originals already in masked form). */
  maskCounters?: Record<string, Record<string, number>>;
  /** Columns left as they are because an earlier succeeded run (same key) applied the same rule: table -> column -> run id. */
  skipped?: Record<string, Record<string, string>>;
  /** Rule signatures applied to the database by this run and the runs before it: table -> column -> signature. */
  applied?: Record<string, Record<string, string>>;
  steps: StepEvidence[];
  /** The step in progress: rows done and time spent so far (over all calls). */
  current?: { rows: number; durationMs: number };
  /** Counters of the verify step in progress. */
  verifyCounters?: Record<string, number>;
  checks: VerificationCheck[];
  verificationMs: number;
  warnings: string[];
  evidence?: ScrubEvidence;
}

interface RunState {
  runId: string;
  status: 'running' | 'succeeded' | 'failed' | 'abandoned';
  engineVersion: string;
  rulesetSha256: string;
  keyFingerprint: string;
  planFingerprint: string;
  stepIndex: number;
  cursor: string | null;
  progress: Progress;
  error: string | null;
}

function validateBatchSize(batchSize: number | undefined): number {
  const n = batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH_SIZE)
    throw new Error(`batch size must be a whole number from 1 to ${MAX_BATCH_SIZE}, got ${String(batchSize)}`);
  return n;
}

function maskTables(plan: ScrubPlan): MaskTablePlan[] {
  return plan.tables.filter((t): t is MaskTablePlan => t.action === 'mask' && t.masked.length > 0);
}

/** The masked columns this run changes (those an earlier run already scrubbed the same way are left). */
function activeColumns(t: MaskTablePlan, progress: Progress): PlannedColumn[] {
  const skipped = progress.skipped?.[t.table] ?? {};
  return t.masked.filter((m) => !(m.info.name in skipped));
}

/** The steps of a plan, in order; a run's step index points into this list. */
function stepsOf(plan: ScrubPlan, progress: Progress): Step[] {
  const masks = maskTables(plan);
  const active = masks.filter((t) => activeColumns(t, progress).length > 0);
  return [
    ...active.filter((t) => t.keySource === 'surrogate').map((t) => ({ kind: 'prepare' as const, table: t, name: `prepare:${t.table}` })),
    ...active.map((t) => ({ kind: 'mask' as const, table: t, name: `mask:${t.table}` })),
    ...plan.tables
      .filter((t): t is TruncateTablePlan => t.action === 'truncate')
      .map((t) => ({ kind: 'truncate' as const, table: t, name: `truncate:${t.table}` })),
    ...masks.map((t) => ({ kind: 'verify' as const, table: t, name: `verify:${t.table}` })),
    ...plan.tables
      .filter(
        (t): t is KeepTablePlan =>
          t.action === 'keep' && t.scanColumns.length > 0 && Object.keys(detectRulesOf(plan.rules).patterns).length > 0,
      )
      .map((t) => ({ kind: 'scan' as const, table: t, name: `scan:${t.table}` })),
    { kind: 'verify-foreign-keys', name: 'verify-foreign-keys' },
    { kind: 'verify-row-counts', name: 'verify-row-counts' },
    { kind: 'cleanup', name: 'cleanup' },
  ];
}

function lockName(database: string): string {
  // GET_LOCK names are at most 64 characters.
  return `clinspark_scrub:${database}`.slice(0, 64);
}

async function acquireLock(conn: Connection, database: string): Promise<void> {
  const [rows] = await conn.query('SELECT GET_LOCK(?, 0) AS got', [lockName(database)]);
  if (Number((rows as Array<{ got: number | string | null }>)[0].got) !== 1) throw new ScrubBusyError(database);
}

async function releaseLock(conn: Connection, database: string): Promise<void> {
  await conn.query('SELECT RELEASE_LOCK(?)', [lockName(database)]);
}

async function ensureStateTable(conn: Connection, database: string): Promise<void> {
  await conn.query(`CREATE TABLE IF NOT EXISTS ${quoteIdentifier(STATE_TABLE)} (
    run_id VARCHAR(128) NOT NULL PRIMARY KEY,
    status VARCHAR(16) NOT NULL,
    engine_version VARCHAR(32) NOT NULL,
    ruleset_sha256 CHAR(64) NOT NULL,
    key_fingerprint CHAR(16) NOT NULL,
    plan_fingerprint CHAR(64) NOT NULL,
    step_index INT NOT NULL,
    cursor_value TEXT NULL,
    progress LONGTEXT NOT NULL,
    error_message TEXT NULL,
    started_at DATETIME(3) NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    finished_at DATETIME(3) NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
    COMMENT='ClinSpark PII scrub runs: status, progress, counts and timings (no data values)'`);
  // Engine 1.x kept an integer cursor in VARCHAR(40); key values of any type need more room.
  const [rows] = await conn.query(
    "SELECT DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = 'cursor_value'",
    [database, STATE_TABLE],
  );
  if (String((rows as Array<{ t: string }>)[0]?.t ?? 'text').toLowerCase() !== 'text')
    await conn.query(`ALTER TABLE ${quoteIdentifier(STATE_TABLE)} MODIFY cursor_value TEXT NULL`);
}

/** A column value read back as text (strings as they are, binary values as UTF-8). */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return typeof value === 'number' || typeof value === 'bigint' ? value.toString() : (JSON.stringify(value) ?? '');
}

async function loadState(conn: Connection, runId: string): Promise<RunState | undefined> {
  const [rows] = await conn.query(`SELECT * FROM ${quoteIdentifier(STATE_TABLE)} WHERE run_id = ?`, [runId]);
  const r = (rows as Array<Record<string, unknown>>)[0];
  if (!r) return undefined;
  return {
    runId: String(r.run_id),
    status: String(r.status) as RunState['status'],
    engineVersion: String(r.engine_version),
    rulesetSha256: String(r.ruleset_sha256),
    keyFingerprint: String(r.key_fingerprint),
    planFingerprint: String(r.plan_fingerprint),
    stepIndex: Number(r.step_index),
    cursor: r.cursor_value === null ? null : textOf(r.cursor_value),
    progress: JSON.parse(String(r.progress)) as Progress,
    error: r.error_message === null ? null : textOf(r.error_message),
  };
}

/**
 * Selects the database and pins the session time zone to UTC, so TIMESTAMP values are shifted
 * and generalized the same way whatever the server's or the client's zone (no DST hour).
 */
export async function useDatabase(conn: Connection, database: string): Promise<void> {
  await conn.query(`USE ${quoteIdentifier(database)}`);
  await conn.query("SET SESSION time_zone = '+00:00'");
}

/** Whether a run is recorded (read-only: nothing is created). */
async function runExists(conn: Connection, database: string, runId: string): Promise<boolean> {
  const [tables] = await conn.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [
    database,
    STATE_TABLE,
  ]);
  if ((tables as unknown[]).length === 0) return false;
  const [rows] = await conn.query(`SELECT 1 FROM ${quoteIdentifier(STATE_TABLE)} WHERE run_id = ?`, [runId]);
  return (rows as unknown[]).length > 0;
}

async function saveState(conn: Connection, s: RunState, finished = false): Promise<void> {
  await conn.query(
    `UPDATE ${quoteIdentifier(STATE_TABLE)} SET status = ?, step_index = ?, cursor_value = ?, progress = ?, error_message = ?,
       updated_at = UTC_TIMESTAMP(3)${finished ? ', finished_at = UTC_TIMESTAMP(3)' : ''} WHERE run_id = ?`,
    [s.status, s.stepIndex, s.cursor, JSON.stringify(s.progress), s.error, s.runId],
  );
}

/** Drops the originals tables and the surrogate keys of a database (a run's scratch, whatever its state). */
async function dropScratch(conn: Connection, database: string): Promise<void> {
  const [rows] = await conn.query(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE ? ESCAPE '!'",
    [database, `${ORIGINALS_TABLE_PREFIX.replace(/_/g, '!_')}%`],
  );
  for (const r of rows as Array<{ name: string }>)
    await conn.query(`DROP TABLE IF EXISTS ${quoteIdentifier(database)}.${quoteIdentifier(r.name)}`);
  const [cols] = await conn.query('SELECT TABLE_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLUMN_NAME = ?', [
    database,
    SURROGATE_COLUMN,
  ]);
  for (const r of cols as Array<{ name: string }>) {
    await conn.query(
      `ALTER TABLE ${quoteIdentifier(database)}.${quoteIdentifier(r.name)} DROP COLUMN ${quoteIdentifier(SURROGATE_COLUMN)}`,
    );
  }
}

async function createOriginalsTable(conn: Connection, t: MaskTablePlan, active: readonly PlannedColumn[]): Promise<void> {
  const cols = keyColumnDefinitions(t);
  for (const m of active) if (m.storedColumn) cols.push(`${m.storedColumn} ${columnDefinition(m.info)} NULL`);
  await conn.query(
    `CREATE TABLE ${quoteIdentifier(t.originalsTable)} (${cols.join(', ')}, PRIMARY ` +
      `KEY (${t.key.map((_, i) => `k${i}`).join(', ')})) ENGINE=InnoDB ` +
      `COMMENT='ClinSpark PII scrub: masked values of ${t.table.replace(/'/g, '')} ` +
      `(dropped after verification)'`,
  );
}

function emptyProgress(plan: ScrubPlan, batchSize: number, fingerprint: string): Progress {
  return {
    startedAt: new Date().toISOString(),
    batchSize,
    invocations: 0,
    keyFingerprint: fingerprint,
    rowsBefore: Object.fromEntries(plan.tables.map((t) => [t.table, t.rows])),
    rowsAfter: {},
    valuesMasked: {},
    steps: [],
    checks: [],
    verificationMs: 0,
    warnings: [...plan.warnings],
  };
}

function optionsOf(rule: ColumnSql['column']['rule']): Record<string, string | number> | undefined {
  const { column, strategy, ...rest } = rule as Record<string, unknown>;
  void column;
  void strategy;
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (k === 'value') continue; // a fixed value is not recorded
    if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/** What a column's rule does to its values (same signature + same key = same output): the idempotency record. */
function ruleSignature(m: PlannedColumn): string {
  const { column, ...rule } = m.rule;
  void column;
  return JSON.stringify({ ...rule, type: m.info.columnType, length: m.outputLength });
}

/** Evidence from a plan and the recorded progress. */
function buildEvidence(
  plan: ScrubPlan,
  runId: string,
  progress: Progress,
  status: 'succeeded' | 'failed',
  error?: string,
  inProgress?: Step,
): ScrubEvidence {
  const finishedAt = new Date();
  const after = (t: TablePlan) => (t.table in progress.rowsAfter ? { rowsAfter: progress.rowsAfter[t.table] } : {});
  const schema = (t: TablePlan) => (t.schema !== plan.database ? { schema: t.schema } : {});
  const tables: TableEvidence[] = plan.tables.map((t) => {
    if (t.action !== 'mask')
      return { table: t.table, ...schema(t), action: t.action, rowsBefore: progress.rowsBefore[t.table], ...after(t) };
    const skipped = progress.skipped?.[t.table] ?? {};
    return {
      table: t.table,
      action: 'mask',
      batching: { key: t.keySource === 'surrogate' ? [] : t.key.map((k) => k.name), source: t.keySource },
      rowsBefore: progress.rowsBefore[t.table],
      ...after(t),
      columns: t.masked.map((m) => ({
        column: m.info.name,
        strategy: m.rule.strategy,
        ...(optionsOf(m.rule) ? { options: optionsOf(m.rule) } : {}),
        ...(progress.valuesMasked[t.table]?.[m.info.name] !== undefined
          ? { valuesMasked: progress.valuesMasked[t.table][m.info.name] }
          : {}),
        ...(skipped[m.info.name] ? { alreadyScrubbedBy: skipped[m.info.name] } : {}),
      })),
      keptColumns: t.kept,
    };
  });
  const verified = progress.steps.some((s) => s.step === 'verify-row-counts');
  return {
    evidenceVersion: 1,
    engine: { ...EVIDENCE_ENGINE },
    mode: 'scrub',
    runId,
    database: plan.database,
    status,
    ...(error ? { error } : {}),
    startedAt: progress.startedAt,
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - new Date(progress.startedAt).getTime(),
    rulesFile: plan.rules.file,
    rulesetSha256: plan.rules.sha256,
    keyFingerprint: progress.keyFingerprint,
    batchSize: progress.batchSize,
    invocations: progress.invocations,
    steps: progress.steps,
    ...(inProgress
      ? {
          stepInProgress: {
            step: inProgress.kind,
            ...(inProgress.table ? { table: inProgress.table.table } : {}),
            rowsDone: progress.current?.rows ?? 0,
          },
        }
      : {}),
    tables,
    inventory: inventoryOf(plan, progress.rowsBefore),
    ...(verified || progress.checks.length > 0
      ? {
          verification: {
            passed: verified && progress.checks.every((c) => c.passed),
            checks: progress.checks,
            durationMs: progress.verificationMs,
          },
        }
      : {}),
    ...(progress.warnings.length ? { warnings: progress.warnings } : {}),
  };
}

/** The inventory of a plan: every schema, its tables, their rows and the rule applied. */
export function inventoryOf(plan: ScrubPlan, rows: Record<string, number> = {}): NonNullable<ScrubEvidence['inventory']> {
  return {
    systemSchemasExcluded: plan.systemSchemas,
    schemas: plan.schemas.map((schema) => ({
      schema,
      tables: plan.tables
        .filter((t) => t.schema === schema)
        .map((t) => ({
          table: schema === plan.database ? t.table : t.table.slice(schema.length + 1),
          rows: rows[t.table] ?? t.rows,
          rule: t.action,
        })),
    })),
  };
}

/** Evidence for a run that failed before it could start (bad rules, unreachable database...). */
export function failedBeforeStartEvidence(args: {
  runId: string;
  database: string;
  rules?: ScrubRules;
  error: string;
  startedAt: Date;
  key?: Buffer;
}): ScrubEvidence {
  const now = new Date();
  let fingerprint: string | undefined;
  try {
    fingerprint = args.key ? keyFingerprint(args.key) : undefined;
  } catch {
    fingerprint = undefined;
  }
  return {
    evidenceVersion: 1,
    engine: { ...EVIDENCE_ENGINE },
    mode: 'scrub',
    runId: args.runId,
    database: args.database,
    status: 'failed',
    error: args.error,
    startedAt: args.startedAt.toISOString(),
    finishedAt: now.toISOString(),
    durationMs: now.getTime() - args.startedAt.getTime(),
    rulesFile: args.rules?.file ?? '(unknown)',
    rulesetSha256: args.rules?.sha256 ?? '(unknown)',
    ...(fingerprint ? { keyFingerprint: fingerprint } : {}),
    steps: [],
    tables: [],
  };
}

function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}

function cursorOf(raw: string | null): readonly string[] | null {
  return raw === null ? null : (JSON.parse(raw) as string[]);
}

/** Binary comparison of two values of the same column type. */
function sameBytes(a: string, b: string): string {
  return `(CAST(${a} AS BINARY) <=> CAST(${b} AS BINARY))`;
}

/** One REGEXP of every PII pattern, then one per pattern only on the (rare) rows that matched. */
interface ScanSql {
  readonly combined: string;
  readonly names: readonly string[];
  readonly patterns: readonly string[];
}

function scanSqlOf(plan: ScrubPlan): ScanSql | undefined {
  const detect = detectRulesOf(plan.rules);
  const names = Object.keys(detect.patterns);
  if (names.length === 0) return undefined;
  const patterns = names.map((n) => detect.patterns[n]);
  return { combined: patterns.map((p) => `(${p})`).join('|'), names, patterns };
}

function scanValue(c: { name: string }, alias: string): string {
  return exactText(`${alias}.${quoteIdentifier(c.name)}`);
}

class Runner {
  private readonly steps: Step[];
  private readonly sqlByTable = new Map<string, ColumnSql[]>();
  private readonly scan: ScanSql | undefined;
  private unitsThisCall = 0;
  private lastUnitMs = 0;
  private stepStartedThisCall = Date.now();
  private rowsThisCall = 0;

  constructor(
    private readonly conn: Connection,
    private readonly plan: ScrubPlan,
    private readonly state: RunState,
    private readonly options: ScrubRunOptions,
  ) {
    this.steps = stepsOf(plan, state.progress);
    for (const t of maskTables(plan))
      this.sqlByTable.set(
        t.table,
        t.masked.map((m) => columnSql(t, m)),
      );
    this.scan = scanSqlOf(plan);
  }

  get currentStep(): Step | undefined {
    return this.steps[this.state.stepIndex];
  }

  private shouldStop(): boolean {
    const deadline = this.options.deadline;
    if (deadline === undefined || this.unitsThisCall === 0) return false;
    return Date.now() + Math.max(1000, this.lastUnitMs * 1.5) > deadline;
  }

  private get progress(): Progress {
    return this.state.progress;
  }

  /** Runs steps until done or the deadline; returns true when every step is done. */
  async run(): Promise<boolean> {
    while (this.currentStep) {
      if (this.shouldStop()) return false;
      const step = this.currentStep;
      const started = Date.now();
      const stepDone = await this.unit(step);
      const ms = Date.now() - started;
      this.unitsThisCall += 1;
      this.lastUnitMs = ms;
      if (stepDone) this.stepStartedThisCall = Date.now();
    }
    return true;
  }

  private report(step: Step, rowsDone: number, stepDone: boolean): void {
    const elapsed = Math.max(1, Date.now() - this.stepStartedThisCall);
    this.options.onProgress?.({
      runId: this.state.runId,
      step: step.kind,
      ...(step.table ? { table: step.table.table } : {}),
      rowsDone,
      ...(step.table ? { rowsTotal: this.progress.rowsBefore[step.table.table] } : {}),
      rowsPerSecond: Math.round((this.rowsThisCall * 1000) / elapsed),
      stepDone,
    });
  }

  /** Records a unit of work and, when the step is finished, the step; saves the checkpoint. */
  private async checkpoint(step: Step, rows: number, ms: number, stepDone: boolean, cursor: string | null): Promise<void> {
    const cur = this.progress.current ?? { rows: 0, durationMs: 0 };
    cur.rows += rows;
    cur.durationMs += ms;
    this.rowsThisCall += rows;
    if (step.kind === 'verify' || step.kind === 'scan' || step.kind === 'verify-foreign-keys' || step.kind === 'verify-row-counts')
      this.progress.verificationMs += ms;
    if (stepDone) {
      this.progress.steps.push({
        step: step.kind,
        ...(step.table ? { table: step.table.table } : {}),
        ...(step.kind === 'cleanup' ? {} : { rows: cur.rows }),
        durationMs: cur.durationMs,
        finishedAt: new Date().toISOString(),
      });
      delete this.progress.current;
      this.state.stepIndex += 1;
      this.state.cursor = null;
    } else {
      this.progress.current = cur;
      this.state.cursor = cursor;
    }
    await saveState(this.conn, this.state);
    this.report(step, cur.rows, stepDone);
    if (stepDone) this.rowsThisCall = 0;
  }

  /** Runs a write and its checkpoint in one transaction, so a batch is applied exactly once. */
  private async inTransaction<R>(work: () => Promise<R>): Promise<R> {
    await this.conn.beginTransaction();
    try {
      const r = await work();
      await this.conn.commit();
      return r;
    } catch (e) {
      await this.conn.rollback().catch(() => undefined);
      throw e;
    }
  }

  private async unit(step: Step): Promise<boolean> {
    switch (step.kind) {
      case 'prepare':
        return this.prepare(step, step.table as MaskTablePlan);
      case 'mask':
        return this.maskBatch(step, step.table as MaskTablePlan);
      case 'truncate':
        return this.truncate(step, step.table as TruncateTablePlan);
      case 'verify':
        return this.verifyBatch(step, step.table as MaskTablePlan);
      case 'scan':
        return this.scanTable(step, step.table as KeepTablePlan);
      case 'verify-foreign-keys':
        return this.verifyForeignKey(step);
      case 'verify-row-counts':
        return this.verifyRowCounts(step);
      case 'cleanup':
        return this.cleanup(step);
    }
  }

  private active(t: MaskTablePlan): ColumnSql[] {
    const names = new Set(activeColumns(t, this.progress).map((m) => m.info.name));
    return (this.sqlByTable.get(t.table) as ColumnSql[]).filter((c) => names.has(c.column.info.name));
  }

  /** A table without a usable key gets a temporary surrogate key (one ALTER TABLE; dropped at cleanup). */
  private async prepare(step: Step, t: MaskTablePlan): Promise<boolean> {
    const started = Date.now();
    const [cols] = await this.conn.query(
      'SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?',
      [t.schema, t.table, SURROGATE_COLUMN],
    );
    if ((cols as unknown[]).length === 0) {
      const c = quoteIdentifier(SURROGATE_COLUMN);
      await this.conn.query(`ALTER TABLE ${t.ref} ADD COLUMN ${c} BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, ADD PRIMARY KEY (${c})`);
    }
    await this.checkpoint(step, 0, Date.now() - started, true, null);
    return true;
  }

  private async maskBatch(step: Step, t: MaskTablePlan): Promise<boolean> {
    const started = Date.now();
    const sqls = this.active(t);
    const stored = sqls.filter((c) => c.stored);
    const direct = sqls.filter((c) => !c.stored);
    if (this.state.cursor === null && !this.progress.current && stored.length) {
      await this.conn.query(`DROP TABLE IF EXISTS ${quoteIdentifier(t.originalsTable)}`);
      await createOriginalsTable(this.conn, t, activeColumns(t, this.progress));
    }
    const batch = await nextBatch(this.conn, t, cursorOf(this.state.cursor), this.progress.batchSize);
    if (!batch) {
      const applied = (this.progress.applied ??= {});
      const record = (applied[t.table] ??= {});
      for (const m of activeColumns(t, this.progress)) record[m.info.name] = ruleSignature(m);
      await this.checkpoint(step, 0, Date.now() - started, true, null);
      return true;
    }
    const where = `WHERE ${rangeCondition(T, t.key, batch)}`;
    const o = quoteIdentifier(t.originalsTable);
    const on = joinOn(t, O, T);
    const keyCols = t.key.map((_, i) => `k${i}`);
    const keyRefs = t.key.map((k) => `${T}.${quoteIdentifier(k.name)}`);
    const keepTimestamps = t.onUpdateColumns.map((c) => `${T}.${quoteIdentifier(c)} = ${T}.${quoteIdentifier(c)}`);
    // 1. Keyed pseudonyms only: the masked values, computed from the originals, into the originals table.
    const snapshot =
      `INSERT INTO ${o} ` +
      `(${[...keyCols, ...stored.map((c) => c.column.storedColumn as string)].join(', ')}) ` +
      `SELECT ${[...keyRefs, ...stored.map((c) => c.newValue)].join(', ')} FROM ` +
      `${t.ref} ${T} ${where}`;
    // 2. Compared with the originals while they are at hand, in a locking read of the batch (the UPDATE
    //    that follows in the same transaction sees exactly these rows and values): counts, originals
    //    left (stored values from the originals table; dateShift by its offsets, in the verify step), originals already in masked form.
    const sums = ['COUNT(*) AS n'];
    sqls.forEach((c, i) => {
      sums.push(`SUM(${c.hasValue}) AS v${i}`);
      if (c.sameAsOriginal && c.stored) sums.push(`SUM(${c.sameAsOriginal(`${O}.${c.column.storedColumn}`)}) AS e${i}`);
      else if (c.sameAsOriginal && !c.shiftDays) sums.push(`SUM(${c.sameAsOriginal(c.newValue)}) AS e${i}`);
      if (c.originalMaskedForm) sums.push(`SUM(${c.originalMaskedForm}) AS m${i}`);
    });

    const compare = stored.length
      ? `SELECT ${sums.join(', ')} FROM ${t.ref} ${T} JOIN ${o} ${O} ON ${on} ${where} FOR UPDATE`
      : `SELECT ${sums.join(', ')} FROM ${t.ref} ${T} ${where} FOR UPDATE`;
    // 3. One UPDATE of the batch: stored values copied (the table first in the join, so rows are updated
    //    on the fly), the cheap deterministic masks computed in place, as the raw UPDATE does.
    const sets = [
      ...stored.map((c) => `${c.ref} = ${O}.${c.column.storedColumn}`),
      ...direct.map((c) => `${c.ref} = ${c.newValue}`),
      ...keepTimestamps,
    ];
    const update = stored.length
      ? `UPDATE ${t.ref} ${T} STRAIGHT_JOIN ${o} ${O} ON ${on} SET ${sets.join(', ')} ${where}`
      : `UPDATE ${t.ref} ${T} SET ${sets.join(', ')} ${where}`;
    await this.inTransaction(async () => {
      if (stored.length) await this.conn.query(snapshot);
      const [rows] = await this.conn.query(compare);
      const r = (rows as Array<Record<string, unknown>>)[0];
      await this.conn.query(update);
      const masked = (this.progress.valuesMasked[t.table] ??= {});
      const counters = ((this.progress.maskCounters ??= {})[t.table] ??= {});
      sqls.forEach((c, i) => {
        masked[c.column.info.name] = (masked[c.column.info.name] ?? 0) + num(r[`v${i}`]);
        for (const k of ['e', 'm'])
          if (`${k}${i}` in r) counters[`${k}:${c.column.info.name}`] = (counters[`${k}:${c.column.info.name}`] ?? 0) + num(r[`${k}${i}`]);
      });
      await this.checkpoint(step, num(r.n), Date.now() - started, false, JSON.stringify(batch.hi));
    });
    return false;
  }

  private async truncate(step: Step, t: TruncateTablePlan): Promise<boolean> {
    const started = Date.now();
    await this.conn.query(`TRUNCATE TABLE ${t.ref}`);
    await this.checkpoint(step, this.progress.rowsBefore[t.table] ?? 0, Date.now() - started, true, null);
    return true;
  }

  /** Sums of the PII scan of `columns` (one combined REGEXP per value), `s<i>` per column. */
  private scanSums(columns: readonly { name: string }[], alias: string): string[] {
    if (!this.scan) return [];
    return columns.map((c, i) => `SUM(${scanValue(c, alias)} REGEXP ${literalOf(this.scan as ScanSql, 'combined')}) AS s${i}`);
  }

  /** Per pattern counts of the columns that matched (rare): a second query on the same rows. */
  private async scanFindings(
    table: string,
    ref: string,
    alias: string,
    columns: readonly { name: string }[],
    counts: Record<string, unknown>,
    where: string,
  ): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    if (!this.scan) return out;
    const scan = this.scan;
    for (const [i, c] of columns.entries()) {
      if (num(counts[`s${i}`]) === 0) continue;
      const v = scanValue(c, alias);
      const sums = scan.patterns.map((p, j) => `SUM(${v} REGEXP ${literalText(p)}) AS p${j}`).join(', ');
      const [rows] = await this.conn.query(
        `SELECT ${sums} FROM ${ref} ${alias} WHERE ${where ? `${where} AND ` : ''}${v} REGEXP ${literalText(scan.combined)}`,
      );
      const r = (rows as Array<Record<string, unknown>>)[0];
      scan.names.forEach((n, j) => {
        if (num(r[`p${j}`]) > 0) out[`${c.name}\u0000${n}`] = num(r[`p${j}`]);
      });
    }
    void table;
    return out;
  }

  private addScanChecks(table: string, columns: readonly { name: string }[], found: Record<string, number>): void {
    if (!this.scan || columns.length === 0) return;
    const ack = detectRulesOf(this.plan.rules).acknowledge;
    let unacknowledged = 0;
    for (const [k, n] of Object.entries(found).sort()) {
      const [column, pattern] = k.split('\u0000');
      const a = ack.find(
        (x) => x.table === table && (x.column === undefined || x.column === column) && (x.pattern === undefined || x.pattern === pattern),
      );
      if (!a) unacknowledged += n;
      this.progress.checks.push({
        check: 'pii-pattern',
        table,
        column,
        pattern,
        violations: n,
        passed: a !== undefined,
        ...(a ? { acknowledged: a.reason } : {}),
      });
    }
    this.progress.checks.push({ check: 'pii-scan', table, violations: unacknowledged, passed: unacknowledged === 0 });
  }

  /**
   * The verification pass of a masked table: one read of each key range (read-only, so ranges are
   * VERIFY_BATCH_FACTOR times the mask batches), all columns at once: stored columns against the
   * originals table (masked as planned, no row escaped), the others for their masked form, kept
   * text for PII patterns.
   */
  private async verifyBatch(step: Step, t: MaskTablePlan): Promise<boolean> {
    const started = Date.now();
    const all = this.sqlByTable.get(t.table) as ColumnSql[];
    const active = this.active(t);
    const activeNames = new Set(active.map((c) => c.column.info.name));
    const skipped = all.filter((c) => !activeNames.has(c.column.info.name) && c.format);
    const counters = (this.progress.verifyCounters ??= {});
    const whole = active.length === 0; // nothing was masked by this run: one read of the table, no key needed
    const joined = active.some((c) => c.stored); // the originals table exists
    const size = Math.min(MAX_BATCH_SIZE, this.progress.batchSize * VERIFY_BATCH_FACTOR);
    const batch: Batch | undefined = whole
      ? this.state.cursor === null
        ? { lo: null, hi: [] }
        : undefined
      : await nextBatch(this.conn, t, cursorOf(this.state.cursor), size);
    if (!batch) {
      const add = (c: Omit<VerificationCheck, 'passed'>) => this.progress.checks.push({ ...c, passed: c.violations === 0 });
      const mc = { ...(this.progress.maskCounters?.[t.table] ?? {}), ...(await this.zeroShifts(t, active)) };
      if (joined) add({ check: 'rows-not-snapshotted', table: t.table, violations: counters.unsnap ?? 0 });
      all.forEach((c, i) => {
        const base = { table: t.table, column: c.column.info.name, strategy: c.column.rule.strategy };
        if (activeNames.has(c.column.info.name)) {
          if (c.stored) {
            if (c.sameAsOriginal) add({ check: 'no-original-values', ...base, violations: mc[`e:${base.column}`] ?? 0 });
            const maskedForm = mc[`m:${base.column}`] ?? 0;
            // A masked value equals another row's original only if that original already had the masked form.
            if (maskedForm > 0)
              this.progress.warnings.push(
                `${t.table}.${base.column}: ${maskedForm} original value(s) already had the ` +
                  `masked form (${base.strategy}); they were masked again (an earlier unfinished ` +
                  `run?)`,
              );
            add({ check: 'masked-as-planned', ...base, violations: counters[`p${i}`] ?? 0 });
          } else {
            // Computed in place by the batch UPDATE: compared with the original by the batch's locking read
            // (dateShift), and every value now has the masked form (null, fixed, partial, generalize).
            add({ check: 'no-original-values', ...base, violations: (mc[`e:${base.column}`] ?? 0) + (counters[`f${i}`] ?? 0) });
          }
        } else if (c.format) {
          add({ check: 'masked-format', ...base, violations: counters[`f${i}`] ?? 0 });
        }
      });
      const found: Record<string, number> = {};
      for (const [k, v] of Object.entries(counters)) if (k.startsWith('x:')) found[k.slice(2)] = v;
      this.addScanChecks(t.table, t.scanColumns, found);
      this.progress.rowsAfter[t.table] = counters.n ?? 0;
      delete this.progress.verifyCounters;
      await this.checkpoint(step, 0, Date.now() - started, true, null);
      return true;
    }
    const sums = ['COUNT(*) AS n'];
    if (joined) sums.push(`SUM(${O}.k0 IS NULL) AS unsnap`);
    all.forEach((c, i) => {
      if (activeNames.has(c.column.info.name)) {
        if (c.stored) sums.push(`SUM(${O}.k0 IS NOT NULL AND NOT ${sameBytes(c.ref, `${O}.${c.column.storedColumn}`)}) AS p${i}`);
        else if (c.format) sums.push(`SUM(${c.format}) AS f${i}`);
      } else if (skipped.includes(c)) sums.push(`SUM(${c.format}) AS f${i}`);
    });
    sums.push(...this.scanSums(t.scanColumns, T));
    const where = whole ? '' : rangeCondition(T, t.key, batch);
    const from = joined ? `${t.ref} ${T} LEFT JOIN ${quoteIdentifier(t.originalsTable)} ${O} ON ${joinOn(t, O, T)}` : `${t.ref} ${T}`;
    const [rows] = await this.conn.query(`SELECT ${sums.join(', ')} FROM ${from}${where ? ` WHERE ${where}` : ''}`);
    const r = (rows as Array<Record<string, unknown>>)[0];
    for (const [k, v] of Object.entries(r)) if (!/^s\d+$/.test(k)) counters[k] = (counters[k] ?? 0) + num(v);
    const found = await this.scanFindings(t.table, t.ref, T, t.scanColumns, r, where);
    for (const [k, v] of Object.entries(found)) counters[`x:${k}`] = (counters[`x:${k}`] ?? 0) + v;
    await this.checkpoint(step, num(r.n), Date.now() - started, false, whole ? '[]' : JSON.stringify(batch.hi));
    return false;
  }

  private zeroShifts(t: MaskTablePlan, active: readonly ColumnSql[]): Promise<Record<string, number>> {
    return countZeroShifts(this.conn, t, active);
  }

  /**
   * A kept table: its text columns scanned for PII patterns, in key ranges (VERIFY_BATCH_FACTOR
   * times the mask batch) when the table has a primary or unique key, else in one read.
   */
  private async scanTable(step: Step, t: KeepTablePlan): Promise<boolean> {
    const started = Date.now();
    const alias = 'x';
    const counters = (this.progress.verifyCounters ??= {});
    const key = t.scanKey;
    let where = '';
    let batch: Batch | undefined;
    if (key) {
      batch = await nextBatch(
        this.conn,
        { key, ref: t.ref },
        cursorOf(this.state.cursor),
        Math.min(MAX_BATCH_SIZE, this.progress.batchSize * VERIFY_BATCH_FACTOR),
      );
      if (batch) where = rangeCondition(alias, key, batch);
    } else if (this.state.cursor === null) {
      batch = { lo: null, hi: [] };
    }
    if (!batch) {
      const found: Record<string, number> = {};
      for (const [k, v] of Object.entries(counters)) if (k.startsWith('x:')) found[k.slice(2)] = v;
      this.addScanChecks(t.table, t.scanColumns, found);
      delete this.progress.verifyCounters;
      await this.checkpoint(step, 0, Date.now() - started, true, null);
      return true;
    }
    const [rows] = await this.conn.query(
      `SELECT COUNT(*) AS n, ${this.scanSums(t.scanColumns, alias).join(', ')} FROM ${t.ref} ${alias}${where ? ` WHERE ${where}` : ''}`,
    );
    const r = (rows as Array<Record<string, unknown>>)[0];
    const found = await this.scanFindings(t.table, t.ref, alias, t.scanColumns, r, where);
    for (const [k, v] of Object.entries(found)) counters[`x:${k}`] = (counters[`x:${k}`] ?? 0) + v;
    await this.checkpoint(step, num(r.n), Date.now() - started, false, key ? JSON.stringify(batch.hi) : '[]');
    return false;
  }

  private async verifyForeignKey(step: Step): Promise<boolean> {
    const started = Date.now();
    const index = this.state.cursor === null ? 0 : Number(this.state.cursor);
    const fk = this.plan.foreignKeys[index];
    if (!fk) {
      await this.checkpoint(step, 0, Date.now() - started, true, null);
      return true;
    }
    const orphans = await countOrphans(this.conn, fk);
    this.progress.checks.push({ check: 'foreign-key', table: fk.table, constraint: fk.name, violations: orphans, passed: orphans === 0 });
    await this.checkpoint(step, 0, Date.now() - started, false, String(index + 1));
    return false;
  }

  /** Row counts of masked (counted by their verify step) and truncated tables. */
  private async verifyRowCounts(step: Step): Promise<boolean> {
    const started = Date.now();
    for (const t of this.plan.tables) {
      if (t.action === 'keep') continue;
      let actual = this.progress.rowsAfter[t.table];
      if (actual === undefined || t.action === 'truncate') {
        const [rows] = await this.conn.query(`SELECT COUNT(*) AS n FROM ${t.ref}`);
        actual = num((rows as Array<{ n: unknown }>)[0].n);
      }
      this.progress.rowsAfter[t.table] = actual;
      const expected = t.action === 'truncate' ? 0 : this.progress.rowsBefore[t.table];
      this.progress.checks.push({
        check: t.action === 'truncate' ? 'truncated-empty' : 'row-count',
        table: t.table,
        expected,
        actual,
        violations: Math.abs(actual - expected),
        passed: actual === expected,
      });
    }
    await this.checkpoint(step, 0, Date.now() - started, true, null);
    return true;
  }

  private async cleanup(step: Step): Promise<boolean> {
    const started = Date.now();
    await dropScratch(this.conn, this.plan.database);
    const failed = this.progress.checks.filter((c) => !c.passed);
    this.state.status = failed.length === 0 ? 'succeeded' : 'failed';
    this.state.error = failed.length === 0 ? null : verificationFailureMessage(failed);
    this.progress.steps.push({ step: step.kind, durationMs: Date.now() - started, finishedAt: new Date().toISOString() });
    delete this.progress.current;
    this.state.stepIndex += 1;
    this.state.cursor = null;
    this.progress.evidence = buildEvidence(
      this.plan,
      this.state.runId,
      this.progress,
      this.state.status === 'succeeded' ? 'succeeded' : 'failed',
      this.state.error ?? undefined,
    );
    await saveState(this.conn, this.state, true);
    this.report(step, 0, true);
    return true;
  }
}

function literalText(text: string): string {
  return escapeLiteral(text);
}

function literalOf(scan: ScanSql, which: 'combined'): string {
  return escapeLiteral(scan[which]);
}

function verificationFailureMessage(failed: readonly VerificationCheck[]): string {
  const describe = (c: VerificationCheck) => {
    const where = c.column ? `${c.table}.${c.column}` : c.table;
    switch (c.check) {
      case 'no-original-values':
        return `${where}: ${c.violations} row(s) still hold their original value`;
      case 'no-original-values-in-column':
        return `${where}: ${c.violations} row(s) hold a value equal to an original value of the column`;
      case 'masked-format':
        return `${where}: ${c.violations} value(s) do not look masked (${c.strategy})`;
      case 'masked-as-planned':
        return `${where}: ${c.violations} row(s) do not hold the value masked from their original (changed after masking)`;
      case 'pii-pattern':
        return (
          `${where}: ${c.violations} value(s) match PII pattern '${c.pattern}' ` +
          `(acknowledge it under detect.acknowledge with a reason if it is not personal ` +
          `data)`
        );
      case 'pii-scan':
        return `${where}: ${c.violations} unacknowledged PII pattern match(es)`;
      case 'rows-not-snapshotted':
        return `${where}: ${c.violations} row(s) appeared after the snapshot and were not masked`;
      case 'foreign-key':
        return `${where}: foreign key ${c.constraint} has ${c.violations} orphaned row(s)`;
      case 'truncated-empty':
        return `${where}: ${c.actual} row(s) left in a truncated table`;
      default:
        return `${where}: ${c.expected} row(s) before, ${c.actual} after`;
    }
  };
  return `verification failed: ${failed.map(describe).join('; ')}`;
}

/**
 * dateShift computed in place: the dates still equal to their original, per column. A shifted
 * date equals its original exactly when its offset is 0, and the offset depends only on the
 * subject value (and `days`), which the scrub keeps: so one read of the table's distinct subject
 * values per offset (same subject and `days`) tells whether any row has a zero offset. Only then
 * (never, by construction) the rows are counted per column, `e:<column>` (an unshifted date holds a value
 * exactly when its original did).
 */
export async function countZeroShifts(
  conn: Connection,
  t: Pick<MaskTablePlan, 'ref'>,
  active: readonly ColumnSql[],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const groups = new Map<string, ColumnSql[]>();
  for (const c of active) if (c.shiftDays && !c.stored) groups.set(c.shiftDays, [...(groups.get(c.shiftDays) ?? []), c]);
  for (const [days, cols] of groups) {
    const subject = quoteIdentifier(cols[0].column.shiftSubject as string);
    const [rows] = await conn.query(
      `SELECT COUNT(*) AS z FROM (SELECT DISTINCT ${T}.${subject} FROM ${t.ref} ${T}) ${T} WHERE ${days} = 0`,
    );
    const zero = num((rows as Array<{ z: unknown }>)[0].z);
    if (zero === 0) {
      for (const c of cols) out[`e:${c.column.info.name}`] = 0;
      continue;
    }
    const [counts] = await conn.query(
      `SELECT ${cols.map((c, i) => `SUM(${c.hasValue}) AS e${i}`).join(', ')} FROM ${t.ref} ${T} WHERE ${days} = 0`,
    );
    const r = (counts as Array<Record<string, unknown>>)[0];
    cols.forEach((c, i) => (out[`e:${c.column.info.name}`] = num(r[`e${i}`])));
  }
  return out;
}

/** Rows of the child table whose (non-NULL) foreign key finds no parent row. */
export async function countOrphans(conn: Connection, fk: ScrubPlan['foreignKeys'][number]): Promise<number> {
  const on = fk.columns.map((c, i) => `p.${quoteIdentifier(fk.referencedColumns[i])} = c.${quoteIdentifier(c)}`).join(' AND ');
  const notNull = fk.columns.map((c) => `c.${quoteIdentifier(c)} IS NOT NULL`).join(' AND ');
  const [rows] = await conn.query(
    `SELECT COUNT(*) AS n FROM ${quoteIdentifier(fk.table)} c LEFT JOIN ` +
      `${quoteIdentifier(fk.referencedTable)} p ON ${on} WHERE ${notNull} AND ` +
      `p.${quoteIdentifier(fk.referencedColumns[0])} IS NULL`,
  );
  return num((rows as Array<{ n: unknown }>)[0].n);
}

/** Columns an earlier succeeded run with the same key and engine applied the same rule to: left as they are. */
async function alreadyScrubbed(
  conn: Connection,
  plan: ScrubPlan,
  fingerprint: string,
): Promise<{ skipped: Record<string, Record<string, string>>; applied: Record<string, Record<string, string>> }> {
  const [rows] = await conn.query(
    `SELECT run_id, progress FROM ${quoteIdentifier(STATE_TABLE)} WHERE status = ` +
      `'succeeded' AND key_fingerprint = ? AND engine_version = ? ORDER BY ` +
      `finished_at, run_id`,
    [fingerprint, ENGINE_VERSION],
  );
  const done = new Map<string, { runId: string; signature: string }>();
  for (const r of rows as Array<{ run_id: string; progress: string }>) {
    const p = JSON.parse(r.progress) as Progress;
    for (const [table, cols] of Object.entries(p.applied ?? {})) {
      for (const [column, signature] of Object.entries(cols)) {
        const previous = done.get(`${table}\u0000${column}`);
        const by = p.skipped?.[table]?.[column] ?? r.run_id;
        done.set(`${table}\u0000${column}`, { runId: previous?.signature === signature ? previous.runId : by, signature });
      }
    }
  }
  const skipped: Record<string, Record<string, string>> = {};
  const applied: Record<string, Record<string, string>> = {};
  for (const t of maskTables(plan)) {
    for (const m of t.masked) {
      const d = done.get(`${t.table}\u0000${m.info.name}`);
      if (d && d.signature === ruleSignature(m)) {
        (skipped[t.table] ??= {})[m.info.name] = d.runId;
        (applied[t.table] ??= {})[m.info.name] = d.signature;
      }
    }
  }
  return { skipped, applied };
}

async function startRun(conn: Connection, plan: ScrubPlan, options: ScrubRunOptions, batchSize: number): Promise<RunState> {
  await conn.query(
    `UPDATE ${quoteIdentifier(STATE_TABLE)} SET status = 'abandoned', updated_at = ` +
      `UTC_TIMESTAMP(3) WHERE status = 'running' AND run_id <> ?`,
    [options.runId],
  );
  await dropScratch(conn, plan.database);
  const fingerprint = keyFingerprint(options.key);
  const progress = emptyProgress(plan, batchSize, fingerprint);
  const { skipped, applied } = await alreadyScrubbed(conn, plan, fingerprint);
  if (Object.keys(skipped).length) {
    progress.skipped = skipped;
    progress.applied = applied;
  }
  const state: RunState = {
    runId: options.runId,
    status: 'running',
    engineVersion: ENGINE_VERSION,
    rulesetSha256: plan.rules.sha256,
    keyFingerprint: fingerprint,
    planFingerprint: plan.fingerprint,
    stepIndex: 0,
    cursor: null,
    progress,
    error: null,
  };
  await conn.query(
    `INSERT INTO ${quoteIdentifier(STATE_TABLE)} (run_id, status, engine_version, ` +
      `ruleset_sha256, key_fingerprint, plan_fingerprint, step_index, cursor_value, ` +
      `progress, started_at, updated_at)
     VALUES (?, 'running', ?, ?, ?, ?, 0, ` +
      `NULL, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
    [state.runId, state.engineVersion, state.rulesetSha256, state.keyFingerprint, state.planFingerprint, JSON.stringify(state.progress)],
  );
  return state;
}

function checkResumable(state: RunState, plan: ScrubPlan, options: ScrubRunOptions): void {
  const problems: string[] = [];
  if (state.engineVersion !== ENGINE_VERSION) problems.push(`it was started by engine ${state.engineVersion}, this is ${ENGINE_VERSION}`);
  if (state.rulesetSha256 !== plan.rules.sha256) problems.push('the rules changed');
  if (state.keyFingerprint !== keyFingerprint(options.key)) problems.push('the key changed');
  if (state.planFingerprint !== plan.fingerprint) problems.push('the schema or the plan changed');
  if (problems.length)
    throw new Error(`run '${state.runId}' cannot be resumed: ${problems.join(', ')}; start a new run on a fresh copy of the database`);
}

const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Runs (or resumes) a scrub. Validates everything before the first write: rules against the live
 * schema (ScrubRulesError), key, batch size. Then works step by step until done or until the
 * deadline, and returns `{ complete: false }` (call again with the same run id) or
 * `{ complete: true, evidence }` once every step, the verification included, has passed.
 *
 * @throws ScrubRulesError when the rules do not fit the database (nothing was changed)
 * @throws ScrubBusyError when another run holds the database's scrub lock (nothing was changed)
 * @throws ScrubFailedError when a step or the verification failed; carries the evidence (status
 *   `failed`, steps completed so far). A failed run is never resumed: restore a fresh copy and
 *   start a new run.
 */
export async function runScrub(options: ScrubRunOptions): Promise<ScrubOutcome> {
  const { connection: conn, database, runId } = options;
  checkKey(options.key);
  const batchSize = validateBatchSize(options.batchSize);
  if (!RUN_ID_RE.test(runId))
    throw new Error(`run id '${runId}' must be 1-128 characters: letters, digits and . _ : -, starting with a letter or digit`);
  await useDatabase(conn, database);
  const resuming = await runExists(conn, database, runId);
  const plan = await planScrub(conn, database, options.rules, { countRows: !resuming });
  await acquireLock(conn, database);
  let state: RunState | undefined;
  let runner: Runner | undefined;
  /** Set once the run is resumable or created; earlier errors leave the run as it was. */
  let started = false;
  try {
    await ensureStateTable(conn, database);
    state = await loadState(conn, runId);
    if (state?.status === 'succeeded' && state.progress.evidence) return { complete: true, runId, evidence: state.progress.evidence };
    if (state && state.status !== 'running') {
      const evidence =
        state.progress.evidence ?? buildEvidence(plan, runId, state.progress, 'failed', state.error ?? `run ${state.status}`);
      const outcome = state.status === 'abandoned' ? 'was abandoned (a newer run started)' : `failed: ${state.error ?? 'unknown error'}`;
      throw new ScrubFailedError(`run '${runId}' ${outcome}`, evidence);
    }
    if (state) checkResumable(state, plan, options);
    else state = await startRun(conn, plan, options, batchSize);
    started = true;
    state.progress.invocations += 1;
    await installKey(conn, options.key);
    await conn.query('SET SESSION foreign_key_checks = 0');
    runner = new Runner(conn, plan, state, options);
    const done = await runner.run();
    if (!done) return { complete: false, runId, step: runner.currentStep?.name ?? 'cleanup' };
    const evidence = state.progress.evidence as ScrubEvidence;
    if (state.status !== 'succeeded') throw new ScrubFailedError(state.error ?? 'scrub failed', evidence);
    return { complete: true, runId, evidence };
  } catch (e) {
    if (e instanceof ScrubFailedError || !state || !started) throw e;
    const step = runner?.currentStep?.name;
    const message = `scrub failed${step ? ` in step ${step}` : ''}: ${safeErrorMessage(e)}`;
    state.status = 'failed';
    state.error = message;
    const evidence = buildEvidence(plan, runId, state.progress, 'failed', message, runner?.currentStep);
    state.progress.evidence = evidence;
    await saveState(conn, state, true).catch(() => undefined);
    await dropScratch(conn, database).catch(() => undefined);
    throw new ScrubFailedError(message, evidence);
  } finally {
    await uninstallKey(conn).catch(() => undefined);
    await conn.query('SET SESSION foreign_key_checks = 1').catch(() => undefined);
    await releaseLock(conn, database).catch(() => undefined);
  }
}
