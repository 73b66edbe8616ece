/**
 * Every ClinSparkPropsError the constructs can throw, each on a minimal stack of its own
 * (test/support/test-stack.ts), independent of the example fleet: GIVEN the smallest valid props
 * with one thing wrong, THEN the error names the construct path, the prop and the fix.
 *
 * The read replica's rules are in test/read-replica/stack.suite.ts and below; the jump host's in
 * test/jump-host/props-validation.test.ts.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ClinSparkBackup, ClinSparkBackupProps } from '../../constructs/backup/clinspark-backup';
import { restrictKeyUse } from '../../constructs/core/key-policy';
import { ClinSparkDatabase, ClinSparkDatabaseProps } from '../../constructs/database/clinspark-database';
import { EnvironmentIngress, EnvironmentIngressProps } from '../../constructs/ingress/environment-ingress';
import { ClinSparkInstance, ClinSparkInstanceProps } from '../../constructs/instance/clinspark-instance';
import { ClinSparkNetwork, ClinSparkNetworkProps } from '../../constructs/network/clinspark-network';
import { PiiScrubJob, PiiScrubJobProps, ScrubbedCopyRunProps } from '../../constructs/pii-scrub/pii-scrub-job';
import { ValClone, ValCloneProps } from '../../constructs/val-clone/val-clone';
import { testStack } from '../support/test-stack';

const errorOf = (build: () => unknown): Error => {
  try {
    build();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a ClinSparkPropsError, nothing was thrown');
};

/** The error is a ClinSparkPropsError of the construct at `path`, with the message given. */
function expectPropsError(build: () => unknown, path: string, message: RegExp): void {
  const error = errorOf(build);
  expect(error.name).toBe('ClinSparkPropsError');
  expect(error.message.startsWith(`${path}: `)).toBe(true);
  expect(error.message).toMatch(message);
}

function vpcOf(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: stack.availabilityZones,
    natGateways: 0,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
}

describe('ClinSparkBackup', () => {
  const props: ClinSparkBackupProps = { dailyRetention: Duration.days(35), removalPolicy: RemovalPolicy.RETAIN, description: 't' };
  test.each([-1, 24])('GIVEN dailyHourUtc %i THEN refused', (hour) => {
    const stack = testStack();
    expectPropsError(
      () => new ClinSparkBackup(stack, 'Backup', { ...props, dailyHourUtc: hour }),
      'Test/Backup',
      /'dailyHourUtc' is -?\d+; use 0-23/,
    );
  });
});

describe('restrictKeyUse', () => {
  test.each<[string, Parameters<typeof restrictKeyUse>[1], RegExp]>([
    [
      'no environments',
      { customer: 'acme', environments: [] },
      /'keyUsers\.environments' is empty; name at least the key's own environment/,
    ],
    [
      'a break-glass user instead of a role',
      { customer: 'acme', environments: ['prod'], breakGlassRoleArn: 'arn:aws:iam::111122223333:user/admin' },
      /'keyUsers\.breakGlassRoleArn' is 'arn:aws:iam::111122223333:user\/admin'; use an IAM role ARN/,
    ],
    [
      'a break-glass ARN that is no ARN',
      { customer: 'acme', environments: ['prod'], breakGlassRoleArn: 'clinspark-break-glass' },
      /'keyUsers\.breakGlassRoleArn' is 'clinspark-break-glass'; use an IAM role ARN/,
    ],
  ])('GIVEN %s THEN refused', (_, users, message) => {
    const stack = testStack();
    const key = new kms.Key(stack, 'Key');
    expectPropsError(() => restrictKeyUse(key, users), 'Test/Key', message);
  });
});

function databaseProps(stack: Stack): ClinSparkDatabaseProps {
  const vpc = vpcOf(stack);
  return {
    vpc,
    subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    rotationSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    clusterIdentifier: 'clinspark-test-main',
    capacity: { mode: 'serverless', minAcu: 0, maxAcu: 4, autoPause: Duration.hours(1) },
    backupRetention: Duration.days(7),
    backupWindow: '01:00-01:30',
    maintenanceWindow: 'sun:04:00-sun:05:00',
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    keyRemovalPolicy: RemovalPolicy.DESTROY,
    logKey: new kms.Key(stack, 'LogKey'),
    logRetention: logs.RetentionDays.ONE_MONTH,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    monitoringInterval: Duration.seconds(60),
    description: 'test/sandbox main',
  };
}

