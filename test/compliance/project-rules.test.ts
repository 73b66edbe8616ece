/** The project's own cdk-nag rules, each with a compliant and a non-compliant case. */
import { App, CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagRuleCompliance } from 'cdk-nag';
import { noOpenAdminPorts } from '../../lib/compliance/rules/no-open-admin-ports';
import { statefulProtected } from '../../lib/compliance/rules/stateful-protected';
import { valScrubbed } from '../../lib/compliance/rules/val-scrubbed';
import { TAG_ENVIRONMENT } from '../../lib/environments';

function testStack(kind?: string): Stack {
  return new Stack(new App(), 'Test', { env: { account: '111122223333', region: 'us-east-1' }, tags: kind ? { [TAG_ENVIRONMENT]: kind } : undefined });
}

describe('ClinSpark-NoOpenAdminPorts', () => {
  function group(stack: Stack): ec2.SecurityGroup {
    const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['us-east-1a', 'us-east-1b'], natGateways: 0 });
    return new ec2.SecurityGroup(stack, 'Group', { vpc });
  }
  const cfn = (sg: ec2.SecurityGroup) => sg.node.defaultChild as ec2.CfnSecurityGroup;

  test.each([
    ['SSH from the internet', ec2.Peer.anyIpv4(), ec2.Port.tcp(22)],
    ['MySQL from the internet', ec2.Peer.anyIpv4(), ec2.Port.tcp(3306)],
    ['MySQL from anywhere over IPv6', ec2.Peer.anyIpv6(), ec2.Port.tcp(3306)],
    ['a port range covering 3306 from the internet', ec2.Peer.anyIpv4(), ec2.Port.tcpRange(3000, 4000)],
    ['all traffic from the internet', ec2.Peer.anyIpv4(), ec2.Port.allTraffic()],
  ])('non-compliant: %s', (_, peer, port) => {
    const sg = group(testStack());
    sg.addIngressRule(peer, port);
    expect(noOpenAdminPorts(cfn(sg))).toBe(NagRuleCompliance.NON_COMPLIANT);
  });

  test.each([
    ['SSH from a customer range', ec2.Peer.ipv4('198.51.100.0/24'), ec2.Port.tcp(22)],
    ['HTTPS from the internet', ec2.Peer.anyIpv4(), ec2.Port.tcp(443)],
  ])('compliant: %s', (_, peer, port) => {
    const sg = group(testStack());
    sg.addIngressRule(peer, port);
    expect(noOpenAdminPorts(cfn(sg))).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('standalone ingress resources are checked too', () => {
    const stack = testStack();
    const open = new ec2.CfnSecurityGroupIngress(stack, 'Open', { groupId: 'sg-1', ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIp: '0.0.0.0/0' });
    const named = new ec2.CfnSecurityGroupIngress(stack, 'Named', { groupId: 'sg-1', ipProtocol: 'tcp', fromPort: 3306, toPort: 3306, sourceSecurityGroupId: 'sg-2' });
    expect(noOpenAdminPorts(open)).toBe(NagRuleCompliance.NON_COMPLIANT);
    expect(noOpenAdminPorts(named)).toBe(NagRuleCompliance.COMPLIANT);
  });
});

describe('ClinSpark-StatefulProtected', () => {
  test('a PROD key that would be deleted with its stack is non-compliant; a retained one is compliant', () => {
    const stack = testStack('prod');
    const deleted = new kms.Key(stack, 'Deleted', { removalPolicy: RemovalPolicy.DESTROY });
    const kept = new kms.Key(stack, 'Kept', { removalPolicy: RemovalPolicy.RETAIN });
    expect(statefulProtected(deleted.node.defaultChild as kms.CfnKey)).toBe(NagRuleCompliance.NON_COMPLIANT);
    expect(statefulProtected(kept.node.defaultChild as kms.CfnKey)).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('a sandbox log group may be destroyed; a VAL (change-controlled) one may not', () => {
    const sandbox = new logs.LogGroup(testStack('sandbox'), 'Logs', { removalPolicy: RemovalPolicy.DESTROY });
    const val = new logs.LogGroup(testStack('val'), 'Logs', { removalPolicy: RemovalPolicy.DESTROY });
    expect(statefulProtected(sandbox.node.defaultChild as logs.CfnLogGroup)).toBe(NagRuleCompliance.COMPLIANT);
    expect(statefulProtected(val.node.defaultChild as logs.CfnLogGroup)).toBe(NagRuleCompliance.NON_COMPLIANT);
  });

  test('not applicable outside a ClinSpark environment stack', () => {
    const key = new kms.Key(testStack(), 'Key', { removalPolicy: RemovalPolicy.DESTROY });
    expect(statefulProtected(key.node.defaultChild as kms.CfnKey)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});

describe('ClinSpark-ValScrubbed', () => {
  function valStack(withScrub: boolean): { stack: Stack; cluster: CfnResource } {
    const stack = testStack('val');
    const cluster = new CfnResource(stack, 'Cluster', { type: 'AWS::RDS::DBCluster', properties: { Engine: 'aurora-mysql' } });
    const attachment = new CfnResource(stack, 'Attachment', {
      type: 'AWS::SecretsManager::SecretTargetAttachment',
      properties: { SecretId: 'arn:secret', TargetId: cluster.ref, TargetType: 'AWS::RDS::DBCluster' },
    });
    if (withScrub) new CfnResource(stack, 'Scrub', { type: 'Custom::ClinSparkPiiScrub', properties: { ServiceToken: 'arn:fn', DatabaseSecretArn: attachment.ref } });
    return { stack, cluster };
  }

  test('a VAL cluster whose secret a scrub run reads is compliant', () => {
    expect(valScrubbed(valStack(true).cluster)).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('a VAL cluster without a scrub run is non-compliant', () => {
    expect(valScrubbed(valStack(false).cluster)).toBe(NagRuleCompliance.NON_COMPLIANT);
  });

  test('clusters of other kinds are not concerned', () => {
    const cluster = new CfnResource(testStack('prod'), 'Cluster', { type: 'AWS::RDS::DBCluster', properties: {} });
    expect(valScrubbed(cluster)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});
