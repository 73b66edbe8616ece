/**
 * Custom resource: binary-log replication (GTID auto-position) from PROD Main's cluster (the
 * "source") into the customer's read-replica cluster (the "replica"), for the aws-cdk-lib
 * custom-resources Provider framework (`onEvent` only).
 *
 * Create/Update
 *   source:  binary logs are kept for BinlogRetentionHours (mysql.rds_set_configuration('binlog
 *            retention hours', N), only when mysql.rds_show_configuration shows another value), so
 *            that the replica can catch up after a pause; the replication user exists with exactly
 *            `REPLICATION SLAVE ON *.*`, `REQUIRE SSL` and the password held in
 *            ReplicationSecretArn (created, or repaired with ALTER USER / REVOKE / GRANT only where
 *            it differs). Nothing else is touched on the source.
 *   replica: when ReplicaClusterIdentifier is given and the replica refuses its own master secret
 *            (access denied: a fresh clone still has the source's master password), the master
 *            password is first set to the replica secret's value through the RDS API
 *            (ModifyDBCluster) and the connection retried;
 *            then every account the clone inherited from the source is locked (ALTER USER ...
 *            ACCOUNT LOCK) except the replica's master user, ReadOnlyUser and Aurora's reserved
 *            accounts (every Create and Update; idempotent);
 *            then (re)configured with the Aurora MySQL 3 stored procedures
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
 *   source:  DROP USER IF EXISTS. Every failure is logged and the delete succeeds. The binlog
 *            retention of the source is left as it is (other consumers may rely on it).
 *
 * Rotation (`onRotate`, a Secrets Manager rotation function for ReplicationSecretArn; its
 * properties come from the REPLICATION_PROPERTIES environment variable as JSON, without
 * SourceSecretArn: the rotation never holds the source's master secret)
 *   createSecret: a new 32-character password as the AWSPENDING version;
 *   setSecret:    the replication user changes its own password on the source, logged in with the
 *                 AWSCURRENT one (ALTER USER CURRENT_USER() IDENTIFIED BY ...); the replica (its
 *                 own master secret) is reset and restarted with it (GTID auto-position: it
 *                 resumes where it stopped) and must run again;
 *   testSecret:   a TLS login to the source with it, and the replica's threads running;
 *   finishSecret: AWSCURRENT moves to the new version.
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
import { DescribeDBClustersCommand, ModifyDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import * as mysql from 'mysql2/promise';
import { DatabaseSecret, quoteIdentifier } from '../../core/runtime/database';
import {
  ACCOUNT_HOST, canLogin, closeQuietly, connect, CustomResourceEvent, CustomResourceResponse, customResourceHandler, DELETE_CONNECT_TIMEOUT_MS, describeError,
  generatePassword, granteeString, HandlerError, hashOf, integerProperty, Logger, optionalString, query, readAdminSecret, readSecretString, Redactor, requiredString,
  sleep, userNameProperty, wrapError,
} from './common';

/** MySQL limits the password given to CHANGE REPLICATION SOURCE TO (SOURCE_PASSWORD) to 32 characters. */
export const MAX_REPLICATION_PASSWORD_LENGTH = 32;

/** The one privilege the replica's I/O thread needs on the source. */
const REPLICATION_PRIVILEGE = 'REPLICATION SLAVE';

/** Binary log retention on the source when BinlogRetentionHours is not given. */
export const DEFAULT_BINLOG_RETENTION_HOURS = 72;
/** Aurora MySQL 3 keeps binary logs for at most 90 days. */
export const MAX_BINLOG_RETENTION_HOURS = 2160;
const BINLOG_RETENTION_SETTING = 'binlog retention hours';

/**
 * Characters never used in rotated replication passwords: the same set as the CDK-generated first
 * value (constructs/database/clinspark-database.ts PASSWORD_EXCLUDED_CHARACTERS; a test keeps the
 * two equal). They break URLs, shells or JDBC strings.
 */
export const REPLICATION_PASSWORD_EXCLUDED_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\,=^';

