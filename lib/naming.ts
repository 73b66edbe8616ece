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
 */
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
