import { Duration, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ClinSparkPropsError } from '../core/errors';
import { parseIamPrincipalArn } from '../core/iam-arn';
import { DEFAULT_COLLECTION_DAYS, DEFAULT_READ_ONLY_USERNAME, defaultReadOnlySecretName } from './credentials';
import type { ReadReplicaProps } from './read-replica';

export const DEFAULT_REPLICA_INSTANCE_CLASS = 'db.r7g.large';
export const DEFAULT_REPLICATION_USERNAME = 'clinspark_repl';
export const DEFAULT_BINLOG_RETENTION_HOURS = 72;
export const DEFAULT_PASSWORD_VALIDITY_DAYS = 90;
export const DEFAULT_PASSWORD_LENGTH = 48;
export const DEFAULT_ROTATION_PERIOD_DAYS = 30;

/** ReadReplicaProps with every default applied: what the construct builds from. */
export interface ReadReplicaSettings {
  readonly instanceClass: string;
  readonly collectionDays: number;
  readonly readOnlyUsername: string;
  readonly replicationUsername: string;
  readonly passwordLength: number;
  readonly binlogRetentionHours: number;
  readonly secretName: string;
  readonly passwordValidityDays: number;
  readonly rotationPeriod: Duration;
  /** Sorted. */
  readonly excludeTables: readonly string[];
  /** Sorted. */
  readonly excludeColumns: readonly string[];
}

/** What a rule reads: the props as given, the settings (defaults applied) and the stack's account. */
export interface ReadReplicaRuleInput {
  readonly props: ReadReplicaProps;
  readonly settings: ReadReplicaSettings;
  /** The stack's account (a token when the stack has no env). */
  readonly account: string;
}

/** One prop rule, as aws-rds writes them (`validate-database-cluster-props.ts`). */
export interface ReadReplicaPropsRule {
  /** True when the props break the rule. */
  readonly condition: (input: ReadReplicaRuleInput) => boolean;
  /** What is wrong and the fix; the construct path is prefixed by ClinSparkPropsError. */
  readonly message: (input: ReadReplicaRuleInput) => string;
}

const USER_NAME = /^[A-Za-z0-9_]{1,32}$/;
const SCHEMA_NAME = /^[A-Za-z0-9_$]{1,64}$/;
/** `schema.table` and `schema.table.column` of the exclusions (the same alphabet as schema names). */
const QUALIFIED_TABLE = /^([A-Za-z0-9_$]{1,64})\.([A-Za-z0-9_$]{1,64})$/;
const QUALIFIED_COLUMN = /^([A-Za-z0-9_$]{1,64})\.([A-Za-z0-9_$]{1,64})\.([A-Za-z0-9_$]{1,64})$/;
const SYSTEM_SCHEMAS = ['mysql', 'sys', 'information_schema', 'performance_schema'];
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,256}$/;
const CLUSTER_IDENTIFIER = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$/;
const INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;

/** ReadReplicaProps with the defaults applied (no validation). */
export function readReplicaSettings(props: ReadReplicaProps): ReadReplicaSettings {
  const readOnlyUsername = props.readOnlyUsername ?? DEFAULT_READ_ONLY_USERNAME;
  return {
    instanceClass: props.instanceClass ?? DEFAULT_REPLICA_INSTANCE_CLASS,
    collectionDays: props.credentials.collectionDays ?? DEFAULT_COLLECTION_DAYS,
    readOnlyUsername,
    replicationUsername: props.replicationUsername ?? DEFAULT_REPLICATION_USERNAME,
    passwordLength: props.passwordLength ?? DEFAULT_PASSWORD_LENGTH,
    binlogRetentionHours: props.binlogRetentionHours ?? DEFAULT_BINLOG_RETENTION_HOURS,
    secretName: props.readOnlySecretName ?? defaultReadOnlySecretName(props.clusterIdentifier, readOnlyUsername),
    passwordValidityDays: props.credentials.passwordValidityDays ?? DEFAULT_PASSWORD_VALIDITY_DAYS,
    rotationPeriod: props.rotationPeriod ?? Duration.days(DEFAULT_ROTATION_PERIOD_DAYS),
    excludeTables: [...(props.readOnly?.excludeTables ?? [])].sort(),
    excludeColumns: [...(props.readOnly?.excludeColumns ?? [])].sort(),
  };
}

