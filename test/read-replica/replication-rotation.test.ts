/**
 * Rotation of the replication secret (`onRotate`): Secrets Manager's four steps against the test
 * MariaDB (source side real, replica side on the Aurora stand-ins), with a versioned in-memory
 * Secrets Manager (AWSCURRENT / AWSPENDING stages, as the rotation protocol uses them).
 */
import { randomBytes } from 'crypto';
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetRandomPasswordCommandInput,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import * as mysql from 'mysql2/promise';
import {
  createReplicationHandler,
  createReplicationRotationHandler,
  parseRotationProperties,
  REPLICATION_PASSWORD_EXCLUDED_CHARACTERS,
  RotationEvent,
} from '../../constructs/read-replica/handler/replication';
import { PASSWORD_EXCLUDED_CHARACTERS } from '../../constructs/database/hosted-rotation';
import { adminConnection, dropDatabase, scratchDatabase, testServer } from '../support/db';
import { createAuroraStandIns, recordedCalls } from './aurora-stand-ins';
import { ConsoleCapture, connectAs, errnoOf, expectNoSecretIn, fakeRandomPassword, uniqueName } from './support';

const SOURCE_SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme-prod-main-master-AbCdEf';
const REPLICA_SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme-prod-replica-master-GhIjKl';
const REPLICATION_SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme-prod-replication-MnOpQr';
/** The rotation connects to SourceHost itself (it has no source secret): the test server. */
const sourceHost = () => testServer().host;

interface Version {
  value: string;
  stages: string[];
}

/** A Secrets Manager with versions and staging labels, enough for the rotation protocol. */
class VersionedSecrets {
  readonly secrets = new Map<string, { rotationEnabled: boolean; versions: Map<string, Version> }>();
  readonly randomInputs: GetRandomPasswordCommandInput[] = [];
  /** Every SecretId GetSecretValue was asked for. */
  readonly readArns: string[] = [];
  private readonly mock = mockClient(SecretsManagerClient);

  constructor() {
    this.mock.on(DescribeSecretCommand).callsFake((input: { SecretId: string }) => {
      const secret = this.get(input.SecretId);
      return {
        ARN: input.SecretId,
        RotationEnabled: secret.rotationEnabled,
        VersionIdsToStages: Object.fromEntries([...secret.versions].map(([id, v]) => [id, [...v.stages]])),
      };
    });
    this.mock.on(GetSecretValueCommand).callsFake((input: { SecretId: string; VersionId?: string; VersionStage?: string }) => {
      this.readArns.push(input.SecretId);
      const secret = this.get(input.SecretId);
      const stage = input.VersionStage ?? (input.VersionId ? undefined : 'AWSCURRENT');
      const found = [...secret.versions].find(
        ([id, v]) => (!input.VersionId || id === input.VersionId) && (!stage || v.stages.includes(stage)),
      );
      if (!found)
        throw new ResourceNotFoundException({ message: `no version ${input.VersionId ?? ''} with stage ${stage ?? ''}`, $metadata: {} });
      return { ARN: input.SecretId, VersionId: found[0], SecretString: found[1].value, VersionStages: [...found[1].stages] };
    });
    this.mock
      .on(PutSecretValueCommand)
      .callsFake((input: { SecretId: string; ClientRequestToken: string; SecretString: string; VersionStages?: string[] }) => {
        const secret = this.get(input.SecretId);
        secret.versions.set(input.ClientRequestToken, { value: input.SecretString, stages: input.VersionStages ?? ['AWSCURRENT'] });
        return { ARN: input.SecretId, VersionId: input.ClientRequestToken };
      });
    this.mock
      .on(UpdateSecretVersionStageCommand)
      .callsFake((input: { SecretId: string; VersionStage: string; MoveToVersionId: string; RemoveFromVersionId?: string }) => {
        const secret = this.get(input.SecretId);
        if (input.RemoveFromVersionId) {
          const old = secret.versions.get(input.RemoveFromVersionId);
          if (old)
            old.stages = old.stages
              .filter((s) => s !== input.VersionStage)
              .concat(input.VersionStage === 'AWSCURRENT' ? ['AWSPREVIOUS'] : []);
        }
        const next = secret.versions.get(input.MoveToVersionId);
        if (!next) throw new Error(`no version ${input.MoveToVersionId}`);
        next.stages = [...next.stages.filter((s) => s !== 'AWSPENDING'), input.VersionStage];
        return { ARN: input.SecretId };
      });
    this.mock.on(GetRandomPasswordCommand).callsFake((input: GetRandomPasswordCommandInput) => {
      this.randomInputs.push(input);
      return { RandomPassword: fakeRandomPassword(input) };
    });
  }

