import { CfnResource, Stack } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';

/** Ports that must never be reachable from anywhere: SSH and MySQL. */
export const ADMIN_PORTS = [22, 3306] as const;
const OPEN_RANGES = ['0.0.0.0/0', '::/0'];

interface IngressRule {
  CidrIp?: unknown;
  CidrIpv6?: unknown;
  IpProtocol?: unknown;
  FromPort?: unknown;
  ToPort?: unknown;
}

/** Inline rules resolve in the L1's camelCase form, standalone ones are read from their props. */
function field(rule: Record<string, unknown>, name: string): unknown {
  return rule[name] ?? rule[name.charAt(0).toLowerCase() + name.slice(1)];
}

function opensAdminPort(raw: IngressRule): boolean {
  const rule = raw as Record<string, unknown>;
  const open = OPEN_RANGES.includes(String(field(rule, 'CidrIp'))) || OPEN_RANGES.includes(String(field(rule, 'CidrIpv6')));
  if (!open) return false;
  const protocol = String(field(rule, 'IpProtocol'));
  if (protocol === '-1' || protocol === 'all') return true;
  if (protocol !== 'tcp' && protocol !== '6') return false;
  const from = Number(field(rule, 'FromPort'));
  const to = Number(field(rule, 'ToPort'));
  return ADMIN_PORTS.some((port) => from <= port && port <= to);
}

/**
 * ClinSpark-NoOpenAdminPorts: no security group rule opens SSH (22) or MySQL (3306), or all
 * ports, to 0.0.0.0/0 or ::/0. Customer ranges are validated in configuration; this rule is the
 * backstop on the synthesised template.
 */
export function noOpenAdminPorts(node: CfnResource): NagRuleCompliance {
  const stack = Stack.of(node);
  if (node.cfnResourceType === 'AWS::EC2::SecurityGroup') {
    const ingress = stack.resolve((node as unknown as { securityGroupIngress?: unknown }).securityGroupIngress) as
      IngressRule[] | undefined;
    if (!Array.isArray(ingress)) return NagRuleCompliance.COMPLIANT;
    return ingress.some((r) => opensAdminPort(r)) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  }
  if (node.cfnResourceType === 'AWS::EC2::SecurityGroupIngress') {
    const p = node as unknown as { cidrIp?: unknown; cidrIpv6?: unknown; ipProtocol?: unknown; fromPort?: unknown; toPort?: unknown };
    const rule: IngressRule = {
      CidrIp: stack.resolve(p.cidrIp),
      CidrIpv6: stack.resolve(p.cidrIpv6),
      IpProtocol: stack.resolve(p.ipProtocol),
      FromPort: stack.resolve(p.fromPort),
      ToPort: stack.resolve(p.toPort),
    };
    return opensAdminPort(rule) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  }
  return NagRuleCompliance.NOT_APPLICABLE;
}
