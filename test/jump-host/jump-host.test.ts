import { CfnElement, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { SESSION_AND_COMMAND_ACTIONS, SSHD_DROP_IN } from '../../constructs/jump-host';
import { AMI, CIDRS, Fixture, heredocOf, jumpHostFixture, KEYS, REPLICA_ENDPOINT_EXPORT, userDataOf } from './support';

const OPEN = ['0.0.0.0/0', '::/0'];
const TARGET = `{{ImportValue:${REPLICA_ENDPOINT_EXPORT}}}:3306`;

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

function only(template: Template, type: string): [string, Resource] {
  const found = Object.entries(template.findResources(type)) as Array<[string, Resource]>;
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

/** Logical id of an L1, or of an L2's default child. */
function logicalId(stack: Stack, construct: IConstruct): string {
  const cfn = CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild;
  if (!CfnElement.isCfnElement(cfn)) throw new Error(`${construct.node.path} has no CloudFormation element`);
  return stack.getLogicalId(cfn);
}

describe('JumpHost with the default props', () => {
  // GIVEN the project's network and a jump host forwarding to a deploy-time replica endpoint
  let f: Fixture;
  let instance: Resource;
  let userData: string;
  beforeAll(() => {
    f = jumpHostFixture();
    instance = only(f.template, 'AWS::EC2::Instance')[1];
    userData = userDataOf(f.template);
  });

  test('the AMI is the pinned id, never a look-up or an SSM parameter', () => {
    // THEN the ImageId is the literal id
    expect(instance.Properties.ImageId).toBe(AMI);
    const json = f.template.toJSON() as { Parameters?: Record<string, { Type: string }>; Mappings?: unknown };
    // (the only parameter is the CDK bootstrap version check of the default synthesizer)
    expect(Object.keys(json.Parameters ?? {})).toEqual(['BootstrapVersion']);
    expect(json.Mappings).toBeUndefined();
  });

  test('a Graviton t4g.micro in a public subnet of the VPC', () => {
    expect(instance.Properties.InstanceType).toBe('t4g.micro');
    const publicSubnets = f.network.vpc.publicSubnets.map((s) => f.stack.resolve(s.subnetId));
    expect(publicSubnets).toContainEqual(instance.Properties.SubnetId);
  });

  test('IMDSv2 is required with a hop limit of 1', () => {
    f.template.hasResourceProperties('AWS::EC2::Instance', {
      MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'disabled' },
    });
  });

  test('the root volume is gp3, encrypted with its own rotating KMS key that is retained', () => {
    const volumeKeyId = logicalId(f.stack, f.jumpHost.volumeKey);
    f.template.hasResourceProperties('AWS::EC2::Instance', {
      BlockDeviceMappings: [
        {
          DeviceName: '/dev/xvda',
          Ebs: Match.objectEquals({
            DeleteOnTermination: true,
            Encrypted: true,
            KmsKeyId: { 'Fn::GetAtt': [volumeKeyId, 'Arn'] },
            VolumeSize: 10,
            VolumeType: 'gp3',
          }),
        },
      ],
    });
    const key = f.template.findResources('AWS::KMS::Key')[volumeKeyId] as Resource & { UpdateReplacePolicy?: string };
    expect(key).toMatchObject({
      Properties: { EnableKeyRotation: true, PendingWindowInDays: 30 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('detailed monitoring, EBS optimisation, standard CPU credits and termination protection are on', () => {
    expect(instance.Properties).toMatchObject({
      Monitoring: true,
      EbsOptimized: true,
      DisableApiTermination: true,
      CreditSpecification: { CPUCredits: 'standard' },
    });
  });

  test('an Elastic IP is associated with the instance and exposed as publicIp', () => {
    const instanceId = logicalId(f.stack, f.jumpHost.instance.instance);
    const eipId = logicalId(f.stack, f.jumpHost.elasticIp);
    f.template.hasResourceProperties('AWS::EC2::EIP', { Domain: 'vpc', InstanceId: { Ref: instanceId } });
    expect(f.stack.resolve(f.jumpHost.publicIp)).toEqual({ 'Fn::GetAtt': [eipId, 'PublicIp'] });
  });

  test('security group ingress is exactly port 22 from each allowed range', () => {
    const sgId = logicalId(f.stack, f.jumpHost.securityGroup);
    const sg = f.template.findResources('AWS::EC2::SecurityGroup')[sgId] as Resource;
    expect(sg.Properties.SecurityGroupIngress).toEqual(
      CIDRS.map((cidr) => ({
        CidrIp: cidr,
        IpProtocol: 'tcp',
        FromPort: 22,
        ToPort: 22,
        Description: `SSH tunnel from customer range ${cidr}`,
      })),
    );
    const standalone = Object.values(f.template.findResources('AWS::EC2::SecurityGroupIngress')) as Resource[];
    expect(standalone.filter((r) => JSON.stringify(r.Properties.GroupId).includes(sgId))).toEqual([]);
  });

  test('nothing in the template admits traffic from 0.0.0.0/0 or ::/0 on any port', () => {
    const rules = [
      ...(Object.values(f.template.findResources('AWS::EC2::SecurityGroup')) as Resource[]).flatMap(
        (r) => (r.Properties.SecurityGroupIngress as Array<Record<string, unknown>>) ?? [],
      ),
      ...(Object.values(f.template.findResources('AWS::EC2::SecurityGroupIngress')) as Resource[]).map((r) => r.Properties),
    ];
    expect(rules.length).toBeGreaterThanOrEqual(CIDRS.length);
    expect(rules.filter((r) => OPEN.includes(String(r.CidrIp)) || OPEN.includes(String(r.CidrIpv6)))).toEqual([]);
  });

  test('egress is HTTPS only until the lead opens the forward target', () => {
    const sgId = logicalId(f.stack, f.jumpHost.securityGroup);
    const sg = f.template.findResources('AWS::EC2::SecurityGroup')[sgId] as Resource;
    expect(sg.Properties.SecurityGroupEgress).toEqual([
      {
        CidrIp: '0.0.0.0/0',
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        Description: 'HTTPS to AWS endpoints (SSM registration, CloudWatch Logs, package repositories)',
      },
    ]);
  });

  test('the instance role has one customer-managed policy: no AWS managed policy, no inline policy, no GetParameter', () => {
    const roleId = logicalId(f.stack, f.jumpHost.role);
    const policyId = logicalId(f.stack, f.jumpHost.role.permissions);
    const role = f.template.findResources('AWS::IAM::Role')[roleId] as Resource;
    expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } }],
    });
    expect(role.Properties.ManagedPolicyArns).toEqual([{ Ref: policyId }]);
    expect(role.Properties.Policies).toBeUndefined();
    expect(Object.values(f.template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes(roleId))).toEqual([]);
    const policy = f.template.findResources('AWS::IAM::ManagedPolicy')[policyId] as Resource;
    const statements = (policy.Properties.PolicyDocument as { Statement: Array<{ Sid: string; Action: string[] }> }).Statement;
    expect(statements.map((st) => st.Sid)).toEqual(['SsmAgent']);
    const actions = statements.flatMap((st) => st.Action);
    expect(actions).toEqual(['ssm:UpdateInstanceInformation']);
    expect(actions.filter((a) => /^ssm:GetParameters?$/.test(a) || a.endsWith('*'))).toEqual([]);
  });

  test('Session Manager, port forwarding and Run Command cannot reach the host: no channel, message or association action', () => {
    const policyId = logicalId(f.stack, f.jumpHost.role.permissions);
    const document = JSON.stringify(f.template.findResources('AWS::IAM::ManagedPolicy')[policyId]);
    for (const action of SESSION_AND_COMMAND_ACTIONS) expect(document).not.toContain(`"${action}"`);
    expect(document).not.toMatch(/"(ssmmessages|ec2messages):/);
  });

  test('user data: sshd allows no passwords, no root, only the tunnel user, and nothing but the forward', () => {
    const sshd = heredocOf(userData, 'CLINSPARK_SSHD_CONFIG');
    for (const line of [
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      'AuthenticationMethods publickey',
      'AllowUsers clinspark-tunnel',
      'AuthorizedKeysCommand none',
      'AllowTcpForwarding no',
      'PermitOpen none',
      'X11Forwarding no',
      'AllowAgentForwarding no',
      'GatewayPorts no',
      'PermitTunnel no',
      'PermitTTY no',
    ]) {
      expect(sshd.split('\n')).toContain(line);
    }
    const match = sshd.slice(sshd.indexOf('Match User clinspark-tunnel'), sshd.indexOf('Match all'));
    const block = match.split('\n').map((l) => l.trim());
    for (const line of [
      'AllowTcpForwarding local',
      `PermitOpen ${TARGET}`,
      'PermitListen none',
      'X11Forwarding no',
      'AllowAgentForwarding no',
      'PermitTTY no',
      'GatewayPorts no',
      'PermitTunnel no',
      'ForceCommand /sbin/nologin',
    ]) {
      expect(block).toContain(line);
    }
    expect(sshd.trimEnd().endsWith('Match all')).toBe(true);
  });

  test('user data: every authorized key may only forward to the target', () => {
    const keys = heredocOf(userData, 'CLINSPARK_AUTHORIZED_KEYS');
    expect(keys).toBe(
      `restrict,port-forwarding,permitopen="${TARGET}" ${KEYS.ed25519}\n` +
        `restrict,port-forwarding,permitopen="${TARGET}" ${KEYS.rsa3072}\n`,
    );
    expect(userData).toContain("mv -f '/etc/ssh/authorized_keys/clinspark-tunnel.new' '/etc/ssh/authorized_keys/clinspark-tunnel'");
  });

  test('user data: a nologin tunnel user without a password', () => {
    expect(userData).toMatch(/useradd --system .*--shell \/sbin\/nologin .*clinspark-tunnel/);
    expect(userData).toContain("usermod --shell /sbin/nologin --password '*' clinspark-tunnel");
  });

  test('user data: sshd -t validates the configuration before sshd reloads it, with a rollback', () => {
    const written = userData.indexOf(`mv -f '${SSHD_DROP_IN}.new' '${SSHD_DROP_IN}'`);
    const validated = userData.indexOf('if /usr/sbin/sshd -t; then');
    const reloaded = userData.indexOf('systemctl reload-or-restart sshd');
    expect(written).toBeGreaterThan(0);
    expect(validated).toBeGreaterThan(written);
    expect(reloaded).toBeGreaterThan(validated);
    expect(userData.slice(reloaded)).toContain(`mv -f '${SSHD_DROP_IN}.previous' '${SSHD_DROP_IN}'`);
  });

  test('user data runs on every boot (new keys apply on the stop/start CloudFormation does) and keeps the journal', () => {
    expect(userData).toMatch(/#cloud-config\ncloud_final_modules:\n(.*\n)* {2}- \[scripts-user, always\]\n/);
    expect(userData).toContain('  - keys-to-console\n');
    expect(heredocOf(userData, 'CLINSPARK_JOURNALD')).toContain('Storage=persistent');
    expect(userData).not.toContain('amazon-cloudwatch-agent');
  });

  test('construct ids of the instance, Elastic IP, security group and key are frozen', () => {
    expect({
      instance: logicalId(f.stack, f.jumpHost.instance.instance),
      elasticIp: logicalId(f.stack, f.jumpHost.elasticIp),
      securityGroup: logicalId(f.stack, f.jumpHost.securityGroup),
      volumeKey: logicalId(f.stack, f.jumpHost.volumeKey),
    }).toEqual({
      instance: 'JumpHostInstance288657FC',
      elasticIp: 'JumpHostElasticIp969B8C55',
      securityGroup: 'JumpHostSecurityGroup1CD7EAE8',
      volumeKey: 'JumpHostVolumeKeyA4D34CF9',
    });
  });

  test('sshCommand gives the documented tunnel command', () => {
    const eipId = logicalId(f.stack, f.jumpHost.elasticIp);
    expect(f.stack.resolve(f.jumpHost.sshCommand(13306))).toEqual({
      'Fn::Join': [
        '',
        [
          'ssh -N -o ExitOnForwardFailure=yes -o ServerAliveInterval=60 -L 127.0.0.1:13306:',
          { 'Fn::ImportValue': REPLICA_ENDPOINT_EXPORT },
          ':3306 clinspark-tunnel@',
          { 'Fn::GetAtt': [eipId, 'PublicIp'] },
        ],
      ],
    });
    expect(() => f.jumpHost.sshCommand(22)).toThrow(/localPort is 22; use 1024 to 65535/);
  });
});

describe('JumpHost options', () => {
  test.each([
    [undefined, true],
    [true, true],
    [false, false],
  ])('terminationProtection %p gives DisableApiTermination %p', (terminationProtection, expected) => {
    // GIVEN / WHEN
    const { template } = jumpHostFixture({ terminationProtection });
    // THEN
    template.hasResourceProperties('AWS::EC2::Instance', { DisableApiTermination: expected });
  });

  test('connections.allowTo(replica, 3306) opens egress to the replica and ingress on it from the jump host only', () => {
    // GIVEN / WHEN the lead opens the forward target
    const f = jumpHostFixture({}, ({ jumpHost, replica }) => jumpHost.connections.allowTo(replica, ec2.Port.tcp(3306)));
    const sgId = logicalId(f.stack, f.jumpHost.securityGroup);
    const replicaId = logicalId(f.stack, f.replica);
    // THEN
    f.template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [replicaId, 'GroupId'] },
      IpProtocol: 'tcp',
      FromPort: 3306,
      ToPort: 3306,
    });
    f.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [replicaId, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] },
      FromPort: 3306,
      ToPort: 3306,
    });
    expect(Object.keys(f.template.findResources('AWS::EC2::SecurityGroupEgress'))).toHaveLength(1);
  });

  test('a literal target and a token port land in PermitOpen and permitopen', () => {
    // GIVEN a port that is only known at deploy time
    const port = Token.asNumber(Fn.importValue('acme-prod-replica-port'));
    const { template } = jumpHostFixture({ forwardTo: { host: 'replica.cluster-ro-abc.eu-central-1.rds.amazonaws.com', port } });
    // THEN
    const userData = userDataOf(template);
    const target = 'replica.cluster-ro-abc.eu-central-1.rds.amazonaws.com:{{ImportValue:acme-prod-replica-port}}';
    expect(heredocOf(userData, 'CLINSPARK_SSHD_CONFIG')).toContain(`    PermitOpen ${target}\n`);
    expect(heredocOf(userData, 'CLINSPARK_AUTHORIZED_KEYS')).toContain(`permitopen="${target}" `);
  });

  test('a given volume key is used instead of a new one', () => {
    // GIVEN a key of the stack WHEN it is passed as volumeKey
    let key: kms.Key | undefined;
    const f = jumpHostFixture((stack) => {
      key = new kms.Key(stack, 'SharedKey', { enableKeyRotation: true });
      return { volumeKey: key };
    });
    // THEN the root volume uses it and the jump host creates no key of its own
    f.template.hasResourceProperties('AWS::EC2::Instance', {
      BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ KmsKeyId: { 'Fn::GetAtt': [logicalId(f.stack, key!), 'Arn'] } }) })],
    });
    expect(f.jumpHost.node.tryFindChild('VolumeKey')).toBeUndefined();
    expect(Object.keys(f.template.findResources('AWS::KMS::Key')).filter((id) => id.startsWith('JumpHost'))).toEqual([]);
  });

  test('a session log group: the CloudWatch agent ships /var/log/secure and the policy may write to that group only', () => {
    // GIVEN an encrypted log group of the stack
    let logGroup: logs.LogGroup | undefined;
    const f = jumpHostFixture((stack) => {
      logGroup = new logs.LogGroup(stack, 'SessionLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
      return { sessionLogGroup: logGroup };
    });
    const groupId = f.stack.getLogicalId(logGroup!.node.defaultChild as logs.CfnLogGroup);
    const userData = userDataOf(f.template);
    // THEN the agent configuration names the group
    const agent = JSON.parse(heredocOf(userData, 'CLINSPARK_CLOUDWATCH_AGENT').replace(`{{Ref:${groupId}}}`, 'GROUP'));
    expect(agent.logs.logs_collected.files.collect_list).toEqual([
      expect.objectContaining({ file_path: '/var/log/secure', log_group_name: 'GROUP' }),
    ]);
    expect(userData).toContain('dnf install -y rsyslog amazon-cloudwatch-agent');
    // AND the instance policy may write to that group only
    f.template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'ShipSshdLog',
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Resource: { 'Fn::GetAtt': [groupId, 'Arn'] },
          },
        ]),
      },
    });
  });

  test('httpsEgress narrows HTTPS to the given peer (e.g. interface endpoints in the VPC)', () => {
    const { template, stack, jumpHost } = jumpHostFixture({ httpsEgress: ec2.Peer.ipv4('10.40.0.0/16') });
    const sg = template.findResources('AWS::EC2::SecurityGroup')[logicalId(stack, jumpHost.securityGroup)] as Resource;
    expect(sg.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '10.40.0.0/16', FromPort: 443, ToPort: 443 })]);
  });
});
