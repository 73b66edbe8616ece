/**
 * Locking the accounts a copied database inherited from its source (the application account of a
 * VAL copy, the PII scrub of its staging copy): every non-system account but the ones kept gets
 * `ALTER USER ... ACCOUNT LOCK`, so that no credential of the source works on the copy.
 */
import type * as mysql from 'mysql2/promise';

/** Accounts that belong to Aurora/MySQL/MariaDB itself (never touched). */
export function isSystemAccount(user: string): boolean {
  return /^(rdsadmin|rdsrepladmin|rdsproxyadmin|rds_.*|AWS_.*|mysql\..*|mariadb\.sys|root|PUBLIC)$/i.test(user);
}

/** MariaDB marks roles with is_role; MySQL 8 roles are locked accounts without a password already. */
export async function isRole(conn: mysql.Connection, user: string, host: string): Promise<boolean> {
  try {
    const [rows] = await conn.query('SELECT is_role FROM mysql.user WHERE User = ? AND Host = ?', [user, host]);
    return (rows as Array<{ is_role: string }>)[0]?.is_role === 'Y';
  } catch {
    return false;
  }
}

/**
 * Locks every account but system accounts, roles, the anonymous user and those `keep` accepts.
 * Idempotent (locking a locked account changes nothing). Returns `user@host` of each account locked.
 */
export async function lockOtherAccounts(conn: mysql.Connection, keep: (user: string, host: string) => boolean): Promise<string[]> {
  const [rows] = await conn.query('SELECT User AS user, Host AS host FROM mysql.user');
  const locked: string[] = [];
  for (const row of rows as Array<{ user: string; host: string }>) {
    if (row.user === '' || isSystemAccount(row.user) || keep(row.user, row.host)) continue;
    if (await isRole(conn, row.user, row.host)) continue;
    await conn.query(`ALTER USER ${conn.escape(row.user)}@${conn.escape(row.host)} ACCOUNT LOCK`);
    locked.push(`${row.user}@${row.host}`);
  }
  return locked;
}
