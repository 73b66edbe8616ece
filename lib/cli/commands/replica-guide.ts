/**
 * `clinspark replica-guide`: the customer's connection guide to their read replica, as Markdown,
 * derived offline from the fleet configuration (lib/read-replica-plan.ts, the same plan the replica
 * stack is built from). No AWS call is made: what only exists after a deployment (the jump host's
 * Elastic IP, the secret ARN's random suffix) is named by the stack output that holds it.
 */
import * as path from 'path';
import { ConfigValidationError, formatIssue, loadFleet } from '../../config';
import { PLATFORM_OWNER } from '../../config/model';
import { fleetEnvironments } from '../../environments';
import { ReadReplicaPlan, readReplicaPlan } from '../../read-replica-plan';
import { CliError, Command, DEFAULT_CONFIG_DIR, requiredOption, stringOption, UsageError } from '../command';

const RDS_CA_BUNDLE = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';
const regionalBundle = (region: string) => `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`;

/** The day before an exclusive end instant: the last full day of the window. */
function lastDay(closesAt: string): string {
  return new Date(Date.parse(closesAt) - 86_400_000).toISOString().slice(0, 10);
}

export interface ReplicaGuideOptions {
  /** Local port of the tunnel in the commands shown. */
  readonly localPort: number;
  /** Configuration file the replica comes from (relative to the config directory). */
  readonly sourceFile: string;
  readonly sshKeyCount: number;
  /** When the guide is printed (ms since the epoch): a closed or not yet open window is pointed out. @default Date.now() */
  readonly now?: number;
}

