/**
 * Custom resource: a manual DB cluster snapshot taken at deploy time (`Custom::ClinSparkClusterSnapshot`),
 * in one of two modes (property `Mode`):
 *
 * `pre-upgrade` (constructs/lifecycle/pre-upgrade-snapshot.ts): a snapshot of ClusterIdentifier
 * before the release (Release) or the Aurora engine (EngineVersion) changes. The database cluster
 * depends on this resource, so CloudFormation changes the engine only after the snapshot is
 * available, and the app stack (which depends on the data stack) rolls the services after that.
 *   Create  the cluster exists (the resource is added to a deployed stack): snapshot
 *           `<cluster>-pre-<release>-from-deployed`; it does not exist yet (a new stack): nothing,
 *           the attribute is `none`.
 *   Update  Release or EngineVersion differ from OldResourceProperties: snapshot
 *           `<cluster>-pre-<new>-from-<old>` (constructs/lifecycle/snapshot-names.ts); the same:
 *           nothing, the previous identifier is returned. A cluster that does not exist (yet) is
 *           not snapshotted (a VAL refresh names a new cluster).
 *   Delete  nothing: the snapshot stays (by policy: it is the rollback point of a change-controlled
 *           environment; it is deleted by hand once the ECR is closed, see docs/lifecycle-upgrades.md).
 *
 * `go-live` (constructs/lifecycle/go-live-snapshot.ts): a snapshot of ClusterIdentifier (Pre-PROD
 * Main) named SnapshotIdentifier, that PROD Main is restored from.
 *   Create  snapshot (the source cluster must exist).
 *   Update  nothing, ever: PROD Main was restored from the first one; the previous identifier is returned.
 *   Delete  nothing (the snapshot stays).
 *
 * Both modes are idempotent on retry: an existing snapshot of the identifier made by this resource
 * (tag clinspark:snapshot-purpose) for the same cluster is accepted while it is being created or
 * when it was created less than REUSE_WINDOW_HOURS ago; an older one is refused (it would not
 * hold the current data), as is one made by something else.
 *
 * `isComplete` (the Provider framework's waiter) reports completion once the snapshot is
 * `available` (DBClusterSnapshot.Status); `failed` or a vanished snapshot fails the deployment.
 *
 * No secret is read; logs are JSON lines with identifiers only.
 */
import {
  CreateDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  RDSClient,
  type DBClusterSnapshot,
  type Tag,
} from '@aws-sdk/client-rds';
import { z } from 'zod';
import {
  CustomResourceEvent,
  CustomResourceResponse,
  Invocation,
  customResourceHandler,
  newInvocation,
} from '../../core/runtime/custom-resource';
import { HandlerError, toHandlerError, wrapError } from '../../core/runtime/errors';
import { field, matching, optionalText, parseProperties, shown } from '../../core/runtime/properties';
import { NO_SNAPSHOT, UpgradeState, isSnapshotIdentifier, isUpgrade, preUpgradeSnapshotIdentifier } from '../snapshot-names';

const SOURCE = 'clinspark-cluster-snapshot';

/** Tag naming what the snapshot is for (`pre-upgrade` or `go-live`): our own snapshots carry it. */
export const TAG_PURPOSE = 'clinspark:snapshot-purpose';
/** Tag naming the snapshotted cluster. */
export const TAG_CLUSTER = 'clinspark:snapshot-of';
export const TAG_FROM_RELEASE = 'clinspark:from-release';
export const TAG_TO_RELEASE = 'clinspark:to-release';
export const TAG_FROM_ENGINE = 'clinspark:from-engine';
export const TAG_TO_ENGINE = 'clinspark:to-engine';

/** An existing snapshot of the identifier is reused (a retried deployment) when younger than this. */
export const REUSE_WINDOW_HOURS = 24;

const CLUSTER_ID = /^[a-z][a-z0-9-]{0,62}$/;

const tagsField = field<Readonly<Record<string, string>>>((raw) => {
  if (raw === undefined || raw === null || raw === '') return { value: {} };
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { problem: `must be a JSON object of tag names to values (got ${shown(raw)})` };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { problem: `must be an object of tag names to values (got ${shown(raw)})` };
  const entries = Object.entries(value as Record<string, unknown>);
  const bad = entries.find(([, v]) => typeof v !== 'string');
  if (bad) return { problem: `must map every tag to a string (got ${shown(bad[1])} for '${bad[0]}')` };
  return { value: Object.fromEntries(entries) as Record<string, string> };
});

