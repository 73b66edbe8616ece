/**
 * What the jump host's user data writes: the sshd drop-in, the tunnel user's authorized_keys, the
 * journald settings and (optionally) the CloudWatch agent configuration, and the cloud-init
 * envelope that runs the script on every boot. Functions of their inputs only, so tests can check
 * the sshd fragment with a real `sshd -t` and the user data can carry deploy-time tokens (the
 * replica endpoint) as plain string parts.
 */

import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** The only account that may log in: port forwarding to the target, no shell. */
export const TUNNEL_USER = 'clinspark-tunnel';
/** Sorted before the distribution's drop-ins (50-redhat.conf): sshd keeps the first value read. */
export const SSHD_DROP_IN = '/etc/ssh/sshd_config.d/00-clinspark-jump-host.conf';
/** Root-owned, so the tunnel user (who has no shell anyway) can never change its own keys. */
export const AUTHORIZED_KEYS_DIR = '/etc/ssh/authorized_keys';
export const JOURNALD_DROP_IN = '/etc/systemd/journald.conf.d/00-clinspark-jump-host.conf';
export const CLOUDWATCH_AGENT_CONFIG = '/opt/aws/amazon-cloudwatch-agent/etc/clinspark-jump-host.json';
/** The parts separator of the multi-part user data (MultipartUserData's allowed characters). */
const MIME_BOUNDARY = '==CLINSPARK-JUMP-HOST==';

/** `host:port` as sshd's PermitOpen and authorized_keys' permitopen compare it (literally). */
export function permitOpenTarget(host: string, port: string): string {
  return `${host}:${port}`;
}

/**
 * The sshd drop-in. Global settings lock everything down (no passwords, no root, only the tunnel
 * user, no forwarding of any kind); the `Match User` block then allows exactly one thing for the
 * tunnel user: local forwarding (`ssh -N -L`) to the target. `Match all` at the end closes the
 * block, so nothing in the files read after this one lands inside it.
 */
export function renderSshdConfig(target: string): string {
  return [
    '# ClinSpark jump host: written by the JumpHost construct on every boot. Do not edit by hand.',
    '# sshd keeps the first value it reads for a keyword, and this file is read first.',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitEmptyPasswords no',
    'PubkeyAuthentication yes',
    'AuthenticationMethods publickey',
    'HostbasedAuthentication no',
    'PermitRootLogin no',
    `AllowUsers ${TUNNEL_USER}`,
    `AuthorizedKeysFile ${AUTHORIZED_KEYS_DIR}/%u`,
    '# No keys pushed through EC2 Instance Connect: only the keys written by this construct.',
    'AuthorizedKeysCommand none',
    'PermitUserEnvironment no',
    'AllowTcpForwarding no',
    'AllowStreamLocalForwarding no',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'GatewayPorts no',
    'PermitTunnel no',
    'PermitOpen none',
    'PermitListen none',
    'PermitTTY no',
    'MaxAuthTries 3',
    'LoginGraceTime 30',
    'ClientAliveInterval 60',
    'ClientAliveCountMax 3',
    '# VERBOSE logs the fingerprint of the key used for every login (which customer key opened a tunnel).',
    'LogLevel VERBOSE',
    'SyslogFacility AUTHPRIV',
    '',
    `Match User ${TUNNEL_USER}`,
    '    AllowTcpForwarding local',
    `    PermitOpen ${target}`,
    '    PermitListen none',
    '    AllowStreamLocalForwarding no',
    '    AllowAgentForwarding no',
    '    X11Forwarding no',
    '    GatewayPorts no',
    '    PermitTunnel no',
    '    PermitTTY no',
    '    # "ssh -N -L" opens no session, so this never runs for a tunnel; anything else is refused.',
    '    ForceCommand /sbin/nologin',
    'Match all',
    '',
  ].join('\n');
}

