/**
 * Names that are an external contract: stack names (what engineers type after `cdk deploy`) and
 * host names (what users type in a browser). Documented in the README; changing them moves or
 * replaces deployed stacks, so tests pin them.
 *
 * - Stacks: `clinspark-<owner>-<environment>-<layer>`, where owner is the customer slug or
 *   `platform`, environment is the kind (`prod`, `val`, ...) or `demo-<name>` / `community` for
 *   platform instances, and layer is `data` (network, keys, databases, secrets, logs: everything
 *   stateful) or `app` (load balancer, WAF, ECS services, DNS records: everything that can be
 *   replaced without touching data).
 * - Hosts: pairs are `<instance>-<environment>.<zone>` (main-prod, test-prod, main-val, ...);
 *   single instances are `<environment>.<zone>` (preprod, migration, demo-r2025-2, community).
 *   One wildcard certificate `*.<zone>` therefore covers every host of an owner.
 * - Resources with fixed physical names (operators, runbooks, the customer and other stacks find
 *   them by name): database clusters `clinspark-<owner>-<environment>-<instance>` and the read
 *   replica `...-replica`, the WAF log group `aws-waf-logs-clinspark-<owner>-<environment>` (WAF
 *   requires the `aws-waf-logs-` prefix), alarms `clinspark-<owner>-<environment>-...`, the
 *   dashboard `<owner>-<environment>`, the support role `clinspark-<owner>-<environment>-support`,
 *   the observability link label `clinspark-<owner>`, and the read replica's DNS names
 *   `jump-<environment>.<zone>` and `replica-<environment>.<zone>`.
 */
import { createHash } from 'crypto';
import { InstanceRole } from './catalog';

export const STACK_PREFIX = 'clinspark';
export type StackLayer = 'data' | 'app' | 'replica';

export function stackName(owner: string, environment: string, layer: StackLayer): string {
  return `${STACK_PREFIX}-${owner}-${environment}-${layer}`;
}

export function hostName(options: { environment: string; role: InstanceRole; paired: boolean; zoneName: string }): string {
  const label = options.paired ? `${options.role}-${options.environment}` : options.environment;
  return `${label}.${options.zoneName}`;
}

/** Container image tag of a release: `<version>-b<build>`, e.g. `2025.2.0-b1234`. */
export function imageTag(release: { version: string; build: string }): string {
  return `${release.version}-b${release.build}`;
}

/**
 * Docker label carrying the release's image tag on the container, for humans: where the task
 * definition references the image by digest (`<repository>@sha256:...`), the label (and the
 * container's `CLINSPARK_RELEASE` variable) still say which `<version>-b<build>` that digest is.
 */
export const IMAGE_TAG_LABEL = 'cloud.clinspark.image-tag';

/** The `<prefix>-<owner>-<environment>` stem of an environment's fixed resource names. */
export function environmentStem(owner: string, environment: string): string {
  return `${STACK_PREFIX}-${owner}-${environment}`;
}

/** Physical cluster identifier of an instance's database (fixed names: see ClinSparkDatabase). */
export function clusterIdentifier(owner: string, environment: string, role: InstanceRole): string {
  return `${environmentStem(owner, environment)}-${role}`;
}

/** What names a wiped database: the wipe's label and its source (a snapshot, else a reseed). */
export interface ClusterWipe {
  readonly label: string;
  readonly fromSnapshot?: string;
}

/**
 * The cluster identifier of a wiped database (Community, `community.wipe`): `<cluster>-<label>-<hash>`,
 * where the hash (6 hex) is of the wipe's source (`fromSnapshot`, or `seed` for an empty, reseeded
 * cluster). A new label or a new source is a new physical name, which is what lets CloudFormation
 * replace a custom-named cluster (it cannot replace one under the same name); at most
 * 33 + 1 + 20 + 1 + 6 = 61 characters for the platform's Community (Aurora allows 63).
 */
export function wipedClusterIdentifier(cluster: string, wipe: ClusterWipe): string {
  const source = wipe.fromSnapshot ? `snapshot:${wipe.fromSnapshot}` : 'seed';
  return `${cluster}-${wipe.label}-${createHash('sha256').update(source).digest('hex').slice(0, 6)}`;
}

/**
 * The identifier a (non-VAL) database of an environment is created with: clusterIdentifier(), or
 * for a wiped Community the wipeIdentifier of it. The data stack names the cluster with it, and
 * `npx clinspark retire` names it when no deployed state is at hand.
 */
export function configuredClusterIdentifier(owner: string, environment: string, role: InstanceRole, wipe?: ClusterWipe): string {
  const base = clusterIdentifier(owner, environment, role);
  return wipe ? wipedClusterIdentifier(base, wipe) : base;
}

/** The customer read replica's cluster identifier. */
export function replicaClusterIdentifier(owner: string, environment: string): string {
  return `${environmentStem(owner, environment)}-replica`;
}

/**
 * The WAF log group. AWS WAF logging requires a CloudWatch Logs group whose name starts with
 * `aws-waf-logs-` (AWS WAF Developer Guide, "Sending web ACL traffic logs to an Amazon CloudWatch
 * Logs log group").
 */
export function wafLogGroupName(owner: string, environment: string): string {
  return `aws-waf-logs-${environmentStem(owner, environment)}`;
}

/** Every alarm of an environment is named `<prefix>-...`. */
export function alarmNamePrefix(owner: string, environment: string): string {
  return environmentStem(owner, environment);
}

export function dashboardName(owner: string, environment: string): string {
  return `${owner}-${environment}`;
}

export function supportRoleName(owner: string, environment: string): string {
  return `${environmentStem(owner, environment)}-support`;
}

/** Label of the owner account's link to the vendor's observability sink (one per account). */
export function observabilityLinkLabel(owner: string): string {
  return `${STACK_PREFIX}-${owner}`;
}

/** DNS names of the read replica's jump host and of the replica itself (through the tunnel). */
export function replicaHostNames(environment: string, zoneName: string): { readonly jumpHost: string; readonly replica: string } {
  return { jumpHost: `jump-${environment}.${zoneName}`, replica: `replica-${environment}.${zoneName}` };
}