  put(arn: string, value: unknown, rotationEnabled = false): void {
    this.secrets.set(arn, {
      rotationEnabled,
      versions: new Map([[`v-${randomBytes(4).toString('hex')}`, { value: JSON.stringify(value), stages: ['AWSCURRENT'] }]]),
    });
  }

  get(arn: string) {
    const secret = this.secrets.get(arn);
    if (!secret) throw new ResourceNotFoundException({ message: `no secret ${arn}`, $metadata: {} });
    return secret;
  }

  current(arn: string): Record<string, unknown> {
    const v = [...this.get(arn).versions.values()].find((x) => x.stages.includes('AWSCURRENT'));
    return JSON.parse(v!.value) as Record<string, unknown>;
  }

  stagesOf(arn: string): Record<string, string[]> {
    return Object.fromEntries([...this.get(arn).versions].map(([id, v]) => [id, v.stages]));
  }

  restore(): void {
    this.mock.restore();
  }
}

let secrets: VersionedSecrets;
const consoleCapture = new ConsoleCapture();
let admin: mysql.Connection;
let standIns: string;
const schemas: string[] = [];
const users: string[] = [];
const passwords: string[] = [];
const errors: string[] = [];

const options = () => ({
  procedureSchema: standIns,
  replicaStatusStatement: `CALL \`${standIns}\`.rds_show_replica_status()`,
  startTimeoutMs: 600,
  pollIntervalMs: 20,
  connectTimeoutMs: 3000,
  deleteConnectTimeoutMs: 2000,
  // MariaDB's form of "change my own password" (MySQL 8.0's ALTER USER CURRENT_USER() needs
  // CREATE USER on MariaDB); it needs no privilege either.
  selfPasswordStatement: 'SET PASSWORD = PASSWORD(?)',
  // Only this file's accounts (the server is shared with parallel test files).
  lockableAccounts: 'clinspark\\_rrot\\_none\\_%',
});

/** The custom resource's properties (the replication function holds the source master secret). */
const properties = (user: string) => ({
  SourceSecretArn: SOURCE_SECRET,
  ReplicaSecretArn: REPLICA_SECRET,
  ReplicationUser: user,
  ReplicationSecretArn: REPLICATION_SECRET,
  SourceHost: sourceHost(),
  SourcePort: String(testServer().port),
  BinlogRetentionHours: '72',
});

/** The rotation function's properties, as the construct writes REPLICATION_PROPERTIES: no source master secret. */
const rotationProperties = (user: string) => ({
  ReplicaSecretArn: REPLICA_SECRET,
  ReplicationUser: user,
  ReplicationSecretArn: REPLICATION_SECRET,
  SourceHost: sourceHost(),
  SourcePort: String(testServer().port),
});

/** After the custom resource ran: the source master secret disappears, so any read of it by the rotation fails. */
function forgetSourceSecret(): void {
  secrets.secrets.delete(SOURCE_SECRET);
}

/**
 * Runs the four rotation steps in order, as Secrets Manager does. The createSecret step's
 * PutSecretValue creates the AWSPENDING version.
 */
async function rotateAll(user: string): Promise<string> {
  const token = `rotation-${randomBytes(6).toString('hex')}`;
  // Secrets Manager's RotateSecret makes the token a version with AWSPENDING before createSecret; the
  // function's own PutSecretValue then gives it its value. Model that with an empty pending version.
  secrets.get(REPLICATION_SECRET).versions.set(token, { value: '', stages: ['AWSPENDING'] });
  const rotate = createReplicationRotationHandler(rotationProperties(user), options());
  for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
    await runStep(rotate, { Step: step, SecretId: REPLICATION_SECRET, ClientRequestToken: token });
  }
  return token;
}

async function runStep(rotate: (e: RotationEvent) => Promise<void>, event: RotationEvent): Promise<void> {
  try {
    await rotate(event);
  } catch (error) {
    errors.push(`${(error as Error).message}\n${(error as Error).stack}`);
    throw error;
  }
}

async function createReplication(user: string, password: string): Promise<void> {
  secrets.put(REPLICATION_SECRET, { username: user, password }, true);
  await createReplicationHandler(options())({
    RequestType: 'Create',
    LogicalResourceId: 'Replication',
    ResourceProperties: properties(user),
  });
  forgetSourceSecret();
}

beforeAll(async () => {
  process.env.DB_CA_BUNDLE_FILE = testServer().caPath;
  process.env.AWS_REGION = 'eu-west-1';
  secrets = new VersionedSecrets();
  admin = await adminConnection();
});

