/**
 * Hashing and canonical JSON for evidence documents. A record's SHA-256 is the SHA-256 of its
 * canonical JSON: keys sorted, no whitespace, UTF-8; the same as `jq -cjS .record <file>.json |
 * sha256sum` prints, so a reviewer can check a signed record without this library.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';

export function sha256(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export function sha256File(file: string): string {
  return sha256(fs.readFileSync(file));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** JSON with keys sorted at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** Pretty JSON with keys sorted (what the commands write as `<doc>.json`). */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

/** A short, stable value for tables: strings as they are, anything else as compact JSON. */
export function showValue(value: unknown, max = 160): string {
  if (value === undefined) return '(unset)';
  const text = typeof value === 'string' ? value : canonicalJson(value);
  return text.length > max ? `${text.slice(0, max - 1)}...` : text;
}
