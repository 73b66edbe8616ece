/** `npx clinspark scrub`: options, errors that never echo the password, dry run, a full run. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { scrubCommand } from '../../lib/cli/commands/scrub';
import { main } from '../../lib/cli/main';
import { testServer } from '../support/db';
import { RULES_PATH } from './fixtures/volunteers';
import { FixtureDb, KEY_A, bufferIo, dumpDatabase, fixtureDb, scopedUser, tableNames } from './support';

const server = testServer();
const PASSWORD = scopedUser('').password;

function url(database: string, password = PASSWORD, port = server.port): string {
  return `mysql://${scopedUser(database).user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const b = bufferIo();
  const code = await main(['scrub', ...args], b.io);
  return { code, out: b.out.join('\n'), err: b.err.join('\n') };
}

describe('clinspark scrub', () => {
  let dir: string;
  let keyFile: string;
  let db: FixtureDb;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-scrub-cli-'));
    keyFile = path.join(dir, 'scrub.key');
    fs.writeFileSync(keyFile, `${KEY_A.toString('utf8')}\n`, { mode: 0o600 });
    db = await fixtureDb('scrub_cli', 5);
  });

  afterAll(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('--help documents every option, the modes, TLS and the exit codes', async () => {
    const { code, out } = await cli('--help');
    expect(code).toBe(0);
    for (const option of Object.keys(scrubCommand.options)) expect(out).toContain(`--${option}`);
    expect(out).toMatch(/--dry-run\s+Validate the rules against the live schema/);
    expect(out).toContain('TLS is required');
    expect(out).toContain('Exit codes: 0 success, 1 failure');
  });

  test.each([
    [
      'a scheme other than mysql',
      `postgres://u:${PASSWORD}@db.example.com/clinspark`,
      /--database-url must start with mysql:\/\/; expected mysql:\/\/user\[:password\]@host\[:port\]\/database/,
    ],
    [
      'no database',
      `mysql://u:${PASSWORD}@db.example.com:3306/`,
      /--database-url mysql:\/\/u:\*\*\*@db\.example\.com:3306\/: the path must be the database name/,
    ],
    ['no scheme', `u:${PASSWORD}@db.example.com`, /--database-url must start with mysql:\/\//],
    [
      'not a URL',
      `mysql://u:${PASSWORD}@db example.com/x`,
      /--database-url is not a valid URL; expected mysql:\/\/user\[:password\]@host\[:port\]\/database/,
    ],
    ['no host', `mysql:/u:${PASSWORD}@db.example.com/x`, /--database-url has no host/],
    ['TLS options in the URL', `mysql://u:${PASSWORD}@db.example.com/x?ssl=false`, /query parameters and fragments are not supported/],
  ])('a bad URL (%s) exits 1 without echoing the password', async (_label, value, expected) => {
    const { code, err, out } = await cli('--rules', RULES_PATH, '--database-url', value, '--dry-run');
    expect(code).toBe(1);
    expect(err).toMatch(expected);
    expect(err + out).not.toContain(PASSWORD);
  });

  test('an unreachable database, a wrong password and an unverifiable certificate exit 1 with a clear message', async () => {
    const closed = await cli('--rules', RULES_PATH, '--database-url', url(db.name, PASSWORD, 1), '--ca', server.caPath, '--dry-run');
    expect(closed.code).toBe(1);
    expect(closed.err).toContain(
      `clinspark scrub: cannot connect to mysql://${scopedUser(db.name).user}:***@127.0.0.1:1/${db.name}: ECONNREFUSED`,
    );
    const denied = await cli(
      '--rules',
      RULES_PATH,
      '--database-url',
      url(db.name, 'Wrong-Password-42'),
      '--ca',
      server.caPath,
      '--dry-run',
    );
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/cannot connect to .*: database error 1045 ER_ACCESS_DENIED_ERROR: Access denied for user/);
    expect(denied.err).not.toContain('Wrong-Password-42');
    // Without --ca the server certificate is checked against the Amazon RDS bundle: the test CA fails.
    const untrusted = await cli('--rules', RULES_PATH, '--database-url', url(db.name), '--dry-run');
    expect(untrusted.code).toBe(1);
    expect(untrusted.err).toMatch(/cannot connect to .*(self[- ]signed|certificate)/i);
    for (const r of [closed, denied, untrusted]) expect(r.err + r.out).not.toContain(PASSWORD);
  });

  test('--dry-run prints the plan with row counts and changes nothing', async () => {
    const before = await dumpDatabase(db.conn, db.name);
    const { code, out, err } = await cli('--rules', RULES_PATH, '--database-url', url(db.name), '--ca', server.caPath, '--dry-run');
    expect([code, err]).toEqual([0, '']);
    expect(out).toContain(`Scrub plan for database '${db.name}'`);
    expect(out).toContain(`volunteers: mask 12 column(s) of ${db.counts.volunteers} rows, batched on 'id'`);
    expect(out).toContain(`audit_events: truncate (${db.counts.auditEvents} rows)`);
    expect(out).not.toContain(PASSWORD);
    expect(await tableNames(db.conn, db.name)).toEqual(['audit_events', 'contacts', 'lab_results', 'studies', 'visits', 'volunteers']);
    expect(await dumpDatabase(db.conn, db.name)).toEqual(before);
  });

  test('rules that do not fit the database list every problem with file and path, exit 1, and change nothing', async () => {
    const rules = path.join(dir, 'bad.rules.yaml');
    fs.writeFileSync(
      rules,
      fs
        .readFileSync(RULES_PATH, 'utf8')
        .replace('      sex: keep', '      sexe: keep')
        .replace('  audit_events: truncate', '  audit_event: truncate'),
    );
    const before = await dumpDatabase(db.conn, db.name);
    const { code, err } = await cli('--rules', rules, '--database-url', url(db.name), '--ca', server.caPath, '--key-file', keyFile);
    expect(code).toBe(1);
    expect(err).toContain('scrub: 4 problems found; nothing was changed');
    expect(err).toContain(`${rules}: tables: table 'audit_events' of database '${db.name}' is not named in the rules`);
    expect(err).toContain(
      `${rules}: tables.volunteers.columns.sexe: column 'sexe' does not exist in table 'volunteers' (did you mean 'sex'?)`,
    );
    expect(err).toContain(`${rules}: tables.volunteers.columns: column 'sex' (char(1)) has no rule`);
    expect(err).toContain(`${rules}: tables.audit_event: table 'audit_event' does not exist`);
    expect(await dumpDatabase(db.conn, db.name)).toEqual(before);
  });

  test('usage errors exit 2; --insecure-no-tls is refused for a remote host', async () => {
    const noKey = await cli('--rules', RULES_PATH, '--database-url', url(db.name), '--ca', server.caPath);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain('--key-file is required to scrub (not for --dry-run or --verify-only)');
    const both = await cli('--rules', RULES_PATH, '--database-url', url(db.name), '--dry-run', '--verify-only');
    expect(both.code).toBe(2);
    const remote = await cli(
      '--rules',
      RULES_PATH,
      '--database-url',
      `mysql://u:${PASSWORD}@db.example.com/x`,
      '--insecure-no-tls',
      '--dry-run',
    );
    expect(remote.code).toBe(1);
    expect(remote.err).toContain(
      '--insecure-no-tls is only allowed for a database on this machine (localhost, ' +
        '127.0.0.1, ::1), not db.example.com; use TLS (--ca <pem>)',
    );
    const local = await cli('--rules', RULES_PATH, '--database-url', url(db.name), '--insecure-no-tls', '--dry-run');
    expect(local.code).toBe(0);
    expect(local.err).toContain(`WARNING: --insecure-no-tls: connecting to 127.0.0.1:${server.port} WITHOUT TLS (local rehearsal only)`);
  });

  test('a full run scrubs, verifies, writes the evidence file; --verify-only then passes', async () => {
    const evidenceFile = path.join(dir, 'evidence.json');
    const run = await cli(
      '--rules',
      RULES_PATH,
      '--database-url',
      url(db.name),
      '--ca',
      server.caPath,
      '--key-file',
      keyFile,
      '--batch-size',
      '4',
      '--evidence',
      evidenceFile,
    );
    expect(run.code).toBe(0);
    expect(run.out).toBe('');
    expect(run.err).toMatch(/scrub: mask volunteers: \d+\/\d+ rows, \d+ rows\/s \(done\)/);
    expect(run.err).toContain(`scrub: ${db.name}: scrubbed and verified (4 table(s) masked, 1 truncated, 1 kept)`);
    const evidence = JSON.parse(fs.readFileSync(evidenceFile, 'utf8'));
    expect(evidence).toMatchObject({ status: 'succeeded', batchSize: 4, rulesFile: RULES_PATH, verification: { passed: true } });
    // The key file's trailing newline is not part of the key: the fingerprint is that of KEY_A.
    const { keyFingerprint } = await import('../../constructs/pii-scrub');
    expect(evidence.keyFingerprint).toBe(keyFingerprint(KEY_A));
    for (const text of [run.out, run.err, fs.readFileSync(evidenceFile, 'utf8')]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(KEY_A.toString('utf8'));
    }
    const verify = await cli('--rules', RULES_PATH, '--database-url', url(db.name), '--ca', server.caPath, '--verify-only');
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.out)).toMatchObject({ mode: 'verify-only', status: 'succeeded' });
    expect(verify.err).toContain(`scrub: ${db.name}: verification passed`);
  });
});
