import { CfnResource, Stack } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { TAG_ENVIRONMENT } from '../../environments';

export const SCRUB_RESOURCE_TYPE = 'Custom::ClinSparkPiiScrub';

function propertiesOf(node: CfnResource): Record<string, unknown> {
  return (Stack.of(node).resolve((node as unknown as { _cfnProperties: unknown })._cfnProperties) ?? {}) as Record<string, unknown>;
}

/**
 * ClinSpark-ValScrubbed: every database cluster of a VAL environment is scrubbed by the PII scrub
 * job: a scrub custom resource in the same stack reads the secret attached to this cluster. (The
 * application tier depending on the scrub is tested on the stacks; this rule stops a VAL
 * database from existing without any scrub at all.)
 */
export function valScrubbed(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::RDS::DBCluster') return NagRuleCompliance.NOT_APPLICABLE;
  const stack = Stack.of(node);
  if (stack.tags.tagValues()[TAG_ENVIRONMENT] !== 'val') return NagRuleCompliance.NOT_APPLICABLE;
  const clusterId = stack.getLogicalId(node);
  const resources = stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c));
  const attachments = resources
    .filter((r) => r.cfnResourceType === 'AWS::SecretsManager::SecretTargetAttachment')
    .filter((r) => JSON.stringify(propertiesOf(r).targetId ?? propertiesOf(r).TargetId) === JSON.stringify({ Ref: clusterId }))
    .map((r) => stack.getLogicalId(r));
  const scrubbed = resources
    .filter((r) => r.cfnResourceType === SCRUB_RESOURCE_TYPE)
    .some((r) => attachments.some((a) => JSON.stringify(propertiesOf(r).DatabaseSecretArn) === JSON.stringify({ Ref: a })));
  return scrubbed ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
