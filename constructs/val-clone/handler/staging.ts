/**
 * The control steps of the VAL scrubbed-copy workflow (a Step Functions state machine, see
 * constructs/val-clone/scrubbed-copy.ts) and the custom resource that starts it.
 *
 * `control` (one Lambda, dispatched by `action`) drives the RDS API:
 *   restore         RestoreDBClusterToPointInTime (RestoreType copy-on-write, latest restorable
 *                   time) or RestoreDBClusterFromSnapshot into the STAGING cluster: VAL's own KMS
 *                   key, the staging subnet group and security group (only the scrub function
 *                   reaches it), BackupRetentionPeriod 1 (the Aurora minimum), no deletion
 *                   protection, no IAM authentication, no log exports, tags naming the run.
 *   awaitCluster    NotReady until the staging cluster is available.
 *   configure       ModifyDBCluster: the master password from the staging secret (a clone keeps the
 *                   source's), serverless v2 capacity, retention 1 day, ApplyImmediately.
 *   awaitConfigured NotReady until the password is applied (status available, nothing pending).
 *   createInstance  CreateDBInstance (the writer), not publicly accessible.
 *   awaitInstance   NotReady until the writer is available; returns the endpoint.
 *   snapshot        CreateDBClusterSnapshot of the scrubbed staging cluster, with the workflow's
 *                   deterministic identifier and tags (clinspark:scrubbed, run hash, execution).
 *   awaitSnapshot   NotReady until the snapshot is available.
 *   deleteStaging   DeleteDBInstance and DeleteDBCluster with SkipFinalSnapshot and
 *                   DeleteAutomatedBackups (no copy of the unscrubbed data is left).
 *   awaitDeleted    NotReady until the staging cluster is gone.
 *   cleanup         deleteStaging, plus the scrubbed snapshot if this execution made it.
 *   signal          PUTs SUCCESS (Data: the scrubbed snapshot identifier) or FAILURE (the reason)
 *                   to the CloudFormation wait condition handle.
 * Polling is done by Step Functions: a step throws `NotReady` and the state's Retry waits.
 *
 * `starter` is a custom resource (Provider framework onEvent):
 *   Create  starts one execution for the run (`Run`, JSON) with the wait condition handle URL.
 *   Update  nothing (a new run is a new resource: its logical id carries the run hash).
 *   Delete  stops the execution if it still runs, deletes the staging cluster (skip final
 *           snapshot, automated backups deleted) and the run's scrubbed snapshot: the
 *           backstop of every failure, rollback, timeout and refresh clean-up.
 *
 * Never logs or returns a password; logs are JSON lines with identifiers only, written through
 * the shared runtime's Logger (constructs/core/runtime), whose redactor knows the staging password
 * once it is read; every error leaves redacted (a control step's error keeps its class and name:
 * the state machine retries on `NotReady`).
 */
import * as http from 'http';
import * as https from 'https';
import {
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
  type DBCluster,
  type DBClusterSnapshot,
  type Tag,
} from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import {
  CustomResourceEvent,
  CustomResourceResponse,
  customResourceHandler,
  Invocation,
  taskHandler,
} from '../../core/runtime/custom-resource';
import { HandlerError } from '../../core/runtime/errors';
import { Logger } from '../../core/runtime/logger';
import { jsonText, optionalText, parseProperties, requiredText } from '../../core/runtime/properties';
import { sleep } from '../../core/runtime/poll';
import { readSecretPassword } from '../../core/runtime/secrets';

/** Where the data of one VAL database comes from. */
export type StagingCopy =
  { readonly kind: 'clone'; readonly sourceClusterIdentifier: string } | { readonly kind: 'snapshot'; readonly snapshotIdentifier: string };

export type StagingCapacity =
  | { readonly mode: 'serverless'; readonly minAcu: number; readonly maxAcu: number }
  | { readonly mode: 'provisioned'; readonly instanceClass: string };