const propertiesSchema = z
  .object({
    Mode: matching(/^(pre-upgrade|go-live)$/, "'pre-upgrade' or 'go-live'"),
    ClusterIdentifier: matching(CLUSTER_ID, 'an Aurora cluster identifier (lowercase letters, digits and hyphens)'),
    Release: optionalText(),
    EngineVersion: optionalText(),
    SnapshotIdentifier: optionalText(),
    Tags: tagsField,
  })
  .superRefine((p, ctx) => {
    if (p.Mode === 'pre-upgrade') {
      for (const key of ['Release', 'EngineVersion'] as const)
        if (!p[key]) ctx.addIssue({ code: 'custom', path: [key], message: "is required with Mode 'pre-upgrade'" });
    } else if (!p.SnapshotIdentifier || !isSnapshotIdentifier(p.SnapshotIdentifier)) {
      ctx.addIssue({
        code: 'custom',
        path: ['SnapshotIdentifier'],
        message:
          `must be a DB cluster snapshot identifier with Mode 'go-live' (got ` +
          `${shown(p.SnapshotIdentifier)}): 1-63 lowercase letters, digits and single ` +
          `hyphens, starting with a letter`,
      });
    }
  });

export type SnapshotProperties = z.output<typeof propertiesSchema>;

export function parseSnapshotProperties(props: Readonly<Record<string, unknown>>): SnapshotProperties {
  return parseProperties(propertiesSchema, props);
}

const rds = new RDSClient({});

function errorName(e: unknown): string {
  return (e as { name?: string })?.name ?? '';
}

async function clusterExists(identifier: string, invocation: Invocation): Promise<boolean> {
  try {
    const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }));
    return (out.DBClusters ?? []).length > 0;
  } catch (e) {
    if (errorName(e) === 'DBClusterNotFoundFault') return false;
    throw wrapError(`DescribeDBClusters ${identifier} failed`, e, invocation.redactor);
  }
}

async function describeSnapshot(identifier: string, invocation: Invocation): Promise<DBClusterSnapshot | undefined> {
  try {
    const out = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: identifier }));
    return out.DBClusterSnapshots?.[0];
  } catch (e) {
    if (errorName(e) === 'DBClusterSnapshotNotFoundFault') return undefined;
    throw wrapError(`DescribeDBClusterSnapshots ${identifier} failed`, e, invocation.redactor);
  }
}

