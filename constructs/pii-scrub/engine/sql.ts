/**
 * SQL building blocks shared by the engine: HMAC-SHA256 computed by the database, literals,
 * identifiers. Everything here runs unchanged on MariaDB 10.11 and Aurora MySQL 3 (MySQL 8.0):
 * SHA2, UNHEX, HEX, CONV, ELT, REGEXP, REGEXP_REPLACE, MAKEDATE, DATE_ADD, user variables.
 *
 * MySQL has no HMAC function, so it is spelled out from SHA2 (RFC 2104):
 *
 *   HMAC(K, m) = SHA256((K' XOR opad) || SHA256((K' XOR ipad) || m))
 *
 * where K' is the key zero-padded to 64 bytes. The two padded keys are placed once per connection
 * in the session variables @clinspark_scrub_ipad / @clinspark_scrub_opad by a prepared statement
 * with binary parameters (installKey), so no SQL text the engine builds, logs or reports ever
 * contains key material.
 */
import { createHmac } from 'crypto';
import { escape } from 'mysql2';
import type { Connection } from 'mysql2/promise';
import { quoteIdentifier } from '../../core/runtime/database';
import { deriveSqlKey, hmacPads } from './key';

export { quoteIdentifier };

const IPAD = '@clinspark_scrub_ipad';
const OPAD = '@clinspark_scrub_opad';

/** The bytes of a value as UTF-8 (binary string), whatever the column's type or character set. */
export function utf8Bytes(expr: string): string {
  return `CAST(CONVERT(${expr} USING utf8mb4) AS BINARY)`;
}

/** A value as a utf8mb4 string with binary collation: for exact comparisons without collation clashes. */
export function exactText(expr: string): string {
  return `(CONVERT(${expr} USING utf8mb4) COLLATE utf8mb4_bin)`;
}

/** HMAC-SHA256 (32 raw bytes) of a binary-string expression, under the key installed by installKey. */
export function hmacSql(messageBytes: string): string {
  return `UNHEX(SHA2(CONCAT(${OPAD}, UNHEX(SHA2(CONCAT(${IPAD}, ${messageBytes}), 256))), 256))`;
}

/**
 * Keyed hash of a value in a domain: HMAC(sqlKey, "<domain>:" || utf8(value)). Domains keep the
 * strategies independent (the `hash` of a value tells nothing about its `email` or `orig` hash).
 */
export function domainHmacSql(domain: string, valueExpr: string): string {
  if (!/^[a-z]+$/.test(domain)) throw new Error(`invalid HMAC domain '${domain}'`);
  return hmacSql(`CONCAT('${domain}:', ${utf8Bytes(valueExpr)})`);
}

/** Node's equivalent of domainHmacSql (tests and self-checks). */
export function domainHmacNode(sqlKey: Buffer, domain: string, value: string): Buffer {
  return createHmac('sha256', sqlKey).update(`${domain}:${value}`, 'utf8').digest();
}

/** An SQL literal for a constant that is not secret (dictionary words, fixed values, domains). */
export function literal(value: string | number): string {
  return escape(value);
}

/** An integer literal for a key value read from the database (never rounded through a double). */
export function integerLiteral(value: string): string {
  if (!/^-?\d{1,20}$/.test(value)) throw new Error('a key value is not an integer');
  return value;
}

const SELF_TEST_MESSAGE = 'clinspark-scrub-self-test';

/**
 * Installs the HMAC pads of the SQL key derived from `key` in this session and checks that the
 * database computes the same HMAC as Node (so a server or driver that altered binary parameters
 * is caught before any write).
 */
export async function installKey(conn: Connection, key: Buffer): Promise<void> {
  const sqlKey = deriveSqlKey(key);
  const { ipad, opad } = hmacPads(sqlKey);
  await conn.execute(`SET ${IPAD} = ?, ${OPAD} = ?`, [ipad, opad]);
  const [rows] = await conn.query(`SELECT LOWER(HEX(${hmacSql(`CAST('${SELF_TEST_MESSAGE}' AS BINARY)`)})) AS h`);
  const expected = createHmac('sha256', sqlKey).update(SELF_TEST_MESSAGE, 'utf8').digest('hex');
  if ((rows as Array<{ h: string }>)[0]?.h !== expected) {
    throw new Error('the database computed a different HMAC-SHA256 than the engine (binary parameters were altered); nothing was changed');
  }
}

/** Removes the pads from the session (the connection may be reused by the caller). */
export async function uninstallKey(conn: Connection): Promise<void> {
  await conn.query(`SET ${IPAD} = NULL, ${OPAD} = NULL`);
}