/** One run of the workflow for one VAL database (the starter's `Run` property, as JSON). */
export interface StagingRun {
  /** VAL instance role, e.g. `main`. */
  readonly role: string;
  /** Hash of the copy's identity and the ruleset: a new value is a refresh. */
  readonly runHash: string;
  readonly copy: StagingCopy;
  readonly stagingClusterIdentifier: string;
  readonly kmsKeyId: string;
  readonly subnetGroupName: string;
  readonly securityGroupId: string;
  readonly clusterParameterGroupName: string;
  readonly capacity: StagingCapacity;
  /** Secret `{ username, password }` whose password becomes the staging master password. */
  readonly stagingSecretArn: string;
  readonly databaseName: string;
  readonly scrubbedSnapshotIdentifier: string;
  /** Tags of the staging cluster and the scrubbed snapshot (the environment's tags). */
  readonly tags: Readonly<Record<string, string>>;
  /** Added by the starter: the wait condition handle (a presigned URL). */
  readonly handleUrl?: string;
}

/** The staging cluster's writer endpoint, as the scrub step needs it. */
export interface StagingEndpoint {
  readonly host: string;
  readonly port: number;
  readonly masterUsername: string;
}

/** A step that must be polled again (Step Functions retries on this error name). */
export class NotReady extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotReady';
  }
}

export const TAG_RUN = 'clinspark:val-run';
export const TAG_EXECUTION = 'clinspark:val-execution';
export const TAG_PURPOSE = 'clinspark:val-copy';

const rds = new RDSClient({});
const secrets = new SecretsManagerClient({});
const sfn = new SFNClient({});

const SOURCE = 'clinspark-val-staging';

// DB instance identifiers are at most 63 characters; the staging cluster identifier at most 61.
const writerIdentifier = (run: StagingRun) => `${run.stagingClusterIdentifier}-w`;

function tagList(run: StagingRun, extra: Record<string, string>): Tag[] {
  return Object.entries({ ...run.tags, [TAG_RUN]: run.runHash, ...extra }).map(([Key, Value]) => ({ Key, Value }));
}

function isNotFound(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  return /NotFound/.test(name);
}

function isInvalidState(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  return /Invalid.*State/.test(name);
}

async function describeCluster(identifier: string): Promise<DBCluster | undefined> {
  try {
    const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }));
    return out.DBClusters?.[0];
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function describeSnapshot(identifier: string): Promise<DBClusterSnapshot | undefined> {
  try {
    const out = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: identifier }));
    return out.DBClusterSnapshots?.[0];
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

