/**
 * Custom resource: the application's own database account.
 *
 * Create/Update: connects as the master user (TLS, RDS CA), creates the application schema if
 * missing, creates or updates the account `<username>`@'%' with the password of the account
 * secret and `REQUIRE SSL`, grants it every privilege on the application schema only (no global
 * privilege, no GRANT OPTION). With LockOtherAccounts=true (VAL, restored from another
 * environment's data) every other non-system account is locked, so that no credential of the
 * source database works on the copy; the application user's multi-user rotation twin
 * (`<user>_clone`, or `<user>` when the secret currently names the twin) gets the same, current
 * application password, so neither keeps the source's and rotation keeps alternating.
 * With ResetMasterPassword=true (a cluster restored point-in-time from another cluster, which
 * keeps the source's master password), the master password is first set to the value of this
 * cluster's own master secret through the RDS API, so the source's master credentials stop
 * working on the copy.
 * Delete: nothing. The database keeps its accounts (a retained PROD database must keep working);
 * a deleted database takes them with it.
 *
 * Never logs, returns or throws a password: every error is passed through a redactor that knows
 * the master and application passwords (and their hashes), and the DCL statements (audited:
 * server_audit_events includes QUERY_DCL) carry the mysql_native_password hash of the password,
 * never the password (constructs/core/runtime/redaction.ts).
 */
import { DescribeDBClustersCommand, ModifyDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type * as mysql from 'mysql2/promise';
import { connectTls, quoteIdentifier, readDatabaseSecret } from '../../core/runtime/database';
import { nativePasswordHash, Redactor } from '../../core/runtime/redaction';

export interface AccountProperties {
  readonly MasterSecretArn: string;
  readonly AccountSecretArn: string;
  readonly DatabaseName: string;
  readonly LockOtherAccounts?: string;
  /** 'true' to set the master password from MasterSecretArn first (restored copies). */
  readonly ResetMasterPassword?: string;
  /** Cluster identifier, required with ResetMasterPassword. */
  readonly ClusterIdentifier?: string;
}

interface Event {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceProperties: AccountProperties & { ServiceToken?: string };
  readonly PhysicalResourceId?: string;
}

/** Accounts that belong to Aurora/MySQL itself (never touched). */
export function isSystemAccount(user: string): boolean {
  return /^(rdsadmin|rdsrepladmin|rdsproxyadmin|rds_.*|AWS_.*|mysql\..*|mariadb\.sys|root|PUBLIC)$/i.test(user);
}

const secrets = new SecretsManagerClient({});
const rds = new RDSClient({});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Timing of the master password reset; shortened by tests. */
export const resetTiming = { pollMs: 10_000, timeoutMs: 10 * 60_000 };

/**
 * Sets the master password of a restored cluster to its own secret and waits until the change
 * is applied (status available, no pending password).
 */
export async function resetMasterPassword(clusterIdentifier: string, password: string): Promise<void> {
  await rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: clusterIdentifier, MasterUserPassword: password, ApplyImmediately: true }));
  const deadline = Date.now() + resetTiming.timeoutMs;
  for (;;) {
    const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterIdentifier }));
    const cluster = out.DBClusters?.[0];
    const pending = (cluster?.PendingModifiedValues as { MasterUserPassword?: string } | undefined)?.MasterUserPassword;
    if (cluster?.Status === 'available' && !pending) return;
    if (Date.now() > deadline) throw new Error(`master password of ${clusterIdentifier} was not applied within ${resetTiming.timeoutMs / 60000} minutes (status ${cluster?.Status})`);
    await sleep(resetTiming.pollMs);
  }
}

async function connectWithRetry(secret: Parameters<typeof connectTls>[0], attempts: number): Promise<mysql.Connection> {
  for (let i = 1; ; i++) {
    try {
      return await connectTls(secret);
    } catch (e) {
      if (i >= attempts) throw new Error(`cannot connect to ${secret.host} as ${secret.username}: ${(e as Error).message}`);
      await sleep(resetTiming.pollMs);
    }
  }
}

function log(message: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ message, ...fields }));
}

async function accountExists(conn: mysql.Connection, user: string, host: string): Promise<boolean> {
  const [rows] = await conn.query('SELECT COUNT(*) AS n FROM mysql.user WHERE User = ? AND Host = ?', [user, host]);
  return Number((rows as Array<{ n: number }>)[0].n) > 0;
}

/**
 * The multi-user rotation twin of an application user: Secrets Manager's MySQL multi-user
 * rotation alternates between `<name>` and `<name>_clone`, so the secret's current user may be
 * either; the twin is the other one.
 */
export function rotationTwin(username: string): string {
  return username.endsWith('_clone') ? username.slice(0, -'_clone'.length) : `${username}_clone`;
}

