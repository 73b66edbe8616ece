/**
 * The database secret of a cluster (RDS-managed or CDK-generated JSON), read from Secrets
 * Manager. Apart from the connection helpers (database.ts) so that a handler that only reads
 * secrets does not bundle the MySQL driver. Errors never contain the value.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

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
