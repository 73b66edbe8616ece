/**
 * A schema like real ones: composite, UUID (char) and key-less tables, unicode, NULLs and empty
 * strings, and a second schema on the server. After the scrub no original value is left in a full
 * dump, non-PII columns are byte-identical, a second run changes nothing, and a table or schema
 * the rules leave out fails the plan before anything changes.
 */
import { ScrubRulesError, formatRulesIssue, parseScrubRules, runScrub } from '../../constructs/pii-scrub';
import { adminConnection, dropDatabase, scratchDatabase } from '../support/db';
import { Dump, KEY_A, connectTo, dumpDatabase, grantScoped, scopedUser } from './support';
import type * as mysql from 'mysql2/promise';

const SCHEMA = `
CREATE TABLE subjects (
  uuid CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(255) NULL,
  site VARCHAR(20) NOT NULL
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE visit_outcomes (
  subject_uuid CHAR(36) CHARACTER SET ascii NOT NULL,
  visit_no SMALLINT NOT NULL,
  outcome VARCHAR(40) NOT NULL,
  nurse_note TEXT NULL,
  seen_at DATETIME NOT NULL,
  PRIMARY KEY (subject_uuid, visit_no)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE import_log (
  line_text VARCHAR(200) NULL,
  phone VARCHAR(32) NULL,
  batch_label VARCHAR(20) NOT NULL
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE sites (code VARCHAR(20) NOT NULL PRIMARY KEY, label VARCHAR(100) NOT NULL) DEFAULT CHARSET=utf8mb4;
`;

const RULES = `version: 1
tables:
  subjects:
    subject: uuid
    columns:
      uuid: keep
      name: { strategy: pseudonym, kind: fullName }
      email: email
      site: keep
  visit_outcomes:
    subject: subject_uuid
    columns:
      subject_uuid: keep
      visit_no: keep
      outcome: keep
      nurse_note: null
      seen_at: dateShift
  import_log:
    columns:
      line_text: { strategy: hash, length: 32 }
      phone: phone
      batch_label: keep
  sites: keep
schemas:
  OTHER: keep
`;

const NAMES = ['Zoë Brontë', 'Łukasz Wiśniewski', '山田 太郎', "Siobhán O'Connor", 'Ngozi Okonkwo', 'José García'];

async function load(conn: mysql.Connection): Promise<void> {
  await conn.query(SCHEMA);
  await conn.query("INSERT INTO sites VALUES ('S1', 'Clinique Été — 東京'), ('S2', 'Main unit')");
  const subjects = Array.from({ length: 40 }, (_, i) => [
    `${String(i).padStart(8, '0')}-4b1e-4c3a-9f00-${String(1000 + i).padStart(12, '0')}`,
    `${NAMES[i % NAMES.length]} ${i}`,
    i % 7 === 0 ? null : i % 11 === 0 ? '' : `person.${i}@realmail.example.net`,
    i % 2 ? 'S1' : 'S2',
  ]);
  await conn.query('INSERT INTO subjects VALUES ?', [subjects]);
  const outcomes = subjects.flatMap((s, i) =>
    [1, 2, 3].map((v) => [
      s[0],
      v,
      v === 3 ? 'completed' : 'ongoing',
      v === 1 ? `Patient ${s[1]} anxious 🙂` : v === 2 ? '' : null,
      `2024-0${1 + (i % 9)}-1${v} 08:30:00`,
    ]),
  );
  await conn.query('INSERT INTO visit_outcomes VALUES ?', [outcomes]);
  // Key-less, with duplicate rows.
  const log = Array.from({ length: 30 }, (_, i) => [
    i % 5 === 0 ? null : `imported ${NAMES[i % NAMES.length]} row ${i % 10}`,
    i % 4 === 0 ? '' : `+33 6 12 34 ${String(10 + (i % 10))}`,
    `batch-${i % 3}`,
  ]);
  await conn.query('INSERT INTO import_log VALUES ?', [log]);
}

