/**
 * Custom resource: the customer's read-only account (RO_USER) on the read-replica cluster, for the
 * aws-cdk-lib custom-resources Provider framework (`onEvent` only). Touches the replica only.
 *
 * Create/Update
 *   password: kept from AccountSecretArn when that secret already holds a password issued for this
 *             Username and IssueDate; otherwise (first issue, or a new IssueDate = re-issue) a new
 *             one comes from Secrets Manager GetRandomPassword and is stored with PutSecretValue
 *             before the database is changed.
 *   account:  'Username'@'%' with REQUIRE SSL; CREATE USER when missing, ALTER USER on re-issue,
 *             and ALTER USER (repair) when the stored password no longer logs in.
 *   grants:   exactly SELECT, SHOW VIEW on each application schema; anything else (other
 *             schemas, other privileges, global/table/column privileges, GRANT OPTION) is revoked.
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
import { quoteIdentifier } from '../../core/runtime/database';
import {
  ACCOUNT_HOST, canLogin, closeQuietly, connect, CustomResourceEvent, CustomResourceResponse, customResourceHandler, DELETE_CONNECT_TIMEOUT_MS, describeError,
  generatePassword, granteeString, HandlerError, integerProperty, Logger, optionalString, query, readAdminSecret, readSecretString, Redactor,
  requiredString, userNameProperty, wrapError,
} from './common';

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
}

export function parseReadOnlyAccountProperties(props: Readonly<Record<string, unknown>>): ReadOnlyAccountProperties {
  const issueDate = requiredString(props, 'IssueDate');
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(issueDate);
  const asDate = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !asDate || asDate.toISOString().slice(0, 10) !== issueDate) {
    throw new HandlerError(`property 'IssueDate' must be a date written YYYY-MM-DD (got ${JSON.stringify(issueDate)})`);
  }
  const schemasRaw = optionalString(props, 'Schemas');
  let schemas: string[] | undefined;
  if (schemasRaw !== undefined) {
    schemas = [...new Set(schemasRaw.split(',').map((s) => s.trim()).filter((s) => s !== ''))].sort();
    if (schemas.length === 0) throw new HandlerError(`property 'Schemas' lists no schema (got ${JSON.stringify(schemasRaw)}); omit it to grant every application schema`);
    for (const schema of schemas) {
      if (schema.length > 64 || /[`\u0000]/.test(schema)) throw new HandlerError(`property 'Schemas': ${JSON.stringify(schema)} is not a valid schema name`);
      if (!isApplicationSchema(schema)) {
        throw new HandlerError(`property 'Schemas': '${schema}' is a system or internal schema and is never granted to the read-only account; remove it`);
      }
    }
  }
  return {
    replicaSecretArn: requiredString(props, 'ReplicaSecretArn'),
    accountSecretArn: requiredString(props, 'AccountSecretArn'),
    username: userNameProperty(props, 'Username', DEFAULT_USERNAME),
    issueDate,
    schemas,
    passwordLength: integerProperty(props, 'PasswordLength', MIN_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH),
    releaseVersion: optionalString(props, 'ReleaseVersion'),
  };
}

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
}

/** Escapes the GRANT wildcards `_` and `%` so that `app_db`.* never matches `appXdb`. */
function grantPattern(schema: string): string {
  return schema.replace(/[_%]/g, (c) => `\\${c}`);
}

