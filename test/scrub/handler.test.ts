/**
 * The Lambda job (custom resource Provider framework): Secrets Manager and S3 mocked with
 * aws-sdk-client-mock, the SQL against the real MariaDB.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ScrubEvidence } from '../../constructs/pii-scrub';
import { DEADLINE_MARGIN_MS, ScrubEvent, isComplete, onEvent } from '../../constructs/pii-scrub/handler';
import { testServer } from '../support/db';
import { RULES_YAML } from './fixtures/volunteers';
import { Dump, KEY_A, dumpDatabase, fixtureDb } from './support';

const DB_SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:val-db-master-AbCdEf';
const KEY_SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:val-scrub-key-GhIjKl';
const BUCKET = 'acme-val-evidence';

const secrets = mockClient(SecretsManagerClient);
const s3 = mockClient(S3Client);

function event(db: string, type: ScrubEvent['RequestType'], overrides: Record<string, unknown> = {}, physical?: string): ScrubEvent {
  return {
    RequestType: type,
    RequestId: '4f0e2c1a-9b7d-4e55-8a3b-2d6c1f0e9a77',
    ...(physical ? { PhysicalResourceId: physical } : {}),
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:provider',
      DatabaseSecretArn: DB_SECRET,
      DatabaseName: db,
      KeySecretArn: KEY_SECRET,
      RulesYaml: RULES_YAML,
      EvidenceBucket: BUCKET,
      EvidenceKeyPrefix: 'scrub-evidence/acme/',
      BatchSize: '40',
      ...overrides,
    },
  };
}

/** A Lambda context with `ms` left (the handler keeps DEADLINE_MARGIN_MS in reserve). */
const context = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

function uploaded(): Array<{ input: PutObjectCommand['input']; evidence: ScrubEvidence }> {
  return s3.commandCalls(PutObjectCommand).map((c) => ({ input: c.args[0].input, evidence: JSON.parse(String(c.args[0].input.Body)) as ScrubEvidence }));
}

