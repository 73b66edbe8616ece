/**
 * The stateful lock: the logical ids of every stateful resource of a fleet, by stack, and for the
 * resources whose identity is a create-only property, the value of that property. A logical id
 * that changes or disappears, or a create-only property that changes, means CloudFormation would
 * replace or delete data, so:
 *   - `cdk synth` of a fleet that has a lock file (`<config>/stateful-lock.json`) refuses such a
 *     change for every stack it synthesises, naming the resource, the property and both values;
 *   - the test on the example fleet fails the same way;
 * until the lock file is updated on purpose (`npm run stateful-lock:update -- <config dir>`), and
 * the diff of the lock is reviewed like any other change to production data.
 */
import { App, Stack } from 'aws-cdk-lib';
import { CATALOG } from './catalog';
import { TAG_ENVIRONMENT } from './environments';
import { EnvironmentKind } from './kinds';
import { LockedResource, StatefulLock } from './stateful-lock-file';

export const STATEFUL_TYPES = [
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBInstance',
  'AWS::KMS::Key',
  'AWS::SecretsManager::Secret',
  'AWS::S3::Bucket',
  'AWS::Logs::LogGroup',
  'AWS::Backup::BackupVault',
  'AWS::EC2::Instance',
  'AWS::EC2::Volume',
] as const;

/**
 * Create-only properties recorded in the lock ("Update requires: Replacement" in the AWS
 * CloudFormation User Guide's resource reference: AWS::RDS::DBInstance AvailabilityZone;
 * AWS::EC2::Instance ImageId and AvailabilityZone; AWS::EC2::Volume AvailabilityZone). These are
 * the ones that configuration reaches: the order or set of `aws.availabilityZones` and
 * `readReplica.jumpHostAmi`. Properties that are CloudFormation tokens (Ref, GetAtt) are recorded
 * as their JSON.
 */
export const LOCKED_CREATE_ONLY_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  'AWS::RDS::DBInstance': ['AvailabilityZone'],
  'AWS::EC2::Instance': ['ImageId', 'AvailabilityZone'],
  'AWS::EC2::Volume': ['AvailabilityZone'],
};

/**
 * The origin of a database's data: a cluster restored from a snapshot (a PROD Main created from
 * Pre-PROD at go-live) or cloned from another cluster. Both are create-only ("Update requires:
 * Replacement", AWS::RDS::DBCluster in the CloudFormation User Guide), so adding, changing or
 * removing `initialData` on a deployed PROD would replace PROD Main (and a new source would
 * replace the read replica). Recorded for the kinds whose
 * data is neither replaced on purpose (Community's wipe: catalog `lifecycle.dataReplaceable`) nor a
 * refreshed scrubbed copy (VAL: `requiresPiiScrub`, a new snapshot at each refresh).
 */
export const LOCKED_DATA_ORIGIN_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  'AWS::RDS::DBCluster': ['SnapshotIdentifier', 'SourceDBClusterIdentifier'],
};

/** Whether a stack's databases have their data origin locked, from its `clinspark:environment` tag. */
export function locksDataOrigin(kind: string | undefined): boolean {
  const policy = kind !== undefined ? CATALOG[kind as EnvironmentKind] : undefined;
  return policy !== undefined && !policy.requiresPiiScrub && !policy.lifecycle.dataReplaceable;
}

/** What a replacement of a locked resource means to an operator, by type. */
const REPLACEMENT_MEANING: Readonly<Record<string, string>> = {
  'AWS::RDS::DBInstance': 'the database instance is deleted and created anew in the other zone',
  'AWS::EC2::Instance': 'the instance is deleted and created anew (a jump host gets new SSH host keys; customers must re-accept them)',
  'AWS::EC2::Volume': 'the volume and its data are deleted',
  'AWS::RDS::DBCluster':
    'the database cluster is created anew from the other origin (snapshot or source ' +
    'cluster) and the deployed one, with its data, is deleted; a PROD restored from ' +
    'Pre-PROD at go-live keeps its initialData for good',
};

function typeOf(r: LockedResource): string {
  return typeof r === 'string' ? r : r.type;
}

