/**
 * The scrub key and what is derived from it. The raw key never leaves this process: the database
 * receives only the HMAC pads of a *derived* SQL key, as binary parameters of one prepared
 * statement per connection; evidence carries at most a keyed fingerprint.
 *
 *   sqlKey      = HMAC-SHA256(key, "clinspark-scrub/sql-key/v1")      (32 bytes)
 *   ipad, opad  = (sqlKey zero-padded to 64 bytes) XOR 0x36.. / 0x5c..  (HMAC-SHA256 pads)
 *   fingerprint = first 16 hex of HMAC-SHA256(key, "clinspark-scrub-key-id")
 *
 * Every masked value is a function of HMAC-SHA256(sqlKey, "<domain>:" || value), computed in SQL.
 */
import { createHmac } from 'crypto';

/** The shortest key accepted, in bytes. */
export const MIN_KEY_BYTES = 32;

const SQL_KEY_LABEL = 'clinspark-scrub/sql-key/v1';
const FINGERPRINT_LABEL = 'clinspark-scrub-key-id';

/** A key that cannot be used; the message never contains key material. */
export class ScrubKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScrubKeyError';
  }
}

export function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key)) throw new ScrubKeyError('the scrub key must be bytes');
  if (key.length < MIN_KEY_BYTES) {
    throw new ScrubKeyError(`the scrub key is ${key.length} bytes; it must be at least ${MIN_KEY_BYTES} bytes (e.g. 64 random characters)`);
  }
}

/** The key HMAC-SHA256 in SQL is computed with (never the raw key). */
export function deriveSqlKey(key: Buffer): Buffer {
  checkKey(key);
  return createHmac('sha256', key).update(SQL_KEY_LABEL, 'utf8').digest();
}

/** HMAC-SHA256 inner and outer pads of a key of at most 64 bytes. */
export function hmacPads(hmacKey: Buffer): { ipad: Buffer; opad: Buffer } {
  if (hmacKey.length > 64) throw new ScrubKeyError('an HMAC-SHA256 key longer than 64 bytes must be hashed first');
  const padded = Buffer.alloc(64);
  hmacKey.copy(padded);
  return { ipad: Buffer.from(padded.map((b) => b ^ 0x36)), opad: Buffer.from(padded.map((b) => b ^ 0x5c)) };
}

/**
 * A keyed fingerprint of the key for evidence: tells two runs' keys apart without revealing
 * anything usable (it is an HMAC under the key itself, not an unkeyed hash of it).
 */
export function keyFingerprint(key: Buffer): string {
  checkKey(key);
  return createHmac('sha256', key).update(FINGERPRINT_LABEL, 'utf8').digest('hex').slice(0, 16);
}
