/**
 * The sshd drop-in and authorized_keys lines that the jump host's user data writes, checked by a
 * real OpenSSH (Debian's openssh-server; AL2023 runs OpenSSH 8.7, which knows every keyword used):
 * `sshd -t` accepts the configuration, and `sshd -T` shows the effective settings per user, with
 * the drop-in read before distribution settings as on Amazon Linux 2023.
 *
 * Skipped, with the reason in the suite title, when /usr/sbin/sshd is absent (install
 * openssh-server) or cannot run here: sshd insists on its privilege separation directory
 * /run/sshd, which this test provides through a private mount namespace when it may.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TUNNEL_USER } from '../../constructs/jump-host';
import { heredocOf, jumpHostFixture, KEYS, REPLICA_ENDPOINT_EXPORT, userDataOf } from './support';

const SSHD = '/usr/sbin/sshd';
const SSH_KEYGEN = '/usr/bin/ssh-keygen';
const ENDPOINT = 'acme-replica.cluster-ro-c0ffee.eu-central-1.rds.amazonaws.com';
const TARGET = `${ENDPOINT}:3306`;

type Runner = (args: string[]) => { status: number; stdout: string; stderr: string };

/** How to run sshd here, or why it cannot run. */
function sshdRunner(): Runner | string {
  if (!fs.existsSync(SSHD)) return `${SSHD} is absent: apt-get install openssh-server`;
  if (!fs.existsSync(SSH_KEYGEN)) return `${SSH_KEYGEN} is absent: apt-get install openssh-client`;
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  if (fs.existsSync('/run/sshd')) return (args) => run(SSHD, args);
  // A private mount namespace with its own /run: nothing on the machine changes.
  const inNamespace = ['--mount', 'sh', '-c', `mount -t tmpfs tmpfs /run && mkdir /run/sshd && exec ${SSHD} "$@"`, 'sshd'];
  if (run('unshare', [...inNamespace.slice(0, 3), 'mount -t tmpfs tmpfs /run && mkdir /run/sshd']).status === 0) {
    return (args) => run('unshare', [...inNamespace, ...args]);
  }
  return (
    'sshd needs /run/sshd (its privilege separation directory) and this user can ' +
    'neither find it nor mount a private /run; create it with "mkdir -p /run/sshd"'
  );
}

const runner = sshdRunner();
const describeWithSshd = typeof runner === 'string' ? describe.skip : describe;
const suffix = typeof runner === 'string' ? ` (SKIPPED: ${runner})` : '';
if (typeof runner === 'string') console.warn(`test/jump-host/sshd-config.test.ts is skipped: ${runner}`);

