/** The replication secret: `{"username": ..., "password": ...}` of the replication user. */
import { HandlerError } from '../../../core/runtime/errors';
import { readSecretString } from '../../../core/runtime/secrets';
import { Redactor } from '../../../core/runtime/redaction';
import { Step } from './context';
import { MAX_REPLICATION_PASSWORD_LENGTH, ReplicationProperties } from './properties';

/** Checks a replication secret's JSON and returns its password (registered with the redactor). */
export function parseReplicationSecret(
  raw: string | undefined,
  label: string,
  props: Pick<ReplicationProperties, 'replicationUser'>,
  redactor: Redactor,
): string {
  if (!raw) throw new HandlerError(`${label} has no value`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HandlerError(`${label} is not JSON; expected {"username": "...", "password": "..."}`);
  }
  const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
  if (typeof password !== 'string' || password === '') throw new HandlerError(`${label} lacks 'password'`);
  redactor.add(password);
  if (username !== undefined && username !== props.replicationUser) {
    throw new HandlerError(`${label} is for user ${JSON.stringify(username)}, but ReplicationUser is '${props.replicationUser}'`);
  }
  if (password.length > MAX_REPLICATION_PASSWORD_LENGTH) {
    throw new HandlerError(
      `${label}: the password has ${password.length} characters; CHANGE REPLICATION ` +
        `SOURCE TO accepts at most ${MAX_REPLICATION_PASSWORD_LENGTH}`,
    );
  }
  return password;
}

export async function readReplicationPassword(step: Step, props: ReplicationProperties): Promise<string> {
  const raw = await readSecretString(step.client, props.replicationSecretArn, 'replication secret', step.redactor);
  return parseReplicationSecret(raw, `replication secret ${props.replicationSecretArn}`, props, step.redactor);
}
