/**
 * The scrub rules file: its typed model (zod 4), the parser/validator that reports every problem
 * as `<rules file>: <path>: <problem and fix>`, and the JSON Schema generated from the same model.
 *
 * This file checks what the rules file alone can tell. Whether the rules fit the live database
 * (tables and columns exist, every column has a rule, types fit) is checked by plan.ts.
 *
 * ```yaml
 * version: 1
 * tables:
 *   volunteers:
 *     key: id                 # single-column integer key used for batching (detected if omitted)
 *     subject: id             # column identifying the volunteer, for dateShift
 *     columns:
 *       id: keep
 *       first_name: { strategy: pseudonym, kind: firstName }
 *       email: email
 *       notes: null           # the `null` strategy (YAML null or the string 'null')
 *   audit_events: truncate
 * ```
 */
import { createHash } from 'crypto';
import { Document, LineCounter, isScalar, parseDocument } from 'yaml';
import { z } from 'zod';
import { lineOf } from '../../core/file-issues';
import { RulesIssue, RulesPathSegment, ScrubRulesError, describeValue, didYouMean } from './issues';

/** Every strategy a column rule may name. */
export const STRATEGIES = ['keep', 'null', 'fixed', 'hash', 'pseudonym', 'email', 'phone', 'partial', 'dateShift', 'generalize'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** Strategies that may be written as a bare word (`email: email`); the others need options. */
export const SHORTHAND_STRATEGIES = ['keep', 'null', 'hash', 'email', 'phone', 'dateShift', 'generalize'] as const;

/** Dictionaries a `pseudonym` rule may draw from (see dictionaries.ts). */
export const PSEUDONYM_KINDS = ['firstName', 'lastName', 'fullName', 'city', 'street'] as const;
export type PseudonymKind = (typeof PSEUDONYM_KINDS)[number];

/** Prefix of the engine's own scratch tables; a rules file may not name them. */
export const SCRATCH_TABLE_PREFIX = '_clinspark_scrub';

export const DEFAULT_EMAIL_DOMAIN = 'example.invalid';
/** NANP numbers 555-0100..555-0199 are reserved for fiction in every area code. */
export const DEFAULT_PHONE_FORMAT = '+1 ### 555 01##';
export const DEFAULT_DATE_SHIFT_DAYS = 30;
export const DEFAULT_PARTIAL_MASK = '*';

const RESERVED_DOMAIN_RE =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.(?:invalid|test|example|localhost)|example\.(?:com|net|org))$/;

