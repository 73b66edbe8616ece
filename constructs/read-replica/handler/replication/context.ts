/**
 * What every step of the replication handler is given: the handler's settings (resolved once
 * from ReplicationHandlerOptions), the AWS clients, and the invocation's redactor and logger.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as mysql from 'mysql2/promise';
import { Invocation } from '../../../core/runtime/custom-resource';
import { quoteIdentifier } from '../../../core/runtime/database';
import { DELETE_CONNECT_TIMEOUT_MS, query, Row } from '../../../core/runtime/mysql';
import { MASTER_RESET_TIMING, MasterResetTiming } from '../../../core/runtime/rds';

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

/** The options with their defaults applied. */
export interface Settings {
  readonly procedureSchema: string;
  readonly statusStatement: string;
  readonly startTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly connectTimeoutMs: number;
  readonly deleteConnectTimeoutMs: number;
  readonly masterReset: MasterResetTiming;
  readonly selfPasswordStatement: string;
  readonly lockableAccounts: string;
  readonly secretsManager: () => SecretsManagerClient;
  readonly rds: () => RDSClient;
}

export function resolveSettings(options: ReplicationHandlerOptions): Settings {
  let secretsManager = options.secretsManager;
  let rds = options.rds;
  return {
    procedureSchema: quoteIdentifier(options.procedureSchema ?? 'mysql'),
    statusStatement: options.replicaStatusStatement ?? 'SHOW REPLICA STATUS',
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    pollIntervalMs: options.pollIntervalMs ?? 2_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    deleteConnectTimeoutMs: options.deleteConnectTimeoutMs ?? DELETE_CONNECT_TIMEOUT_MS,
    masterReset: {
      pollMs: options.masterResetPollMs ?? MASTER_RESET_TIMING.pollMs,
      timeoutMs: options.masterResetTimeoutMs ?? MASTER_RESET_TIMING.timeoutMs,
    },
    selfPasswordStatement: options.selfPasswordStatement ?? 'ALTER USER CURRENT_USER() IDENTIFIED BY ?',
    lockableAccounts: options.lockableAccounts ?? '%',
    secretsManager: () => (secretsManager ??= new SecretsManagerClient({})),
    rds: () => (rds ??= new RDSClient({})),
  };
}

/** One invocation of the handler: settings, clients, redactor and logger. */
export interface Step extends Invocation {
  readonly settings: Settings;
  readonly client: SecretsManagerClient;
}

export function stepOf(settings: Settings, invocation: Invocation): Step {
  return { ...invocation, settings, client: settings.secretsManager() };
}

/** CALL of an rds_* procedure in the configured schema. */
export function call(
  step: Step,
  conn: mysql.Connection,
  name: string,
  args: unknown[],
  side: 'replica' | 'source' = 'replica',
): Promise<Row[]> {
  return query(
    conn,
    `${side}: CALL ${name}`,
    `CALL ${step.settings.procedureSchema}.${quoteIdentifier(name)}(${args.map(() => '?').join(', ')})`,
    args,
    step.redactor,
  );
}

/** A column value as text ('' for NULL). */
export function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return Buffer.isBuffer(v) ? v.toString('utf8') : JSON.stringify(v);
}
