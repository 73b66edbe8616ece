/**
 * The customer read replica on the example fleet (northwind PROD): the four guarantees of issue 4
 * asserted on the synthesised templates, plus the ReadReplica construct's prop validation on a
 * small dedicated stack.
 *
 * 1. A separate cluster restored from PROD Main with its own key, read_only, fed by replication;
 *    no application references it.
 * 2. The customer's path reaches only the replica: PROD Main admits no jump host and no CIDR.
 * 3. Only the customer ranges reach the jump host (22); the replica admits MySQL only from the jump
 *    host and its own set-up functions; nothing anywhere opens 22 or 3306 to /0.
 * 4. The read-only account is created on the replica only; its secret is readable by the named
 *    recipient only, during the collection window.
 */
import { App, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ClinSparkDatabase } from '../../constructs/database/clinspark-database';
import { LogEncryptionKey } from '../../constructs/encryption/log-encryption-key';
import { ClinSparkNetwork } from '../../constructs/network/clinspark-network';
import { ReadReplica, ReadReplicaProps } from '../../constructs/read-replica';
import { readReplicaPlan } from '../../lib/read-replica-plan';
import { buildTestFleet } from '../support/fleet';
import { testStack } from '../support/test-stack';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

const fleet = buildTestFleet();
const REPLICA_STACK = 'clinspark-northwind-prod-replica';
const DATA_STACK = 'clinspark-northwind-prod-data';
const APP_STACK = 'clinspark-northwind-prod-app';
const RECIPIENT = 'arn:aws:iam::345678901234:user/ingrid.larsen';
const OPENS = '2026-11-16T00:00:00Z';
const CLOSES = '2026-11-30T00:00:00Z';
const CUSTOMER_CIDRS = ['198.51.100.0/26', '203.0.113.200/32'];

const template = fleet.template(REPLICA_STACK);
const resources = template.toJSON().Resources as Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
/** The single logical id of `type` whose id starts with `prefix`. */
function idOf(type: string, prefix: string): string {
  const ids = ofType(type)
    .map(([id]) => id)
    .filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}
const groupId = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'GroupId'] });
/** PROD Main's security group as the replica stack refers to it (a weak cross-stack reference). */
const sourceGroupRef = {
  'Fn::GetStackOutput': {
    StackName: DATA_STACK,
    Region: 'eu-west-1',
    OutputName: Match.stringLikeRegexp('^PublishOutputFnGetAttMainDatabaseSecurityGroup'),
  },
};
const isSourceGroup = (value: unknown, stackName: string) => {
  const text = JSON.stringify(value);
  return stackName === DATA_STACK
    ? /"MainDatabaseSecurityGroup[A-F0-9]{8}"/.test(text)
    : text.includes(`"StackName":"${DATA_STACK}"`) && /MainDatabaseSecurityGroup/.test(text);
};

interface Rule {
  stack: string;
  id: string;
  group: unknown;
  source?: unknown;
  cidr?: string;
  cidrV6?: string;
  protocol: string;
  from?: number;
  to?: number;
}

/** Every ingress rule of every template of the fleet, inline or standalone. */
function allIngressRules(): Rule[] {
  const rules: Rule[] = [];
  for (const stackName of fleet.stacks.keys()) {
    for (const [id, r] of Object.entries(fleet.template(stackName).toJSON().Resources as Record<string, Resource>)) {
      if (r.Type === 'AWS::EC2::SecurityGroupIngress') {
        const p = r.Properties;
        rules.push({
          stack: stackName,
          id,
          group: p.GroupId,
          source: p.SourceSecurityGroupId,
          cidr: p.CidrIp as string,
          cidrV6: p.CidrIpv6 as string,
          protocol: String(p.IpProtocol),
          from: p.FromPort as number,
          to: p.ToPort as number,
        });
      }
      if (r.Type === 'AWS::EC2::SecurityGroup') {
        for (const p of (r.Properties.SecurityGroupIngress as Array<Record<string, unknown>> | undefined) ?? []) {
          rules.push({
            stack: stackName,
            id,
            group: { 'Fn::GetAtt': [id, 'GroupId'] },
            source: p.SourceSecurityGroupId,
            cidr: p.CidrIp as string,
            cidrV6: p.CidrIpv6 as string,
            protocol: String(p.IpProtocol),
            from: p.FromPort as number,
            to: p.ToPort as number,
          });
        }
      }
    }
  }
  return rules;
}

