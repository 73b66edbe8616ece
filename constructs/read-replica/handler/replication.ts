/**
 * Custom resource: binary-log replication (GTID auto-position) from PROD Main's cluster (the
 * "source") into the customer's read-replica cluster (the "replica"), for the aws-cdk-lib
 * custom-resources Provider framework (`onEvent` only).
 *
 * Create/Update
 *   source:  the replication user exists with exactly `REPLICATION SLAVE ON *.*`, `REQUIRE SSL`
 *            and the password held in ReplicationSecretArn (created, or repaired with ALTER USER /
 *            REVOKE / GRANT only where it differs). Nothing else is touched on the source.
 *   replica: (re)configured with the Aurora MySQL 3 stored procedures
 *              mysql.rds_stop_replication              (only if a configuration exists)
 *              mysql.rds_reset_external_source         (only if a configuration exists)
 *              mysql.rds_set_external_source_with_auto_position(host, port, user, password, 0)
 *              mysql.rds_set_binlog_source_ssl(1)      (TLS for the replication connection)
 *              mysql.rds_start_replication
 *            then SHOW REPLICA STATUS is polled until Replica_IO_Running = Replica_SQL_Running =
 *            Yes and Source_SSL_Allowed = Yes (bounded wait; the error carries Last_IO_Error and
 *            Last_SQL_Error). On Create the replica is left alone when it already replicates from
 *            this source with this user over TLS and the password did not change (idempotent);
 *            every Update reconfigures it (an Update means a property changed, and GTID
 *            auto-position makes a reset safe: the replica resumes from its gtid_executed).
 * Delete
 *   replica: stop + reset, only when it still replicates from this resource's SourceHost:SourcePort;
 *   source:  DROP USER IF EXISTS. Every failure is logged and the delete succeeds.
 *
 * Aurora MySQL 3 notes (AWS docs, "Configuring, starting, and stopping binary log (binlog)
 * replication", mysql-stored-proc-replicating.html): rds_set_external_source_with_auto_position
 * takes five parameters (no delay: Aurora does not support delayed replication) and its
 * ssl_encryption parameter "isn't currently implemented"; TLS is switched on with
 * rds_set_binlog_source_ssl(1), which needs Aurora MySQL 3.06 or higher. The replication user's
 * REQUIRE SSL makes the source refuse any unencrypted replication connection regardless.
 *
 * Never logs, returns or throws a password.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as mysql from 'mysql2/promise';
import { DatabaseSecret, quoteIdentifier } from '../../core/runtime/database';
import {
  ACCOUNT_HOST, closeQuietly, connect, CustomResourceEvent, CustomResourceResponse, DELETE_CONNECT_TIMEOUT_MS, describeError,
  granteeString, HandlerError, integerProperty, Logger, query, readAdminSecret, readSecretString, Redactor, requiredString, sleep,
  userNameProperty,
} from './common';

/** MySQL limits the password given to CHANGE REPLICATION SOURCE TO (SOURCE_PASSWORD) to 32 characters. */
export const MAX_REPLICATION_PASSWORD_LENGTH = 32;

/** The one privilege the replica's I/O thread needs on the source. */
const REPLICATION_PRIVILEGE = 'REPLICATION SLAVE';

/** Internal knobs. Production uses the defaults; tests point the procedures at MariaDB stand-ins. */
export interface ReplicationHandlerOptions {
  /**
   * Schema that holds the rds_* stored procedures. For tests only: MariaDB has no Aurora
   * procedures and a test must not create routines in `mysql`.
   * @default 'mysql'
   */
  readonly procedureSchema?: string;
  /**
   * Statement that returns the replica status with Aurora MySQL 3 column names
   * (Replica_IO_Running, Replica_SQL_Running, Source_Host, ...). For tests only.
   * @default 'SHOW REPLICA STATUS'
   */
  readonly replicaStatusStatement?: string;
  /** How long to wait for both replication threads to run. @default 60000 */
  readonly startTimeoutMs?: number;
  /** Interval between two SHOW REPLICA STATUS. @default 2000 */
  readonly pollIntervalMs?: number;
  /** @default 10000 */
  readonly connectTimeoutMs?: number;
  /** @default 5000 */
  readonly deleteConnectTimeoutMs?: number;
  /** @default - a new client for the Lambda's region */
  readonly secretsManager?: SecretsManagerClient;
}

