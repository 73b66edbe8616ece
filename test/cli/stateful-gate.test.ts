/**
 * Configuration changes that would replace stateful resources cannot be made by accident: through
 * the real `cdk synth`, a new jump-host AMI is refused against the fleet's stateful lock, naming
 * the resource, the create-only property and both values, with no template written, while
 * re-ordering the availability zones moves nothing; a broken lock is refused before anything is built.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CDK_BIN, OFFLINE_CDK_ENV, runAppBatch } from '../support/cdk-cli';
import { compareLock } from '../../lib/stateful-lock';
import { StatefulLock } from '../../lib/stateful-lock-file';

const root = path.join(__dirname, '..', '..');
const cdk = CDK_BIN;
const env = OFFLINE_CDK_ENV;
const temps: string[] = [];

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A copy of the example fleet with northwind.yaml edited. */
function fleetWith(edit: (northwind: string) => string): string {
  const dir = tempDir('clinspark-gate-fleet-');
  fs.cpSync(path.join(root, 'config'), dir, { recursive: true });
  const file = path.join(dir, 'customers', 'northwind.yaml');
  const before = fs.readFileSync(file, 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  fs.writeFileSync(file, after);
  return dir;
}

function synth(configDir: string, ...extra: string[]): { status: number | null; stderr: string; templates: string[] } {
  const outdir = tempDir('clinspark-gate-out-');
  const r = spawnSync(
    cdk,
    ['synth', '--no-lookups', '--no-notices', '--quiet', '-o', outdir, '-c', `config=${configDir}`, '-c', 'customer=northwind', ...extra],
    { cwd: root, env, encoding: 'utf8', timeout: 180_000 },
  );
  return { status: r.status, stderr: r.stderr, templates: fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json')) };
}

afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

describe('stateful lock gate in cdk synth', () => {
  test(
    'a broken lock file fails the synth before anything is built, and validate, ' +
      'naming the file, the path and the fix; it never locks nothing',
    async () => {
      const cases: [string, RegExp][] = [
        ['{"clinspark-northwind-prod-data": ', /is not JSON/],
        ['[]', /expected record, received array/],
        ['{"clinspark-northwind-prod-data": 5}', /"clinspark-northwind-prod-data": .*expected record, received number/],
        [
          '{"clinspark-northwind-prod-data": {"MainCluster": {"type": "AWS::RDS::DBCluster"}}}',
          /"clinspark-northwind-prod-data" > "MainCluster": /,
        ],
      ];
      // -c statefulLock=<file>: read by bin/clinspark.ts before the fleet is built. The first case
      // through the real CLI; every case through the CDK app as the CLI runs it, in one process
      // (runAppBatch: the same code path without one CLI start-up per case).
      const lockFiles = cases.map(([text]) => {
        const file = path.join(tempDir('clinspark-gate-lock-'), 'lock.json');
        fs.writeFileSync(file, text);
        return file;
      });
      const viaCli = synth(path.join(root, 'config'), '-c', `statefulLock=${lockFiles[0]}`);
      const viaApp = await runAppBatch(
        lockFiles.map((file) => ({ config: path.join(root, 'config'), customer: 'northwind', statefulLock: file })),
      );
      const runs = [
        {
          text: cases[0][0],
          message: cases[0][1],
          lockFile: lockFiles[0],
          code: viaCli.status,
          stderr: viaCli.stderr,
          written: viaCli.templates,
        },
        ...viaApp.map((r, i) => ({ text: cases[i][0], message: cases[i][1], lockFile: lockFiles[i], ...r })),
      ];
      for (const { text, message, lockFile, code, stderr, written } of runs) {
        expect([text, code]).toEqual([text, 1]);
        expect(stderr).toContain(`clinspark: stateful lock ${lockFile}: `);
        expect(stderr).toMatch(message);
        expect(stderr).toMatch(/npm run stateful-lock:update.*nothing was synthesised/);
        expect(stderr).not.toMatch(/^\s+at /m);
        expect(written).toEqual([]);
      }
      // The fleet's own lock: a configuration error of validate (and so of cdk synth).
      const dir = tempDir('clinspark-gate-fleet-');
      fs.cpSync(path.join(root, 'config'), dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'stateful-lock.json'), '[]');
      const v = spawnSync(process.execPath, [path.join(root, 'bin', 'clinspark-cli.js'), 'validate', '--config', dir], {
        cwd: root,
        env,
        encoding: 'utf8',
      });
      expect(v.status).toBe(1);
      expect(v.stdout + v.stderr).toMatch(/stateful-lock\.json: \(file\): .*expected record, received array.*npm run stateful-lock:update/);
    },
    200_000,
  );

  test(
    'a new jump-host AMI is refused as a replacement of the jump host, naming both AMIs; ' +
      're-ordering aws.availabilityZones in the same change moves no database instance',
    () => {
      // One synth for both: the lock comparison lists every locked resource the change would
      // replace, so a database instance moved by the re-ordering would be a second entry.
      const r = synth(
        fleetWith((y) =>
          y
            .replace('jumpHostAmi: ami-0a1b2c3d4e5f60718', 'jumpHostAmi: ami-0fedcba9876543210')
            .replace('[eu-west-1a, eu-west-1b, eu-west-1c]', '[eu-west-1c, eu-west-1a, eu-west-1b]'),
        ),
      );
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/clinspark: 1 change\(s\) would replace or delete stateful resources locked in /);
      expect(r.stderr).toMatch(
        /clinspark-northwind-prod-replica\/JumpHostInstance\w+ \(AWS::EC2::Instance\): ImageId changes from ami-0a1b2c3d4e5f60718 to ami-0fedcba9876543210; this create-only property makes CloudFormation replace the resource: .*new SSH host keys/,
      );
      expect(r.stderr).not.toMatch(/AvailabilityZone changes/);
      expect(r.stderr).toMatch(/npm run stateful-lock:update -- /);
      expect(r.stderr).not.toMatch(/^\s+at .*\.(ts|js):\d+/m);
      expect(r.templates).toEqual([]);
    },
    200_000,
  );
});

describe('compareLock', () => {
  const locked: StatefulLock = {
    s: { Writer: { type: 'AWS::RDS::DBInstance', createOnly: { AvailabilityZone: 'eu-west-1a' } }, Key: 'AWS::KMS::Key' },
    other: { Gone: 'AWS::KMS::Key' },
  };

  test('a moved database instance is a replacement, named with both zones', () => {
    const current: StatefulLock = {
      s: { Writer: { type: 'AWS::RDS::DBInstance', createOnly: { AvailabilityZone: 'eu-west-1b' } }, Key: 'AWS::KMS::Key' },
      other: { Gone: 'AWS::KMS::Key' },
    };
    expect(compareLock(locked, current).changed).toEqual([
      's/Writer (AWS::RDS::DBInstance): AvailabilityZone changes from eu-west-1a to ' +
        'eu-west-1b; this create-only property makes CloudFormation replace the ' +
        'resource: the database instance is deleted and created anew in the other zone',
    ]);
  });

  test('stacks outside the synthesised set are not compared', () => {
    const current: StatefulLock = { s: locked.s };
    expect(compareLock(locked, current).missing).toEqual(['other/Gone (AWS::KMS::Key)']);
    expect(compareLock(locked, current, new Set(['s']))).toEqual({ missing: [], changed: [], unlocked: [] });
  });
});
