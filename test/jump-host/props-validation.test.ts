import { App, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { randomBytes } from 'crypto';
import { ClinSparkPropsError } from '../../constructs/core/errors';
import { JumpHost, JumpHostProps } from '../../constructs/jump-host';
import { ClinSparkNetwork } from '../../constructs/network/clinspark-network';
import { LogEncryptionKey } from '../../constructs/encryption/log-encryption-key';
import { AMI, AZS, CIDRS, KEYS, testStack } from './support';

/** An SSH wire-format string field. */
function field(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

/** A structurally valid ssh-rsa line with a random modulus of `bits` bits. */
function rsaKeyLine(bits: number, comment = 'generated@test'): string {
  const modulus = randomBytes(bits / 8);
  modulus[0] |= 0x80;
  const blob = Buffer.concat([
    field(Buffer.from('ssh-rsa')),
    field(Buffer.from([0x01, 0x00, 0x01])),
    field(Buffer.concat([Buffer.from([0]), modulus])),
  ]);
  return `ssh-rsa ${blob.toString('base64')} ${comment}`;
}

const ED25519_BLOB = KEYS.ed25519.split(' ')[1];
const RSA_BLOB = KEYS.rsa3072.split(' ')[1];

/** WHEN a jump host is built with the fixture props and `overrides`. */
function build(overrides: Partial<JumpHostProps>, stack: Stack = testStack()): JumpHost {
  const logKey = new LogEncryptionKey(stack, 'LogKey', { description: 'test logs', removalPolicy: RemovalPolicy.RETAIN });
  const network = new ClinSparkNetwork(stack, 'Network', {
    availabilityZones: AZS,
    natGateways: 1,
    logKey: logKey.key,
    flowLogRetention: logs.RetentionDays.ONE_YEAR,
  });
  return new JumpHost(stack, 'JumpHost', {
    vpc: network.vpc,
    vpcSubnets: network.publicSubnets,
    amiId: AMI,
    authorizedKeys: [KEYS.ed25519],
    allowedCidrs: CIDRS,
    forwardTo: { host: 'replica.cluster-ro-abc.eu-central-1.rds.amazonaws.com', port: 3306 },
    ...overrides,
  });
}

describe('JumpHost prop validation', () => {
  test.each<[string, Partial<JumpHostProps>, RegExp]>([
    // allowedCidrs
    ['no range', { allowedCidrs: [] }, /'allowedCidrs' has 0 ranges; list 1 to 50 customer ranges/],
    [
      'the whole internet',
      { allowedCidrs: ['0.0.0.0/0'] },
      /'allowedCidrs\[0\]': '0\.0\.0\.0\/0' opens access to the whole internet \(\/0\)/,
    ],
    ['IPv6 everywhere', { allowedCidrs: ['203.0.113.0/24', '::/0'] }, /'allowedCidrs\[1\]': '::\/0' is IPv6/],
    ['broader than /16', { allowedCidrs: ['10.0.0.0/8'] }, /'allowedCidrs\[0\]': '10\.0\.0\.0\/8' is broader than \/16/],
    ['host bits set', { allowedCidrs: ['203.0.113.5/24'] }, /has host bits set; the block starting there is "203\.0\.113\.0\/24"/],
    ['not a CIDR', { allowedCidrs: ['203.0.113.5'] }, /'allowedCidrs\[0\]': '203\.0\.113\.5' is not an IPv4 CIDR block/],
    [
      'overlapping ranges',
      { allowedCidrs: ['203.0.113.0/24', '203.0.113.128/25'] },
      /'allowedCidrs\[1\]' '203\.0\.113\.128\/25' overlaps 'allowedCidrs\[0\]' '203\.0\.113\.0\/24'/,
    ],
    ['a token range', { allowedCidrs: [Fn.importValue('cidr')] }, /'allowedCidrs\[0\]' is a token; give literal ranges/],
    // authorizedKeys
    ['no key', { authorizedKeys: [] }, /'authorizedKeys' has 0 keys; list 1 to 20 customer public keys \(the host accepts no passwords\)/],
    ['21 keys', { authorizedKeys: Array.from({ length: 21 }, () => rsaKeyLine(3072)) }, /'authorizedKeys' has 21 keys; list 1 to 20/],
    [
      'RSA 2048',
      { authorizedKeys: [KEYS.ed25519, KEYS.rsa2048] },
      /'authorizedKeys\[1\]' \("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDA\.\.\."\) is an RSA key of 2048 bits; RSA keys need at least 3072 bits: generate a new key with "ssh-keygen -t ed25519"/,
    ],
    [
      'options in front',
      { authorizedKeys: [`from="203.0.113.0/24" ${KEYS.ed25519}`] },
      /'authorizedKeys\[0\]' \("from=.*"\) starts with authorized_keys options; options such as from= or command= are not accepted/,
    ],
    ['restrict option', { authorizedKeys: [`restrict,port-forwarding ${KEYS.ed25519}`] }, /starts with authorized_keys options/],
    [
      'DSA',
      { authorizedKeys: ['ssh-dss AAAAB3NzaC1kc3MAAACBAP1 dsa@old'] },
      /is a DSA key, which OpenSSH no longer accepts; give an OpenSSH public key line starting with ssh-ed25519/,
    ],
    [
      'security key',
      { authorizedKeys: ['sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t x'] },
      /is of type 'sk-ssh-ed25519@openssh\.com' \(security-key and certificate keys are not supported\)/,
    ],
    [
      'an embedded newline',
      { authorizedKeys: [`${KEYS.ed25519}\n${KEYS.rsa3072}`] },
      /'authorizedKeys\[0\]' \("ssh-ed25519 AAAA[^"]*\.\.\."\) contains a line break; give exactly one key per list entry/,
    ],
    ['a private key', { authorizedKeys: ['-----BEGIN OPENSSH PRIVATE KEY-----'] }, /does not start with an accepted key type/],
    [
      'a type that does not match the key',
      { authorizedKeys: [`ssh-ed25519 ${RSA_BLOB} x`] },
      /is labelled 'ssh-ed25519' but its key data is 'ssh-rsa'/,
    ],
    [
      'a truncated key',
      { authorizedKeys: [`ssh-ed25519 ${ED25519_BLOB.slice(0, 40)}`] },
      /'authorizedKeys\[0\]' .* (is not a valid ed25519 key|has no valid base64 key)/,
    ],
    [
      'trailing data',
      { authorizedKeys: [`ssh-ed25519 ${Buffer.concat([Buffer.from(ED25519_BLOB, 'base64'), Buffer.from('xyz')]).toString('base64')}`] },
      /has trailing data after the ssh-ed25519 key/,
    ],
    [
      'a comment with quotes',
      { authorizedKeys: [`${KEYS.ed25519.split(' ').slice(0, 2).join(' ')} "alice"`] },
      /has a comment with spaces, quotes or more than 100 characters/,
    ],
    [
      'the same key twice',
      { authorizedKeys: [KEYS.ed25519, KEYS.ed25519.replace('ed25519@customer.example', 'other')] },
      /'authorizedKeys\[1\]' .* is the same key as 'authorizedKeys\[0\]'; list each key once/,
    ],
    [
      'user data over 16 KiB',
      { authorizedKeys: Array.from({ length: 20 }, () => rsaKeyLine(4096)) },
      /'authorizedKeys' make the user data \d+ bytes, over EC2's limit of 16384; use fewer keys or ed25519 keys/,
    ],
    // amiId
    [
      'a malformed AMI id',
      { amiId: 'ami-123' },
      /'amiId' is "ami-123"; give a literal AMI id such as "ami-0123456789abcdef0" \(pinned: never a look-up or a parameter\)/,
    ],
    ['an AMI id from a parameter', { amiId: Token.asString(Fn.importValue('ami')) }, /'amiId' is ".*"; give a literal AMI id/],
    // instanceType
    [
      'an x86 instance type',
      { instanceType: new ec2.InstanceType('t3.micro') },
      /'instanceType' is t3\.micro, which is not Graviton \(arm64\); .* use t4g\.nano or t4g\.micro/,
    ],
    // forwardTo
    ['port 0', { forwardTo: { host: 'replica.example', port: 0 } }, /'forwardTo\.port' is 0; give a TCP port 1 to 65535/],
    ['port 70000', { forwardTo: { host: 'replica.example', port: 70000 } }, /'forwardTo\.port' is 70000/],
    ['a fractional port', { forwardTo: { host: 'replica.example', port: 3306.5 } }, /'forwardTo\.port' is 3306\.5/],
    [
      'a host with a space',
      { forwardTo: { host: 'replica.example PermitOpen any', port: 3306 } },
      /'forwardTo\.host' is "replica\.example PermitOpen any"; give a DNS name or IPv4 address/,
    ],
    ['a host with a quote', { forwardTo: { host: 'replica"', port: 3306 } }, /'forwardTo\.host' is "replica""/],
  ])('%s is refused', (_name, overrides, message) => {
    expect(() => build(overrides)).toThrow(message);
  });

  test('errors are ClinSparkPropsError naming the construct path', () => {
    expect(() => build({ allowedCidrs: ['0.0.0.0/0'] })).toThrow(ClinSparkPropsError);
    expect(() => build({ allowedCidrs: ['0.0.0.0/0'] })).toThrow(/^JumpHostTest\/JumpHost: /);
  });

  test('long keys are shown truncated in the message', () => {
    try {
      build({ authorizedKeys: [KEYS.rsa2048] });
      throw new Error('no error');
    } catch (e) {
      expect((e as Error).message).not.toContain(KEYS.rsa2048.split(' ')[1]);
      expect((e as Error).message.length).toBeLessThan(400);
    }
  });

  test('subnets without a route to the internet gateway are refused', () => {
    expect(() => build({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } })).toThrow(
      /'vpcSubnets' selects non-public subnets; select public subnets \(route to the internet gateway\), which the Elastic IP needs/,
    );
  });

  test('a stack without a concrete region is refused (the AMI id belongs to one region)', () => {
    const stack = new Stack(new App(), 'Agnostic');
    expect(() => build({}, stack)).toThrow(
      /'amiId' ami-0123456789abcdef0 belongs to one region, but stack Agnostic has no concrete region/,
    );
  });

  test.each([
    ['ed25519', [KEYS.ed25519]],
    ['ECDSA P-256 and P-384', [KEYS.ecdsa256, KEYS.ecdsa384]],
    ['RSA 3072', [KEYS.rsa3072]],
    ['RSA 4096 without comment', [rsaKeyLine(4096).split(' ').slice(0, 2).join(' ')]],
    ['20 ed25519 keys', Array.from({ length: 20 }, (_, i) => edKey(i))],
  ])('%s is accepted', (_name, authorizedKeys) => {
    expect(() => build({ authorizedKeys })).not.toThrow();
  });
});

/** A structurally valid ed25519 line (random public key). */
function edKey(i: number): string {
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(randomBytes(32))]);
  return `ssh-ed25519 ${blob.toString('base64')} key${i}@customer.example`;
}
