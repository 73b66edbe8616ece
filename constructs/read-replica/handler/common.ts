/**
 * Plumbing shared by the read-replica custom-resource handlers (replication.ts,
 * readonly-account.ts): the event contract of the aws-cdk-lib custom-resources Provider framework,
 * property parsing, logging that cannot leak a password, and SQL helpers that turn every driver
 * error into an error whose text has been scrubbed of every secret this invocation has seen.
 *
 * Bundled with esbuild into each handler: static imports only.
 */
import { GetRandomPasswordCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as mysql from 'mysql2/promise';
import { connectTls, DatabaseSecret, readDatabaseSecret } from '../../core/runtime/database';
import { Redactor } from '../../core/runtime/redaction';

export { hashOf, nativePasswordHash, Redactor } from '../../core/runtime/redaction';

/** What the Provider framework passes to `onEvent` (the fields these handlers use). */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly RequestId?: string;
  readonly LogicalResourceId?: string;
  /** Absent on Create. */
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  /** Present on Update only. */
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
}

/** What `onEvent` returns to the Provider framework. Data values are strings (CloudFormation attributes). */
export interface CustomResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** Connection timeout for Create/Update, and the shorter one used on Delete. */
export const CONNECT_TIMEOUT_MS = 10_000;
export const DELETE_CONNECT_TIMEOUT_MS = 5_000;

/** The host part of every account these handlers manage (see docs/read-replica-handlers.md). */
export const ACCOUNT_HOST = '%';

/** MySQL 8 user names are at most 32 characters; we also keep them to a safe alphabet. */
const USER_NAME = /^[A-Za-z0-9_]{1,32}$/;

/** Error raised by these handlers: the message is safe to log and to return to CloudFormation. */
export class HandlerError extends Error {
  /** MySQL error number when the cause was a server error (e.g. 1045 access denied). */
  readonly errno?: number;
  /** Driver or SDK error code (e.g. ER_ACCESS_DENIED_ERROR, ECONNREFUSED). */
  readonly code?: string;
  constructor(message: string, cause?: { errno?: number; code?: string }) {
    super(message);
    this.name = 'HandlerError';
    this.errno = cause?.errno;
    this.code = cause?.code;
  }
}

/** One line per event in CloudWatch Logs; always passed through the invocation's Redactor. */
export class Logger {
  constructor(private readonly prefix: string, private readonly redactor: Redactor) {}

  info(message: string): void {
    console.log(`[${this.prefix}] ${this.redactor.redact(message)}`);
  }

  warn(message: string): void {
    console.warn(`[${this.prefix}] WARNING: ${this.redactor.redact(message)}`);
  }
}

/** A short, secret-free description of any error (driver, SDK or ours). */
export function describeError(error: unknown): string {
  if (error instanceof HandlerError) return error.message;
  const e = error as { code?: unknown; errno?: unknown; sqlMessage?: unknown; message?: unknown; name?: unknown };
  const text = typeof e?.sqlMessage === 'string' ? e.sqlMessage : typeof e?.message === 'string' ? e.message : String(error);
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' && e.name !== 'Error' ? e.name : undefined;
  const errno = typeof e?.errno === 'number' ? e.errno : undefined;
  return [code, errno !== undefined ? `(${errno})` : undefined, text].filter(Boolean).join(' ');
}

/** Wraps any error into a HandlerError with a label and a redacted message. */
export function wrapError(label: string, error: unknown, redactor: Redactor): HandlerError {
  const e = error as { errno?: unknown; code?: unknown; name?: unknown };
  return new HandlerError(redactor.redact(`${label}: ${describeError(error)}`), {
    errno: typeof e?.errno === 'number' ? e.errno : undefined,
    code: typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : undefined,
  });
}

export type Row = Record<string, unknown>;

/**
 * Runs one statement with client-side placeholder substitution (`?` values, `??` identifiers).
 * Never throws a driver error: its `sql` property would carry the statement with the values.
 */
export async function query(conn: mysql.Connection, label: string, sql: string, values: unknown[], redactor: Redactor): Promise<Row[]> {
  try {
    const [result] = await conn.query(sql, values);
    if (!Array.isArray(result)) return [];
    // CALL returns [rows, status]; SHOW/SELECT return rows.
    const rows = Array.isArray(result[0]) ? (result[0] as unknown[]) : (result as unknown[]);
    return rows.filter((r): r is Row => typeof r === 'object' && r !== null && !Array.isArray(r) && !('affectedRows' in r));
  } catch (error) {
    throw wrapError(label, error, redactor);
  }
}

