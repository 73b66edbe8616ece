/**
 * The SQL of each strategy. Statements alias the scrubbed table `t` and its originals table `o`
 * (one row per row of `t`, same key, holding the masked values the snapshot computed).
 *
 * For every masked column:
 * - `newValue`: the masked value computed from the original (NULL and empty values stay as they
 *   are, except for `null`/`fixed`); keyed strategies pick an alternative when the first pick
 *   equals the original, so a masked value is never its original;
 * - `sameAsOriginal`: true when the masked value still equals the original (checked by the
 *   snapshot, where the original is at hand);
 * - `originalMaskedForm`: (hash, email) the original already has the masked form;
 * - `format`: true when the value does not look masked (--verify-only, already scrubbed columns).
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
  /**
   * The masked value, computed from the current (original) value of the row, keyed hashes
   * included. For stored strategies the snapshot writes it to the originals table and the UPDATE
   * copies it; for plain ones (null, fixed) the UPDATE writes it directly.
   */
  readonly newValue: string;
  /** The masked value is computed by the snapshot and kept in the originals table (column `n<i>`). */
  readonly stored: boolean;
  /**
   * True for a row whose masked value equals its original although it should not (checked by the
   * snapshot, where the original is at hand; `n` is the masked value). Legitimate equalities
   * (partial of an already masked value, generalize of a 1 January) are not counted.
   */
  readonly sameAsOriginal?: (n: string) => string;
  /** hash, email: the original already has the masked form (the only way a masked value can equal another row's original). */
  readonly originalMaskedForm?: string;
  /** True when a value does not look masked (verify-only, already-scrubbed columns). */
  readonly format?: string;
  /**
   * dateShift: the offset in days of the row (from the subject's keyed hash). A date shifted by
   * it equals its original exactly when it is 0, so the columns sharing one offset (same subject
   * and `days`) are compared with their originals from one computation of it per row.
   */
  readonly shiftDays?: string;
}

