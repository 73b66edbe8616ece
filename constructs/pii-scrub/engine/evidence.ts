/**
 * Evidence of a scrub or a verification: JSON for the validation file (GxP). It holds names,
 * counts, hashes of the ruleset and timings, never a key or a data value. Error messages from the
 * database are rewritten so that values they quote (e.g. "Duplicate entry 'x'") are withheld.
 */
import { ENGINE_NAME, ENGINE_VERSION } from './version';

export type ScrubStatus = 'succeeded' | 'failed';

/** One finished step (a step may span several invocations; durations are summed). */
export interface StepEvidence {
  /** `snapshot`, `mask`, `truncate`, `verify`, `verify-foreign-keys`, `verify-row-counts`, `cleanup`. */
  readonly step: string;
  readonly table?: string;
  /** Rows read or written by the step. */
  readonly rows?: number;
  readonly durationMs: number;
  readonly finishedAt: string;
}

export interface ColumnEvidence {
  readonly column: string;
  readonly strategy: string;
  /** Options that say how (kind, domain, days...), never a fixed value. */
  readonly options?: Record<string, string | number>;
  /** Rows whose original value was not NULL/empty, i.e. rows where this rule replaced something. */
  readonly valuesMasked?: number;
  /** The column was left as it is: an earlier succeeded run with the same key applied the same rule. */
  readonly alreadyScrubbedBy?: string;
}

export interface TableEvidence {
  /** `table` of the scrubbed database, `schema.table` of another schema. */
  readonly table: string;
  readonly schema?: string;
  readonly action: 'mask' | 'truncate' | 'keep';
  /** Masked tables: how they were batched. */
  readonly batching?: { readonly key: readonly string[]; readonly source: string };
  readonly rowsBefore?: number;
  readonly rowsAfter?: number;
  readonly columns?: readonly ColumnEvidence[];
  readonly keptColumns?: readonly string[];
}

/** One verification check. `violations` counts rows (or orphans); a check passes with 0. */
export interface VerificationCheck {
  /**
   * `no-original-values` (row kept its original), `no-original-values-in-column` (value equals
   * any original of the column), `masked-format` (value does not look masked),
   * `rows-not-snapshotted`, `row-count`, `truncated-empty`, `foreign-key`.
   */
  readonly check: string;
  readonly table: string;
  readonly column?: string;
  readonly strategy?: string;
  readonly constraint?: string;
  /** `pii-pattern`: the pattern that matched, and the rules' reason when acknowledged. */
  readonly pattern?: string;
  readonly acknowledged?: string;
  readonly expected?: number;
  readonly actual?: number;
  readonly violations: number;
  readonly passed: boolean;
}

export interface VerificationEvidence {
  readonly passed: boolean;
  readonly checks: readonly VerificationCheck[];
  readonly durationMs: number;
  /** What this verification could not check (verify-only: no originals to compare with). */
  readonly limitations?: readonly string[];
}

export interface ScrubEvidence {
  readonly evidenceVersion: 1;
  readonly engine: { readonly name: string; readonly version: string };
  readonly mode: 'scrub' | 'verify-only';
  readonly runId: string;
  readonly database: string;
  readonly status: ScrubStatus;
  /** Why the run failed; never contains a data value. */
  readonly error?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly rulesFile: string;
  readonly rulesetSha256: string;
  /** First 16 hex of HMAC-SHA256(key, "clinspark-scrub-key-id"): tells keys apart, reveals nothing. */
  readonly keyFingerprint?: string;
  readonly batchSize?: number;
  /** Lambda invocations (or CLI calls) that worked on the run. */
  readonly invocations?: number;
  readonly steps: readonly StepEvidence[];
  /** The step a failed run stopped in, with the rows it had done (committed batches only). */
  readonly stepInProgress?: { readonly step: string; readonly table?: string; readonly rowsDone: number };
  readonly tables: readonly TableEvidence[];
  /** Every schema and table of the server the run saw (system schemas excluded) and the rule applied to each. */
  readonly inventory?: InventoryEvidence;
  readonly verification?: VerificationEvidence;
  readonly warnings?: readonly string[];
}

export interface InventoryEvidence {
  readonly systemSchemasExcluded: readonly string[];
  readonly schemas: ReadonlyArray<{
    readonly schema: string;
    readonly tables: ReadonlyArray<{ readonly table: string; readonly rows: number; readonly rule: 'mask' | 'truncate' | 'keep' }>;
  }>;
}

export const EVIDENCE_ENGINE = { name: ENGINE_NAME, version: ENGINE_VERSION } as const;

/** A failed scrub. Nothing in `message` or `evidence` is a data value or key material. */
export class ScrubFailedError extends Error {
  constructor(
    message: string,
    readonly evidence: ScrubEvidence,
  ) {
    super(message);
    this.name = 'ScrubFailedError';
  }
}

/** Another engine holds the database's scrub lock; try again later (nothing was changed). */
export class ScrubBusyError extends Error {
  constructor(database: string) {
    super(`another scrub is running on database '${database}' (its lock is held); try again when it has finished`);
    this.name = 'ScrubBusyError';
  }
}

interface DbError {
  code?: string;
  errno?: number;
  sqlMessage?: string;
  message?: string;
}

/** Database errors whose server message never quotes a data value. */
const SAFE_CODES = new Set([
  'ER_BAD_NULL_ERROR',
  'ER_DATA_TOO_LONG',
  'ER_CHECK_CONSTRAINT_VIOLATED',
  'ER_CONSTRAINT_FAILED',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_NO_SUCH_TABLE',
  'ER_BAD_FIELD_ERROR',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_ERROR',
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_ROW_IS_REFERENCED_2',
  'ER_NO_REFERENCED_ROW_2',
  'ER_QUERY_INTERRUPTED',
  'ER_OPTION_PREVENTS_STATEMENT',
]);

/**
 * A message for any error that is safe to log and to put in evidence: database errors keep their
 * code and identifiers, quoted values are withheld; connection errors keep host and port only.
 */
export function safeErrorMessage(error: unknown): string {
  // Not `instanceof Error`: errors from Node's net module may come from another realm (jest's vm).
  if (typeof error !== 'object' || error === null || typeof (error as { message?: unknown }).message !== 'string') return 'unknown error';
  const e = error as Error & DbError;
  if (e.code && e.sqlMessage !== undefined) {
    if (e.code === 'ER_DUP_ENTRY') {
      const key = /for key '([^']+)'/.exec(e.sqlMessage)?.[1];
      return `database error ${e.errno} ${e.code}: a value would be duplicated in unique index '${key ?? '?'}' (value withheld)`;
    }
    const text = SAFE_CODES.has(e.code) ? e.sqlMessage : e.sqlMessage.replace(/'(?:[^'\\]|\\.|'')*'/g, "'(withheld)'");
    return `database error ${e.errno} ${e.code}: ${text}`;
  }
  if (e.code && /^(E[A-Z]+|PROTOCOL_|HANDSHAKE_)/.test(e.code)) {
    return `${e.code}: ${(e.message ?? '').replace(/'(?:[^'\\]|\\.)*'/g, "'(withheld)'")}`;
  }
  return e.message;
}
