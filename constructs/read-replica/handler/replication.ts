/**
 * Custom resource: binary-log replication (GTID auto-position) from PROD Main's cluster (the
 * "source") into the customer's read-replica cluster (the "replica"), for the aws-cdk-lib
 * custom-resources Provider framework (`onEvent` only).
 *
 * Create/Update
 *   source:  binary logs are kept for BinlogRetentionHours (mysql.rds_set_configuration('binlog
 *            retention hours', N), only when mysql.rds_show_configuration shows another value), so
 *            that the replica can catch up after a pause; the replication user exists with exactly
 *            `REPLICATION SLAVE ON *.*`, `REQUIRE SSL` and the password held in
 *            ReplicationSecretArn (created, or repaired with ALTER USER / REVOKE / GRANT only where
 *            it differs). Nothing else is touched on the source.
 *   replica: when ReplicaClusterIdentifier is given and the replica refuses its own master secret
 *            (access denied: a fresh clone still has the source's master password), the master
 *            password is first set to the replica secret's value through the RDS API
 *            (ModifyDBCluster) and the connection retried;
 *            then every account the clone inherited from the source is locked (ALTER USER ...
 *            ACCOUNT LOCK) except the replica's master user, ReadOnlyUser and Aurora's reserved
 *            accounts (every Create and Update; idempotent);
 *            then (re)configured with the Aurora MySQL 3 stored procedures
 *              mysql.rds_stop_replication              (only if a configuration exists)
 *              mysql.rds_reset_external_source         (only if a configuration exists)
 *              mysql.rds_set_external_source_with_auto_position(host, port, user, password, 0)
 *              mysql.rds_set_binlog_source_ssl(1)      (TLS for the replication connection)
 *              mysql.rds_start_replication
 *            then SHOW REPLICA STATUS is polled until Replica_IO_Running = Replica_SQL_Running =
 *            Yes and Source_SSL_Allowed = Yes (bounded wait; the error carries Last_IO_Error and
 *            Last_SQL_Error). On Create the replica is left alone when it already replicates from
 *            this source with this user over TLS and the password did not change (idempotent);
 *            every Update reconfigures it (an Update means a property changed, and GTID
 *            auto-position makes a reset safe: the replica resumes from its gtid_executed).
 * Delete
 *   replica: stop + reset, only when it still replicates from this resource's SourceHost:SourcePort;
 *   source:  DROP USER IF EXISTS. Every failure is logged and the delete succeeds. The binlog
 *            retention of the source is left as it is (other consumers may rely on it).
 *
 * Rotation (`onRotate`, a Secrets Manager rotation function for ReplicationSecretArn; its
 * properties come from the REPLICATION_PROPERTIES environment variable as JSON, without
 * SourceSecretArn: the rotation never holds the source's master secret)
 *   createSecret: a new 32-character password as the AWSPENDING version;
 *   setSecret:    the replication user changes its own password on the source, logged in with the
 *                 AWSCURRENT one (ALTER USER CURRENT_USER() IDENTIFIED BY ...); the replica (its
 *                 own master secret) is reset and restarted with it (GTID auto-position: it
 *                 resumes where it stopped) and must run again;
 *   testSecret:   a TLS login to the source with it, and the replica's threads running;
 *   finishSecret: AWSCURRENT moves to the new version.
 *
 * Aurora MySQL 3 notes (AWS docs, "Configuring, starting, and stopping binary log (binlog)
 * replication", mysql-stored-proc-replicating.html): rds_set_external_source_with_auto_position
 * takes five parameters (no delay: Aurora does not support delayed replication) and its
 * ssl_encryption parameter "isn't currently implemented"; TLS is switched on with
 * rds_set_binlog_source_ssl(1), which needs Aurora MySQL 3.06 or higher. The replication user's
 * REQUIRE SSL makes the source refuse any unencrypted replication connection regardless.
 *
 * Never logs, returns or throws a password: the shared runtime (constructs/core/runtime) gives each
 * invocation a redactor that every password read or generated is registered with, and passes
 * every log line and error through it.
 *
 * This file is the Lambda entry (onEvent, onRotate) and the Create/Update/Delete flow; the steps
 * live in replication/: properties.ts (the contracts), context.ts (settings and clients),
 * source.ts, replica.ts, status.ts, secret.ts and rotation.ts.
 */
