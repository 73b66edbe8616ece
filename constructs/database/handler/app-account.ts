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
 * working on the copy, and the application user's rotation twin (if the copy has one) gets the
 * current application password (PROD Main restored from Pre-PROD at go-live: no Pre-PROD
 * application password survives; its other accounts are not locked, since a later update would
 * lock PROD's own, e.g. a read replica's replication user).
 * Delete: nothing. The database keeps its accounts (a retained PROD database must keep working);
 * a deleted database takes them with it.
 *
 * Never logs, returns or throws a password: the shared runtime (constructs/core/runtime) gives
 * every invocation a redactor that knows the master and application passwords (and their hashes)
 * and passes every log line and error through it, and the DCL statements (audited:
 * server_audit_events includes QUERY_DCL) carry the mysql_native_password hash of the password,
 * never the password (constructs/core/runtime/redaction.ts). Logs are JSON lines.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type * as mysql from 'mysql2/promise';
import { lockOtherAccounts } from '../../core/runtime/accounts';
import { CustomResourceEvent, CustomResourceResponse, customResourceHandler, Invocation } from '../../core/runtime/custom-resource';
import { quoteIdentifier } from '../../core/runtime/database';
import { ACCOUNT_HOST, closeQuietly, connect, connectWhenAccepted } from '../../core/runtime/mysql';
import { flag, matching, parseProperties, requiredText } from '../../core/runtime/properties';
import { MASTER_RESET_TIMING, resetMasterPassword as resetClusterMasterPassword } from '../../core/runtime/rds';
import { nativePasswordHash } from '../../core/runtime/redaction';
import { readAdminSecret } from '../../core/runtime/secrets';

export { isSystemAccount } from '../../core/runtime/accounts';

/** The ResourceProperties contract (CloudFormation strings). */
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

const propertiesSchema = z
  .object({
    MasterSecretArn: requiredText({ fix: "give the ARN of the cluster's master secret" }),
    AccountSecretArn: requiredText({ fix: "give the ARN of the application account's secret" }),
    DatabaseName: requiredText({ fix: 'give the application schema name' }),
    LockOtherAccounts: flag(),
    ResetMasterPassword: flag(),
    ClusterIdentifier: matching(/^[a-z][a-z0-9-]{0,62}$/, 'an Aurora cluster identifier (lowercase letters, digits and hyphens)', {
      optional: true,
    }),
  })
  .superRefine((p, ctx) => {
    if (p.ResetMasterPassword && !p.ClusterIdentifier) {
      ctx.addIssue({
        code: 'custom',
        path: ['ClusterIdentifier'],
        message:
          "is required with ResetMasterPassword=true: ResetMasterPassword needs ClusterIdentifier (the restored cluster's identifier)",
      });
    }
  });

export type ParsedAccountProperties = z.output<typeof propertiesSchema>;

export function parseAccountProperties(props: Readonly<Record<string, unknown>>): ParsedAccountProperties {
  return parseProperties(propertiesSchema, props);
}

const secrets = new SecretsManagerClient({});
const rds = new RDSClient({});

/** Timing of the master password reset (and of the connection retry after it); shortened by tests. */
export const resetTiming = { ...MASTER_RESET_TIMING };

const SOURCE = 'clinspark-app-account';

/**
 * Sets the master password of a restored cluster to its own secret and waits until the change
 * is applied (status available, no pending password). The shared loop of core/runtime/rds.ts.
 */
export async function resetMasterPassword(clusterIdentifier: string, password: string, invocation: Invocation): Promise<void> {
  await resetClusterMasterPassword(rds, clusterIdentifier, password, resetTiming, invocation, 'cluster');
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
  const user = `${conn.escape(username)}@'${ACCOUNT_HOST}'`;
  // ACCOUNT UNLOCK: a copy arrives with every source account locked (the VAL staging copy locks them).
  const lock = unlock ? ' ACCOUNT UNLOCK' : '';
  // The hash, not the password, goes into the (audited) statement text.
  const identified = `IDENTIFIED WITH mysql_native_password AS ${conn.escape(nativePasswordHash(password))}`;
  if (await accountExists(conn, username, ACCOUNT_HOST)) {
    await conn.query(`ALTER USER ${user} ${identified} REQUIRE SSL${lock}`);
  } else {
    await conn.query(`CREATE USER ${user} ${identified} REQUIRE SSL`);
  }
  await conn.query(`GRANT ALL PRIVILEGES ON ${quoteIdentifier(database)}.* TO ${user}`);
}