const identifierSchema = z
  .string({ error: 'must be a table or column name (a string)' })
  .min(1, { error: 'must not be empty' })
  .max(64, { error: 'must be at most 64 characters (a MySQL identifier)' })
  // eslint-disable-next-line no-control-regex -- NUL is exactly the character this refuses
  .regex(/^[^`\u0000]+$/, { error: 'must not contain backticks or NUL characters' });

const keepRule = z.strictObject({ strategy: z.literal('keep') }).describe('Leave the column unchanged (it holds no personal data).');

const nullRule = z
  .strictObject({ strategy: z.union([z.literal('null'), z.null()]) })
  .describe('Set the column to NULL (the column must be nullable).');

const fixedRule = z
  .strictObject({
    strategy: z.literal('fixed'),
    value: z
      .union([z.string().max(1000, { error: 'must be at most 1000 characters' }), z.number()], {
        error: 'must be a string or a number, e.g. value: "redacted"',
      })
      .describe('The value written to every non-NULL row.'),
  })
  .describe('Replace every non-NULL value with one given value.');

const hashRule = z
  .strictObject({
    strategy: z.literal('hash'),
    length: z
      .number()
      .int({ error: 'must be a whole number' })
      .min(16, { error: 'must be at least 16 (shorter keyed hashes collide and may equal the original)' })
      .max(64, { error: 'must be at most 64 (the length of a hex HMAC-SHA256)' })
      .optional()
      .describe('Characters of hex HMAC to keep. @default the column length, at most 64'),
  })
  .describe('Replace the value with its keyed hash (lowercase hex HMAC-SHA256), truncated to the column length.');

const pseudonymRule = z
  .strictObject({
    strategy: z.literal('pseudonym'),
    kind: z
      .enum(PSEUDONYM_KINDS, { error: `must be one of ${PSEUDONYM_KINDS.join(', ')}` })
      .describe('The dictionary the pseudonym is drawn from.'),
  })
  .describe('Replace the value with a name, city or street picked from a bundled dictionary by keyed hash of the value.');

const emailRule = z
  .strictObject({
    strategy: z.literal('email'),
    domain: z
      .string()
      .regex(RESERVED_DOMAIN_RE, {
        error:
          'must be a reserved domain that can never receive mail (RFC 2606/6761): ' +
          '*.invalid, *.test, *.example, *.localhost or example.com/net/org',
      })
      .optional()
      .describe(`Reserved domain of the fake addresses. @default "${DEFAULT_EMAIL_DOMAIN}"`),
  })
  .describe('Replace the address with u<16 hex of keyed hash>@<reserved domain>; the address is lower-cased and trimmed before hashing.');

const phoneRule = z
  .strictObject({
    strategy: z.literal('phone'),
    format: z
      .string()
      .regex(/^[0-9+() .#-]{1,40}$/, {
        error: 'may only contain digits, spaces, + ( ) . - and # (a generated digit), at most 40 characters',
      })
      .refine((f) => (f.match(/#/g) ?? []).length >= 2 && (f.match(/#/g) ?? []).length <= 16, {
        error: 'must contain 2 to 16 # (each # becomes a digit derived from the keyed hash)',
      })
      .optional()
      .describe(`Pattern of the fake number; each # is a digit. Use a range reserved for fiction. @default "${DEFAULT_PHONE_FORMAT}"`),
  })
  .describe('Replace the number with a fictional one whose # digits come from the keyed hash of the digits of the value.');

const keepCount = z
  .number()
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must be 0 or more' })
  .max(16, { error: 'must be at most 16' })
  .optional();

const partialRule = z
  .strictObject({
    strategy: z.literal('partial'),
    keepFirst: keepCount.describe('Leading characters kept. @default 0'),
    keepLast: keepCount.describe('Trailing characters kept. @default 0'),
    mask: z
      .string()
      .length(1, { error: 'must be exactly one character' })
      .optional()
      .describe(`Masking character. @default "${DEFAULT_PARTIAL_MASK}"`),
  })
  .describe(
    'Keep the first/last characters and mask the rest; a value too short to mask at ' +
      'least half (and 2) of its characters is masked entirely.',
  );

const dateShiftRule = z
  .strictObject({
    strategy: z.literal('dateShift'),
    days: z
      .number()
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(3650, { error: 'must be at most 3650' })
      .optional()
      .describe(`Largest shift in days; the shift is between -days and +days, never 0. @default ${DEFAULT_DATE_SHIFT_DAYS}`),
    subject: identifierSchema.optional().describe("Column whose value selects the shift (e.g. volunteer_id). @default the table's subject"),
  })
  .describe(
    'Shift dates by a non-zero number of days derived from the keyed hash of the subject column, so intervals within one subject survive.',
  );

const generalizeRule = z
  .strictObject({ strategy: z.literal('generalize') })
  .describe('Generalize a date (of birth) to the first day of its year, YYYY-01-01.');

/** Per-strategy option schemas: the validator and the JSON Schema use the same objects. */
export const STRATEGY_SCHEMAS: Record<StrategyName, z.ZodObject> = {
  keep: keepRule,
  null: nullRule,
  fixed: fixedRule,
  hash: hashRule,
  pseudonym: pseudonymRule,
  email: emailRule,
  phone: phoneRule,
  partial: partialRule,
  dateShift: dateShiftRule,
  generalize: generalizeRule,
};

const shorthandSchema = z
  .union([z.enum(SHORTHAND_STRATEGIES), z.null()])
  .describe('A strategy without options, written as a bare word; YAML null means the null strategy.');

/** One column's rule: a bare strategy name, or a mapping with `strategy` and its options. */
export const columnRuleSchema = z.union([shorthandSchema, ...Object.values(STRATEGY_SCHEMAS)]);

