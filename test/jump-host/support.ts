/**
 * Shared fixtures of the jump host tests: a stack pinned to an account, region and zones (no
 * look-ups), the project's network, real public keys of every accepted kind, and a reader that
 * turns the synthesised user data (Fn::Base64 of Fn::Join) back into text.
 */
import { Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LogEncryptionKey } from '../../constructs/encryption/log-encryption-key';
import { JumpHost, JumpHostProps } from '../../constructs/jump-host';
import { ClinSparkNetwork } from '../../constructs/network/clinspark-network';
import { TestStack, testStack as sharedTestStack } from '../support/test-stack';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-central-1';
export const AZS = ['eu-central-1a', 'eu-central-1b'];
export const AMI = 'ami-0123456789abcdef0';

/** The shared test stack (test/support/test-stack.ts) in the jump host tests' account, region and zones. */
export function testStack(id = 'JumpHostTest'): TestStack {
  return sharedTestStack(id, { account: ACCOUNT, region: REGION, availabilityZones: AZS });
}

/** Public keys generated with ssh-keygen (public halves only). */
export const KEYS = {
  ed25519: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJm01u+l8YTqVEOfP9mXYJd6oWJyhHr0OeSmWENTex4n ed25519@customer.example',
  ecdsa256:
    'ecdsa-sha2-nistp256 ' +
    'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBP6RGKV9t5iHQdpYQy11cknfYkD4LOcXDMVUE8UBjJMULxva' +
    '7noLVDhFkVPSbJ3ebmx63FnHEwQRyFIVAOi+l2A= ' +
    'ecdsa256@customer.example',
  ecdsa384:
    'ecdsa-sha2-nistp384 ' +
    'AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBFVr2BAO2X2a8VN3+cPLOeet6G7IgpDkoqagvr3tztV8/D89' +
    'iUgx7OLikRmYK+4yeBfRJ9UWeHkwlejrPQh5feL7JG0rlH3tmtUI2yfkTjeD4GD0TXoQQsKUOKmdbokD0g== ' +
    'ecdsa384@customer.example',
  rsa3072:
    'ssh-rsa ' +
    'AAAAB3NzaC1yc2EAAAADAQABAAABgQCY6CQ5RXpi7hFlfG47XO6CsWs82HErKJrNFjfq77rzka2Ffemkx9Kx6S4Pmzcefl9kDtdm' +
    'xdbsWd1zKxtMUcVtz/6HBwfmpTeopJa++PGdvQ1jyxu/Dtwd4dSIIMeeRZMcS4/jTLo7/1RvpAoSrMW9al1waY4Y9a2aWKZqMbB0' +
    'PvtNwNfJWhkSaXYzArgj2w1qeujdFEAiOpgZpIjYPINhddVmr1zMtVBZvQAiiRUkw4CEJkYV6sGyBQ2O3POkhv+2jBgYams7ec0R' +
    'ENUiJX8vK5oYPlNw3FDjclIs+nU8uwV1PfjRM3P5OSy92kHmIv/1Do3hT4W1Xi3qeOQaONmIcr0sFUL0pbu+oqJFVco2pxGd6dsY' +
    '/Lt2q9AzaenlJfhieMTWL+Ynp4hKyg1yrXoAjPA3UV/flpEGyBLs6YNQg3TIynauR/gIxKz21vu4DVjy1gAlGFY294HddtV3QIeE' +
    '274Lc3l+7tv1eVGXFugJ5L/utNWBl3Z05T9ydb8BTas= ' +
    'rsa3072@customer.example',
  rsa2048:
    'ssh-rsa ' +
    'AAAAB3NzaC1yc2EAAAADAQABAAABAQDADor6S/H5OpnjKpSSnKrZbDUJRmY/AXyVunLdyl/LJeYxEyn3Xa6xH7GSomVyIHGRI+F+' +
    'jktTDnMlPVJC7rTfmZ9JAoNGkMjUwm73VPjmJyvvVsfrECYbFARDbPhmF7FMAUrQY+tm4psUZEa/5BEjm+BTHQBxv9bP/pwMz/hG' +
    'wKhMAqZLLYWQXswI5NKmdABYtM2hFZLt389sJUtAkTxQ85UmFiMqLBY1vdNhCBH2HazmTQSqNcr8L4stDREqCqg8ttayVD0BRpLl' +
    'l4szkKJYkrhFq+G4ABv6zxmzQbeqZ38jqvXbafFVq4TCbmTPZGZ5I64FeBPaRAnVSY8oBf9R ' +
    'rsa2048@customer.example',
} as const;