afterAll(async () => {
  for (const user of users) await admin.query(`DROP USER IF EXISTS ?@'%'`, [user]);
  await Promise.all(schemas.map((s) => dropDatabase(s)));
  await admin.end();
  secrets.restore();
});

beforeEach(async () => {
  secrets.secrets.clear();
  secrets.randomInputs.length = 0;
  secrets.readArns.length = 0;
  const s = testServer();
  const master = { engine: 'mysql', host: s.host, port: s.port, username: s.adminUser, password: s.adminPassword };
  secrets.put(SOURCE_SECRET, master);
  secrets.put(REPLICA_SECRET, master);
  standIns = await scratchDatabase('aurora_rot');
  schemas.push(standIns);
  await createAuroraStandIns(standIns);
  errors.length = 0;
  consoleCapture.start();
});

afterEach(() => {
  consoleCapture.stop();
  const generated = [...secrets.secrets.values()].flatMap((x) =>
    [...x.versions.values()].map((v) => String((JSON.parse(v.value || '{}') as { password?: string }).password ?? '')),
  );
  expectNoSecretIn({ 'the rotation log': consoleCapture.text, 'a thrown error': errors.join('\n') }, [
    ...passwords,
    ...generated,
    testServer().adminPassword,
  ]);
});

function newUser(): { user: string; password: string } {
  const user = uniqueName('clinspark_rrot_');
  users.push(user);
  const password = `Rp-${uniqueName('')}${uniqueName('')}-x9`.slice(0, 32);
  passwords.push(password);
  return { user, password };
}