function tableSchemaWith(columns: z.ZodType) {
  return z
    .strictObject({
      key: z
        .union([
          identifierSchema,
          z.array(identifierSchema).min(1, { error: 'must list at least one column' }).max(16, { error: 'must list at most 16 columns' }),
        ])
        .optional()
        .describe(
          'Key used for batching: a column or a list of columns forming the primary key or ' +
            'a UNIQUE index of NOT NULL columns, of any type (integer, UUID, char, ' +
            'composite). @default the primary key, else the first UNIQUE index of NOT NULL ' +
            'columns, else a temporary surrogate key (see docs/scrub.md)',
        ),
      subject: identifierSchema.optional().describe('Column identifying the data subject (volunteer) for dateShift rules of this table.'),
      allowUpdateTriggers: z
        .boolean()
        .optional()
        .describe(
          'Mask even though the table has UPDATE triggers (check first that they cannot copy original values elsewhere). @default false',
        ),
      columns: columns.describe('Every column of the table, each with a rule (keep for columns without personal data).'),
    })
    .describe('A table whose columns are masked in place.');
}

const truncateSchema = z.literal('truncate').describe('Delete every row of the table.');
const keepTableSchema = z
  .literal('keep')
  .describe('Keep the whole table unchanged (it holds no personal data); its text columns are scanned for PII patterns after the scrub.');

/** A table of another schema: kept or truncated as a whole (masking happens in the scrubbed database). */
const otherTableSchema = z.union([keepTableSchema, truncateSchema]);

const schemaRuleSchema = z
  .union([
    z.literal('keep').describe('Keep every table of the schema unchanged; their text columns are scanned for PII patterns.'),
    z.literal('truncate').describe('Delete every row of every table of the schema.'),
    z
      .strictObject({
        tables: z.record(identifierSchema, otherTableSchema).describe('Every table of the schema: keep or truncate.'),
      })
      .describe('Name every table of the schema, each kept or truncated.'),
  ])
  .describe('What to do with another schema of the server.');

/** Default PII patterns of the verification scan (MySQL 8 / MariaDB REGEXP, matched case-sensitively on the UTF-8 text). */
export const DEFAULT_PII_PATTERNS: Readonly<Record<string, string>> = {
  email: '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}',
  phone: '\\+[0-9][0-9 ().-]{7,}[0-9]|\\(?[0-9]{3}\\)?[ .-]?[0-9]{3}[ .-][0-9]{4}|[0-9]{3,4}[ .-][0-9]{3,4}[ .-][0-9]{3,4}',
  nationalId:
    '(^|[^0-9A-Za-z])([0-9]{3}-[0-9]{2}-[0-9]{4}|[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D])([^0-9A-Za-z]|$)',
};

const patternNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, {
  error: 'must be a pattern name: a letter, then letters, digits, _ or -, at most 32 characters',
});

const detectSchema = z
  .strictObject({
    patterns: z
      .record(
        patternNameSchema,
        z.union([
          z.string().min(1, { error: 'must not be empty' }).max(1000, { error: 'must be at most 1000 characters' }),
          z.literal(false),
        ]),
      )
      .optional()
      .describe(
        `PII patterns (REGEXP, matched case-sensitively) added to or replacing the ` +
          `defaults by name; false disables a default. Defaults: ` +
          `${Object.keys(DEFAULT_PII_PATTERNS).join(', ')}.`,
      ),
    scanMaskedTables: z.boolean().optional().describe('Also scan the kept text columns of masked tables. @default true'),
    acknowledge: z
      .array(
        z.strictObject({
          table: z.string().min(1).max(129).describe('The table (`table` of the scrubbed database, or `schema.table`).'),
          column: identifierSchema.optional().describe('The column. @default every scanned column of the table'),
          pattern: patternNameSchema.optional().describe('The pattern. @default every pattern'),
          reason: z
            .string()
            .min(20, { error: 'must say why the match is not personal data (at least 20 characters)' })
            .max(500)
            .describe('Why the match is not personal data.'),
        }),
      )
      .optional()
      .describe('Findings of the scan that are not personal data (e.g. a vendor support address); each needs a reason.'),
  })
  .describe('The verification scan of kept text for PII patterns; a finding fails the run unless acknowledged.');