describe('guarantee 1: a separate, read-only copy of PROD Main that no application uses', () => {
  test('the replica is its own cluster, restored (clone) from PROD Main, encrypted with a key of its own', () => {
    const [[, cluster]] = ofType('AWS::RDS::DBCluster');
    expect(ofType('AWS::RDS::DBCluster')).toHaveLength(1);
    expect(cluster.Properties).toMatchObject({
      DBClusterIdentifier: 'clinspark-northwind-prod-replica',
      SourceDBClusterIdentifier: 'clinspark-northwind-prod-main',
      RestoreType: 'copy-on-write',
      UseLatestRestorableTime: true,
      DeletionProtection: true,
      EnableCloudwatchLogsExports: ['audit', 'error', 'slowquery'],
      KmsKeyId: { 'Fn::GetAtt': [idOf('AWS::KMS::Key', 'ReadReplicaDatabaseKey'), 'Arn'] },
    });
    // A restore inherits the master user; the replica's own secret replaces the password.
    expect(cluster.Properties.MasterUsername).toBeUndefined();
    expect(cluster.Properties.MasterUserPassword).toBeUndefined();
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      Description: Match.stringLikeRegexp('northwind/prod read replica'),
    });
    // One writer, of the configured class, private.
    expect(ofType('AWS::RDS::DBInstance').map(([, r]) => r.Properties)).toEqual([
      expect.objectContaining({
        DBInstanceClass: 'db.r7g.large',
        PubliclyAccessible: false,
        DBClusterIdentifier: { Ref: idOf('AWS::RDS::DBCluster', 'ReadReplicaDatabaseCluster') },
      }),
    ]);
  });

  test('PROD Main is untouched: still exactly the Main and Test clusters with their own instances, no reader for the customer', () => {
    const data = fleet.template(DATA_STACK).toJSON().Resources as Record<string, Resource>;
    const clusters = Object.values(data)
      .filter((r) => r.Type === 'AWS::RDS::DBCluster')
      .map((r) => r.Properties.DBClusterIdentifier)
      .sort();
    expect(clusters).toEqual(['clinspark-northwind-prod-main', 'clinspark-northwind-prod-test']);
    expect(JSON.stringify(data)).not.toMatch(/replica/i);
  });

  test(
    'cluster parameters: read_only, the mysql schema never replicated, GTID for ' + 'auto-position, TLS required, connections audited',
    () => {
      template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
        Parameters: Match.objectLike({
          read_only: '1',
          'replicate-wild-ignore-table': 'mysql.%',
          'gtid-mode': 'ON',
          enforce_gtid_consistency: 'ON',
          require_secure_transport: 'ON',
          server_audit_logging: '1',
          server_audit_events: Match.stringLikeRegexp('(^|,)CONNECT(,|$)'),
        }),
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: '/aws/rds/cluster/clinspark-northwind-prod-replica/audit',
        KmsKeyId: Match.anyValue(),
        RetentionInDays: Match.anyValue(),
      });
    },
  );

  test(
    "replication: the custom resource reads PROD Main's master secret and endpoint, " +
      "resets the clone's password and keeps 72 h of binlogs",
    () => {
      const [[, replication]] = ofType('Custom::ClinSparkReplication');
      expect(replication.Properties).toEqual({
        ServiceToken: { 'Fn::GetAtt': [idOf('AWS::Lambda::Function', 'ReadReplicaReplicationProviderframeworkonEvent'), 'Arn'] },
        SourceSecretArn: {
          'Fn::GetStackOutput': {
            StackName: DATA_STACK,
            Region: 'eu-west-1',
            OutputName: expect.stringMatching(/^PublishOutputRefMainDatabaseMasterSecretAttachment/),
          },
        },
        SourceHost: {
          'Fn::GetStackOutput': {
            StackName: DATA_STACK,
            Region: 'eu-west-1',
            OutputName: expect.stringMatching(/^PublishOutputFnGetAttMainDatabaseCluster\w+EndpointAddress/),
          },
        },
        SourcePort: '3306',
        ReplicaSecretArn: { Ref: idOf('AWS::SecretsManager::SecretTargetAttachment', 'ReadReplicaDatabaseMasterSecretAttachment') },
        ReplicationUser: 'clinspark_repl',
        ReplicationSecretArn: { Ref: idOf('AWS::SecretsManager::Secret', 'ReadReplicaReplicationSecret') },
        BinlogRetentionHours: '72',
        ReplicaClusterIdentifier: 'clinspark-northwind-prod-replica',
        ReadOnlyUser: 'RO_USER',
      });
      // Runs after the cluster's writer and the network rules of both sides exist.
      expect(replication.DependsOn).toEqual(
        expect.arrayContaining([
          idOf('AWS::RDS::DBInstance', 'ReadReplicaDatabaseClusterWriter'),
          idOf(
            'AWS::EC2::SecurityGroupIngress',
            'ReadReplicaReplicationFunctionSecurityGroupclinsparknorthwindproddataMainDatabaseSecurityGroup',
          ),
          idOf('AWS::EC2::SecurityGroupIngress', 'ReadReplicaDatabaseSecurityGroupclinsparknorthwindproddataMainDatabaseSecurityGroup'),
        ]),
      );
      // The replica's master secret rotates only once the clone's password has been reset.
      const masterRotation = ofType('AWS::SecretsManager::RotationSchedule').find(([, r]) =>
        JSON.stringify(r.Properties.SecretId).includes('MasterSecretAttachment'),
      );
      expect(masterRotation?.[1].DependsOn).toContain(idOf('Custom::ClinSparkReplication', 'ReadReplicaReplication'));
    },
  );

  /** Policies of the replica stack whose statements allow `action` on something of PROD Main's data stack matching `output`. */
  function policiesAllowingOnProd(action: string, output: RegExp): string[] {
    return Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
      .filter(([, r]) =>
        (
          r.Properties.PolicyDocument as { Statement: Array<{ Effect: string; Action: string | string[]; Resource: unknown }> }
        ).Statement.some(
          (st) =>
            st.Effect === 'Allow' &&
            [st.Action].flat().includes(action) &&
            JSON.stringify(st.Resource).includes(`"StackName":"${DATA_STACK}"`) &&
            output.test(JSON.stringify(st.Resource)),
        ),
      )
      .map(([id, r]) => {
        const attachedTo = Object.entries(resources)
          .filter(
            ([, role]) => role.Type === 'AWS::IAM::Role' && JSON.stringify(role.Properties.ManagedPolicyArns ?? []).includes(`"${id}"`),
          )
          .map(([roleId]) => ({ Ref: roleId }));
        return JSON.stringify([...((r.Properties.Roles as unknown[]) ?? []), ...attachedTo]);
      });
  }

  test(
    "PROD Main's master secret: no policy in the replica stack but the replication " +
      "function's grants secretsmanager:GetSecretValue on it or kms:Decrypt with its " +
      'key; the rotation function holds neither',
    () => {
      const replicationRole = JSON.stringify([{ Ref: idOf('AWS::IAM::Role', 'ReadReplicaReplicationFunctionRole') }]);
      expect(policiesAllowingOnProd('secretsmanager:GetSecretValue', /MainDatabaseMasterSecretAttachment/)).toEqual([replicationRole]);
      expect(policiesAllowingOnProd('kms:Decrypt', /MainDatabaseKey/)).toEqual([replicationRole]);
      const rotationRole = idOf('AWS::IAM::Role', 'ReadReplicaReplicationRotationFunctionRole');
      const attached = JSON.stringify(resources[rotationRole].Properties.ManagedPolicyArns ?? []);
      const rotationPolicies = Object.entries(resources)
        .filter(
          ([id, r]) =>
            (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') &&
            (JSON.stringify(r.Properties.Roles ?? []).includes(rotationRole) || attached.includes(`"${id}"`)),
        )
        .map(([, r]) => r);
      expect(rotationPolicies.length).toBeGreaterThan(0);
      const rotationText = JSON.stringify(rotationPolicies);
      expect(rotationText).not.toMatch(/MainDatabaseMasterSecret|MainDatabaseKey/);
      // ... nor may it reset a master password.
      expect(rotationText).not.toContain('rds:ModifyDBCluster');
      // Its properties (REPLICATION_PROPERTIES) carry no source secret either.
      const [, rotationFunction] = Object.entries(resources).find(
        ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('ReadReplicaReplicationRotationFunction'),
      )!;
      const environment = JSON.stringify(
        (rotationFunction.Properties.Environment as { Variables: Record<string, unknown> }).Variables.REPLICATION_PROPERTIES,
      );
      expect(environment).not.toContain('SourceSecretArn');
      expect(environment).not.toMatch(/MainDatabaseMasterSecret/);
      expect(environment).toContain('ReplicationSecretArn');
    },
  );

  test('the replica pins aurora_mask_password_hashes_type = 1 (passwords in its slow query and audit logs logged as <secret>)', () => {
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Parameters: Match.objectLike({ read_only: '1', aurora_mask_password_hashes_type: '1' }),
    });
  });

  test("the replication password: 32 characters, the replica's key, rotated every 30 days by the replication rotation function", () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [idOf('AWS::KMS::Key', 'ReadReplicaDatabaseKey'), 'Arn'] },
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: '{"username":"clinspark_repl"}',
        GenerateStringKey: 'password',
        PasswordLength: 32,
      }),
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: idOf('AWS::SecretsManager::Secret', 'ReadReplicaReplicationSecret') },
      RotationLambdaARN: { 'Fn::GetAtt': [idOf('AWS::Lambda::Function', 'ReadReplicaReplicationRotationFunction'), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.onRotate',
      Environment: { Variables: Match.objectLike({ REPLICATION_PROPERTIES: Match.anyValue() }) },
    });
    // Secrets Manager may invoke the rotation function for this secret only (SourceArn), from this account only.
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: '345678901234',
      SourceArn: { Ref: idOf('AWS::SecretsManager::Secret', 'ReadReplicaReplicationSecret') },
    });
  });

  test('no application references the replica: the app stack has no path, no secret and no dependency to it', () => {
    // The environment's dashboard (monitoring) may show the replica's lag by cluster name: a
    // read-only graph, not a path, a secret or a dependency. Everything else must not mention it.
    const app = fleet.template(APP_STACK).toJSON() as { Resources: Record<string, { Type: string }> };
    const withoutDashboards = {
      ...app,
      Resources: Object.fromEntries(Object.entries(app.Resources).filter(([, r]) => r.Type !== 'AWS::CloudWatch::Dashboard')),
    };
    const appJson = JSON.stringify(withoutDashboards);
    expect(appJson).not.toMatch(/replica/i);
    expect(JSON.stringify(app)).not.toContain(`"StackName":"${REPLICA_STACK}"`);
    expect(appJson).not.toContain('clinspark_repl');
    expect(appJson).not.toContain('RO_USER');
    // Task definitions inject the application secrets of PROD's data stack only.
    for (const [, td] of Object.entries(fleet.template(APP_STACK).findResources('AWS::ECS::TaskDefinition'))) {
      for (const s of td.Properties.ContainerDefinitions[0].Secrets as Array<{ ValueFrom: unknown }>) {
        expect(JSON.stringify(s.ValueFrom)).toMatch(new RegExp(`"StackName":"${DATA_STACK}".*ApplicationSecret`));
      }
    }
    // Nothing but the replica stack refers to the replica stack; it depends on PROD's data stack only.
    for (const name of fleet.stacks.keys()) {
      // (a cross-stack reference names the stack; the dashboard's lag graph names only the cluster)
      if (name !== REPLICA_STACK)
        expect(JSON.stringify(fleet.template(name).toJSON()).includes(`"StackName":"${REPLICA_STACK}"`)).toBe(false);
    }
    expect(fleet.stacks.get(REPLICA_STACK)?.dependencies.map((s) => s.stackName)).toEqual([DATA_STACK]);
    expect(fleet.stacks.get(APP_STACK)?.dependencies.map((s) => s.stackName)).not.toContain(REPLICA_STACK);
  });
});