function createOnlyOf(r: LockedResource): Readonly<Record<string, string>> {
  return typeof r === 'string' ? {} : r.createOnly;
}

/** The lock entries of one template. */
export function lockedResourcesOf(
  template: {
    Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  },
  options: { readonly dataOrigin?: boolean } = {},
): Record<string, LockedResource> {
  const entries = Object.entries(template.Resources ?? {})
    .filter(([, r]) => (STATEFUL_TYPES as readonly string[]).includes(r.Type))
    .sort(([a], [b]) => a.localeCompare(b));
  return Object.fromEntries(
    entries.map(([id, r]) => {
      const names = [
        ...(LOCKED_CREATE_ONLY_PROPERTIES[r.Type] ?? []),
        ...(options.dataOrigin ? (LOCKED_DATA_ORIGIN_PROPERTIES[r.Type] ?? []) : []),
      ];
      const createOnly: Record<string, string> = {};
      for (const name of names) {
        const value = r.Properties?.[name];
        if (value !== undefined) createOnly[name] = typeof value === 'string' ? value : JSON.stringify(value);
      }
      return [id, Object.keys(createOnly).length > 0 ? { type: r.Type, createOnly } : r.Type];
    }),
  );
}

/** The lock of every stack of a synthesised app. */
export function statefulResources(app: App): StatefulLock {
  const assembly = app.synth();
  const lock: StatefulLock = {};
  for (const stack of app.node.children.filter(Stack.isStack).sort((a, b) => a.stackName.localeCompare(b.stackName))) {
    const kind = stack.tags.tagValues()[TAG_ENVIRONMENT];
    const resources = lockedResourcesOf(assembly.getStackByName(stack.stackName).template as Parameters<typeof lockedResourcesOf>[0], {
      dataOrigin: locksDataOrigin(kind),
    });
    if (Object.keys(resources).length > 0) lock[stack.stackName] = resources;
  }
  return lock;
}

export interface LockDifference {
  readonly missing: string[];
  readonly changed: string[];
  readonly unlocked: string[];
}

/**
 * Differences between the lock and the current synthesis. With `onlyStacks`, stacks outside it
 * are not compared (a synth of one customer says nothing about the others).
 */
export function compareLock(locked: StatefulLock, current: StatefulLock, onlyStacks?: ReadonlySet<string>): LockDifference {
  const missing: string[] = [];
  const changed: string[] = [];
  const unlocked: string[] = [];
  for (const [stack, resources] of Object.entries(locked)) {
    if (onlyStacks && !onlyStacks.has(stack)) continue;
    for (const [id, entry] of Object.entries(resources)) {
      const now = current[stack]?.[id];
      const type = typeOf(entry);
      if (now === undefined) {
        missing.push(`${stack}/${id} (${type})`);
        continue;
      }
      if (typeOf(now) !== type) {
        changed.push(`${stack}/${id}: ${type} -> ${typeOf(now)}`);
        continue;
      }
      const before = createOnlyOf(entry);
      const after = createOnlyOf(now);
      const origin = LOCKED_DATA_ORIGIN_PROPERTIES[type] ?? [];
      for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
        // A data origin the lock does not record may be a lock written before origins were
        // recorded: only a recorded origin that changes or disappears is refused (validation warns
        // about an origin added to a deployed PROD).
        if (origin.includes(name) && before[name] === undefined) continue;
        if (before[name] !== after[name]) {
          changed.push(
            `${stack}/${id} (${type}): ${name} changes from ${before[name] ?? '(unset)'} to ${after[name] ?? '(unset)'}; ` +
              `this create-only property makes CloudFormation replace the resource: ` +
              `${REPLACEMENT_MEANING[type] ?? 'it is deleted and created anew'}`,
          );
        }
      }
    }
  }
  for (const [stack, resources] of Object.entries(current)) {
    for (const [id, entry] of Object.entries(resources))
      if (locked[stack]?.[id] === undefined) unlocked.push(`${stack}/${id} (${typeOf(entry)})`);
  }
  return { missing, changed, unlocked };
}