/** One authorized_keys line per key: forwarding to the target only, everything else off. */
export function renderAuthorizedKeys(keyLines: readonly string[], target: string): string {
  return keyLines.map((line) => `restrict,port-forwarding,permitopen="${target}" ${line}\n`).join('');
}

export function renderJournaldConfig(): string {
  return ['[Journal]', "# Keep sshd's log (logins, key fingerprints) across reboots.", 'Storage=persistent', 'SystemMaxUse=512M', ''].join(
    '\n',
  );
}

/** CloudWatch agent: ship /var/log/secure (sshd via rsyslog) to the session log group. */
export function renderCloudWatchAgentConfig(logGroupName: string): string {
  const config = {
    agent: { run_as_user: 'root' },
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            { file_path: '/var/log/secure', log_group_name: '__LOG_GROUP__', log_stream_name: '{instance_id}/secure', timezone: 'UTC' },
          ],
        },
      },
    },
  };
  // The group name may be a token: splice it in as a string part, not through JSON.stringify.
  const [before, after] = JSON.stringify(config, undefined, 2).split('__LOG_GROUP__');
  return `${before}${logGroupName}${after}\n`;
}

export interface HostScriptOptions {
  readonly sshdConfig: string;
  readonly authorizedKeys: string;
  readonly sessionLogGroupName?: string;
}

/** Writes stdin to `path` through `path.new` and an atomic rename. */
function heredoc(path: string, marker: string, content: string, mode: string): string[] {
  return [`cat > '${path}.new' <<'${marker}'`, content.replace(/\n$/, ''), marker, `chmod ${mode} '${path}.new'`];
}

/**
 * The boot script. Idempotent: it runs on every boot, so a changed key list or target takes effect
 * with the stop/start CloudFormation performs when the user data changes. The sshd configuration
 * is validated with `sshd -t` before sshd reloads it; a rejected configuration is rolled back (or,
 * on the first boot, sshd is stopped: the host then fails closed and stays reachable through SSM).
 */