describe('ClinSparkDatabase', () => {
  const valid = databaseProps;

  test.each<[string, (p: ClinSparkDatabaseProps) => Partial<ClinSparkDatabaseProps>, RegExp]>([
    [
      'an uppercase cluster identifier',
      () => ({ clusterIdentifier: 'Clinspark' }),
      /'clusterIdentifier' is 'Clinspark'; use 1-63 lowercase/,
    ],
    ['a cluster identifier with a double hyphen', () => ({ clusterIdentifier: 'a--b' }), /'clusterIdentifier' is 'a--b'/],
    [
      'more minimum than maximum ACU',
      () => ({ capacity: { mode: 'serverless', minAcu: 8, maxAcu: 4, autoPause: Duration.hours(1) } }),
      /'capacity' is 8-4 ACU; use 0 <= minAcu <= maxAcu <= 256 with maxAcu >= 1/,
    ],
    [
      'an auto-pause of one minute',
      () => ({ capacity: { mode: 'serverless', minAcu: 0, maxAcu: 4, autoPause: Duration.minutes(1) } }),
      /'capacity\.autoPause' is 60 s; Aurora accepts 300 to 86400 seconds/,
    ],
    [
      'an instance class without db.',
      () => ({ capacity: { mode: 'provisioned', instanceClass: 'r7g.large', readers: 0 } }),
      /'capacity\.instanceClass' is 'r7g\.large'; use an RDS class such as db\.r7g\.large/,
    ],
    [
      'a backup retention of 36 days',
      () => ({ backupRetention: Duration.days(36) }),
      /'backupRetention' is 36 days; Aurora keeps 1 to 35 days/,
    ],
    [
      'RETAIN_ON_UPDATE_OR_DELETE',
      () => ({ removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE }),
      /'removalPolicy' RETAIN_ON_UPDATE_OR_DELETE is not supported; use RETAIN, SNAPSHOT or DESTROY/,
    ],
    [
      'a TLS parameter in extraParameters',
      () => ({ extraParameters: { require_secure_transport: 'OFF' } }),
      /'extraParameters' sets require_secure_transport; TLS and audit parameters are fixed by the construct/,
    ],
    [
      'an instance-level parameter in extraParameters',
      () => ({ extraParameters: { no_such_parameter_xyz: '1' } }),
      /'extraParameters': .*no_such_parameter_xyz.* \(Aurora would refuse the parameter group at deploy time\)/,
    ],
  ])('GIVEN %s THEN refused', (_, change, message) => {
    const stack = testStack();
    const props = valid(stack);
    expectPropsError(() => new ClinSparkDatabase(stack, 'Database', { ...props, ...change(props) }), 'Test/Database', message);
  });

  test('GIVEN no application account WHEN its secret is required THEN refused', () => {
    const stack = testStack();
    const database = new ClinSparkDatabase(stack, 'Database', valid(stack));
    expectPropsError(
      () => database.requireApplicationSecret(),
      'Test/Database',
      /this database has no application account \(set applicationAccount\)/,
    );
  });
});

describe('ClinSparkNetwork', () => {
  const valid = (stack: Stack): ClinSparkNetworkProps => ({
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    natGateways: 1,
    logKey: new kms.Key(stack, 'LogKey'),
    flowLogRetention: logs.RetentionDays.ONE_MONTH,
  });
  test.each<[string, Partial<ClinSparkNetworkProps>, RegExp]>([
    [
      'one zone',
      { availabilityZones: ['eu-west-1a'] },
      /'availabilityZones' has 1 zone\(s\) \(eu-west-1a\); list at least 2, Aurora needs two/,
    ],
    ['no NAT gateway', { natGateways: 0 }, /'natGateways' is 0; use 1 to 2 \(one per availability zone at most\)/],
    ['three NAT gateways for two zones', { natGateways: 3 }, /'natGateways' is 3; use 1 to 2/],
    ['a malformed CIDR', { cidr: '10.40.0/16' }, /'cidr': '10\.40\.0\/16' is not an IPv4 CIDR block/],
    ['a /8', { cidr: '10.0.0.0/8' }, /'cidr' is 10\.0\.0\.0\/8; use a \/16 to \/20 range \(three subnet tiers per zone must fit\)/],
    ['a /24', { cidr: '10.40.0.0/24' }, /'cidr' is 10\.40\.0\.0\/24; use a \/16 to \/20 range/],
    [
      'host bits set',
      { cidr: '10.40.1.0/16' },
      /'cidr': '10\.40\.1\.0\/16' has host bits set; the block starting there is "10\.40\.0\.0\/16"/,
    ],
  ])('GIVEN %s THEN refused', (_, change, message) => {
    const stack = testStack();
    expectPropsError(() => new ClinSparkNetwork(stack, 'Network', { ...valid(stack), ...change }), 'Test/Network', message);
  });
});

