/**
 * MariaDB stand-ins for the Aurora MySQL 3 replication procedures, created in a scratch schema
 * (a test must not create routines in `mysql`). Same names and parameters as Aurora's
 * mysql.rds_* procedures; each one records its call in `calls` and moves a one-row
 * `replica_status` table the way Aurora's replica status would move. `rds_show_replica_status()`
 * stands in for SHOW REPLICA STATUS and returns Aurora MySQL 3 column names (Replica_IO_Running,
 * Source_Host, Seconds_Behind_Source, ...), which MariaDB's own SHOW SLAVE STATUS does not.
 *
 * The source-side procedures `rds_show_configuration()` and `rds_set_configuration(name, value)`
 * (binlog retention) keep a `configuration` table and record their writes in `source_calls`, so
 * that `calls` stays the replica's own record (on Aurora they run on two different clusters).
 *
 * `behaviour` decides what starting replication leads to: after `connecting_polls` status reads
 * the I/O thread shows `final_io` with `io_errno`/`io_error` (`{password}` in io_error is replaced
 * by the password given to rds_set_external_source_with_auto_position, to prove redaction), the
 * SQL thread shows `final_sql` with `sql_errno`/`sql_error`; `ssl_effective = 0` makes
 * rds_set_binlog_source_ssl(1) have no effect.
 *
 * (`host_port + 0` in JSON_ARRAY: MariaDB turns an INT routine parameter into a JSON string.)
 */
import * as mysql from 'mysql2/promise';
import { adminConnection } from '../support/db';

export const STAND_IN_PROCEDURES = [
  'rds_set_external_source_with_auto_position',
  'rds_set_binlog_source_ssl',
  'rds_start_replication',
  'rds_stop_replication',
  'rds_reset_external_source',
  'rds_show_replica_status',
  'rds_show_configuration',
  'rds_set_configuration',
] as const;

const RUNNING_ERROR =
  "SIGNAL SQLSTATE 'HY000' SET MESSAGE_TEXT = 'This operation cannot be performed " +
  "with running replication threads; run STOP REPLICA first', MYSQL_ERRNO = 3081";

