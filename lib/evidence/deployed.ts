/**
 * `--deployed <dir>`: JSON files of the AWS CLI's describe calls for the deployed environment,
 * recognised by their top-level key, whatever their names:
 *   aws cloudformation describe-stacks            -> { "Stacks": [...] }
 *   aws cloudformation describe-stack-resources   -> { "StackResources": [...] }  (one file per stack)
 *   aws rds describe-db-clusters                  -> { "DBClusters": [...] }
 *   aws rds describe-db-instances                 -> { "DBInstances": [...] }
 */
import * as fs from 'fs';
import * as path from 'path';
import { sha256 } from './canonical';

export interface DeployedStack {
  readonly StackName: string;
  readonly StackId?: string;
  readonly EnableTerminationProtection?: boolean;
  readonly Tags?: readonly { readonly Key: string; readonly Value: string }[];
}

export interface DeployedState {
  readonly dir: string;
  readonly files: readonly { readonly file: string; readonly sha256: string; readonly kind: string }[];
  readonly stacks: ReadonlyMap<string, DeployedStack>;
  /** by DBClusterIdentifier */
  readonly clusters: ReadonlyMap<string, Record<string, unknown>>;
  /** by DBInstanceIdentifier */
  readonly instances: ReadonlyMap<string, Record<string, unknown>>;
  /** `<stack>/<logical id>` -> physical id */
  readonly physicalIds: ReadonlyMap<string, string>;
}

export class DeployedError extends Error {}

export function readDeployed(dir: string): DeployedState {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new DeployedError(
      `--deployed ${dir} is not a directory of describe-stacks / describe-db-clusters / describe-stack-resources JSON files`,
    );
  const files: { file: string; sha256: string; kind: string }[] = [];
  const stacks = new Map<string, DeployedStack>();
  const clusters = new Map<string, Record<string, unknown>>();
  const instances = new Map<string, Record<string, unknown>>();
  const physicalIds = new Map<string, string>();
  for (const name of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new DeployedError(`--deployed ${path.join(dir, name)}: not JSON (${(e as Error).message})`);
    }
    const kind = ['Stacks', 'StackResources', 'DBClusters', 'DBInstances'].find((k) => Array.isArray(json[k]));
    if (!kind)
      throw new DeployedError(
        `--deployed ${path.join(dir, name)}: none of Stacks, StackResources, DBClusters, DBInstances at the top level; give the JSON output of describe-stacks, describe-stack-resources, describe-db-clusters or describe-db-instances`,
      );
    files.push({ file: name, sha256: sha256(text), kind });
    for (const item of json[kind] as Record<string, unknown>[]) {
      if (kind === 'Stacks') stacks.set(String(item.StackName), item as unknown as DeployedStack);
      if (kind === 'DBClusters') clusters.set(String(item.DBClusterIdentifier), item);
      if (kind === 'DBInstances') instances.set(String(item.DBInstanceIdentifier), item);
      if (kind === 'StackResources')
        physicalIds.set(`${String(item.StackName)}/${String(item.LogicalResourceId)}`, String(item.PhysicalResourceId));
    }
  }
  if (files.length === 0) throw new DeployedError(`--deployed ${dir} holds no .json file`);
  return { dir, files, stacks, clusters, instances, physicalIds };
}
