/**
 * The scrub step of the VAL scrubbed-copy workflow (Step Functions, see
 * constructs/val-clone/scrubbed-copy.ts): runs the scrub engine on the STAGING cluster in
 * resumable batches, one Lambda invocation per loop of the state machine.
 *
 * Input (ScrubStepEvent):
 *   database.host/port      the staging cluster's writer endpoint (from the control step)
 *   database.username       its master user
 *   database.secretArn      secret whose `password` is the staging master password
 *   database.name           schema to scrub
 *   scrub.keySecretArn      secret whose SecretString (its UTF-8 bytes) is the scrub key, >= 32 bytes
 *   scrub.rulesYaml         the ruleset text (see docs/scrub.md)
 *   scrub.evidenceBucket    bucket receiving the evidence JSON
 *   scrub.evidenceKmsKeyId  KMS key of the evidence (SSE-KMS with SSEKMSKeyId: the bucket's own key)
 *   scrub.evidenceKey       S3 key of the evidence of a successful run
 *   scrub.failedEvidencePrefix  prefix of the evidence of a failed run (`<prefix><execution>.json`)
 *   scrub.batchSize         optional, rows per batch (default 20000)
 *   execution               the Step Functions execution name (the run id derives from it)
 *
 * Every invocation first locks every non-system account of the copy except the master user
 * (ALTER USER ... ACCOUNT LOCK: no credential of the source works on the copy, nor on the VAL
 * clusters restored from its snapshot), then resumes the run until ~60 s before the Lambda's
 * timeout and returns { complete: false }, or, when the run is done and verified, writes the
 * evidence and returns { complete: true, evidenceKey, rulesetSha256, rowsScrubbed }. On failure
 * it writes the failed evidence and throws an Error saying what failed: the workflow's catch
 * branch then deletes the staging cluster.
 *
 * Logs are JSON lines with names and counts only: never a key, a password or a data value (the
 * shared runtime's Logger redacts the staging password and the key, text and hex, from every line
 * and from the thrown error).
 * Bundled by esbuild: no dynamic requires, the dictionaries are TypeScript modules.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import type { Connection } from 'mysql2/promise';
import { z } from 'zod';
import { lockOtherAccounts } from '../../core/runtime/accounts';
import { Invocation, taskHandler } from '../../core/runtime/custom-resource';
import { connectTls } from '../../core/runtime/database';
import { parseWith } from '../../core/runtime/properties';
import { readSecretBytes, readSecretPassword } from '../../core/runtime/secrets';
import {
  ScrubBusyError,
  ScrubEvidence,
  ScrubFailedError,
  ScrubRules,
  ScrubRulesError,
  checkKey,
  failedBeforeStartEvidence,
  formatRulesIssue,
  parseScrubRules,
  runScrub,
  safeErrorMessage,
} from '../engine';

/** The input of one invocation (the state machine builds it from the run and the staging endpoint). */
export interface ScrubStepEvent {
  readonly database: {
    readonly host: string;
    readonly port: number;
    readonly username: string;
    readonly secretArn: string;
    readonly name: string;
  };
  readonly scrub: {
    readonly keySecretArn: string;
    readonly rulesYaml: string;
    readonly evidenceBucket: string;
    readonly evidenceKmsKeyId: string;
    readonly evidenceKey: string;
    readonly failedEvidencePrefix: string;
    readonly batchSize?: number;
  };
  readonly execution: string;
}

/** What one invocation returns: paused (loop again) or done and verified. */
export type ScrubStepResult =
  | { readonly complete: false }
  | {
      readonly complete: true;
      readonly evidenceKey: string;
      readonly rulesetSha256: string;
      readonly rowsScrubbed: number;
      readonly lockedAccounts: number;
    };

/** What the step reads of the Lambda context. */
export type LambdaContextLike = Pick<Context, 'getRemainingTimeInMillis'>;

/** Time kept in reserve before the Lambda's timeout: no batch starts within it. */
export const DEADLINE_MARGIN_MS = 60_000;

const secretsManager = new SecretsManagerClient({});
const s3 = new S3Client({});

const SOURCE = 'clinspark-pii-scrub';

/** A required string of the input ('' allowed where `allowEmpty`). */
const text = (allowEmpty = false) => {
  const s = z.string({ error: 'is required (a string)' });
  return allowEmpty ? s : s.min(1, { error: 'is required (a string)' });
};

const inputSchema = z.object({
  database: z.object(
    {
      host: text(),
      port: z.unknown().optional(),
      username: text(),
      secretArn: text(),
      name: text(),
    },
    { error: 'is required (an object: host, port, username, secretArn, name)' },
  ),
  scrub: z.object(
    {
      keySecretArn: text(),
      rulesYaml: text(),
      evidenceBucket: text(),
      evidenceKmsKeyId: text(),
      evidenceKey: text(),
      failedEvidencePrefix: text(true),
      batchSize: z
        .unknown()
        .optional()
        .superRefine((b, ctx) => {
          if (b !== undefined && (typeof b !== 'number' || !Number.isInteger(b) || b < 1)) {
            ctx.addIssue({
              code: 'custom',
              message: `must be a positive whole number, got '${typeof b === 'number' ? b : JSON.stringify(b)}'`,
            });
          }
        }),
    },
    { error: 'is required (an object: keySecretArn, rulesYaml, evidenceBucket, evidenceKmsKeyId, evidenceKey, failedEvidencePrefix)' },
  ),
  execution: text(),
});

