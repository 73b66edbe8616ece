/**
 * Builds a fleet's stacks for template tests: once per set of options and per jest file (module
 * cache), into a temporary cloud assembly, with or without CDK's built-in template validator.
 *
 * Every synthesis here runs the validator, as `cdk synth` does, with one exception: a whole
 * fixture fleet of test/fixtures/fleets/ is validated in full once per run, by
 * test/database/parameter-table.suite.ts (`validate: true`), and other files that build the same
 * whole fixture fleet get those same templates unvalidated. The example fleet is built once per
 * run, validated, by test/example-fleet.test.ts, which runs every suite that reads it (the
 * parameter table's among them). The validator's engine is built once per jest worker
 * (test/support/environment.js), so what validation costs here is the templates' own share:
 * about 2.6 CPU seconds for the example fleet's 17 stacks.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Fleet, PLATFORM_OWNER } from '../../lib/config/model';
import { loadFleet } from '../../lib/config';
import { offlineApp } from '../../lib/offline-app';
import { EnvironmentStacks, buildFleet } from '../../lib/fleet';

export const EXAMPLE_CONFIG = path.join(__dirname, '..', '..', 'config');
export const FIXTURE_FLEETS = path.join(__dirname, '..', 'fixtures', 'fleets');

/** The fleets of test/fixtures/fleets/. */
function fixtureFleets(): string[] {
  return fs.readdirSync(FIXTURE_FLEETS).map((d) => path.join(FIXTURE_FLEETS, d));
}

/** The fleets test/database/parameter-table.suite.ts synthesises in full with the validator on. */
export function validatedFleets(): string[] {
  return [EXAMPLE_CONFIG, ...fixtureFleets()];
}

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
  /**
   * Run CDK's built-in template validator on synthesis.
   * @default false for a whole fixture fleet (validated by parameter-table.suite.ts), true otherwise
   */
  readonly validate?: boolean;
}

export function buildTestFleet(options: TestFleetOptions = {}): BuiltFleet {
  const configDir = options.configDir ?? EXAMPLE_CONFIG;
  const whole = options.customers === undefined && options.platform !== false;
  const validate = options.validate ?? !(whole && fixtureFleets().includes(path.resolve(configDir)));
  const key = JSON.stringify([configDir, options.customers ?? null, options.platform ?? true, validate]);
  const cached = cache.get(key);
  if (cached) return cached;
  const app = offlineApp({ withoutBuiltinValidation: !validate });
  const loaded = loadFleet(configDir);
  const fleet: Fleet = {
    ...loaded,
    customers: options.customers ? loaded.customers.filter((c) => options.customers?.includes(c.slug)) : loaded.customers,
    platform: options.platform === false ? undefined : loaded.platform,
  };
  // The other owners take part in resolution (platform.yaml's vendor monitoring), as in `cdk synth -c customer=<slug>`.
  const owners = whole ? undefined : [...fleet.customers.map((c) => c.slug), ...(fleet.platform ? [PLATFORM_OWNER] : [])];
  const environments = buildFleet(app, loaded, { owners });
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