describe('PII scrub custom resource handler', () => {
  const server = testServer();
  let logs: string[];
  let logSpy: jest.SpyInstance;

  beforeAll(() => {
    process.env.DB_CA_BUNDLE_FILE = server.caPath;
  });

  afterAll(() => {
    delete process.env.DB_CA_BUNDLE_FILE;
  });

  beforeEach(() => {
    secrets.reset();
    s3.reset();
    secrets.on(GetSecretValueCommand, { SecretId: DB_SECRET }).resolves({
      SecretString: JSON.stringify({ host: server.host, port: server.port, username: server.adminUser, password: server.adminPassword, engine: 'mysql' }),
    });
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

  test('Create: onEvent starts a run, isComplete resumes it call after call, then reports evidence and data', async () => {
    const db = await fixtureDb('scrub_handler', 10);
    try {
      const before = await dumpDatabase(db.conn, db.name);
      // WHEN CloudFormation creates the resource
      const created = await onEvent(event(db.name, 'Create'));
      expect(created).toEqual({ PhysicalResourceId: `pii-scrub:${db.name}:cfn-4f0e2c1a-9b7d-4e55-8a3b-2d6c1f0e9a77` });
      // AND the provider polls isComplete, each Lambda having only the margin left (one unit per call)
      let result = await isComplete({ ...event(db.name, 'Create'), PhysicalResourceId: created.PhysicalResourceId }, context(DEADLINE_MARGIN_MS));
      let calls = 1;
      while (!result.IsComplete && calls < 100) {
        result = await isComplete({ ...event(db.name, 'Create'), PhysicalResourceId: created.PhysicalResourceId }, context(DEADLINE_MARGIN_MS));
        calls += 1;
      }
      // THEN it completes after several calls with the Data contract
      expect(calls).toBeGreaterThan(5);
      const key = `scrub-evidence/acme/${db.name}/cfn-4f0e2c1a-9b7d-4e55-8a3b-2d6c1f0e9a77.json`;
      expect(result).toEqual({
        IsComplete: true,
        Data: { EvidenceKey: key, RulesetSha256: expect.stringMatching(/^[0-9a-f]{64}$/), RowsScrubbed: String(db.counts.volunteers + db.counts.contacts + db.counts.visits + db.counts.labResults + db.counts.auditEvents) },
      });
      // AND the evidence went to S3 encrypted with the bucket's KMS key, as JSON
      const puts = uploaded();
      expect(puts).toHaveLength(1);
      expect(puts[0].input).toMatchObject({ Bucket: BUCKET, Key: key, ServerSideEncryption: 'aws:kms', ContentType: 'application/json' });
      expect(puts[0].evidence).toMatchObject({ status: 'succeeded', database: db.name, runId: 'cfn-4f0e2c1a-9b7d-4e55-8a3b-2d6c1f0e9a77', invocations: calls + 1, verification: { passed: true } });
      expect(String(puts[0].input.Body)).not.toContain(KEY_A.toString('utf8'));
      // AND the database is scrubbed
      const after = await dumpDatabase(db.conn, db.name);
      expect(after.volunteers[0].email).toMatch(/^u[0-9a-f]{16}@example\.invalid$/);
      expect(after.audit_events).toEqual([]);
      expectCleanLogs(before);
      expect(logs.some((l) => JSON.parse(l).event === 'scrub-progress')).toBe(true);
    } finally {
      await db.close();
    }
  });

  test('a rule that does not fit the database fails the deployment at once, with failed evidence, changing nothing', async () => {
    const db = await fixtureDb('scrub_handler_bad', 3);
    try {
      const before = await dumpDatabase(db.conn, db.name);
      const bad = RULES_YAML.replace('      sex: keep', '      sexe: keep');
      const error = await onEvent(event(db.name, 'Create', { RulesYaml: bad })).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(`PII scrub of database '${db.name}' failed: the rules do not fit the database: RulesYaml: tables.volunteers.columns.sexe: column 'sexe' does not exist in table 'volunteers' (did you mean 'sex'?)`);
      expect((error as Error).message).toContain(`(evidence: s3://${BUCKET}/scrub-evidence/acme/${db.name}/cfn-4f0e2c1a-9b7d-4e55-8a3b-2d6c1f0e9a77.json)`);
      const puts = uploaded();
      expect(puts).toHaveLength(1);
      expect(puts[0].input).toMatchObject({ ServerSideEncryption: 'aws:kms', ContentType: 'application/json' });
      expect(puts[0].evidence).toMatchObject({ status: 'failed', steps: [], keyFingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) });
      expect(await dumpDatabase(db.conn, db.name)).toEqual(before);
      expectCleanLogs(before);
    } finally {
      await db.close();
    }
  });

  test('a verification failure fails isComplete with the reason, after writing failed evidence', async () => {
    const db = await fixtureDb('scrub_handler_verify', 3);
    try {
      const created = await onEvent(event(db.name, 'Create', { BatchSize: '1000' }));
      // Someone adds a volunteer while the job runs: the row count no longer matches, the scrub must not pass.
      await db.conn.query(
        "INSERT INTO volunteers (volunteer_number, first_name, last_name, sex, email, registered_at) VALUES ('V-LATE', 'Latecomer', 'Person', 'F', 'late.person@realmail.example.net', NOW())",
      );
      const error = await isComplete({ ...event(db.name, 'Create', { BatchSize: '1000' }), PhysicalResourceId: created.PhysicalResourceId }, context(15 * 60_000)).catch((e: Error) => e);
      expect((error as Error).message).toMatch(
        new RegExp(`^PII scrub of database '${db.name}' failed: verification failed: volunteers: ${db.counts.volunteers} row\\(s\\) before, ${db.counts.volunteers + 1} after \\(evidence: s3://`),
      );
      const evidence = uploaded()[0].evidence;
      expect(evidence).toMatchObject({ status: 'failed', verification: { passed: false } });
      expect(JSON.stringify(evidence)).not.toContain('late.person');
    } finally {
      await db.close();
    }
  });

  test('Delete does nothing and succeeds, even when the database and secrets are gone', async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).rejects(new Error('ResourceNotFoundException'));
    const physical = 'pii-scrub:gone_db:cfn-1234';
    await expect(onEvent(event('gone_db', 'Delete', {}, physical))).resolves.toEqual({ PhysicalResourceId: physical });
    await expect(isComplete(event('gone_db', 'Delete', { DatabaseSecretArn: '' }, physical), context(1000))).resolves.toEqual({ IsComplete: true });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  test('bad properties and a short key are refused with messages that name the problem, not the secret', async () => {
    await expect(onEvent(event('x', 'Create', { EvidenceBucket: undefined, BatchSize: 'many' }))).rejects.toThrow(
      "invalid PII scrub properties: EvidenceBucket is required (a string); BatchSize must be a positive whole number, got 'many'",
    );
    secrets.on(GetSecretValueCommand, { SecretId: KEY_SECRET }).resolves({ SecretString: 'short-key' });
    const error = await onEvent(event('scrub_nokey', 'Create')).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/^PII scrub of database 'scrub_nokey' failed: the scrub key is 9 bytes; it must be at least 32 bytes/);
    expect((error as Error).message).not.toContain('short-key');
  });
});