export function renderReplicaGuide(plan: ReadReplicaPlan, options: ReplicaGuideOptions): string {
  const localPort = options.localPort;
  const now = options.now ?? Date.now();
  const windowNote =
    now >= Date.parse(plan.collectionClosesAt)
      ? [
          `> **The collection window closed on ${plan.collectionClosesAt}.** The password ` +
            `can no longer be collected: ask for a re-issue (see below) before sending this ` +
            `guide.`,
          '',
        ]
      : now < Date.parse(plan.collectionOpensAt)
        ? [`> The collection window opens on ${plan.collectionOpensAt}; the password cannot be collected before.`, '']
        : [];
  const tunnel =
    `ssh -N -o ExitOnForwardFailure=yes -o ServerAliveInterval=60 -L ` +
    `127.0.0.1:${localPort}:${plan.replicaHostName}:${plan.port} ` +
    `${plan.tunnelUser}@${plan.jumpHostName}`;
  const schemas = plan.schemas
    ? plan.schemas.map((s) => `\`${s}\``).join(', ')
    : 'every application schema of ClinSpark (system schemas such as `mysql` are never visible)';
  const lines = [
    `# ${plan.ownerDisplayName}: connecting to your ClinSpark read replica`,
    '',
    `Generated from \`${options.sourceFile}\` (environment \`${plan.environment}\`) ` +
      `without contacting AWS. Nothing in this guide is secret.`,
    '',
    '## What you get',
    '',
    'A dedicated, read-only copy of the ClinSpark PROD Main database for your BI and ETL tools: a separate Aurora MySQL',
    '(MySQL 8.0 compatible) cluster kept up to date by replication, usually seconds behind production. Queries on it',
    'cannot change, slow down or lock the production database; heavy queries only make the replica lag.',
    'It is reachable only through an SSH tunnel through our jump host, from these source address ranges of yours:',
    '',
    ...plan.allowedCidrs.map((c) => `- \`${c}\``),
    '',
    '## 1. Open the SSH tunnel',
    '',
    '| | |',
    '|---|---|',
    `| jump host | \`${plan.jumpHostName}\`, port 22 |`,
    `| user | \`${plan.tunnelUser}\` (public-key login only: ${options.sshKeyCount} key(s) registered; no password, no shell) |`,
    `| forwards to | \`${plan.replicaHostName}:${plan.port}\` and nothing else |`,
    '',
    'From a machine whose public address is in one of the ranges above, with one of the registered private keys:',
    '',
    '```sh',
    tunnel,
    '```',
    '',
    `The command keeps running and listens on \`127.0.0.1:${localPort}\` of your machine; stop it with Ctrl-C.`,
    `Write the target exactly as above (\`${plan.replicaHostName}:${plan.port}\`): the jump host refuses any other target,`,
    `and \`${plan.replicaHostName}\` resolves to a private address that is reachable only through the tunnel.`,
    ...(localPort === plan.port
      ? [
          `If port ${plan.port} is already used on your machine, run \`npx clinspark ` +
            `replica-guide --local-port 13306 ...\` or change the first \`${plan.port}\` in ` +
            `the command.`,
        ]
      : []),
    'On the first connection, compare the host key fingerprint with the one we send you with this guide before accepting it;',
    'the fingerprint changes only when we replace the jump host (announced as a change).',
    '',
    '## 2. Connect your tool',
    '',
    '| | |',
    '|---|---|',
    `| host | \`127.0.0.1\` (the tunnel) |`,
    `| port | \`${localPort}\` |`,
    `| user | \`${plan.readOnlyUsername}\` |`,
    '| password | collected from AWS Secrets Manager (step 3) |',
    `| schemas | ${schemas} |`,
    '| access | `SELECT` and `SHOW VIEW` only |',
    '| TLS | **required** |',
    '',
    `TLS is required: the account is created with \`REQUIRE SSL\` and the server refuses unencrypted connections. Verify the`,
    `server certificate against the Amazon RDS CA bundle, [\`global-bundle.pem\`](${RDS_CA_BUNDLE})`,
    `(or the regional bundle, ${regionalBundle(plan.region)}). Through the tunnel your tool connects to \`127.0.0.1\`,`,
    'which is not the name in the certificate: use the mode that checks the certificate authority without the host name',
    '(`VERIFY_CA`), not `VERIFY_IDENTITY`.',
    '',
    '```sh',
    `curl -fsSLO ${RDS_CA_BUNDLE}`,
    `mysql --host=127.0.0.1 --port=${localPort} --user=${plan.readOnlyUsername} --password --ssl-mode=VERIFY_CA --ssl-ca=global-bundle.pem`,
    '```',
    '',
    `JDBC (MySQL Connector/J 8): ` +
      `\`jdbc:mysql://127.0.0.1:${localPort}/<schema>?sslMode=VERIFY_CA&trustCertificateKeyStoreUrl=file:<truststore ` +
      `with the RDS CA bundle>\`.`,
    '',
    '## 3. Collect the password (once, within the collection window)',
    '',
    ...windowNote,
    '| | |',
    '|---|---|',
    `| who | only \`${plan.recipientArn}\`: the secret's policy denies every other principal, our own staff included |`,
    `| where | AWS Secrets Manager, account \`${plan.account}\`, region \`${plan.region}\` |`,
    `| secret name | \`${plan.secretName}\` |`,
    `| secret ARN | \`${plan.secretArnPattern}\` (we send you the complete ARN: ` +
      `output \`ReadOnlySecretArn\` of stack \`${plan.stackName}\`) |`,
    `| issued | ${plan.issueDate} |`,
    `| collectable | from ${plan.collectionOpensAt} until ` +
      `**${plan.collectionClosesAt}** (exclusive): ${plan.collectionDays} day(s), the ` +
      `last full day is ${lastDay(plan.collectionClosesAt)} (UTC) |`,
    `| password expires | **${plan.passwordExpiresOn}** (00:00 UTC; ` +
      `${plan.passwordValidityDays} days after issue): ask for a re-issue before |`,
    '',
    'Signed in as that IAM principal:',
    '',
    '```sh',
    `aws secretsmanager get-secret-value --region ${plan.region} --secret-id '${plan.secretName}' --query SecretString --output text`,
    '```',
    '',
    'The value is JSON: `username`, `password` (48 characters: letters, digits and `-._`, safe in connection strings and shells),',
    '`host`/`port` (the replica as seen inside our network: connect to `127.0.0.1` through the tunnel instead) and `issueDate`.',
    `From ${plan.collectionClosesAt} on, the recipient can no longer read the secret; the password itself stays valid until`,
    `${plan.passwordExpiresOn} (00:00 UTC), when the database expires it. If it was not collected in time, ask for a re-issue.`,
    '',
    '## 4. Your responsibilities',
    '',
    `- \`${plan.readOnlyUsername}\` is one **shared service account** for your ` +
      `organisation. Every connection is recorded in our audit log,`,
    '  but only as that account. Connect people through a BI platform or database proxy that signs in **named users** and keeps',
    '  its own audit trail of who queried what; do not hand the password to individuals.',
    '- Keep the password in a secrets vault, never in scripts, shared drives, tickets or e-mail.',
    '- The replica holds live production data, including volunteer personal and health data: handle extracts under your own',
    '  data protection, HIPAA and GxP obligations.',
    '- Each registered SSH key belongs to a named person or system. Tell us when one must be removed (someone leaves, a key is',
    '  lost) and when your source address ranges change; both are change-controlled configuration changes on our side.',
    '',
    '## Re-issue',
    '',
    'Ask us to re-issue the password when it was not collected in time, may be compromised, or your policy requires a change',
    `(for example when the recipient changes), and in any case before the password expires on ${plan.passwordExpiresOn}.`,
    'We record a change (ECR) that sets a new issue date, and possibly a new',
    'recipient, and deploy it: a new password is generated and set at once (the old one stops working), and a new',
    `${plan.collectionDays}-day collection window opens for the recipient.`,
    '',
    '## Troubleshooting',
    '',
    '| symptom | cause |',
    '|---|---|',
    '| `Connection timed out` on port 22 | your public address is not in the allowed ranges |',
    '| `Permission denied (publickey)` | the private key is not one of the registered keys |',
    `| \`administratively prohibited: open failed\` | the \`-L\` target is not exactly \`${plan.replicaHostName}:${plan.port}\` |`,
    '| `Connections using insecure transport are prohibited` | TLS is off in your tool |',
    `| \`Access denied for user '${plan.readOnlyUsername}'\` | wrong password, or the password was re-issued |`,
    '| `Your password has expired` (error 1862 or 1820) | the password passed its ' +
      'expiry date: ask for a re-issue (do not set one yourself: the next deployment ' +
      'resets it) |',
    '',
  ];
  return lines.join('\n');
}

