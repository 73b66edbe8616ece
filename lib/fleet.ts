/**
 * Builds the CDK stacks of a validated fleet: for every environment a data stack and an app
 * stack (and later issues' stacks), named and tagged as lib/naming.ts documents.
 */
import { App } from 'aws-cdk-lib';
import { Fleet } from './config/model';
import { EnvironmentSpec, fleetEnvironments } from './environments';
import { EnvironmentDataStack } from './stacks/data-stack';

export interface EnvironmentStacks {
  readonly spec: EnvironmentSpec;
  readonly data: EnvironmentDataStack;
}

export function buildFleet(app: App, fleet: Fleet): EnvironmentStacks[] {
  return fleetEnvironments(fleet).map((spec) => {
    const data = new EnvironmentDataStack(app, spec);
    return { spec, data };
  });
}
