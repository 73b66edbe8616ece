/** The replica's side of SHOW REPLICA STATUS: reading it, describing it, and waiting for it to run. */
import * as mysql from 'mysql2/promise';
import { HandlerError } from '../../../core/runtime/errors';
import { query } from '../../../core/runtime/mysql';
import { done, notYet, pollUntil } from '../../../core/runtime/poll';
import { str, Step } from './context';
import { SourceEndpoint } from './properties';

/** The SHOW REPLICA STATUS fields the handler reads (Aurora MySQL 3 / MySQL 8.0.22+ names). */
export interface ReplicaStatus {
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

export async function readStatus(step: Step, conn: mysql.Connection): Promise<ReplicaStatus | undefined> {
  const rows = await query(conn, 'replica: SHOW REPLICA STATUS', step.settings.statusStatement, [], step.redactor);
  if (rows.length === 0) return undefined;
  const row = rows[0];
  if (!('Replica_IO_Running' in row)) {
    throw new HandlerError(
      `replica: unexpected SHOW REPLICA STATUS output (no Replica_IO_Running column; ` +
        `columns: ${Object.keys(row).join(', ')}); Aurora MySQL 3 is required`,
    );
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
    secondsBehindSource:
      row.Seconds_Behind_Source === null || row.Seconds_Behind_Source === undefined ? null : str(row.Seconds_Behind_Source),
    sslAllowed: str(row.Source_SSL_Allowed),
    autoPosition: str(row.Auto_Position),
  };
}

export function describeStatus(s: ReplicaStatus): string {
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

/** The replica replicates from this source, as this user, by GTID auto-position, over TLS, both threads running. */
export const upToDate = (s: ReplicaStatus | undefined, props: SourceEndpoint): boolean =>
  !!s &&
  s.sourceHost === props.sourceHost &&
  s.sourcePort === props.sourcePort &&
  s.sourceUser === props.replicationUser &&
  s.autoPosition === '1' &&
  s.sslAllowed === 'Yes' &&
  s.ioRunning === 'Yes' &&
  s.sqlRunning === 'Yes';

const HINT =
  'Check that the source security group admits the replica cluster, that binlog_format and gtid_mode=ON are set on both clusters, ' +
  'and that the replication secret holds the password of the replication user.';

/**
 * Polls SHOW REPLICA STATUS until both threads run (bounded by startTimeoutMs). A thread stopped
 * with an error fails at once; running without TLS is refused.
 */
export async function waitUntilRunning(step: Step, conn: mysql.Connection): Promise<ReplicaStatus> {
  const { redactor, settings } = step;
  return pollUntil(
    async () => {
      const status = await readStatus(step, conn);
      if (!status)
        throw new HandlerError('replica: SHOW REPLICA STATUS is empty after rds_start_replication: replication is not configured');
      if (status.ioRunning === 'Yes' && status.sqlRunning === 'Yes') {
        if (status.sslAllowed !== 'Yes') {
          throw new HandlerError(
            redactor.redact(
              `replica: replication runs without TLS ` +
                `(Source_SSL_Allowed=${status.sslAllowed || '(empty)'}); refusing. ` +
                `${describeStatus(status)}`,
            ),
          );
        }
        return done(status);
      }
      if ((status.sqlRunning === 'No' && status.lastSqlErrno !== 0) || (status.ioRunning === 'No' && status.lastIoErrno !== 0)) {
        throw new HandlerError(
          redactor.redact(
            `replica: replication did not start (a replication thread stopped with an error): ${describeStatus(status)}. ${HINT}`,
          ),
        );
      }
      return notYet(status);
    },
    {
      timeoutMs: settings.startTimeoutMs,
      intervalMs: settings.pollIntervalMs,
      onTimeout: (status) =>
        new HandlerError(
          redactor.redact(
            `replica: replication did not start within ${Math.round(settings.startTimeoutMs / 1000)} s: ${describeStatus(status)}. ${HINT}`,
          ),
        ),
    },
  );
}
