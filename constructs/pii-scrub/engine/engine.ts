/**
 * The scrub run: set-based SQL in primary-key batches, checkpointed so that a run can stop before
 * a deadline and resume in a later call (the Lambda job), or run to completion in one call (CLI).
 *
 * Steps, in order (a step may span several calls; each batch commits together with its
 * checkpoint, so a batch is never applied twice):
 *
 *   snapshot:<table>   keyed hashes of the original values -> _clinspark_scrub_orig_<n>
 *   mask:<table>       UPDATE t JOIN originals ... WHERE key > lo AND key <= hi
 *   truncate:<table>
 *   verify:<table>     no original value left, masked values look masked
 *   verify-foreign-keys, verify-row-counts
 *   cleanup            originals tables dropped, verdict recorded
 *
 * Scratch tables live in the scrubbed schema, named `_clinspark_scrub_*`:
 * `_clinspark_scrub_state` (one row per run: status, step, last key done, counts and timings,
 * never a value; kept after the run as the record that the database was scrubbed) and
 * `_clinspark_scrub_orig_<n>` (keyed hashes of the originals, dropped at cleanup).
 */
import type { Connection, ResultSetHeader } from 'mysql2/promise';
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
import { MaskTablePlan, ORIGINALS_TABLE_PREFIX, ScrubPlan, TablePlan, TruncateTablePlan, planScrub } from './plan';
import { ScrubRules, SCRATCH_TABLE_PREFIX } from './rules';
import { ColumnSql, O, T, columnSql, shiftSnapshotSql } from './strategies';
import { installKey, integerLiteral, quoteIdentifier, uninstallKey } from './sql';
import { ENGINE_VERSION } from './version';

/** The run record table, kept in the scrubbed schema after the run (no data values). */
export const STATE_TABLE = `${SCRATCH_TABLE_PREFIX}_state`;
/** Rows per key-range batch unless the caller says otherwise. */
export const DEFAULT_BATCH_SIZE = 20_000;
export const MAX_BATCH_SIZE = 1_000_000;

/** Progress of a step, reported after every batch. Counts and names only. */
export interface ScrubProgress {
  readonly runId: string;
  /** `snapshot`, `mask`, `truncate`, `verify`, `verify-foreign-keys`, `verify-row-counts`, `cleanup`. */
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

type StepKind = 'snapshot' | 'mask' | 'truncate' | 'verify' | 'verify-foreign-keys' | 'verify-row-counts' | 'cleanup';

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
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH_SIZE) throw new Error(`batch size must be a whole number from 1 to ${MAX_BATCH_SIZE}, got ${String(batchSize)}`);
  return n;
}

function maskTables(plan: ScrubPlan): MaskTablePlan[] {
  return plan.tables.filter((t): t is MaskTablePlan => t.action === 'mask' && t.masked.length > 0);
}