describe('guarantees 2 and 3: the network paths', () => {
  const rules = allIngressRules();
  const jumpHostGroup = groupId(idOf('AWS::EC2::SecurityGroup', 'JumpHostSecurityGroup'));
  const replicaGroup = groupId(idOf('AWS::EC2::SecurityGroup', 'ReadReplicaDatabaseSecurityGroup'));

  test(
    'PROD Main admits no CIDR range and no jump host: from the replica stack only ' + 'the replica cluster and the replication functions',
    () => {
      const sourceRules = rules.filter((r) => isSourceGroup(r.group, r.stack));
      expect(sourceRules.length).toBeGreaterThan(0);
      for (const r of sourceRules) {
        expect({ id: r.id, cidr: r.cidr, cidrV6: r.cidrV6 }).toEqual({ id: r.id, cidr: undefined, cidrV6: undefined });
        expect(r.source).toBeDefined();
        expect(r.source).not.toEqual(jumpHostGroup);
      }
      const fromReplicaStack = sourceRules.filter((r) => r.stack === REPLICA_STACK);
      expect(fromReplicaStack.map((r) => [r.source, r.protocol, r.from, r.to])).toEqual(
        expect.arrayContaining([
          [replicaGroup, 'tcp', 3306, 3306],
          [groupId(idOf('AWS::EC2::SecurityGroup', 'ReadReplicaReplicationFunctionSecurityGroup')), 'tcp', 3306, 3306],
          [groupId(idOf('AWS::EC2::SecurityGroup', 'ReadReplicaReplicationRotationFunctionSecurityGroup')), 'tcp', 3306, 3306],
        ]),
      );
      expect(fromReplicaStack).toHaveLength(3);
      // The read-only account function has no path to PROD Main at all.
      const roGroup = groupId(idOf('AWS::EC2::SecurityGroup', 'ReadReplicaReadOnlyAccountFunctionSecurityGroup'));
      expect(sourceRules.some((r) => JSON.stringify(r.source) === JSON.stringify(roGroup))).toBe(false);
      // And the ingress rules on PROD Main's group use the cross-stack group id, not a copy of it.
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: sourceGroupRef, SourceSecurityGroupId: replicaGroup });
    },
  );

  test('the PROD data and app stacks add no rule for the jump host or the customer ranges', () => {
    for (const r of rules.filter((x) => x.stack === DATA_STACK || x.stack === APP_STACK)) {
      expect(CUSTOMER_CIDRS).not.toContain(r.cidr);
      expect(JSON.stringify(r.source ?? '')).not.toMatch(/JumpHost/);
    }
  });

  test('the replica admits MySQL only from the jump host and its own set-up and rotation functions', () => {
    const replicaRules = rules.filter((r) => r.stack === REPLICA_STACK && JSON.stringify(r.group) === JSON.stringify(replicaGroup));
    for (const r of replicaRules) expect([r.protocol, r.from, r.to, r.cidr, r.cidrV6]).toEqual(['tcp', 3306, 3306, undefined, undefined]);
    const sources = replicaRules.map((r) => (r.source as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]).sort();
    expect(sources).toEqual(
      [
        idOf('AWS::EC2::SecurityGroup', 'JumpHostSecurityGroup'),
        idOf('AWS::EC2::SecurityGroup', 'ReadReplicaDatabaseMasterRotationSecurityGroup'),
        idOf('AWS::EC2::SecurityGroup', 'ReadReplicaReadOnlyAccountFunctionSecurityGroup'),
        idOf('AWS::EC2::SecurityGroup', 'ReadReplicaReplicationFunctionSecurityGroup'),
        idOf('AWS::EC2::SecurityGroup', 'ReadReplicaReplicationRotationFunctionSecurityGroup'),
      ].sort(),
    );
  });

  test('the jump host admits SSH (22) from the configured customer ranges only, and reaches the replica and HTTPS only', () => {
    const jumpRules = rules.filter((r) => r.stack === REPLICA_STACK && JSON.stringify(r.group) === JSON.stringify(jumpHostGroup));
    expect(jumpRules.map((r) => [r.cidr, r.protocol, r.from, r.to]).sort()).toEqual(CUSTOMER_CIDRS.map((c) => [c, 'tcp', 22, 22]));
    const jumpEgress = ofType('AWS::EC2::SecurityGroupEgress').filter(
      ([, r]) => JSON.stringify(r.Properties.GroupId) === JSON.stringify(jumpHostGroup),
    );
    expect(jumpEgress.map(([, r]) => [r.Properties.DestinationSecurityGroupId, r.Properties.FromPort])).toEqual([[replicaGroup, 3306]]);
    const inlineEgress = resources[idOf('AWS::EC2::SecurityGroup', 'JumpHostSecurityGroup')].Properties.SecurityGroupEgress as Array<
      Record<string, unknown>
    >;
    expect(inlineEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })]);
  });

  test('no rule anywhere in the fleet opens SSH (22), MySQL (3306) or all ports to 0.0.0.0/0 or ::/0', () => {
    const open = rules.filter((r) => {
      if (r.cidr !== '0.0.0.0/0' && r.cidrV6 !== '::/0') return false;
      if (r.protocol === '-1') return true;
      return [22, 3306].some((port) => (r.from ?? 0) <= port && port <= (r.to ?? 65535));
    });
    expect(open.map((r) => `${r.stack}/${r.id}`)).toEqual([]);
    expect(rules.length).toBeGreaterThan(20);
  });
});

