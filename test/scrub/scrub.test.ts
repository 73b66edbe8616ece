/**
 * End to end on the illustrative volunteer schema with the example rules: what a scrub must
 * guarantee (no original left anywhere, kept data byte-identical, links intact, determinism,
 * evidence without values or key), checked from the outside against a real MariaDB.
 */
import { CITIES, FIRST_NAMES, LAST_NAMES, STREETS } from '../../constructs/pii-scrub/engine/dictionaries';
import {
  MaskTableRules,
  ScrubEvidence,
  ScrubProgress,
  ScrubRules,
  deriveSqlKey,
  hmacPads,
  parseScrubRules,
  runScrub,
  verifyScrubbed,
} from '../../constructs/pii-scrub';
import { RULES_YAML } from './fixtures/volunteers';
import { Dump, FixtureDb, KEY_A, KEY_B, column, dumpDatabase, fixtureDb, tableNames, textColumns } from './support';

const RULES: ScrubRules = parseScrubRules(RULES_YAML, 'config/scrub/volunteers.rules.yaml');
const MASK_TABLES = RULES.tables.filter((t): t is MaskTableRules => t.action === 'mask');
const DATE_STRATEGIES = new Set(['dateShift', 'generalize']);

/** Original personal values: every non-empty value of a masked text column, before the scrub. */
function originalTextValues(before: Dump): Set<string> {
  const out = new Set<string>();
  for (const t of MASK_TABLES) {
    for (const c of t.columns) {
      if (c.strategy === 'keep' || DATE_STRATEGIES.has(c.strategy)) continue;
      for (const v of column(before, t.table, c.column)) if (v !== null && v !== '') out.add(v);
    }
  }
  for (const row of before.audit_events) if (row.detail) out.add(row.detail);
  return out;
}

function secretsOf(key: Buffer): string[] {
  const sqlKey = deriveSqlKey(key);
  const { ipad, opad } = hmacPads(sqlKey);
  return [
    key.toString('utf8'),
    key.toString('hex'),
    key.toString('base64'),
    sqlKey.toString('hex'),
    sqlKey.toString('base64'),
    ipad.toString('hex'),
    opad.toString('hex'),
  ];
}

