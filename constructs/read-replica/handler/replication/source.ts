/**
 * The source side (PROD Main): binary log retention and the replication user. Nothing else is
 * touched on the source.
 */
import * as mysql from 'mysql2/promise';
import { DatabaseSecret } from '../../../core/runtime/database';
import { describeError } from '../../../core/runtime/errors';
import { ACCOUNT_HOST, canLogin, closeQuietly, connect, granteeString, query } from '../../../core/runtime/mysql';
import { hashOf } from '../../../core/runtime/redaction';
import { readAdminSecret } from '../../../core/runtime/secrets';
import { call, str, Step } from './context';
import { ReplicationProperties } from './properties';

/** The one privilege the replica's I/O thread needs on the source. */
const REPLICATION_PRIVILEGE = 'REPLICATION SLAVE';
const BINLOG_RETENTION_SETTING = 'binlog retention hours';

/**
 * Binary logs kept for `hours`, so that a replica that paused (maintenance, network, a stopped
 * SQL thread) can resume by GTID auto-position instead of being re-seeded. Reads the current
 * value first: a re-run with the same value writes nothing.
 */
export async function ensureBinlogRetention(step: Step, conn: mysql.Connection, source: DatabaseSecret, hours: number): Promise<void> {
  const rows = await call(step, conn, 'rds_show_configuration', [], 'source');
  const row = rows.find((r) => str(r.name ?? r.NAME).toLowerCase() === BINLOG_RETENTION_SETTING);
  const current = row ? str(row.value ?? row.VALUE) : '';
  if (current === String(hours)) {
    step.log.info(`source ${source.host}: ${BINLOG_RETENTION_SETTING} already ${hours}`);
    return;
  }
  await call(step, conn, 'rds_set_configuration', [BINLOG_RETENTION_SETTING, hours], 'source');
  step.log.info(`source ${source.host}: ${BINLOG_RETENTION_SETTING} set to ${hours} (was ${current === '' ? 'NULL' : current})`);
}

/**
 * The replication user with exactly REPLICATION SLAVE, REQUIRE SSL and the current password.
 * Returns whether the user was created and whether its password changed.
 */
export async function ensureReplicationUser(
  step: Step,
  conn: mysql.Connection,
  source: DatabaseSecret,
  props: ReplicationProperties,
  password: string,
): Promise<{ created: boolean; passwordChanged: boolean }> {
  const { redactor, log } = step;
  const user = props.replicationUser;
  const account = `'${user}'@'${ACCOUNT_HOST}'`;
  const existing = await query(
    conn,
    'source: look up the replication user',
    'SELECT ssl_type FROM mysql.user WHERE User = ? AND Host = ?',
    [user, ACCOUNT_HOST],
    redactor,
  );
  if (existing.length === 0) {
    await query(
      conn,
      `source: CREATE USER ${account}`,
      'CREATE USER ?@? IDENTIFIED WITH mysql_native_password AS ? REQUIRE SSL',
      [user, ACCOUNT_HOST, hashOf(password, redactor)],
      redactor,
    );
    await query(
      conn,
      `source: GRANT ${REPLICATION_PRIVILEGE} to ${account}`,
      `GRANT ${REPLICATION_PRIVILEGE} ON *.* TO ?@?`,
      [user, ACCOUNT_HOST],
      redactor,
    );
    log.info(`source ${source.host}: created ${account} with ${REPLICATION_PRIVILEGE} ON *.* and REQUIRE SSL`);
    return { created: true, passwordChanged: true };
  }

  let passwordChanged = false;
  let sslRepaired = false;
  if (
    !(await canLogin(
      { host: source.host, port: source.port, username: user, password },
      'source: check the replication password',
      redactor,
      step.settings.connectTimeoutMs,
    ))
  ) {
    await query(
      conn,
      `source: ALTER USER ${account} (password)`,
      'ALTER USER ?@? IDENTIFIED WITH mysql_native_password AS ? REQUIRE SSL',
      [user, ACCOUNT_HOST, hashOf(password, redactor)],
      redactor,
    );
    log.info(`source ${source.host}: password of ${account} set to the value of the replication secret`);
    passwordChanged = true;
  } else if (str(existing[0].ssl_type).toUpperCase() !== 'ANY') {
    await query(conn, `source: ALTER USER ${account} REQUIRE SSL`, 'ALTER USER ?@? REQUIRE SSL', [user, ACCOUNT_HOST], redactor);
    log.info(`source ${source.host}: ${account} now REQUIRE SSL`);
    sslRepaired = true;
  }

  // Exactly one global privilege, nothing at schema, table or column level, no GRANT OPTION.
  const grantee = granteeString(user);
  const globalPrivs = await query(
    conn,
    'source: read global privileges',
    'SELECT PRIVILEGE_TYPE AS p, IS_GRANTABLE AS g FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?',
    [grantee],
    redactor,
  );
  const otherGrants = await query(
    conn,
    'source: read other privileges',
    [
      'SELECT COUNT(*) AS n FROM (',
      ' SELECT GRANTEE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?',
      ' UNION ALL SELECT GRANTEE FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ?',
      ' UNION ALL SELECT GRANTEE FROM information_schema.COLUMN_PRIVILEGES WHERE GRANTEE = ?) x',
    ].join(''),
    [grantee, grantee, grantee],
    redactor,
  );
  const names = globalPrivs.map((r) => str(r.p).toUpperCase()).filter((p) => p !== 'USAGE');
  const exact =
    names.length === 1 &&
    names[0] === REPLICATION_PRIVILEGE &&
    globalPrivs.every((r) => str(r.g).toUpperCase() !== 'YES') &&
    Number(otherGrants[0]?.n ?? 0) === 0;
  if (!exact) {
    await query(conn, `source: REVOKE ALL from ${account}`, 'REVOKE ALL PRIVILEGES, GRANT OPTION FROM ?@?', [user, ACCOUNT_HOST], redactor);
    await query(
      conn,
      `source: GRANT ${REPLICATION_PRIVILEGE} to ${account}`,
      `GRANT ${REPLICATION_PRIVILEGE} ON *.* TO ?@?`,
      [user, ACCOUNT_HOST],
      redactor,
    );
    log.info(
      `source ${source.host}: privileges of ${account} reset to ` +
        `${REPLICATION_PRIVILEGE} ON *.* (found: ` +
        `${names.join(', ') || 'none'}${Number(otherGrants[0]?.n ?? 0) > 0 ? ' plus schema/table/column grants' : ''})`,
    );
  }
  if (!passwordChanged && !sslRepaired && exact) log.info(`source ${source.host}: ${account} unchanged`);
  return { created: false, passwordChanged };
}

/** DROP USER IF EXISTS on the source. Never throws. */
export async function dropReplicationUser(step: Step, props: ReplicationProperties): Promise<void> {
  const { redactor, log } = step;
  let conn: mysql.Connection | undefined;
  try {
    const source = await readAdminSecret(step.client, props.sourceSecretArn, 'source', redactor);
    conn = await connect(source, 'source', redactor, step.settings.deleteConnectTimeoutMs);
    await query(conn, 'source: DROP USER', 'DROP USER IF EXISTS ?@?', [props.replicationUser, ACCOUNT_HOST], redactor);
    log.info(`source ${source.host}: dropped '${props.replicationUser}'@'${ACCOUNT_HOST}' (if it existed)`);
  } catch (error) {
    log.warn(`source: could not drop the replication user (ignored so that the stack does not get stuck): ${describeError(error)}`);
  } finally {
    await closeQuietly(conn);
  }
}