async function setAccount(conn: mysql.Connection, username: string, password: string, database: string, unlock: boolean): Promise<void> {
  const user = `${conn.escape(username)}@'%'`;
  // ACCOUNT UNLOCK: a copy arrives with every source account locked (the VAL staging copy locks them).
  const lock = unlock ? ' ACCOUNT UNLOCK' : '';
  // The hash, not the password, goes into the (audited) statement text.
  const identified = `IDENTIFIED WITH mysql_native_password AS ${conn.escape(nativePasswordHash(password))}`;
  if (await accountExists(conn, username, '%')) {
    await conn.query(`ALTER USER ${user} ${identified} REQUIRE SSL${lock}`);
  } else {
    await conn.query(`CREATE USER ${user} ${identified} REQUIRE SSL`);
  }
  await conn.query(`GRANT ALL PRIVILEGES ON ${quoteIdentifier(database)}.* TO ${user}`);
}

export async function applyAccount(conn: mysql.Connection, options: { username: string; password: string; database: string; masterUsername: string; lockOthers: boolean }): Promise<{ locked: string[]; twin?: string }> {
  await conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(options.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await setAccount(conn, options.username, options.password, options.database, options.lockOthers);

  const locked: string[] = [];
  let twin: string | undefined;
  if (options.lockOthers) {
    // A copy of another environment (VAL): the rotation twin would keep the source's password
    // (or, locked, break the next rotation), so it gets this environment's current application
    // password too, whichever of the two the secret currently names. No source password survives.
    twin = rotationTwin(options.username);
    if (await accountExists(conn, twin, '%')) await setAccount(conn, twin, options.password, options.database, true);
    else twin = undefined;
    const [rows] = await conn.query('SELECT User AS user, Host AS host FROM mysql.user');
    for (const row of rows as Array<{ user: string; host: string }>) {
      const keep = [options.username, rotationTwin(options.username), options.masterUsername];
      if ((keep.includes(row.user) && row.host === '%') || row.user === options.masterUsername || isSystemAccount(row.user) || row.user === '') continue;
      if (await isRole(conn, row.user, row.host)) continue;
      await conn.query(`ALTER USER ${conn.escape(row.user)}@${conn.escape(row.host)} ACCOUNT LOCK`);
      locked.push(`${row.user}@${row.host}`);
    }
  }
  return { locked, ...(twin ? { twin } : {}) };
}

async function isRole(conn: mysql.Connection, user: string, host: string): Promise<boolean> {
  // MariaDB marks roles with is_role; MySQL 8 roles are accounts without a password that are
  // locked already, so locking them again is harmless.
  try {
    const [rows] = await conn.query('SELECT is_role FROM mysql.user WHERE User = ? AND Host = ?', [user, host]);
    return (rows as Array<{ is_role: string }>)[0]?.is_role === 'Y';
  } catch {
    return false;
  }
}

export async function handler(event: Event): Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }> {
  const redactor = new Redactor();
  try {
    return await handle(event, redactor);
  } catch (error) {
    // The driver's and the RDS API's messages can quote statement text or parameters.
    throw new Error(redactor.redact(error instanceof Error ? error.message : String(error)));
  }
}

async function handle(event: Event, redactor: Redactor): Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }> {
  const props = event.ResourceProperties;
  const physicalId = event.PhysicalResourceId ?? `clinspark-account-${props.DatabaseName}`;
  if (event.RequestType === 'Delete') {
    log('delete: accounts are kept with the database', { database: props.DatabaseName });
    return { PhysicalResourceId: physicalId };
  }
  const master = await readDatabaseSecret(secrets, props.MasterSecretArn);
  for (const form of [master.password, nativePasswordHash(master.password)]) redactor.add(form);
  const account = await readDatabaseSecret(secrets, props.AccountSecretArn).catch(async () => {
    throw new Error(`account secret ${props.AccountSecretArn} is not a database secret with username and password`);
  });
  for (const form of [account.password, nativePasswordHash(account.password)]) redactor.add(form);
  const restored = props.ResetMasterPassword === 'true';
  if (restored) {
    if (!props.ClusterIdentifier) throw new Error('ResetMasterPassword needs ClusterIdentifier');
    await resetMasterPassword(props.ClusterIdentifier, master.password);
    log('master password reset to this cluster\'s own secret', { cluster: props.ClusterIdentifier });
  }
  // A freshly applied password can take a moment to reach every node.
  const conn = await connectWithRetry({ ...master, dbname: undefined }, restored ? 6 : 1);
  try {
    const result = await applyAccount(conn, {
      username: account.username,
      password: account.password,
      database: props.DatabaseName,
      masterUsername: master.username,
      lockOthers: props.LockOtherAccounts === 'true',
    });
    log('application account ready', { user: account.username, database: props.DatabaseName, lockedAccounts: result.locked });
    return { PhysicalResourceId: physicalId, Data: { Username: account.username, LockedAccounts: result.locked.join(',') } };
  } finally {
    await conn.end();
  }
}
