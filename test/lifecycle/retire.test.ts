/**
 * `npx clinspark retire`: the ordered steps for PROD with a read replica (and the VAL that clones
 * it), VAL, Sandbox and Community of the example fleet, against its committed baseline; bad
 * arguments. The command only prints: nothing here touches AWS.
 */
import * as fs from 'fs';
import * as path from 'path';
import { cleanTemps, cli, tempDir } from '../evidence/support';
import { clusterIdentifier, wipedClusterIdentifier } from '../../lib/naming';
import { STACK_TRACE, testFleet } from './operations-support';

afterAll(cleanTemps);

const retire = (customer: string, environment: string, ...extra: string[]) =>
  cli(['retire', '--customer', customer, '--environment', environment, ...extra]);

/** The commands of the fenced code blocks, in order. */
function commands(md: string): string[] {
  return [...md.matchAll(/```\n([\s\S]*?)\n```/g)].flatMap((m) => m[1].split('\n'));
}

function order(md: string, ...needles: string[]): number[] {
  return needles.map((n) => {
    const i = md.indexOf(n);
    if (i < 0) throw new Error(`not in the output: ${n}`);
    return i;
  });
}

describe('clinspark retire', () => {
  test('PROD with a read replica: change record, VAL first, protections, app and replica before data, retained data', async () => {
    const out = tempDir('retire');
    const r = await retire('northwind', 'prod', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Change record: \\<ECR reference: fill in the approved change record before any step\\>.');
    expect(r.out).toContain(
      'WARNING: northwind/val copies the databases of northwind/prod by cluster name (val.source: prod): retire it first',
    );
    const cmds = commands(r.out);
    const destroy = cmds.filter((c) => c.startsWith('npx cdk destroy'));
    expect(destroy).toEqual([
      'npx cdk destroy --exclusively clinspark-northwind-prod-app',
      'npx cdk destroy --exclusively clinspark-northwind-prod-replica',
      'npx cdk destroy --exclusively clinspark-northwind-prod-data',
    ]);
    for (const s of ['app', 'replica', 'data'])
      expect(cmds).toContain(
        `aws cloudformation update-termination-protection --region eu-west-1 ` +
          `--no-enable-termination-protection --stack-name clinspark-northwind-prod-${s}`,
      );
    expect(
      cmds.some((c) => c.startsWith('aws elbv2 modify-load-balancer-attributes') && c.includes('deletion_protection.enabled,Value=false')),
    ).toBe(true);
    expect(cmds.some((c) => c.startsWith('aws ec2 modify-instance-attribute') && c.includes('--no-disable-api-termination'))).toBe(true);
    // Retained clusters are never deleted by CloudFormation: their deletion protection stays on.
    expect(cmds.some((c) => c.includes('--no-deletion-protection'))).toBe(false);
    const [ecr, val, lift, destroyStep, config] = order(
      r.out,
      '## 1. Approve the change',
      'npx clinspark retire --customer northwind --environment val',
      '## 3. Lift the protections',
      'npx cdk destroy --exclusively clinspark-northwind-prod-app',
      '# edit customers/northwind.yaml: remove environments.prod',
    );
    expect([ecr, val, lift, destroyStep, config]).toEqual([...[ecr, val, lift, destroyStep, config]].sort((a, b) => a - b));
    expect(r.out).toMatch(
      /\| database clusters \(clinspark-northwind-prod-main, clinspark-northwind-prod-test, clinspark-northwind-prod-replica\) \| RETAIN \| stay in the account, running and billed, deletion protection on, with their automated backups \(35 days\)/,
    );
    expect(r.out).toContain('recovery points expire 35 days (daily) and 365 days (monthly) after they were taken');
    expect(r.out).toContain('waiting period 7 to 30 days');
    expect(r.out).toContain('https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html');
    expect(r.out).toContain('events expire 2192 days after they were written');
    const json = JSON.parse(fs.readFileSync(path.join(out, 'retire.json'), 'utf8'));
    expect(json.destroyOrder).toEqual([
      'clinspark-northwind-prod-app',
      'clinspark-northwind-prod-replica',
      'clinspark-northwind-prod-data',
    ]);
    expect(json.dependents).toEqual(['northwind/val']);
    expect(fs.readFileSync(path.join(out, 'retire.md'), 'utf8')).toBe(r.out.replace(/\n$/, ''));
  });

  test('VAL: change record, termination protection, app before data, final snapshots of the scrubbed copies, evidence kept', async () => {
    const r = await retire('northwind', 'val');
    expect(r.code).toBe(0);
    const cmds = commands(r.out);
    expect(cmds.filter((c) => c.startsWith('npx cdk destroy'))).toEqual([
      'npx cdk destroy --exclusively clinspark-northwind-val-app',
      'npx cdk destroy --exclusively clinspark-northwind-val-data',
    ]);
    expect(r.out).toContain('# change record: <ECR reference: fill in the approved change record before any step>');
    expect(r.out).not.toContain('WARNING: ');
    // The exact (hashed) cluster identifiers come from the baseline.
    expect(r.out).toMatch(
      /\| database clusters \(clinspark-northwind-val-main-[0-9a-f]{6}, clinspark-northwind-val-test-[0-9a-f]{6}\) \| SNAPSHOT \| a final cluster snapshot of each/,
    );
    expect(r.out).toContain('the scrub evidence has no expiry and is kept until deleted by hand');
    expect(cmds.some((c) => c.startsWith('aws elbv2'))).toBe(false);
  });

  test('Sandbox: no change record, the versioned bucket emptied first, everything deleted with the stacks; not yet live', async () => {
    const r = await retire('acme', 'sandbox');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('Change record');
    expect(r.out).toContain('WARNING: acme has no PROD in the configuration yet; Sandbox is normally retired after go-live');
    const cmds = commands(r.out);
    expect(cmds.some((c) => c.startsWith('aws cloudformation update-termination-protection'))).toBe(false);
    const [empty, app, data] = order(
      r.out,
      'aws s3api delete-objects --region us-east-1 --bucket "$BUCKET" --delete file://versions.json',
      'npx cdk destroy --exclusively clinspark-acme-sandbox-app',
      'npx cdk destroy --exclusively clinspark-acme-sandbox-data',
    );
    expect(empty < app && app < data).toBe(true);
    expect(r.out).toContain('| DESTROY | deleted with the stack, without a final snapshot');
    expect(r.out).toContain(
      "deletion scheduled by CloudFormation with the stack: deleted after the key's " +
        'waiting period (30 days for database and log keys, 7 for the alarm topic key)',
    );
  });

  test('Community: database deletion protection lifted before its final snapshot; another fleet gets -c config=', async () => {
    const fleet = testFleet();
    const r = await retire('platform', 'community', '--config', fleet);
    expect(r.code).toBe(0);
    const cmds = commands(r.out);
    expect(
      cmds.some((c) =>
        /^aws rds modify-db-cluster .*--db-cluster-identifier clinspark-platform-community-\S+ --no-deletion-protection --apply-immediately$/.test(
          c,
        ),
      ),
    ).toBe(true);
    expect(cmds).toContain(`npx cdk destroy --exclusively -c config=${fleet} clinspark-platform-community-data`);
  });

  test('a wiped Community without deployed state: the commands name the cluster the data stack creates (wipe label and hash)', async () => {
    const fleet = path.join(__dirname, '..', 'fixtures', 'fleets', 'community-wipe-seed');
    const r = await retire('platform', 'community', '--config', fleet);
    expect(r.code).toBe(0);
    const wiped = wipedClusterIdentifier(clusterIdentifier('platform', 'community', 'main'), { label: 'w2026-01' });
    expect(wiped).toMatch(/^clinspark-platform-community-main-w2026-01-[0-9a-f]{6}$/);
    const cmds = commands(r.out);
    expect(cmds).toContainEqual(expect.stringMatching(new RegExp(`--db-cluster-identifier ${wiped} --no-deletion-protection`)));
    expect(cmds.filter((c) => /--db-cluster-identifier clinspark-platform-community-main(\s|$)/.test(c))).toEqual([]);
  });

  test('bad arguments: clear errors, exit codes, no stack trace', async () => {
    for (const [args, code, message] of [
      [['retire', '--customer', 'nobody', '--environment', 'prod'], 1, /no customer 'nobody' in config; known: acme, northwind, platform/],
      [['retire', '--customer', 'acme', '--environment', 'val'], 1, /acme has no environment 'val'; it has: sandbox, migration, preprod/],
      [['retire', '--customer', 'acme'], 2, /--environment is required/],
      [['retire', '--customer', 'acme', '--environment', 'sandbox', 'now'], 2, /unexpected argument 'now'/],
      [['retire', '--customer', 'acme', '--environment', 'sandbox', '--force'], 2, /Unknown option '--force'/],
    ] as [string[], number, RegExp][]) {
      const r = await cli(args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(STACK_TRACE);
    }
  });
});