export const CIDRS = ['203.0.113.0/24', '198.51.100.17/32'];
/** Stands in for the replica cluster's endpoint address: a deploy-time token. */
export const REPLICA_ENDPOINT_EXPORT = 'acme-prod-replica-endpoint';

export interface Fixture {
  readonly stack: TestStack;
  readonly network: ClinSparkNetwork;
  readonly jumpHost: JumpHost;
  readonly replica: ec2.SecurityGroup;
  readonly template: Template;
}

/**
 * GIVEN: the project's network and a jump host with the default fixture props. `overrides` may be
 * a function of the stack, to pass resources created in it (a key, a log group); `extend` runs
 * after the jump host exists (e.g. `connections.allowTo`).
 */
export function jumpHostFixture(
  overrides: Partial<JumpHostProps> | ((stack: Stack) => Partial<JumpHostProps>) = {},
  extend?: (f: Omit<Fixture, 'template'>) => void,
): Fixture {
  const stack = testStack();
  const logKey = new LogEncryptionKey(stack, 'LogKey', { description: 'test logs', removalPolicy: RemovalPolicy.RETAIN });
  const network = new ClinSparkNetwork(stack, 'Network', {
    availabilityZones: AZS,
    natGateways: 1,
    logKey: logKey.key,
    flowLogRetention: logs.RetentionDays.ONE_YEAR,
  });
  const replica = new ec2.SecurityGroup(stack, 'ReplicaSecurityGroup', {
    vpc: network.vpc,
    allowAllOutbound: false,
    description: 'Stands in for the read replica cluster',
  });
  const jumpHost = new JumpHost(stack, 'JumpHost', {
    vpc: network.vpc,
    vpcSubnets: network.publicSubnets,
    amiId: AMI,
    authorizedKeys: [KEYS.ed25519, KEYS.rsa3072],
    allowedCidrs: CIDRS,
    forwardTo: { host: Fn.importValue(REPLICA_ENDPOINT_EXPORT), port: 3306 },
    ...(typeof overrides === 'function' ? overrides(stack) : overrides),
  });
  extend?.({ stack, network, jumpHost, replica });
  return { stack, network, jumpHost, replica, template: Template.fromStack(stack) };
}

/** Renders a CloudFormation string expression as text; intrinsics become `{{Name:arg}}`. */
export function renderCfnString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if ('Fn::Join' in obj) {
      const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.map(renderCfnString).join(sep);
    }
    const [name] = Object.keys(obj);
    const arg = obj[name];
    return `{{${name.replace(/^Fn::/, '')}:${Array.isArray(arg) ? arg.join('.') : String(arg)}}}`;
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** The user data of the only EC2 instance of the template, as text. */
export function userDataOf(template: Template): string {
  const instances = Object.values(template.findResources('AWS::EC2::Instance'));
  if (instances.length !== 1) throw new Error(`expected one instance, found ${instances.length}`);
  const userData = (instances[0] as { Properties: { UserData: { 'Fn::Base64': unknown } } }).Properties.UserData;
  return renderCfnString(userData['Fn::Base64']);
}

/** The content of a heredoc of the boot script (`cat > 'path.new' <<'MARKER' ... MARKER`). */
export function heredocOf(userData: string, marker: string): string {
  const start = userData.indexOf(`<<'${marker}'\n`);
  if (start < 0) throw new Error(`no heredoc ${marker} in the user data`);
  const body = userData.slice(start + marker.length + 5);
  const end = body.indexOf(`\n${marker}\n`);
  if (end < 0) throw new Error(`heredoc ${marker} is not closed`);
  return `${body.slice(0, end)}\n`;
}