describe('rotation of the replication secret', () => {
  test(
    'GIVEN running replication WHEN rotated THEN the source user has a new ' +
      '32-character password, the replica replicates with it and it becomes AWSCURRENT',
    async () => {
      const { user, password: oldPassword } = newUser();
      await createReplication(user, oldPassword);

      const token = await rotateAll(user);

      const current = secrets.current(REPLICATION_SECRET);
      const newPassword = String(current.password);
      expect(current.username).toBe(user);
      expect(newPassword).toHaveLength(32);
      expect(newPassword).not.toBe(oldPassword);
      expect(secrets.stagesOf(REPLICATION_SECRET)[token]).toEqual(['AWSCURRENT']);
      expect(Object.values(secrets.stagesOf(REPLICATION_SECRET)).filter((s) => s.includes('AWSPREVIOUS'))).toHaveLength(1);
      // Generated with the project's exclusions (the same as the CDK-generated first value).
      expect(secrets.randomInputs).toEqual([
        expect.objectContaining({
          PasswordLength: 32,
          ExcludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
          RequireEachIncludedType: true,
          IncludeSpace: false,
        }),
      ]);
      expect(REPLICATION_PASSWORD_EXCLUDED_CHARACTERS).toBe(PASSWORD_EXCLUDED_CHARACTERS);
      // Source: the new password works over TLS, the old one no longer does.
      expect(await errnoOf(connectAs(user, oldPassword))).toBe(1045);
      const repl = await connectAs(user, newPassword);
      await repl.end();
      // Replica: reset and restarted with the new password.
      const calls = await recordedCalls(admin, standIns);
      expect(calls.slice(3).map((c) => c.name)).toEqual([
        'rds_stop_replication',
        'rds_reset_external_source',
        'rds_set_external_source_with_auto_position',
        'rds_set_binlog_source_ssl',
        'rds_start_replication',
      ]);
      expect(calls[5].args).toEqual([sourceHost(), testServer().port, user, newPassword, 0]);
    },
  );

  test(
    'GIVEN the rotation function WHEN it rotates THEN it never reads the source ' +
      'master secret: the replication user changes its own password in its own session',
    async () => {
      const { user, password: oldPassword } = newUser();
      await createReplication(user, oldPassword);
      expect(secrets.secrets.has(SOURCE_SECRET)).toBe(false);
      secrets.readArns.length = 0;

      await rotateAll(user);

      expect(secrets.readArns).not.toContain(SOURCE_SECRET);
      expect(consoleCapture.text).toMatch(/changed its own password .*no master credential of the source used/);
      const repl = await connectAs(user, String(secrets.current(REPLICATION_SECRET).password));
      await repl.end();
    },
  );

  test(
    'GIVEN REPLICATION_PROPERTIES with SourceSecretArn THEN the rotation refuses ' + 'them (it must not hold the source master secret)',
    () => {
      expect(() => parseRotationProperties({ ...rotationProperties('clinspark_repl'), SourceSecretArn: SOURCE_SECRET })).toThrow(
        /'SourceSecretArn' is given to the rotation function; it must not hold the source's master secret/,
      );
    },
  );

  test(
    'GIVEN the source password was changed by hand THEN setSecret fails and says how ' +
      'to repair it (the rotation cannot: no master credential)',
    async () => {
      const { user, password } = newUser();
      await createReplication(user, password);
      await admin.query(`ALTER USER ?@'%' IDENTIFIED BY 'Changed-by-hand-123456'`, [user]);
      passwords.push('Changed-by-hand-123456');
      const token = `rotation-${randomBytes(6).toString('hex')}`;
      secrets.get(REPLICATION_SECRET).versions.set(token, { value: '', stages: ['AWSPENDING'] });
      const rotate = createReplicationRotationHandler(rotationProperties(user), options());
      await runStep(rotate, { Step: 'createSecret', SecretId: REPLICATION_SECRET, ClientRequestToken: token });
      await expect(runStep(rotate, { Step: 'setSecret', SecretId: REPLICATION_SECRET, ClientRequestToken: token })).rejects.toThrow(
        /logs in .* with neither the AWSCURRENT nor the AWSPENDING password .*run an Update of the replication custom resource/,
      );
    },
  );

  test(
    'GIVEN a step is retried THEN it is idempotent: createSecret keeps the pending ' +
      'password, finishSecret does nothing the second time',
    async () => {
      const { user, password } = newUser();
      await createReplication(user, password);
      const token = `rotation-${randomBytes(6).toString('hex')}`;
      secrets.get(REPLICATION_SECRET).versions.set(token, { value: '', stages: ['AWSPENDING'] });
      const rotate = createReplicationRotationHandler(rotationProperties(user), options());
      const event = (Step: RotationEvent['Step']): RotationEvent => ({ Step, SecretId: REPLICATION_SECRET, ClientRequestToken: token });

      await runStep(rotate, event('createSecret'));
      const pending = secrets.get(REPLICATION_SECRET).versions.get(token)!.value;
      await runStep(rotate, event('createSecret'));
      expect(secrets.get(REPLICATION_SECRET).versions.get(token)!.value).toBe(pending);
      expect(secrets.randomInputs).toHaveLength(1);

      for (const step of ['setSecret', 'setSecret', 'testSecret', 'finishSecret', 'finishSecret'] as const)
        await runStep(rotate, event(step));
      expect(secrets.stagesOf(REPLICATION_SECRET)[token]).toEqual(['AWSCURRENT']);
      expect(consoleCapture.text).toMatch(/already AWSCURRENT/);
    },
  );

  test('GIVEN testSecret before setSecret THEN it fails: the pending password does not log in yet', async () => {
    const { user, password } = newUser();
    await createReplication(user, password);
    const token = `rotation-${randomBytes(6).toString('hex')}`;
    secrets.get(REPLICATION_SECRET).versions.set(token, { value: '', stages: ['AWSPENDING'] });
    const rotate = createReplicationRotationHandler(rotationProperties(user), options());
    await runStep(rotate, { Step: 'createSecret', SecretId: REPLICATION_SECRET, ClientRequestToken: token });

    await expect(runStep(rotate, { Step: 'testSecret', SecretId: REPLICATION_SECRET, ClientRequestToken: token })).rejects.toThrow(
      /testSecret: 'clinspark_rrot_\w+' cannot log in to the source .* with the AWSPENDING password/,
    );
  });

  test.each([
    [
      'another secret',
      { SecretId: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:other-XyZ123' },
      /rotates .*acme-prod-replication-MnOpQr only/,
    ],
    ['an unknown version', { ClientRequestToken: 'no-such-version' }, /version no-such-version of .* does not exist/],
  ])('GIVEN %s THEN the rotation refuses', async (_, override, message) => {
    const { user, password } = newUser();
    await createReplication(user, password);
    const rotate = createReplicationRotationHandler(rotationProperties(user), options());
    await expect(
      runStep(rotate, { Step: 'createSecret', SecretId: REPLICATION_SECRET, ClientRequestToken: 'x', ...override }),
    ).rejects.toThrow(message);
  });

  test('GIVEN rotation is not enabled on the secret THEN every step refuses', async () => {
    const { user, password } = newUser();
    await createReplication(user, password);
    secrets.get(REPLICATION_SECRET).rotationEnabled = false;
    const rotate = createReplicationRotationHandler(rotationProperties(user), options());
    await expect(runStep(rotate, { Step: 'createSecret', SecretId: REPLICATION_SECRET, ClientRequestToken: 'x' })).rejects.toThrow(
      /rotation is not enabled/,
    );
  });
});