function rulesSchemaWith(table: z.ZodType) {
  return z
    .strictObject({
      $schema: z.string().optional().describe('Path or URL of this JSON Schema, for editors.'),
      version: z.literal(1, { error: 'must be 1 (the only rules format version)' }).describe('Rules format version.'),
      tables: z
        .record(identifierSchema, table)
        .describe('EVERY table of the scrubbed database: masked (columns), truncate or keep. A table not named here fails the plan.'),
      schemas: z
        .record(identifierSchema, schemaRuleSchema)
        .optional()
        .describe(
          'EVERY other non-system schema of the server (mysql, information_schema, ' +
            'performance_schema and sys excepted): keep, truncate, or per table. A schema ' +
            'not named here fails the plan.',
        ),
      detect: detectSchema.optional(),
    })
    .describe('ClinSpark PII scrub rules: how each table and column of a database copy is masked.');
}

/** The full model of a rules file, as published in schema/scrub-rules.schema.json. */
export const scrubRulesSchema = rulesSchemaWith(
  z.union([truncateSchema, keepTableSchema, tableSchemaWith(z.record(identifierSchema, columnRuleSchema))]),
);

/** JSON Schema of the rules file, generated from the zod model (`npm run schema` writes it). */
export function scrubRulesJsonSchema(): Record<string, unknown> {
  const json = z.toJSONSchema(scrubRulesSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...json, $id: 'https://clinspark.invalid/schema/scrub-rules.schema.json', title: 'ClinSpark PII scrub rules' };
}

// ---------------------------------------------------------------------------------------------
// The validated, typed rules.

export type ColumnStrategy =
  | { readonly strategy: 'keep' }
  | { readonly strategy: 'null' }
  | { readonly strategy: 'fixed'; readonly value: string | number }
  | { readonly strategy: 'hash'; readonly length?: number }
  | { readonly strategy: 'pseudonym'; readonly kind: PseudonymKind }
  | { readonly strategy: 'email'; readonly domain: string }
  | { readonly strategy: 'phone'; readonly format: string }
  | { readonly strategy: 'partial'; readonly keepFirst: number; readonly keepLast: number; readonly mask: string }
  | { readonly strategy: 'dateShift'; readonly days: number; readonly subject: string }
  | { readonly strategy: 'generalize' };

/** A column and its rule, options resolved to their defaults. */
export type ColumnRule = ColumnStrategy & { readonly column: string };

export interface MaskTableRules {
  readonly table: string;
  readonly action: 'mask';
  /** As written (one column or a list); plan.ts detects the key when absent. */
  readonly key?: readonly string[];
  readonly subject?: string;
  readonly allowUpdateTriggers: boolean;
  /** In file order. */
  readonly columns: readonly ColumnRule[];
}

export interface TruncateTableRules {
  readonly table: string;
  readonly action: 'truncate';
}

export interface KeepTableRules {
  readonly table: string;
  readonly action: 'keep';
}

export type TableRules = MaskTableRules | TruncateTableRules | KeepTableRules;

/** Another schema of the server: kept or truncated whole, or table by table. */
export type SchemaRules =
  | { readonly schema: string; readonly action: 'keep' | 'truncate' }
  | {
      readonly schema: string;
      readonly action: 'tables';
      readonly tables: ReadonlyArray<{ readonly table: string; readonly action: 'keep' | 'truncate' }>;
    };

export interface PiiAcknowledgement {
  /** `table` (scrubbed database) or `schema.table`. */
  readonly table: string;
  readonly column?: string;
  readonly pattern?: string;
  readonly reason: string;
}

export interface DetectRules {
  /** Name -> REGEXP, defaults merged with the file's patterns. */
  readonly patterns: Readonly<Record<string, string>>;
  readonly scanMaskedTables: boolean;
  readonly acknowledge: readonly PiiAcknowledgement[];
}

/** Schemas of the server that are never inventoried. */
export const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'] as const;