export function renderHostScript(options: HostScriptOptions): string {
  const keysFile = `${AUTHORIZED_KEYS_DIR}/${TUNNEL_USER}`;
  const lines = [
    '#!/bin/bash',
    '# ClinSpark jump host: SSH tunnel to the read replica. Written by the JumpHost construct.',
    'set -euo pipefail',
    'umask 022',
    'log() { logger -t clinspark-jump-host -- "$*"; echo "clinspark-jump-host: $*"; }',
    '',
    '# 1. The tunnel user: no password (not even a locked one sshd would refuse), no shell, no home.',
    `if ! id -u ${TUNNEL_USER} >/dev/null 2>&1; then`,
    `  useradd --system --no-create-home --home-dir /var/empty --shell /sbin/nologin ` +
      `--comment 'ClinSpark SSH tunnel (port forwarding only)' ${TUNNEL_USER}`,
    'fi',
    `usermod --shell /sbin/nologin --password '*' ${TUNNEL_USER}`,
    '',
    '# 2. Its authorized keys, root-owned, each restricted to forwarding to the target.',
    `install -d -m 0755 -o root -g root ${AUTHORIZED_KEYS_DIR}`,
    ...heredoc(keysFile, 'CLINSPARK_AUTHORIZED_KEYS', options.authorizedKeys, '0644'),
    `mv -f '${keysFile}.new' '${keysFile}'`,
    '',
    '# 3. sshd: write the drop-in, validate the whole configuration, only then reload.',
    ...heredoc(SSHD_DROP_IN, 'CLINSPARK_SSHD_CONFIG', options.sshdConfig, '0600'),
    `if [ -f '${SSHD_DROP_IN}' ]; then cp -p '${SSHD_DROP_IN}' '${SSHD_DROP_IN}.previous'; fi`,
    `mv -f '${SSHD_DROP_IN}.new' '${SSHD_DROP_IN}'`,
    'if /usr/sbin/sshd -t; then',
    `  rm -f '${SSHD_DROP_IN}.previous'`,
    '  systemctl reload-or-restart sshd',
    '  log "sshd configuration applied"',
    'else',
    `  if [ -f '${SSHD_DROP_IN}.previous' ]; then`,
    `    mv -f '${SSHD_DROP_IN}.previous' '${SSHD_DROP_IN}'`,
    '    log "sshd -t rejected the new configuration; the previous one stays in force"',
    '  else',
    `    rm -f '${SSHD_DROP_IN}'`,
    '    systemctl stop sshd',
    '    log "sshd -t rejected the configuration; sshd stopped (fail closed), use Session Manager"',
    '  fi',
    '  exit 1',
    'fi',
    '',
    '# 4. Keep the journal (sshd logs) across reboots.',
    'install -d -m 0755 /etc/systemd/journald.conf.d',
    ...heredoc(JOURNALD_DROP_IN, 'CLINSPARK_JOURNALD', renderJournaldConfig(), '0644'),
    `mv -f '${JOURNALD_DROP_IN}.new' '${JOURNALD_DROP_IN}'`,
    'systemctl restart systemd-journald',
  ];
  if (options.sessionLogGroupName !== undefined) {
    lines.push(
      '',
      "# 5. Ship sshd's log to CloudWatch Logs. Packages come from the repository release the pinned",
      '# AMI is locked to (AL2023 deterministic upgrades); retried while the Elastic IP is attached.',
      'if ! rpm -q rsyslog amazon-cloudwatch-agent >/dev/null 2>&1; then',
      '  for attempt in $(seq 1 30); do',
      '    if dnf install -y rsyslog amazon-cloudwatch-agent; then break; fi',
      '    log "package install failed (attempt $attempt); retrying in 10 s"',
      '    sleep 10',
      '  done',
      'fi',
      'rpm -q rsyslog amazon-cloudwatch-agent >/dev/null || { log ' +
        '"rsyslog/amazon-cloudwatch-agent not installed: sshd logs stay in the journal ' +
        'only"; exit 1; }',
      'systemctl enable --now rsyslog',
      ...heredoc(CLOUDWATCH_AGENT_CONFIG, 'CLINSPARK_CLOUDWATCH_AGENT', renderCloudWatchAgentConfig(options.sessionLogGroupName), '0644'),
      `mv -f '${CLOUDWATCH_AGENT_CONFIG}.new' '${CLOUDWATCH_AGENT_CONFIG}'`,
      `/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c 'file:${CLOUDWATCH_AGENT_CONFIG}'`,
      'log "CloudWatch agent ships /var/log/secure"',
    );
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * cloud-init directives. `scripts-user` normally runs once per instance; here it runs on every
 * boot, so that new user data (applied by CloudFormation with a stop/start) is executed. The other
 * modules are the usual final-stage ones that must stay, notably `keys-to-console`: the host key
 * fingerprints in the console output are how a customer verifies the host on first connection.
 */
export function renderCloudConfig(): string {
  return [
    '#cloud-config',
    'cloud_final_modules:',
    '  - scripts-per-once',
    '  - scripts-per-boot',
    '  - scripts-per-instance',
    '  - [scripts-user, always]',
    '  - ssh-authkey-fingerprints',
    '  - keys-to-console',
    '  - final-message',
    '',
  ].join('\n');
}

/**
 * The user data: a MIME multi-part archive (aws-cdk-lib's MultipartUserData), cloud-config first,
 * then the boot script. `render()` gives the bytes EC2 receives (before base64).
 */
export function jumpHostUserData(script: string): ec2.MultipartUserData {
  const userData = new ec2.MultipartUserData({ partsSeparator: MIME_BOUNDARY });
  const part = (contentType: string, body: string) =>
    ec2.MultipartBody.fromRawBody({
      contentType: `${contentType}; charset="utf-8"`,
      transferEncoding: '8bit',
      body,
    });
  userData.addPart(part('text/cloud-config', renderCloudConfig()));
  userData.addPart(part('text/x-shellscript', script));
  return userData;
}