describeWithSshd(`the jump host's sshd configuration under a real sshd${suffix}`, () => {
  const sshd = runner as Runner;
  let dir: string;
  let mainConfig: string;
  let dropIn: string;
  let authorizedKeys: string;

  beforeAll(() => {
    // GIVEN the files the synthesised user data writes, with the replica endpoint as deployed
    const userData = userDataOf(jumpHostFixture({}).template).split(`{{ImportValue:${REPLICA_ENDPOINT_EXPORT}}}`).join(ENDPOINT);
    dropIn = heredocOf(userData, 'CLINSPARK_SSHD_CONFIG');
    authorizedKeys = heredocOf(userData, 'CLINSPARK_AUTHORIZED_KEYS');

    // AND an Amazon Linux 2023 style main configuration: drop-ins first, then distribution
    // defaults that are looser than ours, and a later drop-in that tries to widen the forward
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-sshd-'));
    fs.mkdirSync(path.join(dir, 'sshd_config.d'));
    execFileSync(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'ssh_host_ed25519_key')]);
    fs.writeFileSync(path.join(dir, 'sshd_config.d', '00-clinspark-jump-host.conf'), dropIn);
    fs.writeFileSync(
      path.join(dir, 'sshd_config.d', '50-redhat.conf'),
      ['KbdInteractiveAuthentication yes', 'UsePAM yes', 'X11Forwarding yes', 'PrintMotd no', ''].join('\n'),
    );
    fs.writeFileSync(
      path.join(dir, 'sshd_config.d', '60-later.conf'),
      [`Match User ${TUNNEL_USER}`, '    PermitOpen any', '    AllowTcpForwarding yes', '    PermitTTY yes', ''].join('\n'),
    );
    mainConfig = path.join(dir, 'sshd_config');
    fs.writeFileSync(
      mainConfig,
      [
        `Include ${dir}/sshd_config.d/*.conf`,
        `HostKey ${dir}/ssh_host_ed25519_key`,
        'PermitRootLogin yes',
        'PasswordAuthentication yes',
        'AllowTcpForwarding yes',
        'AuthorizedKeysFile .ssh/authorized_keys',
        'AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %u %f',
        'AuthorizedKeysCommandUser ec2-instance-connect',
        'Subsystem sftp /usr/libexec/openssh/sftp-server',
        '',
      ].join('\n'),
    );
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Effective settings for a connection of `user` (`sshd -T -C`). */
  function effective(user: string): Map<string, string> {
    const r = sshd(['-T', '-f', mainConfig, '-C', `user=${user},host=bi.customer.example,addr=203.0.113.10`]);
    if (r.status !== 0) throw new Error(`sshd -T failed: ${r.stderr}`);
    return new Map(
      r.stdout
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]),
    );
  }

  test('sshd -t accepts the configuration', () => {
    const r = sshd(['-t', '-f', mainConfig]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('the tunnel user may forward to the replica endpoint only, with no shell, TTY or other forwarding', () => {
    const s = effective(TUNNEL_USER);
    expect({
      allowusers: s.get('allowusers'),
      authenticationmethods: s.get('authenticationmethods'),
      passwordauthentication: s.get('passwordauthentication'),
      kbdinteractiveauthentication: s.get('kbdinteractiveauthentication'),
      permitrootlogin: s.get('permitrootlogin'),
      authorizedkeysfile: s.get('authorizedkeysfile'),
      authorizedkeyscommand: s.get('authorizedkeyscommand'),
      allowtcpforwarding: s.get('allowtcpforwarding'),
      permitopen: s.get('permitopen'),
      permitlisten: s.get('permitlisten'),
      allowstreamlocalforwarding: s.get('allowstreamlocalforwarding'),
      allowagentforwarding: s.get('allowagentforwarding'),
      x11forwarding: s.get('x11forwarding'),
      gatewayports: s.get('gatewayports'),
      permittunnel: s.get('permittunnel'),
      permittty: s.get('permittty'),
      forcecommand: s.get('forcecommand'),
      loglevel: s.get('loglevel'),
    }).toEqual({
      allowusers: TUNNEL_USER,
      authenticationmethods: 'publickey',
      passwordauthentication: 'no',
      kbdinteractiveauthentication: 'no',
      permitrootlogin: 'no',
      authorizedkeysfile: '/etc/ssh/authorized_keys/%u',
      authorizedkeyscommand: 'none',
      allowtcpforwarding: 'local',
      permitopen: TARGET,
      permitlisten: 'none',
      allowstreamlocalforwarding: 'no',
      allowagentforwarding: 'no',
      x11forwarding: 'no',
      gatewayports: 'no',
      permittunnel: 'no',
      permittty: 'no',
      forcecommand: '/sbin/nologin',
      loglevel: 'VERBOSE',
    });
  });

  test('any other user (were one let in) gets no forwarding at all', () => {
    const s = effective('ec2-user');
    expect([s.get('allowtcpforwarding'), s.get('permitopen'), s.get('forcecommand'), s.get('permittty')]).toEqual([
      'no',
      'none',
      'none',
      'no',
    ]);
  });

  test('a broken drop-in is rejected by sshd -t (what the user data relies on to roll back)', () => {
    // GIVEN the drop-in with a typo
    const broken = path.join(dir, 'broken_config');
    fs.writeFileSync(
      broken,
      `HostKey ${dir}/ssh_host_ed25519_key\n${dropIn.replace('AllowTcpForwarding local', 'AllowTcpForwarding locally')}`,
    );
    // WHEN / THEN
    const r = sshd(['-t', '-f', broken]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/locally/);
  });

  test('every authorized_keys line parses, one per configured key', () => {
    const file = path.join(dir, 'authorized_keys');
    fs.writeFileSync(file, authorizedKeys);
    const listed = execFileSync(SSH_KEYGEN, ['-l', '-f', file], { encoding: 'utf8' }).trim().split('\n');
    expect(listed.map((l) => l.replace(/^(\d+) SHA256:\S+ (\S+) \((\w+)\)$/, '$1 $2 $3'))).toEqual([
      '256 ed25519@customer.example ED25519',
      '3072 rsa3072@customer.example RSA',
    ]);
    expect(
      authorizedKeys
        .split('\n')
        .filter(Boolean)
        .every((l) => l.startsWith(`restrict,port-forwarding,permitopen="${TARGET}" `)),
    ).toBe(true);
    expect(KEYS.ed25519).toContain('ed25519@customer.example');
  });
});
