import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** How security groups in a VPC reach AWS service APIs (ClinSparkNetwork provides it). */
export interface AwsApiEgress {
  /** Opens HTTPS from the security group to the VPC's AWS service endpoints, and nowhere else. */
  allowAwsApisFrom(securityGroup: ec2.ISecurityGroup): void;
}

const registry = new WeakMap<ec2.IVpc, AwsApiEgress>();

/** Called by the construct that owns a VPC's endpoints. */
export function registerAwsApiEgress(vpc: ec2.IVpc, egress: AwsApiEgress): void {
  registry.set(vpc, egress);
}

/** The registered endpoints of a VPC, if its network has any. */
function awsApiEgressOf(vpc: ec2.IVpc): AwsApiEgress | undefined {
  return registry.get(vpc);
}

/**
 * Opens HTTPS from a security group to AWS service APIs: to the VPC's endpoints when its network
 * registered them (every ClinSparkNetwork does: no internet path), otherwise, for a VPC from
 * outside this project, to any IPv4 address (the NAT path).
 */
export function allowAwsApis(securityGroup: ec2.ISecurityGroup, vpc: ec2.IVpc, description = 'HTTPS to AWS APIs'): void {
  const egress = awsApiEgressOf(vpc);
  if (egress) egress.allowAwsApisFrom(securityGroup);
  else securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), description);
}
