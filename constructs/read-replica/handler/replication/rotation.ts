/**
 * The rotation of the replication secret (a Secrets Manager rotation function): createSecret,
 * setSecret, testSecret, finishSecret. Holds no credential of the source's master user.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import * as mysql from 'mysql2/promise';
import { HandlerError, wrapError } from '../../../core/runtime/errors';
import { ACCESS_DENIED, canLogin, closeQuietly, connect, query } from '../../../core/runtime/mysql';
import { generatePassword, readAdminSecret } from '../../../core/runtime/secrets';
import { Step } from './context';
import { MAX_REPLICATION_PASSWORD_LENGTH, REPLICATION_PASSWORD_EXCLUDED_CHARACTERS, RotationProperties } from './properties';
import { configureReplica } from './replica';
import { parseReplicationSecret } from './secret';
import { describeStatus, readStatus, upToDate, waitUntilRunning } from './status';

/** What Secrets Manager sends a rotation function (@types/aws-lambda). */
export type RotationEvent = Readonly<SecretsManagerRotationEvent>;

async function secretVersionStages(
  step: Step,
  secretId: string,
): Promise<{ rotationEnabled: boolean; versions: Record<string, string[]> }> {
  try {
    const out = await step.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return { rotationEnabled: out.RotationEnabled === true, versions: out.VersionIdsToStages ?? {} };
  } catch (error) {
    throw wrapError(`rotation: DescribeSecret ${secretId} failed`, error, step.redactor);
  }
}

async function readVersion(
  step: Step,
  secretId: string,
  stage: 'AWSCURRENT' | 'AWSPENDING',
  versionId: string | undefined,
): Promise<string | undefined> {
  try {
    const out = await step.client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage, VersionId: versionId }));
    return out.SecretString;
  } catch (error) {
    if ((error as { name?: string })?.name === 'ResourceNotFoundException') return undefined;
    throw wrapError(`rotation: cannot read the ${stage} version of ${secretId}`, error, step.redactor);
  }
}

async function currentPassword(step: Step, event: RotationEvent, props: RotationProperties): Promise<string> {
  return parseReplicationSecret(
    await readVersion(step, event.SecretId, 'AWSCURRENT', undefined),
    `the AWSCURRENT version of ${event.SecretId}`,
    props,
    step.redactor,
  );
}

async function pendingPassword(step: Step, event: RotationEvent, props: RotationProperties): Promise<string> {
  const raw = await readVersion(step, event.SecretId, 'AWSPENDING', event.ClientRequestToken);
  return parseReplicationSecret(raw, `the AWSPENDING version of ${event.SecretId}`, props, step.redactor);
}

/** createSecret: a new 32-character password as the AWSPENDING version (kept when it exists). */
async function createPending(step: Step, event: RotationEvent, props: RotationProperties): Promise<void> {
  const { client, redactor, log } = step;
  const currentRaw = await readVersion(step, event.SecretId, 'AWSCURRENT', undefined);
  parseReplicationSecret(currentRaw, `the AWSCURRENT version of ${event.SecretId}`, props, redactor);
  if (await readVersion(step, event.SecretId, 'AWSPENDING', event.ClientRequestToken)) {
    log.info(`createSecret: version ${event.ClientRequestToken} already exists`);
    return;
  }
  const password = await generatePassword(
    client,
    MAX_REPLICATION_PASSWORD_LENGTH,
    REPLICATION_PASSWORD_EXCLUDED_CHARACTERS,
    redactor,
    'rotation',
  );
  const next = { ...(JSON.parse(currentRaw as string) as Record<string, unknown>), username: props.replicationUser, password };
  try {
    await client.send(
      new PutSecretValueCommand({
        SecretId: event.SecretId,
        ClientRequestToken: event.ClientRequestToken,
        SecretString: JSON.stringify(next),
        VersionStages: ['AWSPENDING'],
      }),
    );
  } catch (error) {
    throw wrapError(`rotation: cannot store the AWSPENDING version of ${event.SecretId}`, error, redactor);
  }
  log.info(`createSecret: new password (${password.length} characters) stored as AWSPENDING version ${event.ClientRequestToken}`);
}

/**
 * setSecret: the pending password on the source user, set **in the replication user's own
 * session** (any account may change its own password: MySQL 8.0 ALTER USER, "Any client who
 * connects to the server using a nonanonymous account can change the password for that
 * account"; Aurora MySQL 3 has no `password_require_current`, which the Aurora password-policy
 * page lists for version 8.4 and higher), logged in with the AWSCURRENT password: the rotation
 * holds no credential of the source's master user. Retried after a partial run: when the pending
 * password already logs in, the source is left as it is.
 */
async function setOnSource(step: Step, props: RotationProperties, password: string, current: string): Promise<void> {
  const { redactor, log, settings } = step;
  const endpoint = { host: props.sourceHost, port: props.sourcePort, username: props.replicationUser };
  if (await canLogin({ ...endpoint, password }, 'source: check the AWSPENDING password', redactor, settings.connectTimeoutMs)) {
    log.info(`setSecret: '${props.replicationUser}' already logs in to ${props.sourceHost} with the AWSPENDING password; source unchanged`);
    return;
  }
  let own: mysql.Connection | undefined;
  try {
    own = await connect(
      { ...endpoint, password: current },
      `source: log in as '${props.replicationUser}' with the AWSCURRENT password`,
      redactor,
      settings.connectTimeoutMs,
    );
    // Clear text here: a session without CREATE USER may not name an authentication plugin.
    // See docs/read-replica-handlers.md, "Passwords in audited statements", for what the
    // source's audit log records of it.
    await query(own, `source: '${props.replicationUser}' changes its own password`, settings.selfPasswordStatement, [password], redactor);
  } catch (error) {
    if ((error as HandlerError).errno === ACCESS_DENIED) {
      throw new HandlerError(
        `setSecret: '${props.replicationUser}' logs in to ${props.sourceHost} with ` +
          `neither the AWSCURRENT nor the AWSPENDING password (changed by hand?). ` +
          'The rotation holds no master credential of the source and cannot repair it: run ' +
          'an Update of the replication custom resource (it sets the AWSCURRENT password ' +
          'with the source master secret), then rotate again.',
      );
    }
    throw error;
  } finally {
    await closeQuietly(own);
  }
  log.info(
    `setSecret: '${props.replicationUser}' changed its own password on ` +
      `${props.sourceHost} (its own session; no master credential of the source used)`,
  );
}