const tagValue = (tags: Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

export async function restore(run: StagingRun, log: Logger): Promise<Record<string, never>> {
  const existing = await describeCluster(run.stagingClusterIdentifier);
  if (existing) {
    if (existing.Status === 'deleting')
      throw new NotReady(`staging cluster ${run.stagingClusterIdentifier} of an earlier attempt is still being deleted`);
    if (tagValue(existing.TagList, TAG_RUN) !== run.runHash)
      throw new Error(`cluster ${run.stagingClusterIdentifier} exists and is not a staging copy of run ${run.runHash}`);
    log.info('staging-exists', { cluster: run.stagingClusterIdentifier, status: existing.Status });
    return {};
  }
  const common = {
    DBClusterIdentifier: run.stagingClusterIdentifier,
    KmsKeyId: run.kmsKeyId,
    DBSubnetGroupName: run.subnetGroupName,
    VpcSecurityGroupIds: [run.securityGroupId],
    DBClusterParameterGroupName: run.clusterParameterGroupName,
    // The shortest automated-backup retention Aurora allows (1 day); the backups are deleted with the cluster.
    BackupRetentionPeriod: 1,
    DeletionProtection: false,
    EnableIAMDatabaseAuthentication: false,
    CopyTagsToSnapshot: false,
    Tags: tagList(run, { [TAG_PURPOSE]: 'staging (unscrubbed, reachable by the scrub job only)' }),
  };
  if (run.copy.kind === 'clone') {
    await rds.send(
      new RestoreDBClusterToPointInTimeCommand({
        ...common,
        SourceDBClusterIdentifier: run.copy.sourceClusterIdentifier,
        RestoreType: 'copy-on-write',
        UseLatestRestorableTime: true,
      }),
    );
  } else {
    await rds.send(
      new RestoreDBClusterFromSnapshotCommand({ ...common, SnapshotIdentifier: run.copy.snapshotIdentifier, Engine: 'aurora-mysql' }),
    );
  }
  log.info('staging-restore-started', { cluster: run.stagingClusterIdentifier, copy: run.copy.kind });
  return {};
}

export async function awaitCluster(run: StagingRun): Promise<Record<string, never>> {
  const cluster = await describeCluster(run.stagingClusterIdentifier);
  if (!cluster) throw new Error(`staging cluster ${run.stagingClusterIdentifier} does not exist`);
  if (cluster.Status !== 'available') throw new NotReady(`staging cluster is ${cluster.Status}`);
  return {};
}

export async function configure(run: StagingRun, log: Logger): Promise<Record<string, never>> {
  const password = await readSecretPassword(secrets, run.stagingSecretArn, 'staging secret', log.redactor, 16);
  await rds.send(
    new ModifyDBClusterCommand({
      DBClusterIdentifier: run.stagingClusterIdentifier,
      MasterUserPassword: password,
      BackupRetentionPeriod: 1,
      ...(run.capacity.mode === 'serverless'
        ? { ServerlessV2ScalingConfiguration: { MinCapacity: run.capacity.minAcu, MaxCapacity: run.capacity.maxAcu } }
        : {}),
      ApplyImmediately: true,
    }),
  );
  log.info('staging-configured', { cluster: run.stagingClusterIdentifier });
  return {};
}

export async function awaitConfigured(run: StagingRun): Promise<Record<string, never>> {
  const cluster = await describeCluster(run.stagingClusterIdentifier);
  const pending = cluster?.PendingModifiedValues;
  if (cluster?.Status !== 'available' || pending?.MasterUserPassword)
    throw new NotReady(`staging cluster is ${cluster?.Status}, password ${pending?.MasterUserPassword ? 'pending' : 'applied'}`);
  return {};
}

export async function createInstance(run: StagingRun): Promise<Record<string, never>> {
  const cluster = await describeCluster(run.stagingClusterIdentifier);
  if ((cluster?.DBClusterMembers ?? []).some((m) => m.DBInstanceIdentifier === writerIdentifier(run))) return {};
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: writerIdentifier(run),
      DBClusterIdentifier: run.stagingClusterIdentifier,
      Engine: 'aurora-mysql',
      DBInstanceClass: run.capacity.mode === 'serverless' ? 'db.serverless' : run.capacity.instanceClass,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: false,
      Tags: tagList(run, { [TAG_PURPOSE]: 'staging writer' }),
    }),
  );
  return {};
}

export async function awaitInstance(run: StagingRun): Promise<StagingEndpoint> {
  const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: writerIdentifier(run) }));
  const instance = out.DBInstances?.[0];
  if (instance?.DBInstanceStatus !== 'available') throw new NotReady(`staging writer is ${instance?.DBInstanceStatus}`);
  const cluster = await describeCluster(run.stagingClusterIdentifier);
  if (!cluster?.Endpoint || !cluster.MasterUsername) throw new NotReady('staging cluster has no endpoint yet');
  return { host: cluster.Endpoint, port: cluster.Port ?? 3306, masterUsername: cluster.MasterUsername };
}

export async function snapshot(run: StagingRun, execution: string, evidenceKey: string, log: Logger): Promise<Record<string, never>> {
  const existing = await describeSnapshot(run.scrubbedSnapshotIdentifier);
  if (existing) {
    if (tagValue(existing.TagList, TAG_EXECUTION) === execution) return {};
    if (existing.Status === 'deleting')
      throw new NotReady(`snapshot ${run.scrubbedSnapshotIdentifier} of an earlier run is still being deleted`);
    throw new Error(
      `snapshot ${run.scrubbedSnapshotIdentifier} already exists (made by ` +
        `${tagValue(existing.TagList, TAG_EXECUTION) ?? 'someone else'}); delete it or ` +
        `change the refresh label`,
    );
  }
  await rds.send(
    new CreateDBClusterSnapshotCommand({
      DBClusterIdentifier: run.stagingClusterIdentifier,
      DBClusterSnapshotIdentifier: run.scrubbedSnapshotIdentifier,
      Tags: tagList(run, { [TAG_EXECUTION]: execution, [TAG_PURPOSE]: 'scrubbed and verified', 'clinspark:scrub-evidence': evidenceKey }),
    }),
  );
  log.info('snapshot-started', { snapshot: run.scrubbedSnapshotIdentifier });
  return {};
}