export const replicaGuideCommand: Command = {
  name: 'replica-guide',
  summary: "Print a customer's read replica connection guide (Markdown): SSH tunnel, endpoint, TLS, password collection, responsibilities.",
  options: {
    customer: {
      type: 'string',
      valueName: '<slug>',
      description: 'Customer slug (customers/<slug>.yaml) whose PROD read replica the guide is for. Required.',
    },
    config: {
      type: 'string',
      valueName: '<dir>',
      description: `Fleet directory holding customers/*.yaml (default: ${DEFAULT_CONFIG_DIR}).`,
    },
    'local-port': {
      type: 'string',
      valueName: '<port>',
      description: 'Local port of the SSH tunnel in the commands shown (1024-65535; default: 3306).',
    },
  },
  details: `
Everything comes from the configuration; no AWS call is made. Values that exist only after the
replica stack is deployed are named by the stack output holding them (ReadOnlySecretArn,
JumpHostAddress of clinspark-<customer>-prod-replica).
Exit codes: 0 guide printed, 1 unknown customer, customer without a read replica or invalid
configuration, 2 usage error.`,
  async run(args, io) {
    const slug = requiredOption(args, 'customer');
    const dir = stringOption(args, 'config') ?? DEFAULT_CONFIG_DIR;
    const portText = stringOption(args, 'local-port') ?? '3306';
    if (!/^\d{4,5}$/.test(portText) || Number(portText) < 1024 || Number(portText) > 65535) {
      throw new UsageError(`--local-port is "${portText}"; give a port from 1024 to 65535 (no root needed on your machine)`);
    }
    let fleet;
    try {
      fleet = loadFleet(path.resolve(dir));
    } catch (e) {
      if (!(e instanceof ConfigValidationError)) throw e;
      throw new CliError(
        [
          `the configuration in ${dir} has ${e.issues.length} problem(s); fix them first (npx clinspark validate --config ${dir}):`,
          ...e.issues.map(formatIssue),
        ].join('\n'),
      );
    }
    const customer = fleet.customers.find((c) => c.slug === slug);
    if (!customer) {
      const known = fleet.customers.map((c) => c.slug);
      const hint = slug === PLATFORM_OWNER ? ' (the vendor platform has no read replica)' : '';
      throw new CliError(`no customer '${slug}' in ${dir}${hint}; known customers: ${known.join(', ') || 'none'}`);
    }
    const spec = fleetEnvironments(fleet).find((e) => e.owner === slug && e.readReplica);
    const plan = spec && readReplicaPlan(spec);
    if (!spec || !plan) {
      const withReplica = fleet.customers.filter((c) => c.environments.prod?.readReplica).map((c) => c.slug);
      throw new CliError(
        `customer '${slug}' has no read replica: customers/${slug}.yaml sets no environments.prod.readReplica` +
          `${customer.environments.prod ? '' : ' (and has no PROD environment)'}; customers with one: ${withReplica.join(', ') || 'none'}`,
      );
    }
    io.out(
      renderReplicaGuide(plan, {
        localPort: Number(portText),
        sourceFile: spec.sourceFile,
        sshKeyCount: plan.sshPublicKeys.length,
      }),
    );
    return 0;
  },
};