/** `'name' is a token` for a prop that decides policies and names at synth time. */
function literal(name: string, value: (input: ReadReplicaRuleInput) => string): ReadReplicaPropsRule {
  return {
    condition: (input) => Token.isUnresolved(value(input)),
    message: () => `'${name}' is a token; give a literal value (it decides policies and names at synth time)`,
  };
}

/** A rule over every item of a list: broken when one item breaks it; the message names the first. */
function eachItem<T>(
  items: (input: ReadReplicaRuleInput) => readonly T[],
  broken: (item: T, index: number, input: ReadReplicaRuleInput) => boolean,
  message: (item: T, index: number, input: ReadReplicaRuleInput) => string,
): ReadReplicaPropsRule {
  const first = (input: ReadReplicaRuleInput) => items(input).findIndex((item, index) => broken(item, index, input));
  return {
    condition: (input) => first(input) >= 0,
    message: (input) => {
      const index = first(input);
      return message(items(input)[index], index, input);
    },
  };
}

const recipient = ({ props }: ReadReplicaRuleInput) => parseIamPrincipalArn(props.credentials.recipientArn);
const isInternalSchema = (schema: string) => SYSTEM_SCHEMAS.includes(schema.toLowerCase()) || schema.toLowerCase().startsWith('_clinspark');
const issueDateIsValid = (issueDate: string) => {
  const issued = /^\d{4}-\d{2}-\d{2}$/.test(issueDate) ? new Date(`${issueDate}T00:00:00Z`) : undefined;
  return issued !== undefined && !Number.isNaN(issued.getTime()) && issued.toISOString().startsWith(issueDate);
};
/** The given (unsorted) exclusions: messages name the index the caller wrote. */
const excludeTables = ({ props }: ReadReplicaRuleInput) => props.readOnly?.excludeTables ?? [];
const excludeColumns = ({ props }: ReadReplicaRuleInput) => props.readOnly?.excludeColumns ?? [];

/**
 * The schema of an excluded table or column must be one the read-only account is granted: not a
 * system or internal one, and in `schemas` when that is given.
 */
function excludableSchemaRules(
  what: 'excludeTables' | 'excludeColumns',
  items: (input: ReadReplicaRuleInput) => readonly string[],
  pattern: RegExp,
): ReadReplicaPropsRule[] {
  const schemaOf = (item: string) => pattern.exec(item)?.[1];
  return [
    eachItem(
      items,
      (item) => {
        const schema = schemaOf(item);
        return schema !== undefined && isInternalSchema(schema);
      },
      (item, index) =>
        `'readOnly.${what}[${index}]' is "${item}", in a system or internal schema, ` +
        `which the read-only account never sees anyway; remove it`,
    ),
    eachItem(
      items,
      (item, _, { props }) => {
        const schema = schemaOf(item);
        return schema !== undefined && props.schemas !== undefined && !props.schemas.includes(schema);
      },
      (item, index, { props }) =>
        `'readOnly.${what}[${index}]' is "${item}", but schema '${schemaOf(item)}' is ` +
        `not in 'schemas' (${(props.schemas ?? []).join(', ')}); exclude only from ` +
        `granted schemas`,
    ),
  ];
}

/**
 * ReadReplica's prop rules, checked in this order: the first one broken throws, so a rule may
 * assume that the rules above it hold (the recipient's account is compared once its ARN parses).
 */
