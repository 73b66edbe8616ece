/**
 * Line numbers of paths in a parsed YAML document, indexed once per document so that locating
 * every problem of a 100,000-entry list stays linear (looking each path up in the document is
 * quadratic). Aliases are not followed: an alias is a leaf here, as it is in the source text.
 */
import { Document, LineCounter, isMap, isPair, isScalar, isSeq } from 'yaml';
import { PathSegment } from './issues';

type Ranged = { range?: [number, number, number] | null } | null | undefined;

function key(p: readonly PathSegment[]): string {
  return p.map((s) => (typeof s === 'number' ? `#${s}` : `.${s}`)).join('\u0000');
}

export class LineIndex {
  private readonly lines = new Map<string, number>();

  constructor(doc: Document.Parsed, counter: LineCounter) {
    const lineAt = (node: Ranged): number | undefined => (node?.range ? counter.linePos(node.range[0]).line : undefined);
    const root = lineAt(doc.contents);
    if (root !== undefined) this.lines.set(key([]), root);
    // Iterative walk: a deeply nested document must not overflow the stack.
    const stack: Array<{ node: unknown; path: PathSegment[] }> = [{ node: doc.contents, path: [] }];
    while (stack.length > 0) {
      const { node, path } = stack.pop()!;
      if (isMap(node)) {
        for (const pair of node.items) {
          if (!isPair(pair) || !isScalar(pair.key)) continue;
          const k = pair.key.value;
          if (typeof k !== 'string' && typeof k !== 'number') continue;
          const p = [...path, typeof k === 'number' ? String(k) : k];
          const line = lineAt(pair.key) ?? lineAt(pair.value as Ranged);
          if (line !== undefined && !this.lines.has(key(p))) this.lines.set(key(p), line);
          stack.push({ node: pair.value, path: p });
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => {
          const p = [...path, i];
          const line = lineAt(item as Ranged);
          if (line !== undefined) this.lines.set(key(p), line);
          stack.push({ node: item, path: p });
        });
      }
    }
  }

  /** The line of a path (for a key, the key's own line), else of its nearest located parent. */
  lineOf(p: readonly PathSegment[]): number | undefined {
    for (let n = p.length; n >= 0; n--) {
      const line = this.lines.get(key(p.slice(0, n)));
      if (line !== undefined) return line;
    }
    return undefined;
  }
}

/** The path of the mapping key that starts at `offset` (e.g. a duplicated key), if any. */
export function keyPathAt(doc: Document.Parsed, offset: number): { path: PathSegment[]; counterpart?: Ranged } | undefined {
  const stack: Array<{ node: unknown; path: PathSegment[] }> = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = isScalar(pair.key) ? pair.key.value : undefined;
        const range = (pair.key as Ranged)?.range;
        if (range && range[0] === offset && (typeof k === 'string' || typeof k === 'number')) {
          const first = node.items.find((other) => isPair(other) && isScalar(other.key) && other.key.value === k);
          return { path: [...path, String(k)], counterpart: first?.key as Ranged };
        }
        if (typeof k === 'string' || typeof k === 'number') stack.push({ node: pair.value, path: [...path, String(k)] });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
    }
  }
  return undefined;
}
