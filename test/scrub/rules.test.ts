/** The rules file alone: parsing, validation messages, the JSON Schema (no database). */
import * as fs from 'fs';
import * as path from 'path';
import {
  DEFAULT_EMAIL_DOMAIN,
  DEFAULT_PHONE_FORMAT,
  MaskTableRules,
  ScrubRulesError,
  formatRulesIssue,
  parseScrubRules,
  rulesetSha256,
  scrubRulesJsonSchema,
} from '../../constructs/pii-scrub';
import { RULES_YAML } from './fixtures/volunteers';

const FILE = 'rules/test.rules.yaml';

/** The formatted problems of a rules text (fails the test when the text is valid). */
function problems(yaml: string): string[] {
  try {
    parseScrubRules(yaml, FILE);
  } catch (e) {
    if (e instanceof ScrubRulesError) return e.issues.map(formatRulesIssue);
    throw e;
  }
  throw new Error('expected the rules to be rejected');
}

function table(yaml: string, name: string): MaskTableRules {
  const t = parseScrubRules(yaml, FILE).tables.find((x) => x.table === name);
  if (!t || t.action !== 'mask') throw new Error(`no mask table ${name}`);
  return t;
}

describe('scrub rules: parsing', () => {
  test('the example ruleset parses, with defaults resolved and the text hashed', () => {
    // GIVEN the shipped example WHEN parsed
    const rules = parseScrubRules(RULES_YAML, 'config/scrub/volunteers.rules.yaml');
    // THEN tables keep file order, options get their defaults, the SHA-256 is of the text
    expect(rules.tables.map((t) => `${t.table}:${t.action}`)).toEqual([
      'volunteers:mask',
      'contacts:mask',
      'visits:mask',
      'lab_results:mask',
      'audit_events:truncate',
      'studies:keep',
    ]);
    const volunteers = rules.tables[0] as MaskTableRules;
    const rule = (c: string) => volunteers.columns.find((x) => x.column === c);
    expect(rule('email')).toEqual({ column: 'email', strategy: 'email', domain: DEFAULT_EMAIL_DOMAIN });
    expect(rule('phone')).toEqual({ column: 'phone', strategy: 'phone', format: DEFAULT_PHONE_FORMAT });
    expect(rule('registered_at')).toEqual({ column: 'registered_at', strategy: 'dateShift', days: 30, subject: 'id' });
    expect(rule('postal_code')).toEqual({ column: 'postal_code', strategy: 'partial', keepFirst: 2, keepLast: 0, mask: '*' });
    expect(rules.sha256).toBe(rulesetSha256(RULES_YAML));
    expect(rules.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each([
    ['YAML null', 'notes: null'],
    ['YAML ~', 'notes: ~'],
    ['the string', "notes: 'null'"],
    ['strategy: null', 'notes: { strategy: null }'],
  ])('the null strategy can be written as %s', (_label, line) => {
    const t = table(`version: 1\ntables:\n  v:\n    columns:\n      id: keep\n      ${line}\n`, 'v');
    expect(t.columns[1]).toEqual({ column: 'notes', strategy: 'null' });
  });

  test('a key written without a value is an error, not the null strategy', () => {
    expect(problems('version: 1\ntables:\n  v:\n    columns:\n      id: keep\n      notes:\n')).toEqual([
      `${FILE}: tables.v.columns.notes: has no value; write a strategy (keep, null, ` +
        `fixed, hash, pseudonym, email, phone, partial, dateShift, generalize); to set ` +
        `the column to NULL write 'null' explicitly (line 6)`,
    ]);
  });
});

describe('scrub rules: validation errors', () => {
  test.each([
    [
      'unknown key in a rule',
      'email: { strategy: email, domian: example.test }',
      /tables\.v\.columns\.email\.domian: unknown key 'domian' \(did you mean 'domain'\?\); strategy 'email' allows: strategy, domain \(line 6\)/,
    ],
    [
      'unknown strategy',
      'email: { strategy: emial }',
      /tables\.v\.columns\.email\.strategy: unknown strategy 'emial' \(did you mean 'email'\?\); strategies: keep, null/,
    ],
    ['unknown shorthand strategy', 'email: scramble', /tables\.v\.columns\.email: unknown strategy 'scramble'; strategies:/],
    [
      'shorthand without required options',
      'email: pseudonym',
      /tables\.v\.columns\.email: strategy 'pseudonym' needs options; write \{ strategy: pseudonym, kind: firstName \}/,
    ],
    [
      'missing required option',
      'email: { strategy: fixed }',
      /tables\.v\.columns\.email\.value: is required: The value written to every non-NULL row\./,
    ],
    [
      'bad pseudonym kind',
      'email: { strategy: pseudonym, kind: nickname }',
      /tables\.v\.columns\.email\.kind: must be one of firstName, lastName, fullName, city, street/,
    ],
    [
      'a real mail domain',
      'email: { strategy: email, domain: gmail.com }',
      /tables\.v\.columns\.email\.domain: must be a reserved domain that can never receive mail/,
    ],
    ['a short hash', 'email: { strategy: hash, length: 8 }', /tables\.v\.columns\.email\.length: must be at least 16/],
    [
      'a phone format without digits to fill',
      "email: { strategy: phone, format: '+1 555 0100' }",
      /tables\.v\.columns\.email\.format: must contain 2 to 16 #/,
    ],
    ['dateShift without a subject', 'email: dateShift', /tables\.v\.columns\.email: dateShift needs a subject column/],
    [
      'a list instead of a rule',
      'email: [email]',
      /tables\.v\.columns\.email: must be a strategy name or a mapping with 'strategy', not a list/,
    ],
    ['a mapping without strategy', 'email: { kind: firstName }', /tables\.v\.columns\.email: has no 'strategy'/],
  ])('%s', (_label, line, expected) => {
    const found = problems(`version: 1\ntables:\n  v:\n    columns:\n      id: keep\n      ${line}\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${FILE.replace(/[.]/g, '\\.')}: `));
    expect(found[0]).toMatch(expected);
  });

  test('every problem of the file is reported together, in line order', () => {
    const found = problems(
      [
        'version: 2',
        'extra: true',
        'tables:',
        '  volunteers:',
        '    kee: id',
        '    columns:',
        '      email: { strategy: emial }',
        '      phone: { strategy: phone, format: 12 }',
        '  audit_events: truncat',
        '  _clinspark_scrub_state: truncate',
        '',
      ].join('\n'),
    );
    expect(found).toEqual([
      `${FILE}: version: must be 1 (the only rules format version) (line 1)`,
      `${FILE}: extra: unknown key 'extra'; the rules file allows: version, tables, schemas, detect (line 2)`,
      `${FILE}: tables.volunteers.kee: unknown key 'kee' (did you mean 'key'?); a ` +
        `table allows: key, subject, allowUpdateTriggers, columns (line 5)`,
      expect.stringMatching(
        /^rules\/test\.rules\.yaml: tables\.volunteers\.columns\.email\.strategy: unknown strategy 'emial' \(did you mean 'email'\?\).*\(line 7\)$/,
      ),
      `${FILE}: tables.volunteers.columns.phone.format: must be a string, not number 12 (line 8)`,
      expect.stringMatching(
        /^rules\/test\.rules\.yaml: tables\.audit_events: must be 'truncate', 'keep' or a mapping with 'columns' .*\(did you mean 'truncate'\?\) \(line 9\)$/,
      ),
      `${FILE}: tables._clinspark_scrub_state: tables starting with '_clinspark_scrub' ` +
        `are the engine's own scratch tables and cannot be scrubbed by rules (line 10)`,
    ]);
  });

  test('invalid YAML and an empty file are reported with the file name', () => {
    expect(problems('version: 1\ntables: {\n')[0]).toMatch(/^rules\/test\.rules\.yaml: \(file\): is not valid YAML: /);
    expect(problems('# only a comment\n')).toEqual([
      `${FILE}: (file): is empty; a rules file starts with 'version: 1' and 'tables:' (see docs/scrub.md)`,
    ]);
    expect(problems('version: 1\ntables: {}\n')).toEqual([`${FILE}: tables: lists no table; name at least one table to scrub (line 2)`]);
  });
});

describe('scrub rules: JSON Schema', () => {
  test('schema/scrub-rules.schema.json is generated from the zod model (run `npm run schema` when this fails)', () => {
    const committed = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'scrub-rules.schema.json'), 'utf8'));
    expect(committed).toEqual(scrubRulesJsonSchema());
  });

  test('the schema closes every object and lists every strategy', () => {
    const text = JSON.stringify(scrubRulesJsonSchema());
    for (const s of ['keep', 'null', 'fixed', 'hash', 'pseudonym', 'email', 'phone', 'partial', 'dateShift', 'generalize'])
      expect(text).toContain(`"const":"${s}"`);
    expect(text).toContain('"additionalProperties":false');
  });
});
