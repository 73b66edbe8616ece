/**
 * The seed custom resource (constructs/lifecycle/handler/seed.ts): Secrets Manager mocked with
 * aws-sdk-client-mock, the SQL against the test MariaDB (TLS verified against its CA, as the
 * handler verifies the RDS CA in Lambda). Create seeds, an Update with the same properties
 * changes nothing, a new seed reseeds, Delete touches nothing, bad properties are refused before
 * anything connects, and no password reaches a log line or an error.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, parseSeedProperties, physicalIdOf } from '../../constructs/lifecycle/handler/seed';
import { sha256 } from '../../constructs/lifecycle/seed/sql';
import { CustomResourceEvent } from '../../constructs/core/runtime/custom-resource';
import { adminConnection, dropDatabase, testServer } from '../support/db';

const SCHEMA = fs.readFileSync(path.join(__dirname, '..', '..', 'constructs', 'lifecycle', 'seed', 'schema.sql'), 'utf8');
const MASTER_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:sandbox-main-master-AbCdEf';
const CLUSTER = 'clinspark-acme-sandbox-main';

const sm = mockClient(SecretsManagerClient);
let logs: string[];
const database = `seedcr_${process.pid}_${Date.now().toString(36)}`;

function props(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:provider',
    MasterSecretArn: MASTER_ARN,
    DatabaseName: database,
    ClusterIdentifier: CLUSTER,
    Seed: 'acme',
    Volunteers: '40',
    Schema: SCHEMA,
    SchemaSha256: sha256(SCHEMA),
    ...overrides,
  };
}

const event = (RequestType: 'Create' | 'Update' | 'Delete', properties = props(), old?: Record<string, unknown>): CustomResourceEvent => ({
  RequestType,
  ResourceProperties: properties,
  ...(RequestType === 'Create' ? {} : { PhysicalResourceId: physicalIdOf(CLUSTER, database) }),
  ...(old ? { OldResourceProperties: old } : {}),
  LogicalResourceId: 'MainSeed',
});

async function volunteers(): Promise<{ n: number; first: string }> {
  const conn = await adminConnection(database);
  try {
    const [rows] = await conn.query('SELECT COUNT(*) AS n, MIN(CONCAT(first_name, last_name, email)) AS first FROM volunteers');
    const r = (rows as Array<{ n: number; first: string }>)[0];
    return { n: Number(r.n), first: r.first };
  } finally {
    await conn.end();
  }
}

beforeAll(() => {
  process.env.DB_CA_BUNDLE_FILE = testServer().caPath;
});
beforeEach(() => {
  sm.reset();
  const s = testServer();
  sm.on(GetSecretValueCommand, { SecretId: MASTER_ARN }).resolves({
    SecretString: JSON.stringify({ host: s.host, port: s.port, username: s.adminUser, password: s.adminPassword, engine: 'mysql' }),
  });
  logs = [];
  for (const level of ['log', 'warn', 'error'] as const)
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void logs.push(String(args[0])));
});
afterEach(() => jest.restoreAllMocks());
afterAll(async () => {
  delete process.env.DB_CA_BUNDLE_FILE;
  await dropDatabase(database);
});

describe('seed custom resource', () => {
  test('Create seeds the database (creating the schema); an Update with the same seed changes nothing', async () => {
    const created = await handler(event('Create'));
    expect(created).toEqual({
      PhysicalResourceId: physicalIdOf(CLUSTER, database),
      Data: { Status: 'seeded', Fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/), Volunteers: '40' },
    });
    const before = await volunteers();
    expect(before.n).toBe(40);

    const again = await handler(event('Update', props(), props()));
    expect(again.Data).toEqual({ ...created.Data, Status: 'unchanged' });
    expect(await volunteers()).toEqual(before);

    const reseeded = await handler(event('Update', props({ Seed: 'acme-2', Volunteers: 10 }), props()));
    expect(reseeded.Data?.Status).toBe('reseeded');
    expect((await volunteers()).n).toBe(10);

    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'seed-applied');
    expect(line).toMatchObject({ source: 'clinspark-seed', database, status: 'seeded', volunteers: 40 });
    expect(logs.join('\n')).not.toContain(testServer().adminPassword);
  });

  test('Delete does nothing: no secret read, no connection, the rows stay', async () => {
    await handler(event('Create'));
    const before = await volunteers();
    const out = await handler(event('Delete'));
    expect(out).toEqual({ PhysicalResourceId: physicalIdOf(CLUSTER, database) });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(await volunteers()).toEqual(before);
  });

  test('refuses bad properties before reading any secret, naming each one', async () => {
    await expect(
      handler(event('Create', props({ Volunteers: '-3', SchemaSha256: 'abc', ClusterIdentifier: 'Bad_Name', Seed: ' ' }))),
    ).rejects.toThrow(
      /property 'ClusterIdentifier' must be an Aurora cluster identifier.*property 'Seed' is required.*property 'Volunteers' must be an integer between 0 and 20000.*property 'SchemaSha256' must be the SHA-256/,
    );
    await expect(handler(event('Create', props({ Schema: `${SCHEMA}\nDROP TABLE volunteers;` })))).rejects.toThrow(
      /property 'SchemaSha256' does not match the SHA-256 of Schema/,
    );
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  test('a failure leaves with the password redacted', async () => {
    const s = testServer();
    sm.on(GetSecretValueCommand, { SecretId: MASTER_ARN }).resolves({
      SecretString: JSON.stringify({ host: s.host, port: s.port, username: 'nobody_here', password: 'Wrong-Password-But-Secret-123' }),
    });
    const error = (await handler(event('Create')).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('HandlerError');
    expect(error.message).toMatch(/cannot connect to .* as 'nobody_here'/);
    expect(`${error.message}\n${logs.join('\n')}`).not.toContain('Wrong-Password-But-Secret-123');
  });

  test('parseSeedProperties accepts CloudFormation strings', () => {
    expect(parseSeedProperties(props())).toMatchObject({ Volunteers: 40, Seed: 'acme', Schema: SCHEMA });
  });
});