export function createReadOnlyAccountHandler(options: ReadOnlyAccountHandlerOptions = {}): (event: CustomResourceEvent) => Promise<CustomResourceResponse> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const deleteConnectTimeoutMs = options.deleteConnectTimeoutMs ?? DELETE_CONNECT_TIMEOUT_MS;

  async function readStored(client: SecretsManagerClient, arn: string, redactor: Redactor): Promise<StoredAccount | undefined> {
    const raw = await readSecretString(client, arn, 'account secret', redactor);
    if (!raw) return undefined;
    try {
      const parsed = JSON.parse(raw) as Partial<StoredAccount>;
      if (typeof parsed.password === 'string') redactor.add(parsed.password);
      if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string' || typeof parsed.issueDate !== 'string') return undefined;
      return { username: parsed.username, password: parsed.password, host: String(parsed.host ?? ''), port: Number(parsed.port ?? 0), issueDate: parsed.issueDate };
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
    if (missing.length > 0) throw new HandlerError(`property 'Schemas': ${missing.map((s) => `'${s}'`).join(', ')} not found on the replica; fix the list or wait for replication`);
    return props.schemas;
  }

  /** Makes the account's privileges exactly SELECT, SHOW VIEW on each schema. Returns what changed. */
  async function reconcileGrants(conn: mysql.Connection, username: string, schemas: string[], redactor: Redactor): Promise<string[]> {
    const grantee = granteeString(username);
    const changes: string[] = [];
    const globalPrivs = await query(conn, 'replica: read global privileges', 'SELECT PRIVILEGE_TYPE AS p, IS_GRANTABLE AS g FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?', [grantee], redactor);
    const objectGrants = await query(conn, 'replica: read table/column privileges', [
      'SELECT COUNT(*) AS n FROM (',
      ' SELECT GRANTEE FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ?',
      ' UNION ALL SELECT GRANTEE FROM information_schema.COLUMN_PRIVILEGES WHERE GRANTEE = ?) x',
    ].join(''), [grantee, grantee], redactor);
    let schemaPrivs = await query(conn, 'replica: read schema privileges', 'SELECT TABLE_SCHEMA AS s, PRIVILEGE_TYPE AS p, IS_GRANTABLE AS g FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?', [grantee], redactor);

    const extraGlobal = globalPrivs.map((r) => String(r.p).toUpperCase()).filter((p) => p !== 'USAGE');
    const grantable = [...globalPrivs, ...schemaPrivs].some((r) => String(r.g).toUpperCase() === 'YES');
    if (extraGlobal.length > 0 || grantable || Number(objectGrants[0]?.n ?? 0) > 0) {
      await query(conn, 'replica: REVOKE ALL', 'REVOKE ALL PRIVILEGES, GRANT OPTION FROM ?@?', [username, ACCOUNT_HOST], redactor);
      changes.push(`revoked every privilege (found global: ${extraGlobal.join(', ') || 'none'}, grant option: ${grantable ? 'yes' : 'no'}, table/column grants: ${Number(objectGrants[0]?.n ?? 0)})`);
      schemaPrivs = [];
    }

    const wanted = new Map(schemas.map((s) => [grantPattern(s), s]));
    const held = new Map<string, Set<string>>();
    for (const r of schemaPrivs) {
      const pattern = String(r.s);
      if (!held.has(pattern)) held.set(pattern, new Set());
      held.get(pattern)!.add(String(r.p).toUpperCase());
    }
    for (const [pattern, privileges] of held) {
      if (!wanted.has(pattern)) {
        await query(conn, `replica: REVOKE on ${pattern}`, `REVOKE ALL PRIVILEGES ON ${quoteIdentifier(pattern)}.* FROM ?@?`, [username, ACCOUNT_HOST], redactor);
        changes.push(`revoked ${[...privileges].sort().join(', ')} on ${pattern}`);
        continue;
      }
      const extra = [...privileges].filter((p) => !GRANTED_PRIVILEGES.includes(p) && /^[A-Z ]+$/.test(p)).sort();
      if (extra.length > 0) {
        await query(conn, `replica: REVOKE extra privileges on ${pattern}`, `REVOKE ${extra.join(', ')} ON ${quoteIdentifier(pattern)}.* FROM ?@?`, [username, ACCOUNT_HOST], redactor);
        changes.push(`revoked ${extra.join(', ')} on ${pattern}`);
      }
    }
    for (const [pattern, schema] of wanted) {
      const privileges = held.get(pattern) ?? new Set<string>();
      if (GRANTED_PRIVILEGES.every((p) => privileges.has(p))) continue;
      await query(conn, `replica: GRANT on ${schema}`, `GRANT ${GRANTED_PRIVILEGES.join(', ')} ON ${quoteIdentifier(pattern)}.* TO ?@?`, [username, ACCOUNT_HOST], redactor);
      changes.push(`granted ${GRANTED_PRIVILEGES.join(', ')} on ${schema}`);
    }
    return changes;
  }

  async function apply(event: CustomResourceEvent, client: SecretsManagerClient, redactor: Redactor, log: Logger): Promise<CustomResourceResponse> {
    const props = parseReadOnlyAccountProperties(event.ResourceProperties);
    const replica = await readAdminSecret(client, props.replicaSecretArn, 'replica', redactor);
    const account = `'${props.username}'@'${ACCOUNT_HOST}'`;
    let created = false;
    let conn: mysql.Connection | undefined;
    try {
      conn = await connect(replica, 'replica', redactor, connectTimeoutMs);
      const schemas = await resolveSchemas(conn, props, redactor);
      const userRows = await query(conn, 'replica: look up the account', 'SELECT ssl_type FROM mysql.user WHERE User = ? AND Host = ?', [props.username, ACCOUNT_HOST], redactor);
      const exists = userRows.length > 0;

      // 1. The password: kept unless none was issued for this username and IssueDate.
      const stored = await readStored(client, props.accountSecretArn, redactor);
      const reuse = stored && stored.username === props.username && stored.issueDate === props.issueDate &&
        passwordPolicyViolation(stored.password, MIN_PASSWORD_LENGTH) === null;
      const password = reuse ? stored.password : await newPassword(client, props.passwordLength, redactor);
      const record: StoredAccount = { username: props.username, password, host: replica.host, port: replica.port, issueDate: props.issueDate };
      if (!reuse || stored.host !== replica.host || stored.port !== replica.port) {
        await store(client, props.accountSecretArn, record, redactor);
        log.info(reuse
          ? `account secret ${props.accountSecretArn}: endpoint updated to ${replica.host}:${replica.port} (password kept)`
          : `account secret ${props.accountSecretArn}: new password issued for ${account} (IssueDate ${props.issueDate}, ${password.length} characters)`);
      }

      // 2. The account.
      let passwordSet = false;
      if (!exists) {
        await query(conn, `replica: CREATE USER ${account}`, 'CREATE USER ?@? IDENTIFIED BY ? REQUIRE SSL', [props.username, ACCOUNT_HOST, password], redactor);
        created = true;
        passwordSet = true;
        log.info(`replica ${replica.host}: created ${account} REQUIRE SSL`);
      } else if (!reuse) {
        await query(conn, `replica: ALTER USER ${account} (re-issue)`, 'ALTER USER ?@? IDENTIFIED BY ? REQUIRE SSL', [props.username, ACCOUNT_HOST, password], redactor);
        passwordSet = true;
        log.info(`replica ${replica.host}: password of ${account} re-issued (IssueDate ${props.issueDate})`);
      } else if (String(userRows[0].ssl_type).toUpperCase() !== 'ANY') {
        await query(conn, `replica: ALTER USER ${account} REQUIRE SSL`, 'ALTER USER ?@? REQUIRE SSL', [props.username, ACCOUNT_HOST], redactor);
        log.info(`replica ${replica.host}: ${account} now REQUIRE SSL`);
      }

      // 3. The grants.
      const changes = await reconcileGrants(conn, props.username, schemas, redactor);
      for (const change of changes) log.info(`replica ${replica.host}: ${account}: ${change}`);

      // 4. The stored password must log in (over TLS); repair drift once.
      if (!(await canLogin({ host: replica.host, port: replica.port, username: props.username, password }, 'replica: log in as the read-only account', redactor, connectTimeoutMs))) {
        if (passwordSet) throw new HandlerError(`replica: ${account} cannot log in with the password just set`);
        await query(conn, `replica: ALTER USER ${account} (repair)`, 'ALTER USER ?@? IDENTIFIED BY ? REQUIRE SSL', [props.username, ACCOUNT_HOST, password], redactor);
        log.warn(`replica ${replica.host}: the password of ${account} did not match the account secret; reset to the stored value`);
        if (!(await canLogin({ host: replica.host, port: replica.port, username: props.username, password }, 'replica: log in as the read-only account', redactor, connectTimeoutMs))) throw new HandlerError(`replica: ${account} cannot log in with the stored password`);
      } else if (!passwordSet && changes.length === 0) {
        log.info(`replica ${replica.host}: ${account} unchanged (${schemas.length} schemas)`);
      }

      return {
        PhysicalResourceId: `${props.username}@${replica.host}:${replica.port}`,
        Data: { Username: props.username, Schemas: schemas.join(',') },
      };
    } catch (error) {
      // A failed Create is never followed by a Delete (Provider framework): drop what we created.
      if (event.RequestType === 'Create' && created && conn) {
        log.warn(`create failed; dropping ${account}: ${describeError(error)}`);
        await query(conn, 'replica: DROP USER', 'DROP USER IF EXISTS ?@?', [props.username, ACCOUNT_HOST], redactor).catch((e) => log.warn(`drop failed: ${describeError(e)}`));
      }
      throw error;
    } finally {
      await closeQuietly(conn);
    }
  }

  async function remove(event: CustomResourceEvent, client: SecretsManagerClient, redactor: Redactor, log: Logger): Promise<CustomResourceResponse> {
    const physicalId = event.PhysicalResourceId ?? 'readonly-account/unknown';
    let conn: mysql.Connection | undefined;
    try {
      const replicaSecretArn = requiredString(event.ResourceProperties, 'ReplicaSecretArn');
      const username = userNameProperty(event.ResourceProperties, 'Username', DEFAULT_USERNAME);
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

  return customResourceHandler('read-replica-readonly-account', { apply, remove }, options.secretsManager);
}

/** The Lambda entry point (Provider framework onEvent). */
export const onEvent = createReadOnlyAccountHandler();
