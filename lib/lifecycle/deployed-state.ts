/**
 * The deployed ("before") state of one environment as the approved baseline records it: the
 * templates `npx clinspark baseline` wrote (baseline/<fleet>/, lib/evidence/gate.ts) or any cloud
 * assembly of the deployed state, read like the ECR reads its baseline (lib/evidence/assembly.ts).
 * Only what an upgrade plan compares is extracted: the release the task definitions run, the
 * engine version and capacity of every database cluster, the app services' task counts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AssemblyStack, CfnResource, environmentsOf, readAssembly } from '../evidence/assembly';
import { CLUSTER_SNAPSHOT_RESOURCE_TYPE } from '../../constructs/lifecycle/pre-upgrade-snapshot';
import { IMAGE_TAG_LABEL } from '../naming';

export interface DeployedCluster {
  readonly stack: string;
  readonly logicalId: string;
  /** DBClusterIdentifier, or a note when the template leaves it to CloudFormation. */
  readonly clusterIdentifier: string;
  readonly engineVersion?: string;
  /** Serverless v2 capacity range, when the cluster has one. */
  readonly serverless?: { readonly minAcu: number; readonly maxAcu: number };
  /** The cluster's DB instances (writer first, as CDK names them), with their class. */
  readonly instances: readonly { readonly logicalId: string; readonly instanceClass: string }[];
}

/** A pre-upgrade snapshot resource of the data stack (constructs/lifecycle/pre-upgrade-snapshot.ts): the state it last protected. */
export interface DeployedSnapshotResource {
  readonly stack: string;
  readonly clusterIdentifier: string;
  readonly release: string;
  readonly engineVersion: string;
}

export interface DeployedService {
  readonly stack: string;
  readonly logicalId: string;
  readonly desiredCount?: number;
  readonly minimumHealthyPercent?: number;
  readonly maximumPercent?: number;
}

export interface DeployedState {
  /** The baseline directory as given. */
  readonly source: string;
  readonly stacks: readonly string[];
  /** Image tags of the task definitions (the `cloud.clinspark.image-tag` label or CLINSPARK_RELEASE), distinct, sorted. */
  readonly releases: readonly string[];
  readonly clusters: readonly DeployedCluster[];
  readonly services: readonly DeployedService[];
  /** The pre-upgrade snapshot resources the deployed data stack already has (none before the feature was deployed). */
  readonly snapshotResources: readonly DeployedSnapshotResource[];
  /** Distinct `min-max` task counts of the services' scalable targets, and `cpu/memory` of the task definitions. */
  readonly appScaling: readonly string[];
  readonly appTaskSizes: readonly string[];
}

/** Why there is no deployed state to compare with. */
export interface NoDeployedState {
  readonly source: string;
  readonly reason: string;
}

function refOf(value: unknown): string | undefined {
  const ref = value && typeof value === 'object' && 'Ref' in value ? value.Ref : undefined;
  return typeof ref === 'string' ? ref : undefined;
}

/** The image tags a stack's task definitions run. */
export function releasesOf(stack: AssemblyStack): string[] {
  const out = new Set<string>();
  for (const r of Object.values(stack.template.Resources ?? {})) {
    if (r.Type !== 'AWS::ECS::TaskDefinition') continue;
    const containers = (r.Properties?.ContainerDefinitions ?? []) as {
      DockerLabels?: Record<string, unknown>;
      Environment?: { Name?: string; Value?: unknown }[];
    }[];
    for (const c of containers) {
      const label = c.DockerLabels?.[IMAGE_TAG_LABEL];
      const env = c.Environment?.find((e) => e.Name === 'CLINSPARK_RELEASE')?.Value;
      const tag = typeof label === 'string' ? label : typeof env === 'string' ? env : undefined;
      if (tag) out.add(tag);
    }
  }
  return [...out];
}

