/**
 * Keeping passwords out of everything a custom-resource handler writes: its logs, its errors
 * (which CloudFormation shows as the resource's status reason), and the statement text of the
 * database's audit log. Shared by every handler (bundled with esbuild: static imports only; no
 * driver import, so that handlers without a database connection do not bundle mysql2).
 */
import { createHash } from 'crypto';

/** The characters MySQL's string escaping (sqlstring `escapeString`, used by mysql2) replaces. */
// eslint-disable-next-line no-control-regex -- NUL and Ctrl-Z are exactly what MySQL's escaping replaces
const SQL_SPECIAL = /[\0\b\t\n\r\x1a"'\\]/g;
const SQL_ESCAPES: Readonly<Record<string, string>> = {
  '\0': '\\0',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\x1a': '\\Z',
  '"': '\\"',
  "'": "\\'",
  '\\': '\\\\',
};

/** A string as mysql2 escapes it inside quotes (`mysql.escape(s)` without the quotes). */
export function sqlEscaped(text: string): string {
  return text.replace(SQL_SPECIAL, (c) => SQL_ESCAPES[c]);
}

/** What every removed secret is replaced with. */
export const REDACTED = '*****';

/**
 * Remembers every secret value read or generated during one invocation and removes them from any
 * text before it is logged or thrown. Also removes the SQL-escaped and JSON-escaped forms, which
 * is how a password would appear inside a server's "near '...'" syntax-error text.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    if (!secret) return;
    for (const form of [secret, sqlEscaped(secret), JSON.stringify(secret).slice(1, -1)]) {
      if (form.length > 0) this.secrets.add(form);
    }
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so that a secret containing another one is removed whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join(REDACTED);
    return out;
  }

  /** Every string (keys too) of a JSON-like value, redacted; for structured log lines. */
  redactValue(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v));
    if (value instanceof Error) return this.redact(value.message);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [this.redact(k), this.redactValue(v)]));
    }
    return value;
  }
}

/**
 * The mysql_native_password authentication string of a password: `*` and the upper-case hex of
 * SHA1(SHA1(password)), which is what the server stores in mysql.user.
 *
 * Why the handlers send this instead of the password (docs/read-replica-handlers.md, "Passwords
 * in audited statements"): statements run by the master user (`CREATE USER` / `ALTER USER` of
 * the replication user and of RO_USER) are DCL, which the audit log records
 * (server_audit_events includes QUERY_DCL). The Aurora parameter table documents
 * `aurora_mask_password_hashes_type` (default 1: "passwords are logged as <secret>"), but not in
 * so many words that a clear-text `IDENTIFIED BY '...'` of Aurora MySQL version 3 is masked in
 * the audit log (MySQL's own password rewriting covers the general, slow and binary logs, not
 * audit plugins). With `IDENTIFIED WITH mysql_native_password AS '<hash>'` the statement text
 * carries at most the hash of a 32-48 character random password, which cannot be reversed and
 * is not enough to log in (the native protocol needs SHA1(password), not the stored hash).
 * Syntax: MySQL 8.0 CREATE USER / ALTER USER `IDENTIFIED WITH auth_plugin AS 'auth_string'`;
 * MariaDB accepts the same clause.
 */
export function nativePasswordHash(password: string): string {
  const stage1 = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(stage1).digest('hex').toUpperCase()}`;
}

/** nativePasswordHash, with the hash registered with the redactor (it is not logged either). */
export function hashOf(password: string, redactor: Redactor): string {
  const hash = nativePasswordHash(password);
  redactor.add(hash);
  return hash;
}

/** Registers a password and its native hash (a handler that reads a password it may send as a hash). */
export function addPassword(redactor: Redactor, password: string | undefined): void {
  if (!password) return;
  redactor.add(password);
  redactor.add(nativePasswordHash(password));
}