export async function awaitSnapshot(run: StagingRun): Promise<Record<string, never>> {
  const s = await describeSnapshot(run.scrubbedSnapshotIdentifier);
  if (!s) throw new Error(`snapshot ${run.scrubbedSnapshotIdentifier} disappeared`);
  if (s.Status === 'available') return {};
  if (s.Status === 'failed' || s.Status === 'deleting') throw new Error(`snapshot ${run.scrubbedSnapshotIdentifier} is ${s.Status}`);
  throw new NotReady(`snapshot is ${s.Status} (${s.PercentProgress ?? 0}%)`);
}

/**
 * Deletes the staging cluster's instances and the cluster, without a final snapshot and with its
 * automated backups. Idempotent: a cluster that is gone or already being deleted is fine.
 * Returns whether the cluster still exists (deleting).
 */
export async function deleteStaging(run: Pick<StagingRun, 'stagingClusterIdentifier'>, log: Logger): Promise<{ exists: boolean }> {
  const cluster = await describeCluster(run.stagingClusterIdentifier);
  if (!cluster) return { exists: false };
  if (cluster.Status === 'deleting') return { exists: true };
  for (const member of cluster.DBClusterMembers ?? []) {
    if (!member.DBInstanceIdentifier) continue;
    try {
      await rds.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: member.DBInstanceIdentifier,
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        }),
      );
    } catch (e) {
      if (!isNotFound(e) && !isInvalidState(e)) throw e;
    }
  }
  try {
    await rds.send(
      new DeleteDBClusterCommand({
        DBClusterIdentifier: run.stagingClusterIdentifier,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      }),
    );
  } catch (e) {
    if (isNotFound(e)) return { exists: false };
    // Instances still being created or modified: the next poll tries again.
    if (isInvalidState(e)) throw new NotReady(`staging cluster cannot be deleted yet: ${(e as Error).name}`);
    throw e;
  }
  log.info('staging-delete-started', { cluster: run.stagingClusterIdentifier });
  return { exists: true };
}

export async function awaitDeleted(run: StagingRun, log: Logger): Promise<{ deleted: true }> {
  const cluster = await describeCluster(run.stagingClusterIdentifier);
  if (!cluster) return { deleted: true };
  if (cluster.Status !== 'deleting') await deleteStaging(run, log);
  throw new NotReady(`staging cluster is ${cluster.Status}`);
}

/** Deletes the scrubbed snapshot if it belongs to `owner` (an execution name, or any execution of the run). */
async function deleteScrubbedSnapshot(
  run: Pick<StagingRun, 'scrubbedSnapshotIdentifier' | 'runHash'>,
  owner: { execution?: string },
  log: Logger,
): Promise<boolean> {
  const s = await describeSnapshot(run.scrubbedSnapshotIdentifier);
  if (!s || s.Status === 'deleting') return false;
  if (tagValue(s.TagList, TAG_RUN) !== run.runHash) return false;
  if (owner.execution !== undefined && tagValue(s.TagList, TAG_EXECUTION) !== owner.execution) return false;
  try {
    await rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: run.scrubbedSnapshotIdentifier }));
  } catch (e) {
    if (isNotFound(e)) return false;
    if (isInvalidState(e)) throw new NotReady(`snapshot ${run.scrubbedSnapshotIdentifier} cannot be deleted yet`);
    throw e;
  }
  log.info('scrubbed-snapshot-deleted', { snapshot: run.scrubbedSnapshotIdentifier });
  return true;
}

export async function cleanup(run: StagingRun, execution: string, log: Logger): Promise<{ deleted: true }> {
  await deleteScrubbedSnapshot(run, { execution }, log);
  const { exists } = await deleteStaging(run, log);
  if (exists) throw new NotReady('staging cluster is being deleted');
  return { deleted: true };
}

