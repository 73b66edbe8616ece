import { CfnResource, Stack } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';

type Properties = Record<string, unknown>;

const INSTANCE = 'AWS::EC2::Instance';
const LAUNCH_TEMPLATE = 'AWS::EC2::LaunchTemplate';
const LAUNCH_CONFIGURATION = 'AWS::AutoScaling::LaunchConfiguration';

/**
 * The resource's CloudFormation properties as they will be synthesised: resolved, and with
 * escape-hatch overrides (`addPropertyOverride('MetadataOptions.HttpTokens', 'optional')`)
 * applied, which the L1 fields that cdk-nag's own EC2IMDSv2Enabled reads do not show.
 */
function renderedProperties(node: CfnResource): Properties {
  const rendered: unknown = Stack.of(node).resolve(node._toCloudFormation());
  const [resource] = Object.values(record(record(rendered)?.Resources) ?? {});
  return record(record(resource)?.Properties) ?? {};
}

function record(value: unknown): Properties | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Properties) : undefined;
}

/** Tokens required, or no metadata endpoint at all (nothing to steal credentials from). */
function requiresTokens(metadataOptions: Properties | undefined): boolean {
  return metadataOptions?.HttpTokens === 'required' || metadataOptions?.HttpEndpoint === 'disabled';
}

/** The logical id a `Ref` or `Fn::GetAtt` points at, if the value is one. */
function referencedLogicalId(value: unknown): string | undefined {
  const obj = record(value);
  if (!obj) return undefined;
  if (typeof obj.Ref === 'string') return obj.Ref;
  const getAtt = obj['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** The launch template of this stack that an instance's `LaunchTemplate` property names. */
function findLaunchTemplate(node: CfnResource, spec: Properties): CfnResource | undefined {
  const stack = Stack.of(node);
  const byId = referencedLogicalId(spec.LaunchTemplateId) ?? referencedLogicalId(spec.LaunchTemplateName);
  const byName = typeof spec.LaunchTemplateName === 'string' ? spec.LaunchTemplateName : undefined;
  for (const child of stack.node.findAll()) {
    if (!CfnResource.isCfnResource(child) || child.cfnResourceType !== LAUNCH_TEMPLATE) continue;
    if (byId !== undefined && stack.resolve(child.logicalId) === byId) return child;
    if (byName !== undefined && renderedProperties(child).LaunchTemplateName === byName) return child;
  }
  return undefined;
}

/**
 * ClinSpark-Imdsv2Required: EC2 instances, launch templates and launch configurations require
 * IMDSv2 session tokens (`MetadataOptions.HttpTokens: required`), so that a request forgery
 * through a process on the host cannot read the instance role's credentials. An instance may get
 * the setting from its launch template (the template must be in the same stack, or the instance
 * is non-compliant: what cannot be checked is not assumed); metadata options on the instance
 * itself take precedence over the template's.
 */
export function imdsv2Required(node: CfnResource): NagRuleCompliance {
  const type = node.cfnResourceType;
  if (type !== INSTANCE && type !== LAUNCH_TEMPLATE && type !== LAUNCH_CONFIGURATION) return NagRuleCompliance.NOT_APPLICABLE;
  const props = renderedProperties(node);
  if (type === LAUNCH_TEMPLATE) {
    const data = record(props.LaunchTemplateData);
    return requiresTokens(record(data?.MetadataOptions)) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  }
  const own = record(props.MetadataOptions);
  if (requiresTokens(own)) return NagRuleCompliance.COMPLIANT;
  if (type === LAUNCH_CONFIGURATION || own?.HttpTokens !== undefined) return NagRuleCompliance.NON_COMPLIANT;
  const spec = record(props.LaunchTemplate);
  const template = spec ? findLaunchTemplate(node, spec) : undefined;
  if (!template) return NagRuleCompliance.NON_COMPLIANT;
  const data = record(renderedProperties(template).LaunchTemplateData);
  return requiresTokens(record(data?.MetadataOptions)) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
