/**
 * `--verify-only`: checks a database that was (supposedly) scrubbed, without the originals and
 * without the key, and without changing anything (reads only: no scratch table, no lock).
 *
 * What it can check, per strategy of the rules:
 * - null: every value is NULL; fixed: every value is NULL or the fixed value;
 * - hash: every non-empty value is lowercase hex of the hash length;
 * - email: every non-empty value is u<16 hex>@<the reserved domain>;
 * - phone: every non-empty value matches the format (# = a digit);
 * - pseudonym: every non-empty value is one the dictionary can produce;
 * - partial: every non-empty value is already masked (masking it again changes nothing);
 * - generalize: every date is the first day of its year;
 * - truncated tables are empty; every foreign key of the schema finds its parent row.
 *
 * What it cannot check (listed in the evidence as limitations): dateShift (a shifted date looks
 * like any date), and whether a hash, pseudonym, phone or email value was derived from the
 * original (only the full scrub, which holds keyed hashes of the originals, can tell).
 */
import type { Connection } from 'mysql2/promise';
import { countOrphans, inventoryOf, useDatabase } from './engine';
import { EVIDENCE_ENGINE, ScrubEvidence, TableEvidence, VerificationCheck, safeErrorMessage } from './evidence';
import { planScrub } from './plan';
import { ScrubRules } from './rules';
import { T, columnSql } from './strategies';

export interface VerifyOptions {
  readonly connection: Connection;
  readonly database: string;
  readonly rules: ScrubRules;
  /** Names the verification in the evidence. */
  readonly runId: string;
  /** Called after each table and foreign key. */
  readonly onProgress?: (p: {
    readonly check: string;
    readonly table: string;
    readonly column?: string;
    readonly violations: number;
  }) => void;
}

export const VERIFY_ONLY_LIMITATIONS = [
  'dateShift columns cannot be checked without the originals (a shifted date looks like any date)',
  'hash, email, phone and pseudonym values are checked for their masked form only, not for being derived from the originals',
];

/**
 * Verifies an already-scrubbed database against the rules. Returns evidence with status
 * `succeeded` when every check passes, `failed` otherwise (the error lists the failed checks).
 *
 * @throws ScrubRulesError when the rules do not fit the database
 */
export async function verifyScrubbed(options: VerifyOptions): Promise<ScrubEvidence> {
  const { connection: conn, database } = options;
  const startedAt = new Date();
  await useDatabase(conn, database);
  const plan = await planScrub(conn, database, options.rules);
  const checks: VerificationCheck[] = [];
  const add = (c: Omit<VerificationCheck, 'passed'>) => {
    checks.push({ ...c, passed: c.violations === 0 });
    options.onProgress?.({ check: c.check, table: c.table, ...(c.column ? { column: c.column } : {}), violations: c.violations });
  };
  const tables: TableEvidence[] = [];
  let error: string | undefined;
  try {
    for (const t of plan.tables) {
      if (t.action === 'truncate') {
        add({ check: 'truncated-empty', table: t.table, expected: 0, actual: t.rows, violations: t.rows });
        tables.push({ table: t.table, action: 'truncate', rowsAfter: t.rows });
        continue;
      }
      if (t.action === 'keep') {
        tables.push({ table: t.table, action: 'keep', rowsAfter: t.rows });
        continue;
      }
      tables.push({
        table: t.table,
        action: 'mask',
        rowsAfter: t.rows,
        columns: t.masked.map((m) => ({ column: m.info.name, strategy: m.rule.strategy })),
        keptColumns: t.kept,
      });
      const sqls = t.masked.map((m) => columnSql(t, m)).filter((c) => c.format);
      if (sqls.length === 0) continue;
      const [rows] = await conn.query(`SELECT ${sqls.map((c, i) => `SUM(${c.format}) AS f${i}`).join(', ')} FROM ${t.ref} ${T}`);
      const r = (rows as Array<Record<string, unknown>>)[0];
      sqls.forEach((c, i) =>
        add({
          check: 'masked-format',
          table: t.table,
          column: c.column.info.name,
          strategy: c.column.rule.strategy,
          violations: Number(r[`f${i}`] ?? 0),
        }),
      );
    }
    for (const fk of plan.foreignKeys) {
      add({ check: 'foreign-key', table: fk.table, constraint: fk.name, violations: await countOrphans(conn, fk) });
    }
    const failed = checks.filter((c) => !c.passed);
    if (failed.length) {
      const failure = (c: (typeof failed)[number]) =>
        `${c.column ? `${c.table}.${c.column}` : c.table}: ${c.check}${c.constraint ? ` ${c.constraint}` : ''} (${c.violations})`;
      error = `verification failed: ${failed.map(failure).join('; ')}`;
    }
  } catch (e) {
    error = `verification failed: ${safeErrorMessage(e)}`;
  }
  const finishedAt = new Date();
  return {
    evidenceVersion: 1,
    engine: { ...EVIDENCE_ENGINE },
    mode: 'verify-only',
    runId: options.runId,
    database,
    status: error ? 'failed' : 'succeeded',
    ...(error ? { error } : {}),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    rulesFile: options.rules.file,
    rulesetSha256: options.rules.sha256,
    steps: [],
    tables,
    verification: { passed: !error, checks, durationMs: finishedAt.getTime() - startedAt.getTime(), limitations: VERIFY_ONLY_LIMITATIONS },
    inventory: inventoryOf(plan),
    ...(plan.warnings.length ? { warnings: plan.warnings } : {}),
  };
}
