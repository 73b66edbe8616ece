/**
 * The default `max_connections` of Aurora MySQL per DB instance class and per Serverless v2
 * maximum capacity: what the connection alarms compare `DatabaseConnections` against (the
 * clusters use the default; constructs/database/parameters.ts does not set max_connections).
 *
 * Provisioned classes, from the table "Maximum connections to an Aurora MySQL DB instance"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Managing.Performance.html#AuroraMySQL.Managing.MaxConnections).
 * The formula behind it (log2 of DBInstanceClassMemory, +1000 per doubling of memory for the R
 * classes) is documented there; the table's values are used as published, the formula is not
 * re-computed here.
 */
export const AURORA_MYSQL_MAX_CONNECTIONS: Readonly<Record<string, number>> = {
  'db.t3.medium': 90,
  'db.t3.large': 135,
  'db.t4g.medium': 90,
  'db.t4g.large': 135,
  'db.r5.large': 1000,
  'db.r5.xlarge': 2000,
  'db.r5.2xlarge': 3000,
  'db.r5.4xlarge': 4000,
  'db.r5.8xlarge': 5000,
  'db.r5.12xlarge': 6000,
  'db.r5.16xlarge': 6000,
  'db.r5.24xlarge': 7000,
  'db.r6g.large': 1000,
  'db.r6g.xlarge': 2000,
  'db.r6g.2xlarge': 3000,
  'db.r6g.4xlarge': 4000,
  'db.r6g.8xlarge': 5000,
  'db.r6g.12xlarge': 6000,
  'db.r6g.16xlarge': 6000,
  'db.r6i.large': 1000,
  'db.r6i.xlarge': 2000,
  'db.r6i.2xlarge': 3000,
  'db.r6i.4xlarge': 4000,
  'db.r6i.8xlarge': 5000,
  'db.r6i.12xlarge': 6000,
  'db.r6i.16xlarge': 6000,
  'db.r6i.24xlarge': 7000,
  'db.r6i.32xlarge': 7000,
  'db.r7g.large': 1000,
  'db.r7g.xlarge': 2000,
  'db.r7g.2xlarge': 3000,
  'db.r7g.4xlarge': 4000,
  'db.r7g.8xlarge': 5000,
  'db.r7g.12xlarge': 6000,
  'db.r7g.16xlarge': 6000,
  'db.r7i.large': 1000,
  'db.r7i.xlarge': 2000,
  'db.r7i.2xlarge': 3000,
  'db.r7i.4xlarge': 4000,
  'db.r7i.8xlarge': 5000,
  'db.r7i.12xlarge': 6000,
  'db.r7i.16xlarge': 6000,
  'db.r7i.24xlarge': 7000,
  'db.r7i.48xlarge': 8000,
  'db.r8g.large': 1000,
  'db.r8g.xlarge': 2000,
  'db.r8g.2xlarge': 3000,
  'db.r8g.4xlarge': 4000,
  'db.r8g.8xlarge': 5000,
  'db.r8g.12xlarge': 6000,
  'db.r8g.16xlarge': 6000,
  'db.r8g.24xlarge': 7000,
  'db.r8g.48xlarge': 8000,
  'db.x2g.large': 2000,
  'db.x2g.xlarge': 3000,
  'db.x2g.2xlarge': 4000,
  'db.x2g.4xlarge': 5000,
  'db.x2g.8xlarge': 6000,
  'db.x2g.12xlarge': 7000,
  'db.x2g.16xlarge': 7000,
};

/**
 * Serverless v2: `max_connections` is held constant and derived from the memory of the cluster's
 * *maximum* ACUs (table "Maximum connections for Aurora Serverless v2", Aurora MySQL column:
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html#aurora-serverless-v2.max-connections).
 * A maximum between two rows gets the lower row's value (the conservative side: the alarm fires
 * earlier, never later).
 */
export const AURORA_MYSQL_SERVERLESS_V2_MAX_CONNECTIONS: ReadonlyArray<readonly [maxAcu: number, maxConnections: number]> = [
  [1, 90],
  [4, 135],
  [8, 1000],
  [16, 2000],
  [32, 3000],
  [64, 4000],
  [128, 5000],
];

export type MaxConnectionsInput =
  { readonly mode: 'serverless'; readonly maxAcu: number } | { readonly mode: 'provisioned'; readonly instanceClass: string };

/** The default max_connections of one instance of this capacity; undefined for an instance class the table does not list. */
export function auroraMysqlMaxConnections(capacity: MaxConnectionsInput): number | undefined {
  if (capacity.mode === 'provisioned') return AURORA_MYSQL_MAX_CONNECTIONS[capacity.instanceClass];
  const rows = AURORA_MYSQL_SERVERLESS_V2_MAX_CONNECTIONS.filter(([acu]) => acu <= capacity.maxAcu);
  return rows.length > 0 ? rows[rows.length - 1][1] : AURORA_MYSQL_SERVERLESS_V2_MAX_CONNECTIONS[0][1];
}
