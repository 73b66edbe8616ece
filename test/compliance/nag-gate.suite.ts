/**
 * The compliance gate on the example fleet: AwsSolutions, HIPAA Security, NIST 800-53 rev 5 and
 * the project's own pack leave no unacknowledged finding, every acknowledgement matches a
 * finding and carries a specific reason, and the acknowledged rule ids per stack kind are
 * exactly the ones named here (a new acknowledgement is a reviewed change to this file).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { CATALOG } from '../../lib/catalog';
import { evaluateCompliance } from '../../lib/compliance/packs';
import { buildComplianceReport } from '../../lib/compliance/report';
import { EnvironmentKind } from '../../lib/config/model';
import { buildTestFleet } from '../support/fleet';

const fleet = buildTestFleet();
const recorder = evaluateCompliance(fleet.app);
const report = buildComplianceReport(recorder, fleet.app);

const both = (rule: string) => [`HIPAA.Security-${rule}`, `NIST.800.53.R5-${rule}`];

type Layer = 'data' | 'app' | 'replica';

/** The acknowledged rule ids a stack of this kind and layer must have, derived from the catalog. */
function expectedAcknowledgements(
  kind: EnvironmentKind,
  layer: Layer,
  hasIngressCidrs: boolean,
  scrubOf?: { account: string; region: string; prefix: string },
  snapshotsOf?: { account: string; region: string; clusters: readonly string[] },
): string[] {
  const hasScrub = scrubOf !== undefined;
  const p = CATALOG[kind];
  if (layer === 'replica') {
    // The customer read replica of a PROD environment (constructs/read-replica, lib/stacks/replica-stack.ts).
    return [
      // The replica cluster (ClinSparkDatabase): port, backtrack, general log, monitoring role, minor versions.
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      'AwsSolutions-RDS11',
      'AwsSolutions-RDS14',
      'AwsSolutions-RDS6', // IAM database authentication off: no account uses it
      ...both('RDSLoggingEnabled[LogExport::general]'),
      'HIPAA.Security-RDSAutomaticMinorVersionUpgradeEnabled',
      ...both('RDSInBackupPlan'),
      // Set-up and rotation functions, provider frameworks, GetRandomPassword, the jump host's SSM agent.
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<*.Arn>:*]',
      ...both('LambdaDLQ'),
      // RO_USER's secret rotates by re-issue (a named exception to NEVER_ACKNOWLEDGED below).
      'AwsSolutions-SMG4',
      ...both('SecretsManagerRotationEnabled'),
      ...(p.stack.terminationProtection ? [] : ['AwsSolutions-EC29']),
      ...(p.stateful.deletionProtection ? [] : ['AwsSolutions-RDS10', ...both('RDSInstanceDeletionProtectionEnabled')]),
    ].sort();
  }
  if (layer === 'data') {
    const scrub = hasScrub
      ? [
          'AwsSolutions-IAM5[Resource::<*.Arn>/*]', // the scrub writes evidence objects into its own bucket
          'AwsSolutions-SMG4', // the scrub key and the staging passwords are new per refresh instead of rotated
          ...both('SecretsManagerRotationEnabled'),
          // The scrubbed-copy workflow: staging clusters, instances and scrubbed snapshots by the
          // environment's name prefix (a refresh's clean-up removes the previous run's), source keys
          // through RDS with the source's tags, and the executions of its own state machine.
          `AwsSolutions-IAM5[Resource::arn:aws:rds:${scrubOf.region}:${scrubOf.account}:cluster:${scrubOf.prefix}-*-staging-*]`,
          `AwsSolutions-IAM5[Resource::arn:aws:rds:${scrubOf.region}:${scrubOf.account}:db:${scrubOf.prefix}-*-staging-*]`,
          `AwsSolutions-IAM5[Resource::arn:aws:rds:${scrubOf.region}:${scrubOf.account}:cluster-snapshot:${scrubOf.prefix}-*-scrubbed-*]`,
          `AwsSolutions-IAM5[Resource::arn:aws:kms:${scrubOf.region}:${scrubOf.account}:key/*]`,
          `AwsSolutions-IAM5[Resource::arn:aws:states:${scrubOf.region}:${scrubOf.account}:execution:<*.Name>:*]`,
        ]
      : // without a scrub evidence bucket logging into it, the access-log bucket has no log target
        ['AwsSolutions-S1', ...both('S3BucketLoggingEnabled')];
    // Pre-upgrade snapshots (change-controlled kinds): each database's own <cluster>-pre-* snapshots.
    const snapshots =
      p.lifecycle.preUpgradeSnapshot && snapshotsOf
        ? snapshotsOf.clusters.map(
            (c) => `AwsSolutions-IAM5[Resource::arn:aws:rds:${snapshotsOf.region}:${snapshotsOf.account}:cluster-snapshot:${c}-pre-*]`,
          )
        : [];
    return [
      ...scrub,
      ...snapshots,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<*.Arn>:*]',
      'AwsSolutions-RDS11',
      'AwsSolutions-RDS14',
      'AwsSolutions-RDS6', // IAM database authentication off: no account uses it
      ...both('LambdaDLQ'),
      'HIPAA.Security-RDSAutomaticMinorVersionUpgradeEnabled',
      ...both('RDSInBackupPlan'),
      ...both('RDSLoggingEnabled[LogExport::general]'),
      ...both('S3BucketReplicationEnabled'),
      ...both('S3DefaultEncryptionKMS'),
      ...both('VPCNoUnrestrictedRouteToIGW'),
      ...(p.backup.plan
        ? ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]']
        : []),
      ...(p.stateful.deletionProtection ? [] : ['AwsSolutions-RDS10', ...both('RDSInstanceDeletionProtectionEnabled')]),
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