function checkEvent(event: ScrubStepEvent): void {
  parseWith(inputSchema, event, { style: 'path', prefix: 'invalid PII scrub input: ' });
}

/** The engine's run id: one per workflow execution (the staging copy is new per execution). */
export function runIdOf(execution: string): string {
  return `sfn-${execution.replace(/[^A-Za-z0-9-]/g, '').slice(0, 100)}`;
}

/** Writes evidence with SSE-KMS under the evidence bucket's own key (never the aws/s3 default key). */
async function putEvidence(bucket: string, key: string, kmsKeyId: string, evidence: ScrubEvidence): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `${JSON.stringify(evidence, null, 2)}\n`,
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: kmsKeyId,
    }),
  );
}

function rowsScrubbed(evidence: ScrubEvidence): number {
  return evidence.tables.reduce((sum, t) => sum + (t.action === 'truncate' || (t.columns?.length ?? 0) > 0 ? (t.rowsBefore ?? 0) : 0), 0);
}

/**
 * Locks every account of the copy except the master user and the database's own system
 * accounts, so that no credential of the source (application, rotation twin, replication,
 * read-only) works on the copy or on anything restored from it. Idempotent.
 */
export async function lockSourceAccounts(conn: Connection, masterUsername: string): Promise<string[]> {
  return lockOtherAccounts(conn, (user) => user === masterUsername);
}

/** One unit of the scrub (resumes the run until the Lambda's deadline). */
async function runStep(event: ScrubStepEvent, { redactor, log }: Invocation, context: LambdaContextLike): Promise<ScrubStepResult> {
  checkEvent(event);
  const { database, scrub } = event;
  const runId = runIdOf(event.execution);
  const deadline = Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;
  const startedAt = new Date();
  const failedKey = `${scrub.failedEvidencePrefix}${event.execution}.json`;
  let rules: ScrubRules | undefined;
  let scrubKey: Buffer | undefined;
  let conn: Connection | undefined;
  const fail = async (unsafe: string, evidence?: ScrubEvidence): Promise<never> => {
    // The failed evidence and the thrown error carry the message: no secret in either.
    const message = redactor.redact(unsafe);
    const ev = evidence ?? failedBeforeStartEvidence({ runId, database: database.name, rules, error: message, startedAt, key: scrubKey });
    let where = `evidence: s3://${scrub.evidenceBucket}/${failedKey}`;
    try {
      await putEvidence(scrub.evidenceBucket, failedKey, scrub.evidenceKmsKeyId, ev);
    } catch (e) {
      where = `evidence could not be written to s3://${scrub.evidenceBucket}/${failedKey}: ${safeErrorMessage(e)}`;
    }
    log.error('scrub-failed', { runId, database: database.name, error: message, evidence: failedKey });
    throw new Error(`PII scrub of database '${database.name}' failed: ${message} (${where})`);
  };
  try {
    rules = parseScrubRules(scrub.rulesYaml, 'rulesYaml');
    scrubKey = await readSecretBytes(secretsManager, scrub.keySecretArn, 'scrub key', redactor);
    checkKey(scrubKey);
    const password = await readSecretPassword(secretsManager, database.secretArn, 'staging master', redactor);
    conn = await connectTls({ host: database.host, port: database.port ?? 3306, username: database.username, password });
    const locked = await lockSourceAccounts(conn, database.username);
    const outcome = await runScrub({
      connection: conn,
      database: database.name,
      rules,
      key: scrubKey,
      runId,
      ...(scrub.batchSize !== undefined ? { batchSize: scrub.batchSize } : {}),
      deadline,
      onProgress: (p) => log.info('scrub-progress', { ...p }),
    });
    if (!outcome.complete) {
      log.info('scrub-paused', { runId, database: database.name, nextStep: outcome.step });
      return { complete: false };
    }
    await putEvidence(scrub.evidenceBucket, scrub.evidenceKey, scrub.evidenceKmsKeyId, outcome.evidence);
    const result = {
      complete: true as const,
      evidenceKey: scrub.evidenceKey,
      rulesetSha256: outcome.evidence.rulesetSha256,
      rowsScrubbed: rowsScrubbed(outcome.evidence),
      lockedAccounts: locked.length,
    };
    log.info('scrub-succeeded', { runId, database: database.name, ...result });
    return result;
  } catch (e) {
    if (e instanceof ScrubBusyError) {
      log.warn('scrub-busy', { runId, database: database.name, message: e.message });
      return { complete: false };
    }
    if (e instanceof ScrubFailedError) return fail(e.message, e.evidence);
    if (e instanceof ScrubRulesError) return fail(`the rules do not fit the database: ${e.issues.map(formatRulesIssue).join('; ')}`);
    return fail(safeErrorMessage(e));
  } finally {
    await conn?.end().catch(() => undefined);
  }
}

/**
 * The Step Functions task (Lambda handler `scrubStep`). Its failures already say what failed and
 * where the failed evidence is; the runtime redacts them once more and logs nothing else.
 */
export const scrubStep: (event: ScrubStepEvent, context: LambdaContextLike) => Promise<ScrubStepResult> = taskHandler<
  ScrubStepEvent,
  ScrubStepResult,
  LambdaContextLike
>(SOURCE, runStep, { format: 'json', quiet: () => true });
