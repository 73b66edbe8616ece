/**
 * Test plumbing for the read-replica handlers: an in-memory Secrets Manager (aws-sdk-client-mock),
 * capture of console output and of the SQL the handlers send, and small database helpers.
 */
import { randomBytes, randomInt } from 'crypto';
import {
  GetRandomPasswordCommand,
  GetRandomPasswordCommandInput,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import * as mysql from 'mysql2/promise';
import { testServer, tlsOptions } from '../support/db';

/** Secrets Manager's punctuation set for GetRandomPassword. */
const SM_PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

/** Generates a password the way GetRandomPassword documents it (length, exclusions, each type). */
export function fakeRandomPassword(input: GetRandomPasswordCommandInput): string {
  const exclude = input.ExcludeCharacters ?? '';
  const keep = (set: string) => [...set].filter((c) => !exclude.includes(c)).join('');
  const classes = [keep(UPPER), keep(LOWER), keep(DIGITS), input.ExcludePunctuation ? '' : keep(SM_PUNCTUATION)]
    .concat(input.IncludeSpace ? [' '] : [])
    .filter((c) => c.length > 0);
  const all = classes.join('');
  const length = input.PasswordLength ?? 32;
  for (;;) {
    const pw = Array.from({ length }, () => all[randomInt(all.length)]).join('');
    if (!input.RequireEachIncludedType || classes.every((set) => [...pw].some((c) => set.includes(c)))) return pw;
  }
}

/** An in-memory Secrets Manager: GetSecretValue reads what PutSecretValue (or the test) stored. */
export class FakeSecretsManager {
  readonly values = new Map<string, string>();
  readonly generated: string[] = [];
  readonly randomPasswordInputs: GetRandomPasswordCommandInput[] = [];
  readonly puts: Array<{ arn: string; value: string }> = [];
  /** When set, GetRandomPassword returns this instead of generating. */
  nextRandomPassword?: string;
  private readonly mock = mockClient(SecretsManagerClient);

  constructor() {
    this.reset();
  }

  reset(): void {
    this.values.clear();
    this.generated.length = 0;
    this.randomPasswordInputs.length = 0;
    this.puts.length = 0;
    this.nextRandomPassword = undefined;
    this.mock.reset();
    this.mock.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
      const value = this.values.get(input.SecretId);
      if (value === undefined) {
        throw new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
          $metadata: {},
        });
      }
      return { ARN: input.SecretId, SecretString: value, VersionStages: ['AWSCURRENT'] };
    });
    this.mock.on(PutSecretValueCommand).callsFake((input: { SecretId: string; SecretString: string }) => {
      this.values.set(input.SecretId, input.SecretString);
      this.puts.push({ arn: input.SecretId, value: input.SecretString });
      return { ARN: input.SecretId, VersionId: randomBytes(8).toString('hex'), VersionStages: ['AWSCURRENT'] };
    });
    this.mock.on(GetRandomPasswordCommand).callsFake((input: GetRandomPasswordCommandInput) => {
      this.randomPasswordInputs.push(input);
      const pw = this.nextRandomPassword ?? fakeRandomPassword(input);
      this.nextRandomPassword = undefined;
      this.generated.push(pw);
      return { RandomPassword: pw };
    });
  }

  restore(): void {
    this.mock.restore();
  }

  json<T = Record<string, unknown>>(arn: string): T {
    const v = this.values.get(arn);
    if (v === undefined) throw new Error(`no value stored for ${arn}`);
    return JSON.parse(v) as T;
  }

  /** The admin account of the test server, shaped like an RDS master secret. */
  putMasterSecret(arn: string, overrides: Partial<{ host: string; port: number }> = {}): void {
    const s = testServer();
    this.values.set(
      arn,
      JSON.stringify({
        engine: 'mysql',
        host: overrides.host ?? s.host,
        port: overrides.port ?? s.port,
        username: s.adminUser,
        password: s.adminPassword,
      }),
    );
  }
}

/** Collects everything written to console.log/warn/error while active. */
export class ConsoleCapture {
  readonly lines: string[] = [];
  private spies: jest.SpyInstance[] = [];

  start(): void {
    this.lines.length = 0;
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      this.spies.push(
        jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
          this.lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
        }),
      );
    }
  }

  stop(): void {
    for (const spy of this.spies) spy.mockRestore();
    this.spies = [];
  }

  get text(): string {
    return this.lines.join('\n');
  }
}

/** Records the SQL text and values of every query sent through mysql2's promise API while active. */
export class SqlCapture {
  readonly statements: Array<{ sql: string; values: unknown }> = [];
  private spy?: jest.SpyInstance;

  start(): void {
    this.statements.length = 0;
    const proto = (mysql as unknown as { PromiseConnection: { prototype: { query: (...a: unknown[]) => unknown } } }).PromiseConnection
      .prototype;
    const original = proto.query;
    const statements = this.statements;
    this.spy = jest.spyOn(proto, 'query').mockImplementation(function (this: unknown, ...args: unknown[]) {
      statements.push({ sql: String(args[0]), values: args[1] });
      return original.apply(this, args);
    });
  }

  stop(): void {
    this.spy?.mockRestore();
    this.spy = undefined;
  }

  /** Statements that change state (DDL, account management, grants, replication procedures). */
  writes(): string[] {
    return this.statements
      .map((s) => s.sql)
      .filter((sql) => /^\s*(CREATE|ALTER|GRANT|REVOKE|DROP|SET\s+PASSWORD|CALL\s+\S*rds_(set|start|stop|reset))/i.test(sql));
  }
}

/** A connection as some user over TLS (or without TLS when tls is false). */
export async function connectAs(
  user: string,
  password: string,
  options: { tls?: boolean; database?: string } = {},
): Promise<mysql.Connection> {
  const s = testServer();
  return mysql.createConnection({
    host: s.host,
    port: s.port,
    user,
    password,
    database: options.database,
    ssl: options.tls === false ? undefined : tlsOptions(s),
    connectTimeout: 5000,
  });
}

/** Resolves to the MySQL errno the promise rejected with, or 0 when it resolved. */
export async function errnoOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 0;
  } catch (e) {
    return (e as { errno?: number }).errno ?? -1;
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** A loopback port where nothing listens (connections are refused at once). */
export async function closedPort(): Promise<number> {
  const net = await import('net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Asserts that none of the secrets occurs in any of the texts (and names which text failed, not the secret). */
export function expectNoSecretIn(texts: Record<string, string>, secrets: string[]): void {
  for (const [where, text] of Object.entries(texts)) {
    for (const secret of secrets.filter((s) => s.length >= 8)) {
      if (text.includes(secret)) throw new Error(`a password appears in ${where}`);
    }
  }
}
