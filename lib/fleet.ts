/**
 * Builds the CDK stacks of a validated fleet: for every environment a data stack and an app
 * stack, plus a replica stack for a PROD environment with a read replica, named and tagged as
 * lib/naming.ts documents.
 */
import { App } from 'aws-cdk-lib';
import { Fleet } from './config/model';
import { EnvironmentSpec, fleetEnvironments } from './environments';
import { EnvironmentAppStack } from './stacks/app-stack';
import { EnvironmentDataStack } from './stacks/data-stack';
import { EnvironmentReplicaStack } from './stacks/replica-stack';

export interface EnvironmentStacks {
  readonly spec: EnvironmentSpec;
  readonly data: EnvironmentDataStack;
  readonly app: EnvironmentAppStack;
  /** The customer's read replica (PROD with `readReplica` only); depends on the data stack only. */
  readonly replica?: EnvironmentReplicaStack;
}

export interface BuildFleetOptions {
  /**
   * Build only the environments of these owners (customer slugs, `platform` for the vendor's).
   * The rest of the fleet still takes part in resolution: a customer's environments get the
   * vendor's monitoring defaults from platform.yaml whether or not the platform is built, so one
   * owner's stacks are the same in a synth of that owner as in a synth of the whole fleet.
   * @default every owner
   */
  readonly owners?: readonly string[];
}

export function buildFleet(app: App, fleet: Fleet, options: BuildFleetOptions = {}): EnvironmentStacks[] {
  const { owners } = options;
  const specs = fleetEnvironments(fleet).filter((spec) => owners === undefined || owners.includes(spec.owner));
  const environments = specs.map((spec) => {
    const data = new EnvironmentDataStack(app, spec);
    const appStack = new EnvironmentAppStack(app, spec, data);
    const replica = spec.readReplica ? new EnvironmentReplicaStack(app, spec, data) : undefined;
    return { spec, data, app: appStack, replica };
  });
  // A VAL environment copies its source's clusters by name (no template reference): deploy the
  // source's data stack first, so that `cdk deploy` of VAL never races the source's creation.
  for (const env of environments) {
    const val = env.spec.val;
    if (!val) continue;
    const source = environments.find((e) => e.spec.owner === env.spec.owner && e.spec.kind === val.source);
    if (source) env.data.addStackDependency(source.data, `VAL copies ${val.source}'s databases by name`);
  }
  // Go-live by clone (lifecycle.initialData) snapshots Pre-PROD Main by name at deploy time: the
  // Pre-PROD data stack is deployed first (the snapshot handler refuses a missing source).
  for (const env of environments) {
    if (env.spec.lifecycle.initialData?.kind !== 'clone') continue;
    const source = environments.find((e) => e.spec.owner === env.spec.owner && e.spec.kind === 'preprod');
    if (source) env.data.addStackDependency(source.data, 'PROD Main is restored from a snapshot of Pre-PROD Main taken at deploy time');
  }
  return environments;
}