export interface ScrubRules {
  /** The file name used in messages. */
  readonly file: string;
  /** SHA-256 (hex) of the rules text, recorded in evidence. */
  readonly sha256: string;
  readonly version: 1;
  /** In file order. */
  readonly tables: readonly TableRules[];
  /** Other schemas of the server, in file order. @default none */
  readonly schemas?: readonly SchemaRules[];
  /** The PII scan. @default the default patterns, masked tables scanned, nothing acknowledged */
  readonly detect?: DetectRules;
}

/** The detect rules of a ruleset, defaults applied. */
export function detectRulesOf(rules: ScrubRules): DetectRules {
  return rules.detect ?? { patterns: { ...DEFAULT_PII_PATTERNS }, scanMaskedTables: true, acknowledge: [] };
}

// ---------------------------------------------------------------------------------------------
// Validation.

type Report = (path: RulesPathSegment[], message: string) => void;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function valueAt(raw: unknown, p: readonly RulesPathSegment[]): unknown {
  let cur: unknown = raw;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** Reports zod issues of `value` (found at `base`) with messages that say what to write instead. */
function reportZodIssues(schema: z.ZodObject, value: unknown, base: RulesPathSegment[], report: Report, what: string): void {
  const parsed = schema.safeParse(value);
  if (parsed.success) return;
  const allowed = Object.keys(schema.shape).filter((k) => k !== '$schema');
  for (const issue of parsed.error.issues) {
    const p = [...base, ...(issue.path as RulesPathSegment[])];
    const v = valueAt(value, issue.path as RulesPathSegment[]);
    const field = issue.path[issue.path.length - 1];
    if (v === undefined && issue.path.length > 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_union')) {
      const description = typeof field === 'string' ? (schema.shape[field] as z.ZodType | undefined)?.description : undefined;
      report(p, `is required${description ? `: ${description}` : ''}`);
      continue;
    }
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          report([...p, key], `unknown key '${key}'${didYouMean(key, allowed)}; ${what} allows: ${allowed.join(', ')}`);
        }
        break;
      case 'invalid_type': {
        const expected = issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
        report(
          p,
          issue.message && !issue.message.startsWith('Invalid input') ? issue.message : `must be ${expected}, not ${describeValue(v)}`,
        );
        break;
      }
      case 'invalid_value':
        report(
          p,
          issue.message.startsWith('Invalid') ? `must be one of ${issue.values.map((x) => JSON.stringify(x)).join(', ')}` : issue.message,
        );
        break;
      case 'invalid_union':
        report(p, issue.message && issue.message !== 'Invalid input' ? issue.message : `has an invalid value (${describeValue(v)})`);
        break;
      default:
        report(p, issue.message);
    }
  }
}

const OPTION_EXAMPLES: Partial<Record<StrategyName, string>> = {
  fixed: '{ strategy: fixed, value: "redacted" }',
  pseudonym: '{ strategy: pseudonym, kind: firstName }',
  partial: '{ strategy: partial, keepLast: 4 }',
};

function strategyList(): string {
  return STRATEGIES.join(', ');
}