const CLUSTER_IDENTIFIER = /^[a-z][a-z0-9-]{0,62}$/;

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
  /** @default - a new client for the Lambda's region */
  readonly rds?: RDSClient;
  /**
   * The statement with which the replication user changes its own password during rotation
   * (one `?`: the new password). For tests only: MariaDB requires CREATE USER for
   * `ALTER USER CURRENT_USER()` and takes `SET PASSWORD = PASSWORD(?)` instead, which Aurora
   * MySQL 3 (MySQL 8.0, no PASSWORD() function) does not.
   * @default 'ALTER USER CURRENT_USER() IDENTIFIED BY ?'
   */
  readonly selfPasswordStatement?: string;
  /**
   * LIKE pattern of the user names the inherited-account lock considers. For tests only: the test
   * server is shared by parallel test files, whose accounts must not be locked.
   * @default '%' (every account)
   */
  readonly lockableAccounts?: string;
  /** Interval between two DescribeDBClusters while a master password reset is applied. @default 10000 */
  readonly masterResetPollMs?: number;
  /** How long a master password reset may take to be applied. @default 600000 (10 minutes) */
  readonly masterResetTimeoutMs?: number;
}

/** The ResourceProperties contract. */
export interface ReplicationProperties {
  readonly sourceSecretArn: string;
  readonly replicaSecretArn: string;
  readonly replicationUser: string;
  readonly replicationSecretArn: string;
  readonly sourceHost: string;
  readonly sourcePort: number;
  /** Hours the source keeps binary logs. */
  readonly binlogRetentionHours: number;
  /** The replica's cluster identifier: allows resetting its master password (restored clones). */
  readonly replicaClusterIdentifier?: string;
  /** The read-only account of the replica (created later by its own custom resource): never locked. */
  readonly readOnlyUser: string;
}

/**
 * What the rotation function of the replication secret is given: no source master secret (it
 * changes the replication user's password in that user's own session) and no cluster identifier
 * (it never resets a master password).
 */
export interface RotationProperties {
  readonly replicaSecretArn: string;
  readonly replicationUser: string;
  readonly replicationSecretArn: string;
  readonly sourceHost: string;
  readonly sourcePort: number;
}

/** What configuring the replica needs: where the source is and who replicates. */
type SourceEndpoint = Pick<RotationProperties, 'sourceHost' | 'sourcePort' | 'replicationUser'>;

/**
 * Accounts of Aurora MySQL itself that the inherited-account lock never touches (besides every
 * `mysql.*` system account: mysql.infoschema, mysql.session, mysql.sys). "Common DBA tasks for
 * MySQL DB instances" (Appendix.MySQL.CommonDBATasks.html#Appendix.MySQL.CommonDBATasks.users,
 * "Understanding predefined users"): rdsadmin ("used internally ... for many management tasks")
 * and rdsrepladmin ("used internally by Amazon RDS to support replication activities"); they
 * "can't be changed ... Attempting to do so results in an error". rds_superuser_role is the
 * master user's role in Aurora MySQL version 3 ("Master user account privileges",
 * UsingWithRDS.MasterAccounts.html); the AWS_*_ACCESS roles of the Aurora integrations
 * (AWS_LOAD_S3_ACCESS, AWS_SELECT_S3_ACCESS, AWS_LAMBDA_ACCESS, AWS_SAGEMAKER_ACCESS,
 * AWS_COMPREHEND_ACCESS, AWS_BEDROCK_ACCESS) are roles too (roles are locked accounts already);
 * rdsproxyadmin is RDS Proxy's account, a protected user from Aurora MySQL 8.4
 * ("Security considerations for upgrading from Aurora MySQL version 3 to version 8.4",
 * AuroraMySQL.Upgrade-v3-v84-security.html).
 */
export const AURORA_RESERVED_ACCOUNTS: readonly string[] = ['rdsadmin', 'rdsrepladmin', 'rds_superuser_role', 'rdsproxyadmin'];
const AURORA_RESERVED_PREFIXES: readonly string[] = ['mysql.', 'AWS_'];