/** The steps of a plan, in order; a run's step index points into this list. */
function stepsOf(plan: ScrubPlan): Step[] {
  const masks = maskTables(plan);
  return [
    ...masks.map((t) => ({ kind: 'snapshot' as const, table: t, name: `snapshot:${t.table}` })),
    ...masks.map((t) => ({ kind: 'mask' as const, table: t, name: `mask:${t.table}` })),
    ...plan.tables.filter((t): t is TruncateTablePlan => t.action === 'truncate').map((t) => ({ kind: 'truncate' as const, table: t, name: `truncate:${t.table}` })),
    ...masks.map((t) => ({ kind: 'verify' as const, table: t, name: `verify:${t.table}` })),
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

async function ensureStateTable(conn: Connection): Promise<void> {
  await conn.query(`CREATE TABLE IF NOT EXISTS ${quoteIdentifier(STATE_TABLE)} (
    run_id VARCHAR(128) NOT NULL PRIMARY KEY,
    status VARCHAR(16) NOT NULL,
    engine_version VARCHAR(32) NOT NULL,
    ruleset_sha256 CHAR(64) NOT NULL,
    key_fingerprint CHAR(16) NOT NULL,
    plan_fingerprint CHAR(64) NOT NULL,
    step_index INT NOT NULL,
    cursor_value VARCHAR(40) NULL,
    progress LONGTEXT NOT NULL,
    error_message TEXT NULL,
    started_at DATETIME(3) NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    finished_at DATETIME(3) NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
    COMMENT='ClinSpark PII scrub runs: status, progress, counts and timings (no data values)'`);
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
    cursor: r.cursor_value === null ? null : String(r.cursor_value),
    progress: JSON.parse(String(r.progress)) as Progress,
    error: r.error_message === null ? null : String(r.error_message),
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
  const [tables] = await conn.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, STATE_TABLE]);
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

async function dropOriginalsTables(conn: Connection, database: string): Promise<void> {
  const [rows] = await conn.query("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE ? ESCAPE '!'", [
    database,
    `${ORIGINALS_TABLE_PREFIX.replace(/_/g, '!_')}%`,
  ]);
  for (const r of rows as Array<{ name: string }>) await conn.query(`DROP TABLE IF EXISTS ${quoteIdentifier(r.name)}`);
}

function keyColumnType(t: MaskTablePlan): string {
  return `BIGINT${/unsigned/i.test(t.key.columnType) ? ' UNSIGNED' : ''}`;
}

async function createOriginalsTable(conn: Connection, t: MaskTablePlan): Promise<void> {
  const cols = [`k ${keyColumnType(t)} NOT NULL PRIMARY KEY`];
  const indexes: string[] = [];
  for (const m of t.masked) {
    if (!m.originalsColumn) continue;
    cols.push(`${m.originalsColumn} BINARY(32) NULL`);
    if (m.rule.strategy === 'hash' || m.rule.strategy === 'email') indexes.push(`KEY ix_${m.originalsColumn} (${m.originalsColumn})`);
  }
  for (const s of t.shifts) cols.push(`${s.originalsColumn} BINARY(8) NULL`);
  await conn.query(
    `CREATE TABLE ${quoteIdentifier(t.originalsTable)} (${[...cols, ...indexes].join(', ')}) ENGINE=InnoDB COMMENT='ClinSpark PII scrub: keyed hashes of original values of ${t.table.replace(/'/g, '')} (dropped after verification)'`,
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

/** Evidence from a plan and the recorded progress. */
function buildEvidence(plan: ScrubPlan, runId: string, progress: Progress, status: 'succeeded' | 'failed', error?: string, inProgress?: Step): ScrubEvidence {
  const finishedAt = new Date();
  const tables: TableEvidence[] = plan.tables.map((t) => {
    if (t.action === 'truncate') {
      return { table: t.table, action: 'truncate', rowsBefore: progress.rowsBefore[t.table], ...(t.table in progress.rowsAfter ? { rowsAfter: progress.rowsAfter[t.table] } : {}) };
    }
    return {
      table: t.table,
      action: 'mask',
      rowsBefore: progress.rowsBefore[t.table],
      ...(t.table in progress.rowsAfter ? { rowsAfter: progress.rowsAfter[t.table] } : {}),
      columns: t.masked.map((m) => ({
        column: m.info.name,
        strategy: m.rule.strategy,
        ...(optionsOf(m.rule) ? { options: optionsOf(m.rule) } : {}),
        ...(progress.valuesMasked[t.table]?.[m.info.name] !== undefined ? { valuesMasked: progress.valuesMasked[t.table][m.info.name] } : {}),
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
      ? { stepInProgress: { step: inProgress.kind, ...(inProgress.table ? { table: inProgress.table.table } : {}), rowsDone: progress.current?.rows ?? 0 } }
      : {}),
    tables,
    ...(verified || progress.checks.length > 0
      ? { verification: { passed: verified && progress.checks.every((c) => c.passed), checks: progress.checks, durationMs: progress.verificationMs } }
      : {}),
    ...(progress.warnings.length ? { warnings: progress.warnings } : {}),
  };
}

/** Evidence for a run that failed before it could start (bad rules, unreachable database...). */
export function failedBeforeStartEvidence(args: { runId: string; database: string; rules?: ScrubRules; error: string; startedAt: Date; key?: Buffer }): ScrubEvidence {
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

interface Batch {
  readonly lo: string | null;
  readonly hi: string;
}

/** The next key range of at most `size` rows after `lo`, or undefined when the table is done. */
async function nextBatch(conn: Connection, t: MaskTablePlan, lo: string | null, size: number): Promise<Batch | undefined> {
  const k = quoteIdentifier(t.key.name);
  const table = quoteIdentifier(t.table);
  const where = lo === null ? '' : `WHERE ${k} > ${integerLiteral(lo)}`;
  const [rows] = await conn.query(`SELECT ${k} AS k FROM ${table} ${where} ORDER BY ${k} LIMIT 1 OFFSET ${size - 1}`);
  const hit = (rows as Array<{ k: unknown }>)[0];
  if (hit) return { lo, hi: String(hit.k) };
  const [max] = await conn.query(`SELECT MAX(${k}) AS k FROM ${table} ${where}`);
  const m = (max as Array<{ k: unknown }>)[0]?.k;
  return m === null || m === undefined ? undefined : { lo, hi: String(m) };
}

function rangeCondition(t: MaskTablePlan, b: Batch): string {
  const k = `${T}.${quoteIdentifier(t.key.name)}`;
  return b.lo === null ? `${k} <= ${integerLiteral(b.hi)}` : `${k} > ${integerLiteral(b.lo)} AND ${k} <= ${integerLiteral(b.hi)}`;
}

function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}

class Runner {
  private readonly steps: Step[];
  private readonly sqlByTable = new Map<string, ColumnSql[]>();
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
    this.steps = stepsOf(plan);
    for (const t of maskTables(plan)) this.sqlByTable.set(t.table, t.masked.map((m) => columnSql(t, m)));
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
    if (step.kind === 'verify' || step.kind === 'verify-foreign-keys' || step.kind === 'verify-row-counts') this.progress.verificationMs += ms;
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
      case 'snapshot':
        return this.snapshotBatch(step, step.table as MaskTablePlan);
      case 'mask':
        return this.maskBatch(step, step.table as MaskTablePlan);
      case 'truncate':
        return this.truncate(step, step.table as TruncateTablePlan);
      case 'verify':
        return this.verifyBatch(step, step.table as MaskTablePlan);
      case 'verify-foreign-keys':
        return this.verifyForeignKey(step);
      case 'verify-row-counts':
        return this.verifyRowCounts(step);
      case 'cleanup':
        return this.cleanup(step);
    }
  }

  private async snapshotBatch(step: Step, t: MaskTablePlan): Promise<boolean> {
    const started = Date.now();
    const batch = await nextBatch(this.conn, t, this.state.cursor, this.progress.batchSize);
    if (!batch) {
      await this.checkpoint(step, 0, Date.now() - started, true, null);
      return true;
    }
    const sqls = this.sqlByTable.get(t.table) as ColumnSql[];
    const tokenCols = sqls.filter((c) => c.snapshot);
    const targetCols = ['k', ...tokenCols.map((c) => c.column.originalsColumn as string), ...t.shifts.map((s) => s.originalsColumn)];
    const exprs = [`${T}.${quoteIdentifier(t.key.name)}`, ...tokenCols.map((c) => c.snapshot as string), ...t.shifts.map((s) => shiftSnapshotSql(s.subject))];
    const from = `FROM ${quoteIdentifier(t.table)} ${T} WHERE ${rangeCondition(t, batch)}`;
    await this.inTransaction(async () => {
      await this.conn.query(`INSERT INTO ${quoteIdentifier(t.originalsTable)} (${targetCols.join(', ')}) SELECT ${exprs.join(', ')} ${from}`);
      const [rows] = await this.conn.query(`SELECT COUNT(*) AS n, ${sqls.map((c, i) => `SUM(${c.hasValue}) AS v${i}`).join(', ')} ${from}`);
      const r = (rows as Array<Record<string, unknown>>)[0];
      const masked = (this.progress.valuesMasked[t.table] ??= {});
      sqls.forEach((c, i) => {
        masked[c.column.info.name] = (masked[c.column.info.name] ?? 0) + num(r[`v${i}`]);
      });
      await this.checkpoint(step, num(r.n), Date.now() - started, false, batch.hi);
    });
    return false;
  }

  private async maskBatch(step: Step, t: MaskTablePlan): Promise<boolean> {
    const started = Date.now();
    const batch = await nextBatch(this.conn, t, this.state.cursor, this.progress.batchSize);
    if (!batch) {
      await this.checkpoint(step, 0, Date.now() - started, true, null);
      return true;
    }
    const sqls = this.sqlByTable.get(t.table) as ColumnSql[];
    const keepTimestamps = t.onUpdateColumns.map((c) => `${T}.${quoteIdentifier(c)} = ${T}.${quoteIdentifier(c)}`);
    const where = `WHERE ${rangeCondition(t, batch)}`;
    // Columns whose new value needs the originals table are set by a join; the others by a plain
    // UPDATE (a multi-table UPDATE of TEXT columns makes MariaDB buffer rows in a temporary table).
    const statements: string[] = [];
    const plain = sqls.filter((c) => !c.usesOriginals);
    const joined = sqls.filter((c) => c.usesOriginals);
    if (plain.length) statements.push(`UPDATE ${quoteIdentifier(t.table)} ${T} SET ${[...plain.map((c) => `${c.ref} = ${c.mask}`), ...keepTimestamps].join(', ')} ${where}`);
    if (joined.length) {
      statements.push(
        `UPDATE ${quoteIdentifier(t.table)} ${T} JOIN ${quoteIdentifier(t.originalsTable)} ${O} ON ${O}.k = ${T}.${quoteIdentifier(t.key.name)} ` +
          `SET ${[...joined.map((c) => `${c.ref} = ${c.mask}`), ...keepTimestamps].join(', ')} ${where}`,
      );
    }
    await this.inTransaction(async () => {
      let rows = 0;
      for (const sql of statements) {
        const [res] = await this.conn.query(sql);
        rows = Math.max(rows, num((res as ResultSetHeader).affectedRows));
      }
      await this.checkpoint(step, rows, Date.now() - started, false, batch.hi);
    });
    return false;
  }

  private async truncate(step: Step, t: TruncateTablePlan): Promise<boolean> {
    const started = Date.now();
    await this.conn.query(`TRUNCATE TABLE ${quoteIdentifier(t.table)}`);
    await this.checkpoint(step, this.progress.rowsBefore[t.table] ?? 0, Date.now() - started, true, null);
    return true;
  }

  private async verifyBatch(step: Step, t: MaskTablePlan): Promise<boolean> {
    const started = Date.now();
    const sqls = this.sqlByTable.get(t.table) as ColumnSql[];
    const batch = await nextBatch(this.conn, t, this.state.cursor, this.progress.batchSize);
    const counters = (this.progress.verifyCounters ??= {});
    if (!batch) {
      const withTokens = sqls.filter((c) => c.column.originalsColumn);
      const add = (c: Omit<VerificationCheck, 'passed'>) => this.progress.checks.push({ ...c, passed: c.violations === 0 });
      if (withTokens.length) add({ check: 'rows-not-snapshotted', table: t.table, violations: counters.unsnap ?? 0 });
      sqls.forEach((c, i) => {
        const base = { table: t.table, column: c.column.info.name, strategy: c.column.rule.strategy };
        if (c.originalAnywhere) add({ check: 'no-original-values-in-column', ...base, violations: counters[`a${i}`] ?? 0 });
        else add({ check: 'no-original-values', ...base, violations: counters[`l${i}`] ?? 0 });
        if (c.format && c.column.rule.strategy !== 'null' && c.column.rule.strategy !== 'fixed') add({ check: 'masked-format', ...base, violations: counters[`f${i}`] ?? 0 });
      });
      delete this.progress.verifyCounters;
      await this.checkpoint(step, 0, Date.now() - started, true, null);
      return true;
    }
    const withTokens = sqls.filter((c) => c.column.originalsColumn);
    const sums = [
      'COUNT(*) AS n',
      withTokens.length ? `SUM(${O}.k IS NULL AND (${withTokens.map((c) => c.hasValue).join(' OR ')})) AS unsnap` : '0 AS unsnap',
    ];
    sqls.forEach((c, i) => {
      if (c.originalAnywhere) sums.push(`SUM(${c.originalAnywhere}) AS a${i}`);
      else sums.push(`SUM(${c.originalLeft}) AS l${i}`);
      if (c.format && c.column.rule.strategy !== 'null' && c.column.rule.strategy !== 'fixed') sums.push(`SUM(${c.format}) AS f${i}`);
    });
    const [rows] = await this.conn.query(
      `SELECT ${sums.join(', ')} FROM ${quoteIdentifier(t.table)} ${T} LEFT JOIN ${quoteIdentifier(t.originalsTable)} ${O} ON ${O}.k = ${T}.${quoteIdentifier(t.key.name)} WHERE ${rangeCondition(t, batch)}`,
    );
    const r = (rows as Array<Record<string, unknown>>)[0];
    for (const [k, v] of Object.entries(r)) if (k !== 'n') counters[k] = (counters[k] ?? 0) + num(v);
    await this.checkpoint(step, num(r.n), Date.now() - started, false, batch.hi);
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

  private async verifyRowCounts(step: Step): Promise<boolean> {
    const started = Date.now();
    for (const t of this.plan.tables) {
      const [rows] = await this.conn.query(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(t.table)}`);
      const actual = num((rows as Array<{ n: unknown }>)[0].n);
      this.progress.rowsAfter[t.table] = actual;
      const expected = t.action === 'truncate' ? 0 : this.progress.rowsBefore[t.table];
      this.progress.checks.push({ check: t.action === 'truncate' ? 'truncated-empty' : 'row-count', table: t.table, expected, actual, violations: Math.abs(actual - expected), passed: actual === expected });
    }
    await this.checkpoint(step, 0, Date.now() - started, true, null);
    return true;
  }

  private async cleanup(step: Step): Promise<boolean> {
    const started = Date.now();
    await dropOriginalsTables(this.conn, this.plan.database);
    const failed = this.progress.checks.filter((c) => !c.passed);
    this.state.status = failed.length === 0 ? 'succeeded' : 'failed';
    this.state.error = failed.length === 0 ? null : verificationFailureMessage(failed);
    this.progress.steps.push({ step: step.kind, durationMs: Date.now() - started, finishedAt: new Date().toISOString() });
    delete this.progress.current;
    this.state.stepIndex += 1;
    this.state.cursor = null;
    this.progress.evidence = buildEvidence(this.plan, this.state.runId, this.progress, this.state.status === 'succeeded' ? 'succeeded' : 'failed', this.state.error ?? undefined);
    await saveState(this.conn, this.state, true);
    this.report(step, 0, true);
    return true;
  }
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

/** Rows of the child table whose (non-NULL) foreign key finds no parent row. */
export async function countOrphans(conn: Connection, fk: ScrubPlan['foreignKeys'][number]): Promise<number> {
  const on = fk.columns.map((c, i) => `p.${quoteIdentifier(fk.referencedColumns[i])} = c.${quoteIdentifier(c)}`).join(' AND ');
  const notNull = fk.columns.map((c) => `c.${quoteIdentifier(c)} IS NOT NULL`).join(' AND ');
  const [rows] = await conn.query(
    `SELECT COUNT(*) AS n FROM ${quoteIdentifier(fk.table)} c LEFT JOIN ${quoteIdentifier(fk.referencedTable)} p ON ${on} WHERE ${notNull} AND p.${quoteIdentifier(fk.referencedColumns[0])} IS NULL`,
  );
  return num((rows as Array<{ n: unknown }>)[0].n);
}

async function startRun(conn: Connection, plan: ScrubPlan, options: ScrubRunOptions, batchSize: number): Promise<RunState> {
  await conn.query(`UPDATE ${quoteIdentifier(STATE_TABLE)} SET status = 'abandoned', updated_at = UTC_TIMESTAMP(3) WHERE status = 'running' AND run_id <> ?`, [options.runId]);
  await dropOriginalsTables(conn, plan.database);
  for (const t of maskTables(plan)) await createOriginalsTable(conn, t);
  const state: RunState = {
    runId: options.runId,
    status: 'running',
    engineVersion: ENGINE_VERSION,
    rulesetSha256: plan.rules.sha256,
    keyFingerprint: keyFingerprint(options.key),
    planFingerprint: plan.fingerprint,
    stepIndex: 0,
    cursor: null,
    progress: emptyProgress(plan, batchSize, keyFingerprint(options.key)),
    error: null,
  };
  await conn.query(
    `INSERT INTO ${quoteIdentifier(STATE_TABLE)} (run_id, status, engine_version, ruleset_sha256, key_fingerprint, plan_fingerprint, step_index, cursor_value, progress, started_at, updated_at)
     VALUES (?, 'running', ?, ?, ?, ?, 0, NULL, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
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
  if (problems.length) throw new Error(`run '${state.runId}' cannot be resumed: ${problems.join(', ')}; start a new run on a fresh copy of the database`);
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
  if (!RUN_ID_RE.test(runId)) throw new Error(`run id '${runId}' must be 1-128 characters: letters, digits and . _ : -, starting with a letter or digit`);
  await useDatabase(conn, database);
  const resuming = await runExists(conn, database, runId);
  const plan = await planScrub(conn, database, options.rules, { countRows: !resuming });
  await acquireLock(conn, database);
  let state: RunState | undefined;
  let runner: Runner | undefined;
  /** Set once the run is resumable or created; earlier errors leave the run as it was. */
  let started = false;
  try {
    await ensureStateTable(conn);
    state = await loadState(conn, runId);
    if (state?.status === 'succeeded' && state.progress.evidence) return { complete: true, runId, evidence: state.progress.evidence };
    if (state && state.status !== 'running') {
      const evidence = state.progress.evidence ?? buildEvidence(plan, runId, state.progress, 'failed', state.error ?? `run ${state.status}`);
      throw new ScrubFailedError(`run '${runId}' ${state.status === 'abandoned' ? 'was abandoned (a newer run started)' : `failed: ${state.error ?? 'unknown error'}`}`, evidence);
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
    await dropOriginalsTables(conn, database).catch(() => undefined);
    throw new ScrubFailedError(message, evidence);
  } finally {
    await uninstallKey(conn).catch(() => undefined);
    await conn.query('SET SESSION foreign_key_checks = 1').catch(() => undefined);
    await releaseLock(conn, database).catch(() => undefined);
  }
}
