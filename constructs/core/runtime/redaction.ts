/**
 * Keeping passwords out of everything a custom-resource handler writes: its logs, its errors
 * (which CloudFormation shows as the resource's status reason), and the statement text of the
 * database's audit log. Shared by every handler (bundled with esbuild: static imports only).
 */
import { createHash } from 'crypto';
import * as mysql from 'mysql2/promise';

/**
 * Remembers every secret value read or generated during one invocation and removes them from any
 * text before it is logged or thrown. Also removes the SQL-escaped and JSON-escaped forms, which
 * is how a password would appear inside a server's "near '...'" syntax-error text.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    if (!secret) return;
    for (const form of [secret, mysql.escape(secret).slice(1, -1), JSON.stringify(secret).slice(1, -1)]) {
      if (form.length > 0) this.secrets.add(form);
    }
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so that a secret containing another one is removed whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('*****');
    return out;
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

