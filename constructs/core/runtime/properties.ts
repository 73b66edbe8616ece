/**
 * Parsing what a handler is given (custom-resource ResourceProperties, a Step Functions task's
 * input) with zod. Every message names the property, the value it got and what to do instead:
 * `property 'SourcePort' must be an integer between 1 and 65535 (got "0")`.
 *
 * CloudFormation passes every property as a string (numbers and booleans too) and drops nothing
 * but undefined; the Provider framework adds ServiceToken. The helpers below accept both a string
 * and a native value, treat a missing, null or blank value as absent, and ignore unknown keys.
 */
import { z } from 'zod';
import { HandlerError } from './errors';

/** A value as a message shows it. */
export function shown(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

const isAbsent = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

type Check<T> = { readonly value: T } | { readonly problem: string };

/**
 * A property parsed by a function of its raw value: the building block of the helpers below.
 * `problem` is a predicate that reads after the property's name ("must be ...", "is required ...").
 */
export function field<T>(check: (raw: unknown) => Check<T>): z.ZodType<T, unknown> {
  // z.transform, not z.unknown().transform: a key that is absent must reach the check (defaults).
  return z.transform((raw: unknown, ctx): T => {
    const result = check(raw);
    if ('problem' in result) {
      ctx.issues.push({ code: 'custom', message: result.problem, input: raw });
      return z.NEVER;
    }
    return result.value;
  });
}

const fixText = (fix: string | undefined) => (fix ? `; ${fix}` : '');

/** A required string, trimmed. */
export function requiredText(options: { fix?: string } = {}) {
  return field<string>((raw) => {
    if (isAbsent(raw)) return { problem: `is required (got ${shown(raw)})${fixText(options.fix)}` };
    if (typeof raw !== 'string' && typeof raw !== 'number') return { problem: `must be a string (got ${shown(raw)})` };
    return { value: String(raw).trim() };
  });
}

/** An optional string, trimmed; absent (or blank) is undefined. */
export function optionalText() {
  return field<string | undefined>((raw) => {
    if (isAbsent(raw)) return { value: undefined };
    if (typeof raw !== 'string' && typeof raw !== 'number') return { problem: `must be a string (got ${shown(raw)})` };
    return { value: String(raw).trim() };
  });
}

/** A string matching `pattern`; `description` completes "must be ...". */
export function matching(pattern: RegExp, description: string, options: { optional?: boolean; fix?: string } = {}) {
  return field<string | undefined>((raw) => {
    if (isAbsent(raw))
      return options.optional ? { value: undefined } : { problem: `is required (got ${shown(raw)}); it must be ${description}` };
    const value = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim() : undefined;
    if (value === undefined || !pattern.test(value))
      return { problem: `must be ${description} (got ${shown(raw)})${fixText(options.fix)}` };
    return { value };
  });
}

/** A whole number in [min, max]; CloudFormation passes it as a string. Absent: `defaultValue`, or required. */
export function integer(min: number, max: number, defaultValue?: number) {
  return field<number>((raw) => {
    if (isAbsent(raw) && defaultValue !== undefined) return { value: defaultValue };
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      return {
        problem:
          `must be an integer between ${min} and ${max} (got ` +
          `${shown(raw)})${defaultValue !== undefined ? `; omit it for ${defaultValue}` : ''}`,
      };
    }
    return { value };
  });
}

/** `'true'` / `'false'` (or a boolean); absent is false. */
export function flag() {
  return field<boolean>((raw) => {
    if (isAbsent(raw)) return { value: false };
    if (raw === true || raw === 'true') return { value: true };
    if (raw === false || raw === 'false') return { value: false };
    return { problem: `must be 'true' or 'false' (got ${shown(raw)})` };
  });
}

/** MySQL 8 user names are at most 32 characters; we also keep them to a safe alphabet. */
const USER_NAME = /^[A-Za-z0-9_]{1,32}$/;

/** A database user name: 1-32 characters of A-Z, a-z, 0-9 and _. */
export function userName(defaultValue?: string) {
  return field<string>((raw) => {
    if (isAbsent(raw))
      return defaultValue !== undefined
        ? { value: defaultValue }
        : { problem: `is required (got ${shown(raw)}); give a user name of 1-32 characters of A-Z, a-z, 0-9 and _` };
    const value = typeof raw === 'string' ? raw.trim() : undefined;
    if (value === undefined || !USER_NAME.test(value))
      return { problem: `must be 1-32 characters of A-Z, a-z, 0-9 and _ (got ${shown(raw)})` };
    return { value };
  });
}

/** A calendar date `YYYY-MM-DD` (a real day: 2025-02-30 is refused). */
export function isoDate(options: { optional?: boolean } = {}) {
  return field<string | undefined>((raw) => {
    if (isAbsent(raw))
      return options.optional ? { value: undefined } : { problem: `is required (got ${shown(raw)}); write a date as YYYY-MM-DD` };
    const value = typeof raw === 'string' ? raw.trim() : '';
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    const asDate = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
    if (!m || !asDate || asDate.toISOString().slice(0, 10) !== value)
      return { problem: `must be a date written YYYY-MM-DD (got ${shown(raw)})` };
    return { value };
  });
}

/** A property that must not be given at all; `problem` says why. */
export function forbidden(problem: string) {
  return field<undefined>((raw) => (raw === undefined ? { value: undefined } : { problem }));
}

/** A property holding JSON (CloudFormation properties are strings), parsed and checked with `schema`. */
export function jsonText<T>(schema: z.ZodType<T, unknown>, example: string) {
  return z.transform((raw: unknown, ctx): T => {
    if (isAbsent(raw)) {
      ctx.issues.push({ code: 'custom', message: `is required (got ${shown(raw)}); it is JSON like ${example}`, input: raw });
      return z.NEVER;
    }
    let parsed: unknown = raw;
    if (typeof raw === 'string') {
      try {
        parsed = JSON.parse(raw);
      } catch {
        ctx.issues.push({
          code: 'custom',
          message: `is not JSON (got ${shown(raw.slice(0, 80))}); it is JSON like ${example}`,
          input: raw,
        });
        return z.NEVER;
      }
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.issues.push({ code: 'custom', message: issue.message, input: raw, path: issue.path });
      return z.NEVER;
    }
    return result.data;
  });
}

/** How issues are named: `property 'Name' ...` (custom resources) or `path.to.field ...` (task inputs). */
export type IssueStyle = 'property' | 'path';

/** One line per issue, joined by '; '. An issue without a path is its message alone. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], style: IssueStyle): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String);
      if (path.length === 0) return issue.message;
      const message =
        issue.code === 'custom'
          ? issue.message
          : issue.message.replace(/^Invalid input: expected (\w+), received (\w+)$/, 'must be $1 (got $2)');
      return style === 'property' ? `property '${path.join('.')}' ${message}` : `${path.join('.')} ${message}`;
    })
    .join('; ');
}

/**
 * Parses with `schema` or throws a HandlerError naming every problem at once (all properties
 * are checked before anything is changed). `prefix` starts the message, e.g. 'invalid input: '.
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  options: { style?: IssueStyle; prefix?: string } = {},
): z.output<S> {
  const result = schema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new HandlerError(`${options.prefix ?? ''}${formatIssues(result.error.issues, options.style ?? 'property')}`);
}

/** Custom-resource properties: `parseWith(schema, props)` in the `property 'Name' ...` style. */
export function parseProperties<S extends z.ZodType>(schema: S, props: unknown): z.output<S> {
  return parseWith(schema, props, { style: 'property' });
}
