/**
 * `npx clinspark replica-guide`: the customer's connection guide, derived offline from the
 * configuration, agrees with what the replica stack builds; clear errors otherwise.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseDocument } from 'yaml';
import { renderReplicaGuide } from '../../lib/cli/commands/replica-guide';
import { main } from '../../lib/cli/main';
import { loadFleet } from '../../lib/config';
import { fleetEnvironments } from '../../lib/environments';
import { readReplicaPlan } from '../../lib/read-replica-plan';

const root = path.join(__dirname, '..', '..');
const exampleConfig = path.join(root, 'config');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
}

/** A copy of the example fleet with northwind's read replica changed by `edit` (YAML paths). */
function fleetWith(edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-guide-'));
  fs.cpSync(exampleConfig, dir, { recursive: true });
  const file = path.join(dir, 'customers', 'northwind.yaml');
  const doc = parseDocument(fs.readFileSync(file, 'utf8'));
  edit(doc);
  fs.writeFileSync(file, doc.toString());
  return dir;
}

describe('clinspark replica-guide', () => {
  test('GIVEN northwind WHEN the guide is printed THEN it has the exact tunnel command, endpoint, port and TLS instructions', async () => {
    const r = await run(['replica-guide', '--customer', 'northwind', '--config', exampleConfig]);

    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^# Northwind Phase I Unit: connecting to your ClinSpark read replica/);
    expect(r.out).toContain(
      'ssh -N -o ExitOnForwardFailure=yes -o ServerAliveInterval=60 -L ' +
        '127.0.0.1:3306:replica-prod.northwind.clinspark.cloud:3306 ' +
        'clinspark-tunnel@jump-prod.northwind.clinspark.cloud',
    );
    expect(r.out).toContain('| jump host | `jump-prod.northwind.clinspark.cloud`, port 22 |');
    expect(r.out).toContain('| forwards to | `replica-prod.northwind.clinspark.cloud:3306` and nothing else |');
    for (const cidr of ['198.51.100.0/26', '203.0.113.200/32']) expect(r.out).toContain(`- \`${cidr}\``);
    expect(r.out).toContain('| user | `RO_USER` |');
    expect(r.out).toContain('| TLS | **required** |');
    expect(r.out).toContain('https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem');
    expect(r.out).toContain('--ssl-mode=VERIFY_CA --ssl-ca=global-bundle.pem');
  });

  test('GIVEN northwind THEN it says where, by whom and until when the credentials can be collected', async () => {
    const r = await run(['replica-guide', '--customer', 'northwind', '--config', exampleConfig]);

    expect(r.out).toContain('| who | only `arn:aws:iam::345678901234:user/ingrid.larsen`');
    expect(r.out).toContain('| where | AWS Secrets Manager, account `345678901234`, region `eu-west-1` |');
    expect(r.out).toContain('| secret name | `clinspark-northwind-prod-replica/RO_USER` |');
    expect(r.out).toContain('`arn:aws:secretsmanager:eu-west-1:345678901234:secret:clinspark-northwind-prod-replica/RO_USER-??????`');
    expect(r.out).toContain('output `ReadOnlySecretArn` of stack `clinspark-northwind-prod-replica`');
    expect(r.out).toContain('| issued | 2026-11-16 |');
    expect(r.out).toContain(
      'from 2026-11-16T00:00:00Z until **2026-11-30T00:00:00Z** (exclusive): 14 day(s), the last full day is 2026-11-29 (UTC)',
    );
    expect(r.out).toContain(
      "aws secretsmanager get-secret-value --region eu-west-1 --secret-id 'clinspark-northwind-prod-replica/RO_USER'",
    );
  });

  test("GIVEN northwind THEN the customer's responsibilities and the re-issue procedure are stated", async () => {
    const r = await run(['replica-guide', '--customer', 'northwind', '--config', exampleConfig]);

    expect(r.out).toMatch(/## 4\. Your responsibilities/);
    expect(r.out).toMatch(/\*\*shared service account\*\*/);
    expect(r.out).toMatch(/BI platform or database proxy that signs in \*\*named users\*\*/);
    expect(r.out).toMatch(/## Re-issue[\s\S]*new issue date[\s\S]*old one stops working[\s\S]*14-day collection window/);
    // Offline: nothing that only exists after a deploy is invented.
    expect(r.out).not.toMatch(/\b(?!127\.0\.0\.1\b)\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b(?!\/)/);
    expect(r.out).not.toMatch(/\.cluster-[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com/);
  });

  test('GIVEN another window, validity and a local port THEN the guide follows the configuration', async () => {
    const dir = fleetWith((doc) => {
      doc.setIn(['environments', 'prod', 'readReplica', 'credentials', 'issueDate'], '2027-02-27');
      doc.setIn(['environments', 'prod', 'readReplica', 'credentials', 'collectionDays'], 3);
      doc.setIn(['environments', 'prod', 'readReplica', 'credentials', 'passwordValidityDays'], 30);
      doc.setIn(['environments', 'prod', 'readReplica', 'schemas'], ['clinspark', 'clinspark_reports']);
    });
    try {
      const r = await run(['replica-guide', '--customer', 'northwind', '--config', dir, '--local-port', '13306']);

      expect(r.code).toBe(0);
      expect(r.out).toContain(
        '-L 127.0.0.1:13306:replica-prod.northwind.clinspark.cloud:3306 clinspark-tunnel@jump-prod.northwind.clinspark.cloud',
      );
      expect(r.out).toContain('--port=13306');
      expect(r.out).toContain('until **2027-03-02T00:00:00Z** (exclusive): 3 day(s), the last full day is 2027-03-01 (UTC)');
      expect(r.out).toContain('| password expires | **2027-03-29** (00:00 UTC; 30 days after issue): ask for a re-issue before |');
      expect(r.out).toContain('| schemas | `clinspark`, `clinspark_reports` |');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    [
      'a role',
      'arn:aws:iam::345678901234:role/bi/collector',
      /recipientArn: 'arn:aws:iam::345678901234:role\/bi\/collector' is a role; give the IAM user of the named person/,
    ],
    [
      'a user of another account',
      'arn:aws:iam::999988887777:user/jane',
      /recipientArn: 'arn:aws:iam::999988887777:user\/jane' is in account 999988887777, not in the customer's account 345678901234/,
    ],
  ])(
    "GIVEN a recipient that is %s THEN the configuration is refused (the recipient is an IAM user of the customer's own account)",
    async (_what, arn, message) => {
      const dir = fleetWith((doc) => doc.setIn(['environments', 'prod', 'readReplica', 'credentials', 'recipientArn'], arn));
      try {
        const r = await run(['replica-guide', '--customer', 'northwind', '--config', dir]);
        expect(r.code).toBe(1);
        expect(`${r.out}${r.err}`).toMatch(message);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test.each([
    [['--customer', 'nosuch'], 1, /no customer 'nosuch' in .*; known customers: acme, northwind/],
    [
      ['--customer', 'acme'],
      1,
      /customer 'acme' has no read replica: customers\/acme\.yaml sets no environments\.prod\.readReplica \(and has no PROD environment\); customers with one: northwind/,
    ],
    [['--customer', 'platform'], 1, /the vendor platform has no read replica/],
    [[], 2, /--customer is required/],
    [['--customer', 'northwind', '--local-port', '22'], 2, /--local-port is "22"; give a port from 1024 to 65535/],
  ])('GIVEN %j THEN exit %i with a clear message', async (args, code, message) => {
    const r = await run(['replica-guide', '--config', exampleConfig, ...args]);
    expect(r.code).toBe(code);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  test('GIVEN an invalid configuration THEN every problem is printed and nothing else', async () => {
    const dir = fleetWith((doc) => doc.setIn(['environments', 'prod', 'readReplica', 'allowedCidrs'], ['0.0.0.0/0']));
    try {
      const r = await run(['replica-guide', '--customer', 'northwind', '--config', dir]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(
        /customers\/northwind\.yaml: environments\.prod\.readReplica\.allowedCidrs\[0\]: '0\.0\.0\.0\/0' opens access to the whole internet/,
      );
      expect(r.out).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('GIVEN the guide is printed outside the collection window THEN it says so; inside it says nothing', () => {
    const plan = readReplicaPlan(fleetEnvironments(loadFleet(exampleConfig)).find((e) => e.readReplica)!)!;
    const guide = (now: string) =>
      renderReplicaGuide(plan, { localPort: 3306, sourceFile: 'customers/northwind.yaml', sshKeyCount: 1, now: Date.parse(now) });
    expect(guide('2026-11-30T00:00:00Z')).toContain(
      '> **The collection window closed on 2026-11-30T00:00:00Z.** The password can no longer be collected: ask for a re-issue',
    );
    expect(guide('2026-11-15T23:59:59Z')).toContain(
      '> The collection window opens on 2026-11-16T00:00:00Z; the password cannot be collected before.',
    );
    expect(guide('2026-11-29T23:59:59Z')).not.toMatch(/^> /m);
  });

  test('--help documents every option', async () => {
    const r = await run(['replica-guide', '--help']);
    expect(r.code).toBe(0);
    for (const option of ['--customer <slug>', '--config <dir>', '--local-port <port>', '--help']) expect(r.out).toContain(option);
    expect(r.out).toMatch(/no AWS call is made/);
    expect((await run(['--help'])).out).toMatch(/replica-guide\s+Print a customer's read replica connection guide/);
  });
});