export function isReservedAccount(user: string): boolean {
  return AURORA_RESERVED_ACCOUNTS.includes(user) || AURORA_RESERVED_PREFIXES.some((p) => user.startsWith(p));
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
    binlogRetentionHours: integerProperty(props, 'BinlogRetentionHours', DEFAULT_BINLOG_RETENTION_HOURS, 1, MAX_BINLOG_RETENTION_HOURS),
    replicaClusterIdentifier: clusterIdentifierProperty(props, 'ReplicaClusterIdentifier'),
    readOnlyUser: userNameProperty(props, 'ReadOnlyUser', 'RO_USER'),
  };
}

/** The rotation's contract (REPLICATION_PROPERTIES): SourceSecretArn is refused, not ignored. */
export function parseRotationProperties(props: Readonly<Record<string, unknown>>): RotationProperties {
  if (props.SourceSecretArn !== undefined) {
    throw new HandlerError("property 'SourceSecretArn' is given to the rotation function; it must not hold the source's master secret (it rotates in the replication user's own session)");
  }
  const sourceHost = requiredString(props, 'SourceHost');
  if (!/^[A-Za-z0-9.-]{1,255}$/.test(sourceHost)) throw new HandlerError(`property 'SourceHost' must be a host name or IP address (got ${JSON.stringify(sourceHost)})`);
  return {
    replicaSecretArn: requiredString(props, 'ReplicaSecretArn'),
    replicationUser: userNameProperty(props, 'ReplicationUser'),
    replicationSecretArn: requiredString(props, 'ReplicationSecretArn'),
    sourceHost,
    sourcePort: integerProperty(props, 'SourcePort', 3306, 1, 65535),
  };
}

