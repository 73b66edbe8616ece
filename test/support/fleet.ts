/**
 * Builds a fleet's stacks for template tests: once per test file (module cache), into a
 * temporary cloud assembly, with or without the compliance gate.
 */
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Fleet } from '../../lib/config/model';
import { loadFleet } from '../../lib/config';
import { offlineApp } from '../../lib/offline-app';
import { EnvironmentStacks, buildFleet } from '../../lib/fleet';

export const EXAMPLE_CONFIG = path.join(__dirname, '..', '..', 'config');

export interface BuiltFleet {
  readonly app: App;
  readonly fleet: Fleet;
  readonly environments: EnvironmentStacks[];
  /** Every stack of the app, by stack name. */
  readonly stacks: Map<string, Stack>;
  template(stackName: string): Template;
}

const cache = new Map<string, BuiltFleet>();

export interface TestFleetOptions {
  /** @default the example fleet */
  readonly configDir?: string;
  /** Keep only these customers. @default all */
  readonly customers?: readonly string[];
  /** Keep the platform's instances. @default true */
  readonly platform?: boolean;
}

export function buildTestFleet(options: TestFleetOptions = {}): BuiltFleet {
  const configDir = options.configDir ?? EXAMPLE_CONFIG;
  const key = JSON.stringify([configDir, options.customers ?? null, options.platform ?? true]);
  const cached = cache.get(key);
  if (cached) return cached;
  const app = offlineApp();
  const loaded = loadFleet(configDir);
  const fleet: Fleet = {
    ...loaded,
    customers: options.customers ? loaded.customers.filter((c) => options.customers?.includes(c.slug)) : loaded.customers,
    platform: options.platform === false ? undefined : loaded.platform,
  };
  const environments = buildFleet(app, fleet);
  const stacks = new Map<string, Stack>();
  for (const c of app.node.children) if (Stack.isStack(c)) stacks.set(c.stackName, c);
  const templates = new Map<string, Template>();
  const built: BuiltFleet = {
    app,
    fleet,
    environments,
    stacks,
    template(stackName) {
      let t = templates.get(stackName);
      if (!t) {
        const stack = stacks.get(stackName);
        if (!stack) throw new Error(`no stack ${stackName}; stacks: ${[...stacks.keys()].join(', ')}`);
        t = Template.fromStack(stack, { skipCyclicalDependenciesCheck: false });
        templates.set(stackName, t);
      }
      return t;
    },
  };
  cache.set(key, built);
  return built;
}