function parseColumnRule(
  raw: unknown,
  path: RulesPathSegment[],
  column: string,
  tableSubject: string | undefined,
  report: Report,
): ColumnRule | undefined {
  let strategy: unknown;
  let options: Record<string, unknown>;
  let strategyPath: RulesPathSegment[];
  if (raw === null || typeof raw === 'string') {
    strategy = raw === null ? 'null' : raw;
    options = { strategy };
    strategyPath = path;
  } else if (isRecord(raw)) {
    if (!('strategy' in raw)) {
      report(path, `has no 'strategy'; write e.g. { strategy: email } (strategies: ${strategyList()})`);
      return undefined;
    }
    strategy = raw.strategy === null ? 'null' : raw.strategy;
    options = { ...raw, strategy };
    strategyPath = [...path, 'strategy'];
  } else {
    report(path, `must be a strategy name or a mapping with 'strategy', not ${describeValue(raw)}; strategies: ${strategyList()}`);
    return undefined;
  }
  if (typeof strategy !== 'string' || !(STRATEGIES as readonly string[]).includes(strategy)) {
    const shown = typeof strategy === 'string' ? `'${strategy}'` : describeValue(strategy);
    report(
      strategyPath,
      `unknown strategy ${shown}${typeof strategy === 'string' ? didYouMean(strategy, STRATEGIES) : ''}; strategies: ${strategyList()}`,
    );
    return undefined;
  }
  const name = strategy as StrategyName;
  if (typeof raw === 'string' && !(SHORTHAND_STRATEGIES as readonly string[]).includes(name)) {
    report(path, `strategy '${name}' needs options; write ${OPTION_EXAMPLES[name] ?? `{ strategy: ${name}, ... }`}`);
    return undefined;
  }
  const schema = STRATEGY_SCHEMAS[name];
  let ok = true;
  reportZodIssues(
    schema,
    options,
    path,
    (p, m) => {
      ok = false;
      report(p, m);
    },
    `strategy '${name}'`,
  );
  if (!ok) return undefined;
  const o = options as Record<string, never>;
  switch (name) {
    case 'keep':
    case 'null':
    case 'generalize':
      return { column, strategy: name };
    case 'fixed':
      return { column, strategy: 'fixed', value: o.value };
    case 'hash':
      return { column, strategy: 'hash', ...(o.length !== undefined ? { length: o.length } : {}) };
    case 'pseudonym':
      return { column, strategy: 'pseudonym', kind: o.kind };
    case 'email':
      return { column, strategy: 'email', domain: o.domain ?? DEFAULT_EMAIL_DOMAIN };
    case 'phone':
      return { column, strategy: 'phone', format: o.format ?? DEFAULT_PHONE_FORMAT };
    case 'partial':
      return { column, strategy: 'partial', keepFirst: o.keepFirst ?? 0, keepLast: o.keepLast ?? 0, mask: o.mask ?? DEFAULT_PARTIAL_MASK };
    case 'dateShift': {
      const subject = (o.subject as string | undefined) ?? tableSubject;
      if (subject === undefined) {
        report(
          path,
          "dateShift needs a subject column (e.g. the volunteer id) so one volunteer's " +
            "dates move together: set 'subject:' on the table or on this rule",
        );
        return undefined;
      }
      return { column, strategy: 'dateShift', days: o.days ?? DEFAULT_DATE_SHIFT_DAYS, subject };
    }
  }
}

const TABLE_KEYS = Object.keys(tableSchemaWith(z.unknown()).shape);

function parseTable(raw: unknown, table: string, report: Report): TableRules | undefined {
  const path: RulesPathSegment[] = ['tables', table];
  let ok = true;
  const r: Report = (p, m) => {
    ok = false;
    report(p, m);
  };
  identifierSchema.safeParse(table).error?.issues.forEach((i) => r(path, `table name ${i.message}`));
  if (table.toLowerCase().startsWith(SCRATCH_TABLE_PREFIX))
    r(path, `tables starting with '${SCRATCH_TABLE_PREFIX}' are the engine's own scratch tables and cannot be scrubbed by rules`);
  if (typeof raw === 'string' || raw === null) {
    if (raw === 'truncate' || raw === 'keep') return ok ? { table, action: raw } : undefined;
    r(
      path,
      `must be 'truncate', 'keep' or a mapping with 'columns' (and optionally ` +
        `${TABLE_KEYS.filter((k) => k !== 'columns').join(', ')}), not ` +
        `${describeValue(raw)}${typeof raw === 'string' ? didYouMean(raw, ['truncate', 'keep']) : ''}`,
    );
    return undefined;
  }
  if (!isRecord(raw)) {
    r(path, `must be 'truncate', 'keep' or a mapping with 'columns', not ${describeValue(raw)}`);
    return undefined;
  }
  reportZodIssues(tableSchemaWith(z.record(z.string(), z.unknown())), raw, path, r, 'a table');
  const subject = typeof raw.subject === 'string' ? raw.subject : undefined;
  const columns: ColumnRule[] = [];
  if (isRecord(raw.columns)) {
    if (Object.keys(raw.columns).length === 0) r([...path, 'columns'], 'lists no column; list every column of the table with its rule');
    for (const [column, rule] of Object.entries(raw.columns)) {
      const cpath = [...path, 'columns', column];
      identifierSchema.safeParse(column).error?.issues.forEach((i) => r(cpath, `column name ${i.message}`));
      const parsed = parseColumnRule(rule, cpath, column, subject, r);
      if (parsed) columns.push(parsed);
    }
  }
  if (!ok) return undefined;
  return {
    table,
    action: 'mask',
    ...(typeof raw.key === 'string' ? { key: [raw.key] } : Array.isArray(raw.key) ? { key: raw.key.map(String) } : {}),
    ...(subject !== undefined ? { subject } : {}),
    allowUpdateTriggers: raw.allowUpdateTriggers === true,
    columns,
  };
}

