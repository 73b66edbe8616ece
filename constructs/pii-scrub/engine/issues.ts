/**
 * Problems found in a rules file, alone or against the live schema. Printed like the fleet
 * configuration's problems (lib/config/issues.ts): `<rules file>: <path>: <problem and fix>`,
 * every problem collected and reported together.
 *
 * The engine keeps its own small copy of that format instead of importing lib/config: constructs
 * (and the Lambda bundle built from them) never depend on the app layer.
 */

export type RulesPathSegment = string | number;

export interface RulesIssue {
  /** The rules file as the user named it, e.g. `config/scrub/volunteers.rules.yaml`. */
  readonly file: string;
  /** Path inside the file, e.g. `['tables', 'volunteers', 'columns', 'email', 'strategy']`. */
  readonly path: readonly RulesPathSegment[];
  readonly message: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
}

export function formatRulesPath(path: readonly RulesPathSegment[]): string {
  if (path.length === 0) return '(file)';
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join('');
}

export function formatRulesIssue(issue: RulesIssue): string {
  const line = issue.line ? ` (line ${issue.line})` : '';
  return `${issue.file}: ${formatRulesPath(issue.path)}: ${issue.message}${line}`;
}

/**
 * A rules file that cannot be used: bad YAML, bad shape, or rules that do not fit the database.
 * Carries every problem found; nothing has been written to the database when it is thrown.
 */
export class ScrubRulesError extends Error {
  constructor(readonly issues: readonly RulesIssue[]) {
    super(`${issues.length} problem${issues.length === 1 ? '' : 's'} in the scrub rules:\n${issues.map((i) => `  ${formatRulesIssue(i)}`).join('\n')}`);
    this.name = 'ScrubRulesError';
  }
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length][b.length];
}

/** `" (did you mean 'x'?)"` when a candidate is close to the input, else `''`. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(input.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? ` (did you mean '${best}'?)` : '';
}

/** Describes a YAML value without echoing long text. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  return `${typeof value} ${String(value)}`;
}
