/**
 * Custom resource: the customer's read-only account (RO_USER) on the read-replica cluster, for the
 * aws-cdk-lib custom-resources Provider framework (`onEvent` only). Touches the replica only.
 *
 * Create/Update
 *   password: kept from AccountSecretArn when that secret already holds a password issued for this
 *             Username and IssueDate; otherwise (first issue, or a new IssueDate = re-issue) a new
 *             one comes from Secrets Manager GetRandomPassword and is stored with PutSecretValue
 *             before the database is changed.
 *   account:  'Username'@'%' with REQUIRE SSL and PASSWORD EXPIRE INTERVAL N DAY (expiring on
 *             PasswordExpiresOn); CREATE USER when missing, ALTER USER on re-issue, and ALTER USER
 *             (repair) when the stored password no longer logs in. The password is sent as its
 *             mysql_native_password hash (IDENTIFIED WITH mysql_native_password AS '<hash>'), never
 *             in clear: see nativePasswordHash in core/runtime/redaction.ts.
 *   grants:   exactly SELECT, SHOW VIEW on each application schema; in a schema with
 *             ExcludeTables/ExcludeColumns, instead SELECT, SHOW VIEW on each table but the
 *             excluded ones and SELECT (columns) on the allowed columns of a table with excluded
 *             columns. Anything else (other schemas, tables, columns or privileges, global
 *             privileges, GRANT OPTION) is revoked.
 *   check:    logs in as the account over TLS with the stored password.
 *   Re-running with the same properties issues no write statement and keeps the password.
 * Delete
 *   DROP USER IF EXISTS; any failure (replica gone, unreachable, secret deleted) is logged and the
 *   delete succeeds. The account secret is left to its owner (the CDK stack).
 *
 * Physical resource id: `<Username>@<replica host>:<port>`. Changing Username or the replica makes
 * CloudFormation create the new account and then delete the old one (the Delete event carries the
 * old properties).
 *
 * Never logs, returns or throws the password.
 */
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as mysql from 'mysql2/promise';
import { z } from 'zod';
import { CustomResourceEvent, CustomResourceResponse, customResourceHandler, Invocation } from '../../core/runtime/custom-resource';
import { quoteIdentifier } from '../../core/runtime/database';
import { describeError, HandlerError, wrapError } from '../../core/runtime/errors';
import { ACCOUNT_HOST, canLogin, closeQuietly, connect, DELETE_CONNECT_TIMEOUT_MS, granteeString, query } from '../../core/runtime/mysql';
import { field, integer, isoDate, optionalText, parseProperties, requiredText, shown, userName } from '../../core/runtime/properties';
import { hashOf, Redactor } from '../../core/runtime/redaction';
import { generatePassword, readAdminSecret, readSecretString } from '../../core/runtime/secrets';

/**
 * Characters a generated password never contains: every Secrets Manager punctuation character
 * except `-`, `.` and `_`, plus space. Each of them breaks something the customer will paste the
 * password into: URLs and JDBC/ODBC connection strings (`@ : / ? # % & = + ; , { } [ ] ( )`),
 * shells and .env files (`" ' \` $ \\ ! * ~ ^ | < >`), CSV/INI files (`,` `;`). What remains is
 * A-Z, a-z, 0-9 and `-._`: 65 symbols, so 48 characters carry about 289 bits of entropy.
 */
export const EXCLUDED_PASSWORD_CHARACTERS = '"\'`$\\/@:;?#%&=+ ,{}[]()<>|!*~^';
/** The symbols a generated password may contain (and, with RequireEachIncludedType, contains at least one of). */
export const PASSWORD_SYMBOLS = '-._';
export const MIN_PASSWORD_LENGTH = 48;
export const MAX_PASSWORD_LENGTH = 128;

const DEFAULT_USERNAME = 'RO_USER';
/** Never granted, whatever Schemas says: system schemas (credential material lives in `mysql`). */
const SYSTEM_SCHEMAS = ['mysql', 'sys', 'information_schema', 'performance_schema'];
/** Internal ClinSpark schemas (e.g. PII-scrub state): never granted either. */
const INTERNAL_SCHEMA_PREFIX = '_clinspark';
const GRANTED_PRIVILEGES = ['SELECT', 'SHOW VIEW'];

/** Internal knobs for tests; production uses the defaults. */
export interface ReadOnlyAccountHandlerOptions {
  /** @default 10000 */
  readonly connectTimeoutMs?: number;
  /** @default 5000 */
  readonly deleteConnectTimeoutMs?: number;
  /** @default - a new client for the Lambda's region */
  readonly secretsManager?: SecretsManagerClient;
}

