/** Rules against the live schema: every problem found before the first write. */
import { ScrubRulesError, formatPlan, formatRulesIssue, parseScrubRules, planScrub, runScrub } from '../../constructs/pii-scrub';
import { RULES_YAML } from './fixtures/volunteers';
import { adminConnection } from '../support/db';
import { Dump, FixtureDb, KEY_A, dumpDatabase, fixtureDb, tableNames } from './support';

const FILE = 'plan.rules.yaml';

/** The example rules with some lines replaced (by exact text). */
function edited(...edits: Array<[string, string]>): string {
  let text = RULES_YAML;
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`example rules do not contain: ${from}`);
    text = text.replace(from, to);
  }
  return text;
}

describe('scrub plan: rules against the live schema', () => {
  let fx: FixtureDb;
  let before: Dump;

  beforeAll(async () => {
    fx = await fixtureDb('scrub_plan', 5);
    before = await dumpDatabase(fx.conn, fx.name);
  });

  afterAll(async () => fx.close());

  async function problems(yaml: string): Promise<string[]> {
    try {
      await planScrub(fx.conn, fx.name, parseScrubRules(yaml, FILE));
    } catch (e) {
      if (e instanceof ScrubRulesError) return e.issues.map(formatRulesIssue);
      throw e;
    }
    throw new Error('expected the plan to be rejected');
  }

  test('the example rules fit the example schema; the plan lists tables, strategies and row counts', async () => {
    const plan = await planScrub(fx.conn, fx.name, parseScrubRules(RULES_YAML, FILE));
    const text = formatPlan(plan);
    expect(text).toContain(`volunteers: mask 12 column(s) of ${fx.counts.volunteers} rows, batched on 'id'`);
    expect(text).toContain(`audit_events: truncate (${fx.counts.auditEvents} rows)`);
    expect(text).toMatch(/email\s+email \(domain="example.invalid"\)\s+\[varchar\(255\)\]/);
    expect(text).toContain('foreign keys checked after the scrub: 5');
    expect(plan.warnings).toEqual([]);
  });

  test('risky but valid rules are planned with warnings', async () => {
    const yaml = edited(
      ['      visit_date: { strategy: dateShift, days: 30 }', '      visit_date: { strategy: dateShift, days: 60 }'],
      ['      email: email                    # u<16 hex>', '      email: { strategy: fixed, value: "x@example.invalid" } #'],
      [
        '      email: email\n      phone: phone\n\n  visits',
        '      email: { strategy: fixed, value: "x@example.invalid" }\n      phone: phone\n\n  visits',
      ],
    );
    const plan = await planScrub(fx.conn, fx.name, parseScrubRules(yaml, FILE));
    expect(plan.warnings).toEqual([
      'volunteers.email: a fixed value in a UNIQUE index fails on the second row',
      "dateShift rules use different 'days' (30, 60): the shift of one subject depends " +
        "on 'days', so dates with different 'days' move by different offsets",
    ]);
  });

  test('a column without a rule is an error naming the column (privacy by default)', async () => {
    await fx.conn.query('ALTER TABLE volunteers ADD COLUMN mothers_maiden_name VARCHAR(100) NULL');
    try {
      expect(await problems(RULES_YAML)).toEqual([
        `${FILE}: tables.volunteers.columns: column 'mothers_maiden_name' (varchar(100)) ` +
          `has no rule; every column of a scrubbed table needs one: write ` +
          `'mothers_maiden_name: keep' if it holds no personal data, otherwise a masking ` +
          `strategy`,
      ]);
    } finally {
      await fx.conn.query('ALTER TABLE volunteers DROP COLUMN mothers_maiden_name');
    }
  });

  test('missing tables and columns, and rules that do not fit their column, are all reported together', async () => {
    const found = await problems(
      edited(
        ['  audit_events: truncate', '  audit_event: truncate'],
        ['      sex: keep', '      sexe: keep'],
        ['      country: keep', '      country: email'],
        ['      first_name: { strategy: pseudonym, kind: firstName }', '      first_name: null'],
        ['      date_of_birth: generalize', '      date_of_birth: { strategy: hash }'],
        ['      national_id: { strategy: hash, length: 32 }', '      national_id: { strategy: hash, length: 40 }'],
        ['    key: id  ', '    key: status  '],
      ),
    );
    expect(found.sort()).toEqual(
      [
        `${FILE}: tables.audit_event: table 'audit_event' does not exist in database ` +
          `'${fx.name}' (did you mean 'audit_events'?); remove it from the rules or fix ` +
          `the name`,
        `${FILE}: tables.volunteers.columns.sexe: column 'sexe' does not exist in table ` +
          `'volunteers' (did you mean 'sex'?); remove the rule or fix the name`,
        `${FILE}: tables.volunteers.columns: column 'sex' (char(1)) has no rule; every ` +
          `column of a scrubbed table needs one: write 'sex: keep' if it holds no personal ` +
          `data, otherwise a masking strategy`,
        `${FILE}: tables.volunteers.columns.country: fake addresses at 'example.invalid' ` +
          `have 33 characters but 'country' is char(2); use a shorter domain`,
        `${FILE}: tables.volunteers.columns.first_name: 'first_name' is NOT NULL, so it ` +
          `cannot be set to NULL; use fixed (e.g. { strategy: fixed, value: "" }) or ` +
          `another strategy`,
        `${FILE}: tables.volunteers.columns.date_of_birth: strategy 'hash' needs a text ` +
          `column (char, varchar or text); 'date_of_birth' is date`,
        `${FILE}: tables.volunteers.columns.national_id.length: length 40 does not fit 'national_id' (varchar(32))`,
        `${FILE}: tables.volunteers.key: 'status' must be the primary key (id) or the ` +
          `columns of a UNIQUE index whose columns are all NOT NULL; or leave 'key' out ` +
          `(the engine then uses the primary key, a unique index, or a temporary surrogate ` +
          `key)`,
        `${FILE}: tables: table 'audit_events' of database '${fx.name}' is not named in ` +
          `the rules; every table must be: masked ('audit_events: { columns: ... }'), ` +
          `'truncate', or 'keep' (no personal data)`,
      ].sort(),
    );
  });

  test('the key and dateShift subjects must be kept; foreign-key ends must be masked alike', async () => {
    const found = await problems(
      edited(
        ['      id: keep\n      volunteer_number: keep', '      id: hash\n      volunteer_number: keep'],
        ['      volunteer_id: keep\n      full_name', '      volunteer_id: { strategy: fixed, value: 1 }\n      full_name'],
      ),
    );
    expect(found).toEqual([
      `${FILE}: tables.volunteers.columns.id: 'id' is part of the key used for ` +
        `batching (primary key) and links rows; it must be keep (mask the personal ` +
        `columns instead)`,
      `${FILE}: tables.volunteers.subject: subject column 'id' must be keep: the shift ` +
        `is derived from it, so it must stay the same in every table`,
      `${FILE}: tables.contacts.columns.volunteer_id: foreign key ` +
        `fk_contacts_volunteer links contacts.volunteer_id to volunteers.id, but they ` +
        `are masked differently (strategy: fixed, value: 1 vs keep); give both the same ` +
        `rule so the link survives`,
    ]);
  });

  test('a problem found by several rules is reported once', async () => {
    const from = '    subject: volunteer_id\n    columns:\n      id: keep\n      volunteer_id: keep\n      study_code';
    const found = await problems(edited([from, from.replace('volunteer_id: keep', 'volunteer_id: { strategy: fixed, value: 1 }')]));
    expect(found.filter((f) => f.includes('tables.visits.subject'))).toEqual([
      `${FILE}: tables.visits.subject: subject column 'volunteer_id' must be keep: the ` +
        `shift is derived from it, so it must stay the same in every table`,
    ]);
  });

  test('truncating a parent whose children keep rows, and tables with UPDATE triggers, are refused', async () => {
    const admin = await adminConnection(fx.name);
    await admin.query(
      'CREATE TRIGGER trg_volunteers_audit AFTER UPDATE ON volunteers FOR EACH ROW ' +
        'INSERT INTO audit_events (volunteer_id, event, detail, occurred_at) VALUES ' +
        "(OLD.id, 'updated', OLD.email, NOW())",
    );
    try {
      const found = await problems(edited(['  studies: keep ', '  studies: truncate ']));
      expect(found).toEqual([
        `${FILE}: tables.volunteers: has UPDATE trigger(s) trg_volunteers_audit that ` +
          `masking would fire (they may copy original values elsewhere); drop them before ` +
          `the scrub, or set 'allowUpdateTriggers: true' once you have checked them`,
        `${FILE}: tables.studies: truncating 'studies' would orphan the rows of 'visits' ` +
          `(foreign key fk_visits_study); truncate 'visits' as well, or keep 'studies'`,
      ]);
    } finally {
      await admin.query('DROP TRIGGER trg_volunteers_audit');
      await admin.end();
    }
  });

  test('nothing was written by planning nor by a rejected scrub (no scratch table, same data)', async () => {
    const bad = parseScrubRules(edited(['  audit_events: truncate', '  audit_event: truncate']), FILE);
    await expect(runScrub({ connection: fx.conn, database: fx.name, rules: bad, key: KEY_A, runId: 'rejected-1' })).rejects.toThrow(
      ScrubRulesError,
    );
    expect(await tableNames(fx.conn, fx.name)).toEqual(['audit_events', 'contacts', 'lab_results', 'studies', 'visits', 'volunteers']);
    expect(await dumpDatabase(fx.conn, fx.name)).toEqual(before);
  });
});
