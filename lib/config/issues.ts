/**
 * Configuration problems: collected from every file and rule, then reported together as
 * `<file>: <path>: <problem and fix>` lines.
 */
import { z } from 'zod';

import { FileIssue, PathSegment, closestMatch, formatIssue, formatPath } from '../../constructs/core/file-issues';

export { PathSegment, formatIssue, formatPath };
export { describeValue as describeType, lineOf } from '../../constructs/core/file-issues';

export interface ConfigIssue extends FileIssue {
  /** `unknown-key`: an extra key (its siblings are still trustworthy for semantic rules). */
  readonly code?: 'unknown-key';
}

/** Thrown when a fleet fails validation; carries every problem found. */
export class ConfigValidationError extends Error {
  constructor(readonly configDir: string, readonly issues: readonly ConfigIssue[]) {
    super(
      `configuration in ${configDir} has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || formatPath(a.path).localeCompare(formatPath(b.path)));
}

export const didYouMean = closestMatch;

/** Follows a path through optional/nullable/default/pipe wrappers, objects and arrays. */
export function schemaAt(schema: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType): z.ZodType => {
    let cur = s;
    for (;;) {
      const def = (cur as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
      if ((def.type === 'optional' || def.type === 'nullable' || def.type === 'default' || def.type === 'prefault') && def.innerType) cur = def.innerType;
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