const tagValue = (tags: Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

/**
 * An existing snapshot of the identifier, accepted or refused: ours (purpose tag) of the same
 * cluster, still being created or younger than the reuse window.
 */
function checkExisting(existing: DBClusterSnapshot, id: string, cluster: string, purpose: string, now: Date): void {
  const madeBy = tagValue(existing.TagList, TAG_PURPOSE);
  const of = existing.DBClusterIdentifier ?? tagValue(existing.TagList, TAG_CLUSTER);
  if (madeBy !== purpose || of !== cluster) {
    throw new HandlerError(
      `snapshot ${id} already exists and was not made by this resource ` +
        `(${TAG_PURPOSE}=${madeBy ?? 'absent'}, cluster ${of ?? 'unknown'}); rename or ` +
        `delete it, then deploy again`,
    );
  }
  if (existing.Status === 'failed' || existing.Status === 'deleting')
    throw new HandlerError(`snapshot ${id} exists but is ${existing.Status}; delete it, then deploy again`);
  if (existing.Status === 'creating') return;
  const created = existing.SnapshotCreateTime ? new Date(existing.SnapshotCreateTime) : undefined;
  const ageHours = created ? (now.getTime() - created.getTime()) / 3_600_000 : Number.POSITIVE_INFINITY;
  if (ageHours > REUSE_WINDOW_HOURS) {
    throw new HandlerError(
      `snapshot ${id} already exists from ` +
        `${created?.toISOString() ?? 'an unknown time'}, more than ${REUSE_WINDOW_HOURS} ` +
        `hours ago: it does not hold the current data; copy it away if it is still ` +
        `needed, delete it, then deploy again`,
    );
  }
}

/**
 * Starts CreateDBClusterSnapshot of `cluster` as `id` with `tags`, or accepts an existing one of
 * ours (a retried deployment). Waiting for `available` is isComplete's.
 */
export async function startSnapshot(
  cluster: string,
  id: string,
  tags: Readonly<Record<string, string>>,
  purpose: string,
  invocation: Invocation,
  now: Date = new Date(),
): Promise<'created' | 'reused'> {
  const existing = await describeSnapshot(id, invocation);
  if (existing) {
    checkExisting(existing, id, cluster, purpose, now);
    invocation.log.info('snapshot-reused', { snapshot: id, cluster, status: existing.Status });
    return 'reused';
  }
  // Tags given to CreateDBClusterSnapshot are the snapshot's: the environment's clinspark tags and ours.
  const tagList: Tag[] = Object.entries({ ...tags, [TAG_PURPOSE]: purpose, [TAG_CLUSTER]: cluster }).map(([Key, Value]) => ({
    Key,
    Value,
  }));
  try {
    await rds.send(new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: cluster, DBClusterSnapshotIdentifier: id, Tags: tagList }));
  } catch (e) {
    // A concurrent attempt of the same deployment (CreateDBClusterSnapshot errors: DBClusterSnapshotAlreadyExistsFault).
    if (errorName(e) === 'DBClusterSnapshotAlreadyExistsFault') {
      const raced = await describeSnapshot(id, invocation);
      if (raced) {
        checkExisting(raced, id, cluster, purpose, now);
        return 'reused';
      }
    }
    throw wrapError(`CreateDBClusterSnapshot ${id} of ${cluster} failed`, e, invocation.redactor);
  }
  invocation.log.info('snapshot-started', { snapshot: id, cluster });
  return 'created';
}

function upgradeState(props: Readonly<Record<string, unknown>> | undefined): UpgradeState | undefined {
  const release = props?.Release;
  const engineVersion = props?.EngineVersion;
  return typeof release === 'string' && typeof engineVersion === 'string' ? { release, engineVersion } : undefined;
}

function upgradeTags(from: UpgradeState | undefined, to: UpgradeState): Record<string, string> {
  return {
    [TAG_FROM_RELEASE]: from?.release ?? 'deployed',
    [TAG_TO_RELEASE]: to.release,
    [TAG_FROM_ENGINE]: from?.engineVersion ?? 'deployed',
    [TAG_TO_ENGINE]: to.engineVersion,
  };
}

const result = (id: string): CustomResourceResponse => ({ PhysicalResourceId: id, Data: { SnapshotIdentifier: id } });

/** The identifier a previous invocation returned (the physical id), or `none`. */
function previous(event: CustomResourceEvent): CustomResourceResponse {
  const id = event.PhysicalResourceId && isSnapshotIdentifier(event.PhysicalResourceId) ? event.PhysicalResourceId : undefined;
  return id ? result(id) : { PhysicalResourceId: event.PhysicalResourceId ?? NO_SNAPSHOT, Data: { SnapshotIdentifier: NO_SNAPSHOT } };
}

/** No snapshot (a new cluster): the physical id `none:<cluster>` (never a snapshot identifier), the attribute `none`. */
const none = (cluster: string): CustomResourceResponse => ({
  PhysicalResourceId: `${NO_SNAPSHOT}:${cluster}`,
  Data: { SnapshotIdentifier: NO_SNAPSHOT },
});

async function preUpgrade(event: CustomResourceEvent, invocation: Invocation): Promise<CustomResourceResponse> {
  const props = parseSnapshotProperties(event.ResourceProperties);
  const cluster = props.ClusterIdentifier as string;
  const to: UpgradeState = { release: props.Release as string, engineVersion: props.EngineVersion as string };
  const from = event.RequestType === 'Update' ? upgradeState(event.OldResourceProperties) : undefined;
  if (event.RequestType === 'Update' && from && !isUpgrade(from, to)) {
    invocation.log.info('no-upgrade', { cluster, release: to.release, engineVersion: to.engineVersion });
    return previous(event);
  }
  if (!(await clusterExists(cluster, invocation))) {
    invocation.log.info('no-cluster', { cluster, note: 'a cluster that does not exist yet holds no data to keep' });
    return none(cluster);
  }
  const id = preUpgradeSnapshotIdentifier(cluster, from, to);
  await startSnapshot(cluster, id, { ...props.Tags, ...upgradeTags(from, to) }, 'pre-upgrade', invocation);
  return result(id);
}