function originals(dump: Dump): string[] {
  const out: string[] = [];
  for (const r of dump.subjects) out.push(String(r.name), ...(r.email ? [r.email] : []));
  for (const r of dump.visit_outcomes) if (r.nurse_note) out.push(r.nurse_note);
  for (const r of dump.import_log) out.push(...[r.line_text, r.phone].filter((v): v is string => !!v));
  return out;
}

describe('PII scrub of a real-shaped schema', () => {
  let db: string;
  let other: string;
  let conn: mysql.Connection;
  let rulesText: string;
  let before: Dump;

  beforeAll(async () => {
    db = await scratchDatabase('scrub_real');
    other = await scratchDatabase('scrub_real_other');
    await grantScoped(db, [db, other]);
    conn = await connectTo(db);
    await load(conn);
    await conn.query(
      `CREATE TABLE \`${other}\`.lookup (k INT PRIMARY KEY, v VARCHAR(50)); INSERT INTO \`${other}\`.lookup VALUES (1, 'alpha'), (2, NULL)`,
    );
    rulesText = RULES.replace('OTHER', other);
    before = await dumpDatabase(conn, db);
  });

  afterAll(async () => {
    await conn.end();
    await Promise.all([dropDatabase(db), dropDatabase(other)]);
  });

  async function createTables(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const t of ['subjects', 'visit_outcomes', 'import_log', 'sites']) {
      const [rows] = await conn.query(`SHOW CREATE TABLE \`${t}\``);
      out[t] = String((rows as Array<Record<string, string>>)[0]['Create Table']);
    }
    return out;
  }

  test('a table or a schema the rules leave out fails the plan, naming it, and changes nothing', async () => {
    const admin = await adminConnection();
    const extra = await scratchDatabase('scrub_real_extra');
    await admin.query(`GRANT ALL PRIVILEGES ON \`${extra}\`.* TO '${scopedUser(db).user}'@'%'`);
    await admin.end();
    try {
      await conn.query('CREATE TABLE new_release_table (id INT PRIMARY KEY, secret VARCHAR(50))');
      const error = await runScrub({
        connection: conn,
        database: db,
        rules: parseScrubRules(rulesText, 'real.rules.yaml'),
        key: KEY_A,
        runId: 'uncovered',
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ScrubRulesError);
      const issues = (error as ScrubRulesError).issues.map(formatRulesIssue);
      expect(issues).toEqual(
        expect.arrayContaining([
          expect.stringContaining(`real.rules.yaml: schemas: schema '${extra}' (0 table(s)) is not named in the rules`),
          expect.stringContaining(`real.rules.yaml: tables: table 'new_release_table' of database '${db}' is not named in the rules`),
        ]),
      );
      const [state] = await conn.query(
        "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '\\_clinspark%'",
        [db],
      );
      expect(Number((state as Array<{ n: number }>)[0].n)).toBe(0);
      await conn.query('DROP TABLE new_release_table');
      expect(await dumpDatabase(conn, db)).toEqual(before);
    } finally {
      await dropDatabase(extra);
    }
  });

  test(
    'composite, UUID and key-less tables are masked in batches; nothing original is ' +
      'left; the rest is byte-identical; a second run changes nothing',
    async () => {
      const tablesBefore = await createTables();
      const rules = parseScrubRules(rulesText, 'real.rules.yaml');
      const first = await runScrub({ connection: conn, database: db, rules, key: KEY_A, runId: 'real-1', batchSize: 7 });
      if (!first.complete) throw new Error('incomplete');
      expect(first.evidence.status).toBe('succeeded');
      expect(first.evidence.tables.filter((t) => t.action === 'mask').map((t) => [t.table, t.batching?.source, t.batching?.key])).toEqual([
        ['subjects', 'primary key', ['uuid']],
        ['visit_outcomes', 'primary key', ['subject_uuid', 'visit_no']],
        ['import_log', 'surrogate', []],
      ]);
      expect(first.evidence.inventory?.schemas.map((s) => [s.schema, s.tables.map((t) => `${t.table}:${t.rule}:${t.rows}`)])).toEqual([
        [db, ['subjects:mask:40', 'visit_outcomes:mask:120', 'import_log:mask:30', 'sites:keep:2']],
        [other, ['lookup:keep:2']],
      ]);
      const after = await dumpDatabase(conn, db);
      // No original personal value anywhere in a full dump of the database.
      const text = JSON.stringify(after);
      for (const o of originals(before)) expect([o, text.includes(JSON.stringify(o).slice(1, -1))]).toEqual([o, false]);
      // Non-PII columns and tables byte-identical; NULL and '' kept; table definitions unchanged (surrogate dropped).
      const kept: Record<string, string[]> = {
        subjects: ['uuid', 'site'],
        visit_outcomes: ['subject_uuid', 'visit_no', 'outcome'],
        import_log: ['batch_label'],
        sites: ['code', 'label'],
      };
      for (const [t, cols] of Object.entries(kept))
        for (const c of cols) expect(after[t].map((r) => r[c]).sort()).toEqual(before[t].map((r) => r[c]).sort());
      expect(after.subjects.map((r) => (r.email === null || r.email === '' ? r.email : 'x'))).toEqual(
        before.subjects.map((r) => (r.email === null || r.email === '' ? r.email : 'x')),
      );
      expect(after.import_log.filter((r) => r.phone === '').length).toBe(before.import_log.filter((r) => r.phone === '').length);
      expect(await createTables()).toEqual(tablesBefore);
      const [hexRows] = await conn.query('SELECT HEX(code) AS c, HEX(label) AS l FROM sites ORDER BY code');
      expect(hexRows).toEqual(
        before.sites.map((r) => ({
          c: Buffer.from(String(r.code)).toString('hex').toUpperCase(),
          l: Buffer.from(String(r.label)).toString('hex').toUpperCase(),
        })),
      );
      // A second run with the same key changes nothing.
      const second = await runScrub({ connection: conn, database: db, rules, key: KEY_A, runId: 'real-2', batchSize: 7 });
      if (!second.complete) throw new Error('incomplete');
      expect(second.evidence.status).toBe('succeeded');
      expect(await dumpDatabase(conn, db)).toEqual({ ...after, _clinspark_scrub_state: expect.anything() });
      expect(await createTables()).toEqual(tablesBefore);
      expect(second.evidence.steps.map((s) => s.step)).not.toContain('prepare');
    },
  );

  test('the PII scan fails the run on personal data in a kept table, unless acknowledged with a reason', async () => {
    await conn.query("UPDATE sites SET label = 'Contact: dr.who@hospital.example.org' WHERE code = 'S2'");
    try {
      const rules = parseScrubRules(rulesText, 'real.rules.yaml');
      const error = await runScrub({ connection: conn, database: db, rules, key: KEY_A, runId: 'scan-1' }).catch((e: Error) => e);
      expect((error as Error).message).toContain("sites.label: 1 value(s) match PII pattern 'email'");
      const acknowledged = parseScrubRules(
        `${rulesText}detect:\n  acknowledge:\n    - { table: sites, column: label, ` +
          `pattern: email, reason: "the site's public switchboard address, not a ` +
          `volunteer's" }\n`,
        'real.rules.yaml',
      );
      const ok = await runScrub({ connection: conn, database: db, rules: acknowledged, key: KEY_A, runId: 'scan-2' });
      expect(ok.complete && ok.evidence.verification?.checks.find((c) => c.check === 'pii-pattern')).toMatchObject({
        table: 'sites',
        column: 'label',
        pattern: 'email',
        violations: 1,
        passed: true,
      });
    } finally {
      await conn.query("UPDATE sites SET label = 'Main unit' WHERE code = 'S2'");
    }
  });
});
