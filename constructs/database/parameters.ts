/**
 * Cluster parameters of every ClinSpark database (Aurora MySQL 3, family aurora-mysql8.0).
 * Kept in one table so reviewers see the whole security-relevant configuration at once.
 */
export interface ParameterOptions {
  /** ROW binary logs with GTID, for a binlog replica of this cluster. */
  readonly replicationSource: boolean;
}

/** Statement classes written to the audit log: connections, DDL and DCL (accounts and grants). */
export const AUDIT_EVENTS = 'CONNECT,QUERY_DDL,QUERY_DCL';

export function databaseParameters(options: ParameterOptions): Record<string, string> {
  const parameters: Record<string, string> = {
    // Encryption in transit: plain connections are refused; TLS 1.2 or 1.3 only.
    require_secure_transport: 'ON',
    tls_version: 'TLSv1.2,TLSv1.3',
    // Advanced auditing: who connected, and every schema and privilege change.
    server_audit_logging: '1',
    server_audit_events: AUDIT_EVENTS,
    server_audit_excl_users: 'rdsadmin',
    // Error and slow-query logs (exported to CloudWatch Logs).
    slow_query_log: '1',
    long_query_time: '2',
    log_output: 'FILE',
    character_set_server: 'utf8mb4',
    collation_server: 'utf8mb4_unicode_ci',
  };
  if (options.replicationSource) {
    Object.assign(parameters, {
      binlog_format: 'ROW',
      binlog_row_image: 'FULL',
      gtid_mode: 'ON',
      enforce_gtid_consistency: 'ON',
    });
  }
  return parameters;
}
