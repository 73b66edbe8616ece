/**
 * The secret-scrubbing SQL plumbing of the shared handler runtime (constructs/core/runtime), used
 * by every database handler, against the real server:
 * a server error that quotes a password (syntax error "near '...'") must not carry it out.
 */
import * as mysql from 'mysql2/promise';
import { HandlerError, wrapError } from '../../constructs/core/runtime/errors';
import { connect, query } from '../../constructs/core/runtime/mysql';
import { Redactor } from '../../constructs/core/runtime/redaction';
import { adminConnection, testServer } from '../support/db';

beforeAll(() => {
  process.env.DB_CA_BUNDLE_FILE = testServer().caPath;
});

describe('Redactor and query()', () => {
  test.each([
    ['a plain password', 'Plain-Secret-Value-1234567890'],
    ['a password with quotes and backslashes', `It's-a\\Secret"Value-1234`],
  ])(
    'GIVEN a syntax error quoting %s THEN the thrown error has neither the password nor its escaped form, nor the SQL',
    async (_what, password) => {
      const redactor = new Redactor();
      redactor.add(password);
      const conn = await adminConnection();
      try {
        // The server quotes the statement from the error on: "... near ''<password>' = 1' at line 1".
        const raw = await conn.query('SET ? = 1', [password]).then(
          () => undefined,
          (e: Error & { sql?: string }) => e,
        );
        expect(raw?.message).toContain(mysql.escape(password).slice(1, -1).slice(0, 10));
        expect(raw?.sql).toContain(mysql.escape(password));

        const error = await query(conn, 'test statement', 'SET ? = 1', [password], redactor).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(HandlerError);
        const text = `${(error as Error).message}\n${(error as Error).stack}\n${JSON.stringify(error)}`;
        expect(text).toMatch(/^test statement: ER_PARSE_ERROR \(1064\) You have an error in your SQL syntax/);
        expect(text).not.toContain(password);
        expect(text).not.toContain(mysql.escape(password).slice(1, -1));
        expect(text).toContain('*****');
        expect((error as HandlerError).errno).toBe(1064);
      } finally {
        await conn.end();
      }
    },
  );

  test('GIVEN a refused login THEN connect() names host and user, keeps errno 1045, and not the password', async () => {
    const s = testServer();
    const redactor = new Redactor();
    const error = await connect(
      { host: s.host, port: s.port, username: 'nobody_here', password: 'Wrong-Password-123456' },
      'probe',
      redactor,
      2000,
    ).then(
      () => undefined,
      (e: unknown) => e as HandlerError,
    );
    expect(error?.message).toMatch(
      new RegExp(`^probe: cannot connect to ${s.host.replace(/\./g, '\\.')}:${s.port} as 'nobody_here': ER_ACCESS_DENIED_ERROR \\(1045\\)`),
    );
    expect(error?.errno).toBe(1045);
    expect(`${error?.message}${error?.stack}`).not.toContain('Wrong-Password-123456');
  });

  test('wrapError redacts the longest secret first and keeps SDK error names', () => {
    const redactor = new Redactor();
    redactor.add('abcd1234');
    redactor.add('abcd1234-longer');
    const sdkError = Object.assign(new Error('value abcd1234-longer rejected'), { name: 'InvalidRequestException' });
    const wrapped = wrapError('PutSecretValue', sdkError, redactor);
    expect(wrapped.message).toBe('PutSecretValue: InvalidRequestException value ***** rejected');
    expect(wrapped.code).toBe('InvalidRequestException');
  });
});