describe('the jump host', () => {
  const [[, instance]] = ofType('AWS::EC2::Instance');

  test(
    'IMDSv2 only, encrypted root volume with its own key, pinned AMI, termination ' +
      'protection, detailed monitoring, public subnet with an Elastic IP',
    () => {
      expect(instance.Properties).toMatchObject({
        ImageId: 'ami-0a1b2c3d4e5f60718',
        InstanceType: 't4g.micro',
        DisableApiTermination: true,
        Monitoring: true,
        MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'disabled' },
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: expect.objectContaining({
              Encrypted: true,
              KmsKeyId: { 'Fn::GetAtt': [idOf('AWS::KMS::Key', 'JumpHostVolumeKey'), 'Arn'] },
              DeleteOnTermination: true,
            }),
          },
        ],
        SubnetId: {
          'Fn::GetStackOutput': expect.objectContaining({ StackName: DATA_STACK, OutputName: expect.stringMatching(/PublicSubnet1/) }),
        },
      });
      template.hasResourceProperties('AWS::EC2::EIP', {
        Domain: 'vpc',
        InstanceId: { Ref: idOf('AWS::EC2::Instance', 'JumpHostInstance') },
      });
    },
  );

  test('the tunnel may only forward to replica-prod.<zone>:3306, the name the customer guide prints', () => {
    const text = JSON.stringify(instance.Properties.UserData);
    expect(text).toContain('PermitOpen replica-prod.northwind.clinspark.cloud:3306');
    expect(text).not.toMatch(/PermitOpen (?!none|replica-prod\.northwind\.clinspark\.cloud:3306)/);
  });

  test('DNS: jump-prod.<zone> is the Elastic IP, replica-prod.<zone> a CNAME to the replica endpoint', () => {
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'jump-prod.northwind.clinspark.cloud.',
      Type: 'A',
      HostedZoneId: 'Z04NORTHWIND00000001',
      ResourceRecords: [{ 'Fn::GetAtt': [idOf('AWS::EC2::EIP', 'JumpHostElasticIp'), 'PublicIp'] }],
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'replica-prod.northwind.clinspark.cloud.',
      Type: 'CNAME',
      HostedZoneId: 'Z04NORTHWIND00000001',
      ResourceRecords: [{ 'Fn::GetAtt': [idOf('AWS::RDS::DBCluster', 'ReadReplicaDatabaseCluster'), 'Endpoint.Address'] }],
    });
  });
});