import * as mysql from 'mysql2/promise';
import {
  CustomResourceEvent,
  CustomResourceResponse,
  customResourceHandler,
  Invocation,
  taskHandler,
} from '../../core/runtime/custom-resource';
import { DatabaseSecret } from '../../core/runtime/database';
import { describeError, HandlerError } from '../../core/runtime/errors';
import { closeQuietly, connect } from '../../core/runtime/mysql';
import { readAdminSecret } from '../../core/runtime/secrets';
import { ReplicationHandlerOptions, resolveSettings, Settings, Step, stepOf } from './replication/context';
import { parseReplicationProperties, parseRotationProperties, ReplicationProperties } from './replication/properties';
import { configureReplica, connectReplica, detachReplica, lockInheritedAccounts } from './replication/replica';
import { rotate, RotationEvent } from './replication/rotation';
import { readReplicationPassword } from './replication/secret';
import { ensureBinlogRetention, ensureReplicationUser, dropReplicationUser } from './replication/source';
import { readStatus, upToDate, waitUntilRunning } from './replication/status';

export type { ReplicationHandlerOptions } from './replication/context';
export {
  AURORA_RESERVED_ACCOUNTS,
  DEFAULT_BINLOG_RETENTION_HOURS,
  isReservedAccount,
  MAX_BINLOG_RETENTION_HOURS,
  MAX_REPLICATION_PASSWORD_LENGTH,
  parseReplicationProperties,
  parseRotationProperties,
  REPLICATION_PASSWORD_EXCLUDED_CHARACTERS,
} from './replication/properties';
export type { ReplicationProperties, RotationProperties } from './replication/properties';
export type { RotationEvent } from './replication/rotation';

/** The source side of Create/Update: binlog retention and the replication user. */
async function applySource(
  step: Step,
  source: DatabaseSecret,
  props: ReplicationProperties,
  password: string,
): Promise<{ created: boolean; passwordChanged: boolean }> {
  let conn: mysql.Connection | undefined;
  try {
    conn = await connect(source, 'source', step.redactor, step.settings.connectTimeoutMs);
    await ensureBinlogRetention(step, conn, source, props.binlogRetentionHours);
    return await ensureReplicationUser(step, conn, source, props, password);
  } finally {
    await closeQuietly(conn);
  }
}

/**
 * After an Update moved to another replica, source or user: detach/drop what the old properties
 * set up (unless the old and new ones name the same replica, or the same account).
 */
async function cleanUpPrevious(
  step: Step,
  oldRaw: Readonly<Record<string, unknown>>,
  props: ReplicationProperties,
  replica: DatabaseSecret,
  source: DatabaseSecret,
): Promise<void> {
  let old: ReplicationProperties;
  try {
    old = parseReplicationProperties(oldRaw);
  } catch (error) {
    step.log.warn(`previous properties unreadable; no clean-up: ${describeError(error)}`);
    return;
  }
  if (old.replicaSecretArn !== props.replicaSecretArn) {
    const oldReplica = await readAdminSecret(step.client, old.replicaSecretArn, 'previous replica', step.redactor).catch(() => undefined);
    if (!oldReplica || oldReplica.host !== replica.host || oldReplica.port !== replica.port) await detachReplica(step, old);
  }
  if (old.replicationUser !== props.replicationUser || old.sourceSecretArn !== props.sourceSecretArn) {
    const oldSource =
      old.sourceSecretArn === props.sourceSecretArn
        ? source
        : await readAdminSecret(step.client, old.sourceSecretArn, 'previous source', step.redactor).catch(() => undefined);
    const sameAccount = old.replicationUser === props.replicationUser && oldSource?.host === source.host && oldSource?.port === source.port;
    if (!sameAccount) await dropReplicationUser(step, old);
  }
}

/**
 * The replica side of Create/Update: log in (resetting a clone's master password), lock the
 * inherited accounts, (re)configure when needed, and wait until both threads run.
 */
async function applyReplica(
  step: Step,
  event: CustomResourceEvent,
  replica: DatabaseSecret,
  props: ReplicationProperties,
  password: string,
  passwordChanged: boolean,
  touched: () => void,
): Promise<{ secondsBehindSource: string | null }> {
  let conn: mysql.Connection | undefined;
  try {
    conn = await connectReplica(step, replica, props);
    await lockInheritedAccounts(step, conn, replica, props);
    const status = await readStatus(step, conn);
    if (event.RequestType === 'Update' || passwordChanged || !upToDate(status, props)) {
      touched();
      await configureReplica(step, conn, status, props, password);
    } else {
      step.log.info(
        `replica ${replica.host}: already replicating from ` +
          `${props.sourceHost}:${props.sourcePort} as '${props.replicationUser}' over TLS; ` +
          `unchanged`,
      );
    }
    const running = await waitUntilRunning(step, conn);
    step.log.info(
      `replica ${replica.host}: Replica_IO_Running=Yes, Replica_SQL_Running=Yes, ` +
        `Seconds_Behind_Source=${running.secondsBehindSource ?? 'NULL'}`,
    );
    return running;
  } finally {
    await closeQuietly(conn);
  }
}

