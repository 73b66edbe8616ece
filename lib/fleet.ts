/**
 * Builds the CDK stacks of a validated fleet: for every environment a data stack and an app
 * stack (and later issues' stacks), named and tagged as lib/naming.ts documents.
 */
import { App } from 'aws-cdk-lib';
import { Fleet } from './config/model';
import { EnvironmentSpec, fleetEnvironments } from './environments';
import { EnvironmentAppStack } from './stacks/app-stack';
import { EnvironmentDataStack } from './stacks/data-stack';

export interface EnvironmentStacks {
  readonly spec: EnvironmentSpec;
  readonly data: EnvironmentDataStack;
  readonly app: EnvironmentAppStack;
}

export function buildFleet(app: App, fleet: Fleet): EnvironmentStacks[] {
  return fleetEnvironments(fleet).map((spec) => {
    const data = new EnvironmentDataStack(app, spec);
    const appStack = new EnvironmentAppStack(app, spec, data);
    return { spec, data, app: appStack };
  });
}
