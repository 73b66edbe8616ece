import { Stack, StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnvironmentSpec } from '../environments';
import { StackLayer } from '../naming';

export interface ClinSparkStackProps extends Omit<StackProps, 'env' | 'stackName' | 'terminationProtection' | 'tags'> {
  readonly spec: EnvironmentSpec;
  readonly layer: StackLayer;
  /** Stack name; the environment's stack name of this layer by default. */
  readonly stackName: string;
}

/**
 * Base of every stack of the fleet: account, region and availability zones from configuration
 * (never looked up, so synthesis works offline with `--no-lookups`), the three `clinspark:*` tags
 * on the stack and every resource, and termination protection from the catalog.
 */
export class ClinSparkStack extends Stack {
  readonly spec: EnvironmentSpec;

  constructor(scope: Construct, props: ClinSparkStackProps) {
    const { spec, layer, ...rest } = props;
    super(scope, props.stackName, {
      ...rest,
      env: { account: spec.account, region: spec.region },
      terminationProtection: spec.policy.stack.terminationProtection,
      tags: { ...spec.tags },
      description: rest.description ?? `ClinSpark ${spec.ownerDisplayName}: ${spec.policy.title} (${spec.name}) ${layer} layer`,
      analyticsReporting: false,
    });
    this.spec = spec;
    // Stack tags reach resources only at deploy time (CloudFormation propagates them); tagging
    // the constructs as well puts them in the templates, where reviewers and tests can see them.
    for (const [key, value] of Object.entries(spec.tags)) Tags.of(this).add(key, value);
  }

  /** The configured zones: overriding this is what keeps `ec2.Vpc` from a context look-up. */
  get availabilityZones(): string[] {
    return [...this.spec.availabilityZones];
  }
}
