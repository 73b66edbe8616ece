/** The project's own cdk-nag rules, each with a compliant and a non-compliant case. */
import { CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagRuleCompliance } from 'cdk-nag';
import { noOpenAdminPorts } from '../../lib/compliance/rules/no-open-admin-ports';
import { statefulProtected } from '../../lib/compliance/rules/stateful-protected';
import { valScrubbed } from '../../lib/compliance/rules/val-scrubbed';
import { TAG_ENVIRONMENT } from '../../lib/environments';
import { testStack as sharedTestStack } from '../support/test-stack';

function testStack(kind?: string): Stack {
  return sharedTestStack('Test', { region: 'us-east-1', tags: kind ? { [TAG_ENVIRONMENT]: kind } : undefined });
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
    const open = new ec2.CfnSecurityGroupIngress(stack, 'Open', {
      groupId: 'sg-1',
      ipProtocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      cidrIp: '0.0.0.0/0',
    });
    const named = new ec2.CfnSecurityGroupIngress(stack, 'Named', {
      groupId: 'sg-1',
      ipProtocol: 'tcp',
      fromPort: 3306,
      toPort: 3306,
      sourceSecurityGroupId: 'sg-2',
    });
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
  type Variant = 'scrubbed' | 'no-run' | 'other-snapshot' | 'no-dependency' | 'from-source';
  function valStack(variant: Variant): { stack: Stack; cluster: CfnResource } {
    const stack = testStack('val');
    const snapshot = 'clinspark-acme-val-main-scrubbed-abc123';
    const starter = new CfnResource(stack, 'Start', {
      type: 'Custom::ClinSparkScrubbedCopy',
      properties: {
        ServiceToken: 'arn:fn',
        Run: JSON.stringify({
          scrubbedSnapshotIdentifier: variant === 'other-snapshot' ? 'clinspark-acme-val-main-scrubbed-fff000' : snapshot,
        }),
      },
    });
    const handle = new CfnResource(stack, 'Handle', { type: 'AWS::CloudFormation::WaitConditionHandle' });
    const wait = new CfnResource(stack, 'Ready', {
      type: 'AWS::CloudFormation::WaitCondition',
      properties: { Handle: handle.ref, Timeout: '43200' },
    });
    if (variant !== 'no-run') wait.node.addDependency(starter);
    const cluster = new CfnResource(stack, 'Cluster', {
      type: 'AWS::RDS::DBCluster',
      properties:
        variant === 'from-source'
          ? { Engine: 'aurora-mysql', SourceDBClusterIdentifier: 'clinspark-acme-prod-main', SnapshotIdentifier: snapshot }
          : { Engine: 'aurora-mysql', SnapshotIdentifier: snapshot },
    });
    if (variant !== 'no-dependency') cluster.node.addDependency(wait);
    return { stack, cluster };
  }

  test('a VAL cluster restored from the snapshot of a scrubbed-copy run, after its wait condition, is compliant', () => {
    expect(valScrubbed(valStack('scrubbed').cluster)).toBe(NagRuleCompliance.COMPLIANT);
  });

  test.each(['no-run', 'other-snapshot', 'no-dependency', 'from-source'] as const)(
    'a VAL cluster that is not (only) a restore of a scrubbed snapshot is non-compliant: %s',
    (variant) => {
      expect(valScrubbed(valStack(variant).cluster)).toBe(NagRuleCompliance.NON_COMPLIANT);
    },
  );

  test('clusters of other kinds are not concerned', () => {
    const cluster = new CfnResource(testStack('prod'), 'Cluster', { type: 'AWS::RDS::DBCluster', properties: {} });
    expect(valScrubbed(cluster)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});