describe('EnvironmentIngress', () => {
  const valid = (stack: Stack): EnvironmentIngressProps => ({
    vpc: vpcOf(stack),
    subnets: { subnetType: ec2.SubnetType.PUBLIC },
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', 'arn:aws:acm:eu-west-1:111122223333:certificate/1234'),
    allowedCidrs: ['198.51.100.0/24'],
    accessLogBucket: new s3.Bucket(stack, 'Logs'),
    accessLogPrefix: 'alb',
    wafLogGroup: new logs.LogGroup(stack, 'Waf', { logGroupName: 'aws-waf-logs-test' }),
    deletionProtection: false,
    zone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0TEST', zoneName: 'example.com' }),
  });
  test.each<[string, (stack: Stack) => Partial<EnvironmentIngressProps>, RegExp]>([
    [
      'a WAF log group not named aws-waf-logs-*',
      // A group of this stack has a token for a name (checked by WAF at deploy time); an imported one a literal.
      (s) => ({ wafLogGroup: logs.LogGroup.fromLogGroupName(s, 'Other', 'waf') }),
      /'wafLogGroup' is named 'waf'; WAF only logs to groups named aws-waf-logs-\*/,
    ],
    [
      '0.0.0.0/0 as a client range',
      () => ({ allowedCidrs: ['0.0.0.0/0'] }),
      /'allowedCidrs' contains 0\.0\.0\.0\/0; omit allowedCidrs to serve the internet/,
    ],
    ['another /0', () => ({ allowedCidrs: ['10.0.0.0/0'] }), /'allowedCidrs' contains 10\.0\.0\.0\/0; omit allowedCidrs/],
    [
      'a /8 client range',
      () => ({ allowedCidrs: ['10.0.0.0/8'] }),
      /'allowedCidrs' has '10\.0\.0\.0\/8': '10\.0\.0\.0\/8' is broader than \/16/,
    ],
    [
      'a malformed client range',
      () => ({ allowedCidrs: ['198.51.100.0'] }),
      /'allowedCidrs' has '198\.51\.100\.0': .*is not an IPv4 CIDR block/,
    ],
    [
      'a reason to be open with client ranges',
      () => ({ internetAccessReason: 'no PII' }),
      /'internetAccessReason' is set but 'allowedCidrs' restrict the load balancer to client ranges/,
    ],
    [
      'the whole internet without SSO or reason',
      () => ({ allowedCidrs: undefined }),
      /the load balancer would serve the whole internet with no single sign-on; set 'allowedCidrs', 'requireSso', or say why/,
    ],
  ])('GIVEN %s THEN refused', (_, change, message) => {
    const stack = testStack();
    expectPropsError(() => new EnvironmentIngress(stack, 'Ingress', { ...valid(stack), ...change(stack) }), 'Test/Ingress', message);
  });

  test('GIVEN two routes with one priority, or a route without SSO where SSO is required, THEN refused', () => {
    const stack = testStack();
    const ingress = new EnvironmentIngress(stack, 'Ingress', { ...valid(stack), allowedCidrs: undefined, requireSso: true });
    const targetGroup = new elbv2.ApplicationTargetGroup(stack, 'Targets', { vpc: ingress.loadBalancer.vpc, port: 8080 });
    const sso = {
      issuer: 'https://idp.example.com',
      authorizationEndpoint: 'https://idp.example.com/authorize',
      tokenEndpoint: 'https://idp.example.com/token',
      userInfoEndpoint: 'https://idp.example.com/userinfo',
      clientId: 'clinspark',
      clientSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:oidc-AbCdEf',
    };
    ingress.addInstance('Main', { hostName: 'main.example.com', targetGroup, priority: 10, sso });
    expectPropsError(
      () => ingress.addInstance('Test', { hostName: 'test.example.com', targetGroup, priority: 10, sso }),
      'Test/Ingress',
      /priority 10 of 'Test' is already used; give each instance its own/,
    );
    expectPropsError(
      () => ingress.addInstance('Test', { hostName: 'test.example.com', targetGroup, priority: 11 }),
      'Test/Ingress',
      /route 'Test' has no 'sso', but this load balancer requires single sign-on on every route \(requireSso\)/,
    );
  });
});

