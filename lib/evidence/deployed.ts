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
import { z } from 'zod';
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

/**
 * The fields read of each kind's items, as the AWS CLI writes them (CloudFormation API `Stack`
 * and `StackResource`, RDS API `DBCluster` and `DBInstance`); the other fields are kept as they are.
 */
const identifier = z.string().min(1);
const ITEM_SCHEMAS = {
  Stacks: z.looseObject({
    StackName: identifier,
    StackId: z.string().optional(),
    EnableTerminationProtection: z.boolean().optional(),
    Tags: z.array(z.looseObject({ Key: z.string(), Value: z.string() })).optional(),
  }),
  // PhysicalResourceId is absent for a resource that was never created.
  StackResources: z.looseObject({ StackName: identifier, LogicalResourceId: identifier, PhysicalResourceId: z.string().optional() }),
  DBClusters: z.looseObject({ DBClusterIdentifier: identifier }),
  DBInstances: z.looseObject({ DBInstanceIdentifier: identifier }),
} as const;
type Kind = keyof typeof ITEM_SCHEMAS;
type Item<K extends Kind> = z.output<(typeof ITEM_SCHEMAS)[K]>;
/** What each kind's items are kept as (a mapped type, so `keep[kind]` takes that kind's items). */
type Keep = { readonly [K in Kind]: (item: Item<K>) => void };
const KINDS = Object.keys(ITEM_SCHEMAS) as Kind[];

/**
 * Each item of one describe output, parsed and handed to its kind's `keep`; a bad one is a
 * DeployedError naming the file, the item's path and the fix.
 */
function readItems<K extends Kind>(file: string, kind: K, items: readonly unknown[], keep: Keep): void {
  items.forEach((raw, index) => {
    const parsed = ITEM_SCHEMAS[kind].safeParse(raw);
    if (parsed.success) return keep[kind](parsed.data as Item<K>);
    const issue = parsed.error.issues[0];
    const at = [kind, index, ...issue.path]
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .slice(1);
    throw new DeployedError(
      `--deployed ${file}: ${at}: ${issue.message}; give the unedited JSON output of the AWS CLI's describe call (--output json)`,
    );
  });
}

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
  const keep: Keep = {
    Stacks: (item) => stacks.set(item.StackName, item),
    DBClusters: (item) => clusters.set(item.DBClusterIdentifier, item),
    DBInstances: (item) => instances.set(item.DBInstanceIdentifier, item),
    StackResources: (item) => {
      if (item.PhysicalResourceId !== undefined) physicalIds.set(`${item.StackName}/${item.LogicalResourceId}`, item.PhysicalResourceId);
    },
  };
  for (const name of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const file = path.join(dir, name);
    const text = fs.readFileSync(file, 'utf8');
    let json: Record<string, unknown> | null;
    try {
      json = JSON.parse(text) as Record<string, unknown> | null;
    } catch (e) {
      throw new DeployedError(`--deployed ${file}: not JSON (${(e as Error).message})`);
    }
    const kind = KINDS.find((k) => Array.isArray(json?.[k]));
    if (!json || !kind)
      throw new DeployedError(
        `--deployed ${file}: none of ${KINDS.join(', ')} at the top level; give the JSON ` +
          `output of describe-stacks, describe-stack-resources, describe-db-clusters or describe-db-instances`,
      );
    files.push({ file: name, sha256: sha256(text), kind });
    readItems(file, kind, json[kind] as unknown[], keep);
  }
  if (files.length === 0) throw new DeployedError(`--deployed ${dir} holds no .json file`);
  return { dir, files, stacks, clusters, instances, physicalIds };
}
