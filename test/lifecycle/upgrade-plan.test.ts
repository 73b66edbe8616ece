/**
 * `npx clinspark upgrade-plan`, run in-process like the evidence commands: a copy of the example
 * fleet with this file's own ledger (test/lifecycle/operations-support.ts) against a copy of the
 * committed approved baseline (PROD deployed on 2025.4.0-b2231, Aurora 3.12.0, db.r7g.large).
 * Northwind PROD's window is sun:02:00-sun:03:00; 2026.1.0-b2410's ledger entry is 2026-11-20,
 * so its notice ends 2026-12-11.
 */
import * as fs from 'fs';
import * as path from 'path';
import { cleanTemps, cli, tempDir } from '../evidence/support';
import { STACK_TRACE, prodOnNewRelease, testBaseline, testFleet } from './operations-support';

afterAll(cleanTemps);

const plan = (fleet: string, baseline: string, ...extra: string[]) =>
  cli(['upgrade-plan', '--customer', 'northwind', '--environment', 'prod', '--config', fleet, '--baseline', baseline, ...extra]);

describe('clinspark upgrade-plan', () => {
  let fleet: string;
  let baseline: string;
  beforeAll(() => {
    fleet = testFleet({ northwind: prodOnNewRelease });
    baseline = testBaseline();
  });

  test('inside the window, notice met: deploy now; release, engine, capacity, downtime with sources, pre-upgrade snapshots', async () => {
    const out = tempDir('plan');
    const r = await plan(fleet, baseline, '--at', '2026-12-13T02:30:00Z', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'Recommendation: deploy now (inside the maintenance window sun:02:00-sun:03:00 (until Sun 2026-12-13 03:00 UTC)).',
    );
    expect(r.out).toContain(
      '| release (image tag) | 2025.4.0-b2231 | 2026.1.0-b2410 (ledger 2026-11-20, notes RN-TEST-2026.1.0) | changes |',
    );
    expect(r.out).toContain('| Aurora MySQL engine | 8.0.mysql_aurora.3.12.0 | 8.0.mysql_aurora.3.12.0 | unchanged |');
    expect(r.out).toContain(
      '| database clinspark-northwind-prod-main | db.r7g.large writer + 1 reader(s) | db.r7g.large writer + 1 reader(s) | unchanged |',
    );
    expect(r.out).toContain('VAL validation of 2026.1.0-b2410: VSR-TEST-2026.1.0 (2026-11-21 to 2026-11-27).');
    expect(r.out).toContain("Three weeks' notice: ledger entry 2026-11-20 + 21 days = 2026-12-11T00:00:00Z; met");
    expect(r.out).toMatch(/Rolling ECS deployment with at least 2 task\(s\) per service: new tasks start before old ones stop/);
    expect(r.out).toContain('https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html');
    // The baseline's data stack has no snapshot resource yet: it is added to deployed clusters (Create: "-from-deployed").
    expect(r.out).toContain(
      '| clinspark-northwind-prod-main | ' +
        'clinspark-northwind-prod-main-pre-2026-1-0-b2410-from-deployed | ' +
        'clinspark-northwind-prod-data.MainPreUpgradeSnapshot |',
    );
    expect(r.out).toContain('| clinspark-northwind-prod-test | clinspark-northwind-prod-test-pre-2026-1-0-b2410-from-deployed |');
    const json = JSON.parse(fs.readFileSync(path.join(out, 'upgrade-plan.json'), 'utf8'));
    expect(json.recommendation).toMatchObject({ deployNow: true, deployAt: '2026-12-13T02:30:00Z' });
    expect(fs.readFileSync(path.join(out, 'upgrade-plan.md'), 'utf8')).toBe(r.out.replace(/\n$/, ''));
    expect(fs.existsSync(path.join(out, 'upgrade-plan.html'))).toBe(true);
  });

  test('outside the window: the next window start and exit 3; --now overrides, printed', async () => {
    const r = await plan(fleet, baseline, '--at', '2026-12-09T10:00:00Z');
    expect(r.code).toBe(3);
    expect(r.out).toContain(
      'Recommendation: do not deploy now; deploy at 2026-12-13T02:00:00Z (Sun ' +
        '2026-12-13 02:00 UTC): Wed 2026-12-09 10:00 UTC is outside the maintenance ' +
        'window sun:02:00-sun:03:00; the next one starts Sun 2026-12-13 02:00 UTC.',
    );
    expect(r.out).toContain('Next window start: 2026-12-13T02:00:00Z (Sun 2026-12-13 02:00 UTC) to 2026-12-13T03:00:00Z.');
    expect(r.err).toMatch(/^clinspark upgrade-plan: not now: .*deploy at 2026-12-13T02:00:00Z \(or give --now\)\n$/);
    const now = await plan(fleet, baseline, '--at', '2026-12-09T10:00:00Z', '--now');
    expect(now.code).toBe(0);
    expect(now.err).toBe('');
    expect(now.out).toContain('Recommendation: deploy now (OUTSIDE the maintenance window sun:02:00-sun:03:00 (override --now)');
  });

  test('notice not met inside a window: the earliest compliant date (entry + 21 days, then the first window), exit 3', async () => {
    const r = await plan(fleet, baseline, '--at', '2026-12-06T02:30:00Z');
    expect(r.code).toBe(3);
    expect(r.out).toContain(
      "Three weeks' notice: ledger entry 2026-11-20 + 21 days = 2026-12-11T00:00:00Z; " +
        'NOT met; earliest compliant date: 2026-12-13T02:00:00Z (Sun 2026-12-13 02:00 ' +
        'UTC).',
    );
    expect(r.out).toContain('Recommendation: do not deploy now; deploy at 2026-12-13T02:00:00Z');
    // Outside a window before the notice ends: the next window (12-06) would still be too early.
    const before = await plan(fleet, baseline, '--at', '2026-12-02T10:00:00Z');
    expect(before.code).toBe(3);
    expect(before.out).toContain('deploy at 2026-12-13T02:00:00Z');
    expect((await plan(fleet, baseline, '--at', '2026-12-06T02:30:00Z', '--now')).out).toContain(
      "BEFORE the three weeks' notice ends (2026-12-11T00:00:00Z) (override --now)",
    );
  });

  test('an emergency hotfix waives the notice, and the plan says so', async () => {
    const hotfix = testFleet({
      northwind: (doc) => {
        prodOnNewRelease(doc);
        doc.setIn(['environments', 'prod', 'emergencyHotfix'], {
          reason: 'Dosing calculation defect fixed in 2026.1.0.',
          reference: 'ECR-2026-041',
        });
      },
    });
    const r = await plan(hotfix, baseline, '--at', '2026-12-06T02:30:00Z');
    expect(r.code).toBe(0);
    expect(r.out).toContain('EMERGENCY HOTFIX OVERRIDE: ECR-2026-041: Dosing calculation defect fixed in 2026.1.0.');
    expect(r.out).toContain('not met, waived by emergencyHotfix ECR-2026-041');
  });

  test('a major engine change is refused without engine.allowMajorUpgrade (exit 1, even with --now), planned with it', async () => {
    const aurora2 = testBaseline((stack, t) => {
      if (!stack.startsWith('clinspark-northwind-prod-')) return;
      for (const r of Object.values(t.Resources))
        if (r.Type === 'AWS::RDS::DBCluster') r.Properties!.EngineVersion = '5.7.mysql_aurora.2.12.4';
    });
    const same = testFleet();
    const refused = await plan(same, aurora2, '--at', '2026-12-13T02:30:00Z', '--now');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /refused:\n {2}the engine changes major version \(5\.7\.mysql_aurora\.2\.12\.4 -> 8\.0\.mysql_aurora\.3\.12\.0\)/,
    );
    expect(refused.err).toContain('set engine.allowMajorUpgrade: true in customers/northwind.yaml (environments.prod.engine)');
    expect(refused.out).toContain('| Aurora MySQL engine | 5.7.mysql_aurora.2.12.4 | 8.0.mysql_aurora.3.12.0 | major upgrade |');
    expect(refused.err).not.toMatch(STACK_TRACE);
    const allowed = testFleet({ northwind: (doc) => doc.setIn(['environments', 'prod', 'engine'], { allowMajorUpgrade: true }) });
    const r = await plan(allowed, aurora2, '--at', '2026-12-13T02:30:00Z');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/In-place major upgrade: zero-downtime patching does not apply; the cluster is shut down/);
    expect(r.out).toContain('https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Updates.ZDP.html');
    expect(r.out).toContain('clinspark-northwind-prod-main-pre-2025-4-0-b2231-from-deployed');
  });

  test('a minor engine change and an instance class change: in place at deploy time, each with its downtime', async () => {
    const older = testBaseline((stack, t) => {
      if (!stack.startsWith('clinspark-northwind-prod-')) return;
      for (const r of Object.values(t.Resources))
        if (r.Type === 'AWS::RDS::DBCluster') r.Properties!.EngineVersion = '8.0.mysql_aurora.3.10.0';
    });
    const bigger = testFleet({
      northwind: (doc) => doc.setIn(['environments', 'prod', 'sizing'], { database: { instanceClass: 'db.r7g.xlarge' } }),
    });
    const r = await plan(bigger, older, '--at', '2026-12-13T02:30:00Z');
    expect(r.code).toBe(0);
    expect(r.out).toContain('| Aurora MySQL engine | 8.0.mysql_aurora.3.10.0 | 8.0.mysql_aurora.3.12.0 | minor upgrade |');
    expect(r.out).toMatch(/In-place minor upgrade of every instance of each cluster at once, started at deploy time/);
    expect(r.out).toContain(
      'instance class of clinspark-northwind-prod-main: MainDatabaseClusterWriter60DE828E db.r7g.large -> db.r7g.xlarge',
    );
    expect(r.out).toContain(
      '| database clinspark-northwind-prod-main | db.r7g.large writer + 1 reader(s) | db.r7g.xlarge writer + 1 reader(s) | changes |',
    );
  });

  test('no baseline: the plan compares against nothing and shows the configured state only', async () => {
    const r = await plan(fleet, path.join(tempDir('empty'), 'no-such-baseline'), '--at', '2026-12-13T02:30:00Z');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/This plan compares against nothing: no approved baseline at .*no-such-baseline .*; the configured state only\./);
    expect(r.out).toContain(
      '| release (image tag) | nothing deployed | 2026.1.0-b2410 (ledger 2026-11-20, notes RN-TEST-2026.1.0) | new |',
    );
    expect(r.out).toContain('| databases | nothing deployed | 2 x db.r7g.large writer + 1 reader(s) | new |');
    expect(r.out).toContain('None: nothing is deployed, so there is nothing to keep.');
  });

  test('nothing changes: no deploy needed (the example fleet against its own baseline)', async () => {
    const r = await cli(['upgrade-plan', '--customer', 'acme', '--environment', 'preprod', '--at', '2026-12-09T10:00:00Z']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Recommendation: deploy now (nothing changes: no deploy is needed).');
  });

  test('bad arguments: clear errors, exit codes 1 and 2, no stack trace', async () => {
    for (const [args, code, message] of [
      [
        ['upgrade-plan', '--customer', 'nobody', '--environment', 'prod'],
        1,
        /no customer 'nobody' in config; known: acme, northwind, platform/,
      ],
      [
        ['upgrade-plan', '--customer', 'acme', '--environment', 'prod'],
        1,
        /acme has no environment 'prod'; it has: sandbox, migration, preprod/,
      ],
      [
        ['upgrade-plan', '--customer', 'acme', '--environment', 'preprod', '--at', 'next sunday'],
        2,
        /--at "next sunday" is not an ISO 8601 date-time with a zone/,
      ],
      [
        ['upgrade-plan', '--customer', 'acme', '--environment', 'preprod', '--at', '2026-12-06T02:00'],
        2,
        /with a zone, e\.g\. 2026-12-06T06:15:00Z/,
      ],
      [['upgrade-plan', '--environment', 'prod'], 2, /--customer is required/],
      [
        ['upgrade-plan', '--customer', 'acme', '--environment', 'preprod', '--baseline', path.join(__dirname), '--now'],
        0,
        /compares against nothing/,
      ],
      [['upgrade-plan', '--customer', 'acme', '--environment', 'preprod', '--config', '/no/such/fleet'], 1, /\/no\/such\/fleet/],
    ] as [string[], number, RegExp][]) {
      const r = await cli([...args, ...(args.includes('--at') ? [] : ['--at', '2026-12-06T05:30:00Z'])]);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.err + r.out).toMatch(message);
      expect(r.err).not.toMatch(STACK_TRACE);
      expect(r.err).not.toMatch(/unexpected error/);
    }
  });
});