/** The ResourceProperties contract. */
export interface ReadOnlyAccountProperties {
  readonly replicaSecretArn: string;
  readonly accountSecretArn: string;
  readonly username: string;
  readonly issueDate: string;
  /** undefined = every application schema on the replica. */
  readonly schemas?: string[];
  readonly passwordLength: number;
  readonly releaseVersion?: string;
  /** `YYYY-MM-DD` (UTC): the password expires at 00:00 UTC of this day. undefined = never (PASSWORD EXPIRE NEVER). */
  readonly passwordExpiresOn?: string;
  /** `schema.table`, sorted. */
  readonly excludeTables: string[];
  /** `schema.table.column`, sorted. */
  readonly excludeColumns: string[];
}

const NAME = '[A-Za-z0-9_$]{1,64}';
const QUALIFIED_TABLE = new RegExp(`^(${NAME})\\.(${NAME})$`);
const QUALIFIED_COLUMN = new RegExp(`^(${NAME})\\.(${NAME})\\.(${NAME})$`);

/** A comma-separated list: trimmed, blanks dropped, de-duplicated, sorted. */
const splitList = (raw: string): string[] =>
  [
    ...new Set(
      raw
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    ),
  ].sort();

/** ExcludeTables / ExcludeColumns: `schema.table[.column]` items of application schemas. */
function qualifiedList(pattern: RegExp, example: string) {
  return field<string[]>((raw) => {
    if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return { value: [] };
    if (typeof raw !== 'string') return { problem: `must be a comma-separated list of ${example} (got ${shown(raw)})` };
    const items = splitList(raw);
    for (const item of items) {
      const m = pattern.exec(item);
      if (!m) return { problem: `must list ${example} names: ${JSON.stringify(item)} is not ${example}` };
      if (!isApplicationSchema(m[1]))
        return {
          problem:
            `must list application schemas only: '${item}' is in a system or internal ` +
            `schema, which is never granted anyway; remove it`,
        };
    }
    return { value: items };
  });
}

/** Schemas: undefined (every application schema) or a list of application schema names. */
const schemaList = field<string[] | undefined>((raw) => {
  if (raw === undefined || raw === null || raw === '') return { value: undefined };
  if (typeof raw !== 'string') return { problem: `must be a comma-separated list of schema names (got ${shown(raw)})` };
  const schemas = splitList(raw);
  if (schemas.length === 0) return { problem: `lists no schema (got ${shown(raw)}); omit it to grant every application schema` };
  for (const schema of schemas) {
    if (schema.length > 64 || schema.includes('`') || schema.includes('\u0000'))
      return { problem: `must list schema names: ${JSON.stringify(schema)} is not a valid schema name` };
    if (!isApplicationSchema(schema))
      return {
        problem:
          `must list application schemas only: '${schema}' is a system or internal schema ` +
          `and is never granted to the read-only account; remove it`,
      };
  }
  return { value: schemas };
});

const propertyShape = z.object({
  ReplicaSecretArn: requiredText({ fix: "give the ARN of the replica's master secret" }),
  AccountSecretArn: requiredText({ fix: "give the ARN of the read-only account's secret" }),
  Username: userName(DEFAULT_USERNAME),
  IssueDate: isoDate() as z.ZodType<string, unknown>,
  Schemas: schemaList,
  PasswordLength: integer(MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH),
  ReleaseVersion: optionalText(),
  PasswordExpiresOn: isoDate({ optional: true }),
  ExcludeTables: qualifiedList(QUALIFIED_TABLE, 'schema.table'),
  ExcludeColumns: qualifiedList(QUALIFIED_COLUMN, 'schema.table.column'),
});

const propertiesSchema = propertyShape.superRefine((p, ctx) => {
  if (p.PasswordExpiresOn !== undefined && p.PasswordExpiresOn <= p.IssueDate) {
    ctx.addIssue({
      code: 'custom',
      path: ['PasswordExpiresOn'],
      message:
        `(${p.PasswordExpiresOn}) must be after 'IssueDate' (${p.IssueDate}); give a ` +
        `later day, or omit it for a password that never expires`,
    });
  }
  for (const column of p.ExcludeColumns) {
    const table = column.split('.').slice(0, 2).join('.');
    if (p.ExcludeTables.includes(table)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ExcludeColumns'],
        message: `lists '${column}', which is in ${table}, a table ExcludeTables excludes whole; remove one of the two`,
      });
    }
  }
});

const DAY_MS = 86_400_000;

/**
 * N of `PASSWORD EXPIRE INTERVAL N DAY` for a password set at `setAt` that must expire on
 * `expiresOn` (00:00 UTC): whole days, rounded up (MySQL counts days from the password change:
 * "PASSWORD EXPIRE INTERVAL N DAY", MySQL 8.0 Reference Manual, "Password Management",
 * password-management.html#password-expiration; Aurora MySQL 3 supports the clause: "Password
 * policies and password validation in Aurora MySQL", AuroraMySQL.PasswordPolicies.html).
 * Less than 1 means the day has passed.
 */