export const READ_REPLICA_PROPS_RULES: readonly ReadReplicaPropsRule[] = [
  // ---- the recipient ----------------------------------------------------------------------
  literal('credentials.recipientArn', ({ props }) => props.credentials.recipientArn),
  {
    condition: (input) => !recipient(input),
    message: ({ props }) =>
      `'credentials.recipientArn' is "${props.credentials.recipientArn}"; give the ARN ` +
      `of the IAM user of the named person, e.g. ` +
      `"arn:aws:iam::123456789012:user/jane.doe"`,
  },
  {
    condition: (input) => recipient(input)?.kind === 'role',
    message: ({ props }) =>
      `'credentials.recipientArn' is the role "${props.credentials.recipientArn}"; ` +
      `give the IAM user of the named person: every session of a role matches the ` +
      `secret's and the key's policies, so a role names no one person`,
  },
  {
    condition: ({ account }) => Token.isUnresolved(account),
    message: () =>
      `the stack has no literal account; the read-only account's recipient must be ` +
      `checked against it (give the stack an env with an account)`,
  },
  {
    condition: (input) => recipient(input)?.account !== input.account,
    message: (input) =>
      `'credentials.recipientArn' is in account ${recipient(input)?.account}, not in ` +
      `the replica's account ${input.account}; give an IAM user of the environment's ` +
      `own account (a principal elsewhere is governed by another account's IAM)`,
  },
  // ---- the collection window and the password's validity ----------------------------------
  literal('credentials.issueDate', ({ props }) => props.credentials.issueDate),
  {
    condition: ({ props }) => !issueDateIsValid(props.credentials.issueDate),
    message: ({ props }) => `'credentials.issueDate' is "${props.credentials.issueDate}"; give a calendar date written YYYY-MM-DD`,
  },
  {
    condition: ({ settings: { collectionDays } }) => !Number.isInteger(collectionDays) || collectionDays < 1 || collectionDays > 30,
    message: ({ settings }) =>
      `'credentials.collectionDays' is ${settings.collectionDays}; give 1 to 30 days ` +
      `(re-issue with a new issueDate rather than a long window)`,
  },
  {
    condition: ({ settings: { passwordValidityDays, collectionDays } }) =>
      !Number.isInteger(passwordValidityDays) || passwordValidityDays <= collectionDays || passwordValidityDays > 365,
    message: ({ settings }) =>
      `'credentials.passwordValidityDays' is ${settings.passwordValidityDays}; give ` +
      `whole days, more than collectionDays (${settings.collectionDays}) and at most ` +
      `365 (re-issue with a new issueDate before it expires)`,
  },
  // ---- the clusters -----------------------------------------------------------------------
  {
    condition: ({ settings }) => !INSTANCE_CLASS.test(settings.instanceClass),
    message: ({ settings }) => `'instanceClass' is "${settings.instanceClass}"; give an RDS instance class such as "db.r7g.large"`,
  },
  ...(['sourceClusterIdentifier', 'clusterIdentifier'] as const).flatMap((name) => [
    literal(name, ({ props }) => props[name]),
    {
      condition: ({ props }: ReadReplicaRuleInput) => !CLUSTER_IDENTIFIER.test(props[name]),
      message: ({ props }: ReadReplicaRuleInput) =>
        `'${name}' is "${props[name]}"; give an Aurora cluster identifier (lowercase ` +
        `letters, digits and single hyphens, starting with a letter)`,
    },
  ]),
  {
    condition: ({ props }) => props.sourceClusterIdentifier === props.clusterIdentifier,
    message: ({ props }) =>
      `'clusterIdentifier' equals 'sourceClusterIdentifier' ` +
      `("${props.clusterIdentifier}"); the replica is a separate cluster with an ` +
      `identifier of its own`,
  },
  // ---- the accounts -----------------------------------------------------------------------
  ...(['readOnlyUsername', 'replicationUsername'] as const).map((name) => ({
    condition: ({ settings }: ReadReplicaRuleInput) => !USER_NAME.test(settings[name]),
    message: ({ settings }: ReadReplicaRuleInput) => `'${name}' is "${settings[name]}"; use 1-32 characters of A-Z, a-z, 0-9 and _`,
  })),
  {
    condition: ({ settings }) => settings.readOnlyUsername === settings.replicationUsername,
    message: ({ settings }) =>
      `'readOnlyUsername' and 'replicationUsername' are both "${settings.readOnlyUsername}"; they are two different accounts`,
  },
  {
    condition: ({ settings: { passwordLength } }) => !Number.isInteger(passwordLength) || passwordLength < 48 || passwordLength > 128,
    message: ({ settings }) => `'passwordLength' is ${settings.passwordLength}; the read-only account's password has 48 to 128 characters`,
  },
  {
    condition: ({ settings: { binlogRetentionHours: hours } }) => !Number.isInteger(hours) || hours < 1 || hours > 2160,
    message: ({ settings }) =>
      `'binlogRetentionHours' is ${settings.binlogRetentionHours}; Aurora MySQL keeps binary logs 1 to 2160 hours (90 days)`,
  },
  // ---- what the read-only account sees ----------------------------------------------------
  eachItem(
    ({ props }) => props.schemas ?? [],
    (schema) => !SCHEMA_NAME.test(schema) || isInternalSchema(schema),
    (schema, index) =>
      SCHEMA_NAME.test(schema)
        ? `'schemas[${index}]' is "${schema}", a system or internal schema; the read-only ` +
          `account never sees credential or internal data: remove it`
        : `'schemas[${index}]' is "${schema}"; give a schema name (letters, digits, _ and $)`,
  ),
  {
    condition: ({ props }) => props.schemas !== undefined && props.schemas.length === 0,
    message: () => `'schemas' is empty; omit it to grant every application schema`,
  },
  eachItem(
    excludeTables,
    (table) => Token.isUnresolved(table),
    (_, index) => `'readOnly.excludeTables[${index}]' is a token; give a literal value (it decides policies and names at synth time)`,
  ),
  eachItem(
    excludeTables,
    (table) => !QUALIFIED_TABLE.test(table),
    (table, index) => `'readOnly.excludeTables[${index}]' is "${table}"; give schema.table, e.g. "clinspark.user_credentials"`,
  ),
  ...excludableSchemaRules('excludeTables', excludeTables, QUALIFIED_TABLE),
  eachItem(
    excludeTables,
    (table, index, input) => excludeTables(input).indexOf(table) !== index,
    (table, index) => `'readOnly.excludeTables[${index}]' repeats "${table}"; list each table once`,
  ),
  eachItem(
    excludeColumns,
    (column) => Token.isUnresolved(column),
    (_, index) => `'readOnly.excludeColumns[${index}]' is a token; give a literal value (it decides policies and names at synth time)`,
  ),
  eachItem(
    excludeColumns,
    (column) => !QUALIFIED_COLUMN.test(column),
    (column, index) => `'readOnly.excludeColumns[${index}]' is "${column}"; give schema.table.column, e.g. "clinspark.users.password_hash"`,
  ),
  ...excludableSchemaRules('excludeColumns', excludeColumns, QUALIFIED_COLUMN),
  eachItem(
    excludeColumns,
    (column, _, input) => excludeTables(input).includes(tableOfColumn(column)),
    (column, index) =>
      `'readOnly.excludeColumns[${index}]' is "${column}", but its table ${tableOfColumn(column)} is excluded whole; remove one of the two`,
  ),
  eachItem(
    excludeColumns,
    (column, index, input) => excludeColumns(input).indexOf(column) !== index,
    (column, index) => `'readOnly.excludeColumns[${index}]' repeats "${column}"; list each column once`,
  ),
  // ---- the secret, the rotation and the release -------------------------------------------
  {
    condition: ({ settings: { secretName } }) => !SECRET_NAME.test(secretName) || /-[A-Za-z0-9]{6}$/.test(secretName),
    message: ({ settings }) =>
      `'readOnlySecretName' is "${settings.secretName}"; use letters, digits and ` +
      `/_+=.@- and do not end with a hyphen and six characters (Secrets Manager's ARN ` +
      `suffix)`,
  },
  {
    condition: ({ settings }) => {
      const days = settings.rotationPeriod.toDays({ integral: false });
      return !Number.isInteger(days) || days < 1 || days > 365;
    },
    message: ({ settings }) =>
      `'rotationPeriod' is ${settings.rotationPeriod.toDays({ integral: false })} days; give whole days from 1 to 365`,
  },
  {
    condition: ({ props }) => Token.isUnresolved(props.releaseVersion) || props.releaseVersion.trim() === '',
    message: ({ props }) =>
      `'releaseVersion' is "${props.releaseVersion}"; give the source's release (e.g. ` +
      `"2025.4.0-b2231") so that an upgrade re-runs the grants`,
  },
];

/** `schema.table` of a valid `schema.table.column` (checked by the rule above the one using it). */
function tableOfColumn(column: string): string {
  const m = QUALIFIED_COLUMN.exec(column);
  return m ? `${m[1]}.${m[2]}` : column;
}

/** Checks ReadReplicaProps against READ_REPLICA_PROPS_RULES and returns the settings (defaults applied). */
export function validateReadReplicaProps(scope: IConstruct, props: ReadReplicaProps): ReadReplicaSettings {
  const input: ReadReplicaRuleInput = { props, settings: readReplicaSettings(props), account: Stack.of(scope).account };
  const broken = READ_REPLICA_PROPS_RULES.find((rule) => rule.condition(input));
  if (broken) throw new ClinSparkPropsError(scope, broken.message(input));
  return input.settings;
}
