/**
 * Configuration problems: collected from every file and rule, then reported together as
 * `<file>: <path>: <problem and fix>` lines.
 */
import type { Document } from 'yaml';
import { z } from 'zod';
import type { LineIndex } from './lines';

import { FileIssue, PathSegment, closestMatch, formatIssue, formatPath } from '../../constructs/core/file-issues';

export { PathSegment, formatIssue, formatPath };
export { describeValue as describeType } from '../../constructs/core/file-issues';

export interface ConfigIssue extends FileIssue {
  /** `unknown-key`: an extra key (its siblings are still trustworthy for semantic rules). */
  readonly code?: 'unknown-key';
  /**
   * `warning`: reported, but the fleet is still valid and synthesised (a VAL past its validation
   * window, environments to retire after go-live); `validate --strict` fails on warnings too.
   * @default an error
   */
  readonly severity?: 'warning';
}

export function isWarning(issue: ConfigIssue): boolean {
  return issue.severity === 'warning';
}

/** How many problems the CLI and the CDK app print before summarising the rest as a count. */
export const MAX_PRINTED_ISSUES = 50;

/**
 * The printed form of a list of problems: the first `limit` as `<file>: <path>: <problem>` lines,
 * then one "... and K more problems" line (`limit` 0 prints every problem).
 */
export function issueLines(issues: readonly ConfigIssue[], limit = MAX_PRINTED_ISSUES): string[] {
  const shown = limit > 0 ? issues.slice(0, limit) : issues;
  const lines = shown.map((i) => (isWarning(i) ? `warning: ${formatIssue(i)}` : formatIssue(i)));
  const rest = issues.length - shown.length;
  if (rest > 0)
    lines.push(
      `... and ${rest} more problem${rest === 1 ? '' : 's'} (fix the ones above first; ` +
        `\`npx clinspark validate --max-problems 0\` prints every one)`,
    );
  return lines;
}

/** Thrown when a fleet fails validation; carries every problem found (the message shows the first 50). */
export class ConfigValidationError extends Error {
  constructor(
    readonly configDir: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    const errors = issues.filter((i) => !isWarning(i)).length;
    super(
      `configuration in ${configDir} has ${errors} problem${errors === 1 ? '' : 's'}:\n` +
        issueLines(issues)
          .map((l) => `  ${l}`)
          .join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const keyed = issues.map((issue) => ({ issue, path: formatPath(issue.path) }));
  keyed.sort(
    (a, b) =>
      (a.issue.file < b.issue.file ? -1 : a.issue.file > b.issue.file ? 1 : 0) ||
      (a.issue.line ?? 0) - (b.issue.line ?? 0) ||
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
  return keyed.map((k) => k.issue);
}

export const didYouMean = closestMatch;

/** Follows a path through optional/nullable/default/pipe wrappers, objects and arrays. */
export function schemaAt(schema: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType): z.ZodType => {
    let cur = s;
    for (;;) {
      const def = (cur as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
      if ((def.type === 'optional' || def.type === 'nullable' || def.type === 'default' || def.type === 'prefault') && def.innerType)
        cur = def.innerType;
      else if (def.type === 'pipe' && def.in) cur = def.in;
      else return cur;
    }
  };
  for (const seg of path) {
    if (!current) return undefined;
    const s = unwrap(current);
    if (s instanceof z.ZodObject && typeof seg === 'string') current = s.shape[seg] as z.ZodType | undefined;
    else if (s instanceof z.ZodArray && typeof seg === 'number') current = s.element as z.ZodType;
    else return undefined;
  }
  return current ? unwrap(current) : undefined;
}

export function objectKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  const s = schemaAt(schema, path);
  return s instanceof z.ZodObject ? Object.keys(s.shape).filter((k) => k !== '$schema') : [];
}

/** One configuration file as read: what the shape check and the semantic rules work on. */
export interface SourceFile<T> {
  /** Relative to the configuration directory, with forward slashes. */
  readonly file: string;
  /** The YAML as parsed (before defaults and coercion). */
  readonly raw: unknown;
  /** The validated value, when the file's shape is valid. */
  readonly value?: T;
  /** Shape issues of this file. */
  readonly shapeIssues: readonly ConfigIssue[];
  readonly doc?: Document.Parsed;
  /** Line numbers of the paths of this file. */
  readonly index?: LineIndex;
}
