/**
 * The SQL of each strategy. Statements alias the scrubbed table `t` and its originals table `o`
 * (one row per row of `t`, same key, holding keyed hashes of the original values).
 *
 * For every masked column there are up to five expressions:
 * - `snapshot`: the keyed hash stored before masking (NULL for NULL/empty values);
 * - `mask`: the new value (NULL and empty values stay as they are, except for `null`/`fixed`);
 * - `originalLeft`: true when the row still holds its original value (post-scrub verification);
 * - `originalAnywhere`: true when the value equals *any* original of the column (hash, email);
 * - `format`: true when the value does not look masked (post-scrub checks and --verify-only).
 *
 * Keyed hashes use a domain per strategy (see sql.ts), and the value is normalised first where a
 * person would consider two spellings the same: email addresses are trimmed and lower-cased, phone
 * numbers reduced to their digits. Equal (normalised) inputs give equal outputs in every table.
 */
import { CITIES, FIRST_NAMES, LAST_NAMES, STREETS } from './dictionaries';
import type { MaskTablePlan, PlannedColumn } from './plan';
import { domainHmacSql, exactText, literal, quoteIdentifier, utf8Bytes } from './sql';

export const T = 't';
export const O = 'o';

export interface ColumnSql {
  readonly column: PlannedColumn;
  /** `t.<column>`. */
  readonly ref: string;
  /** Expression counting as 1 when the original value is set (NULL and '' carry nothing). */
  readonly hasValue: string;
  readonly snapshot?: string;
  readonly mask: string;
  /** The mask expression reads the originals table (`o`): the UPDATE must join it. */
  readonly usesOriginals: boolean;
  readonly originalLeft: string;
  /** Needs an index on the originals column; a subquery on `o2`. */
  readonly originalAnywhere?: string;
  readonly format?: string;
}

function colRef(name: string): string {
  return `${T}.${quoteIdentifier(name)}`;
}

function origRef(name: string): string {
  return `${O}.${name}`;
}

/** True when a value carries nothing to hide (NULL, and '' for text columns). */
function isBlank(ref: string, text: boolean): string {
  return text ? `(${ref} IS NULL OR CHAR_LENGTH(${ref}) = 0)` : `(${ref} IS NULL)`;
}

function normalised(strategy: string, ref: string): string {
  if (strategy === 'email') return `LOWER(TRIM(${ref}))`;
  if (strategy === 'phone') return `REGEXP_REPLACE(${utf8Text(ref)}, '[^0-9]', '')`;
  return ref;
}

function utf8Text(ref: string): string {
  return `CONVERT(${ref} USING utf8mb4)`;
}

function domainOf(strategy: string): string {
  return strategy === 'hash' || strategy === 'email' || strategy === 'phone' || strategy === 'pseudonym' ? strategy : 'orig';
}

/** An index 0..n-1 read from 4 bytes of a binary hash, starting at 1-based byte `from`. */
function indexFrom(hash: string, from: number, n: number): string {
  return `(CONV(HEX(SUBSTR(${hash}, ${from}, 4)), 16, 10) MOD ${n})`;
}

function pick(words: readonly string[], index: string): string {
  return `ELT(1 + ${index}, ${words.map((w) => literal(w)).join(', ')})`;
}

/** Pseudonym built from hash bytes; `alt` moves to the next dictionary entry (never equal to the first pick). */
function pseudonymValue(kind: string, hash: string, alt: boolean): string {
  const bump = (index: string, n: number) => (alt ? `((${index} + 1) MOD ${n})` : index);
  switch (kind) {
    case 'firstName':
      return pick(FIRST_NAMES, bump(indexFrom(hash, 1, FIRST_NAMES.length), FIRST_NAMES.length));
    case 'lastName':
      return pick(LAST_NAMES, bump(indexFrom(hash, 1, LAST_NAMES.length), LAST_NAMES.length));
    case 'city':
      return pick(CITIES, bump(indexFrom(hash, 1, CITIES.length), CITIES.length));
    case 'fullName':
      return `CONCAT(${pick(FIRST_NAMES, bump(indexFrom(hash, 1, FIRST_NAMES.length), FIRST_NAMES.length))}, ' ', ${pick(LAST_NAMES, indexFrom(hash, 5, LAST_NAMES.length))})`;
    case 'street':
      return `CONCAT(1 + (CONV(HEX(SUBSTR(${hash}, 9, 2)), 16, 10) MOD 999), ' ', ${pick(STREETS, bump(indexFrom(hash, 1, STREETS.length), STREETS.length))})`;
    default:
      throw new Error(`unknown pseudonym kind ${kind}`);
  }
}

/** The longest value a pseudonym kind can produce. */
export function pseudonymMaxLength(kind: string): number {
  const longest = (words: readonly string[]) => Math.max(...words.map((w) => w.length));
  switch (kind) {
    case 'firstName':
      return longest(FIRST_NAMES);
    case 'lastName':
      return longest(LAST_NAMES);
    case 'city':
      return longest(CITIES);
    case 'fullName':
      return longest(FIRST_NAMES) + 1 + longest(LAST_NAMES);
    default:
      return 4 + longest(STREETS);
  }
}