const STATEMENTS = [
  'CREATE TABLE calls (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL, args LONGTEXT NOT NULL)',
  'CREATE TABLE source_calls (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL, args LONGTEXT NOT NULL)',
  'CREATE TABLE configuration (name VARCHAR(64) PRIMARY KEY, value VARCHAR(64) NULL, description VARCHAR(255) NOT NULL)',
  `INSERT INTO configuration VALUES
     ('binlog retention hours', NULL, 'binlog ` +
    `retention hours specifies the duration in hours before binary logs are ` +
    `automatically deleted.'),
     ('source delay', '0', 'source delay specifies ` +
    `how many seconds the replica should wait before applying changes from the ` +
    `source.')`,
  `CREATE PROCEDURE rds_show_configuration()
   BEGIN
     SELECT name, value, description FROM configuration ORDER BY name;
   END`,
  `CREATE PROCEDURE rds_set_configuration(IN name VARCHAR(64), IN value INT)
   BEGIN
     INSERT INTO source_calls (name, args) VALUES ('rds_set_configuration', JSON_ARRAY(name, value + 0));
     IF NOT EXISTS (SELECT 1 FROM configuration c WHERE c.name = name) THEN
       SIGNAL SQLSTATE 'HY000' SET MESSAGE_TEXT = 'Invalid configuration name', MYSQL_ERRNO = 1644;
     END IF;
     UPDATE configuration c SET c.value = value WHERE c.name = name;
   END`,
  `CREATE TABLE behaviour (
     id TINYINT PRIMARY KEY, final_io VARCHAR(16) NOT ` +
    `NULL DEFAULT 'Yes', final_sql VARCHAR(16) NOT NULL DEFAULT 'Yes',
     io_errno ` +
    `INT NOT NULL DEFAULT 0, io_error TEXT NOT NULL DEFAULT '', sql_errno INT NOT ` +
    `NULL DEFAULT 0, sql_error TEXT NOT NULL DEFAULT '',
     seconds_behind INT ` +
    `NULL DEFAULT 0, connecting_polls INT NOT NULL DEFAULT 2, ssl_effective TINYINT ` +
    `NOT NULL DEFAULT 1)`,
  'INSERT INTO behaviour (id) VALUES (1)',
  `CREATE TABLE replica_status (
     Replica_IO_State VARCHAR(128) NOT NULL, Source_Host VARCHAR(255) NOT NULL, Source_User VARCHAR(64) NOT NULL, Source_Port INT NOT NULL,
     Replica_IO_Running VARCHAR(16) NOT NULL, Replica_SQL_Running VARCHAR(16) NOT NULL,
     Last_IO_Errno INT NOT NULL, Last_IO_Error TEXT NOT NULL, Last_SQL_Errno INT NOT NULL, Last_SQL_Error TEXT NOT NULL,
     Seconds_Behind_Source INT NULL, Source_SSL_Allowed VARCHAR(8) NOT NULL, Auto_Position INT NOT NULL, polls INT NOT NULL DEFAULT 0)`,
  `CREATE PROCEDURE rds_set_external_source_with_auto_position(
     IN host_name ` +
    `VARCHAR(255), IN host_port INT, IN replication_user_name VARCHAR(255), IN ` +
    `replication_user_password VARCHAR(255), IN ssl_encryption INT)
   BEGIN
     IF ` +
    `EXISTS (SELECT 1 FROM replica_status WHERE Replica_IO_Running <> 'No' OR ` +
    `Replica_SQL_Running <> 'No') THEN ${RUNNING_ERROR}; END IF;
     INSERT INTO ` +
    `calls (name, args) VALUES ('rds_set_external_source_with_auto_position',
       ` +
    `JSON_ARRAY(host_name, host_port + 0, replication_user_name, ` +
    `replication_user_password, ssl_encryption + 0));
     DELETE FROM ` +
    `replica_status;
     INSERT INTO replica_status VALUES ('', host_name, ` +
    `replication_user_name, host_port, 'No', 'No', 0, '', 0, '', NULL, 'No', 1, ` +
    `0);
   END`,
  `CREATE PROCEDURE rds_set_binlog_source_ssl(IN mode INT)
   BEGIN
     INSERT INTO calls (name, args) VALUES ('rds_set_binlog_source_ssl', JSON_ARRAY(mode + 0));
     UPDATE replica_status r JOIN behaviour b ON b.id = 1 SET r.Source_SSL_Allowed = IF(mode = 1 AND b.ssl_effective = 1, 'Yes', 'No');
   END`,
  `CREATE PROCEDURE rds_start_replication()
   BEGIN
     INSERT INTO calls (name, args) VALUES ('rds_start_replication', JSON_ARRAY());
     IF NOT EXISTS (SELECT 1 FROM replica_status) THEN
       SIGNAL SQLSTATE 'HY000' SET MESSAGE_TEXT = 'Replica is not configured', MYSQL_ERRNO = 3080;
     END IF;
     UPDATE replica_status r JOIN behaviour b ON b.id = 1
       SET r.Replica_IO_Running = 'Connecting', r.Replica_IO_State = 'Connecting to source', r.polls = 0,
           r.Replica_SQL_Running = b.final_sql, r.Last_SQL_Errno = b.sql_errno, r.Last_SQL_Error = b.sql_error;
   END`,
  `CREATE PROCEDURE rds_stop_replication()
   BEGIN
     INSERT INTO calls (name, args) VALUES ('rds_stop_replication', JSON_ARRAY());
     UPDATE replica_status SET Replica_IO_Running = 'No', Replica_SQL_Running = 'No', Replica_IO_State = '', Seconds_Behind_Source = NULL;
   END`,
  `CREATE PROCEDURE rds_reset_external_source()
   BEGIN
     IF EXISTS (SELECT 1 FROM replica_status WHERE Replica_IO_Running <> 'No' OR Replica_SQL_Running <> 'No') THEN ${RUNNING_ERROR}; END IF;
     INSERT INTO calls (name, args) VALUES ('rds_reset_external_source', JSON_ARRAY());
     DELETE FROM replica_status;
   END`,
  `CREATE PROCEDURE rds_show_replica_status()
   BEGIN
     UPDATE replica_status ` +
    `SET polls = polls + 1 WHERE Replica_IO_Running = 'Connecting';
     UPDATE ` +
    `replica_status r JOIN behaviour b ON b.id = 1
       SET r.Replica_IO_Running = ` +
    `b.final_io,
           r.Replica_IO_State = IF(b.final_io = 'Yes', 'Waiting for ` +
    `source to send event', IF(b.final_io = 'Connecting', 'Connecting to source', ` +
    `'')),
           r.Last_IO_Errno = b.io_errno,
           r.Last_IO_Error = ` +
    `REPLACE(b.io_error, '{password}', COALESCE((SELECT JSON_VALUE(args, '$[3]') ` +
    `FROM calls
                               WHERE name = ` +
    `'rds_set_external_source_with_auto_position' ORDER BY id DESC LIMIT 1), ` +
    `'')),
           r.Seconds_Behind_Source = IF(b.final_io = 'Yes' AND ` +
    `r.Replica_SQL_Running = 'Yes', b.seconds_behind, NULL)
       WHERE ` +
    `r.Replica_IO_Running = 'Connecting' AND r.polls >= b.connecting_polls;
     ` +
    `SELECT Replica_IO_State, Source_Host, Source_User, Source_Port, ` +
    `Replica_IO_Running, Replica_SQL_Running,
            Last_IO_Errno, ` +
    `Last_IO_Error, Last_SQL_Errno, Last_SQL_Error, Seconds_Behind_Source, ` +
    `Source_SSL_Allowed, Auto_Position
       FROM replica_status;
   END`,
];

