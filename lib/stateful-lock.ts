/**
 * The stateful lock: the logical ids of every stateful resource of a fleet, by stack. A logical
 * id that changes or disappears means CloudFormation would replace or delete data, so the test
 * on the example fleet fails until the lock file is updated on purpose
 * (`npm run stateful-lock:update`, reviewed like any change to production data).
 */
import { App, Stack } from 'aws-cdk-lib';

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

/** stack name -> logical id -> resource type */
export type StatefulLock = Record<string, Record<string, string>>;

export function statefulResources(app: App): StatefulLock {
  const assembly = app.synth();
  const lock: StatefulLock = {};
  for (const stack of app.node.children.filter(Stack.isStack).sort((a, b) => a.stackName.localeCompare(b.stackName))) {
    const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, { Type: string }> };
    const entries = Object.entries(template.Resources)
      .filter(([, r]) => (STATEFUL_TYPES as readonly string[]).includes(r.Type))
      .sort(([a], [b]) => a.localeCompare(b));
    if (entries.length > 0) lock[stack.stackName] = Object.fromEntries(entries.map(([id, r]) => [id, r.Type]));
  }
  return lock;
}

export interface LockDifference {
  readonly missing: string[];
  readonly changed: string[];
  readonly unlocked: string[];
}

export function compareLock(locked: StatefulLock, current: StatefulLock): LockDifference {
  const missing: string[] = [];
  const changed: string[] = [];
  const unlocked: string[] = [];
  for (const [stack, resources] of Object.entries(locked)) {
    for (const [id, type] of Object.entries(resources)) {
      const now = current[stack]?.[id];
      if (now === undefined) missing.push(`${stack}/${id} (${type})`);
      else if (now !== type) changed.push(`${stack}/${id}: ${type} -> ${now}`);
    }
  }
  for (const [stack, resources] of Object.entries(current)) {
    for (const [id, type] of Object.entries(resources)) if (locked[stack]?.[id] === undefined) unlocked.push(`${stack}/${id} (${type})`);
  }
  return { missing, changed, unlocked };
}