function inList(words: readonly string[], length: number): string {
  return [...new Set(words.map((w) => w.slice(0, length)))].map((w) => literal(w)).join(', ');
}

/** Format check of a pseudonym column (verify-only): the value is one a dictionary can produce. */
function pseudonymFormat(kind: string, ref: string, length: number): string {
  const v = exactText(ref);
  switch (kind) {
    case 'firstName':
      return `${v} NOT IN (${inList(FIRST_NAMES, length)})`;
    case 'lastName':
      return `${v} NOT IN (${inList(LAST_NAMES, length)})`;
    case 'city':
      return `${v} NOT IN (${inList(CITIES, length)})`;
    case 'fullName': {
      const first = `SUBSTRING_INDEX(${v}, ' ', 1)`;
      if (length < pseudonymMaxLength('fullName')) return `NOT (${first} IN (${inList(FIRST_NAMES, length)}))`;
      return `NOT (${first} IN (${inList(FIRST_NAMES, length)}) AND SUBSTRING(${v}, CHAR_LENGTH(${first}) + 2) IN (${inList(LAST_NAMES, length)}))`;
    }
    default: {
      if (length < pseudonymMaxLength('street')) return `NOT (${v} REGEXP '^[0-9]{1,3}( |$)')`;
      return `NOT (${v} REGEXP '^[0-9]{1,3} ' AND SUBSTRING(${v}, LOCATE(' ', ${v}) + 1) IN (${inList(STREETS, length)}))`;
    }
  }
}

/** Phone value from hash bytes: each # of the format becomes byte i MOD 10; `alt` changes the last digit. */
function phoneValue(format: string, hash: string, alt: boolean, digitsOnly: boolean): string {
  const parts: string[] = [];
  const hashes = (format.match(/#/g) ?? []).length;
  let n = 0;
  let lit = '';
  const flush = () => {
    if (lit) parts.push(literal(lit));
    lit = '';
  };
  for (const ch of format) {
    if (ch === '#') {
      flush();
      n += 1;
      const bump = alt && n === hashes ? ' + 1' : '';
      parts.push(`((ASCII(SUBSTR(${hash}, ${n}, 1))${bump}) MOD 10)`);
    } else if (!digitsOnly || /[0-9]/.test(ch)) {
      lit += ch;
    }
  }
  flush();
  return `CONCAT(${parts.join(', ')})`;
}

function phoneRegex(format: string): string {
  let re = '^';
  for (const ch of format) {
    if (ch === '#') re += '[0-9]';
    else if (/[0-9 ]/.test(ch)) re += ch;
    else re += `[${ch}]`;
  }
  return `${re}$`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.]/g, '[.]').replace(/-/g, '[-]');
}

/** Partial masking of a (non-blank) text value. */
function partialValue(ref: string, keepFirst: number, keepLast: number, mask: string): string {
  const len = `CHAR_LENGTH(${ref})`;
  const m = literal(mask);
  return (
    `IF(${len} - ${keepFirst + keepLast} < GREATEST(2, CEIL(${len} / 2)), REPEAT(${m}, ${len}), ` +
    `CONCAT(LEFT(${ref}, ${keepFirst}), REPEAT(${m}, ${len} - ${keepFirst + keepLast}), RIGHT(${ref}, ${keepLast})))`
  );
}

/** Shift in days (never 0) from 4 bytes of the subject's keyed hash: -days..-1 or 1..days. */
function shiftDays(hash: string, days: number): string {
  const k = `(CONV(HEX(SUBSTR(${hash}, 1, 4)), 16, 10) MOD ${2 * days})`;
  return `IF(${k} < ${days}, ${k} - ${days}, ${k} - ${days} + 1)`;
}

/** Strategies whose new value is computed from the keyed hashes stored in the originals table. */
const USES_ORIGINALS = new Set(['hash', 'email', 'phone', 'pseudonym', 'dateShift']);

/** The SQL of one masked column. */
export function columnSql(table: MaskTablePlan, column: PlannedColumn): ColumnSql {
  return { ...columnExpressions(table, column), usesOriginals: USES_ORIGINALS.has(column.rule.strategy) };
}