export function expireIntervalDays(expiresOn: string, setAt: Date): number {
  return Math.ceil((Date.parse(`${expiresOn}T00:00:00Z`) - setAt.getTime()) / DAY_MS);
}

export function parseReadOnlyAccountProperties(props: Readonly<Record<string, unknown>>): ReadOnlyAccountProperties {
  const p = parseProperties(propertiesSchema, props);
  return {
    replicaSecretArn: p.ReplicaSecretArn,
    accountSecretArn: p.AccountSecretArn,
    username: p.Username,
    issueDate: p.IssueDate,
    schemas: p.Schemas,
    passwordLength: p.PasswordLength,
    releaseVersion: p.ReleaseVersion,
    passwordExpiresOn: p.PasswordExpiresOn,
    excludeTables: p.ExcludeTables,
    excludeColumns: p.ExcludeColumns,
  };
}

/** What Delete reads: the replica and the account name (nothing else needs to be valid). */
const deleteSchema = propertyShape.pick({ ReplicaSecretArn: true, Username: true });

export function isApplicationSchema(name: string): boolean {
  const lower = name.toLowerCase();
  return !SYSTEM_SCHEMAS.includes(lower) && !lower.startsWith(INTERNAL_SCHEMA_PREFIX);
}

/** Null when the password meets the policy, else the reason (never the password). */
export function passwordPolicyViolation(password: string, minLength: number): string | null {
  if (password.length < minLength) return `it has ${password.length} characters, fewer than ${minLength}`;
  if (!/[A-Z]/.test(password)) return 'it has no upper-case letter';
  if (!/[a-z]/.test(password)) return 'it has no lower-case letter';
  if (!/[0-9]/.test(password)) return 'it has no digit';
  if (![...password].some((c) => PASSWORD_SYMBOLS.includes(c))) return `it has none of the symbols ${PASSWORD_SYMBOLS}`;
  if ([...password].some((c) => EXCLUDED_PASSWORD_CHARACTERS.includes(c) || /\s/.test(c))) return 'it contains an excluded character';
  if (!/^[A-Za-z0-9._-]+$/.test(password)) return 'it contains a character outside A-Z a-z 0-9 and -._';
  return null;
}

/** The JSON kept in AccountSecretArn. `issueDate` is what makes a re-issue detectable. */
interface StoredAccount {
  readonly username: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  readonly issueDate: string;
  /** When the handler last set the password on the account (ISO 8601): the expiry interval counts from it. */
  readonly passwordSetAt?: string;
  /** `YYYY-MM-DD`: the password expires at 00:00 UTC of this day (for the recipient to read). */
  readonly expiresOn?: string;
}

/** What the account is granted: schema-wide, table by table, or column by column. */
interface DesiredGrants {
  /** Schemas granted schema-wide (no exclusion in them). */
  readonly schemas: string[];
  /** `schema.table` -> [schema, table]: SELECT, SHOW VIEW on the table. */
  readonly tables: Map<string, [string, string]>;
  /** `schema.table` -> the readable columns (SELECT (columns)). */
  readonly columns: Map<string, { schema: string; table: string; columns: string[] }>;
}

/** Escapes the GRANT wildcards `_` and `%` so that `app_db`.* never matches `appXdb`. */
function grantPattern(schema: string): string {
  return schema.replace(/[_%]/g, (c) => `\\${c}`);
}

