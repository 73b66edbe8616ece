/**
 * The compliance gate on the example fleet: AwsSolutions, HIPAA Security, NIST 800-53 rev 5 and
 * the project's own pack leave no unacknowledged finding, every acknowledgement matches a
 * finding and carries a specific reason, and the acknowledged rule ids per stack kind are
 * exactly the ones named here (a new acknowledgement is a reviewed change to this file).
 */
import { CATALOG } from '../../lib/catalog';
import { evaluateCompliance } from '../../lib/compliance/packs';
import { buildComplianceReport } from '../../lib/compliance/report';
import { EnvironmentKind } from '../../lib/config/model';
import { buildTestFleet } from '../support/fleet';

const fleet = buildTestFleet();
const recorder = evaluateCompliance(fleet.app);
const report = buildComplianceReport(recorder, fleet.app);

const both = (rule: string) => [`HIPAA.Security-${rule}`, `NIST.800.53.R5-${rule}`];

/** The acknowledged rule ids a data or app stack of this kind must have, derived from the catalog. */
function expectedAcknowledgements(kind: EnvironmentKind, layer: 'data' | 'app', hasIngressCidrs: boolean, hasReplica: boolean): string[] {
  const p = CATALOG[kind];
  if (layer === 'data') {
    return [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<*.Arn>:*]',
      'AwsSolutions-RDS11',
      'AwsSolutions-RDS14',
      'AwsSolutions-S1',
      ...both('LambdaDLQ'),
      'HIPAA.Security-RDSAutomaticMinorVersionUpgradeEnabled',
      ...both('RDSInBackupPlan'),
      ...both('RDSLoggingEnabled[LogExport::general]'),
      ...both('S3BucketLoggingEnabled'),
      ...both('S3BucketReplicationEnabled'),
      ...both('S3DefaultEncryptionKMS'),
      ...both('VPCNoUnrestrictedRouteToIGW'),
      ...(p.backup.plan
        ? [
            'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
            'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores]',
          ]
        : []),
      ...(p.stateful.deletionProtection ? [] : ['AwsSolutions-RDS10', ...both('RDSInstanceDeletionProtectionEnabled')]),
      ...(hasReplica ? [] : []),
    ].sort();
  }
  return [
    'AwsSolutions-ECS2',
    'AwsSolutions-IAM5[Resource::*]',
    ...both('ELBv2ACMCertificateRequired'),
    ...(hasIngressCidrs ? [] : ['AwsSolutions-EC23']),
    ...(p.loadBalancerDeletionProtection ? [] : both('ELBDeletionProtectionEnabled')),
  ].sort();
}

/** Rules that must never be acknowledged anywhere: they are fixed, not excused. */
const NEVER_ACKNOWLEDGED = [
  ...both('RDSStorageEncrypted'),
  ...both('CloudWatchLogGroupEncrypted'),
  ...both('SecretsManagerUsingKMSKey'),
  ...both('SecretsManagerRotationEnabled'),
  ...both('EC2RestrictedSSH'),
  ...both('EC2RestrictedCommonPorts'),
  ...both('ALBHttpDropInvalidHeaderEnabled'),
  ...both('ALBHttpToHttpsRedirection'),
  ...both('VPCFlowLogsEnabled'),
  ...both('VPCDefaultSecurityGroupClosed'),
  ...both('IAMNoInlinePolicy'),
  ...both('WAFv2LoggingEnabled'),
  'NIST.800.53.R5-ALBWAFEnabled',
  'AwsSolutions-RDS2',
  'AwsSolutions-SMG4',
  'ClinSpark-NoOpenAdminPorts',
  'ClinSpark-StatefulProtected',
];

describe('compliance gate on the example fleet', () => {
  test('no stack has an unacknowledged finding', () => {
    expect(recorder.failures().map((f) => `${f.id} on ${f.path}`)).toEqual([]);
    expect(report.passed).toBe(true);
  });

  test('every rule pack ran on every stack', () => {
    expect(report.packs).toEqual(['AwsSolutions', 'ClinSpark', 'HIPAA.Security', 'NIST.800.53.R5']);
    expect(report.stacks.map((s) => s.stack).sort()).toEqual([...fleet.stacks.keys()].sort());
    for (const s of report.stacks) expect(s.rulesEvaluated).toBeGreaterThan(250);
  });

  test('every acknowledgement matches a finding and gives a specific reason', () => {
    expect(report.unusedAcknowledgements).toEqual([]);
    for (const s of report.stacks) {
      for (const a of s.acknowledgements) {
        expect(a.reason.length).toBeGreaterThanOrEqual(40);
        expect(a.resource.split('/').length).toBeGreaterThan(2);
      }
    }
  });

  test('security controls are implemented, never acknowledged away', () => {
    const acknowledged = new Set(report.stacks.flatMap((s) => s.acknowledgements.map((a) => a.id)));
    expect(NEVER_ACKNOWLEDGED.filter((id) => acknowledged.has(id))).toEqual([]);
  });

  test.each(fleet.environments.flatMap((e) => (['data', 'app'] as const).map((layer) => [`${e.spec.kind}/${layer}`, e, layer] as const)))(
    '%s: acknowledged rule ids are exactly the named ones',
    (_, env, layer) => {
      const stack = report.stacks.find((s) => s.stack === env.spec.stackNames[layer]);
      const ids = [...new Set(stack?.acknowledgements.map((a) => a.id.replace(/<[A-Za-z0-9]+\.Arn>/, '<*.Arn>')))].sort();
      expect(ids).toEqual(expectedAcknowledgements(env.spec.kind, layer, Boolean(env.spec.ingressCidrs?.length), Boolean(env.spec.readReplica)));
    },
  );
});
