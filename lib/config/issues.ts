/**
 * Configuration problems: collected from every file and rule, then reported together as
 * `<file>: <path>: <problem and fix>` lines.
 */
import { z } from 'zod';

export type PathSegment = string | number;

export interface ConfigIssue {
  /** File relative to the configuration directory, e.g. `customers/acme.yaml`. */
  readonly file: string;
  /** Path inside the file, e.g. `['environments', 'prod', 'readReplica', 'allowedCidrs', 0]`. */
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
  /** `unknown-key`: an extra key (its siblings are still trustworthy for semantic rules). */
  readonly code?: 'unknown-key';
}

export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(file)';
  return path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
}

export function formatIssue(issue: ConfigIssue): string {
  const line = issue.line ? ` (line ${issue.line})` : '';
  return `${issue.file}: ${formatPath(issue.path)}: ${issue.message}${line}`;
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

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length][b.length];
}

export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  const prefixed = candidates.find((c) => c.length >= 3 && (lower.startsWith(c.toLowerCase()) || c.toLowerCase().startsWith(lower)));
  if (prefixed && lower.length >= 3) return prefixed;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(input.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

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

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string '${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  return `${typeof value} ${String(value)}`;
}