export async function applyAccount(
  conn: mysql.Connection,
  options: {
    username: string;
    password: string;
    database: string;
    masterUsername: string;
    lockOthers: boolean;
    /** Give the rotation twin this password too (a restored copy: it would keep the source's). @default lockOthers */
    resetTwin?: boolean;
  },
): Promise<{ locked: string[]; twin?: string }> {
  await conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(options.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await setAccount(conn, options.username, options.password, options.database, options.lockOthers);

  let locked: string[] = [];
  let twin: string | undefined;
  if (options.lockOthers || options.resetTwin) {
    // A copy of another environment (VAL, PROD Main at go-live): the rotation twin would keep the
    // source's password (or, locked, break the next rotation), so it gets this environment's
    // current application password too, whichever of the two the secret currently names.
    twin = rotationTwin(options.username);
    if (await accountExists(conn, twin, ACCOUNT_HOST)) await setAccount(conn, twin, options.password, options.database, true);
    else twin = undefined;
  }
  if (options.lockOthers) {
    // No other source account works on the copy.
    const kept = [options.username, rotationTwin(options.username), options.masterUsername];
    locked = await lockOtherAccounts(
      conn,
      (user, host) => (kept.includes(user) && host === ACCOUNT_HOST) || user === options.masterUsername,
    );
  }
  return { locked, ...(twin ? { twin } : {}) };
}

async function apply(event: CustomResourceEvent, invocation: Invocation): Promise<CustomResourceResponse> {
  const { redactor, log } = invocation;
  const props = parseAccountProperties(event.ResourceProperties);
  const physicalId = event.PhysicalResourceId ?? `clinspark-account-${props.DatabaseName}`;
  const master = await readAdminSecret(secrets, props.MasterSecretArn, 'master', redactor);
  // Errors name the secret and what it lacks (a database secret: host, username, password).
  const account = await readAdminSecret(secrets, props.AccountSecretArn, 'account secret', redactor);
  if (props.ResetMasterPassword) {
    await resetMasterPassword(props.ClusterIdentifier as string, master.password, invocation);
    log.info('master-password-reset', { cluster: props.ClusterIdentifier, note: "master password reset to this cluster's own secret" });
  }
  // A freshly applied password can take a moment to reach every node.
  const conn = props.ResetMasterPassword
    ? await connectWhenAccepted(master, 'master', redactor, { timeoutMs: resetTiming.timeoutMs, intervalMs: resetTiming.pollMs })
    : await connect(master, 'master', redactor);
  try {
    const result = await applyAccount(conn, {
      username: account.username,
      password: account.password,
      database: props.DatabaseName,
      masterUsername: master.username,
      lockOthers: props.LockOtherAccounts,
      resetTwin: props.ResetMasterPassword,
    });
    log.info('account-ready', {
      user: account.username,
      database: props.DatabaseName,
      lockedAccounts: result.locked,
      ...(result.twin ? { rotationTwin: result.twin } : {}),
    });
    return { PhysicalResourceId: physicalId, Data: { Username: account.username, LockedAccounts: result.locked.join(',') } };
  } finally {
    await closeQuietly(conn);
  }
}

/** Delete: nothing (the accounts live and die with the database). Needs no secret and no property. */
function remove(event: CustomResourceEvent, { log }: Invocation): Promise<CustomResourceResponse> {
  const database = typeof event.ResourceProperties.DatabaseName === 'string' ? event.ResourceProperties.DatabaseName : undefined;
  log.info('delete-kept', { database, note: 'accounts are kept with the database' });
  return Promise.resolve({ PhysicalResourceId: event.PhysicalResourceId ?? `clinspark-account-${database ?? 'unknown'}` });
}

/** The Lambda entry point (Provider framework onEvent). */
export const handler: (event: CustomResourceEvent) => Promise<CustomResourceResponse> = customResourceHandler(
  SOURCE,
  { create: apply, update: apply, delete: remove },
  { format: 'json' },
);
