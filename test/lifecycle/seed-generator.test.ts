/** The seed generator: pure, deterministic, and every personal value from the scrub engine's dictionaries and formats. */
import { CITIES, FIRST_NAMES, LAST_NAMES, STREETS } from '../../constructs/pii-scrub/engine/dictionaries';
import { SEED_TABLES, SeedStream, generateSeed, seedFingerprint, volunteerNumber } from '../../constructs/lifecycle/seed/generator';
import { splitStatements } from '../../constructs/lifecycle/seed/sql';

describe('generateSeed', () => {
  test('the same seed gives the same rows; another seed other rows', () => {
    const a = generateSeed({ seed: 'acme', volunteers: 50 });
    expect(generateSeed({ seed: 'acme', volunteers: 50 })).toEqual(a);
    const b = generateSeed({ seed: 'acme-2', volunteers: 50 });
    expect(b.volunteers).not.toEqual(a.volunteers);
    expect(seedFingerprint(b, 'x')).not.toBe(seedFingerprint(a, 'x'));
    expect(seedFingerprint(a, 'x')).not.toBe(seedFingerprint(a, 'y'));
  });

  test('volunteer i depends on the seed and i only: a larger count keeps the first volunteers', () => {
    const small = generateSeed({ seed: 'acme', volunteers: 10 });
    const large = generateSeed({ seed: 'acme', volunteers: 30 });
    expect(large.volunteers.slice(0, 10)).toEqual(small.volunteers);
    expect(large.contacts.slice(0, small.contacts.length)).toEqual(small.contacts);
  });

  test('every table of the model has rows, and references point at seeded rows', () => {
    const data = generateSeed({ seed: 'refs', volunteers: 40 });
    for (const t of SEED_TABLES) expect(data[t].length).toBeGreaterThan(0);
    expect(data.volunteers.map((v) => v.volunteer_number)).toEqual(Array.from({ length: 40 }, (_, i) => volunteerNumber(i + 1)));
    const codes = new Set(data.studies.map((s) => s.code));
    for (const c of data.contacts) expect(Number(c.volunteer_id)).toBeLessThanOrEqual(40);
    for (const v of data.visits) expect(codes.has(v.study_code as string)).toBe(true);
    for (const l of data.lab_results) {
      const visit = data.visits[Number(l.visit_id) - 1];
      expect(visit.volunteer_id).toBe(l.volunteer_id);
    }
  });

  test('no personal value outside the dictionaries and the fiction ranges', () => {
    const data = generateSeed({ seed: 'dictionaries', volunteers: 300 });
    const first = new Set(FIRST_NAMES);
    const last = new Set(LAST_NAMES);
    for (const v of data.volunteers) {
      expect(first.has(v.first_name as string)).toBe(true);
      if (v.middle_name !== null) expect(first.has(v.middle_name as string)).toBe(true);
      expect(last.has(v.last_name as string)).toBe(true);
      expect(CITIES).toContain(v.city);
      expect(v.email).toMatch(/^u[0-9a-f]{16}@example\.invalid$/);
      expect(v.phone).toMatch(/^\+1 [0-9]{3} 555 01[0-9]{2}$/);
      const m = /^([1-9][0-9]{0,2}) (.+)$/.exec(v.address_line as string);
      expect(m && STREETS.includes(m[2])).toBeTruthy();
      expect(v.national_id).toMatch(/^[0-9a-f]{32}$/);
      expect(v.postal_code).toMatch(/^[0-9]{2}\*\*\*$/);
    }
    for (const c of data.contacts) {
      const [f, l, ...rest] = (c.full_name as string).split(' ');
      expect([first.has(f), last.has(l), rest]).toEqual([true, true, []]);
      if (c.email !== null) expect(c.email).toMatch(/^u[0-9a-f]{16}@example\.invalid$/);
      expect(c.phone).toMatch(/^\+1 [0-9]{3} 555 01[0-9]{2}$/);
    }
  });

  test.each([[-1], [1.5], [20_001]])('refuses %p volunteers', (n) => {
    expect(() => generateSeed({ seed: 's', volunteers: n })).toThrow(/volunteers must be an integer between 0 and 20000/);
  });

  test('the stream is a SHA-256 counter stream of the seed and label', () => {
    expect(new SeedStream('s', 'l').hex(80)).toBe(new SeedStream('s', 'l').hex(80));
    expect(new SeedStream('s', 'l').hex(16)).not.toBe(new SeedStream('s', 'm').hex(16));
  });
});

describe('splitStatements', () => {
  test('splits on ; outside quotes and comments, drops comment-only pieces, keeps executable comments', () => {
    const sql = [
      '-- a comment; with a semicolon',
      "CREATE TABLE a (x VARCHAR(5) DEFAULT 'a;b');",
      '/* block; */',
      '# hash comment;',
      'INSERT INTO `we;ird` VALUES ("x\\";y");',
      '/*!40101 SET NAMES utf8mb4 */;',
      '',
    ].join('\n');
    const out = splitStatements(sql);
    expect(out).toHaveLength(3);
    expect(out[0]).toContain("DEFAULT 'a;b')");
    expect(out[1]).toContain('`we;ird` VALUES ("x\\";y")');
    expect(out[2]).toBe('/*!40101 SET NAMES utf8mb4 */');
  });

  test('refuses DELIMITER', () => {
    expect(() => splitStatements('DELIMITER //\nCREATE PROCEDURE p() BEGIN END //')).toThrow(/DELIMITER/);
  });
});