/** Opens a TLS connection (server certificate verified); errors name the host, never the password. */
export async function connect(secret: DatabaseSecret, label: string, redactor: Redactor, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<mysql.Connection> {
  redactor.add(secret.password);
  try {
    return await connectTls({ ...secret, dbname: undefined }, { connectTimeoutMs });
  } catch (error) {
    throw wrapError(`${label}: cannot connect to ${secret.host}:${secret.port} as '${secret.username}'`, error, redactor);
  }
}

/**
 * MySQL errors that mean "the password is right but has expired": ER_MUST_CHANGE_PASSWORD_LOGIN
 * (1862, the server disconnects a client that cannot handle expired passwords) and
 * ER_MUST_CHANGE_PASSWORD (1820, sandbox mode).
 */
export const EXPIRED_PASSWORD_ERRNOS: readonly number[] = [1862, 1820];

/**
 * Tries credentials over TLS: true if they log in (also when the password is right but has
 * expired: the account's password is what was checked), false on access denied (1045), throws otherwise.
 */
export async function canLogin(secret: DatabaseSecret, label: string, redactor: Redactor, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<boolean> {
  let conn: mysql.Connection | undefined;
  try {
    conn = await connect(secret, label, redactor, connectTimeoutMs);
    return true;
  } catch (error) {
    if ((error as HandlerError).errno === 1045) return false;
    if (EXPIRED_PASSWORD_ERRNOS.includes((error as HandlerError).errno ?? 0)) return true;
    throw error;
  } finally {
    await closeQuietly(conn);
  }
}

/** Ends a connection, ignoring errors (the connection may already be broken). */
export async function closeQuietly(conn: mysql.Connection | undefined): Promise<void> {
  if (!conn) return;
  try {
    await conn.end();
  } catch {
    conn.destroy();
  }
}

/** Reads a database (master) secret and registers its password with the redactor. */
export async function readAdminSecret(client: SecretsManagerClient, arn: string, label: string, redactor: Redactor): Promise<DatabaseSecret> {
  try {
    const secret = await readDatabaseSecret(client, arn);
    redactor.add(secret.password);
    return secret;
  } catch (error) {
    throw wrapError(`${label}: cannot read secret ${arn}`, error, redactor);
  }
}

/**
 * Reads a secret's SecretString. Returns undefined when the secret has no current value yet
 * (ResourceNotFoundException on GetSecretValue). Other errors propagate, wrapped.
 */
export async function readSecretString(client: SecretsManagerClient, arn: string, label: string, redactor: Redactor): Promise<string | undefined> {
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    return out.SecretString;
  } catch (error) {
    if ((error as { name?: string })?.name === 'ResourceNotFoundException') return undefined;
    throw wrapError(`${label}: cannot read secret ${arn}`, error, redactor);
  }
}

/** 'name'@'host' as information_schema spells GRANTEE. */
export function granteeString(user: string, host: string = ACCOUNT_HOST): string {
  return `'${user.replace(/'/g, "''")}'@'${host.replace(/'/g, "''")}'`;
}

// ---- property parsing: messages name the property, the value and the fix -----------------------

export function requiredString(props: Readonly<Record<string, unknown>>, name: string): string {
  const value = props[name];
  if (typeof value !== 'string' || value.trim() === '') throw new HandlerError(`property '${name}' is required (got ${JSON.stringify(value)})`);
  return value.trim();
}

export function optionalString(props: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = props[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw new HandlerError(`property '${name}' must be a string (got ${JSON.stringify(value)})`);
  return String(value).trim();
}

/** CloudFormation passes numbers as strings; accepts both. */
export function integerProperty(props: Readonly<Record<string, unknown>>, name: string, defaultValue: number | undefined, min: number, max: number): number {
  const raw = props[name];
  if ((raw === undefined || raw === null || raw === '') && defaultValue !== undefined) return defaultValue;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HandlerError(`property '${name}' must be an integer between ${min} and ${max} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

export function userNameProperty(props: Readonly<Record<string, unknown>>, name: string, defaultValue?: string): string {
  const value = optionalString(props, name) ?? defaultValue;
  if (value === undefined) throw new HandlerError(`property '${name}' is required`);
  if (!USER_NAME.test(value)) {
    throw new HandlerError(`property '${name}' must be 1-32 characters of A-Z, a-z, 0-9 and _ (got ${JSON.stringify(value)})`);
  }
  return value;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A new password from Secrets Manager (GetRandomPassword: every included character class, no
 * space, none of `excludeCharacters`), registered with the redactor before anything can log it.
 */
export async function generatePassword(client: SecretsManagerClient, length: number, excludeCharacters: string, redactor: Redactor, label: string): Promise<string> {
  let password: string | undefined;
  try {
    const out = await client.send(new GetRandomPasswordCommand({ PasswordLength: length, ExcludeCharacters: excludeCharacters, IncludeSpace: false, RequireEachIncludedType: true }));
    password = out.RandomPassword;
  } catch (error) {
    throw wrapError(`${label}: GetRandomPassword failed`, error, redactor);
  }
  if (!password) throw new HandlerError(`${label}: GetRandomPassword returned no password`);
  redactor.add(password);
  return password;
}

type RequestHandler = (event: CustomResourceEvent, client: SecretsManagerClient, redactor: Redactor, log: Logger) => Promise<CustomResourceResponse>;

/**
 * The custom-resource entry point of a handler: a fresh redactor and logger per event, Create and
 * Update to `apply`, Delete to `remove`; every error leaves as a HandlerError whose message has
 * been redacted (no password can reach CloudFormation's events or the logs).
 */
export function customResourceHandler(
  name: string,
  steps: { readonly apply: RequestHandler; readonly remove: RequestHandler },
  secretsManager?: SecretsManagerClient,
): (event: CustomResourceEvent) => Promise<CustomResourceResponse> {
  return async (event) => {
    const redactor = new Redactor();
    const log = new Logger(name, redactor);
    const client = secretsManager ?? new SecretsManagerClient({});
    log.info(`${event.RequestType} ${event.LogicalResourceId ?? ''} ${event.PhysicalResourceId ?? ''}`.trim());
    try {
      if (event.RequestType === 'Delete') return await steps.remove(event, client, redactor, log);
      if (event.RequestType === 'Create' || event.RequestType === 'Update') return await steps.apply(event, client, redactor, log);
      throw new HandlerError(`unknown RequestType ${JSON.stringify((event as { RequestType?: unknown }).RequestType)}`);
    } catch (error) {
      const safe = error instanceof HandlerError ? error : new HandlerError(redactor.redact(describeError(error)));
      log.warn(`${event.RequestType} failed: ${safe.message}`);
      throw safe;
    }
  };
}