async function apply(settings: Settings, event: CustomResourceEvent, invocation: Invocation): Promise<CustomResourceResponse> {
  const step = stepOf(settings, invocation);
  const props = parseReplicationProperties(event.ResourceProperties);
  const source = await readAdminSecret(step.client, props.sourceSecretArn, 'source', step.redactor);
  const replica = await readAdminSecret(step.client, props.replicaSecretArn, 'replica', step.redactor);
  const password = await readReplicationPassword(step, props);

  let userCreated = false;
  let replicaTouched = false;
  try {
    const { created, passwordChanged } = await applySource(step, source, props, password);
    userCreated = created;
    const running = await applyReplica(step, event, replica, props, password, passwordChanged, () => (replicaTouched = true));
    if (event.RequestType === 'Update' && event.OldResourceProperties)
      await cleanUpPrevious(step, event.OldResourceProperties, props, replica, source);
    return {
      PhysicalResourceId: event.PhysicalResourceId ?? `replication/${props.replicationUser}@${props.sourceHost}:${props.sourcePort}`,
      Data: { ReplicationRunning: 'true', SecondsBehindSource: running.secondsBehindSource ?? 'unknown' },
    };
  } catch (error) {
    // A failed Create is never followed by a Delete (the Provider framework marks it
    // CREATE_FAILED), so undo what this invocation created.
    if (event.RequestType === 'Create') {
      step.log.warn(`create failed; undoing this invocation's changes: ${describeError(error)}`);
      if (replicaTouched) await detachReplica(step, props);
      if (userCreated) await dropReplicationUser(step, props);
    }
    throw error;
  }
}

/** Delete: detach the replica (if it still replicates from this source), drop the replication user. Never fails. */
async function remove(settings: Settings, event: CustomResourceEvent, invocation: Invocation): Promise<CustomResourceResponse> {
  const step = stepOf(settings, invocation);
  const physicalId = event.PhysicalResourceId ?? 'replication/unknown';
  let props: ReplicationProperties;
  try {
    props = parseReplicationProperties(event.ResourceProperties);
  } catch (error) {
    step.log.warn(`delete: properties unreadable, nothing removed: ${describeError(error)}`);
    return { PhysicalResourceId: physicalId };
  }
  await detachReplica(step, props);
  await dropReplicationUser(step, props);
  return { PhysicalResourceId: physicalId };
}

export function createReplicationHandler(
  options: ReplicationHandlerOptions = {},
): (event: CustomResourceEvent) => Promise<CustomResourceResponse> {
  const settings = resolveSettings(options);
  const applyStep = (event: CustomResourceEvent, invocation: Invocation) => apply(settings, event, invocation);
  return customResourceHandler('read-replica-replication', {
    create: applyStep,
    update: applyStep,
    delete: (event, invocation) => remove(settings, event, invocation),
  });
}

/**
 * The rotation function of the replication secret. `properties` are RotationProperties
 * (ReplicaSecretArn, ReplicationUser, ReplicationSecretArn, SourceHost, SourcePort; never
 * SourceSecretArn); `onRotate` reads them from REPLICATION_PROPERTIES.
 */
export function createReplicationRotationHandler(
  properties: Readonly<Record<string, unknown>>,
  options: ReplicationHandlerOptions = {},
): (event: RotationEvent) => Promise<void> {
  const settings = resolveSettings(options);
  const task = taskHandler<RotationEvent, void>(
    'read-replica-replication-rotation',
    async (event, invocation) => {
      // Every failure leaves as a HandlerError (its text redacted by the runtime).
      try {
        await rotate(stepOf(settings, invocation), event, parseRotationProperties(properties));
      } catch (error) {
        throw error instanceof HandlerError ? error : new HandlerError(describeError(error));
      }
    },
    { describe: (event) => `${event.Step} ${event.SecretId} ${event.ClientRequestToken}` },
  );
  return (event) => task(event);
}

function propertiesFromEnvironment(): Readonly<Record<string, unknown>> {
  const raw = process.env.REPLICATION_PROPERTIES;
  if (!raw) throw new HandlerError('REPLICATION_PROPERTIES is not set: the rotation function needs the replication properties as JSON');
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new HandlerError('REPLICATION_PROPERTIES is not JSON');
  }
}

/** The Lambda entry point (Provider framework onEvent). */
export const onEvent = createReplicationHandler();

/** The Lambda entry point of the replication secret's rotation (Secrets Manager rotation function). */
export const onRotate = (event: RotationEvent): Promise<void> => createReplicationRotationHandler(propertiesFromEnvironment())(event);
