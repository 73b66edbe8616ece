/**
 * Custom resource: the PII scrub job of a VAL database, for the aws-cdk-lib custom-resources
 * Provider framework with `onEventHandler` = onEvent and `isCompleteHandler` = isComplete.
 *
 * ResourceProperties (all strings, as CloudFormation passes them):
 *   DatabaseSecretArn   secret JSON {host, port, username, password} of the VAL cluster
 *   DatabaseName        schema to scrub
 *   KeySecretArn        secret whose SecretString (its UTF-8 bytes) is the scrub key, >= 32 bytes
 *   RulesYaml           the ruleset text (see docs/scrub.md)
 *   EvidenceBucket      bucket receiving the evidence JSON (SSE-KMS with the bucket's default key)
 *   EvidenceKeyPrefix   key prefix of the evidence object ('' for none)
 *   BatchSize           optional, rows per batch (default 20000)
 *
 * Create/Update  onEvent validates the properties and the rules, starts a run whose id derives
 *                from the request id (PhysicalResourceId `pii-scrub:<database>:<runId>`), and does
 *                the first unit of work (so a bad rule or an unreachable database fails at once).
 *                isComplete resumes the run until ~60 s before the Lambda's own timeout and returns
 *                { IsComplete: false }, or, when the run is done and verified, writes the evidence
 *                to S3 and returns { IsComplete: true, Data: { EvidenceKey, RulesetSha256,
 *                RowsScrubbed } }. On failure it writes the evidence (status failed) and throws an
 *                Error saying what failed. Every update scrubs again (safe on a scrubbed database).
 * Delete         does nothing and succeeds, even when the database is gone.
 *
 * Logs are JSON lines with names and counts only: never a key, a password or a data value.
 * Bundled by esbuild: no dynamic requires, the dictionaries are TypeScript modules.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Connection } from 'mysql2/promise';
import { connectTls, readDatabaseSecret } from '../../core/runtime/database';
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

/** The ResourceProperties contract. */
export interface ScrubResourceProperties {
  readonly DatabaseSecretArn: string;
  readonly DatabaseName: string;
  readonly KeySecretArn: string;
  readonly RulesYaml: string;
  readonly EvidenceBucket: string;
  readonly EvidenceKeyPrefix: string;
  readonly BatchSize?: string;
}

/** The Data returned when the scrub is complete (strings, for Fn::GetAtt). */
export interface ScrubResourceData {
  /** S3 key of the evidence JSON in EvidenceBucket. */
  readonly EvidenceKey: string;
  /** SHA-256 (hex) of RulesYaml. */
  readonly RulesetSha256: string;
  /** Rows of masked tables plus rows removed from truncated tables. */
  readonly RowsScrubbed: string;
}

export interface ScrubEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly RequestId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
}

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

function readProperties(raw: Record<string, unknown>): ScrubResourceProperties & { batchSize?: number } {
  const problems: string[] = [];
  const str = (name: keyof ScrubResourceProperties, allowEmpty = false): string => {
    const v = raw[name];
    if (typeof v !== 'string' || (!allowEmpty && v === '')) problems.push(`${name} is required (a string)`);
    return typeof v === 'string' ? v : '';
  };
  const props = {
    DatabaseSecretArn: str('DatabaseSecretArn'),
    DatabaseName: str('DatabaseName'),
    KeySecretArn: str('KeySecretArn'),
    RulesYaml: str('RulesYaml'),
    EvidenceBucket: str('EvidenceBucket'),
    EvidenceKeyPrefix: str('EvidenceKeyPrefix', true),
  };
  let batchSize: number | undefined;
  if (raw.BatchSize !== undefined && raw.BatchSize !== '') {
    batchSize = Number(raw.BatchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1) problems.push(`BatchSize must be a positive whole number, got '${String(raw.BatchSize)}'`);
  }
  if (problems.length) throw new Error(`invalid PII scrub properties: ${problems.join('; ')}`);
  return { ...props, ...(batchSize !== undefined ? { batchSize } : {}) };
}

/** `pii-scrub:<database>:<runId>`; the run id is derived from the CloudFormation request id. */
function physicalId(database: string, requestId: string): string {
  return `pii-scrub:${database}:cfn-${requestId.replace(/[^A-Za-z0-9-]/g, '').slice(0, 100)}`;
}

function runIdOf(physical: string | undefined): string {
  const m = /^pii-scrub:.*:(cfn-[A-Za-z0-9-]+)$/.exec(physical ?? '');
  if (!m) throw new Error(`physical resource id '${physical ?? ''}' is not a PII scrub run`);
  return m[1];
}

function evidenceKey(prefix: string, database: string, runId: string): string {
  const p = prefix.replace(/^\/+/, '');
  return `${p}${p && !p.endsWith('/') ? '/' : ''}${database}/${runId}.json`;
}

async function readKey(arn: string): Promise<Buffer> {
  const out = await secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
  if (out.SecretString !== undefined) return Buffer.from(out.SecretString, 'utf8');
  if (out.SecretBinary) return Buffer.from(out.SecretBinary);
  throw new Error(`secret ${arn} has no value`);
}

