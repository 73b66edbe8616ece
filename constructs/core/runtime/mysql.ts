/**
 * SQL helpers for handlers that manage accounts: every driver error becomes a HandlerError whose
 * text has been scrubbed of every secret the invocation has seen (the driver's own error carries
 * the statement with its values in `sql`, and a syntax error quotes the statement).
 */
import * as mysql from 'mysql2/promise';
import { connectTls, DatabaseSecret } from './database';
import { HandlerError, wrapError } from './errors';
import { done, notYet, pollUntil } from './poll';
import { Redactor } from './redaction';

/** Connection timeout for Create/Update, and the shorter one used on Delete. */
export const CONNECT_TIMEOUT_MS = 10_000;
export const DELETE_CONNECT_TIMEOUT_MS = 5_000;

/** The host part of every account the handlers manage (see docs/read-replica-handlers.md). */
export const ACCOUNT_HOST = '%';

/** MySQL's "access denied" (wrong user or password). */
export const ACCESS_DENIED = 1045;

/**
 * MySQL errors that mean "the password is right but has expired": ER_MUST_CHANGE_PASSWORD_LOGIN
 * (1862, the server disconnects a client that cannot handle expired passwords) and
 * ER_MUST_CHANGE_PASSWORD (1820, sandbox mode).
 */
export const EXPIRED_PASSWORD_ERRNOS: readonly number[] = [1862, 1820];

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
export async function connect(
  secret: DatabaseSecret,
  label: string,
  redactor: Redactor,
  connectTimeoutMs = CONNECT_TIMEOUT_MS,
): Promise<mysql.Connection> {
  redactor.add(secret.password);
  try {
    return await connectTls({ ...secret, dbname: undefined }, { connectTimeoutMs });
  } catch (error) {
    throw wrapError(`${label}: cannot connect to ${secret.host}:${secret.port} as '${secret.username}'`, error, redactor);
  }
}

/**
 * connect(), retried while the login is refused (access denied) for up to `timeoutMs`: after a
 * master password reset, the new password can take a moment to work on every node.
 */
export async function connectWhenAccepted(
  secret: DatabaseSecret,
  label: string,
  redactor: Redactor,
  timing: { readonly timeoutMs: number; readonly intervalMs: number; readonly connectTimeoutMs?: number },
): Promise<mysql.Connection> {
  return pollUntil(
    async () => {
      try {
        return done(await connect(secret, label, redactor, timing.connectTimeoutMs));
      } catch (error) {
        if ((error as HandlerError).errno !== ACCESS_DENIED) throw error;
        return notYet(error as HandlerError);
      }
    },
    { timeoutMs: timing.timeoutMs, intervalMs: timing.intervalMs, onTimeout: (last) => last },
  );
}

/**
 * Tries credentials over TLS: true if they log in (also when the password is right but has
 * expired: the account's password is what was checked), false on access denied (1045), throws otherwise.
 */
export async function canLogin(
  secret: DatabaseSecret,
  label: string,
  redactor: Redactor,
  connectTimeoutMs = CONNECT_TIMEOUT_MS,
): Promise<boolean> {
  let conn: mysql.Connection | undefined;
  try {
    conn = await connect(secret, label, redactor, connectTimeoutMs);
    return true;
  } catch (error) {
    if ((error as HandlerError).errno === ACCESS_DENIED) return false;
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

/** 'name'@'host' as information_schema spells GRANTEE. */
export function granteeString(user: string, host: string = ACCOUNT_HOST): string {
  return `'${user.replace(/'/g, "''")}'@'${host.replace(/'/g, "''")}'`;
}