/**
 * Rules that must never be acknowledged: they are fixed, not excused. The only exceptions are
 * named here with the one resource they concern.
 */
const EXCEPTIONS: Array<{ id: RegExp; resource: RegExp }> = [
  // The scrub key is regenerated per VAL refresh; rotating it mid-run would break joinability.
  { id: /(SecretsManagerRotationEnabled|AwsSolutions-SMG4)$/, resource: /-val-data\/PiiScrub\/ScrubKey\/Resource$/ },
  // The master password of a transient staging copy is generated per run and lives as long as the run.
  { id: /(SecretsManagerRotationEnabled|AwsSolutions-SMG4)$/, resource: /-val-data\/(Main|Test)Clone\/ScrubStagingSecret\/Resource$/ },
  // RO_USER's password (read replica) rotates by re-issue: a new credentials.issueDate generates it and
  // opens a new collection window; a scheduled rotation would change the customer's password with no
  // window in which the recipient could collect it (docs/read-replica.md).
  { id: /(SecretsManagerRotationEnabled|AwsSolutions-SMG4)$/, resource: /-prod-replica\/ReadReplica\/ReadOnlyAccountSecret\/Resource$/ },
];
const NEVER_ACKNOWLEDGED = [
  ...both('RDSStorageEncrypted'),
  ...both('CloudWatchLogGroupEncrypted'),
  ...both('SecretsManagerUsingKMSKey'),
  ...both('SecretsManagerRotationEnabled'),
  ...both('EC2RestrictedSSH'),
  'ClinSpark-ValScrubbed',
  'ClinSpark-Imdsv2Required',
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
    // Every pack evaluated at least one of its rules against a resource of every stack (a rule that
    // only ever found nothing to check does not count).
    for (const s of report.stacks) {
      const applied = new Set(s.rules.filter((r) => r.compliant + r.acknowledged + r.nonCompliant > 0).map((r) => r.pack));
      expect({ stack: s.stack, packs: [...applied].sort() }).toEqual({ stack: s.stack, packs: report.packs });
    }
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

  test('security controls are implemented, never acknowledged away (except the named exceptions)', () => {
    const violations = report.stacks
      .flatMap((s) => s.acknowledgements)
      .filter((a) => NEVER_ACKNOWLEDGED.includes(a.id))
      .filter((a) => !EXCEPTIONS.some((e) => e.id.test(a.id) && e.resource.test(a.resource)))
      .map((a) => `${a.id} on ${a.resource}`);
    expect(violations).toEqual([]);
  });

  test('a database without deletion protection says what really guards its data: a final snapshot, or nothing on purpose', () => {
    const reasons = report.stacks.flatMap((s) =>
      s.acknowledgements.filter((a) => a.id === 'AwsSolutions-RDS10').map((a) => [s.stack, a.reason] as const),
    );
    expect(reasons.length).toBeGreaterThan(0);
    for (const [stack, reason] of reasons) {
      const kind = fleet.environments.find((e) => e.spec.stackNames.data === stack)?.spec.kind;
      expect(kind).toBeDefined();
      const policy = CATALOG[kind as EnvironmentKind].stateful.database;
      if (policy === RemovalPolicy.DESTROY) expect(reason).toMatch(/destroys this database with its stack on purpose/);
      else
        expect(reason).toMatch(
          policy === RemovalPolicy.SNAPSHOT ? /survives that in a final snapshot/ : /survives the deletion of its stack/,
        );
      expect(reason).not.toMatch(/termination protection or final snapshot/);
    }
  });

  test("the read replica's exception covers RO_USER's secret in every replica stack and nothing else", () => {
    const replicaStacks = fleet.environments.flatMap((e) => (e.replica ? [e.replica.stackName] : []));
    expect(replicaStacks.length).toBeGreaterThan(0);
    const uses = report.stacks
      .flatMap((s) => s.acknowledgements)
      .filter((a) => /-prod-replica\//.test(a.resource) && NEVER_ACKNOWLEDGED.includes(a.id));
    expect([...new Set(uses.map((a) => a.resource))].sort()).toEqual(
      replicaStacks.map((s) => `${s}/ReadReplica/ReadOnlyAccountSecret/Resource`).sort(),
    );
    expect([...new Set(uses.map((a) => a.id))].sort()).toEqual(['AwsSolutions-SMG4', ...both('SecretsManagerRotationEnabled')].sort());
    for (const a of uses) expect(a.reason).toMatch(/rotated by re-issue/);
  });

  test.each(
    fleet.environments.flatMap((e) =>
      (['data', 'app', 'replica'] as const)
        .filter((l) => l !== 'replica' || e.replica)
        .map((layer) => [`${e.spec.kind}/${layer}`, e, layer] as const),
    ),
  )('%s: acknowledged rule ids are exactly the named ones', (_, env, layer) => {
    const name = layer === 'replica' ? env.replica?.stackName : env.spec.stackNames[layer];
    const stack = report.stacks.find((s) => s.stack === name);
    const ids = [...new Set(stack?.acknowledgements.map((a) => a.id.replace(/<[A-Za-z0-9]+\.(Arn|Name)>/, '<*.$1>')))].sort();
    const scrubOf = env.spec.val
      ? { account: env.spec.account, region: env.spec.region, prefix: `clinspark-${env.spec.owner}-${env.spec.name}` }
      : undefined;
    const clusters =
      layer === 'data'
        ? Object.values(fleet.template(env.spec.stackNames.data).findResources('AWS::RDS::DBCluster')).map(
            (r) => (r as { Properties: { DBClusterIdentifier: string } }).Properties.DBClusterIdentifier,
          )
        : [];
    expect(clusters.every((c) => typeof c === 'string')).toBe(true);
    const snapshotsOf = { account: env.spec.account, region: env.spec.region, clusters };
    expect(ids).toEqual(
      expectedAcknowledgements(env.spec.kind, layer, Boolean(env.spec.ingressCidrs?.length), scrubOf, snapshotsOf).sort(),
    );
  });
});
