/** Checks of the masks computed in place (dateShift: zero offsets) and the PII scan of kept tables in key ranges. */
import { ScrubFailedError, installKey, parseScrubRules, planScrub, runScrub, uninstallKey } from '../../constructs/pii-scrub';
import { countZeroShifts } from '../../constructs/pii-scrub/engine/engine';
import type { MaskTablePlan } from '../../constructs/pii-scrub/engine/plan';
import { ColumnSql, columnSql } from '../../constructs/pii-scrub/engine/strategies';
import { RULES_YAML } from './fixtures/volunteers';
import { KEY_A, fixtureDb } from './support';

describe('dateShift in place: zero offsets', () => {
  test('none with the real offsets; with a zero offset for one subject, exactly the dates of its rows, per column', async () => {
    const db = await fixtureDb('scrub_zero_shift', 5);
    try {
      const plan = await planScrub(db.conn, db.name, parseScrubRules(RULES_YAML, 'volunteers.rules.yaml'));
      const visits = plan.tables.find((t) => t.table === 'visits') as MaskTablePlan;
      const cols = visits.masked.map((m) => columnSql(visits, m));
      await installKey(db.conn, KEY_A);
      // GIVEN the real offsets (never 0): nothing is counted, for both dateShift columns
      expect(await countZeroShifts(db.conn, visits, cols)).toEqual({ 'e:visit_date': 0, 'e:checked_in_at': 0 });
      // WHEN the offset were 0 for the first volunteer of the visits
      const [first] = await db.conn.query('SELECT MIN(volunteer_id) AS v FROM visits');
      const v = Number((first as Array<{ v: number }>)[0].v);
      const zeroFor = cols.map((c): ColumnSql => (c.shiftDays ? { ...c, shiftDays: `IF(t.volunteer_id = ${v}, 0, 7)` } : c));
      // THEN its rows holding a date are counted, per column
      const [expected] = await db.conn.query(
        'SELECT SUM(visit_date IS NOT NULL) AS d, SUM(checked_in_at IS NOT NULL) AS c FROM visits WHERE volunteer_id = ?',
        [v],
      );
      const e = (expected as Array<{ d: unknown; c: unknown }>)[0];
      expect(Number(e.d)).toBeGreaterThan(0);
      expect(await countZeroShifts(db.conn, visits, zeroFor)).toEqual({ 'e:visit_date': Number(e.d), 'e:checked_in_at': Number(e.c) });
      await uninstallKey(db.conn);
    } finally {
      await db.close();
    }
  });
});

describe('PII scan of a kept table in key ranges', () => {
  test('findings of every range are added up (batch 1: ranges of 5 rows)', async () => {
    const db = await fixtureDb('scrub_scan_ranges', 3);
    try {
      // GIVEN 12 studies whose titles quote an e-mail address (more than two ranges)
      for (let i = 0; i < 12; i++)
        await db.conn.query('INSERT INTO studies (code, title) VALUES (?, ?)', [
          `X-${String(i).padStart(2, '0')}`,
          `Contact pi${i}@sponsor.example.com`,
        ]);
      // WHEN the scrub runs with batches of one row
      const error = await runScrub({
        connection: db.conn,
        database: db.name,
        rules: parseScrubRules(RULES_YAML, 'volunteers.rules.yaml'),
        key: KEY_A,
        runId: 'scan-ranges',
        batchSize: 1,
      }).catch((e: unknown) => e);
      // THEN the run fails on exactly those 12 values, counted over the ranges
      expect(error).toBeInstanceOf(ScrubFailedError);
      const checks = (error as ScrubFailedError).evidence.verification?.checks ?? [];
      expect(checks.filter((c) => c.table === 'studies')).toEqual([
        { check: 'pii-pattern', table: 'studies', column: 'title', pattern: 'email', violations: 12, passed: false },
        { check: 'pii-scan', table: 'studies', violations: 12, passed: false },
      ]);
      expect((error as ScrubFailedError).evidence.steps.find((s) => s.step === 'scan')).toMatchObject({ table: 'studies', rows: 14 });
    } finally {
      await db.close();
    }
  });
});