/** setSecret: the source first, then the replica (its own master secret) reset and restarted with the new password. */
async function setPending(step: Step, event: RotationEvent, props: RotationProperties): Promise<void> {
  const password = await pendingPassword(step, event, props);
  await setOnSource(step, props, password, await currentPassword(step, event, props));
  const replica = await readAdminSecret(step.client, props.replicaSecretArn, 'replica', step.redactor);
  let replicaConn: mysql.Connection | undefined;
  try {
    replicaConn = await connect(replica, 'replica', step.redactor, step.settings.connectTimeoutMs);
    await configureReplica(step, replicaConn, await readStatus(step, replicaConn), props, password);
    const running = await waitUntilRunning(step, replicaConn);
    step.log.info(
      `setSecret: replica ${replica.host} replicates with the new password ` +
        `(Seconds_Behind_Source=${running.secondsBehindSource ?? 'NULL'})`,
    );
  } finally {
    await closeQuietly(replicaConn);
  }
}

/** testSecret: a TLS login to the source with the pending password, and the replica's threads running with it. */
async function testPending(step: Step, event: RotationEvent, props: RotationProperties): Promise<void> {
  const { redactor, settings } = step;
  const password = await pendingPassword(step, event, props);
  if (
    !(await canLogin(
      { host: props.sourceHost, port: props.sourcePort, username: props.replicationUser, password },
      'source: check the replication password',
      redactor,
      settings.connectTimeoutMs,
    ))
  ) {
    throw new HandlerError(
      `testSecret: '${props.replicationUser}' cannot log in to the source ${props.sourceHost} with the AWSPENDING password`,
    );
  }
  const replica = await readAdminSecret(step.client, props.replicaSecretArn, 'replica', redactor);
  let conn: mysql.Connection | undefined;
  try {
    conn = await connect(replica, 'replica', redactor, settings.connectTimeoutMs);
    const status = await readStatus(step, conn);
    if (!upToDate(status, props)) {
      throw new HandlerError(
        redactor.redact(
          `testSecret: the replica does not replicate from ` +
            `${props.sourceHost}:${props.sourcePort} as '${props.replicationUser}' over ` +
            `TLS${status ? `: ${describeStatus(status)}` : ' (no replication configured)'}`,
        ),
      );
    }
  } finally {
    await closeQuietly(conn);
  }
  step.log.info(`testSecret: the AWSPENDING password logs in to the source over TLS and the replica replicates with it`);
}

/** finishSecret: AWSCURRENT moves to the new version. */
async function finishPending(step: Step, event: RotationEvent): Promise<void> {
  const { versions } = await secretVersionStages(step, event.SecretId);
  const current = Object.entries(versions).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
  if (current === event.ClientRequestToken) {
    step.log.info(`finishSecret: version ${event.ClientRequestToken} is already AWSCURRENT`);
    return;
  }
  try {
    await step.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: event.SecretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: event.ClientRequestToken,
        RemoveFromVersionId: current,
      }),
    );
  } catch (error) {
    throw wrapError(`finishSecret: cannot move AWSCURRENT to version ${event.ClientRequestToken}`, error, step.redactor);
  }
  step.log.info(`finishSecret: version ${event.ClientRequestToken} is now AWSCURRENT (was ${current ?? 'none'})`);
}

/** One rotation step, after the checks every step makes (this secret, rotation enabled, the version AWSPENDING). */
export async function rotate(step: Step, event: RotationEvent, props: RotationProperties): Promise<void> {
  if (event.SecretId !== props.replicationSecretArn) {
    throw new HandlerError(`rotation: this function rotates ${props.replicationSecretArn} only, not ${event.SecretId}`);
  }
  const { rotationEnabled, versions } = await secretVersionStages(step, event.SecretId);
  if (!rotationEnabled) throw new HandlerError(`rotation: rotation is not enabled on ${event.SecretId}`);
  const stages = versions[event.ClientRequestToken];
  if (!stages) throw new HandlerError(`rotation: version ${event.ClientRequestToken} of ${event.SecretId} does not exist`);
  if (stages.includes('AWSCURRENT')) {
    step.log.info(`${event.Step}: version ${event.ClientRequestToken} is already AWSCURRENT; nothing to do`);
    return;
  }
  if (!stages.includes('AWSPENDING'))
    throw new HandlerError(`rotation: version ${event.ClientRequestToken} of ${event.SecretId} is not AWSPENDING`);
  switch (event.Step) {
    case 'createSecret':
      return createPending(step, event, props);
    case 'setSecret':
      return setPending(step, event, props);
    case 'testSecret':
      return testPending(step, event, props);
    case 'finishSecret':
      return finishPending(step, event);
    default:
      throw new HandlerError(`rotation: unknown step ${JSON.stringify((event as { Step?: unknown }).Step)}`);
  }
}