describe('guarantee 4: the read-only account, on the replica only, delivered to the named recipient during the window', () => {
  const secretId = idOf('AWS::SecretsManager::Secret', 'ReadReplicaReadOnlyAccountSecret');
  const keyId = idOf('AWS::KMS::Key', 'ReadReplicaReadOnlySecretKey');
  const writerRole = { 'Fn::GetAtt': [idOf('AWS::IAM::Role', 'ReadReplicaReadOnlyAccountFunctionRole'), 'Arn'] };

  test('the account custom resource talks to the replica only, re-issues on a new IssueDate and re-grants on a new release', () => {
    const [[, account]] = ofType('Custom::ClinSparkReadOnlyAccount');
    expect(account.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [idOf('AWS::Lambda::Function', 'ReadReplicaReadOnlyAccountProviderframeworkonEvent'), 'Arn'] },
      ReplicaSecretArn: { Ref: idOf('AWS::SecretsManager::SecretTargetAttachment', 'ReadReplicaDatabaseMasterSecretAttachment') },
      AccountSecretArn: { Ref: secretId },
      Username: 'RO_USER',
      IssueDate: '2026-11-16',
      PasswordLength: '48',
      ReleaseVersion: '2025.4.0-b2231',
      PasswordExpiresOn: '2027-02-14',
    });
    expect(account.DependsOn).toContain(idOf('Custom::ClinSparkReplication', 'ReadReplicaReplication'));
    // Its function can neither read PROD Main's secrets nor reach PROD Main.
    const policies = ofType('AWS::IAM::ManagedPolicy').filter(([id]) => id.startsWith('ReadReplicaReadOnlyAccountFunction'));
    expect(policies.length).toBeGreaterThan(0);
    for (const [, p] of policies) expect(JSON.stringify(p.Properties)).not.toMatch(/MainDatabase|StackName/);
    const roGroup = groupId(idOf('AWS::EC2::SecurityGroup', 'ReadReplicaReadOnlyAccountFunctionSecurityGroup'));
    const egress = ofType('AWS::EC2::SecurityGroupEgress').filter(
      ([, r]) => JSON.stringify(r.Properties.GroupId) === JSON.stringify(roGroup),
    );
    // MySQL to the replica only; HTTPS to PROD's VPC endpoints (from the data stack) and S3's prefix list only.
    const mysql = egress.filter(([, r]) => r.Properties.FromPort === 3306);
    expect(mysql.map(([, r]) => r.Properties.DestinationSecurityGroupId)).toEqual([
      groupId(idOf('AWS::EC2::SecurityGroup', 'ReadReplicaDatabaseSecurityGroup')),
    ]);
    const https = egress.filter(([, r]) => r.Properties.FromPort === 443);
    expect(https).toHaveLength(2);
    expect(JSON.stringify(https)).toContain('NetworkEndpointSecurityGroup');
    expect(https.some(([, r]) => r.Properties.DestinationPrefixListId)).toBe(true);
    expect(egress.filter(([, r]) => ![443, 3306].includes(r.Properties.FromPort as number))).toEqual([]);
  });

  test('the secret has its own customer-managed key with rotation, and a stable name', () => {
    expect(resources[secretId].Properties).toMatchObject({
      Name: 'clinspark-northwind-prod-replica/RO_USER',
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    expect(resources[keyId].Properties).toMatchObject({ EnableKeyRotation: true, PendingWindowInDays: 30 });
    expect(keyId).not.toBe(idOf('AWS::KMS::Key', 'ReadReplicaDatabaseKey'));
  });

  test(
    'resource policy: the recipient reads during [issue date, issue date + 14 days) ' +
      'only; everyone else is denied; only the writer writes',
    () => {
      const policy = ofType('AWS::SecretsManager::ResourcePolicy').find(
        ([, r]) => JSON.stringify(r.Properties.SecretId) === JSON.stringify({ Ref: secretId }),
      );
      expect(policy?.[1].Properties.BlockPublicPolicy).toBe(true);
      expect((policy?.[1].Properties.ResourcePolicy as { Statement: unknown[] }).Statement).toEqual([
        {
          Sid: 'RecipientCollectsDuringWindow',
          Effect: 'Allow',
          Principal: { AWS: RECIPIENT },
          Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
          Resource: '*',
          Condition: { DateGreaterThan: { 'aws:CurrentTime': OPENS }, DateLessThan: { 'aws:CurrentTime': CLOSES } },
        },
        {
          Sid: 'DenyEveryoneButRecipientAndWriter',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': [RECIPIENT, writerRole] } },
        },
        {
          Sid: 'DenyRecipientBeforeIssue',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
          Condition: { ArnEquals: { 'aws:PrincipalArn': RECIPIENT }, DateLessThan: { 'aws:CurrentTime': OPENS } },
        },
        {
          Sid: 'DenyRecipientAfterCollectionWindow',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
          Condition: { ArnEquals: { 'aws:PrincipalArn': RECIPIENT }, DateGreaterThanEquals: { 'aws:CurrentTime': CLOSES } },
        },
        {
          Sid: 'DenyWritesButWriter',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'secretsmanager:PutSecretValue',
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': writerRole } },
        },
      ]);
    },
  );

  test('key policy: the recipient decrypts this secret only, through Secrets Manager only, during the window only', () => {
    const statements = (resources[keyId].Properties.KeyPolicy as { Statement: Array<{ Sid?: string }> }).Statement.filter(
      (s) => s.Sid && !s.Sid.startsWith('DenyUseBy'),
    );
    expect(statements).toEqual([
      {
        Sid: 'RecipientDecryptsThroughSecretsManagerDuringWindow',
        Effect: 'Allow',
        Principal: { AWS: RECIPIENT },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: {
          StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
          ArnLike: {
            'kms:EncryptionContext:SecretARN':
              'arn:aws:secretsmanager:eu-west-1:345678901234:secret:clinspark-northwind-prod-replica/RO_USER-??????',
          },
          DateGreaterThan: { 'aws:CurrentTime': OPENS },
          DateLessThan: { 'aws:CurrentTime': CLOSES },
        },
      },
      {
        Sid: 'DenyRecipientDecryptBeforeIssue',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { ArnEquals: { 'aws:PrincipalArn': RECIPIENT }, DateLessThan: { 'aws:CurrentTime': OPENS } },
      },
      {
        Sid: 'DenyRecipientDecryptAfterCollectionWindow',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { ArnEquals: { 'aws:PrincipalArn': RECIPIENT }, DateGreaterThanEquals: { 'aws:CurrentTime': CLOSES } },
      },
    ]);
  });

  test(
    "the replica's keys deny decrypt and grants to every principal of the account " +
      "but the replica stack's roles, the CDK roles, the break-glass role and (secret " +
      'key) the recipient',
    () => {
      const keys = ofType('AWS::KMS::Key').filter(([id]) => id.startsWith('ReadReplicaDatabaseKey') || id === keyId);
      expect(keys).toHaveLength(2);
      for (const [id, key] of keys) {
        const denies = (key.Properties.KeyPolicy as { Statement: Array<Record<string, any>> }).Statement.filter((st) =>
          String(st.Sid).startsWith('DenyUseBy'),
        );
        expect(denies.map((d) => d.Sid).sort()).toEqual(['DenyUseByOtherCustomers', 'DenyUseByOtherEnvironments']);
        for (const d of denies) {
          const exempt = JSON.stringify(d.Condition.ArnNotLike['aws:PrincipalArn']);
          expect(exempt).toContain('role/clinspark-break-glass');
          if (id === keyId) expect(exempt).toContain(RECIPIENT);
          else expect(exempt).not.toContain(RECIPIENT);
        }
        expect(denies.find((d) => d.Sid === 'DenyUseByOtherEnvironments')?.Condition.StringNotEquals).toEqual({
          'aws:PrincipalTag/clinspark:environment': ['prod'],
        });
      }
    },
  );

  test('no secret value in the template: the secrets are generated by Secrets Manager', () => {
    for (const [, s] of ofType('AWS::SecretsManager::Secret')) {
      expect(s.Properties.SecretString).toBeUndefined();
      expect(s.Properties.GenerateSecretString).toBeDefined();
    }
  });

  test('outputs for the guide, and the plan the guide prints agrees with the template', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const plan = readReplicaPlan(fleet.environments.find((e) => e.spec.id === 'northwind/prod')!.spec)!;
    expect(outputs.JumpHostName.Value).toBe(plan.jumpHostName);
    expect(outputs.ReplicaHostName.Value).toBe(plan.replicaHostName);
    expect(outputs.CredentialsCollectableUntil.Value).toBe(plan.collectionClosesAt);
    expect(outputs.ReadOnlySecretArn.Value).toEqual({ Ref: secretId });
    expect(outputs.JumpHostAddress.Value).toEqual({ 'Fn::GetAtt': [idOf('AWS::EC2::EIP', 'JumpHostElasticIp'), 'PublicIp'] });
    expect(outputs.ReplicaEndpoint.Value).toEqual({
      'Fn::GetAtt': [idOf('AWS::RDS::DBCluster', 'ReadReplicaDatabaseCluster'), 'Endpoint.Address'],
    });
    expect([plan.collectionOpensAt, plan.collectionClosesAt, plan.secretName]).toEqual([
      OPENS,
      CLOSES,
      resources[secretId].Properties.Name,
    ]);
  });
});

