/** HMAC-SHA256 computed by the database equals Node's crypto.createHmac, for any text. */
import { createHmac, randomBytes } from 'crypto';
import * as mysql from 'mysql2/promise';
import { deriveSqlKey, domainHmacNode, domainHmacSql, hmacSql, installKey, keyFingerprint, uninstallKey } from '../../constructs/pii-scrub';
import { dropDatabase, scratchDatabase } from '../support/db';
import { KEY_A, KEY_B, connectTo, grantScoped } from './support';

const VALUES = [
  '',
  'a',
  'abc',
  'Zoë',
  'Łukasz',
  'José García Márquez',
  '山田 太郎',
  '日本語のメモ 🙂',
  'emoji 🧬👩‍🔬 family 👨‍👩‍👧',
  'O\'Connor \\ backslash " quote',
  'x'.repeat(55),
  'y'.repeat(56),
  'z'.repeat(64),
  'long '.repeat(200),
  'trailing space ',
  'tab\tand\nnewline',
  'NUL\u0000inside',
  ...Array.from({ length: 40 }, (_, i) => randomBytes(1 + i).toString('base64')),
];

describe('HMAC-SHA256 in SQL', () => {
  let db: string;
  let conn: mysql.Connection;

  beforeAll(async () => {
    db = await scratchDatabase('scrub_hmac');
    await grantScoped(db);
    conn = await connectTo(db);
    await conn.query(
      'CREATE TABLE t (id INT PRIMARY KEY, u VARCHAR(2000) CHARACTER SET utf8mb4, l VARCHAR(2000) CHARACTER SET latin1 NULL)',
    );
    await conn.query('INSERT INTO t (id, u, l) VALUES ?', [
      VALUES.map((v, i) => [i, v, [...v].every((ch) => ch.charCodeAt(0) <= 0xff) ? v : null]),
    ]);
  });

  afterAll(async () => {
    await conn.end();
    await dropDatabase(db);
  });

  test('equals crypto.createHmac for every value of a utf8mb4 column (ASCII, accents, CJK, emoji, NUL, > 64 bytes)', async () => {
    // GIVEN the pads of a derived SQL key installed in the session
    await installKey(conn, KEY_A);
    const sqlKey = deriveSqlKey(KEY_A);
    // WHEN the database computes the HMAC of each stored value
    const [rows] = await conn.query(
      `SELECT id, LOWER(HEX(${hmacSql('CAST(CONVERT(u USING utf8mb4) AS BINARY)')})) AS h FROM t ORDER BY id`,
    );
    // THEN it is Node's HMAC-SHA256 of the UTF-8 bytes, value by value
    const got = (rows as Array<{ id: number; h: string }>).map((r) => r.h);
    expect(got).toEqual(VALUES.map((v) => createHmac('sha256', sqlKey).update(v, 'utf8').digest('hex')));
  });

  test('hashes the UTF-8 bytes of a value whatever the column character set (latin1)', async () => {
    await installKey(conn, KEY_A);
    const [rows] = await conn.query(`SELECT id, LOWER(HEX(${domainHmacSql('orig', 'l')})) AS h FROM t WHERE l IS NOT NULL ORDER BY id`);
    const sqlKey = deriveSqlKey(KEY_A);
    for (const r of rows as Array<{ id: number; h: string }>)
      expect(r.h).toBe(domainHmacNode(sqlKey, 'orig', VALUES[r.id]).toString('hex'));
    expect((rows as unknown[]).length).toBeGreaterThan(10);
  });

  test('domains separate strategies, and another key gives other hashes', async () => {
    await installKey(conn, KEY_A);
    const [a] = await conn.query(
      `SELECT LOWER(HEX(${domainHmacSql('email', 'u')})) AS e, LOWER(HEX(${domainHmacSql('hash', 'u')})) AS h FROM t WHERE id = 3`,
    );
    await installKey(conn, KEY_B);
    const [b] = await conn.query(`SELECT LOWER(HEX(${domainHmacSql('email', 'u')})) AS e FROM t WHERE id = 3`);
    const ra = (a as Array<{ e: string; h: string }>)[0];
    expect(ra.e).toBe(domainHmacNode(deriveSqlKey(KEY_A), 'email', 'Zoë').toString('hex'));
    expect(ra.e).not.toBe(ra.h);
    expect((b as Array<{ e: string }>)[0].e).not.toBe(ra.e);
  });

  test('no key material appears in the SQL text; the pads leave the session afterwards', async () => {
    const sql = hmacSql('CAST(u AS BINARY)') + domainHmacSql('email', 'u');
    const sqlKey = deriveSqlKey(KEY_A);
    for (const secret of [KEY_A.toString('hex'), KEY_A.toString('utf8'), sqlKey.toString('hex'), sqlKey.toString('base64')]) {
      expect(sql.toLowerCase()).not.toContain(secret.toLowerCase().slice(0, 16));
    }
    await installKey(conn, KEY_A);
    await uninstallKey(conn);
    const [rows] = await conn.query('SELECT @clinspark_scrub_ipad IS NULL AND @clinspark_scrub_opad IS NULL AS cleared');
    expect(Number((rows as Array<{ cleared: number }>)[0].cleared)).toBe(1);
  });

  test('the key fingerprint is an HMAC under the key, not a hash of it', () => {
    expect(keyFingerprint(KEY_A)).toBe(createHmac('sha256', KEY_A).update('clinspark-scrub-key-id').digest('hex').slice(0, 16));
    expect(keyFingerprint(KEY_A)).not.toBe(keyFingerprint(KEY_B));
    expect(() => keyFingerprint(Buffer.alloc(31))).toThrow(/at least 32 bytes/);
  });
});