async function putEvidence(bucket: string, key: string, evidence: ScrubEvidence): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `${JSON.stringify(evidence, null, 2)}\n`,
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
    }),
  );
}

function rowsScrubbed(evidence: ScrubEvidence): number {
  return evidence.tables.reduce((sum, t) => sum + (t.action === 'truncate' || (t.columns?.length ?? 0) > 0 ? (t.rowsBefore ?? 0) : 0), 0);
}

interface RunContext {
  readonly props: ReturnType<typeof readProperties>;
  readonly runId: string;
  readonly deadline: number;
}

/**
 * Runs (part of) the scrub. Returns the outcome; on failure writes the evidence and throws an
 * Error whose message says what failed (and where the evidence is).
 */
async function work(ctx: RunContext): Promise<{ IsComplete: false } | { IsComplete: true; Data: ScrubResourceData }> {
  const { props, runId } = ctx;
  const startedAt = new Date();
  const key = evidenceKey(props.EvidenceKeyPrefix, props.DatabaseName, runId);
  let rules: ScrubRules | undefined;
  let scrubKey: Buffer | undefined;
  let conn: Connection | undefined;
  const fail = async (message: string, evidence?: ScrubEvidence): Promise<never> => {
    const ev = evidence ?? failedBeforeStartEvidence({ runId, database: props.DatabaseName, rules, error: message, startedAt, key: scrubKey });
    let where = `evidence: s3://${props.EvidenceBucket}/${key}`;
    try {
      await putEvidence(props.EvidenceBucket, key, ev);
    } catch (e) {
      where = `evidence could not be written to s3://${props.EvidenceBucket}/${key}: ${safeErrorMessage(e)}`;
    }
    log({ level: 'error', event: 'scrub-failed', runId, database: props.DatabaseName, error: message, evidence: key });
    throw new Error(`PII scrub of database '${props.DatabaseName}' failed: ${message} (${where})`);
  };
  try {
    rules = parseScrubRules(props.RulesYaml, 'RulesYaml');
    scrubKey = await readKey(props.KeySecretArn);
    checkKey(scrubKey);
    const secret = await readDatabaseSecret(secretsManager, props.DatabaseSecretArn);
    conn = await connectTls(secret, { database: props.DatabaseName });
    const outcome = await runScrub({
      connection: conn,
      database: props.DatabaseName,
      rules,
      key: scrubKey,
      runId,
      ...(props.batchSize !== undefined ? { batchSize: props.batchSize } : {}),
      deadline: ctx.deadline,
      onProgress: (p) => log({ level: 'info', event: 'scrub-progress', ...p }),
    });
    if (!outcome.complete) {
      log({ level: 'info', event: 'scrub-paused', runId, database: props.DatabaseName, nextStep: outcome.step });
      return { IsComplete: false };
    }
    await putEvidence(props.EvidenceBucket, key, outcome.evidence);
    const data: ScrubResourceData = { EvidenceKey: key, RulesetSha256: outcome.evidence.rulesetSha256, RowsScrubbed: String(rowsScrubbed(outcome.evidence)) };
    log({ level: 'info', event: 'scrub-succeeded', runId, database: props.DatabaseName, ...data });
    return { IsComplete: true, Data: data };
  } catch (e) {
    if (e instanceof ScrubBusyError) {
      log({ level: 'warn', event: 'scrub-busy', runId, database: props.DatabaseName, message: e.message });
      return { IsComplete: false };
    }
    if (e instanceof ScrubFailedError) return fail(e.message, e.evidence);
    if (e instanceof ScrubRulesError) return fail(`the rules do not fit the database: ${e.issues.map(formatRulesIssue).join('; ')}`);
    return fail(safeErrorMessage(e));
  } finally {
    await conn?.end().catch(() => undefined);
  }
}

/** Provider framework onEvent: starts a run on Create/Update, does nothing on Delete. */
export async function onEvent(event: ScrubEvent): Promise<{ PhysicalResourceId: string }> {
  if (event.RequestType === 'Delete') {
    log({ level: 'info', event: 'delete-noop', physicalResourceId: event.PhysicalResourceId });
    return { PhysicalResourceId: event.PhysicalResourceId ?? event.RequestId };
  }
  const props = readProperties(event.ResourceProperties);
  const id = physicalId(props.DatabaseName, event.RequestId);
  const runId = runIdOf(id);
  log({ level: 'info', event: 'scrub-start', runId, database: props.DatabaseName, requestType: event.RequestType });
  // One unit of work now (the deadline is already due): validates rules, key and database access.
  await work({ props, runId, deadline: Date.now() });
  return { PhysicalResourceId: id };
}

/** Provider framework isComplete: resumes the run until the Lambda's deadline. */
export async function isComplete(event: ScrubEvent, context: LambdaContextLike): Promise<{ IsComplete: boolean; Data?: ScrubResourceData }> {
  if (event.RequestType === 'Delete') return { IsComplete: true };
  const props = readProperties(event.ResourceProperties);
  const runId = runIdOf(event.PhysicalResourceId);
  return work({ props, runId, deadline: Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS });
}