/** The ResourceProperties contract. */
export interface ReplicationProperties {
  readonly sourceSecretArn: string;
  readonly replicaSecretArn: string;
  readonly replicationUser: string;
  readonly replicationSecretArn: string;
  readonly sourceHost: string;
  readonly sourcePort: number;
}

export function parseReplicationProperties(props: Readonly<Record<string, unknown>>): ReplicationProperties {
  const sourceHost = requiredString(props, 'SourceHost');
  if (!/^[A-Za-z0-9.-]{1,255}$/.test(sourceHost)) throw new HandlerError(`property 'SourceHost' must be a host name or IP address (got ${JSON.stringify(sourceHost)})`);
  return {
    sourceSecretArn: requiredString(props, 'SourceSecretArn'),
    replicaSecretArn: requiredString(props, 'ReplicaSecretArn'),
    replicationUser: userNameProperty(props, 'ReplicationUser'),
    replicationSecretArn: requiredString(props, 'ReplicationSecretArn'),
    sourceHost,
    sourcePort: integerProperty(props, 'SourcePort', 3306, 1, 65535),
  };
}

/** The SHOW REPLICA STATUS fields the handler reads (Aurora MySQL 3 / MySQL 8.0.22+ names). */
interface ReplicaStatus {
  readonly ioState: string;
  readonly sourceHost: string;
  readonly sourcePort: number;
  readonly sourceUser: string;
  readonly ioRunning: string;
  readonly sqlRunning: string;
  readonly lastIoErrno: number;
  readonly lastIoError: string;
  readonly lastSqlErrno: number;
  readonly lastSqlError: string;
  readonly secondsBehindSource: string | null;
  readonly sslAllowed: string;
  readonly autoPosition: string;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export function createReplicationHandler(options: ReplicationHandlerOptions = {}): (event: CustomResourceEvent) => Promise<CustomResourceResponse> {
  const procedureSchema = quoteIdentifier(options.procedureSchema ?? 'mysql');
  const statusStatement = options.replicaStatusStatement ?? 'SHOW REPLICA STATUS';
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 2_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const deleteConnectTimeoutMs = options.deleteConnectTimeoutMs ?? DELETE_CONNECT_TIMEOUT_MS;

  const call = (conn: mysql.Connection, name: string, args: unknown[], redactor: Redactor) =>
    query(conn, `replica: CALL ${name}`, `CALL ${procedureSchema}.${quoteIdentifier(name)}(${args.map(() => '?').join(', ')})`, args, redactor);

  async function readStatus(conn: mysql.Connection, redactor: Redactor): Promise<ReplicaStatus | undefined> {
    const rows = await query(conn, 'replica: SHOW REPLICA STATUS', statusStatement, [], redactor);
    if (rows.length === 0) return undefined;
    const row = rows[0];
    if (!('Replica_IO_Running' in row)) {
      throw new HandlerError(`replica: unexpected SHOW REPLICA STATUS output (no Replica_IO_Running column; columns: ${Object.keys(row).join(', ')}); Aurora MySQL 3 is required`);
    }
    return {
      ioState: str(row.Replica_IO_State),
      sourceHost: str(row.Source_Host),
      sourcePort: Number(row.Source_Port ?? 0),
      sourceUser: str(row.Source_User),
      ioRunning: str(row.Replica_IO_Running),
      sqlRunning: str(row.Replica_SQL_Running),
      lastIoErrno: Number(row.Last_IO_Errno ?? 0),
      lastIoError: str(row.Last_IO_Error),
      lastSqlErrno: Number(row.Last_SQL_Errno ?? 0),
      lastSqlError: str(row.Last_SQL_Error),
      secondsBehindSource: row.Seconds_Behind_Source === null || row.Seconds_Behind_Source === undefined ? null : String(row.Seconds_Behind_Source),
      sslAllowed: str(row.Source_SSL_Allowed),
      autoPosition: str(row.Auto_Position),
    };
  }

  function describeStatus(s: ReplicaStatus): string {
    return [
      `Replica_IO_Running=${s.ioRunning || '(empty)'}`,
      `Replica_SQL_Running=${s.sqlRunning || '(empty)'}`,
      `Replica_IO_State=${JSON.stringify(s.ioState)}`,
      `Last_IO_Errno=${s.lastIoErrno}`,
      `Last_IO_Error=${JSON.stringify(s.lastIoError)}`,
      `Last_SQL_Errno=${s.lastSqlErrno}`,
      `Last_SQL_Error=${JSON.stringify(s.lastSqlError)}`,
      `Source_SSL_Allowed=${s.sslAllowed || '(empty)'}`,
    ].join(', ');
  }

  /**
   * Source side: the replication user with exactly REPLICATION SLAVE, REQUIRE SSL and the
   * current password. Returns whether the user was created and whether its password changed.
   */
  async function ensureReplicationUser(
    conn: mysql.Connection, source: DatabaseSecret, props: ReplicationProperties, password: string, redactor: Redactor, log: Logger,
  ): Promise<{ created: boolean; passwordChanged: boolean }> {
    const user = props.replicationUser;
    const account = `'${user}'@'${ACCOUNT_HOST}'`;
    const existing = await query(conn, 'source: look up the replication user', 'SELECT ssl_type FROM mysql.user WHERE User = ? AND Host = ?', [user, ACCOUNT_HOST], redactor);
    if (existing.length === 0) {
      await query(conn, `source: CREATE USER ${account}`, 'CREATE USER ?@? IDENTIFIED BY ? REQUIRE SSL', [user, ACCOUNT_HOST, password], redactor);
      await query(conn, `source: GRANT ${REPLICATION_PRIVILEGE} to ${account}`, `GRANT ${REPLICATION_PRIVILEGE} ON *.* TO ?@?`, [user, ACCOUNT_HOST], redactor);
      log.info(`source ${source.host}: created ${account} with ${REPLICATION_PRIVILEGE} ON *.* and REQUIRE SSL`);
      return { created: true, passwordChanged: true };
    }

    let passwordChanged = false;
    let sslRepaired = false;
    if (!(await canLogin(source, user, password, redactor))) {
      await query(conn, `source: ALTER USER ${account} (password)`, 'ALTER USER ?@? IDENTIFIED BY ? REQUIRE SSL', [user, ACCOUNT_HOST, password], redactor);
      log.info(`source ${source.host}: password of ${account} set to the value of the replication secret`);
      passwordChanged = true;
    } else if (str(existing[0].ssl_type).toUpperCase() !== 'ANY') {
      await query(conn, `source: ALTER USER ${account} REQUIRE SSL`, 'ALTER USER ?@? REQUIRE SSL', [user, ACCOUNT_HOST], redactor);
      log.info(`source ${source.host}: ${account} now REQUIRE SSL`);
      sslRepaired = true;
    }

    // Exactly one global privilege, nothing at schema, table or column level, no GRANT OPTION.
    const grantee = granteeString(user);
    const globalPrivs = await query(conn, 'source: read global privileges', 'SELECT PRIVILEGE_TYPE AS p, IS_GRANTABLE AS g FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?', [grantee], redactor);
    const otherGrants = await query(conn, 'source: read other privileges', [
      'SELECT COUNT(*) AS n FROM (',
      ' SELECT GRANTEE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?',
      ' UNION ALL SELECT GRANTEE FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ?',
      ' UNION ALL SELECT GRANTEE FROM information_schema.COLUMN_PRIVILEGES WHERE GRANTEE = ?) x',
    ].join(''), [grantee, grantee, grantee], redactor);
    const names = globalPrivs.map((r) => str(r.p).toUpperCase()).filter((p) => p !== 'USAGE');
    const exact = names.length === 1 && names[0] === REPLICATION_PRIVILEGE && globalPrivs.every((r) => str(r.g).toUpperCase() !== 'YES') && Number(otherGrants[0]?.n ?? 0) === 0;
    if (!exact) {
      await query(conn, `source: REVOKE ALL from ${account}`, 'REVOKE ALL PRIVILEGES, GRANT OPTION FROM ?@?', [user, ACCOUNT_HOST], redactor);
      await query(conn, `source: GRANT ${REPLICATION_PRIVILEGE} to ${account}`, `GRANT ${REPLICATION_PRIVILEGE} ON *.* TO ?@?`, [user, ACCOUNT_HOST], redactor);
      log.info(`source ${source.host}: privileges of ${account} reset to ${REPLICATION_PRIVILEGE} ON *.* (found: ${names.join(', ') || 'none'}${Number(otherGrants[0]?.n ?? 0) > 0 ? ' plus schema/table/column grants' : ''})`);
    }
    if (!passwordChanged && !sslRepaired && exact) log.info(`source ${source.host}: ${account} unchanged`);
    return { created: false, passwordChanged };
  }

  /** Tries the replication credentials against the source over TLS; false only on access denied. */
  async function canLogin(source: DatabaseSecret, user: string, password: string, redactor: Redactor): Promise<boolean> {
    let conn: mysql.Connection | undefined;
    try {
      conn = await connect({ host: source.host, port: source.port, username: user, password }, 'source: check the replication password', redactor, connectTimeoutMs);
      return true;
    } catch (error) {
      if ((error as HandlerError).errno === 1045) return false;
      throw error;
    } finally {
      await closeQuietly(conn);
    }
  }

  async function configureReplica(conn: mysql.Connection, existing: ReplicaStatus | undefined, props: ReplicationProperties, password: string, redactor: Redactor, log: Logger): Promise<void> {
    if (existing) {
      try {
        await call(conn, 'rds_stop_replication', [], redactor);
      } catch (error) {
        log.warn(`replica: rds_stop_replication failed (continuing): ${describeError(error)}`);
      }
      await call(conn, 'rds_reset_external_source', [], redactor);
    }
    // ssl_encryption = 0: not implemented by this procedure on Aurora MySQL 3; TLS comes next.
    await call(conn, 'rds_set_external_source_with_auto_position', [props.sourceHost, props.sourcePort, props.replicationUser, password, 0], redactor);
    try {
      await call(conn, 'rds_set_binlog_source_ssl', [1], redactor);
    } catch (error) {
      if ((error as HandlerError).errno === 1305) {
        throw new HandlerError(`replica: mysql.rds_set_binlog_source_ssl does not exist; TLS for binlog replication needs Aurora MySQL 3.06 or higher (${describeError(error)})`);
      }
      throw error;
    }
    await call(conn, 'rds_start_replication', [], redactor);
    log.info(`replica: replication configured from ${props.sourceHost}:${props.sourcePort} as '${props.replicationUser}' (GTID auto-position, TLS) and started`);
  }

  async function waitUntilRunning(conn: mysql.Connection, redactor: Redactor): Promise<ReplicaStatus> {
    const started = Date.now();
    for (;;) {
      const status = await readStatus(conn, redactor);
      if (!status) throw new HandlerError('replica: SHOW REPLICA STATUS is empty after rds_start_replication: replication is not configured');
      if (status.ioRunning === 'Yes' && status.sqlRunning === 'Yes') {
        if (status.sslAllowed !== 'Yes') {
          throw new HandlerError(redactor.redact(`replica: replication runs without TLS (Source_SSL_Allowed=${status.sslAllowed || '(empty)'}); refusing. ${describeStatus(status)}`));
        }
        return status;
      }
      const failedHard = (status.sqlRunning === 'No' && status.lastSqlErrno !== 0) || (status.ioRunning === 'No' && status.lastIoErrno !== 0);
      const elapsed = Date.now() - started;
      if (failedHard || elapsed >= startTimeoutMs) {
        throw new HandlerError(redactor.redact(
          `replica: replication did not start ${failedHard ? '(a replication thread stopped with an error)' : `within ${Math.round(startTimeoutMs / 1000)} s`}: ${describeStatus(status)}. ` +
          'Check that the source security group admits the replica cluster, that binlog_format and gtid_mode=ON are set on both clusters, ' +
          'and that the replication secret holds the password of the replication user.',
        ));
      }
      await sleep(Math.min(pollIntervalMs, Math.max(0, startTimeoutMs - elapsed)));
    }
  }

  const upToDate = (s: ReplicaStatus | undefined, props: ReplicationProperties): boolean =>
    !!s && s.sourceHost === props.sourceHost && s.sourcePort === props.sourcePort && s.sourceUser === props.replicationUser &&
    s.autoPosition === '1' && s.sslAllowed === 'Yes' && s.ioRunning === 'Yes' && s.sqlRunning === 'Yes';

  /** Stops and resets the replica, but only if it still replicates from props.sourceHost:sourcePort. Never throws. */
  async function detachReplica(client: SecretsManagerClient, props: ReplicationProperties, redactor: Redactor, log: Logger): Promise<void> {
    let conn: mysql.Connection | undefined;
    try {
      const replica = await readAdminSecret(client, props.replicaSecretArn, 'replica', redactor);
      conn = await connect(replica, 'replica', redactor, deleteConnectTimeoutMs);
      const status = await readStatus(conn, redactor);
      if (!status) {
        log.info(`replica ${replica.host}: no replication configured; nothing to stop`);
        return;
      }
      if (status.sourceHost !== props.sourceHost || status.sourcePort !== props.sourcePort) {
        log.warn(`replica ${replica.host}: replicates from ${status.sourceHost}:${status.sourcePort}, not from ${props.sourceHost}:${props.sourcePort}; left unchanged`);
        return;
      }
      try {
        await call(conn, 'rds_stop_replication', [], redactor);
      } catch (error) {
        log.warn(`replica: rds_stop_replication failed (continuing): ${describeError(error)}`);
      }
      await call(conn, 'rds_reset_external_source', [], redactor);
      log.info(`replica ${replica.host}: replication from ${props.sourceHost}:${props.sourcePort} stopped and reset`);
    } catch (error) {
      log.warn(`replica: could not stop/reset replication (ignored so that the stack does not get stuck): ${describeError(error)}`);
    } finally {
      await closeQuietly(conn);
    }
  }

  /** DROP USER IF EXISTS on the source. Never throws. */
  async function dropReplicationUser(client: SecretsManagerClient, props: ReplicationProperties, redactor: Redactor, log: Logger): Promise<void> {
    let conn: mysql.Connection | undefined;
    try {
      const source = await readAdminSecret(client, props.sourceSecretArn, 'source', redactor);
      conn = await connect(source, 'source', redactor, deleteConnectTimeoutMs);
      await query(conn, 'source: DROP USER', 'DROP USER IF EXISTS ?@?', [props.replicationUser, ACCOUNT_HOST], redactor);
      log.info(`source ${source.host}: dropped '${props.replicationUser}'@'${ACCOUNT_HOST}' (if it existed)`);
    } catch (error) {
      log.warn(`source: could not drop the replication user (ignored so that the stack does not get stuck): ${describeError(error)}`);
    } finally {
      await closeQuietly(conn);
    }
  }

  async function readReplicationPassword(client: SecretsManagerClient, props: ReplicationProperties, redactor: Redactor): Promise<string> {
    const raw = await readSecretString(client, props.replicationSecretArn, 'replication secret', redactor);
    if (!raw) throw new HandlerError(`replication secret ${props.replicationSecretArn} has no value`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new HandlerError(`replication secret ${props.replicationSecretArn} is not JSON; expected {"username": "...", "password": "..."}`);
    }
    const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
    if (typeof password !== 'string' || password === '') throw new HandlerError(`replication secret ${props.replicationSecretArn} lacks 'password'`);
    redactor.add(password);
    if (username !== undefined && username !== props.replicationUser) {
      throw new HandlerError(`replication secret ${props.replicationSecretArn} is for user ${JSON.stringify(username)}, but ReplicationUser is '${props.replicationUser}'`);
    }
    if (password.length > MAX_REPLICATION_PASSWORD_LENGTH) {
      throw new HandlerError(`replication secret ${props.replicationSecretArn}: the password has ${password.length} characters; CHANGE REPLICATION SOURCE TO accepts at most ${MAX_REPLICATION_PASSWORD_LENGTH}`);
    }
    return password;
  }

  async function apply(event: CustomResourceEvent, client: SecretsManagerClient, redactor: Redactor, log: Logger): Promise<CustomResourceResponse> {
    const props = parseReplicationProperties(event.ResourceProperties);
    const source = await readAdminSecret(client, props.sourceSecretArn, 'source', redactor);
    const replica = await readAdminSecret(client, props.replicaSecretArn, 'replica', redactor);
    const password = await readReplicationPassword(client, props, redactor);

    let userCreated = false;
    let replicaTouched = false;
    try {
      let sourceConn: mysql.Connection | undefined;
      let passwordChanged: boolean;
      try {
        sourceConn = await connect(source, 'source', redactor, connectTimeoutMs);
        ({ created: userCreated, passwordChanged } = await ensureReplicationUser(sourceConn, source, props, password, redactor, log));
      } finally {
        await closeQuietly(sourceConn);
      }

      let replicaConn: mysql.Connection | undefined;
      try {
        replicaConn = await connect(replica, 'replica', redactor, connectTimeoutMs);
        const status = await readStatus(replicaConn, redactor);
        if (event.RequestType === 'Update' || passwordChanged || !upToDate(status, props)) {
          replicaTouched = true;
          await configureReplica(replicaConn, status, props, password, redactor, log);
        } else {
          log.info(`replica ${replica.host}: already replicating from ${props.sourceHost}:${props.sourcePort} as '${props.replicationUser}' over TLS; unchanged`);
        }
        const running = await waitUntilRunning(replicaConn, redactor);
        log.info(`replica ${replica.host}: Replica_IO_Running=Yes, Replica_SQL_Running=Yes, Seconds_Behind_Source=${running.secondsBehindSource ?? 'NULL'}`);

        if (event.RequestType === 'Update' && event.OldResourceProperties) await cleanUpPrevious(client, event.OldResourceProperties, props, replica, source, redactor, log);

        return {
          PhysicalResourceId: event.PhysicalResourceId ?? `replication/${props.replicationUser}@${props.sourceHost}:${props.sourcePort}`,
          Data: { ReplicationRunning: 'true', SecondsBehindSource: running.secondsBehindSource ?? 'unknown' },
        };
      } finally {
        await closeQuietly(replicaConn);
      }
    } catch (error) {
      // A failed Create is never followed by a Delete (the Provider framework marks it
      // CREATE_FAILED), so undo what this invocation created.
      if (event.RequestType === 'Create') {
        log.warn(`create failed; undoing this invocation's changes: ${describeError(error)}`);
        if (replicaTouched) await detachReplica(client, props, redactor, log);
        if (userCreated) await dropReplicationUser(client, props, redactor, log);
      }
      throw error;
    }
  }

  /** After an Update moved to another replica, source or user: detach/drop what the old properties set up. */
  async function cleanUpPrevious(
    client: SecretsManagerClient, oldRaw: Readonly<Record<string, unknown>>, props: ReplicationProperties, replica: DatabaseSecret, source: DatabaseSecret,
    redactor: Redactor, log: Logger,
  ): Promise<void> {
    let old: ReplicationProperties;
    try {
      old = parseReplicationProperties(oldRaw);
    } catch (error) {
      log.warn(`previous properties unreadable; no clean-up: ${describeError(error)}`);
      return;
    }
    if (old.replicaSecretArn !== props.replicaSecretArn) {
      const oldReplica = await readAdminSecret(client, old.replicaSecretArn, 'previous replica', redactor).catch(() => undefined);
      if (!oldReplica || oldReplica.host !== replica.host || oldReplica.port !== replica.port) await detachReplica(client, old, redactor, log);
    }
    if (old.replicationUser !== props.replicationUser || old.sourceSecretArn !== props.sourceSecretArn) {
      const oldSource = old.sourceSecretArn === props.sourceSecretArn ? source : await readAdminSecret(client, old.sourceSecretArn, 'previous source', redactor).catch(() => undefined);
      const sameAccount = old.replicationUser === props.replicationUser && oldSource?.host === source.host && oldSource?.port === source.port;
      if (!sameAccount) await dropReplicationUser(client, old, redactor, log);
    }
  }

  async function remove(event: CustomResourceEvent, client: SecretsManagerClient, redactor: Redactor, log: Logger): Promise<CustomResourceResponse> {
    const physicalId = event.PhysicalResourceId ?? 'replication/unknown';
    let props: ReplicationProperties;
    try {
      props = parseReplicationProperties(event.ResourceProperties);
    } catch (error) {
      log.warn(`delete: properties unreadable, nothing removed: ${describeError(error)}`);
      return { PhysicalResourceId: physicalId };
    }
    await detachReplica(client, props, redactor, log);
    await dropReplicationUser(client, props, redactor, log);
    return { PhysicalResourceId: physicalId };
  }

  return async (event: CustomResourceEvent): Promise<CustomResourceResponse> => {
    const redactor = new Redactor();
    const log = new Logger('read-replica-replication', redactor);
    const client = options.secretsManager ?? new SecretsManagerClient({});
    log.info(`${event.RequestType} ${event.LogicalResourceId ?? ''} ${event.PhysicalResourceId ?? ''}`.trim());
    try {
      if (event.RequestType === 'Delete') return await remove(event, client, redactor, log);
      if (event.RequestType === 'Create' || event.RequestType === 'Update') return await apply(event, client, redactor, log);
      throw new HandlerError(`unknown RequestType ${JSON.stringify((event as { RequestType?: unknown }).RequestType)}`);
    } catch (error) {
      // Only HandlerErrors leave this function: their messages are redacted.
      const safe = error instanceof HandlerError ? error : new HandlerError(redactor.redact(describeError(error)));
      log.warn(`${event.RequestType} failed: ${safe.message}`);
      throw safe;
    }
  };
}

/** The Lambda entry point (Provider framework onEvent). */
export const onEvent = createReplicationHandler();
