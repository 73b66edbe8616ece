/**
 * The replica side: logging in (resetting a cloned replica's master password first), locking
 * the accounts it inherited from the source, (re)configuring and detaching replication.
 */
import * as mysql from 'mysql2/promise';
import { DatabaseSecret } from '../../../core/runtime/database';
import { describeError, HandlerError } from '../../../core/runtime/errors';
import { ACCESS_DENIED, closeQuietly, connect, connectWhenAccepted, query } from '../../../core/runtime/mysql';
import { resetMasterPassword } from '../../../core/runtime/rds';
import { readAdminSecret } from '../../../core/runtime/secrets';
import { call, str, Step } from './context';
import { isReservedAccount, ReplicationProperties, SourceEndpoint } from './properties';
import { readStatus, ReplicaStatus } from './status';

/**
 * Connects to the replica as its master user. When that is refused (access denied) and the
 * properties name the replica cluster, its master password is reset to the secret's value
 * through the RDS API (a clone restored from the source keeps the source's master password) and
 * the connection retried until the new password works (it can take a moment on every node).
 */
export async function connectReplica(step: Step, replica: DatabaseSecret, props: ReplicationProperties): Promise<mysql.Connection> {
  const { redactor, log, settings } = step;
  try {
    return await connect(replica, 'replica', redactor, settings.connectTimeoutMs);
  } catch (error) {
    if ((error as HandlerError).errno !== ACCESS_DENIED || !props.replicaClusterIdentifier) throw error;
    log.info(
      `replica ${replica.host}: the master secret is refused (access denied): a restored clone still has the source's master password`,
    );
  }
  await resetMasterPassword(settings.rds(), props.replicaClusterIdentifier, replica.password, settings.masterReset, step, 'replica');
  return connectWhenAccepted(replica, 'replica', redactor, {
    timeoutMs: settings.masterReset.timeoutMs,
    intervalMs: settings.masterReset.pollMs,
    connectTimeoutMs: settings.connectTimeoutMs,
  });
}

/**
 * After the clone: every account the clone inherited from the source (PROD's application
 * account, PROD's master user name aside, operators' accounts: all with PROD's passwords as of
 * clone time, frozen there by `replicate-wild-ignore-table = mysql.%`) gets
 * `ALTER USER ... ACCOUNT LOCK`. Kept: the replica's own master user (its password is the
 * replica's secret), the read-only account, Aurora's reserved accounts and already locked ones
 * (roles are locked accounts). The replication user of the source, if the clone has a copy,
 * is locked too: the replica's I/O thread logs in to the source, never to the replica.
 * Reads SHOW CREATE USER (ACCOUNT LOCK is in its text on MySQL 8.0 and MariaDB alike).
 * Returns the accounts it locked. Any failure fails the request: an inherited account that
 * still logs in is what this step exists to prevent.
 */
export async function lockInheritedAccounts(
  step: Step,
  conn: mysql.Connection,
  replica: DatabaseSecret,
  props: ReplicationProperties,
): Promise<string[]> {
  const { redactor, log } = step;
  const rows = await query(
    conn,
    'replica: list accounts',
    'SELECT * FROM mysql.user WHERE User LIKE ?',
    [step.settings.lockableAccounts],
    redactor,
  );
  const keep = new Set([replica.username, props.readOnlyUser]);
  const locked: string[] = [];
  const failed: string[] = [];
  for (const row of rows) {
    const user = str(row.User ?? row.user);
    const host = str(row.Host ?? row.host);
    const account = `'${user}'@'${host}'`;
    // MariaDB lists its roles in mysql.user (is_role = 'Y', host ''); MySQL's roles are locked accounts.
    if (keep.has(user) || isReservedAccount(user) || str(row.is_role).toUpperCase() === 'Y') continue;
    try {
      const shown = await query(conn, `replica: SHOW CREATE USER ${account}`, 'SHOW CREATE USER ?@?', [user, host], redactor);
      const text = shown.length > 0 ? str(Object.values(shown[0])[0]) : '';
      if (/\bACCOUNT LOCK\b/i.test(text)) continue;
      await query(conn, `replica: ALTER USER ${account} ACCOUNT LOCK`, 'ALTER USER ?@? ACCOUNT LOCK', [user, host], redactor);
      locked.push(account);
    } catch (error) {
      failed.push(`${account}: ${describeError(error)}`);
    }
  }
  if (locked.length > 0) log.info(`replica ${replica.host}: locked ${locked.length} inherited account(s): ${locked.join(', ')}`);
  else log.info(`replica ${replica.host}: no unlocked inherited account`);
  if (failed.length > 0) {
    throw new HandlerError(
      redactor.redact(
        `replica ${replica.host}: cannot lock inherited account(s) (they would still log ` +
          `in with the source's passwords): ${failed.join('; ')}`,
      ),
    );
  }
  return locked;
}

