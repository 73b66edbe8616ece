/**
 * The compliance gate on a stack with the network, a stand-in replica security group and the jump
 * host: no finding fails, and the findings acknowledged on the jump host are exactly the listed ones.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagRuleCompliance } from 'cdk-nag';
import { evaluateCompliance } from '../../lib/compliance/packs';
import { ComplianceRecorder } from '../../lib/compliance/recorder';
import { imdsv2Required } from '../../lib/compliance/rules/imdsv2-required';
import { Fixture, jumpHostFixture } from './support';

const JUMP_HOST = 'JumpHostTest/JumpHost/';

function findingsUnder(recorder: ComplianceRecorder, kind: 'acknowledged' | 'nonCompliant', prefix: string): string[] {
  const out: string[] = [];
  for (const rules of recorder.stacks.values()) {
    for (const rec of rules.values()) for (const f of rec[kind]) if (f.path.startsWith(prefix)) out.push(f.id);
  }
  return out.sort();
}

/** Rules that flag a default EC2 instance and that the jump host satisfies instead (fixed, not acknowledged). */
const FIXED_RULES = [
  'AwsSolutions-EC23', // no 0.0.0.0/0 ingress
  'ClinSpark-Imdsv2Required',
  'AwsSolutions-EC26', // encrypted EBS
  'AwsSolutions-EC28', // detailed monitoring
  'AwsSolutions-EC29', // termination protection
  'AwsSolutions-IAM4', // no AWS managed policy
  'AwsSolutions-KMS5', // key rotation
  'HIPAA.Security-EC2IMDSv2Enabled',
  'HIPAA.Security-EC2InstanceDetailedMonitoringEnabled',
  'HIPAA.Security-EC2InstanceProfileAttached',
  'HIPAA.Security-EC2InstancesInVPC',
  'HIPAA.Security-EC2EBSOptimizedInstance',
  'HIPAA.Security-IAMNoInlinePolicy',
  'HIPAA.Security-EC2RestrictedSSH',
  'NIST.800.53.R5-EC2IMDSv2Enabled',
  'NIST.800.53.R5-EC2InstanceNoPublicIp',
  'NIST.800.53.R5-EC2RestrictedSSH',
  'NIST.800.53.R5-IAMNoInlinePolicy',
  'NIST.800.53.R5-KMSBackingKeyRotationEnabled',
  'ClinSpark-NoOpenAdminPorts',
];

describe('JumpHost compliance gate', () => {
  let f: Fixture;
  let recorder: ComplianceRecorder;
  beforeAll(() => {
    // GIVEN the default jump host, with the forward target opened as the lead will
    f = jumpHostFixture({}, ({ jumpHost, replica }) => jumpHost.connections.allowTo(replica, ec2.Port.tcp(3306)));
    // WHEN the packs run
    recorder = evaluateCompliance(f.stack);
  });

  test('no finding fails the synth', () => {
    expect(recorder.failures()).toEqual([]);
  });

  test('the acknowledged findings of the jump host are exactly the SSM agent wildcard', () => {
    expect(findingsUnder(recorder, 'acknowledged', JUMP_HOST)).toEqual(['AwsSolutions-IAM5[Resource::*]']);
  });

  test('no acknowledgement of the jump host is stale', () => {
    expect(recorder.unusedAcknowledgements(f.jumpHost)).toEqual([]);
  });

  test.each(FIXED_RULES)('%s ran on the stack and found nothing on the jump host', (ruleId) => {
    const evaluated = [...recorder.stacks.values()].some((rules) => {
      const rec = rules.get(ruleId);
      return rec !== undefined && rec.compliant > 0;
    });
    expect(evaluated).toBe(true);
    const findings = [...recorder.stacks.values()].flatMap((rules) => [
      ...(rules.get(ruleId)?.nonCompliant ?? []),
      ...(rules.get(ruleId)?.acknowledged ?? []),
    ]);
    expect(findings.filter((x) => x.path.startsWith(JUMP_HOST))).toEqual([]);
  });

  test('the project rule ClinSpark-Imdsv2Required finds the instance compliant', () => {
    expect(imdsv2Required(f.jumpHost.instance.instance)).toBe(NagRuleCompliance.COMPLIANT);
  });
});

describe('JumpHost compliance gate without termination protection, with session logs', () => {
  test("EC29 is acknowledged with the catalog's reason and nothing fails", () => {
    // GIVEN the catalog turns termination protection off, and sshd logs go to CloudWatch
    const f = jumpHostFixture((stack) => ({
      terminationProtection: false,
      sessionLogGroup: new logs.LogGroup(stack, 'SessionLogs', {
        retention: logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.RETAIN,
      }),
    }));
    // WHEN
    const recorder = evaluateCompliance(f.stack);
    // THEN
    expect(recorder.failures().filter((x) => x.path.startsWith(JUMP_HOST))).toEqual([]);
    expect(findingsUnder(recorder, 'acknowledged', JUMP_HOST)).toEqual(['AwsSolutions-EC29', 'AwsSolutions-IAM5[Resource::*]']);
    expect(recorder.unusedAcknowledgements(f.jumpHost)).toEqual([]);
  });
});