/** Creates the stand-ins in `schema` (which must exist and be empty). */
export async function createAuroraStandIns(schema: string): Promise<void> {
  const conn = await adminConnection(schema);
  try {
    for (const sql of STATEMENTS) await conn.query(sql);
  } finally {
    await conn.end();
  }
}

export interface RecordedCall {
  readonly name: string;
  readonly args: unknown[];
}

export async function recordedCalls(admin: mysql.Connection, schema: string): Promise<RecordedCall[]> {
  const [rows] = await admin.query(`SELECT name, args FROM \`${schema}\`.calls ORDER BY id`);
  return (rows as Array<{ name: string; args: string }>).map((r) => ({ name: r.name, args: JSON.parse(r.args) as unknown[] }));
}

/** The source-side procedure calls (binlog retention), in order. */
export async function recordedSourceCalls(admin: mysql.Connection, schema: string): Promise<RecordedCall[]> {
  const [rows] = await admin.query(`SELECT name, args FROM \`${schema}\`.source_calls ORDER BY id`);
  return (rows as Array<{ name: string; args: string }>).map((r) => ({ name: r.name, args: JSON.parse(r.args) as unknown[] }));
}

/** The source's configuration as rds_show_configuration shows it. */
export async function sourceConfiguration(admin: mysql.Connection, schema: string): Promise<Record<string, string | null>> {
  const [rows] = await admin.query(`SELECT name, value FROM \`${schema}\`.configuration`);
  return Object.fromEntries((rows as Array<{ name: string; value: string | null }>).map((r) => [r.name, r.value]));
}

export async function setSourceConfiguration(admin: mysql.Connection, schema: string, name: string, value: string | null): Promise<void> {
  await admin.query(`UPDATE \`${schema}\`.configuration SET value = ? WHERE name = ?`, [value, name]);
}

export interface Behaviour {
  final_io?: string;
  final_sql?: string;
  io_errno?: number;
  io_error?: string;
  sql_errno?: number;
  sql_error?: string;
  seconds_behind?: number | null;
  connecting_polls?: number;
  ssl_effective?: number;
}

export async function setBehaviour(admin: mysql.Connection, schema: string, behaviour: Behaviour): Promise<void> {
  await admin.query(`UPDATE \`${schema}\`.behaviour SET ? WHERE id = 1`, [behaviour]);
}

/** Puts the stand-in replica into a state as if some other replication had been configured. */
export async function setReplicaStatus(
  admin: mysql.Connection,
  schema: string,
  status: { host: string; port: number; user: string; running: boolean },
): Promise<void> {
  const state = status.running ? 'Yes' : 'No';
  await admin.query(`DELETE FROM \`${schema}\`.replica_status`);
  await admin.query(`INSERT INTO \`${schema}\`.replica_status VALUES ('', ?, ?, ?, ?, ?, 0, '', 0, '', 0, 'Yes', 1, 0)`, [
    status.host,
    status.user,
    status.port,
    state,
    state,
  ]);
}