function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b.replace(' ', 'T')}Z`) - Date.parse(`${a.replace(' ', 'T')}Z`)) / 86_400_000);
}

async function scrub(db: FixtureDb, key: Buffer, runId: string, progress?: ScrubProgress[]): Promise<ScrubEvidence> {
  const outcome = await runScrub({
    connection: db.conn,
    database: db.name,
    rules: RULES,
    key,
    runId,
    batchSize: 7,
    onProgress: (p) => progress?.push(p),
  });
  if (!outcome.complete) throw new Error('scrub did not complete');
  return outcome.evidence;
}

/** The data tables only (the engine's state table is compared separately). */
function dataOf(dump: Dump): Dump {
  return Object.fromEntries(Object.entries(dump).filter(([t]) => !t.startsWith('_clinspark_scrub')));
}

describe('PII scrub of the volunteer fixture', () => {
  let a: FixtureDb;
  let before: Dump;
  let after: Dump;
  let evidence: ScrubEvidence;
  const progress: ScrubProgress[] = [];

  beforeAll(async () => {
    a = await fixtureDb('scrub_main');
    before = await dumpDatabase(a.conn, a.name);
    evidence = await scrub(a, KEY_A, 'main-1', progress);
    after = await dumpDatabase(a.conn, a.name);
  });

  afterAll(async () => a.close());

  test('no original personal value is left anywhere in the database (every text column of every table)', async () => {
    const originals = [...originalTextValues(before)].map((v) => v.toLowerCase());
    expect(originals.length).toBeGreaterThan(400);
    const text = await textColumns(a.conn, a.name);
    const leaks: string[] = [];
    for (const [table, cols] of text) {
      for (const row of after[table]) {
        for (const c of cols) {
          const cell = row[c]?.toLowerCase();
          if (!cell) continue;
          for (const o of originals) if (cell === o || (o.length >= 6 && cell.includes(o))) leaks.push(`${table}.${c}`);
        }
      }
    }
    expect(leaks).toEqual([]);
    expect([...text.keys()].sort()).toEqual([
      '_clinspark_scrub_state',
      'audit_events',
      'contacts',
      'lab_results',
      'studies',
      'visits',
      'volunteers',
    ]);
  });

  test('every masked value changed; NULL stays NULL and empty text stays empty', () => {
    for (const t of MASK_TABLES) {
      for (const c of t.columns) {
        if (c.strategy === 'keep') continue;
        before[t.table].forEach((row, i) => {
          const was = row[c.column];
          const now = after[t.table][i][c.column];
          const where = `${t.table}.${c.column} row ${row.id}`;
          if (c.strategy === 'null') return expect([where, now]).toEqual([where, null]);
          if (was === null || was === '') return expect([where, now]).toEqual([where, was]);
          // The only legitimate equality: a date of birth that already was the first of January.
          if (c.strategy === 'generalize' && was.endsWith('-01-01')) return expect(now).toBe(was);
          expect([where, now]).not.toEqual([where, was]);
        });
      }
    }
  });

  test('kept columns, untouched tables and the ON UPDATE timestamp are byte-identical', async () => {
    for (const t of MASK_TABLES) {
      const kept = t.columns.filter((c) => c.strategy === 'keep').map((c) => c.column);
      const [rows] = await a.conn.query(
        `SELECT ${kept.map((c) => `HEX(CAST(\`${c}\` AS BINARY)) AS \`${c}\``).join(', ')} FROM \`${t.table}\` x ORDER BY x.id`,
      );
      const hex = (v: string | null) => (v === null ? null : Buffer.from(v, 'utf8').toString('hex').toUpperCase());
      expect(rows).toEqual(before[t.table].map((r) => Object.fromEntries(kept.map((c) => [c, hex(r[c])]))));
    }
    expect(after.studies).toEqual(before.studies);
    expect(column(after, 'contacts', 'relationship')[0]).toBe('époux ❤');
    expect(new Set(column(after, 'volunteers', 'updated_at'))).toEqual(new Set(['2021-06-01 12:00:00']));
  });

  test('row counts are unchanged, the truncated table is empty, and every foreign key still joins', async () => {
    for (const t of MASK_TABLES) expect(after[t.table]).toHaveLength(before[t.table].length);
    expect(after.audit_events).toEqual([]);
    const joins = [
      'SELECT COUNT(*) AS n FROM visits v JOIN volunteers p ON p.id = v.volunteer_id',
      'SELECT COUNT(*) AS n FROM lab_results l JOIN visits v ON v.id = l.visit_id JOIN volunteers p ON p.id = l.volunteer_id',
      'SELECT COUNT(*) AS n FROM contacts c JOIN volunteers p ON p.id = c.volunteer_id',
      'SELECT COUNT(*) AS n FROM visits v JOIN studies s ON s.code = v.study_code',
    ];
    for (const sql of joins) {
      const [rows] = await a.conn.query(sql);
      expect(Number((rows as Array<{ n: number }>)[0].n)).toBe(
        a.counts.visits === 0 ? 0 : sql.includes('contacts') ? a.counts.contacts : a.counts.visits,
      );
    }
    expect(evidence.verification?.checks.filter((c) => c.check === 'foreign-key').map((c) => [c.constraint, c.violations])).toEqual([
      ['fk_contacts_volunteer', 0],
      ['fk_lab_visit', 0],
      ['fk_lab_volunteer', 0],
      ['fk_visits_study', 0],
      ['fk_visits_volunteer', 0],
    ]);
  });

  test('linked values stay joinable: one address or number gives one fake in every table, different ones differ', () => {
    const email = (table: string, id: number) =>
      after[table].find((r) => r[table === 'volunteers' ? 'id' : 'volunteer_id'] === String(id))?.email;
    for (const id of [1, 2, 3]) expect(email('contacts', id)).toBe(email('volunteers', id));
    // 'JOSE.GARCIA@Correo.Example.com' (volunteer) and 'jose.garcia@correo.example.com' (contact): one address.
    expect(before.volunteers[2].email).not.toBe(before.contacts[2].email);
    const fakes = column(after, 'volunteers', 'email').filter((e) => e);
    expect(new Set(fakes).size).toBe(fakes.length);
    // '(555) 867-5309' and '555.867.5309' are the same number written differently.
    expect(after.volunteers[6].phone).toBe(after.volunteers[2].phone);
    expect(after.contacts[2].phone).toBe(after.volunteers[2].phone);
    // The same names give the same pseudonyms (volunteers 3 and 7 are namesakes).
    expect([after.volunteers[6].first_name, after.volunteers[6].last_name]).toEqual([
      after.volunteers[2].first_name,
      after.volunteers[2].last_name,
    ]);
  });

  test('masked values have the promised form', () => {
    const v = after.volunteers;
    const nonEmpty = (table: string, c: string) => column(after, table, c).filter((x): x is string => x !== null && x !== '');
    for (const e of [...nonEmpty('volunteers', 'email'), ...nonEmpty('contacts', 'email')])
      expect(e).toMatch(/^u[0-9a-f]{16}@example\.invalid$/);
    for (const p of [...nonEmpty('volunteers', 'phone'), ...nonEmpty('contacts', 'phone')]) expect(p).toMatch(/^\+1 \d{3} 555 01\d{2}$/);
    for (const h of nonEmpty('volunteers', 'national_id')) expect(h).toMatch(/^[0-9a-f]{32}$/);
    for (const d of nonEmpty('volunteers', 'date_of_birth')) expect(d).toMatch(/^\d{4}-01-01$/);
    for (const f of nonEmpty('volunteers', 'first_name')) expect(FIRST_NAMES).toContain(f);
    for (const l of nonEmpty('volunteers', 'last_name')) expect(LAST_NAMES).toContain(l);
    for (const c of nonEmpty('volunteers', 'city')) expect(CITIES).toContain(c);
    for (const s of nonEmpty('volunteers', 'address_line')) expect(STREETS).toContain(s.replace(/^\d{1,3} /, ''));
    for (const n of nonEmpty('contacts', 'full_name')) {
      const [first, ...rest] = n.split(' ');
      expect([FIRST_NAMES.includes(first), LAST_NAMES.includes(rest.join(' '))]).toEqual([true, true]);
    }
    expect(column(after, 'volunteers', 'notes').every((n) => n === null)).toBe(true);
    expect(column(after, 'visits', 'comments').every((n) => n === null)).toBe(true);
    // partial keepFirst 2: '75002' -> '75***'; 'A' is too short to keep anything.
    expect([v[0].postal_code, v[3].postal_code, v[8].postal_code]).toEqual(['75***', '10******', '*']);
  });

  test('dateShift moves every date of one volunteer by the same non-zero offset (intervals survive)', () => {
    const offsets = new Map<string, number>();
    before.volunteers.forEach((row, i) =>
      offsets.set(row.id as string, daysBetween(row.registered_at as string, after.volunteers[i].registered_at as string)),
    );
    for (const o of offsets.values()) expect(o === 0 || Math.abs(o) > 30).toBe(false);
    expect(new Set(offsets.values()).size).toBeGreaterThan(10);
    before.volunteers.forEach((row, i) =>
      expect((after.volunteers[i].registered_at as string).slice(11)).toBe((row.registered_at as string).slice(11)),
    );
    before.visits.forEach((row, i) => {
      const offset = offsets.get(row.volunteer_id as string);
      expect([row.id, daysBetween(row.visit_date as string, after.visits[i].visit_date as string)]).toEqual([row.id, offset]);
      if (row.checked_in_at) expect(daysBetween(row.checked_in_at, after.visits[i].checked_in_at as string)).toBe(offset);
      else expect(after.visits[i].checked_in_at).toBeNull();
    });
    before.lab_results.forEach((row, i) =>
      expect(daysBetween(row.collected_at as string, after.lab_results[i].collected_at as string)).toBe(
        offsets.get(row.volunteer_id as string),
      ),
    );
  });

  test('evidence: counts per table and rule, verification passed, and no key or data value in it or in the progress reports', () => {
    expect(evidence).toMatchObject({
      evidenceVersion: 1,
      mode: 'scrub',
      runId: 'main-1',
      database: a.name,
      status: 'succeeded',
      rulesetSha256: RULES.sha256,
      keyFingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const volunteers = evidence.tables.find((t) => t.table === 'volunteers');
    expect(volunteers).toMatchObject({ action: 'mask', rowsBefore: a.counts.volunteers, rowsAfter: a.counts.volunteers });
    const emails = before.volunteers.filter((r) => r.email).length;
    expect(volunteers?.columns?.find((c) => c.column === 'email')).toEqual({
      column: 'email',
      strategy: 'email',
      options: { domain: 'example.invalid' },
      valuesMasked: emails,
    });
    expect(evidence.tables.find((t) => t.table === 'audit_events')).toEqual({
      table: 'audit_events',
      action: 'truncate',
      rowsBefore: a.counts.auditEvents,
      rowsAfter: 0,
    });
    expect(evidence.verification?.passed).toBe(true);
    const checks = evidence.verification?.checks ?? [];
    expect(checks.every((c) => c.passed && c.violations === 0)).toBe(true);
    // Every masked column: no original left (checked while masking) or masked as planned (checked afterwards).
    const perColumn = new Set(
      checks.filter((c) => ['no-original-values', 'masked-as-planned'].includes(c.check)).map((c) => `${c.table}.${c.column}`),
    );
    expect(perColumn.size).toBe(19);
    expect(checks.filter((c) => c.check === 'pii-scan').map((c) => c.table)).toEqual([
      'volunteers',
      'contacts',
      'visits',
      'lab_results',
      'studies',
    ]);
    expect(evidence.inventory?.schemas).toEqual([
      {
        schema: a.name,
        tables: [
          { table: 'volunteers', rows: a.counts.volunteers, rule: 'mask' },
          { table: 'contacts', rows: a.counts.contacts, rule: 'mask' },
          { table: 'visits', rows: a.counts.visits, rule: 'mask' },
          { table: 'lab_results', rows: a.counts.labResults, rule: 'mask' },
          { table: 'audit_events', rows: a.counts.auditEvents, rule: 'truncate' },
          { table: 'studies', rows: 2, rule: 'keep' },
        ],
      },
    ]);
    expect(evidence.steps.map((s) => `${s.step}${s.table ? `:${s.table}` : ''}`)).toEqual([
      'mask:volunteers',
      'mask:contacts',
      'mask:visits',
      'mask:lab_results',
      'truncate:audit_events',
      'verify:volunteers',
      'verify:contacts',
      'verify:visits',
      'verify:lab_results',
      'scan:studies',
      'verify-foreign-keys',
      'verify-row-counts',
      'cleanup',
    ]);
    const published = JSON.stringify(evidence).toLowerCase() + JSON.stringify(progress).toLowerCase();
    for (const s of secretsOf(KEY_A)) expect(published).not.toContain(s.toLowerCase());
    for (const o of originalTextValues(before)) if (o.length >= 4) expect([o, published.includes(o.toLowerCase())]).toEqual([o, false]);
    expect(new Set(progress.flatMap((p) => Object.keys(p)))).toEqual(
      new Set(['runId', 'step', 'table', 'rowsDone', 'rowsTotal', 'rowsPerSecond', 'stepDone']),
    );
  });

  test('the originals tables are dropped; the state table records the run without values', async () => {
    expect(await tableNames(a.conn, a.name)).toEqual([
      '_clinspark_scrub_state',
      'audit_events',
      'contacts',
      'lab_results',
      'studies',
      'visits',
      'volunteers',
    ]);
    const [rows] = await a.conn.query(
      'SELECT run_id, status, ruleset_sha256, key_fingerprint, finished_at IS NOT NULL AS finished FROM _clinspark_scrub_state',
    );
    expect(rows).toEqual([
      { run_id: 'main-1', status: 'succeeded', ruleset_sha256: RULES.sha256, key_fingerprint: evidence.keyFingerprint, finished: 1 },
    ]);
    const [state] = await a.conn.query('SELECT progress FROM _clinspark_scrub_state');
    const text = String((state as Array<{ progress: string }>)[0].progress).toLowerCase();
    for (const s of secretsOf(KEY_A)) expect(text).not.toContain(s.toLowerCase());
  });

  test('calling again with the finished run id returns the same evidence and changes nothing', async () => {
    const again = await runScrub({ connection: a.conn, database: a.name, rules: RULES, key: KEY_A, runId: 'main-1' });
    expect(again).toEqual({ complete: true, runId: 'main-1', evidence });
    expect(dataOf(await dumpDatabase(a.conn, a.name))).toEqual(dataOf(after));
  });

  test('verify-only passes on the scrubbed database and changes nothing', async () => {
    const result = await verifyScrubbed({ connection: a.conn, database: a.name, rules: RULES, runId: 'verify-1' });
    expect(result).toMatchObject({ mode: 'verify-only', status: 'succeeded', verification: { passed: true } });
    expect(result.verification?.limitations?.join(' ')).toMatch(/dateShift/);
    expect(await dumpDatabase(a.conn, a.name)).toEqual(after);
  });

  describe('determinism and repeated runs', () => {
    let b: FixtureDb;
    let c: FixtureDb;
    let afterB: Dump;
    let afterC: Dump;

    beforeAll(async () => {
      [b, c] = await Promise.all([fixtureDb('scrub_same_key'), fixtureDb('scrub_other_key')]);
      await scrub(b, KEY_A, 'same-key-1');
      await scrub(c, KEY_B, 'other-key-1');
      afterB = await dumpDatabase(b.conn, b.name);
      afterC = await dumpDatabase(c.conn, c.name);
    });

    afterAll(async () => Promise.all([b.close(), c.close()]));

    test('the same key reproduces the same output, whatever the batch size', () => {
      expect(dataOf(afterB)).toEqual(dataOf(after));
    });

    test('another key gives other values', () => {
      const differ = (table: string, col: string) => {
        const x = column(after, table, col);
        const y = column(afterC, table, col);
        const pairs = x.map((v, i) => [v, y[i]]).filter(([v]) => v !== null && v !== '');
        return pairs.filter(([v, w]) => v !== w).length / pairs.length;
      };
      expect(differ('volunteers', 'email')).toBe(1);
      expect(differ('volunteers', 'national_id')).toBe(1);
      expect(differ('volunteers', 'phone')).toBeGreaterThan(0.95);
      expect(differ('volunteers', 'first_name')).toBeGreaterThan(0.8);
      expect(differ('visits', 'visit_date')).toBeGreaterThan(0.8);
    });

    test('a second run (new run id, same key) on an already scrubbed database changes nothing and verifies', async () => {
      const second = await scrub(b, KEY_A, 'same-key-2');
      expect(second.status).toBe('succeeded');
      expect(dataOf(await dumpDatabase(b.conn, b.name))).toEqual(dataOf(afterB));
      const volunteers = second.tables.find((t) => t.table === 'volunteers');
      expect(volunteers?.columns?.every((c) => c.alreadyScrubbedBy === 'same-key-1')).toBe(true);
      expect(second.steps.map((s) => s.step)).not.toContain('mask');
      expect(second.verification?.checks.filter((c) => c.check === 'masked-format').length).toBeGreaterThan(10);
      const [runs] = await b.conn.query('SELECT run_id, status FROM _clinspark_scrub_state ORDER BY started_at, run_id');
      expect(runs).toEqual([
        { run_id: 'same-key-1', status: 'succeeded' },
        { run_id: 'same-key-2', status: 'succeeded' },
      ]);
    });
  });

  test('verify-only fails on a database that was not scrubbed, naming the checks', async () => {
    const raw = await fixtureDb('scrub_unscrubbed', 3);
    try {
      const snapshot = await dumpDatabase(raw.conn, raw.name);
      const result = await verifyScrubbed({ connection: raw.conn, database: raw.name, rules: RULES, runId: 'verify-raw' });
      expect(result.status).toBe('failed');
      const failed = result.verification?.checks
        .filter((c) => !c.passed)
        .map((c) => `${c.check} ${c.table}${c.column ? `.${c.column}` : ''}`);
      expect(failed).toEqual(
        expect.arrayContaining([
          'masked-format volunteers.email',
          'masked-format volunteers.first_name',
          'masked-format volunteers.notes',
          'masked-format volunteers.date_of_birth',
          'truncated-empty audit_events',
          'masked-format contacts.phone',
        ]),
      );
      expect(result.error).toMatch(/^verification failed: volunteers\.first_name: masked-format \(\d+\); /);
      expect(await dumpDatabase(raw.conn, raw.name)).toEqual(snapshot);
    } finally {
      await raw.close();
    }
  });
});