/** A YAML key written without a value (`email:`) is a mistake, not the null strategy. */
function emptyValues(doc: Document.Parsed, raw: Record<string, unknown>): RulesPathSegment[][] {
  const out: RulesPathSegment[][] = [];
  if (!isRecord(raw.tables)) return out;
  for (const [table, t] of Object.entries(raw.tables)) {
    const candidates: RulesPathSegment[][] = [['tables', table]];
    if (isRecord(t) && isRecord(t.columns)) {
      for (const [column, c] of Object.entries(t.columns)) {
        candidates.push(['tables', table, 'columns', column]);
        if (isRecord(c)) candidates.push(['tables', table, 'columns', column, 'strategy']);
      }
    }
    for (const p of candidates) {
      const node = doc.getIn(p, true);
      if (isScalar(node) && node.value === null && (node.source ?? '') === '') out.push(p);
    }
  }
  return out;
}

/** SHA-256 (hex) of a rules text, as recorded in evidence and in the run state. */
export function rulesetSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Parses and validates a rules file. Throws ScrubRulesError listing every problem (each with the
 * file, the path inside it and, when known, the line); returns the typed rules otherwise.
 *
 * @param text the YAML text
 * @param file the name used in messages, e.g. `config/scrub/volunteers.rules.yaml`
 */