describe('the replica stack', () => {
  test('is named after the layer, tagged as PROD, termination-protected, and only exists where configured', () => {
    const stack = fleet.stacks.get(REPLICA_STACK)!;
    expect(stack.terminationProtection).toBe(true);
    expect(stack.tags.tagValues()).toEqual({
      'clinspark:customer': 'northwind',
      'clinspark:environment': 'prod',
      'clinspark:change-controlled': 'true',
    });
    expect([...fleet.stacks.keys()].filter((n) => n.endsWith('-replica'))).toEqual([REPLICA_STACK]);
    expect(fleet.environments.filter((e) => e.replica).map((e) => e.spec.id)).toEqual(['northwind/prod']);
  });
});

describe('ReadReplica props validation', () => {
  /** A stack with a network and a source database, built once; each case adds a replica to it. */
  const stack = testStack('ReplicaValidation', { appProps: { builtinCloudFormationValidation: false } });
  const logKey = new LogEncryptionKey(stack, 'LogKey', { description: 'logs', removalPolicy: RemovalPolicy.RETAIN }).key;
  const network = new ClinSparkNetwork(stack, 'Network', {
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    natGateways: 1,
    logKey,
    flowLogRetention: logs.RetentionDays.ONE_YEAR,
  });
  const source = new ClinSparkDatabase(stack, 'Source', {
    vpc: network.vpc,
    subnets: network.databaseSubnets,
    rotationSubnets: network.applicationSubnets,
    clusterIdentifier: 'clinspark-test-prod-main',
    capacity: { mode: 'provisioned', instanceClass: 'db.r7g.large', readers: 0 },
    replicationSource: true,
    backupRetention: Duration.days(7),
    backupWindow: '01:00-01:30',
    maintenanceWindow: 'sun:04:00-sun:05:00',
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    keyRemovalPolicy: RemovalPolicy.RETAIN,
    logKey,
    logRetention: logs.RetentionDays.ONE_YEAR,
    logRemovalPolicy: RemovalPolicy.RETAIN,
    monitoringInterval: Duration.seconds(60),
    description: 'test/prod main',
  });
  const valid = (): ReadReplicaProps => ({
    vpc: network.vpc,
    databaseSubnets: network.databaseSubnets,
    functionSubnets: network.applicationSubnets,
    source,
    sourceClusterIdentifier: 'clinspark-test-prod-main',
    clusterIdentifier: 'clinspark-test-prod-replica',
    credentials: { recipientArn: 'arn:aws:iam::111122223333:user/bi.collector', issueDate: '2027-02-27', collectionDays: 3 },
    releaseVersion: '2026.1.0-b2410',
    backupWindow: '01:00-01:30',
    maintenanceWindow: 'sun:04:00-sun:05:00',
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    keyRemovalPolicy: RemovalPolicy.RETAIN,
    logKey,
    logRetention: logs.RetentionDays.ONE_YEAR,
    logRemovalPolicy: RemovalPolicy.RETAIN,
    description: 'test/prod read replica',
  });
  let n = 0;
  const build = (overrides: Partial<ReadReplicaProps>) =>
    new ReadReplica(new Construct(stack, `Case${n++}`), 'ReadReplica', { ...valid(), ...overrides });

  // Built before the first synthesis (the tests below read the same stack's template).
  const withExclusions = build({
    schemas: ['clinspark'],
    readOnly: { excludeTables: ['clinspark.user_sessions', 'clinspark.api_tokens'], excludeColumns: ['clinspark.users.password_hash'] },
    credentials: {
      recipientArn: 'arn:aws:iam::111122223333:user/bi.collector',
      issueDate: '2027-02-27',
      collectionDays: 3,
      passwordValidityDays: 30,
    },
  });

  test('GIVEN valid props THEN the window crosses the month end and the schemas go to the custom resource sorted', () => {
    const replica = build({ schemas: ['clinspark_reports', 'clinspark'] });
    expect([replica.collectionOpensAt, replica.collectionClosesAt]).toEqual(['2027-02-27T00:00:00Z', '2027-03-02T00:00:00Z']);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('Custom::ClinSparkReadOnlyAccount', { Schemas: 'clinspark,clinspark_reports', IssueDate: '2027-02-27' });
    t.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      ResourcePolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'RecipientCollectsDuringWindow', Principal: { AWS: 'arn:aws:iam::111122223333:user/bi.collector' } }),
        ]),
      },
    });
  });

  test('GIVEN exclusions and a validity THEN the custom resource gets them sorted, and the expiry day is issue date + validity', () => {
    const replica = withExclusions;
    expect(replica.passwordExpiresOn).toBe('2027-03-29');
    Template.fromStack(stack).hasResourceProperties('Custom::ClinSparkReadOnlyAccount', {
      ExcludeTables: 'clinspark.api_tokens,clinspark.user_sessions',
      ExcludeColumns: 'clinspark.users.password_hash',
      PasswordExpiresOn: '2027-03-29',
    });
  });

  test.each<[string, Partial<ReadReplicaProps>, RegExp]>([
    [
      'a recipient that is not an IAM user',
      { credentials: { recipientArn: 'arn:aws:iam::111122223333:group/bi', issueDate: '2027-01-01' } },
      /'credentials\.recipientArn' is "arn:aws:iam::111122223333:group\/bi"; give the ARN of the IAM user of the named person/,
    ],
    [
      'a role as recipient',
      { credentials: { recipientArn: 'arn:aws:iam::111122223333:role/bi/collector', issueDate: '2027-01-01' } },
      /'credentials\.recipientArn' is the role "arn:aws:iam::111122223333:role\/bi\/collector"; give the IAM user of the named person: every session of a role matches/,
    ],
    [
      'a recipient in another account',
      { credentials: { recipientArn: 'arn:aws:iam::999988887777:user/jane', issueDate: '2027-01-01' } },
      /'credentials\.recipientArn' is in account 999988887777, not in the replica's account 111122223333/,
    ],
    [
      'a validity not longer than the collection window',
      {
        credentials: {
          recipientArn: 'arn:aws:iam::111122223333:user/a',
          issueDate: '2027-01-01',
          collectionDays: 14,
          passwordValidityDays: 14,
        },
      },
      /'credentials\.passwordValidityDays' is 14; give whole days, more than collectionDays \(14\) and at most 365/,
    ],
    [
      'a validity of more than a year',
      { credentials: { recipientArn: 'arn:aws:iam::111122223333:user/a', issueDate: '2027-01-01', passwordValidityDays: 366 } },
      /'credentials\.passwordValidityDays' is 366/,
    ],
    [
      'an excluded table without its schema',
      { readOnly: { excludeTables: ['api_tokens'] } },
      /'readOnly\.excludeTables\[0\]' is "api_tokens"; give schema\.table/,
    ],
    [
      'an excluded table of a schema not granted',
      { schemas: ['clinspark'], readOnly: { excludeTables: ['reports.api_tokens'] } },
      /'readOnly\.excludeTables\[0\]' is "reports\.api_tokens", but schema 'reports' is not in 'schemas'/,
    ],
    [
      'an excluded table in mysql',
      { readOnly: { excludeTables: ['mysql.user'] } },
      /'readOnly\.excludeTables\[0\]' is "mysql\.user", in a system or internal schema/,
    ],
    [
      'a repeated excluded table',
      { readOnly: { excludeTables: ['clinspark.t', 'clinspark.t'] } },
      /'readOnly\.excludeTables\[1\]' repeats "clinspark\.t"/,
    ],
    [
      'an excluded column without its table',
      { readOnly: { excludeColumns: ['clinspark.password_hash'] } },
      /'readOnly\.excludeColumns\[0\]' is "clinspark\.password_hash"; give schema\.table\.column/,
    ],
    [
      'an excluded column of an excluded table',
      { readOnly: { excludeTables: ['clinspark.users'], excludeColumns: ['clinspark.users.password_hash'] } },
      /'readOnly\.excludeColumns\[0\]' is "clinspark\.users\.password_hash", but its table clinspark\.users is excluded whole/,
    ],
    [
      'a repeated excluded column',
      { readOnly: { excludeColumns: ['clinspark.u.c', 'clinspark.u.c'] } },
      /'readOnly\.excludeColumns\[1\]' repeats "clinspark\.u\.c"/,
    ],
    [
      'an impossible issue date',
      { credentials: { recipientArn: 'arn:aws:iam::111122223333:user/a', issueDate: '2027-02-30' } },
      /'credentials\.issueDate' is "2027-02-30"; give a calendar date/,
    ],
    [
      'a collection window of 0 days',
      { credentials: { recipientArn: 'arn:aws:iam::111122223333:user/a', issueDate: '2027-01-01', collectionDays: 0 } },
      /'credentials\.collectionDays' is 0; give 1 to 30 days/,
    ],
    [
      'a collection window of 31 days',
      { credentials: { recipientArn: 'arn:aws:iam::111122223333:user/a', issueDate: '2027-01-01', collectionDays: 31 } },
      /'credentials\.collectionDays' is 31/,
    ],
    [
      'the source cluster as the replica',
      { clusterIdentifier: 'clinspark-test-prod-main' },
      /'clusterIdentifier' equals 'sourceClusterIdentifier'/,
    ],
    ['the mysql schema', { schemas: ['clinspark', 'mysql'] }, /'schemas\[1\]' is "mysql", a system or internal schema/],
    ['a short password', { passwordLength: 47 }, /'passwordLength' is 47; the read-only account's password has 48 to 128 characters/],
    ['no binlog retention', { binlogRetentionHours: 0 }, /'binlogRetentionHours' is 0; Aurora MySQL keeps binary logs 1 to 2160 hours/],
    ['a bad instance class', { instanceClass: 'r7g.large' }, /'instanceClass' is "r7g\.large"/],
    [
      'one name for both accounts',
      { readOnlyUsername: 'clinspark_repl' },
      /'readOnlyUsername' and 'replicationUsername' are both "clinspark_repl"/,
    ],
    ['a rotation period of hours', { rotationPeriod: Duration.hours(36) }, /'rotationPeriod' is 1\.5 days; give whole days from 1 to 365/],
    [
      'a token as recipient',
      { credentials: { recipientArn: Fn.importValue('recipient'), issueDate: '2027-01-01' } },
      /'credentials\.recipientArn' is a token; give a literal value/,
    ],
    [
      'a token as issue date',
      { credentials: { recipientArn: 'arn:aws:iam::111122223333:user/a', issueDate: Fn.importValue('day') } },
      /'credentials\.issueDate' is a token; give a literal value/,
    ],
    [
      'a validity of a fraction of a day',
      { credentials: { recipientArn: 'arn:aws:iam::111122223333:user/a', issueDate: '2027-01-01', passwordValidityDays: 30.5 } },
      /'credentials\.passwordValidityDays' is 30\.5; give whole days/,
    ],
    [
      'a token as source cluster',
      { sourceClusterIdentifier: Fn.importValue('source') },
      /'sourceClusterIdentifier' is a token; give a literal value/,
    ],
    [
      'an uppercase cluster identifier',
      { clusterIdentifier: 'Clinspark-Replica' },
      /'clusterIdentifier' is "Clinspark-Replica"; give an Aurora cluster identifier \(lowercase letters, digits and single hyphens/,
    ],
    [
      'a source identifier ending in a hyphen',
      { sourceClusterIdentifier: 'clinspark-' },
      /'sourceClusterIdentifier' is "clinspark-"; give an Aurora cluster identifier/,
    ],
    [
      'a read-only user name with a hyphen',
      { readOnlyUsername: 'ro-user' },
      /'readOnlyUsername' is "ro-user"; use 1-32 characters of A-Z, a-z, 0-9 and _/,
    ],
    [
      'a replication user name of 33 characters',
      { replicationUsername: 'r'.repeat(33) },
      /'replicationUsername' is "r{33}"; use 1-32 characters/,
    ],
    ['a long password', { passwordLength: 129 }, /'passwordLength' is 129; the read-only account's password has 48 to 128 characters/],
    [
      'binlogs kept 91 days',
      { binlogRetentionHours: 2184 },
      /'binlogRetentionHours' is 2184; Aurora MySQL keeps binary logs 1 to 2160 hours \(90 days\)/,
    ],
    [
      'a schema name with a dot',
      { schemas: ['clinspark.x'] },
      /'schemas\[0\]' is "clinspark\.x"; give a schema name \(letters, digits, _ and \$\)/,
    ],
    ['an internal schema', { schemas: ['_clinspark_state'] }, /'schemas\[0\]' is "_clinspark_state", a system or internal schema/],
    ['no schema at all', { schemas: [] }, /'schemas' is empty; omit it to grant every application schema/],
    [
      'a token as excluded table',
      { readOnly: { excludeTables: [Fn.importValue('table')] } },
      /'readOnly\.excludeTables\[0\]' is a token; give a literal value/,
    ],
    [
      'a token as excluded column',
      { readOnly: { excludeColumns: [Fn.importValue('column')] } },
      /'readOnly\.excludeColumns\[0\]' is a token; give a literal value/,
    ],
    [
      'an excluded column in sys',
      { readOnly: { excludeColumns: ['sys.t.c'] } },
      /'readOnly\.excludeColumns\[0\]' is "sys\.t\.c", in a system or internal schema, which the read-only account never sees anyway/,
    ],
    [
      'an excluded column of a schema not granted',
      { schemas: ['clinspark'], readOnly: { excludeColumns: ['reports.t.c'] } },
      /'readOnly\.excludeColumns\[0\]' is "reports\.t\.c", but schema 'reports' is not in 'schemas' \(clinspark\)/,
    ],
    [
      "a secret name ending like Secrets Manager's suffix",
      { readOnlySecretName: 'clinspark/ro-AbC123' },
      /'readOnlySecretName' is "clinspark\/ro-AbC123"; use letters, digits and \/_\+=\.@- and do not end with a hyphen and six characters/,
    ],
    ['a secret name with a space', { readOnlySecretName: 'ro user' }, /'readOnlySecretName' is "ro user"/],
    [
      'a rotation period of 400 days',
      { rotationPeriod: Duration.days(400) },
      /'rotationPeriod' is 400 days; give whole days from 1 to 365/,
    ],
    [
      'an empty release',
      { releaseVersion: ' ' },
      /'releaseVersion' is " "; give the source's release \(e\.g\. "2025\.4\.0-b2231"\) so that an upgrade re-runs the grants/,
    ],
    ['a token as release', { releaseVersion: Fn.importValue('release') }, /'releaseVersion' is ".*"; give the source's release/],
  ])('GIVEN %s THEN a ClinSparkPropsError names the prop and the fix', (_, overrides, message) => {
    expect(() => build(overrides)).toThrow(message);
    expect(() => build(overrides)).toThrow(/^ReplicaValidation\/Case\d+\/ReadReplica: /);
  });

  test('GIVEN a stack without a literal account THEN the recipient cannot be checked and the replica is refused', () => {
    const agnostic = new Stack(new App(), 'Agnostic');
    expect(() => new ReadReplica(agnostic, 'ReadReplica', valid())).toThrow(
      /^Agnostic\/ReadReplica: the stack has no literal account; the read-only account's recipient must be checked against it/,
    );
  });
});
