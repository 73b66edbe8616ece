/**
 * The scrub step of the VAL scrubbed-copy workflow: Secrets Manager and S3 mocked with
 * aws-sdk-client-mock, the SQL against a real MariaDB of its own (the step locks every account
 * of the server it works on, as it does on the staging copy, so not the shared test server).
 */
import * as fs from 'fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import * as mysql from 'mysql2/promise';
import { ScrubEvidence } from '../../constructs/pii-scrub';
import { DEADLINE_MARGIN_MS, ScrubStepEvent, ScrubStepResult, runIdOf, scrubStep } from '../../constructs/pii-scrub/handler';
import { TestDatabaseServer, startMariaDb, stopMariaDb } from '../support/mariadb';
import { RULES_YAML, loadVolunteerFixture } from './fixtures/volunteers';
import { Dump, KEY_A, dumpDatabase } from './support';

const STAGING_SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:val-main-staging-AbCdEf';
const KEY_SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:val-scrub-key-GhIjKl';
const BUCKET = 'acme-val-evidence';
const EVIDENCE_KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/evidence-key';
const EXECUTION = 'main-abc123-4f0e2c1a9b7d';

const secrets = mockClient(SecretsManagerClient);
const s3 = mockClient(S3Client);

/** A Lambda context with `ms` left (the step keeps DEADLINE_MARGIN_MS in reserve). */
const context = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

function uploaded(): Array<{ input: PutObjectCommand['input']; evidence: ScrubEvidence }> {
  return s3
    .commandCalls(PutObjectCommand)
    .map((c) => ({ input: c.args[0].input, evidence: JSON.parse(String(c.args[0].input.Body as string)) as ScrubEvidence }));
}

