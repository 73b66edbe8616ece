/**
 * The shared handler runtime (constructs/core/runtime): redaction of errors and logs, the entry
 * points, property parsing with zod, and the one poll loop.
 */
import { DescribeDBClustersCommand, ModifyDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import * as mysql from 'mysql2/promise';
import { z } from 'zod';
import { customResourceHandler, taskHandler } from '../../constructs/core/runtime/custom-resource';
import { HandlerError, redactInPlace, toHandlerError, wrapError } from '../../constructs/core/runtime/errors';
import { Logger } from '../../constructs/core/runtime/logger';
import { done, notYet, pollUntil } from '../../constructs/core/runtime/poll';
import {
  flag,
  forbidden,
  integer,
  isoDate,
  jsonText,
  matching,
  optionalText,
  parseProperties,
  parseWith,
  requiredText,
  userName,
} from '../../constructs/core/runtime/properties';
import { resetMasterPassword } from '../../constructs/core/runtime/rds';
import { nativePasswordHash, Redactor, sqlEscaped } from '../../constructs/core/runtime/redaction';

const PASSWORD = `Pa'ss"word\\-0123456789-abcdef`;

function capture(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const spies = (['log', 'warn', 'error'] as const).map((m) =>
    jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
  );
  return { lines, restore: () => spies.forEach((s) => s.mockRestore()) };
}

describe('Redactor', () => {
  test.each([
    ['plain', 'Plain-Secret-Value-1234567890'],
    ['quotes and backslashes', PASSWORD],
    ['control characters', 'a\0b\bc\td\ne\rf\x1ag'],
  ])("sqlEscaped is mysql2's escaping (%s), so the form a server quotes back is removed too", (_what, secret) => {
    expect(sqlEscaped(secret)).toBe(mysql.escape(secret).slice(1, -1));
    const r = new Redactor();
    r.add(secret);
    const text = `near '${mysql.escape(secret).slice(1, -1)}' and ${JSON.stringify({ p: secret })} and ${secret}`;
    expect(r.redact(text)).not.toContain(secret);
    expect(r.redact(text)).not.toContain(sqlEscaped(secret));
    expect(r.redact(text)).not.toContain(JSON.stringify(secret).slice(1, -1));
  });

  test('the longest secret is removed first; structured values are redacted key and value', () => {
    const r = new Redactor();
    r.add('abcd1234');
    r.add('abcd1234-longer');
    expect(r.redact('x abcd1234-longer y abcd1234')).toBe('x ***** y *****');
    expect(r.redactValue({ abcd1234: ['abcd1234', 3, { e: new Error('abcd1234-longer') }] })).toEqual({
      '*****': ['*****', 3, { e: '*****' }],
    });
  });
});

describe('Logger', () => {
  test('text lines: every level redacted, warn and error on their console methods', () => {
    const out = capture();
    try {
      const r = new Redactor();
      r.add(PASSWORD);
      const log = new Logger('test-source', r);
      log.info(`password is ${PASSWORD}`);
      log.warn(`escaped ${sqlEscaped(PASSWORD)}`, { also: PASSWORD });
      log.error(`json ${JSON.stringify(PASSWORD)}`);
      expect(out.lines).toEqual([
        '[test-source] password is *****',
        '[test-source] WARNING: escaped ***** {"also":"*****"}',
        '[test-source] ERROR: json "*****"',
      ]);
    } finally {
      out.restore();
    }
  });

  test('JSON lines: one valid object per line, with source, level and event; values redacted', () => {
    const out = capture();
    try {
      const r = new Redactor();
      r.add(PASSWORD);
      const log = new Logger('clinspark-x', r, 'json');
      log.info('step-done', { note: `with ${PASSWORD}`, nested: { list: [PASSWORD] } });
      log.warn('odd', { error: new Error(`failed for ${PASSWORD}`) });
      expect(out.lines.map((l) => JSON.parse(l))).toEqual([
        { source: 'clinspark-x', level: 'info', event: 'step-done', note: 'with *****', nested: { list: ['*****'] } },
        { source: 'clinspark-x', level: 'warn', event: 'odd', error: 'failed for *****' },
      ]);
      expect(out.lines.join('\n')).not.toContain(PASSWORD);
    } finally {
      out.restore();
    }
  });
});

describe('errors', () => {
  test('wrapError and toHandlerError redact and keep errno and code', () => {
    const r = new Redactor();
    r.add(PASSWORD);
    const driver = Object.assign(new Error(`near '${sqlEscaped(PASSWORD)}'`), {
      code: 'ER_PARSE_ERROR',
      errno: 1064,
      sql: `SET x = '${sqlEscaped(PASSWORD)}'`,
    });
    const wrapped = wrapError('step', driver, r);
    expect(wrapped).toBeInstanceOf(HandlerError);
    expect(wrapped.message).toBe("step: ER_PARSE_ERROR (1064) near '*****'");
    expect([wrapped.errno, wrapped.code]).toEqual([1064, 'ER_PARSE_ERROR']);
    const again = toHandlerError(new HandlerError(`late ${PASSWORD}`, { errno: 1045 }), r);
    expect([again.message, again.errno]).toEqual(['late *****', 1045]);
  });

  test('redactInPlace keeps the class (Step Functions retries by name), redacts message and stack, drops sql and cause', () => {
    class NotReady extends Error {
      constructor(m: string) {
        super(m);
        this.name = 'NotReady';
      }
    }
    const r = new Redactor();
    r.add(PASSWORD);
    const e = Object.assign(new NotReady(`waiting with ${PASSWORD}`), {
      sql: `ALTER USER x IDENTIFIED BY '${PASSWORD}'`,
      detail: PASSWORD,
      cause: new Error(PASSWORD),
    });
    const same = redactInPlace(e, r);
    expect(same).toBe(e);
    expect(same).toBeInstanceOf(NotReady);
    expect(same.name).toBe('NotReady');
    expect(`${same.message} ${same.stack} ${JSON.stringify(same)} ${Object.values(same).join(' ')}`).not.toContain(PASSWORD);
    expect('sql' in same).toBe(false);
    expect(redactInPlace(`thrown ${PASSWORD}`, r)).toEqual(new HandlerError('thrown *****'));
  });
});

describe('entry points', () => {
  test('customResourceHandler dispatches by request type; an error that quotes a password leaves redacted, in the log too', async () => {
    const seen: string[] = [];
    const handler = customResourceHandler('cr-test', {
      create: () => Promise.resolve({ PhysicalResourceId: 'created' }),
      update: (e) => Promise.resolve({ PhysicalResourceId: e.PhysicalResourceId ?? 'x', Data: { A: '1' } }),
      delete: (_e, { redactor }) => {
        redactor.add(PASSWORD);
        seen.push('delete');
        return Promise.reject(
          Object.assign(new Error(`server said '${sqlEscaped(PASSWORD)}' and ${nativePasswordHash(PASSWORD)}`), {
            code: 'ER_X',
            sql: PASSWORD,
          }),
        );
      },
    });
    const out = capture();
    try {
      await expect(handler({ RequestType: 'Create', ResourceProperties: {} })).resolves.toEqual({ PhysicalResourceId: 'created' });
      await expect(handler({ RequestType: 'Update', PhysicalResourceId: 'p', ResourceProperties: {} })).resolves.toEqual({
        PhysicalResourceId: 'p',
        Data: { A: '1' },
      });
      const error = await handler({ RequestType: 'Delete', PhysicalResourceId: 'p', ResourceProperties: {} }).then(
        () => undefined,
        (e: unknown) => e as HandlerError,
      );
      expect(error).toBeInstanceOf(HandlerError);
      expect(error?.message).toMatch(/^ER_X server said '\*\*\*\*\*' and \*[0-9A-F]{40}$/);
      expect(`${error?.message}${error?.stack}${JSON.stringify(error)}${out.lines.join('\n')}`).not.toContain(PASSWORD);
      expect(out.lines.some((l) => l.includes('[cr-test] WARNING: Delete failed: ER_X'))).toBe(true);
      expect(seen).toEqual(['delete']);
      await expect(handler({ RequestType: 'Bogus' as 'Create', ResourceProperties: {} })).rejects.toThrow(/unknown RequestType "Bogus"/);
    } finally {
      out.restore();
    }
  });

  test('taskHandler rethrows the same error, redacted', async () => {
    class Busy extends Error {}
    const task = taskHandler(
      'task-test',
      (event: { n: number }, { redactor }) => {
        redactor.add(PASSWORD);
        return event.n > 0 ? Promise.reject(new Busy(`busy with ${PASSWORD}`)) : Promise.resolve('ok');
      },
      { format: 'json' },
    );
    const out = capture();
    try {
      await expect(task({ n: 0 }, undefined)).resolves.toBe('ok');
      const error = await task({ n: 1 }, undefined).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(Busy);
      expect(error?.message).toBe('busy with *****');
      expect(out.lines.map((l) => JSON.parse(l).event)).toEqual(['task-failed']);
      expect(out.lines.join('\n')).not.toContain(PASSWORD);
    } finally {
      out.restore();
    }
  });
});

describe('properties (zod)', () => {
  const schema = z.object({
    Host: matching(/^[a-z.]+$/, 'a host name'),
    Port: integer(1, 65535, 3306),
    User: userName(),
    Name: requiredText({ fix: 'name the database' }),
    Note: optionalText(),
    On: isoDate({ optional: true }),
    Lock: flag(),
    Secret: forbidden('must not be given here; the function reads no secret'),
    Run: jsonText(z.object({ role: z.string({ error: 'is required (a string)' }) }), '{"role": "main"}').optional(),
  });

  test('a valid set: defaults applied, strings trimmed, CloudFormation strings converted, unknown keys ignored', () => {
    expect(
      parseProperties(schema, {
        ServiceToken: 'arn',
        Host: ' db.example ',
        User: 'app_1',
        Name: 'clinspark',
        Note: '',
        Lock: 'true',
        Run: '{"role":"main"}',
      }),
    ).toEqual({
      Host: 'db.example',
      Port: 3306,
      User: 'app_1',
      Name: 'clinspark',
      Note: undefined,
      On: undefined,
      Lock: true,
      Secret: undefined,
      Run: { role: 'main' },
    });
    expect(parseProperties(schema, { Host: 'a', User: 'u', Name: 'n', Port: '5432', On: '2025-03-01', Lock: false }).Port).toBe(5432);
  });

  test('every problem at once, each naming the property, the value and the fix', () => {
    const error = (() => {
      try {
        parseProperties(schema, {
          Host: 'Bad Host!',
          Port: '0',
          User: "x'; DROP",
          On: '2025-02-30',
          Lock: 'yes',
          Secret: 'arn:x',
          Run: '{"role": 1}',
        });
      } catch (e) {
        return e as HandlerError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(HandlerError);
    expect(error?.message.split('; property ')).toEqual([
      `property 'Host' must be a host name (got "Bad Host!")`,
      `'Port' must be an integer between 1 and 65535 (got "0"); omit it for 3306`,
      `'User' must be 1-32 characters of A-Z, a-z, 0-9 and _ (got "x'; DROP")`,
      `'Name' is required (got nothing); name the database`,
      `'On' must be a date written YYYY-MM-DD (got "2025-02-30")`,
      `'Lock' must be 'true' or 'false' (got "yes")`,
      `'Secret' must not be given here; the function reads no secret`,
      `'Run.role' is required (a string)`,
    ]);
  });

  test('task inputs: the path style with a prefix', () => {
    const input = z.object({ a: z.object({ b: requiredText() }) });
    expect(() => parseWith(input, { a: {} }, { style: 'path', prefix: 'invalid input: ' })).toThrow(
      'invalid input: a.b is required (got nothing)',
    );
    expect(() => parseWith(input, {}, { style: 'path', prefix: 'invalid input: ' })).toThrow(
      /^invalid input: a must be object \(got undefined\)$/,
    );
  });
});

describe('pollUntil', () => {
  test('returns the first done value, probing at the interval', async () => {
    let n = 0;
    await expect(
      pollUntil(() => Promise.resolve(++n >= 3 ? done(n) : notYet(n)), {
        timeoutMs: 1000,
        intervalMs: 1,
        onTimeout: () => new Error('no'),
      }),
    ).resolves.toBe(3);
  });

  test('GIVEN a probe that never finishes THEN the timeout error is built from the last state, on time', async () => {
    let n = 0;
    const started = Date.now();
    const error = await pollUntil(() => Promise.resolve(notYet(`state ${++n}`)), {
      timeoutMs: 60,
      intervalMs: 10,
      onTimeout: (s, ms) => new HandlerError(`gave up after ${ms >= 60 ? '60+' : ms} ms at ${s}`),
    }).catch((e: unknown) => e as HandlerError);
    expect(error?.message).toBe(`gave up after 60+ ms at state ${n}`);
    expect(n).toBeGreaterThan(2);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('a probe that throws ends the poll at once; timeout 0 probes once', async () => {
    let n = 0;
    await expect(
      pollUntil(
        () => {
          n++;
          return Promise.reject(new Error('hard failure'));
        },
        { timeoutMs: 1000, intervalMs: 1, onTimeout: () => new Error('no') },
      ),
    ).rejects.toThrow('hard failure');
    expect(n).toBe(1);
    await expect(
      pollUntil(() => Promise.resolve(notYet(++n)), { timeoutMs: 0, intervalMs: 1000, onTimeout: (s) => new Error(`once: ${s}`) }),
    ).rejects.toThrow('once: 2');
  });

  test('resetMasterPassword: waits for the pending password, times out naming cluster and status, never shows the password', async () => {
    const rds = mockClient(RDSClient);
    const out = capture();
    try {
      rds.on(ModifyDBClusterCommand).rejects(new Error(`MasterUserPassword '${PASSWORD}' is invalid`));
      const r = new Redactor();
      const invocation = { redactor: r, log: new Logger('t', r) };
      const client = new RDSClient({});
      await expect(resetMasterPassword(client, 'c-1', PASSWORD, { pollMs: 1, timeoutMs: 50 }, invocation, 'cluster')).rejects.toThrow(
        "cluster: ModifyDBCluster c-1 (master password) failed: MasterUserPassword '*****' is invalid",
      );
      rds.reset();
      rds.on(ModifyDBClusterCommand).resolves({});
      rds
        .on(DescribeDBClustersCommand)
        .resolves({ DBClusters: [{ Status: 'resetting-master-credentials', PendingModifiedValues: { MasterUserPassword: '****' } }] });
      await expect(resetMasterPassword(client, 'c-1', PASSWORD, { pollMs: 5, timeoutMs: 30 }, invocation, 'cluster')).rejects.toThrow(
        /^cluster c-1: the master password was not applied within 0 s \(status resetting-master-credentials\)/,
      );
      rds
        .on(DescribeDBClustersCommand)
        .resolvesOnce({ DBClusters: [{ Status: 'modifying' }] })
        .resolves({ DBClusters: [{ Status: 'available', PendingModifiedValues: {} }] });
      await expect(
        resetMasterPassword(client, 'c-1', PASSWORD, { pollMs: 1, timeoutMs: 1000 }, invocation, 'cluster'),
      ).resolves.toBeUndefined();
      expect(out.lines.join('\n')).not.toContain(PASSWORD);
    } finally {
      out.restore();
      rds.restore();
    }
  });
});