describe('ClinSparkInstance', () => {
  const valid = (stack: Stack): ClinSparkInstanceProps => {
    const vpc = vpcOf(stack);
    const ingress = new EnvironmentIngress(stack, 'Ingress', {
      vpc,
      subnets: { subnetType: ec2.SubnetType.PUBLIC },
      certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', 'arn:aws:acm:eu-west-1:111122223333:certificate/1234'),
      allowedCidrs: ['198.51.100.0/24'],
      accessLogBucket: new s3.Bucket(stack, 'Logs'),
      accessLogPrefix: 'alb',
      wafLogGroup: new logs.LogGroup(stack, 'Waf', { logGroupName: 'aws-waf-logs-test' }),
      deletionProtection: false,
      zone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0TEST', zoneName: 'example.com' }),
    });
    const databaseGroup = new ec2.SecurityGroup(stack, 'DatabaseGroup', { vpc });
    const secretKey = new kms.Key(stack, 'SecretKey');
    return {
      role: 'main',
      cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
      subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      repository: ecr.Repository.fromRepositoryName(stack, 'Repository', 'clinspark'),
      imageTag: '2026.1.0-b2410',
      database: {
        connections: new ec2.Connections({ securityGroups: [databaseGroup] }),
        applicationSecret: new secretsmanager.Secret(stack, 'AppSecret', { encryptionKey: secretKey }),
        secretKey,
        port: 3306,
      },
      logGroup: new logs.LogGroup(stack, 'AppLogs'),
      ingress,
      hostName: 'main.example.com',
      priority: 10,
      cpu: 1024,
      memoryMiB: 2048,
      minTasks: 1,
      maxTasks: 2,
    };
  };
  test.each<[string, Partial<ClinSparkInstanceProps>, RegExp]>([
    [
      'more minimum than maximum tasks',
      { minTasks: 3, maxTasks: 2 },
      /'minTasks'\/'maxTasks' are 3\/2; use 0 <= minTasks <= maxTasks and maxTasks >= 1/,
    ],
    ['no task at most', { minTasks: 0, maxTasks: 0 }, /'minTasks'\/'maxTasks' are 0\/0/],
    ['an image tag with a slash', { imageTag: 'release/1' }, /'imageTag' is 'release\/1'; a container tag has letters, digits/],
    [
      'a short digest',
      { imageDigest: 'sha256:abc' },
      /'imageDigest' is 'sha256:abc'; an image digest is 'sha256:' followed by 64 lowercase hex digits/,
    ],
    ['root', { user: '0:0' }, /'user' is '0:0'; run the container as a numeric non-root user/],
    ['a user name', { user: 'clinspark' }, /'user' is 'clinspark'/],
    ['a relative scratch path', { scratchPaths: ['tmp'] }, /'scratchPaths' contains 'tmp'; use absolute container paths such as \/tmp/],
    ['a scratch path leaving the root', { scratchPaths: ['/tmp/../etc'] }, /'scratchPaths' contains '\/tmp\/\.\.\/etc'/],
    ['a relative health check path', { healthCheckPath: 'health' }, /'healthCheckPath' is 'health'; it must start with '\/'/],
    ['an uppercase host name', { hostName: 'Main.example.com' }, /'hostName' is 'Main\.example\.com'; use a lowercase DNS name/],
    ['an egress range with host bits', { egressCidrs: ['203.0.113.5/24'] }, /'egressCidrs' has '203\.0\.113\.5\/24': .*host bits set/],
    ['an egress range to everything', { egressCidrs: ['0.0.0.0/0'] }, /'egressCidrs' has '0\.0\.0\.0\/0': .*whole internet/],
  ])('GIVEN %s THEN refused', (_, change, message) => {
    const stack = testStack();
    expectPropsError(() => new ClinSparkInstance(stack, 'Main', { ...valid(stack), ...change }), 'Test/Main', message);
  });
});