/** Stops replication, ignoring a failure (it may not run). */
async function stopQuietly(step: Step, conn: mysql.Connection): Promise<void> {
  try {
    await call(step, conn, 'rds_stop_replication', []);
  } catch (error) {
    step.log.warn(`replica: rds_stop_replication failed (continuing): ${describeError(error)}`);
  }
}

/**
 * (Re)configures replication with the Aurora MySQL 3 procedures: stop and reset (when a
 * configuration exists), set the external source with GTID auto-position, TLS, start.
 */
export async function configureReplica(
  step: Step,
  conn: mysql.Connection,
  existing: ReplicaStatus | undefined,
  props: SourceEndpoint,
  password: string,
): Promise<void> {
  if (existing) {
    await stopQuietly(step, conn);
    await call(step, conn, 'rds_reset_external_source', []);
  }
  // ssl_encryption = 0: not implemented by this procedure on Aurora MySQL 3; TLS comes next.
  await call(step, conn, 'rds_set_external_source_with_auto_position', [
    props.sourceHost,
    props.sourcePort,
    props.replicationUser,
    password,
    0,
  ]);
  try {
    await call(step, conn, 'rds_set_binlog_source_ssl', [1]);
  } catch (error) {
    if ((error as HandlerError).errno === 1305) {
      throw new HandlerError(
        `replica: mysql.rds_set_binlog_source_ssl does not exist; TLS for binlog ` +
          `replication needs Aurora MySQL 3.06 or higher (${describeError(error)})`,
      );
    }
    throw error;
  }
  await call(step, conn, 'rds_start_replication', []);
  step.log.info(
    `replica: replication configured from ${props.sourceHost}:${props.sourcePort} as ` +
      `'${props.replicationUser}' (GTID auto-position, TLS) and started`,
  );
}

/** Stops and resets the replica, but only if it still replicates from props.sourceHost:sourcePort. Never throws. */
export async function detachReplica(step: Step, props: ReplicationProperties): Promise<void> {
  const { redactor, log } = step;
  let conn: mysql.Connection | undefined;
  try {
    const replica = await readAdminSecret(step.client, props.replicaSecretArn, 'replica', redactor);
    conn = await connect(replica, 'replica', redactor, step.settings.deleteConnectTimeoutMs);
    const status = await readStatus(step, conn);
    if (!status) {
      log.info(`replica ${replica.host}: no replication configured; nothing to stop`);
      return;
    }
    if (status.sourceHost !== props.sourceHost || status.sourcePort !== props.sourcePort) {
      log.warn(
        `replica ${replica.host}: replicates from ` +
          `${status.sourceHost}:${status.sourcePort}, not from ` +
          `${props.sourceHost}:${props.sourcePort}; left unchanged`,
      );
      return;
    }
    await stopQuietly(step, conn);
    await call(step, conn, 'rds_reset_external_source', []);
    log.info(`replica ${replica.host}: replication from ${props.sourceHost}:${props.sourcePort} stopped and reset`);
  } catch (error) {
    log.warn(`replica: could not stop/reset replication (ignored so that the stack does not get stuck): ${describeError(error)}`);
  } finally {
    await closeQuietly(conn);
  }
}