function colRef(name: string): string {
  return `${T}.${quoteIdentifier(name)}`;
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
      return (
        `CONCAT(${pick(FIRST_NAMES, bump(indexFrom(hash, 1, FIRST_NAMES.length), FIRST_NAMES.length))}, ` +
        `' ', ${pick(LAST_NAMES, indexFrom(hash, 5, LAST_NAMES.length))})`
      );
    case 'street':
      return (
        `CONCAT(1 + (CONV(HEX(SUBSTR(${hash}, 9, 2)), 16, 10) MOD 999), ' ', ` +
        `${pick(STREETS, bump(indexFrom(hash, 1, STREETS.length), STREETS.length))})`
      );
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
      return (
        `NOT (${first} IN (${inList(FIRST_NAMES, length)}) AND SUBSTRING(${v}, ` +
        `CHAR_LENGTH(${first}) + 2) IN (${inList(LAST_NAMES, length)}))`
      );
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

/**
 * Strategies whose masked value is computed by the snapshot and kept in the originals table: the
 * keyed pseudonyms, checked afterwards against the value masked from each row's own original
 * (`masked-as-planned`). The others (null, fixed, partial, generalize, dateShift) are cheap and
 * deterministic: the batch UPDATE computes them in place, the batch's locking read compares them
 * with the originals first (dateShift) and the verification pass checks their masked form.
 */
export const STORED_STRATEGIES: ReadonlySet<string> = new Set(['hash', 'email', 'phone', 'pseudonym']);

/** The SQL of one masked column. */
export function columnSql(table: MaskTablePlan, column: PlannedColumn): ColumnSql {
  void table;
  return { ...columnExpressions(column), stored: STORED_STRATEGIES.has(column.rule.strategy) };
}

/** Two values are the same text, ignoring case (a pseudonym 'Anna' for 'anna' would be no pseudonym). */
function sameText(a: string, b: string): string {
  return `(LOWER(${exactText(a)}) = LOWER(${exactText(b)}))`;
}

function columnExpressions(column: PlannedColumn): Omit<ColumnSql, 'stored'> {
  const rule = column.rule;
  const ref = colRef(column.info.name);
  const text = column.info.typeClass === 'string';
  const blank = isBlank(ref, text);
  const hasValue = `(NOT ${blank})`;
  const keyed = domainHmacSql(domainOf(rule.strategy), normalised(rule.strategy, ref));
  const length = column.outputLength ?? 0;
  const differsOrBlank = (n: string) => `(${hasValue} AND ${utf8Bytes(n)} <=> ${utf8Bytes(ref)})`;
  switch (rule.strategy) {
    case 'null':
      return { column, ref, hasValue, newValue: 'NULL', format: `(${ref} IS NOT NULL)` };
    case 'fixed': {
      const v = literal(rule.value);
      return {
        column,
        ref,
        hasValue,
        newValue: `IF(${ref} IS NULL, NULL, ${v})`,
        format: `(${ref} IS NOT NULL AND NOT (${ref} <=> ${v}))`,
      };
    }
    case 'hash': {
      const first = `LEFT(LOWER(HEX(${keyed})), ${length})`;
      const alt = `LEFT(SHA2(${keyed}, 256), ${length})`;
      const format = `(NOT ${blank} AND NOT (${exactText(ref)} REGEXP '^[0-9a-f]{${length}}$'))`;
      return {
        column,
        ref,
        hasValue,
        newValue: `IF(${blank}, ${ref}, IF(${sameText(first, ref)}, ${alt}, ${first}))`,
        sameAsOriginal: (n) => `(${hasValue} AND ${sameText(n, ref)})`,
        originalMaskedForm: `(NOT ${blank} AND NOT ${format})`,
        format,
      };
    }
    case 'email': {
      const first = `CONCAT('u', LEFT(LOWER(HEX(${keyed})), 16), '@', ${literal(rule.domain)})`;
      const alt = `CONCAT('u', LEFT(SHA2(${keyed}, 256), 16), '@', ${literal(rule.domain)})`;
      const format = `(NOT ${blank} AND NOT (${exactText(ref)} REGEXP ${literal(`^u[0-9a-f]{16}@${escapeRegex(rule.domain)}$`)}))`;
      return {
        column,
        ref,
        hasValue,
        newValue: `IF(${blank}, ${ref}, IF(${sameText(first, `TRIM(${ref})`)}, ${alt}, ${first}))`,
        sameAsOriginal: (n) => `(${hasValue} AND ${sameText(n, `TRIM(${ref})`)})`,
        originalMaskedForm: `(NOT ${blank} AND NOT ${format})`,
        format,
      };
    }
    case 'phone': {
      const hash = keyed;
      const current = `REGEXP_REPLACE(${utf8Text(ref)}, '[^0-9]', '')`;
      return {
        column,
        ref,
        hasValue,
        newValue:
          `IF(${blank}, ${ref}, IF(${phoneValue(rule.format, hash, false, true)} = ` +
          `${current}, ${phoneValue(rule.format, hash, true, false)}, ` +
          `${phoneValue(rule.format, hash, false, false)}))`,
        sameAsOriginal: (n) => `(${hasValue} AND REGEXP_REPLACE(${utf8Text(n)}, '[^0-9]', '') = ${current})`,
        format: `(NOT ${blank} AND NOT (${exactText(ref)} REGEXP ${literal(phoneRegex(rule.format))}))`,
      };
    }
    case 'pseudonym': {
      const first = `LEFT(${pseudonymValue(rule.kind, keyed, false)}, ${length})`;
      const second = `LEFT(${pseudonymValue(rule.kind, keyed, true)}, ${length})`;
      return {
        column,
        ref,
        hasValue,
        newValue: `IF(${blank}, ${ref}, IF(${sameText(first, ref)}, ${second}, ${first}))`,
        sameAsOriginal: (n) => `(${hasValue} AND ${sameText(n, ref)})`,
        format: `(NOT ${blank} AND ${pseudonymFormat(rule.kind, ref, length)})`,
      };
    }
    case 'partial': {
      const masked = partialValue(ref, rule.keepFirst, rule.keepLast, rule.mask);
      const isFixedPoint = `(${utf8Bytes(masked)} = ${utf8Bytes(ref)})`;
      // A masked value equal to its original is one that was already masked: legitimate.
      return { column, ref, hasValue, newValue: `IF(${blank}, ${ref}, ${masked})`, format: `(NOT ${blank} AND NOT ${isFixedPoint})` };
    }
    case 'generalize': {
      const yearStart = `(${ref} = MAKEDATE(YEAR(${ref}), 1))`;
      // Equal only when the original already was 1 January, 00:00: legitimate.
      return {
        column,
        ref,
        hasValue,
        newValue: `IF(${ref} IS NULL, NULL, MAKEDATE(YEAR(${ref}), 1))`,
        format: `(${ref} IS NOT NULL AND NOT ${yearStart})`,
      };
    }
    case 'dateShift': {
      const days = shiftDays(shiftSnapshotSql(column.shiftSubject as string), rule.days);
      return {
        column,
        ref,
        hasValue,
        newValue: `DATE_ADD(${ref}, INTERVAL ${days} DAY)`,
        sameAsOriginal: (n) => differsOrBlank(n),
        shiftDays: days,
      };
    }
  }
}

/** Keyed hash of a dateShift subject value (NULL subjects share ''), 8 bytes. */
export function shiftSnapshotSql(subject: string): string {
  return `LEFT(${domainHmacSql('shift', `IFNULL(${utf8Text(colRef(subject))}, '')`)}, 8)`;
}
