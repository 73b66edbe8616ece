/**
 * Problems found in a YAML file (fleet configuration, scrub rules), in one format everywhere:
 * `<file>: <path>: <problem and fix> (line N)`. Shared by the configuration validator (lib/config)
 * and the scrub engine, which lives under constructs/ (a Lambda bundle never imports lib/).
 */
import { Document, LineCounter, isMap, isScalar } from 'yaml';

export type PathSegment = string | number;

export interface FileIssue {
  /** The file, relative to where the user works (e.g. `customers/acme.yaml`). */
  readonly file: string;
  /** Path inside the file, e.g. `['environments', 'prod', 'readReplica', 'allowedCidrs', 0]`. */
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
}

export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(file)';
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join('');
}

export function formatIssue(issue: FileIssue): string {
  const line = issue.line ? ` (line ${issue.line})` : '';
  return `${issue.file}: ${formatPath(issue.path)}: ${issue.message}${line}`;
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

/** The candidate a typo most likely meant (a close edit distance, or a prefix), if any. */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  const prefixed = candidates.find((c) => c.length >= 3 && (lower.startsWith(c.toLowerCase()) || c.toLowerCase().startsWith(lower)));
  if (prefixed && lower.length >= 3) return prefixed;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

/** Describes a YAML value without echoing long text. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
    ? `${typeof value} ${value.toString()}`
    : typeof value;
}

/** The line of a path in a YAML document (for a key, the key's own line; else the nearest parent's). */
export function lineOf(doc: Document.Parsed | undefined, lines: LineCounter | undefined, p: readonly PathSegment[]): number | undefined {
  if (!doc || !lines) return undefined;
  for (let n = p.length; n >= 0; n--) {
    const prefix = p.slice(0, n);
    if (n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(prefix.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === prefix[n - 1]);
        const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
        if (range) return lines.linePos(range[0]).line;
      }
    }
    const node = n === 0 ? doc.contents : doc.getIn(prefix, true);
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  return undefined;
}
