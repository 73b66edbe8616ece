import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { allowAwsApis } from '../core/aws-api-egress';

/** Characters never used in generated database passwords (they break URLs, shells or JDBC). */
export const PASSWORD_EXCLUDED_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\,=^';

/**
 * The security group of a hosted rotation function (Secrets Manager creates the function; without
 * a group of ours it would get one that allows all traffic out): HTTPS to the VPC's AWS endpoints
 * (Secrets Manager, KMS) and nothing else. MySQL to the cluster is opened by the database
 * (`ClinSparkDatabase.allowMySqlFrom`, both sides).
 */
export function rotationSecurityGroup(scope: Construct, id: string, vpc: ec2.IVpc, description: string): ec2.SecurityGroup {
  const group = new ec2.SecurityGroup(scope, id, {
    vpc,
    description: `ClinSpark ${description} (Secrets Manager hosted rotation)`.slice(0, 255),
    allowAllOutbound: false,
  });
  allowAwsApis(group, vpc, 'HTTPS to Secrets Manager and KMS');
  return group;
}