export function createReadOnlyAccountHandler(
  options: ReadOnlyAccountHandlerOptions = {},
): (event: CustomResourceEvent) => Promise<CustomResourceResponse> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const deleteConnectTimeoutMs = options.deleteConnectTimeoutMs ?? DELETE_CONNECT_TIMEOUT_MS;

  async function readStored(client: SecretsManagerClient, arn: string, redactor: Redactor): Promise<StoredAccount | undefined> {
    const raw = await readSecretString(client, arn, 'account secret', redactor);
    if (!raw) return undefined;
    try {
      const parsed = JSON.parse(raw) as Partial<StoredAccount>;
      if (typeof parsed.password === 'string') redactor.add(parsed.password);
      if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string' || typeof parsed.issueDate !== 'string')
        return undefined;
      return {
        username: parsed.username,
        password: parsed.password,
        host: String(parsed.host ?? ''),
        port: Number(parsed.port ?? 0),
        issueDate: parsed.issueDate,
        passwordSetAt:
          typeof parsed.passwordSetAt === 'string' && !Number.isNaN(Date.parse(parsed.passwordSetAt)) ? parsed.passwordSetAt : undefined,
        expiresOn: typeof parsed.expiresOn === 'string' ? parsed.expiresOn : undefined,
      };
    } catch {
      return undefined; // a placeholder value: treated as "no password issued yet"
    }
  }

  async function newPassword(client: SecretsManagerClient, length: number, redactor: Redactor): Promise<string> {
    const password = await generatePassword(client, length, EXCLUDED_PASSWORD_CHARACTERS, redactor, 'read-only account');
    const violation = passwordPolicyViolation(password, length);
    if (violation) throw new HandlerError(`GetRandomPassword returned a password that breaks the policy: ${violation}`);
    return password;
  }

  async function store(client: SecretsManagerClient, arn: string, account: StoredAccount, redactor: Redactor): Promise<void> {
    try {
      await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(account) }));
    } catch (error) {
      throw wrapError(`cannot store the account in secret ${arn}`, error, redactor);
    }
  }

  async function resolveSchemas(conn: mysql.Connection, props: ReadOnlyAccountProperties, redactor: Redactor): Promise<string[]> {
    const rows = await query(conn, 'replica: list schemas', 'SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA', [], redactor);
    const existing = rows.map((r) => String(r.s));
    if (!props.schemas) return existing.filter(isApplicationSchema).sort();
    const missing = props.schemas.filter((s) => !existing.includes(s));
    if (missing.length > 0)
      throw new HandlerError(
        `property 'Schemas': ${missing.map((s) => `'${s}'`).join(', ')} not found on the replica; fix the list or wait for replication`,
      );
    return props.schemas;
  }

  /**
   * What the account gets: schema-wide grants where nothing is excluded; where a table or column
   * is excluded, every other table of that schema by name (a schema-level grant cannot exclude
   * anything, and MySQL has no partial revokes of schema grants without partial_revokes), so
   * tables created later in that schema are not readable until the grants are re-run.
   * Every excluded table and column must exist: a misspelt exclusion would leave the real one readable.
   */
  async function desiredGrants(
    conn: mysql.Connection,
    schemas: string[],
    props: ReadOnlyAccountProperties,
    redactor: Redactor,
  ): Promise<DesiredGrants> {
    const restricted = new Set([...props.excludeTables, ...props.excludeColumns].map((x) => x.split('.')[0]));
    for (const schema of restricted) {
      if (!schemas.includes(schema)) {
        throw new HandlerError(
          `an exclusion names schema '${schema}', which the read-only account is not ` +
            `granted (${schemas.join(', ') || 'none'}); remove the exclusion or grant the ` +
            `schema`,
        );
      }
    }
    const tables = new Map<string, [string, string]>();
    const columns = new Map<string, { schema: string; table: string; columns: string[] }>();
    const partial = new Map<string, string[]>();
    for (const c of props.excludeColumns) {
      const [schema, table, column] = c.split('.');
      const key = `${schema}.${table}`;
      partial.set(key, [...(partial.get(key) ?? []), column]);
    }
    for (const schema of [...restricted].sort()) {
      const rows = await query(
        conn,
        `replica: list tables of ${schema}`,
        'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
        [schema],
        redactor,
      );
      const names = rows.map((r) => String(r.t));
      for (const excluded of props.excludeTables.filter((x) => x.startsWith(`${schema}.`))) {
        if (!names.includes(excluded.slice(schema.length + 1)))
          throw new HandlerError(
            `ExcludeTables: '${excluded}' does not exist on the replica; fix the name (an exclusion that matches nothing protects nothing)`,
          );
      }
      for (const name of names) {
        const key = `${schema}.${name}`;
        if (props.excludeTables.includes(key)) continue;
        const hidden = partial.get(key);
        if (!hidden) {
          tables.set(key, [schema, name]);
          continue;
        }
        const cols = (
          await query(
            conn,
            `replica: list columns of ${key}`,
            'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
            [schema, name],
            redactor,
          )
        ).map((r) => String(r.c));
        for (const column of hidden) {
          if (!cols.includes(column))
            throw new HandlerError(
              `ExcludeColumns: '${key}.${column}' does not exist on the replica; fix the name ` +
                `(an exclusion that matches nothing protects nothing)`,
            );
        }
        const readable = cols.filter((c) => !hidden.includes(c));
        if (readable.length > 0) columns.set(key, { schema, table: name, columns: readable });
      }
      for (const key of partial.keys()) {
        if (key.startsWith(`${schema}.`) && !names.includes(key.slice(schema.length + 1)))
          throw new HandlerError(`ExcludeColumns: table '${key}' does not exist on the replica; fix the name`);
      }
    }
    return { schemas: schemas.filter((s) => !restricted.has(s)), tables, columns };
  }

  /** Makes the account's privileges exactly the desired grants. Returns what changed. */
  async function reconcileGrants(conn: mysql.Connection, username: string, desired: DesiredGrants, redactor: Redactor): Promise<string[]> {
    const grantee = granteeString(username);
    const to = [username, ACCOUNT_HOST];
    const changes: string[] = [];
    const globalPrivs = await query(
      conn,
      'replica: read global privileges',
      'SELECT PRIVILEGE_TYPE AS p, IS_GRANTABLE AS g FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?',
      [grantee],
      redactor,
    );
    let schemaPrivs = await query(
      conn,
      'replica: read schema privileges',
      'SELECT TABLE_SCHEMA AS s, PRIVILEGE_TYPE AS p, IS_GRANTABLE AS g FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?',
      [grantee],
      redactor,
    );
    let tablePrivs = await query(
      conn,
      'replica: read table privileges',
      'SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, PRIVILEGE_TYPE AS p, IS_GRANTABLE AS ' +
        'g FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ?',
      [grantee],
      redactor,
    );
    const readColumns = () =>
      query(
        conn,
        'replica: read column privileges',
        'SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, COLUMN_NAME AS c, PRIVILEGE_TYPE AS ' +
          'p, IS_GRANTABLE AS g FROM information_schema.COLUMN_PRIVILEGES WHERE GRANTEE = ?',
        [grantee],
        redactor,
      );
    let columnPrivs = await readColumns();

    const extraGlobal = globalPrivs.map((r) => String(r.p).toUpperCase()).filter((p) => p !== 'USAGE');
    const grantable = [...globalPrivs, ...schemaPrivs, ...tablePrivs, ...columnPrivs].some((r) => String(r.g).toUpperCase() === 'YES');
    if (extraGlobal.length > 0 || grantable) {
      await query(conn, 'replica: REVOKE ALL', 'REVOKE ALL PRIVILEGES, GRANT OPTION FROM ?@?', to, redactor);
      changes.push(
        `revoked every privilege (found global: ${extraGlobal.join(', ') || 'none'}, grant option: ${grantable ? 'yes' : 'no'})`,
      );
      schemaPrivs = [];
      tablePrivs = [];
      // Column privileges are read again below, after the table-level changes.
    }

    // Schema level.
    const wanted = new Map(desired.schemas.map((s) => [grantPattern(s), s]));
    const held = new Map<string, Set<string>>();
    for (const r of schemaPrivs) {
      const pattern = String(r.s);
      if (!held.has(pattern)) held.set(pattern, new Set());
      held.get(pattern)!.add(String(r.p).toUpperCase());
    }
    for (const [pattern, privileges] of held) {
      if (!wanted.has(pattern)) {
        await query(conn, `replica: REVOKE on ${pattern}`, `REVOKE ALL PRIVILEGES ON ${quoteIdentifier(pattern)}.* FROM ?@?`, to, redactor);
        changes.push(`revoked ${[...privileges].sort().join(', ')} on ${pattern}`);
        continue;
      }
      const extra = [...privileges].filter((p) => !GRANTED_PRIVILEGES.includes(p) && /^[A-Z ]+$/.test(p)).sort();
      if (extra.length > 0) {
        await query(
          conn,
          `replica: REVOKE extra privileges on ${pattern}`,
          `REVOKE ${extra.join(', ')} ON ${quoteIdentifier(pattern)}.* FROM ?@?`,
          to,
          redactor,
        );
        changes.push(`revoked ${extra.join(', ')} on ${pattern}`);
      }
    }
    for (const [pattern, schema] of wanted) {
      const privileges = held.get(pattern) ?? new Set<string>();
      if (GRANTED_PRIVILEGES.every((p) => privileges.has(p))) continue;
      await query(
        conn,
        `replica: GRANT on ${schema}`,
        `GRANT ${GRANTED_PRIVILEGES.join(', ')} ON ${quoteIdentifier(pattern)}.* TO ?@?`,
        to,
        redactor,
      );
      changes.push(`granted ${GRANTED_PRIVILEGES.join(', ')} on ${schema}`);
    }

    // Table level (schema and table names are literal here: no wildcards below schema level).
    const object = (schema: string, table: string) => `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
    const heldTables = new Map<string, { schema: string; table: string; privileges: Set<string> }>();
    for (const r of tablePrivs) {
      const key = `${String(r.s)}.${String(r.t)}`;
      if (!heldTables.has(key)) heldTables.set(key, { schema: String(r.s), table: String(r.t), privileges: new Set() });
      heldTables.get(key)!.privileges.add(String(r.p).toUpperCase());
    }
    for (const [key, h] of heldTables) {
      const extra = [...h.privileges]
        .filter((p) => (!desired.tables.has(key) || !GRANTED_PRIVILEGES.includes(p)) && /^[A-Z ]+$/.test(p))
        .sort();
      if (extra.length === 0) continue;
      await query(conn, `replica: REVOKE on ${key}`, `REVOKE ${extra.join(', ')} ON ${object(h.schema, h.table)} FROM ?@?`, to, redactor);
      changes.push(`revoked ${extra.join(', ')} on ${key}`);
    }
    for (const [key, [schema, table]] of desired.tables) {
      const privileges = heldTables.get(key)?.privileges ?? new Set<string>();
      if (GRANTED_PRIVILEGES.every((p) => privileges.has(p))) continue;
      await query(
        conn,
        `replica: GRANT on ${key}`,
        `GRANT ${GRANTED_PRIVILEGES.join(', ')} ON ${object(schema, table)} TO ?@?`,
        to,
        redactor,
      );
      changes.push(`granted ${GRANTED_PRIVILEGES.join(', ')} on ${key}`);
    }

    // Column level: SELECT on the readable columns of tables with excluded columns, nothing else.
    columnPrivs = await readColumns();
    const heldColumns = new Map<string, { schema: string; table: string; byPrivilege: Map<string, Set<string>> }>();
    for (const r of columnPrivs) {
      const key = `${String(r.s)}.${String(r.t)}`;
      if (!heldColumns.has(key)) heldColumns.set(key, { schema: String(r.s), table: String(r.t), byPrivilege: new Map() });
      const byPrivilege = heldColumns.get(key)!.byPrivilege;
      const p = String(r.p).toUpperCase();
      if (!byPrivilege.has(p)) byPrivilege.set(p, new Set());
      byPrivilege.get(p)!.add(String(r.c));
    }
    const columnList = (cols: Iterable<string>) => [...cols].sort().map(quoteIdentifier).join(', ');
    for (const [key, h] of heldColumns) {
      const allowed = new Set(desired.columns.get(key)?.columns ?? []);
      for (const [privilege, cols] of h.byPrivilege) {
        if (!/^[A-Z ]+$/.test(privilege)) continue;
        const extra = [...cols].filter((c) => privilege !== 'SELECT' || !allowed.has(c));
        if (extra.length === 0) continue;
        await query(
          conn,
          `replica: REVOKE ${privilege} (columns) on ${key}`,
          `REVOKE ${privilege} (${columnList(extra)}) ON ${object(h.schema, h.table)} FROM ?@?`,
          to,
          redactor,
        );
        changes.push(`revoked ${privilege} (${[...extra].sort().join(', ')}) on ${key}`);
      }
    }
    for (const [key, d] of desired.columns) {
      const have = heldColumns.get(key)?.byPrivilege.get('SELECT') ?? new Set<string>();
      const missing = d.columns.filter((c) => !have.has(c));
      if (missing.length === 0) continue;
      await query(
        conn,
        `replica: GRANT SELECT (columns) on ${key}`,
        `GRANT SELECT (${columnList(missing)}) ON ${object(d.schema, d.table)} TO ?@?`,
        to,
        redactor,
      );
      changes.push(`granted SELECT (${[...missing].sort().join(', ')}) on ${key}`);
    }
    return changes;
  }

  /** N days from now (or from a given instant) until PasswordExpiresOn; refuses a day already passed for a new password. */
  function intervalFor(props: ReadOnlyAccountProperties, setAt: Date, newPassword: boolean): number | undefined {
    if (!props.passwordExpiresOn) return undefined;
    const days = expireIntervalDays(props.passwordExpiresOn, setAt);
    if (days < 1 && newPassword) {
      throw new HandlerError(
        `PasswordExpiresOn ${props.passwordExpiresOn} has passed: a password issued now ` +
          `would be expired at once; re-issue with a new IssueDate`,
      );
    }
    return Math.min(65535, Math.max(1, days));
  }

  /** ` PASSWORD EXPIRE INTERVAL ? DAY` / ` PASSWORD EXPIRE NEVER` and its value. */
  const expiryClause = (interval: number | undefined): { sql: string; values: unknown[] } =>
    interval === undefined ? { sql: ' PASSWORD EXPIRE NEVER', values: [] } : { sql: ' PASSWORD EXPIRE INTERVAL ? DAY', values: [interval] };

  /** The expiry interval SHOW CREATE USER reports (MySQL 8.0 and MariaDB print the same clause), or undefined for none. */
  async function currentInterval(conn: mysql.Connection, username: string, redactor: Redactor): Promise<number | undefined> {
    const rows = await query(conn, 'replica: SHOW CREATE USER', 'SHOW CREATE USER ?@?', [username, ACCOUNT_HOST], redactor);
    const text = rows.length > 0 ? String(Object.values(rows[0])[0]) : '';
    const m = /PASSWORD EXPIRE INTERVAL (\d+) DAY/i.exec(text);
    return m ? Number(m[1]) : undefined;
  }

  let secretsManager = options.secretsManager;
  const secretsClient = (): SecretsManagerClient => (secretsManager ??= new SecretsManagerClient({}));

  async function apply(event: CustomResourceEvent, { redactor, log }: Invocation): Promise<CustomResourceResponse> {
    const client = secretsClient();
    const props = parseReadOnlyAccountProperties(event.ResourceProperties);
    const replica = await readAdminSecret(client, props.replicaSecretArn, 'replica', redactor);
    const account = `'${props.username}'@'${ACCOUNT_HOST}'`;
    const target = [props.username, ACCOUNT_HOST];
    let created = false;
    let conn: mysql.Connection | undefined;
    try {
      conn = await connect(replica, 'replica', redactor, connectTimeoutMs);
      const schemas = await resolveSchemas(conn, props, redactor);
      const desired = await desiredGrants(conn, schemas, props, redactor);
      const userRows = await query(
        conn,
        'replica: look up the account',
        'SELECT ssl_type FROM mysql.user WHERE User = ? AND Host = ?',
        [props.username, ACCOUNT_HOST],
        redactor,
      );
      const exists = userRows.length > 0;

      // 1. The password: kept unless none was issued for this username and IssueDate. A kept
      //    password without a record of when it was set (a secret written before expiry existed)
      //    is set again, so that the expiry can count from a known instant.
      const stored = await readStored(client, props.accountSecretArn, redactor);
      const reuse =
        !!stored &&
        stored.username === props.username &&
        stored.issueDate === props.issueDate &&
        passwordPolicyViolation(stored.password, MIN_PASSWORD_LENGTH) === null;
      const password = reuse ? stored.password : await newPassword(client, props.passwordLength, redactor);
      const setNow = !exists || !reuse || !stored.passwordSetAt;
      const setAt = setNow ? new Date() : new Date(stored.passwordSetAt);
      const interval = intervalFor(props, setAt, !reuse);
      let record: StoredAccount = {
        username: props.username,
        password,
        host: replica.host,
        port: replica.port,
        issueDate: props.issueDate,
        passwordSetAt: setAt.toISOString(),
        ...(props.passwordExpiresOn ? { expiresOn: props.passwordExpiresOn } : {}),
      };
      if (
        !reuse ||
        setNow ||
        stored.host !== replica.host ||
        stored.port !== replica.port ||
        stored.expiresOn !== props.passwordExpiresOn
      ) {
        await store(client, props.accountSecretArn, record, redactor);
        log.info(
          reuse
            ? `account secret ${props.accountSecretArn}: record updated for ` +
                `${replica.host}:${replica.port} (password kept, expires ` +
                `${props.passwordExpiresOn ?? 'never'})`
            : `account secret ${props.accountSecretArn}: new password issued for ${account} ` +
                `(IssueDate ${props.issueDate}, ${password.length} characters, expires ` +
                `${props.passwordExpiresOn ?? 'never'})`,
        );
      }

      // 2. The account (password as its hash: never the clear password in an audited statement).
      const expiry = expiryClause(interval);
      let passwordSet = false;
      if (!exists) {
        await query(
          conn,
          `replica: CREATE USER ${account}`,
          `CREATE USER ?@? IDENTIFIED WITH mysql_native_password AS ? REQUIRE SSL${expiry.sql}`,
          [...target, hashOf(password, redactor), ...expiry.values],
          redactor,
        );
        created = true;
        passwordSet = true;
        log.info(`replica ${replica.host}: created ${account} REQUIRE SSL, password expiring ${props.passwordExpiresOn ?? 'never'}`);
      } else if (setNow) {
        await query(
          conn,
          `replica: ALTER USER ${account} (${reuse ? 'password set again' : 're-issue'})`,
          `ALTER USER ?@? IDENTIFIED WITH mysql_native_password AS ? REQUIRE SSL${expiry.sql}`,
          [...target, hashOf(password, redactor), ...expiry.values],
          redactor,
        );
        passwordSet = true;
        log.info(
          `replica ${replica.host}: password of ${account} ` +
            `${reuse ? 'set again (to start its expiry clock)' : `re-issued (IssueDate ${props.issueDate})`}, ` +
            `expiring ${props.passwordExpiresOn ?? 'never'}`,
        );
      } else {
        if (String(userRows[0].ssl_type).toUpperCase() !== 'ANY') {
          await query(conn, `replica: ALTER USER ${account} REQUIRE SSL`, 'ALTER USER ?@? REQUIRE SSL', target, redactor);
          log.info(`replica ${replica.host}: ${account} now REQUIRE SSL`);
        }
        if ((await currentInterval(conn, props.username, redactor)) !== interval) {
          await query(
            conn,
            `replica: ALTER USER ${account} expiry`,
            `ALTER USER ?@?${expiry.sql}`,
            [...target, ...expiry.values],
            redactor,
          );
          log.info(
            `replica ${replica.host}: password of ${account} now expires ` +
              `${props.passwordExpiresOn ?? 'never'}${interval !== undefined ? ` (${interval} days after it was set)` : ''}`,
          );
        }
      }

      // 3. The grants.
      const changes = await reconcileGrants(conn, props.username, desired, redactor);
      for (const change of changes) log.info(`replica ${replica.host}: ${account}: ${change}`);

      // 4. The stored password must log in (over TLS); repair drift once.
      if (
        !(await canLogin(
          { host: replica.host, port: replica.port, username: props.username, password },
          'replica: log in as the read-only account',
          redactor,
          connectTimeoutMs,
        ))
      ) {
        if (passwordSet) throw new HandlerError(`replica: ${account} cannot log in with the password just set`);
        const repairAt = new Date();
        const repairExpiry = expiryClause(intervalFor(props, repairAt, false));
        record = { ...record, passwordSetAt: repairAt.toISOString() };
        await store(client, props.accountSecretArn, record, redactor);
        await query(
          conn,
          `replica: ALTER USER ${account} (repair)`,
          `ALTER USER ?@? IDENTIFIED WITH mysql_native_password AS ? REQUIRE SSL${repairExpiry.sql}`,
          [...target, hashOf(password, redactor), ...repairExpiry.values],
          redactor,
        );
        log.warn(`replica ${replica.host}: the password of ${account} did not match the account secret; reset to the stored value`);
        if (
          !(await canLogin(
            { host: replica.host, port: replica.port, username: props.username, password },
            'replica: log in as the read-only account',
            redactor,
            connectTimeoutMs,
          ))
        )
          throw new HandlerError(`replica: ${account} cannot log in with the stored password`);
      } else if (!passwordSet && changes.length === 0) {
        log.info(`replica ${replica.host}: ${account} unchanged (${schemas.length} schemas)`);
      }
      if (props.passwordExpiresOn && Date.now() >= Date.parse(`${props.passwordExpiresOn}T00:00:00Z`)) {
        log.warn(
          `replica ${replica.host}: the password of ${account} expired on ${props.passwordExpiresOn}; re-issue it (a new IssueDate)`,
        );
      }

      return {
        PhysicalResourceId: `${props.username}@${replica.host}:${replica.port}`,
        Data: { Username: props.username, Schemas: schemas.join(',') },
      };
    } catch (error) {
      // A failed Create is never followed by a Delete (Provider framework): drop what we created.
      if (event.RequestType === 'Create' && created && conn) {
        log.warn(`create failed; dropping ${account}: ${describeError(error)}`);
        await query(conn, 'replica: DROP USER', 'DROP USER IF EXISTS ?@?', target, redactor).catch((e) =>
          log.warn(`drop failed: ${describeError(e)}`),
        );
      }
      throw error;
    } finally {
      await closeQuietly(conn);
    }
  }

  async function remove(event: CustomResourceEvent, { redactor, log }: Invocation): Promise<CustomResourceResponse> {
    const physicalId = event.PhysicalResourceId ?? 'readonly-account/unknown';
    let conn: mysql.Connection | undefined;
    try {
      const client = secretsClient();
      const { ReplicaSecretArn: replicaSecretArn, Username: username } = parseProperties(deleteSchema, event.ResourceProperties);
      const replica = await readAdminSecret(client, replicaSecretArn, 'replica', redactor);
      conn = await connect(replica, 'replica', redactor, deleteConnectTimeoutMs);
      await query(conn, 'replica: DROP USER', 'DROP USER IF EXISTS ?@?', [username, ACCOUNT_HOST], redactor);
      log.info(`replica ${replica.host}: dropped '${username}'@'${ACCOUNT_HOST}' (if it existed)`);
    } catch (error) {
      log.warn(`delete: could not drop the read-only account (ignored so that the stack does not get stuck): ${describeError(error)}`);
    } finally {
      await closeQuietly(conn);
    }
    return { PhysicalResourceId: physicalId };
  }

  return customResourceHandler('read-replica-readonly-account', { create: apply, update: apply, delete: remove });
}

/** The Lambda entry point (Provider framework onEvent). */
export const onEvent = createReadOnlyAccountHandler();