function columnExpressions(table: MaskTablePlan, column: PlannedColumn): Omit<ColumnSql, 'usesOriginals'> {
  const rule = column.rule;
  const ref = colRef(column.info.name);
  const text = column.info.typeClass === 'string';
  const blank = isBlank(ref, text);
  const hasValue = `(NOT ${blank})`;
  const h = column.originalsColumn ? origRef(column.originalsColumn) : undefined;
  const keyed = (value: string) => domainHmacSql(domainOf(rule.strategy), normalised(rule.strategy, value));
  const snapshot = h ? `IF(${blank}, NULL, ${keyed(ref)})` : undefined;
  const sameAsOriginal = h ? `(${h} IS NOT NULL AND ${h} = ${keyed(ref)})` : 'FALSE';
  const length = column.outputLength ?? 0;
  switch (rule.strategy) {
    case 'null':
      return { column, ref, hasValue, mask: 'NULL', originalLeft: `(${ref} IS NOT NULL)`, format: `(${ref} IS NOT NULL)` };
    case 'fixed': {
      const v = literal(rule.value);
      const notFixed = `(${ref} IS NOT NULL AND NOT (${ref} <=> ${v}))`;
      return { column, ref, hasValue, mask: `IF(${ref} IS NULL, NULL, ${v})`, originalLeft: notFixed, format: notFixed };
    }
    case 'hash':
      return {
        column,
        ref,
        hasValue,
        snapshot,
        mask: `IF(${h} IS NULL, ${ref}, LEFT(LOWER(HEX(${h})), ${length}))`,
        originalLeft: sameAsOriginal,
        originalAnywhere: `(NOT ${blank} AND EXISTS (SELECT 1 FROM ${quoteIdentifier(table.originalsTable)} o2 WHERE o2.${column.originalsColumn} = ${keyed(ref)}))`,
        format: `(NOT ${blank} AND NOT (${exactText(ref)} REGEXP '^[0-9a-f]{${length}}$'))`,
      };
    case 'email':
      return {
        column,
        ref,
        hasValue,
        snapshot,
        mask: `IF(${h} IS NULL, ${ref}, CONCAT('u', LEFT(LOWER(HEX(${h})), 16), '@', ${literal(rule.domain)}))`,
        originalLeft: sameAsOriginal,
        originalAnywhere: `(NOT ${blank} AND EXISTS (SELECT 1 FROM ${quoteIdentifier(table.originalsTable)} o2 WHERE o2.${column.originalsColumn} = ${keyed(ref)}))`,
        format: `(NOT ${blank} AND NOT (${exactText(ref)} REGEXP ${literal(`^u[0-9a-f]{16}@${escapeRegex(rule.domain)}$`)}))`,
      };
    case 'phone': {
      const hash = h as string;
      const current = `REGEXP_REPLACE(${utf8Text(ref)}, '[^0-9]', '')`;
      const mask = `IF(${hash} IS NULL, ${ref}, IF(${phoneValue(rule.format, hash, false, true)} = ${current}, ${phoneValue(rule.format, hash, true, false)}, ${phoneValue(rule.format, hash, false, false)}))`;
      return {
        column,
        ref,
        hasValue,
        snapshot,
        mask,
        originalLeft: sameAsOriginal,
        format: `(NOT ${blank} AND NOT (${exactText(ref)} REGEXP ${literal(phoneRegex(rule.format))}))`,
      };
    }
    case 'pseudonym': {
      const hash = h as string;
      const first = `LEFT(${pseudonymValue(rule.kind, hash, false)}, ${length})`;
      const second = `LEFT(${pseudonymValue(rule.kind, hash, true)}, ${length})`;
      return {
        column,
        ref,
        hasValue,
        snapshot,
        mask: `IF(${hash} IS NULL, ${ref}, IF(${exactText(first)} = ${exactText(ref)}, ${second}, ${first}))`,
        originalLeft: sameAsOriginal,
        format: `(NOT ${blank} AND ${pseudonymFormat(rule.kind, ref, length)})`,
      };
    }
    case 'partial': {
      const masked = partialValue(ref, rule.keepFirst, rule.keepLast, rule.mask);
      const isFixedPoint = `(${utf8Bytes(masked)} = ${utf8Bytes(ref)})`;
      return {
        column,
        ref,
        hasValue,
        snapshot,
        mask: `IF(${blank}, ${ref}, ${masked})`,
        originalLeft: `(${sameAsOriginal} AND NOT ${isFixedPoint})`,
        format: `(NOT ${blank} AND NOT ${isFixedPoint})`,
      };
    }
    case 'generalize': {
      const yearStart = `(${ref} = MAKEDATE(YEAR(${ref}), 1))`;
      return {
        column,
        ref,
        hasValue,
        snapshot,
        mask: `IF(${ref} IS NULL, NULL, MAKEDATE(YEAR(${ref}), 1))`,
        originalLeft: `(${sameAsOriginal} AND NOT ${yearStart})`,
        format: `(${ref} IS NOT NULL AND NOT ${yearStart})`,
      };
    }
    case 'dateShift':
      return {
        column,
        ref,
        hasValue,
        snapshot,
        mask: `DATE_ADD(${ref}, INTERVAL ${shiftDays(origRef(column.shiftColumn as string), rule.days)} DAY)`,
        originalLeft: sameAsOriginal,
      };
  }
}

/** Snapshot expression of a dateShift subject: keyed hash of the subject value (NULL subjects share ''). */
export function shiftSnapshotSql(subject: string): string {
  return `LEFT(${domainHmacSql('shift', `IFNULL(${utf8Text(colRef(subject))}, '')`)}, 8)`;
}