function scrubJobProps(stack: Stack, vpc: ec2.IVpc = vpcOf(stack), logKey: kms.IKey = new kms.Key(stack, 'LogKey')): PiiScrubJobProps {
  return {
    vpc,
    subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    databaseSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    refreshId: 'refresh-1',
    namePrefix: 'clinspark-acme-val',
    sourceKeyTags: { 'clinspark:customer': 'acme' },
    logKey,
    logRetention: logs.RetentionDays.ONE_MONTH,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    removalPolicy: RemovalPolicy.DESTROY,
    accessLogBucket: new s3.Bucket(stack, 'AccessLogs'),
    description: 'acme/val',
  };
}

describe('PiiScrubJob', () => {
  const valid = (stack: Stack) => scrubJobProps(stack);
  test.each<[string, Partial<PiiScrubJobProps>, RegExp]>([
    ['a refresh id with spaces', { refreshId: 'a b' }, /'refreshId' is 'a b'; use 1-200 letters, digits, '\.', '_', ':' or '-'/],
    [
      'an uppercase name prefix',
      { namePrefix: 'ClinSpark' },
      /'namePrefix' is 'ClinSpark'; use 3-41 lowercase letters, digits and hyphens/,
    ],
    ['a batch of 10 rows', { batchSize: 10 }, /'batchSize' is 10; use 100 to 1,000,000 rows/],
  ])('GIVEN %s THEN refused', (_, change, message) => {
    const stack = testStack();
    expectPropsError(() => new PiiScrubJob(stack, 'Scrub', { ...valid(stack), ...change }), 'Test/Scrub', message);
  });

  test.each<[string, Partial<ScrubbedCopyRunProps>, RegExp]>([
    ['a run hash that is not hex', { runHash: 'xyz123' }, /'runHash' is 'xyz123'; use 6-16 lowercase hex digits/],
    [
      "a prefix outside the job's",
      { identifierPrefix: 'clinspark-other-val-main' },
      /'identifierPrefix' clinspark-other-val-main must start with 'clinspark-acme-val-'/,
    ],
    [
      'a staging identifier over 61 characters',
      { identifierPrefix: `clinspark-acme-val-${'m'.repeat(30)}`, runHash: 'abcdef0123456789' },
      /staging cluster identifier clinspark-acme-val-m+-staging-abcdef0123456789 is too long \(instance names add 2 characters to at most 63\)/,
    ],
  ])('GIVEN a run with %s THEN refused', (_, change, message) => {
    const stack = testStack();
    const job = new PiiScrubJob(stack, 'Scrub', valid(stack));
    const run: ScrubbedCopyRunProps = {
      role: 'main',
      runHash: 'abc123',
      copy: { kind: 'snapshot', snapshotIdentifier: 'clinspark-acme-prod-main-snap' },
      identifierPrefix: 'clinspark-acme-val-main',
      databaseKey: new kms.Key(stack, 'DatabaseKey'),
      capacity: { mode: 'serverless', minAcu: 0.5, maxAcu: 2 },
      databaseName: 'clinspark',
      rulesYaml: 'version: 1\n',
      tags: {},
    };
    expectPropsError(() => job.run(stack, 'MainScrub', { ...run, ...change }), 'Test', message);
  });
});

describe('ValClone', () => {
  test('GIVEN empty scrub rules THEN refused (a VAL database is never served without them)', () => {
    const stack = testStack();
    const database = databaseProps(stack);
    const scrubJob = new PiiScrubJob(stack, 'Scrub', scrubJobProps(stack, database.vpc, database.logKey));
    const handler = new ec2.SecurityGroup(stack, 'AccountHandler', { vpc: database.vpc });
    const props: ValCloneProps = {
      ...database,
      copy: { kind: 'snapshot', snapshotIdentifier: 'clinspark-acme-prod-main-snap' },
      clusterIdentifierPrefix: 'clinspark-acme-val-main',
      role: 'main',
      applicationAccount: { serviceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:account', handler: grantableGroup(handler) },
      scrubJob,
      rulesYaml: '  \n',
      tags: {},
    };
    expectPropsError(
      () => new ValClone(stack, 'MainClone', props),
      'Test/MainClone',
      /'rulesYaml' is empty; a VAL database is never served without scrub rules/,
    );
  });
});

/** A security group that can also be granted to (the account handler's shape), for props that only need both. */
function grantableGroup(group: ec2.SecurityGroup): ec2.IConnectable & iam.IGrantable {
  const role = new iam.Role(group, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  return { connections: group.connections, grantPrincipal: role };
}