function clustersOf(stack: AssemblyStack): DeployedCluster[] {
  const resources = Object.entries(stack.template.Resources ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const instancesOf = (clusterId: string) =>
    resources
      .filter(([, r]) => r.Type === 'AWS::RDS::DBInstance' && refOf(r.Properties?.DBClusterIdentifier) === clusterId)
      // The writer first (CDK's `Writer` construct), then readers by logical id.
      .sort(([a], [b]) => Number(!a.includes('Writer')) - Number(!b.includes('Writer')) || a.localeCompare(b))
      .map(([logicalId, r]) => ({
        logicalId,
        instanceClass: typeof r.Properties?.DBInstanceClass === 'string' ? r.Properties.DBInstanceClass : 'unknown',
      }));
  return resources
    .filter(([, r]) => r.Type === 'AWS::RDS::DBCluster')
    .map(([logicalId, r]: [string, CfnResource]) => {
      const p = r.Properties ?? {};
      const scaling = p.ServerlessV2ScalingConfiguration as { MinCapacity?: number; MaxCapacity?: number } | undefined;
      return {
        stack: stack.stackName,
        logicalId,
        clusterIdentifier: typeof p.DBClusterIdentifier === 'string' ? p.DBClusterIdentifier : `(physical id of ${logicalId})`,
        engineVersion: typeof p.EngineVersion === 'string' ? p.EngineVersion : undefined,
        serverless: scaling ? { minAcu: Number(scaling.MinCapacity ?? 0), maxAcu: Number(scaling.MaxCapacity ?? 0) } : undefined,
        instances: instancesOf(logicalId),
      };
    });
}

function servicesOf(stack: AssemblyStack): DeployedService[] {
  return Object.entries(stack.template.Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::ECS::Service')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([logicalId, r]) => {
      const p = r.Properties ?? {};
      const dc = p.DeploymentConfiguration as { MinimumHealthyPercent?: number; MaximumPercent?: number } | undefined;
      return {
        stack: stack.stackName,
        logicalId,
        desiredCount: typeof p.DesiredCount === 'number' ? p.DesiredCount : undefined,
        minimumHealthyPercent: dc?.MinimumHealthyPercent,
        maximumPercent: dc?.MaximumPercent,
      };
    });
}

function snapshotResourcesOf(stack: AssemblyStack): DeployedSnapshotResource[] {
  return Object.values(stack.template.Resources ?? {})
    .filter((r) => r.Type === CLUSTER_SNAPSHOT_RESOURCE_TYPE && r.Properties?.Mode === 'pre-upgrade')
    .map((r) => {
      const p = r.Properties ?? {};
      const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
      return {
        stack: stack.stackName,
        clusterIdentifier: text(p.ClusterIdentifier),
        release: text(p.Release),
        engineVersion: text(p.EngineVersion),
      };
    });
}

function appOf(stack: AssemblyStack): { scaling: string[]; sizes: string[] } {
  const scaling: string[] = [];
  const sizes: string[] = [];
  for (const r of Object.values(stack.template.Resources ?? {})) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget' && p.ScalableDimension === 'ecs:service:DesiredCount')
      scaling.push(`min ${String(p.MinCapacity)}, max ${String(p.MaxCapacity)}`);
    if (r.Type === 'AWS::ECS::TaskDefinition') sizes.push(`${String(p.Cpu)} CPU units, ${String(p.Memory)} MiB`);
  }
  return { scaling, sizes };
}

/**
 * The deployed state of environment `id` (`<owner>/<name>`) in the baseline directory, or why
 * there is none: no baseline directory, or no stack of the environment in it (not deployed yet).
 * A directory that exists but is not a readable assembly is an error (AssemblyError).
 */
export function readDeployedState(baselineDir: string, id: string): DeployedState | NoDeployedState {
  if (!fs.existsSync(baselineDir) || !fs.existsSync(path.join(baselineDir, 'manifest.json')))
    return { source: baselineDir, reason: `no approved baseline at ${baselineDir} (written by \`npx clinspark baseline\`)` };
  const env = environmentsOf(readAssembly(baselineDir)).find((e) => e.id === id);
  if (!env) return { source: baselineDir, reason: `the baseline ${baselineDir} has no stack of ${id} (not deployed yet)` };
  return {
    source: baselineDir,
    stacks: env.stacks.map((s) => s.stackName),
    releases: [...new Set(env.stacks.flatMap(releasesOf))].sort(),
    clusters: env.stacks.flatMap(clustersOf),
    services: env.stacks.flatMap(servicesOf),
    snapshotResources: env.stacks.flatMap(snapshotResourcesOf),
    appScaling: [...new Set(env.stacks.flatMap((s) => appOf(s).scaling))].sort(),
    appTaskSizes: [...new Set(env.stacks.flatMap((s) => appOf(s).sizes))].sort(),
  };
}

export function isDeployed(state: DeployedState | NoDeployedState): state is DeployedState {
  return 'stacks' in state;
}
