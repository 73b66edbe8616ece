/**
 * The one test stack of the construct tests: a concrete account and region (so that constructs
 * which need literal ones, e.g. the read replica's recipient check, can run) and pinned
 * availability zones (no look-up, no context).
 */
import { App, AppProps, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { WITHOUT_CREATION_STACK_TRACES } from '../../lib/offline-app';

export const TEST_ACCOUNT = '111122223333';
export const TEST_REGION = 'eu-west-1';

export interface TestStackOptions {
  /** @default TEST_ACCOUNT */
  readonly account?: string;
  /** @default TEST_REGION */
  readonly region?: string;
  /** @default - zones a and b of the region */
  readonly availabilityZones?: readonly string[];
  /** Stack tags (e.g. the environment kind the project rules read). @default - none */
  readonly tags?: Record<string, string>;
  /** Props of the new App. @default - an App with CDK's defaults */
  readonly appProps?: AppProps;
}

/** A stack with a concrete env that never looks up its availability zones. */
export class TestStack extends Stack {
  private readonly zones: readonly string[];

  constructor(scope: Construct, id: string, options: TestStackOptions = {}, props: StackProps = {}) {
    const region = options.region ?? TEST_REGION;
    super(scope, id, { ...props, tags: options.tags ?? props.tags, env: { account: options.account ?? TEST_ACCOUNT, region } });
    this.zones = options.availabilityZones ?? [`${region}a`, `${region}b`];
  }

  get availabilityZones(): string[] {
    return [...this.zones];
  }
}

/** A TestStack in an App of its own. */
export function testStack(id = 'Test', options: TestStackOptions = {}): TestStack {
  // Without creation stack traces, as offlineApp's apps (lib/offline-app.ts): the same templates, faster.
  const appProps = options.appProps ?? {};
  return new TestStack(new App({ ...appProps, context: { ...WITHOUT_CREATION_STACK_TRACES, ...appProps.context } }), id, options);
}