describe('PII scrub step (Step Functions task)', () => {
  let server: TestDatabaseServer;
  let admin: mysql.Connection;
  let logs: string[];
  let logSpy: jest.SpyInstance;
  let counter = 0;

  const connect = (user: string, password: string, database?: string) =>
    mysql.createConnection({
      host: server.host,
      port: server.port,
      user,
      password,
      database,
      ssl: { ca: fs.readFileSync(server.caPath, 'utf8') },
      charset: 'utf8mb4_unicode_ci',
      multipleStatements: true,
    });

  async function fixture(
    extra: number,
  ): Promise<{ name: string; conn: mysql.Connection; counts: Awaited<ReturnType<typeof loadVolunteerFixture>> }> {
    const name = `staging_${counter++}`;
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const conn = await connect(server.adminUser, server.adminPassword, name);
    await conn.query("SET time_zone = '+00:00'");
    const counts = await loadVolunteerFixture(conn, extra);
    return { name, conn, counts };
  }

  function event(database: string, overrides: Partial<ScrubStepEvent['scrub']> = {}): ScrubStepEvent {
    return {
      database: { host: server.host, port: server.port, username: server.adminUser, secretArn: STAGING_SECRET, name: database },
      scrub: {
        keySecretArn: KEY_SECRET,
        rulesYaml: RULES_YAML,
        evidenceBucket: BUCKET,
        evidenceKmsKeyId: EVIDENCE_KMS_KEY,
        evidenceKey: 'main/clinspark-acme-val-main-scrubbed-abc123.json',
        failedEvidencePrefix: 'main/failed/clinspark-acme-val-main-scrubbed-abc123/',
        batchSize: 40,
        ...overrides,
      },
      execution: EXECUTION,
    };
  }

  beforeAll(async () => {
    server = await startMariaDb();
    process.env.DB_CA_BUNDLE_FILE = server.caPath;
    admin = await connect(server.adminUser, server.adminPassword);
  });

  afterAll(async () => {
    delete process.env.DB_CA_BUNDLE_FILE;
    await admin?.end();
    if (server) stopMariaDb(server);
  });

  beforeEach(() => {
    secrets.reset();
    s3.reset();
    secrets
      .on(GetSecretValueCommand, { SecretId: STAGING_SECRET })
      .resolves({ SecretString: JSON.stringify({ run: 'abc123', password: server.adminPassword }) });
    secrets.on(GetSecretValueCommand, { SecretId: KEY_SECRET }).resolves({ SecretString: KEY_A.toString('utf8') });
    s3.on(PutObjectCommand).resolves({});
    logs = [];
    logSpy = jest.spyOn(console, 'log').mockImplementation((line: string) => {
      logs.push(line);
    });
  });

  afterEach(() => logSpy.mockRestore());

  /** Nothing secret and no personal value was logged; every line is JSON. */
  function expectCleanLogs(before: Dump): void {
    const text = logs.join('\n');
    for (const line of logs) expect(() => JSON.parse(line)).not.toThrow();
    expect(text).not.toContain(server.adminPassword);
    expect(text).not.toContain(KEY_A.toString('utf8'));
    expect(text).not.toContain(KEY_A.toString('hex'));
    for (const row of before.volunteers) {
      for (const v of [row.email, row.last_name, row.phone]) if (v && v.length > 3) expect(text).not.toContain(v);
    }
  }

  test(
    'the loop: each call resumes the run until the deadline; the last writes the ' +
      "evidence with the bucket's own key; source accounts are locked",
    async () => {
      const db = await fixture(10);
      // The source's application user and its rotation twin came with the copy.
      for (const u of ['clinspark_app', 'clinspark_app_clone'])
        await admin.query(`CREATE USER IF NOT EXISTS ${admin.escape(u)}@'%' IDENTIFIED BY 'Source-Password-0123456789ab'`);
      try {
        const before = await dumpDatabase(db.conn, db.name);
        // WHEN the state machine loops on the step, each Lambda having only the margin left (one unit per call)
        let result: ScrubStepResult = await scrubStep(event(db.name), context(DEADLINE_MARGIN_MS));
        let calls = 1;
        while (!result.complete && calls < 200) {
          result = await scrubStep(event(db.name), context(DEADLINE_MARGIN_MS));
          calls += 1;
        }
        // THEN it completes after several calls
        expect(calls).toBeGreaterThan(5);
        expect(result).toEqual({
          complete: true,
          evidenceKey: 'main/clinspark-acme-val-main-scrubbed-abc123.json',
          rulesetSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          rowsScrubbed: expect.any(Number),
          lockedAccounts: 2, // every call (re-)locks them: ALTER USER ... ACCOUNT LOCK is idempotent
        });
        // AND the evidence went to S3 encrypted with the evidence key (SSEKMSKeyId), not aws/s3
        const puts = uploaded();
        expect(puts).toHaveLength(1);
        expect(puts[0].input).toMatchObject({
          Bucket: BUCKET,
          Key: 'main/clinspark-acme-val-main-scrubbed-abc123.json',
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: EVIDENCE_KMS_KEY,
          ContentType: 'application/json',
        });
        expect(puts[0].evidence).toMatchObject({
          status: 'succeeded',
          database: db.name,
          runId: runIdOf(EXECUTION),
          verification: { passed: true },
        });
        expect(String(puts[0].input.Body as string)).not.toContain(KEY_A.toString('utf8'));
        // AND no credential of the source works on the copy
        for (const u of ['clinspark_app', 'clinspark_app_clone'])
          await expect(connect(u, 'Source-Password-0123456789ab')).rejects.toThrow(/locked|denied/i);
        const master = await connect(server.adminUser, server.adminPassword);
        await master.end();
        // AND the database is scrubbed
        const after = await dumpDatabase(db.conn, db.name);
        expect(after.volunteers[0].email).not.toBe(before.volunteers[0].email);
        expectCleanLogs(before);
        expect(logs.some((l) => JSON.parse(l).event === 'scrub-progress')).toBe(true);
      } finally {
        await db.conn.end();
      }
    },
  );

  test('a rule that does not fit fails the step with failed evidence (same key) under the failed prefix, changing nothing', async () => {
    const db = await fixture(3);
    try {
      const before = await dumpDatabase(db.conn, db.name);
      const bad = RULES_YAML.replace('      sex: keep', '      sexe: keep');
      const error = await scrubStep(event(db.name, { rulesYaml: bad }), context(15 * 60_000)).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(`PII scrub of database '${db.name}' failed: the rules do not fit the database`);
      const failedKey = `main/failed/clinspark-acme-val-main-scrubbed-abc123/${EXECUTION}.json`;
      expect((error as Error).message).toContain(`(evidence: s3://${BUCKET}/${failedKey})`);
      const puts = uploaded();
      expect(puts).toHaveLength(1);
      expect(puts[0].input).toMatchObject({ Key: failedKey, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: EVIDENCE_KMS_KEY });
      expect(puts[0].evidence).toMatchObject({ status: 'failed' });
      expect(await dumpDatabase(db.conn, db.name)).toEqual(before);
      expectCleanLogs(before);
    } finally {
      await db.conn.end();
    }
  });

  test('bad input and a short key are refused with messages that name the problem, not the secret', async () => {
    const bad = event('x', { evidenceKmsKeyId: '' });
    await expect(scrubStep({ ...bad, scrub: { ...bad.scrub, batchSize: 0 } }, context(1000))).rejects.toThrow(
      "invalid PII scrub input: scrub.evidenceKmsKeyId is required (a string); scrub.batchSize must be a positive whole number, got '0'",
    );
    secrets.on(GetSecretValueCommand, { SecretId: KEY_SECRET }).resolves({ SecretString: 'short-key' });
    const error = await scrubStep(event('scrub_nokey'), context(1000)).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /^PII scrub of database 'scrub_nokey' failed: the scrub key is 9 bytes; it must be at least 32 bytes/,
    );
    expect((error as Error).message).not.toContain('short-key');
  });
});
