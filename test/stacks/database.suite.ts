/**
 * The databases of the example fleet, per environment kind: encryption with their own key,
 * TLS required, audit/error/slow-query logs exported to encrypted log groups, deletion and
 * removal policies from the catalog, scale-to-zero for ephemeral kinds, binlog for PROD, and
 * separate, rotated master and application secrets.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildTestFleet } from '../support/fleet';

const fleet = buildTestFleet();
const data = (env: string) => fleet.template(`clinspark-${env}-data`);

/** The stack's clusters; never empty, so that no loop over them can pass by checking nothing. */
function clusters(t: Template) {
  const all = Object.entries(t.findResources('AWS::RDS::DBCluster'));
  expect(all.length).toBeGreaterThan(0);
  return all;
}

/** The list, asserted non-empty: a loop over it cannot pass by checking nothing. */
function nonEmpty<T>(items: T[]): T[] {
  expect(items.length).toBeGreaterThan(0);
  return items;
}

describe('ClinSpark databases in the example fleet', () => {
  test.each([
    ['acme-sandbox', 2],
    ['acme-migration', 1],
    ['acme-preprod', 1],
    ['northwind-prod', 2],
    ['northwind-val', 2],
    ['platform-demo-r2025-4', 1],
    ['platform-community', 1],
  ])('%s has %i database cluster(s), one per instance', (env, count) => {
    expect(clusters(data(env))).toHaveLength(count);
  });

  test.each(['acme-sandbox', 'northwind-prod', 'platform-community'])(
    '%s: storage encrypted with a rotating key of its own per cluster',
    (env) => {
      const t = data(env);
      const keys = new Set<string>();
      for (const [, c] of clusters(t)) {
        expect(c.Properties.StorageEncrypted).toBe(true);
        const keyRef = c.Properties.KmsKeyId['Fn::GetAtt'][0] as string;
        keys.add(keyRef);
        expect(t.toJSON().Resources[keyRef].Properties.EnableKeyRotation).toBe(true);
      }
      expect(keys.size).toBe(clusters(t).length);
    },
  );

  test('TLS is required and connections, DDL and DCL are audited on every cluster parameter group', () => {
    for (const env of ['acme-sandbox', 'acme-migration', 'northwind-prod', 'northwind-val', 'platform-demo-r2025-4']) {
      const groups = Object.values(data(env).findResources('AWS::RDS::DBClusterParameterGroup'));
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) {
        expect(g.Properties.Family).toBe('aurora-mysql8.0');
        expect(g.Properties.Parameters).toMatchObject({
          require_secure_transport: 'ON',
          server_audit_logging: '1',
          server_audit_events: 'CONNECT,QUERY_DDL,QUERY_DCL',
          tls_version: 'TLSv1.2',
          aurora_mask_password_hashes_type: '1',
        });
      }
    }
  });

  test('the slow-query log is switched on in an instance parameter group on every database instance (instance-level parameters)', () => {
    for (const env of ['acme-sandbox', 'northwind-prod', 'northwind-val', 'platform-community']) {
      const t = data(env);
      const instances = Object.values(t.findResources('AWS::RDS::DBInstance'));
      expect(instances.length).toBeGreaterThan(0);
      for (const i of instances) {
        const ref = i.Properties.DBParameterGroupName?.Ref as string;
        expect(ref).toBeDefined();
        const group = t.toJSON().Resources[ref];
        expect(group.Type).toBe('AWS::RDS::DBParameterGroup');
        expect(group.Properties.Parameters).toEqual({ slow_query_log: '1', long_query_time: '2', log_output: 'FILE' });
      }
      for (const g of nonEmpty(Object.values(t.findResources('AWS::RDS::DBClusterParameterGroup')))) {
        expect(g.Properties.Parameters.slow_query_log).toBeUndefined();
      }
    }
  });

  test('binary logging in ROW format with GTID on PROD only', () => {
    for (const g of nonEmpty(Object.values(data('northwind-prod').findResources('AWS::RDS::DBClusterParameterGroup')))) {
      expect(g.Properties.Parameters).toMatchObject({ binlog_format: 'ROW', 'gtid-mode': 'ON', enforce_gtid_consistency: 'ON' });
      // Aurora lists binlog_row_image as not modifiable (its default is FULL), and gtid_mode is not the API name.
      expect(g.Properties.Parameters.binlog_row_image).toBeUndefined();
      expect(g.Properties.Parameters.gtid_mode).toBeUndefined();
    }
    for (const g of nonEmpty(Object.values(data('acme-preprod').findResources('AWS::RDS::DBClusterParameterGroup')))) {
      expect(g.Properties.Parameters.binlog_format).toBeUndefined();
    }
  });

  test.each(['acme-sandbox', 'northwind-prod'])(
    '%s: audit and error logs kept for the catalog retention, the slow-query log (statement text) 30 days at most, all KMS-encrypted',
    (env) => {
      const t = data(env);
      const catalogRetention = env === 'northwind-prod' ? 2192 : 30;
      for (const [, c] of clusters(t)) {
        expect(c.Properties.EnableCloudwatchLogsExports).toEqual(['audit', 'error', 'slowquery']);
        const id = c.Properties.DBClusterIdentifier as string;
        for (const type of ['audit', 'error', 'slowquery']) {
          t.hasResourceProperties('AWS::Logs::LogGroup', {
            LogGroupName: `/aws/rds/cluster/${id}/${type}`,
            KmsKeyId: Match.objectLike({ 'Fn::GetAtt': Match.arrayWith([Match.stringLikeRegexp('^LogKey')]) }),
            RetentionInDays: type === 'slowquery' ? Math.min(catalogRetention, 30) : catalogRetention,
          });
        }
      }
    },
  );

  test.each([
    ['acme-sandbox', 'Delete', false],
    ['acme-migration', 'Delete', false],
    ['acme-preprod', 'Snapshot', false],
    ['northwind-val', 'Snapshot', false],
    ['northwind-prod', 'Retain', true],
    ['platform-community', 'Snapshot', true],
  ])('%s: clusters have DeletionPolicy %s and deletion protection %s', (env, policy, protectedCluster) => {
    for (const [, c] of clusters(data(env))) {
      expect(c.DeletionPolicy).toBe(policy);
      expect(c.UpdateReplacePolicy).toBe(policy);
      expect(c.Properties.DeletionProtection).toBe(protectedCluster);
    }
  });

  test.each([
    ['acme-sandbox', 'Delete'],
    ['acme-preprod', 'Retain'],
    ['northwind-prod', 'Retain'],
  ])('%s: keys and secrets have DeletionPolicy %s', (env, policy) => {
    const t = data(env);
    for (const type of ['AWS::KMS::Key', 'AWS::SecretsManager::Secret']) {
      for (const r of nonEmpty(Object.values(t.findResources(type)))) expect(r.DeletionPolicy).toBe(policy);
    }
  });

  test.each(['acme-sandbox', 'acme-migration', 'acme-preprod', 'northwind-val'])(
    '%s: Aurora Serverless v2 that scales to zero and pauses when idle',
    (env) => {
      for (const [, c] of clusters(data(env))) {
        expect(c.Properties.ServerlessV2ScalingConfiguration).toMatchObject({ MinCapacity: 0, SecondsUntilAutoPause: 3600 });
      }
      for (const i of nonEmpty(Object.values(data(env).findResources('AWS::RDS::DBInstance'))))
        expect(i.Properties.DBInstanceClass).toBe('db.serverless');
    },
  );

  test('PROD runs a provisioned writer and a standby reader in another availability zone per cluster', () => {
    const instances = Object.values(data('northwind-prod').findResources('AWS::RDS::DBInstance'));
    expect(instances).toHaveLength(4);
    expect(instances.every((i) => i.Properties.DBInstanceClass === 'db.r7g.large')).toBe(true);
    const readers = instances.filter((i) => i.Properties.PromotionTier === 1);
    const writers = instances.filter((i) => i.Properties.PromotionTier !== 1);
    expect(readers).toHaveLength(2);
    expect(writers.map((w) => w.Properties.AvailabilityZone)).toEqual(['eu-west-1a', 'eu-west-1a']);
    expect(readers.map((r) => r.Properties.AvailabilityZone)).toEqual(['eu-west-1b', 'eu-west-1b']);
  });

  test('master and application secrets are separate, KMS-encrypted and rotated', () => {
    const t = data('northwind-prod');
    const secrets = t.findResources('AWS::SecretsManager::Secret');
    expect(Object.keys(secrets)).toHaveLength(4); // master + application, Main and Test
    for (const s of Object.values(secrets)) expect(s.Properties.KmsKeyId).toBeDefined();
    const schedules = Object.values(t.findResources('AWS::SecretsManager::RotationSchedule'));
    expect(schedules).toHaveLength(4);
    expect(schedules.map((s) => s.Properties.HostedRotationLambda.RotationType).sort()).toEqual([
      'MySQLMultiUser',
      'MySQLMultiUser',
      'MySQLSingleUser',
      'MySQLSingleUser',
    ]);
  });

  test('no secret value appears in any template', () => {
    for (const name of fleet.stacks.keys()) {
      const json = JSON.stringify(fleet.template(name).toJSON());
      expect(json).not.toMatch(/"MasterUserPassword":"[^{]/);
      expect(json).not.toMatch(/"(Password|password)":"[^"{]+"/);
    }
  });

  test('backups: catalog retention and window, tags copied to snapshots, AWS Backup plan with an encrypted vault for PROD', () => {
    for (const [, c] of clusters(data('northwind-prod'))) {
      expect(c.Properties).toMatchObject({
        BackupRetentionPeriod: 35,
        PreferredBackupWindow: '00:30-01:00',
        PreferredMaintenanceWindow: 'sun:02:00-sun:03:00',
        CopyTagsToSnapshot: true,
      });
    }
    const t = data('northwind-prod');
    t.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: Match.anyValue() });
    t.resourceCountIs('AWS::Backup::BackupSelection', 2);
    expect(Object.keys(data('acme-sandbox').findResources('AWS::Backup::BackupPlan'))).toHaveLength(0);
  });

  test('the AWS Backup selection role can back up but not restore (restores are disabled on every selection)', () => {
    const t = data('northwind-prod');
    const selections = Object.values(t.findResources('AWS::Backup::BackupSelection'));
    expect(selections.length).toBeGreaterThan(0);
    for (const sel of selections) {
      const roleId = sel.Properties.BackupSelection.IamRoleArn['Fn::GetAtt'][0] as string;
      const policies = JSON.stringify(t.toJSON().Resources[roleId].Properties.ManagedPolicyArns);
      expect(policies).toContain('service-role/AWSBackupServiceRolePolicyForBackup');
      expect(policies).not.toContain('AWSBackupServiceRolePolicyForRestores');
    }
  });

  test.each(['acme-sandbox', 'northwind-prod', 'northwind-val'])(
    '%s: IAM database authentication is off on every cluster (no account uses it)',
    (env) => {
      const all = clusters(data(env));
      expect(all.length).toBeGreaterThan(0);
      for (const [, c] of all) expect(c.Properties.EnableIAMDatabaseAuthentication).not.toBe(true);
    },
  );

  test('PROD database key policies name their users: decrypt and grants denied to every other principal of the account', () => {
    const t = data('northwind-prod');
    const resources = t.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    const keyIds = clusters(t).map(([, c]) => (c.Properties.KmsKeyId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]);
    expect(keyIds).toHaveLength(2);
    for (const id of keyIds) {
      const statements = (resources[id].Properties.KeyPolicy as { Statement: Array<Record<string, any>> }).Statement;
      const denies = statements.filter((st) => st.Effect === 'Deny');
      expect(denies.map((d) => d.Sid).sort()).toEqual(['DenyUseByOtherCustomers', 'DenyUseByOtherEnvironments']);
      for (const d of denies) {
        expect(d.Principal).toEqual({ AWS: '*' });
        expect([...d.Action].sort()).toEqual(['kms:CreateGrant', 'kms:Decrypt', 'kms:ReEncryptFrom']);
        expect(d.Condition.StringEquals).toEqual({ 'aws:PrincipalAccount': '345678901234' });
        expect(d.Condition.Bool).toEqual({ 'aws:PrincipalIsAWSService': 'false' });
        const exempt = JSON.stringify(d.Condition.ArnNotLike['aws:PrincipalArn']);
        expect(exempt).toContain('arn:aws:iam::345678901234:role/clinspark-break-glass');
        expect(exempt).toContain('cdk-*-cfn-exec-role-345678901234-eu-west-1');
      }
      expect(denies.find((d) => d.Sid === 'DenyUseByOtherCustomers')?.Condition.StringNotEquals).toEqual({
        'aws:PrincipalTag/clinspark:customer': 'northwind',
      });
      expect(denies.find((d) => d.Sid === 'DenyUseByOtherEnvironments')?.Condition.StringNotEquals).toEqual({
        'aws:PrincipalTag/clinspark:environment': ['prod', 'val'],
      });
    }
    // The roles carry the tags that the key policy names: as stack tags (CloudFormation propagates
    // them to every role, nested stacks included) and in the template wherever CDK can tag.
    expect(fleet.stacks.get('clinspark-northwind-prod-data')?.tags.tagValues()).toMatchObject({
      'clinspark:customer': 'northwind',
      'clinspark:environment': 'prod',
    });
    const roles = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Role');
    // Only aws-cdk-lib's own custom-resource providers (raw CfnResources CDK does not tag) rely on
    // the stack tags alone; their roles use none of these keys.
    const untagged = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role' && !r.Properties.Tags)
      .map(([id]) => id);
    for (const id of untagged)
      expect(id).toMatch(/^Custom(VpcRestrictDefaultSG|ClinSparkManagedPrefixListProvider)CustomResourceProviderRole/);
    for (const role of roles.filter((r) => r.Properties.Tags)) {
      expect(role.Properties.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'clinspark:customer', Value: 'northwind' },
          { Key: 'clinspark:environment', Value: 'prod' },
        ]),
      );
    }
  });

  test.each(['acme-sandbox', 'acme-preprod'])('%s: database keys have no use restriction beyond IAM (catalog)', (env) => {
    for (const key of nonEmpty(Object.values(data(env).findResources('AWS::KMS::Key')))) {
      expect(JSON.stringify(key.Properties.KeyPolicy)).not.toContain('DenyUseBy');
    }
  });

  test('enhanced monitoring and Database Insights per catalog', () => {
    const instances = Object.values(data('northwind-prod').findResources('AWS::RDS::DBInstance'));
    expect(instances).toHaveLength(4);
    for (const i of instances) expect(i.Properties.MonitoringInterval).toBe(15);
    for (const [, c] of clusters(data('northwind-prod'))) expect(c.Properties.DatabaseInsightsMode).toBe('advanced');
    for (const [, c] of clusters(data('acme-sandbox'))) expect(c.Properties.DatabaseInsightsMode).toBe('standard');
  });

  test('the database security groups admit MySQL from named security groups only, never from a CIDR', () => {
    const mysqlRules = [...fleet.stacks.keys()].flatMap((name) =>
      Object.values(fleet.template(name).findResources('AWS::EC2::SecurityGroupIngress')).filter(
        (rule) => rule.Properties.FromPort === 3306,
      ),
    );
    // Every database of the fleet admits at least its application and its rotation functions.
    expect(mysqlRules.length).toBeGreaterThanOrEqual(fleet.environments.length);
    for (const rule of mysqlRules) {
      expect(rule.Properties.CidrIp).toBeUndefined();
      expect(rule.Properties.CidrIpv6).toBeUndefined();
      expect(rule.Properties.SourceSecurityGroupId).toBeDefined();
    }
  });
});
