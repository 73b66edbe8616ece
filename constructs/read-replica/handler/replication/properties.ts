/**
 * The contracts of the replication handler: its ResourceProperties, the rotation function's
 * REPLICATION_PROPERTIES, and the limits they are checked against (zod, core/runtime/properties).
 */
import { z } from 'zod';
import { forbidden, integer, matching, parseProperties, requiredText, userName } from '../../../core/runtime/properties';

/** MySQL limits the password given to CHANGE REPLICATION SOURCE TO (SOURCE_PASSWORD) to 32 characters. */
export const MAX_REPLICATION_PASSWORD_LENGTH = 32;

/** Binary log retention on the source when BinlogRetentionHours is not given. */
export const DEFAULT_BINLOG_RETENTION_HOURS = 72;
/** Aurora MySQL 3 keeps binary logs for at most 90 days. */
export const MAX_BINLOG_RETENTION_HOURS = 2160;

/**
 * Characters never used in rotated replication passwords: the same set as the CDK-generated first
 * value (constructs/database/clinspark-database.ts PASSWORD_EXCLUDED_CHARACTERS; a test keeps the
 * two equal). They break URLs, shells or JDBC strings.
 */
export const REPLICATION_PASSWORD_EXCLUDED_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\,=^';

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
export type SourceEndpoint = Pick<RotationProperties, 'sourceHost' | 'sourcePort' | 'replicationUser'>;

const sourceHost = matching(/^[A-Za-z0-9.-]{1,255}$/, 'a host name or IP address', {
  fix: "give the source cluster's endpoint",
}) as z.ZodType<string, unknown>;
const sourcePort = integer(1, 65535, 3306);
const arn = (what: string) => requiredText({ fix: `give the ARN of ${what}` });

/** An Aurora cluster identifier: 1-63 lowercase letters, digits and single hyphens, starting with a letter. */
const clusterIdentifier = matching(
  /^(?!.*--)(?!.*-$)[a-z][a-z0-9-]{0,62}$/,
  'an Aurora cluster identifier (1-63 lowercase letters, digits and single hyphens, starting with a letter, not ending with a hyphen)',
  { optional: true },
);

const replicationSchema = z.object({
  SourceSecretArn: arn("PROD Main's master secret"),
  ReplicaSecretArn: arn("the replica's master secret"),
  ReplicationUser: userName(),
  ReplicationSecretArn: arn('the replication secret'),
  SourceHost: sourceHost,
  SourcePort: sourcePort,
  BinlogRetentionHours: integer(1, MAX_BINLOG_RETENTION_HOURS, DEFAULT_BINLOG_RETENTION_HOURS),
  ReplicaClusterIdentifier: clusterIdentifier,
  ReadOnlyUser: userName('RO_USER'),
});

const rotationSchema = z.object({
  SourceSecretArn: forbidden(
    "is given to the rotation function; it must not hold the source's master secret " +
      "(it rotates in the replication user's own session): remove it from " +
      'REPLICATION_PROPERTIES',
  ),
  ReplicaSecretArn: arn("the replica's master secret"),
  ReplicationUser: userName(),
  ReplicationSecretArn: arn('the replication secret'),
  SourceHost: sourceHost,
  SourcePort: sourcePort,
});

export function parseReplicationProperties(props: Readonly<Record<string, unknown>>): ReplicationProperties {
  const p = parseProperties(replicationSchema, props);
  return {
    sourceSecretArn: p.SourceSecretArn,
    replicaSecretArn: p.ReplicaSecretArn,
    replicationUser: p.ReplicationUser,
    replicationSecretArn: p.ReplicationSecretArn,
    sourceHost: p.SourceHost,
    sourcePort: p.SourcePort,
    binlogRetentionHours: p.BinlogRetentionHours,
    replicaClusterIdentifier: p.ReplicaClusterIdentifier,
    readOnlyUser: p.ReadOnlyUser,
  };
}

/** The rotation's contract (REPLICATION_PROPERTIES): SourceSecretArn is refused, not ignored. */
export function parseRotationProperties(props: Readonly<Record<string, unknown>>): RotationProperties {
  const p = parseProperties(rotationSchema, props);
  return {
    replicaSecretArn: p.ReplicaSecretArn,
    replicationUser: p.ReplicationUser,
    replicationSecretArn: p.ReplicationSecretArn,
    sourceHost: p.SourceHost,
    sourcePort: p.SourcePort,
  };
}

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