/** Sends a signal to a CloudFormation wait condition handle (a presigned S3 URL, PUT, no content type). */
export async function sendSignal(
  url: string,
  signal: { Status: 'SUCCESS' | 'FAILURE'; Reason: string; UniqueId: string; Data: string },
): Promise<void> {
  const body = JSON.stringify(signal);
  const target = new URL(url);
  const request = target.protocol === 'http:' ? http.request : https.request;
  await new Promise<void>((resolve, reject) => {
    const req = request(target, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () =>
        (res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`wait condition handle answered HTTP ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The Step Functions error of a caught failure: `{ Error, Cause }`, Cause often a JSON string. */
export function failureReason(error: { Error?: string; Cause?: string } | undefined): string {
  if (!error) return 'the scrubbed-copy workflow failed';
  let cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed.errorMessage) cause = parsed.errorMessage;
  } catch {
    // a plain-text cause
  }
  return `${error.Error ?? 'Error'}: ${cause}`.slice(0, 1000);
}

export interface ControlEvent {
  readonly action: string;
  readonly run: StagingRun;
  readonly execution?: string;
  readonly evidenceKey?: string;
  readonly status?: 'SUCCESS' | 'FAILURE';
  readonly error?: { Error?: string; Cause?: string };
}

/** One control action (one Step Functions state). */
async function runAction(event: ControlEvent, { log }: Invocation): Promise<unknown> {
  const { run } = event;
  switch (event.action) {
    case 'restore':
      return restore(run, log);
    case 'awaitCluster':
      return awaitCluster(run);
    case 'configure':
      return configure(run, log);
    case 'awaitConfigured':
      return awaitConfigured(run);
    case 'createInstance':
      return createInstance(run);
    case 'awaitInstance':
      return awaitInstance(run);
    case 'snapshot':
      return snapshot(run, required(event.execution, 'execution'), required(event.evidenceKey, 'evidenceKey'), log);
    case 'awaitSnapshot':
      return awaitSnapshot(run);
    case 'deleteStaging':
      await deleteStaging(run, log);
      return {};
    case 'awaitDeleted':
      return awaitDeleted(run, log);
    case 'cleanup':
      return cleanup(run, required(event.execution, 'execution'), log);
    case 'signal': {
      const success = event.status === 'SUCCESS';
      const reason = success ? `scrubbed and verified: ${run.scrubbedSnapshotIdentifier}` : failureReason(event.error);
      await sendSignal(required(run.handleUrl, 'run.handleUrl'), {
        Status: success ? 'SUCCESS' : 'FAILURE',
        Reason: reason,
        UniqueId: run.role,
        Data: success ? run.scrubbedSnapshotIdentifier : reason,
      });
      log.info('signalled', {
        status: event.status,
        role: run.role,
        snapshot: success ? run.scrubbedSnapshotIdentifier : undefined,
        reason: success ? undefined : reason,
      });
      return {};
    }
    default:
      throw new HandlerError(`unknown action '${event.action}'`);
  }
}

/**
 * The control Lambda (handler `control`): one action per Step Functions state. A `NotReady` (the
 * state's Retry polls again) is not logged as a failure.
 */
export const control = taskHandler<ControlEvent, unknown>(SOURCE, runAction, { format: 'json', quiet: (e) => e instanceof NotReady });

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === '') throw new HandlerError(`${name} is required`);
  return value;
}

/** The starter's event (@types/aws-lambda's custom-resource event, the fields it reads). */
export type StarterEvent = CustomResourceEvent;

/**
 * Serverless v2 capacity in ACUs: 0 to 256 in steps of 0.5, the range of the Aurora User Guide,
 * "Requirements and limitations for Aurora Serverless v2" (aurora-serverless-v2.requirements.html),
 * as lib/config/model.ts accepts it; the staging copy's range comes from val-clone.ts.
 */
const acu = z.number().min(0).max(256).multipleOf(0.5);

/**
 * Every field of a `StagingRun`: a run the control steps cannot carry out is refused at Create.
 * Loose: the other fields (`scrub`, the scrub step's input) pass through to the execution.
 */
const runSchema: z.ZodType<StagingRun, unknown> = z.looseObject({
  role: requiredText(),
  runHash: requiredText(),
  copy: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('clone'), sourceClusterIdentifier: requiredText() }),
    z.object({ kind: z.literal('snapshot'), snapshotIdentifier: requiredText() }),
  ]),
  stagingClusterIdentifier: requiredText(),
  kmsKeyId: requiredText(),
  subnetGroupName: requiredText(),
  securityGroupId: requiredText(),
  clusterParameterGroupName: requiredText(),
  capacity: z.discriminatedUnion('mode', [
    z.object({ mode: z.literal('serverless'), minAcu: acu, maxAcu: acu }),
    z.object({ mode: z.literal('provisioned'), instanceClass: requiredText() }),
  ]),
  stagingSecretArn: requiredText(),
  databaseName: requiredText(),
  scrubbedSnapshotIdentifier: requiredText(),
  tags: z.record(z.string(), z.string()),
  handleUrl: optionalText(),
});

const starterSchema = z.object({
  StateMachineArn: requiredText({ fix: 'give the ARN of the scrubbed-copy state machine' }),
  Run: jsonText(runSchema, '{"role": "main", "runHash": "...", ...}'),
  HandleUrl: requiredText({ fix: 'give the URL of the wait condition handle' }),
});

/** Update and Delete need the run only (Delete removes what it made). */
const runOnlySchema = starterSchema.pick({ Run: true });

function parseStarterProperties(props: Readonly<Record<string, unknown>>): { stateMachineArn: string; run: StagingRun; handleUrl: string } {
  const p = parseProperties(starterSchema, props);
  return { stateMachineArn: p.StateMachineArn, run: p.Run, handleUrl: p.HandleUrl };
}

function parseRunProperty(props: Readonly<Record<string, unknown>>): StagingRun {
  return parseProperties(runOnlySchema, props).Run;
}

/** Execution names: 1-80 characters of letters, digits, '-' and '_'. */
export function executionName(run: StagingRun, requestId: string): string {
  return `${run.role}-${run.runHash}-${requestId.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}`.slice(0, 80);
}

async function startRun(event: CustomResourceEvent, { log }: Invocation): Promise<CustomResourceResponse> {
  const { stateMachineArn, run, handleUrl } = parseStarterProperties(event.ResourceProperties);
  const name = executionName(run, required(event.RequestId, 'RequestId'));
  const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ run: { ...run, handleUrl } }) }));
  log.info('execution-started', { execution: name, role: run.role, runHash: run.runHash });
  return { PhysicalResourceId: required(out.executionArn, 'executionArn'), Data: { ExecutionName: name } };
}

function keepRun(event: CustomResourceEvent): Promise<CustomResourceResponse> {
  parseRunProperty(event.ResourceProperties);
  return Promise.resolve({ PhysicalResourceId: event.PhysicalResourceId ?? '' });
}

/** Delete: stop what still runs, then remove the staging copy and this run's scrubbed snapshot. */
async function removeRun(event: CustomResourceEvent, { log }: Invocation): Promise<CustomResourceResponse> {
  const run = parseRunProperty(event.ResourceProperties);
  const physical = event.PhysicalResourceId ?? '';
  if (physical.startsWith('arn:')) {
    try {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: physical }));
      if (execution.status === 'RUNNING') {
        await sfn.send(
          new StopExecutionCommand({
            executionArn: physical,
            error: 'ClinSpark.Deleted',
            cause: 'the run was removed from the stack (rollback, refresh or deletion)',
          }),
        );
        log.info('execution-stopped', { execution: physical });
      }
    } catch (e) {
      if (!/ExecutionDoesNotExist|NotFound/.test((e as Error).name ?? '')) throw e;
    }
  }
  const staging = await deleteStaging(run, log).catch(async (e: unknown) => {
    // Instances mid-creation cannot be deleted yet: wait a little and try once more.
    if (!(e instanceof NotReady)) throw e;
    await sleep(starterTiming.retryMs);
    return deleteStaging(run, log);
  });
  const snapshotDeleted = await deleteScrubbedSnapshot(run, {}, log);
  log.info('run-removed', { role: run.role, runHash: run.runHash, stagingStillDeleting: staging.exists, snapshotDeleted });
  return { PhysicalResourceId: physical };
}

/** The starter custom resource (Provider framework onEvent, handler `starter`). */
export const starter: (event: StarterEvent) => Promise<CustomResourceResponse> = customResourceHandler(
  SOURCE,
  { create: startRun, update: keepRun, delete: removeRun },
  { format: 'json' },
);

/** Timing of the starter's delete retry; shortened by tests. */
export const starterTiming = { retryMs: 60_000 };
