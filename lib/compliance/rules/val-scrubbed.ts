import { CfnResource, Stack } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { CATALOG } from '../../catalog';
import { EnvironmentKind } from '../../config/model';
import { TAG_ENVIRONMENT } from '../../environments';

/** The custom resource that starts a scrubbed-copy run (constructs/pii-scrub/pii-scrub-job.ts). */
export const SCRUBBED_COPY_RESOURCE_TYPE = 'Custom::ClinSparkScrubbedCopy';
const WAIT_CONDITION = 'AWS::CloudFormation::WaitCondition';

type Properties = Record<string, unknown>;

function record(value: unknown): Properties | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Properties) : undefined;
}

/**
 * The resource's CloudFormation properties as they will be synthesised: resolved, with
 * escape-hatch overrides applied (ClinSparkDatabase sets a point-in-time restore's
 * SourceDBClusterIdentifier with `addPropertyOverride`, which no L1 field shows).
 */
function propertiesOf(node: CfnResource): Properties {
  const rendered: unknown = Stack.of(node).resolve(node._toCloudFormation());
  const [resource] = Object.values(record(record(rendered)?.Resources) ?? {});
  return record(record(resource)?.Properties) ?? {};
}

/** Construct-level dependencies of a CFN resource and of the L2 construct that owns it. */
function dependenciesOf(node: IConstruct): IConstruct[] {
  const owners = [node, ...(node.node.scope ? [node.node.scope] : [])];
  return owners.flatMap((c) => c.node.dependencies).flatMap((d) => [d, ...d.node.findAll()]);
}

/**
 * ClinSpark-ValScrubbed: every database cluster of a VAL environment is restored from a scrubbed
 * snapshot, never from its source: no SourceDBClusterIdentifier, a SnapshotIdentifier that a
 * scrubbed-copy run of the same stack produces, and a dependency on that run's wait condition
 * (which completes only when the scrub succeeded and was verified). The application tier's
 * dependence on it is tested on the stacks; this rule stops a VAL database from being a copy of
 * unscrubbed data.
 */
export function valScrubbed(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::RDS::DBCluster') return NagRuleCompliance.NOT_APPLICABLE;
  const stack = Stack.of(node);
  const kind = stack.tags.tagValues()[TAG_ENVIRONMENT] as EnvironmentKind | undefined;
  // Kind policy lives in the catalog: the kinds whose data is a scrubbed copy of another's.
  if (kind === undefined || !(kind in CATALOG) || !CATALOG[kind].requiresPiiScrub) return NagRuleCompliance.NOT_APPLICABLE;
  const props = propertiesOf(node);
  if (props.SourceDBClusterIdentifier !== undefined) return NagRuleCompliance.NON_COMPLIANT;
  const snapshot = props.SnapshotIdentifier;
  if (typeof snapshot !== 'string' || snapshot === '') return NagRuleCompliance.NON_COMPLIANT;
  const resources = stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c));
  const starters = resources.filter(
    (r) => r.cfnResourceType === SCRUBBED_COPY_RESOURCE_TYPE && JSON.stringify(propertiesOf(r).Run ?? '').includes(snapshot),
  );
  const waits = dependenciesOf(node).filter((d): d is CfnResource => CfnResource.isCfnResource(d) && d.cfnResourceType === WAIT_CONDITION);
  const scrubbed = waits.some((w) => dependenciesOf(w).some((d) => starters.includes(d as CfnResource)));
  return scrubbed ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