function clusterIdentifierProperty(props: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = optionalString(props, name);
  if (value !== undefined && (!CLUSTER_IDENTIFIER.test(value) || value.endsWith('-') || value.includes('--'))) {
    throw new HandlerError(`property '${name}' must be an Aurora cluster identifier (1-63 lowercase letters, digits and single hyphens, starting with a letter; got ${JSON.stringify(value)})`);
  }
  return value;
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

/** What Secrets Manager sends a rotation function. */
export interface RotationEvent {
  readonly Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
  readonly SecretId: string;
  readonly ClientRequestToken: string;
}

/** The custom-resource and rotation operations, sharing one set of options. */
function createEngine(options: ReplicationHandlerOptions) {
  const procedureSchema = quoteIdentifier(options.procedureSchema ?? 'mysql');
  const statusStatement = options.replicaStatusStatement ?? 'SHOW REPLICA STATUS';
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 2_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const deleteConnectTimeoutMs = options.deleteConnectTimeoutMs ?? DELETE_CONNECT_TIMEOUT_MS;
  const masterResetPollMs = options.masterResetPollMs ?? 10_000;
  const masterResetTimeoutMs = options.masterResetTimeoutMs ?? 10 * 60_000;
  const selfPasswordStatement = options.selfPasswordStatement ?? 'ALTER USER CURRENT_USER() IDENTIFIED BY ?';
  const lockableAccounts = options.lockableAccounts ?? '%';
  let rdsClient = options.rds;
  const rds = (): RDSClient => (rdsClient ??= new RDSClient({}));

  const call = (conn: mysql.Connection, name: string, args: unknown[], redactor: Redactor, side: 'replica' | 'source' = 'replica') =>
    query(conn, `${side}: CALL ${name}`, `CALL ${procedureSchema}.${quoteIdentifier(name)}(${args.map(() => '?').join(', ')})`, args, redactor);

  /**
   * Source side: binary logs kept for `hours`, so that a replica that paused (maintenance,
   * network, a stopped SQL thread) can resume by GTID auto-position instead of being re-seeded.
   * Reads the current value first: a re-run with the same value writes nothing.
   */
  async function ensureBinlogRetention(conn: mysql.Connection, source: DatabaseSecret, hours: number, redactor: Redactor, log: Logger): Promise<void> {
    const rows = await call(conn, 'rds_show_configuration', [], redactor, 'source');
    const row = rows.find((r) => str(r.name ?? r.NAME).toLowerCase() === BINLOG_RETENTION_SETTING);
    const current = row ? str(row.value ?? row.VALUE) : '';
    if (current === String(hours)) {
      log.info(`source ${source.host}: ${BINLOG_RETENTION_SETTING} already ${hours}`);
      return;
    }
    await call(conn, 'rds_set_configuration', [BINLOG_RETENTION_SETTING, hours], redactor, 'source');
    log.info(`source ${source.host}: ${BINLOG_RETENTION_SETTING} set to ${hours} (was ${current === '' ? 'NULL' : current})`);
  }

  /**
   * Sets the replica cluster's master password to its own secret through the RDS API and waits
   * until the change is applied (status available, no pending password). A clone restored from
   * the source keeps the source's master password until this runs.
   */
  async function resetReplicaMasterPassword(clusterIdentifier: string, password: string, redactor: Redactor, log: Logger): Promise<void> {
    try {
      await rds().send(new ModifyDBClusterCommand({ DBClusterIdentifier: clusterIdentifier, MasterUserPassword: password, ApplyImmediately: true }));
    } catch (error) {
      throw wrapError(`replica: ModifyDBCluster ${clusterIdentifier} (master password) failed`, error, redactor);
    }
    log.info(`replica ${clusterIdentifier}: master password set to the value of the replica master secret; waiting until it is applied`);
    const deadline = Date.now() + masterResetTimeoutMs;
    for (;;) {
      let status: string | undefined;
      let pending = false;
      try {
        const out = await rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterIdentifier }));
        const cluster = out.DBClusters?.[0];
        status = cluster?.Status;
        pending = Boolean((cluster?.PendingModifiedValues as { MasterUserPassword?: string } | undefined)?.MasterUserPassword);
      } catch (error) {
        throw wrapError(`replica: DescribeDBClusters ${clusterIdentifier} failed`, error, redactor);
      }
      if (status === 'available' && !pending) return;
      if (Date.now() >= deadline) {
        throw new HandlerError(`replica ${clusterIdentifier}: the master password was not applied within ${Math.round(masterResetTimeoutMs / 1000)} s (status ${status ?? 'unknown'})`);
      }
      await sleep(masterResetPollMs);
    }
  }

  /**
   * Connects to the replica as its master user. When that is refused (access denied) and the
   * properties name the replica cluster, its master password is reset to the secret's value and
   * the connection retried until the new password works (it can take a moment on every node).
   */
  async function connectReplica(replica: DatabaseSecret, props: ReplicationProperties, redactor: Redactor, log: Logger): Promise<mysql.Connection> {
    try {
      return await connect(replica, 'replica', redactor, connectTimeoutMs);
    } catch (error) {
      if ((error as HandlerError).errno !== 1045 || !props.replicaClusterIdentifier) throw error;
      log.info(`replica ${replica.host}: the master secret is refused (access denied): a restored clone still has the source's master password`);
    }
    await resetReplicaMasterPassword(props.replicaClusterIdentifier, replica.password, redactor, log);
    const deadline = Date.now() + masterResetTimeoutMs;
    for (;;) {
      try {
        return await connect(replica, 'replica', redactor, connectTimeoutMs);
      } catch (error) {
        if ((error as HandlerError).errno !== 1045 || Date.now() >= deadline) throw error;
        await sleep(masterResetPollMs);
      }
    }
  }

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
      await query(conn, `source: CREATE USER ${account}`, 'CREATE USER ?@? IDENTIFIED WITH mysql_native_password AS ? REQUIRE SSL', [user, ACCOUNT_HOST, hashOf(password, redactor)], redactor);
      await query(conn, `source: GRANT ${REPLICATION_PRIVILEGE} to ${account}`, `GRANT ${REPLICATION_PRIVILEGE} ON *.* TO ?@?`, [user, ACCOUNT_HOST], redactor);
      log.info(`source ${source.host}: created ${account} with ${REPLICATION_PRIVILEGE} ON *.* and REQUIRE SSL`);
      return { created: true, passwordChanged: true };
    }

    let passwordChanged = false;
    let sslRepaired = false;
    if (!(await canLogin({ host: source.host, port: source.port, username: user, password }, 'source: check the replication password', redactor, connectTimeoutMs))) {
      await query(conn, `source: ALTER USER ${account} (password)`, 'ALTER USER ?@? IDENTIFIED WITH mysql_native_password AS ? REQUIRE SSL', [user, ACCOUNT_HOST, hashOf(password, redactor)], redactor);
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


  /**
   * Replica side, after the clone: every account the clone inherited from the source (PROD's
   * application account, PROD's master user name aside, operators' accounts: all with PROD's
   * passwords as of clone time, frozen there by `replicate-wild-ignore-table = mysql.%`) gets
   * `ALTER USER ... ACCOUNT LOCK`. Kept: the replica's own master user (its password is the
   * replica's secret), the read-only account, Aurora's reserved accounts and already locked ones
   * (roles are locked accounts). The replication user of the source, if the clone has a copy,
   * is locked too: the replica's I/O thread logs in to the source, never to the replica.
   * Reads SHOW CREATE USER (ACCOUNT LOCK is in its text on MySQL 8.0 and MariaDB alike).
   * Returns the accounts it locked. Any failure fails the request: an inherited account that
   * still logs in is what this step exists to prevent.
   */
  async function lockInheritedAccounts(conn: mysql.Connection, replica: DatabaseSecret, props: ReplicationProperties, redactor: Redactor, log: Logger): Promise<string[]> {
    const rows = await query(conn, 'replica: list accounts', 'SELECT * FROM mysql.user WHERE User LIKE ?', [lockableAccounts], redactor);
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
      throw new HandlerError(redactor.redact(`replica ${replica.host}: cannot lock inherited account(s) (they would still log in with the source's passwords): ${failed.join('; ')}`));
    }
    return locked;
  }

  async function configureReplica(conn: mysql.Connection, existing: ReplicaStatus | undefined, props: SourceEndpoint, password: string, redactor: Redactor, log: Logger): Promise<void> {
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

  const upToDate = (s: ReplicaStatus | undefined, props: SourceEndpoint): boolean =>
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

  /** Checks a replication secret's JSON and returns its password (registered with the redactor). */
  function parseReplicationSecret(raw: string | undefined, label: string, props: Pick<ReplicationProperties, 'replicationUser'>, redactor: Redactor): string {
    if (!raw) throw new HandlerError(`${label} has no value`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new HandlerError(`${label} is not JSON; expected {"username": "...", "password": "..."}`);
    }
    const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
    if (typeof password !== 'string' || password === '') throw new HandlerError(`${label} lacks 'password'`);
    redactor.add(password);
    if (username !== undefined && username !== props.replicationUser) {
      throw new HandlerError(`${label} is for user ${JSON.stringify(username)}, but ReplicationUser is '${props.replicationUser}'`);
    }
    if (password.length > MAX_REPLICATION_PASSWORD_LENGTH) {
      throw new HandlerError(`${label}: the password has ${password.length} characters; CHANGE REPLICATION SOURCE TO accepts at most ${MAX_REPLICATION_PASSWORD_LENGTH}`);
    }
    return password;
  }

  async function readReplicationPassword(client: SecretsManagerClient, props: ReplicationProperties, redactor: Redactor): Promise<string> {
    const raw = await readSecretString(client, props.replicationSecretArn, 'replication secret', redactor);
    return parseReplicationSecret(raw, `replication secret ${props.replicationSecretArn}`, props, redactor);
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
        await ensureBinlogRetention(sourceConn, source, props.binlogRetentionHours, redactor, log);
        ({ created: userCreated, passwordChanged } = await ensureReplicationUser(sourceConn, source, props, password, redactor, log));
      } finally {
        await closeQuietly(sourceConn);
      }

      let replicaConn: mysql.Connection | undefined;
      try {
        replicaConn = await connectReplica(replica, props, redactor, log);
        await lockInheritedAccounts(replicaConn, replica, props, redactor, log);
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

  // ---- rotation of the replication secret (Secrets Manager rotation function) -------------------

  async function secretVersionStages(client: SecretsManagerClient, secretId: string, redactor: Redactor): Promise<{ rotationEnabled: boolean; versions: Record<string, string[]> }> {
    try {
      const out = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
      return { rotationEnabled: out.RotationEnabled === true, versions: out.VersionIdsToStages ?? {} };
    } catch (error) {
      throw wrapError(`rotation: DescribeSecret ${secretId} failed`, error, redactor);
    }
  }

  async function readVersion(client: SecretsManagerClient, secretId: string, stage: 'AWSCURRENT' | 'AWSPENDING', versionId: string | undefined, redactor: Redactor): Promise<string | undefined> {
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage, VersionId: versionId }));
      return out.SecretString;
    } catch (error) {
      if ((error as { name?: string })?.name === 'ResourceNotFoundException') return undefined;
      throw wrapError(`rotation: cannot read the ${stage} version of ${secretId}`, error, redactor);
    }
  }

  async function pendingPassword(client: SecretsManagerClient, event: RotationEvent, props: RotationProperties, redactor: Redactor): Promise<string> {
    const raw = await readVersion(client, event.SecretId, 'AWSPENDING', event.ClientRequestToken, redactor);
    return parseReplicationSecret(raw, `the AWSPENDING version of ${event.SecretId}`, props, redactor);
  }

  async function createPending(client: SecretsManagerClient, event: RotationEvent, props: RotationProperties, redactor: Redactor, log: Logger): Promise<void> {
    const currentRaw = await readVersion(client, event.SecretId, 'AWSCURRENT', undefined, redactor);
    parseReplicationSecret(currentRaw, `the AWSCURRENT version of ${event.SecretId}`, props, redactor);
    if (await readVersion(client, event.SecretId, 'AWSPENDING', event.ClientRequestToken, redactor)) {
      log.info(`createSecret: version ${event.ClientRequestToken} already exists`);
      return;
    }
    const password = await generatePassword(client, MAX_REPLICATION_PASSWORD_LENGTH, REPLICATION_PASSWORD_EXCLUDED_CHARACTERS, redactor, 'rotation');
    const next = { ...(JSON.parse(currentRaw as string) as Record<string, unknown>), username: props.replicationUser, password };
    try {
      await client.send(new PutSecretValueCommand({ SecretId: event.SecretId, ClientRequestToken: event.ClientRequestToken, SecretString: JSON.stringify(next), VersionStages: ['AWSPENDING'] }));
    } catch (error) {
      throw wrapError(`rotation: cannot store the AWSPENDING version of ${event.SecretId}`, error, redactor);
    }
    log.info(`createSecret: new password (${password.length} characters) stored as AWSPENDING version ${event.ClientRequestToken}`);
  }

  /**
   * The pending password on the source user, set **in the replication user's own session** (any
   * account may change its own password: MySQL 8.0 ALTER USER, "Any client who connects to the
   * server using a nonanonymous account can change the password for that account"; Aurora MySQL 3
   * has no `password_require_current`, which the Aurora password-policy page lists for version 8.4
   * and higher), logged in with the AWSCURRENT password: the rotation holds no credential of the
   * source's master user. Then the replica is reconfigured with it, as the REPLICA's master user.
   * Retried after a partial run: when the pending password already logs in, the source is left as it is.
   */
  async function setPending(client: SecretsManagerClient, event: RotationEvent, props: RotationProperties, redactor: Redactor, log: Logger): Promise<void> {
    const password = await pendingPassword(client, event, props, redactor);
    const currentPassword = parseReplicationSecret(await readVersion(client, event.SecretId, 'AWSCURRENT', undefined, redactor), `the AWSCURRENT version of ${event.SecretId}`, props, redactor);
    const endpoint = { host: props.sourceHost, port: props.sourcePort, username: props.replicationUser };
    if (await canLogin({ ...endpoint, password }, 'source: check the AWSPENDING password', redactor, connectTimeoutMs)) {
      log.info(`setSecret: '${props.replicationUser}' already logs in to ${props.sourceHost} with the AWSPENDING password; source unchanged`);
    } else {
      let own: mysql.Connection | undefined;
      try {
        own = await connect({ ...endpoint, password: currentPassword }, `source: log in as '${props.replicationUser}' with the AWSCURRENT password`, redactor, connectTimeoutMs);
        // Clear text here: a session without CREATE USER may not name an authentication plugin.
        // See docs/read-replica-handlers.md, "Passwords in audited statements", for what the
        // source's audit log records of it.
        await query(own, `source: '${props.replicationUser}' changes its own password`, selfPasswordStatement, [password], redactor);
      } catch (error) {
        if ((error as HandlerError).errno === 1045) {
          throw new HandlerError(`setSecret: '${props.replicationUser}' logs in to ${props.sourceHost} with neither the AWSCURRENT nor the AWSPENDING password (changed by hand?). ` +
            'The rotation holds no master credential of the source and cannot repair it: run an Update of the replication custom resource (it sets the AWSCURRENT password with the source master secret), then rotate again.');
        }
        throw error;
      } finally {
        await closeQuietly(own);
      }
      log.info(`setSecret: '${props.replicationUser}' changed its own password on ${props.sourceHost} (its own session; no master credential of the source used)`);
    }
    const replica = await readAdminSecret(client, props.replicaSecretArn, 'replica', redactor);
    let replicaConn: mysql.Connection | undefined;
    try {
      replicaConn = await connect(replica, 'replica', redactor, connectTimeoutMs);
      await configureReplica(replicaConn, await readStatus(replicaConn, redactor), props, password, redactor, log);
      const running = await waitUntilRunning(replicaConn, redactor);
      log.info(`setSecret: replica ${replica.host} replicates with the new password (Seconds_Behind_Source=${running.secondsBehindSource ?? 'NULL'})`);
    } finally {
      await closeQuietly(replicaConn);
    }
  }

  async function testPending(client: SecretsManagerClient, event: RotationEvent, props: RotationProperties, redactor: Redactor, log: Logger): Promise<void> {
    const password = await pendingPassword(client, event, props, redactor);
    if (!(await canLogin({ host: props.sourceHost, port: props.sourcePort, username: props.replicationUser, password }, 'source: check the replication password', redactor, connectTimeoutMs))) {
      throw new HandlerError(`testSecret: '${props.replicationUser}' cannot log in to the source ${props.sourceHost} with the AWSPENDING password`);
    }
    const replica = await readAdminSecret(client, props.replicaSecretArn, 'replica', redactor);
    let conn: mysql.Connection | undefined;
    try {
      conn = await connect(replica, 'replica', redactor, connectTimeoutMs);
      const status = await readStatus(conn, redactor);
      if (!upToDate(status, props)) {
        throw new HandlerError(redactor.redact(`testSecret: the replica does not replicate from ${props.sourceHost}:${props.sourcePort} as '${props.replicationUser}' over TLS${status ? `: ${describeStatus(status)}` : ' (no replication configured)'}`));
      }
    } finally {
      await closeQuietly(conn);
    }
    log.info(`testSecret: the AWSPENDING password logs in to the source over TLS and the replica replicates with it`);
  }

  async function finishPending(client: SecretsManagerClient, event: RotationEvent, redactor: Redactor, log: Logger): Promise<void> {
    const { versions } = await secretVersionStages(client, event.SecretId, redactor);
    const current = Object.entries(versions).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
    if (current === event.ClientRequestToken) {
      log.info(`finishSecret: version ${event.ClientRequestToken} is already AWSCURRENT`);
      return;
    }
    try {
      await client.send(new UpdateSecretVersionStageCommand({ SecretId: event.SecretId, VersionStage: 'AWSCURRENT', MoveToVersionId: event.ClientRequestToken, RemoveFromVersionId: current }));
    } catch (error) {
      throw wrapError(`finishSecret: cannot move AWSCURRENT to version ${event.ClientRequestToken}`, error, redactor);
    }
    log.info(`finishSecret: version ${event.ClientRequestToken} is now AWSCURRENT (was ${current ?? 'none'})`);
  }

  async function rotate(event: RotationEvent, props: RotationProperties, client: SecretsManagerClient, redactor: Redactor, log: Logger): Promise<void> {
    if (event.SecretId !== props.replicationSecretArn) {
      throw new HandlerError(`rotation: this function rotates ${props.replicationSecretArn} only, not ${event.SecretId}`);
    }
    const { rotationEnabled, versions } = await secretVersionStages(client, event.SecretId, redactor);
    if (!rotationEnabled) throw new HandlerError(`rotation: rotation is not enabled on ${event.SecretId}`);
    const stages = versions[event.ClientRequestToken];
    if (!stages) throw new HandlerError(`rotation: version ${event.ClientRequestToken} of ${event.SecretId} does not exist`);
    if (stages.includes('AWSCURRENT')) {
      log.info(`${event.Step}: version ${event.ClientRequestToken} is already AWSCURRENT; nothing to do`);
      return;
    }
    if (!stages.includes('AWSPENDING')) throw new HandlerError(`rotation: version ${event.ClientRequestToken} of ${event.SecretId} is not AWSPENDING`);
    switch (event.Step) {
      case 'createSecret': return createPending(client, event, props, redactor, log);
      case 'setSecret': return setPending(client, event, props, redactor, log);
      case 'testSecret': return testPending(client, event, props, redactor, log);
      case 'finishSecret': return finishPending(client, event, redactor, log);
      default: throw new HandlerError(`rotation: unknown step ${JSON.stringify((event as { Step?: unknown }).Step)}`);
    }
  }

  return { apply, remove, rotate };
}