async function goLive(event: CustomResourceEvent, invocation: Invocation): Promise<CustomResourceResponse> {
  const props = parseSnapshotProperties(event.ResourceProperties);
  const cluster = props.ClusterIdentifier as string;
  const id = props.SnapshotIdentifier as string;
  if (event.RequestType === 'Update') {
    const kept = previous(event);
    if (kept.PhysicalResourceId !== id)
      invocation.log.warn('go-live-kept', {
        kept: kept.PhysicalResourceId,
        configured: id,
        note: 'PROD Main was restored from the first go-live snapshot',
      });
    return kept;
  }
  if (!(await clusterExists(cluster, invocation)))
    throw new HandlerError(
      `go-live: the source cluster ${cluster} does not exist; deploy Pre-PROD first, ` +
        `or go live from a snapshot (initialData.fromPreprodSnapshot)`,
    );
  await startSnapshot(cluster, id, props.Tags, 'go-live', invocation);
  return result(id);
}

function apply(event: CustomResourceEvent, invocation: Invocation): Promise<CustomResourceResponse> {
  const mode = event.ResourceProperties.Mode;
  return mode === 'go-live' ? goLive(event, invocation) : preUpgrade(event, invocation);
}

/** Delete: nothing; the snapshot stays (the rollback point, or what PROD Main was restored from). */
function remove(event: CustomResourceEvent, { log }: Invocation): Promise<CustomResourceResponse> {
  log.info('delete-kept', { physicalResourceId: event.PhysicalResourceId, note: 'the snapshot is kept by policy' });
  return Promise.resolve({ PhysicalResourceId: event.PhysicalResourceId ?? NO_SNAPSHOT });
}

/** The Lambda entry point (Provider framework onEvent). */
export const handler: (event: CustomResourceEvent) => Promise<CustomResourceResponse> = customResourceHandler(
  SOURCE,
  { create: apply, update: apply, delete: remove },
  { format: 'json' },
);

/** What the Provider framework gives isComplete: the event, with onEvent's PhysicalResourceId and Data. */
export type CompletionEvent = CustomResourceEvent & { readonly Data?: Readonly<Record<string, string>> };

export interface CompletionResult {
  readonly IsComplete: boolean;
  readonly Data?: Record<string, string>;
}

/** The Provider framework's isComplete: complete when there is no snapshot to wait for or it is `available`. */
export async function isComplete(event: CompletionEvent): Promise<CompletionResult> {
  const invocation = newInvocation(`${SOURCE}-wait`, 'json');
  try {
    if (event.RequestType === 'Delete') return { IsComplete: true };
    const id = event.Data?.SnapshotIdentifier;
    if (!id || id === NO_SNAPSHOT) return { IsComplete: true };
    const snapshot = await describeSnapshot(id, invocation);
    if (!snapshot) throw new HandlerError(`snapshot ${id} disappeared while it was being created; deploy again`);
    if (snapshot.Status === 'available') {
      invocation.log.info('snapshot-available', { snapshot: id, created: snapshot.SnapshotCreateTime });
      return { IsComplete: true };
    }
    // DBClusterSnapshot.Status (RDS API Reference, DBClusterSnapshot): available, copying, creating.
    if (snapshot.Status !== 'creating' && snapshot.Status !== 'copying')
      throw new HandlerError(
        `snapshot ${id} is ${snapshot.Status ?? 'in an unknown state'}, not available; see the cluster's events in the RDS console`,
      );
    invocation.log.info('snapshot-creating', { snapshot: id, percent: snapshot.PercentProgress ?? 0 });
    return { IsComplete: false };
  } catch (error) {
    const safe = toHandlerError(error, invocation.redactor);
    invocation.log.error('wait-failed', { error: safe.message });
    throw safe;
  }
}
