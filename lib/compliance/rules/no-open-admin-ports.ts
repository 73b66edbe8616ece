import { CfnResource, Stack } from 'aws-cdk-lib';
import { CfnSecurityGroup, CfnSecurityGroupIngress } from 'aws-cdk-lib/aws-ec2';
import { NagRuleCompliance, NagRules } from 'cdk-nag';
import { coversEveryAddress } from '../../../constructs/core/cidr';

/** Ports that must never be reachable from anywhere: SSH and MySQL. */
export const ADMIN_PORTS = [22, 3306] as const;

/** The fields of an ingress rule this rule reads, inline (`SecurityGroupIngress[n]`) or standalone. */
type IngressRule = Pick<CfnSecurityGroup.IngressProperty, 'cidrIp' | 'cidrIpv6' | 'ipProtocol' | 'fromPort' | 'toPort'>;

function opensAdminPort(node: CfnResource, rule: IngressRule): boolean {
  const open = [rule.cidrIp, rule.cidrIpv6].some((cidr) => {
    const value: unknown = NagRules.resolveIfPrimitive(node, cidr);
    return typeof value === 'string' && coversEveryAddress(value);
  });
  if (!open) return false;
  const protocol = String(NagRules.resolveIfPrimitive(node, rule.ipProtocol));
  if (protocol === '-1' || protocol === 'all') return true;
  if (protocol !== 'tcp' && protocol !== '6') return false;
  const from = Number(NagRules.resolveIfPrimitive(node, rule.fromPort));
  const to = Number(NagRules.resolveIfPrimitive(node, rule.toPort));
  return ADMIN_PORTS.some((port) => from <= port && port <= to);
}

/** A resolved inline rule: an object with the L1's camelCase fields. */
function isIngressRule(value: unknown): value is IngressRule {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * ClinSpark-NoOpenAdminPorts: no security group rule opens SSH (22) or MySQL (3306), or all
 * ports, to every address (0.0.0.0/0 or ::/0). Customer ranges are validated in configuration;
 * this rule is the backstop on the synthesised template.
 */
export function noOpenAdminPorts(node: CfnResource): NagRuleCompliance {
  if (node instanceof CfnSecurityGroup) {
    const ingress: unknown = Stack.of(node).resolve(node.securityGroupIngress);
    if (!Array.isArray(ingress)) return NagRuleCompliance.COMPLIANT;
    return ingress.some((rule) => isIngressRule(rule) && opensAdminPort(node, rule))
      ? NagRuleCompliance.NON_COMPLIANT
      : NagRuleCompliance.COMPLIANT;
  }
  if (node instanceof CfnSecurityGroupIngress) {
    return opensAdminPort(node, node) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  }
  return NagRuleCompliance.NOT_APPLICABLE;
}