export function createReplicationHandler(options: ReplicationHandlerOptions = {}): (event: CustomResourceEvent) => Promise<CustomResourceResponse> {
  const { apply, remove } = createEngine(options);
  return customResourceHandler('read-replica-replication', { apply, remove }, options.secretsManager);
}

/**
 * The rotation function of the replication secret. `properties` are RotationProperties
 * (ReplicaSecretArn, ReplicationUser, ReplicationSecretArn, SourceHost, SourcePort; never
 * SourceSecretArn); `onRotate` reads them from REPLICATION_PROPERTIES.
 */
export function createReplicationRotationHandler(properties: Readonly<Record<string, unknown>>, options: ReplicationHandlerOptions = {}): (event: RotationEvent) => Promise<void> {
  const { rotate } = createEngine(options);
  return async (event: RotationEvent): Promise<void> => {
    const redactor = new Redactor();
    const log = new Logger('read-replica-replication-rotation', redactor);
    const client = options.secretsManager ?? new SecretsManagerClient({});
    log.info(`${event.Step} ${event.SecretId} ${event.ClientRequestToken}`);
    try {
      await rotate(event, parseRotationProperties(properties), client, redactor, log);
    } catch (error) {
      const safe = error instanceof HandlerError ? error : new HandlerError(redactor.redact(describeError(error)));
      log.warn(`${event.Step} failed: ${safe.message}`);
      throw safe;
    }
  };
}

function propertiesFromEnvironment(): Readonly<Record<string, unknown>> {
  const raw = process.env.REPLICATION_PROPERTIES;
  if (!raw) throw new HandlerError('REPLICATION_PROPERTIES is not set: the rotation function needs the replication properties as JSON');
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new HandlerError('REPLICATION_PROPERTIES is not JSON');
  }
}

/** The Lambda entry point (Provider framework onEvent). */
export const onEvent = createReplicationHandler();

/** The Lambda entry point of the replication secret's rotation (Secrets Manager rotation function). */
export const onRotate = (event: RotationEvent): Promise<void> => createReplicationRotationHandler(propertiesFromEnvironment())(event);
