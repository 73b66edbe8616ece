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
 * Logs are JSON lines with names and counts only: never a key, a password or a data value.
 * Bundled by esbuild: no dynamic requires, the dictionaries are TypeScript modules.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Connection } from 'mysql2/promise';
import { connectTls } from '../../core/runtime/database';
import { isSystemAccount } from '../../database/handler/app-account';
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
  readonly database: { readonly host: string; readonly port: number; readonly username: string; readonly secretArn: string; readonly name: string };
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
  | { readonly complete: true; readonly evidenceKey: string; readonly rulesetSha256: string; readonly rowsScrubbed: number; readonly lockedAccounts: number };

export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

/** Time kept in reserve before the Lambda's timeout: no batch starts within it. */
export const DEADLINE_MARGIN_MS = 60_000;

const secretsManager = new SecretsManagerClient({});
const s3 = new S3Client({});

function log(entry: Record<string, unknown>): void {
  console.log(JSON.stringify({ source: 'clinspark-pii-scrub', ...entry }));
}

function checkEvent(event: ScrubStepEvent): void {
  const problems: string[] = [];
  const need = (value: unknown, name: string, allowEmpty = false) => {
    if (typeof value !== 'string' || (!allowEmpty && value === '')) problems.push(`${name} is required (a string)`);
  };
  need(event.database?.host, 'database.host');
  need(event.database?.username, 'database.username');
  need(event.database?.secretArn, 'database.secretArn');
  need(event.database?.name, 'database.name');
  need(event.scrub?.keySecretArn, 'scrub.keySecretArn');
  need(event.scrub?.rulesYaml, 'scrub.rulesYaml');
  need(event.scrub?.evidenceBucket, 'scrub.evidenceBucket');
  need(event.scrub?.evidenceKmsKeyId, 'scrub.evidenceKmsKeyId');
  need(event.scrub?.evidenceKey, 'scrub.evidenceKey');
  need(event.scrub?.failedEvidencePrefix, 'scrub.failedEvidencePrefix', true);
  need(event.execution, 'execution');
  const b = event.scrub?.batchSize;
  if (b !== undefined && (!Number.isInteger(b) || b < 1)) problems.push(`scrub.batchSize must be a positive whole number, got '${String(b)}'`);
  if (problems.length) throw new Error(`invalid PII scrub input: ${problems.join('; ')}`);
}

/** The engine's run id: one per workflow execution (the staging copy is new per execution). */
export function runIdOf(execution: string): string {
  return `sfn-${execution.replace(/[^A-Za-z0-9-]/g, '').slice(0, 100)}`;
}

async function readKey(arn: string): Promise<Buffer> {
  const out = await secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
  if (out.SecretString !== undefined) return Buffer.from(out.SecretString, 'utf8');
  if (out.SecretBinary) return Buffer.from(out.SecretBinary);
  throw new Error(`secret ${arn} has no value`);
}

async function readPassword(arn: string): Promise<string> {
  const out = await secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
  let password: unknown;
  try {
    password = (JSON.parse(out.SecretString ?? '') as { password?: unknown }).password;
  } catch {
    throw new Error(`secret ${arn} is not JSON`);
  }
  if (typeof password !== 'string' || password === '') throw new Error(`secret ${arn} lacks 'password'`);
  return password;
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
  const [rows] = await conn.query('SELECT User AS user, Host AS host FROM mysql.user');
  const locked: string[] = [];
  for (const row of rows as Array<{ user: string; host: string }>) {
    if (row.user === masterUsername || row.user === '' || isSystemAccount(row.user)) continue;
    if (await isRole(conn, row.user, row.host)) continue;
    await conn.query(`ALTER USER ${conn.escape(row.user)}@${conn.escape(row.host)} ACCOUNT LOCK`);
    locked.push(`${row.user}@${row.host}`);
  }
  return locked;
}

async function isRole(conn: Connection, user: string, host: string): Promise<boolean> {
  try {
    const [rows] = await conn.query('SELECT is_role FROM mysql.user WHERE User = ? AND Host = ?', [user, host]);
    return (rows as Array<{ is_role: string }>)[0]?.is_role === 'Y';
  } catch {
    return false;
  }
}

/** Step Functions task: one unit of the scrub (resumes the run until the Lambda's deadline). */
export async function scrubStep(event: ScrubStepEvent, context: LambdaContextLike): Promise<ScrubStepResult> {
  checkEvent(event);
  const { database, scrub } = event;
  const runId = runIdOf(event.execution);
  const deadline = Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;
  const startedAt = new Date();
  const failedKey = `${scrub.failedEvidencePrefix}${event.execution}.json`;
  let rules: ScrubRules | undefined;
  let scrubKey: Buffer | undefined;
  let conn: Connection | undefined;
  const fail = async (message: string, evidence?: ScrubEvidence): Promise<never> => {
    const ev = evidence ?? failedBeforeStartEvidence({ runId, database: database.name, rules, error: message, startedAt, key: scrubKey });
    let where = `evidence: s3://${scrub.evidenceBucket}/${failedKey}`;
    try {
      await putEvidence(scrub.evidenceBucket, failedKey, scrub.evidenceKmsKeyId, ev);
    } catch (e) {
      where = `evidence could not be written to s3://${scrub.evidenceBucket}/${failedKey}: ${safeErrorMessage(e)}`;
    }
    log({ level: 'error', event: 'scrub-failed', runId, database: database.name, error: message, evidence: failedKey });
    throw new Error(`PII scrub of database '${database.name}' failed: ${message} (${where})`);
  };
  try {
    rules = parseScrubRules(scrub.rulesYaml, 'rulesYaml');
    scrubKey = await readKey(scrub.keySecretArn);
    checkKey(scrubKey);
    const password = await readPassword(database.secretArn);
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
      onProgress: (p) => log({ level: 'info', event: 'scrub-progress', ...p }),
    });
    if (!outcome.complete) {
      log({ level: 'info', event: 'scrub-paused', runId, database: database.name, nextStep: outcome.step });
      return { complete: false };
    }
    await putEvidence(scrub.evidenceBucket, scrub.evidenceKey, scrub.evidenceKmsKeyId, outcome.evidence);
    const result = { complete: true as const, evidenceKey: scrub.evidenceKey, rulesetSha256: outcome.evidence.rulesetSha256, rowsScrubbed: rowsScrubbed(outcome.evidence), lockedAccounts: locked.length };
    log({ level: 'info', event: 'scrub-succeeded', runId, database: database.name, ...result });
    return result;
  } catch (e) {
    if (e instanceof ScrubBusyError) {
      log({ level: 'warn', event: 'scrub-busy', runId, database: database.name, message: e.message });
      return { complete: false };
    }
    if (e instanceof ScrubFailedError) return fail(e.message, e.evidence);
    if (e instanceof ScrubRulesError) return fail(`the rules do not fit the database: ${e.issues.map(formatRulesIssue).join('; ')}`);
    return fail(safeErrorMessage(e));
  } finally {
    await conn?.end().catch(() => undefined);
  }
}
