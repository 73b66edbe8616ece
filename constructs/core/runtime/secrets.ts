/**
 * Secrets Manager reads and writes for the handlers. Every value read is registered with the
 * invocation's Redactor before anything can log it; errors name the secret ARN, never the value.
 */
import { GetRandomPasswordCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DatabaseSecret, readDatabaseSecret } from './database-secret';
import { HandlerError, wrapError } from './errors';
import { addPassword, Redactor } from './redaction';

/** Reads a database (master) secret and registers its password (and its native hash) with the redactor. */
export async function readAdminSecret(
  client: SecretsManagerClient,
  arn: string,
  label: string,
  redactor: Redactor,
): Promise<DatabaseSecret> {
  try {
    const secret = await readDatabaseSecret(client, arn);
    addPassword(redactor, secret.password);
    return secret;
  } catch (error) {
    throw wrapError(`${label}: cannot read secret ${arn}`, error, redactor);
  }
}

/**
 * Reads a secret's SecretString. Returns undefined when the secret has no current value yet
 * (ResourceNotFoundException on GetSecretValue). Other errors propagate, wrapped. The caller
 * registers what it finds inside with the redactor.
 */
export async function readSecretString(
  client: SecretsManagerClient,
  arn: string,
  label: string,
  redactor: Redactor,
): Promise<string | undefined> {
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    return out.SecretString;
  } catch (error) {
    if ((error as { name?: string })?.name === 'ResourceNotFoundException') return undefined;
    throw wrapError(`${label}: cannot read secret ${arn}`, error, redactor);
  }
}

/** The `password` of a JSON secret, registered with the redactor; `minLength` refuses a placeholder. */
export async function readSecretPassword(
  client: SecretsManagerClient,
  arn: string,
  label: string,
  redactor: Redactor,
  minLength = 1,
): Promise<string> {
  const raw = await readSecretString(client, arn, label, redactor);
  let password: unknown;
  try {
    password = (JSON.parse(raw ?? '') as { password?: unknown }).password;
  } catch {
    throw new HandlerError(`${label}: secret ${arn} is not JSON; it must hold {"password": "..."}`);
  }
  if (typeof password !== 'string' || password.length < minLength) {
    throw new HandlerError(`${label}: secret ${arn} has no usable 'password'${minLength > 1 ? ` (at least ${minLength} characters)` : ''}`);
  }
  addPassword(redactor, password);
  return password;
}

/** A secret's value as bytes (SecretString as UTF-8, or SecretBinary), registered with the redactor (text and hex). */
export async function readSecretBytes(client: SecretsManagerClient, arn: string, label: string, redactor: Redactor): Promise<Buffer> {
  let out;
  try {
    out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  } catch (error) {
    throw wrapError(`${label}: cannot read secret ${arn}`, error, redactor);
  }
  const bytes =
    out.SecretString !== undefined ? Buffer.from(out.SecretString, 'utf8') : out.SecretBinary ? Buffer.from(out.SecretBinary) : undefined;
  if (!bytes) throw new HandlerError(`${label}: secret ${arn} has no value`);
  redactor.add(out.SecretString);
  redactor.add(bytes.toString('hex'));
  return bytes;
}

/**
 * A new password from Secrets Manager (GetRandomPassword: every included character class, no
 * space, none of `excludeCharacters`), registered with the redactor before anything can log it.
 */
export async function generatePassword(
  client: SecretsManagerClient,
  length: number,
  excludeCharacters: string,
  redactor: Redactor,
  label: string,
): Promise<string> {
  let password: string | undefined;
  try {
    const out = await client.send(
      new GetRandomPasswordCommand({
        PasswordLength: length,
        ExcludeCharacters: excludeCharacters,
        IncludeSpace: false,
        RequireEachIncludedType: true,
      }),
    );
    password = out.RandomPassword;
  } catch (error) {
    throw wrapError(`${label}: GetRandomPassword failed`, error, redactor);
  }
  if (!password) throw new HandlerError(`${label}: GetRandomPassword returned no password`);
  addPassword(redactor, password);
  return password;
}