export function parseScrubRules(text: string, file = 'rules.yaml'): ScrubRules {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) {
    throw new ScrubRulesError(
      doc.errors.map((e) => ({ file, path: [], message: `is not valid YAML: ${e.message.split('\n')[0]}`, line: e.linePos?.[0]?.line })),
    );
  }
  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (raw === null || raw === undefined) {
    throw new ScrubRulesError([
      { file, path: [], message: "is empty; a rules file starts with 'version: 1' and 'tables:' (see docs/scrub.md)" },
    ]);
  }
  const issues: RulesIssue[] = [];
  const report: Report = (path, message) => issues.push({ file, path, message, line: lineOf(doc, lines, path) });
  if (!isRecord(raw)) {
    report([], `must be a mapping with 'version' and 'tables', not ${describeValue(raw)}`);
    throw new ScrubRulesError(issues);
  }
  const emptyPaths = emptyValues(doc, raw);
  for (const p of emptyPaths) {
    report(
      p,
      `has no value; write a strategy ` +
        `(${strategyList()})${p.length === 2 ? " or 'truncate'" : ''}; to set the column ` +
        `to NULL write 'null' explicitly`,
    );
  }
  const empty = new Set(emptyPaths.map((p) => JSON.stringify(p)));
  reportZodIssues(
    rulesSchemaWith(z.unknown()).extend({
      tables: z.record(z.string(), z.unknown()),
      schemas: z.unknown().optional(),
      detect: z.unknown().optional(),
    }),
    raw,
    [],
    report,
    'the rules file',
  );
  const tables: TableRules[] = [];
  if (isRecord(raw.tables)) {
    if (Object.keys(raw.tables).length === 0) report(['tables'], 'lists no table; name at least one table to scrub');
    for (const [table, t] of Object.entries(raw.tables)) {
      if (empty.has(JSON.stringify(['tables', table]))) continue;
      const parsed = parseTable(t, table, (p, m) => {
        if (!empty.has(JSON.stringify(p))) report(p, m);
      });
      if (parsed) tables.push(parsed);
    }
  }
  const schemas = parseSchemas(raw.schemas, report);
  const detect = parseDetect(raw.detect, report);
  if (issues.length > 0) {
    throw new ScrubRulesError([...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  }
  return { file, sha256: rulesetSha256(text), version: 1, tables, schemas, detect };
}

function parseSchemas(raw: unknown, report: Report): SchemaRules[] {
  if (raw === undefined) return [];
  const parsed = z.record(z.string(), z.unknown()).safeParse(raw);
  if (!parsed.success) {
    report(['schemas'], `must be a mapping of schema names to keep, truncate or { tables: ... }, not ${describeValue(raw)}`);
    return [];
  }
  const out: SchemaRules[] = [];
  for (const [schema, rule] of Object.entries(parsed.data)) {
    const path: RulesPathSegment[] = ['schemas', schema];
    identifierSchema.safeParse(schema).error?.issues.forEach((i) => report(path, `schema name ${i.message}`));
    if ((SYSTEM_SCHEMAS as readonly string[]).includes(schema.toLowerCase())) {
      report(path, `'${schema}' is a system schema; it is never scrubbed nor inventoried, remove it`);
      continue;
    }
    if (rule === 'keep' || rule === 'truncate') {
      out.push({ schema, action: rule });
      continue;
    }
    if (!isRecord(rule)) {
      const hint = typeof rule === 'string' ? didYouMean(rule, ['keep', 'truncate']) : '';
      report(path, `must be keep, truncate or a mapping { tables: { <table>: keep | truncate } }, not ${describeValue(rule)}${hint}`);
      continue;
    }
    let ok = true;
    reportZodIssues(
      z.strictObject({ tables: z.record(z.string(), z.unknown()) }),
      rule,
      path,
      (p, m) => {
        ok = false;
        report(p, m);
      },
      'a schema',
    );
    if (!ok) continue;
    const tables: Array<{ table: string; action: 'keep' | 'truncate' }> = [];
    for (const [table, t] of Object.entries(rule.tables as Record<string, unknown>)) {
      if (t === 'keep' || t === 'truncate') tables.push({ table, action: t });
      else
        report(
          [...path, 'tables', table],
          `must be keep or truncate (tables of other schemas are kept or truncated; mask ` +
            `in the scrubbed database), not ${describeValue(t)}`,
        );
    }
    out.push({ schema, action: 'tables', tables });
  }
  return out;
}

function parseDetect(raw: unknown, report: Report): DetectRules {
  const patterns: Record<string, string> = { ...DEFAULT_PII_PATTERNS };
  if (raw === undefined) return { patterns, scanMaskedTables: true, acknowledge: [] };
  let ok = true;
  reportZodIssues(
    detectSchema,
    raw,
    ['detect'],
    (p, m) => {
      ok = false;
      report(p, m);
    },
    'detect',
  );
  if (!ok || !isRecord(raw)) return { patterns, scanMaskedTables: true, acknowledge: [] };
  const d = raw as z.infer<typeof detectSchema>;
  for (const [name, p] of Object.entries(d.patterns ?? {})) {
    if (p === false) {
      delete patterns[name];
      continue;
    }
    try {
      new RegExp(p);
    } catch (e) {
      report(['detect', 'patterns', name], `is not a valid regular expression: ${(e as Error).message}`);
    }
    patterns[name] = p;
  }
  (d.acknowledge ?? []).forEach((a, i) => {
    if (a.pattern !== undefined && !(a.pattern in patterns))
      report(
        ['detect', 'acknowledge', i, 'pattern'],
        `unknown pattern '${a.pattern}'${didYouMean(a.pattern, Object.keys(patterns))}; patterns: ${Object.keys(patterns).join(', ')}`,
      );
  });
  return {
    patterns,
    scanMaskedTables: d.scanMaskedTables ?? true,
    acknowledge: (d.acknowledge ?? []).map((a) => ({
      table: a.table,
      ...(a.column ? { column: a.column } : {}),
      ...(a.pattern ? { pattern: a.pattern } : {}),
      reason: a.reason,
    })),
  };
}
