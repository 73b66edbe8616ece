/**
 * Custom resource: the synthetic volunteers of a Sandbox (or reseeded Community) database.
 *
 * Create/Update: connects as the master user (TLS, RDS CA), creates the application schema if
 * missing, and writes the seed into it (constructs/lifecycle/seed/sql.ts): the seed schema's
 * statements, then the generated rows in one transaction, with a marker so that the same seed,
 * count and schema change nothing, and a new seed or count replaces the seeded rows only.
 * Delete: nothing. The seeded rows live and die with the database (a retired Sandbox's final
 * snapshot keeps them, they are synthetic).
 *
 * The schema travels as a property (`Schema`, the SQL text, and `SchemaSha256`, checked here), not
 * as an asset: it stays readable in `cdk diff`, needs no S3 read access or endpoint, and the
 * construct keeps it far below the size limits (constructs/lifecycle/seed-job.ts).
 *
 * Never logs, returns or throws a password: the master password (and its hash) is registered with
 * the invocation's redactor before anything connects. Logs are JSON lines.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { CustomResourceEvent, CustomResourceResponse, customResourceHandler, Invocation } from '../../core/runtime/custom-resource';
import { quoteIdentifier } from '../../core/runtime/database';
import { HandlerError } from '../../core/runtime/errors';
import { closeQuietly, connect, query } from '../../core/runtime/mysql';
import { field, integer, matching, parseProperties, requiredText, shown } from '../../core/runtime/properties';
import { readAdminSecret } from '../../core/runtime/secrets';
import { MAX_VOLUNTEERS } from '../seed/generator';
import { applySeed, sha256 } from '../seed/sql';

/** The ResourceProperties contract (CloudFormation strings). */
export interface SeedProperties {
  readonly MasterSecretArn: string;
  /** The application schema the seed writes into. */
  readonly DatabaseName: string;
  /** The cluster's identifier (a Community wipe changes it: the new, empty cluster is seeded). */
  readonly ClusterIdentifier: string;
  readonly Seed: string;
  readonly Volunteers: string;
  /** The seed schema's SQL text. */
  readonly Schema: string;
  /** SHA-256 (hex) of `Schema`. */
  readonly SchemaSha256: string;
}

/** The seed schema as given (not trimmed: SchemaSha256 is the hash of the exact text). */
function schemaText() {
  return field<string>((raw) =>
    typeof raw === 'string' && raw.trim() !== ''
      ? { value: raw }
      : { problem: `is required (got ${shown(raw)}); give the seed schema (SQL statements separated by ;)` },
  );
}

const propertiesSchema = z
  .object({
    MasterSecretArn: requiredText({ fix: "give the ARN of the cluster's master secret" }),
    DatabaseName: matching(/^[A-Za-z0-9_]{1,64}$/, 'a schema name of 1-64 characters of A-Z, a-z, 0-9 and _'),
    ClusterIdentifier: matching(/^[a-z][a-z0-9-]{0,62}$/, 'an Aurora cluster identifier (lowercase letters, digits and hyphens)'),
    Seed: requiredText({ fix: 'give the generator seed (the same seed gives the same volunteers)' }),
    Volunteers: integer(0, MAX_VOLUNTEERS),
    Schema: schemaText(),
    SchemaSha256: matching(/^[0-9a-f]{64}$/, 'the SHA-256 of Schema, 64 lowercase hex characters'),
  })
  .superRefine((p, ctx) => {
    if (p.Schema !== undefined && p.SchemaSha256 !== undefined && sha256(p.Schema) !== p.SchemaSha256)
      ctx.addIssue({
        code: 'custom',
        path: ['SchemaSha256'],
        message: `does not match the SHA-256 of Schema (${sha256(p.Schema)}); the schema was changed or truncated on the way`,
      });
  });

export type ParsedSeedProperties = z.output<typeof propertiesSchema>;

export function parseSeedProperties(props: Readonly<Record<string, unknown>>): ParsedSeedProperties {
  return parseProperties(propertiesSchema, props);
}

const secrets = new SecretsManagerClient({});

const SOURCE = 'clinspark-seed';

/** The physical id: the database it seeds (a new cluster of a Community wipe is a new id). */
export function physicalIdOf(clusterIdentifier: string, database: string): string {
  return `clinspark-seed-${clusterIdentifier}-${database}`;
}

async function apply(event: CustomResourceEvent, invocation: Invocation): Promise<CustomResourceResponse> {
  const { redactor, log } = invocation;
  const props = parseSeedProperties(event.ResourceProperties);
  const database = props.DatabaseName as string;
  const clusterIdentifier = props.ClusterIdentifier as string;
  const master = await readAdminSecret(secrets, props.MasterSecretArn, 'master', redactor);
  const conn = await connect(master, 'master', redactor);
  try {
    await query(
      conn,
      'creating the application schema',
      `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      [],
      redactor,
    );
    await query(conn, 'selecting the application schema', `USE ${quoteIdentifier(database)}`, [], redactor);
    const outcome = await applySeed(conn, { seed: props.Seed, volunteers: props.Volunteers, schemaSql: props.Schema, redactor });
    log.info('seed-applied', {
      cluster: clusterIdentifier,
      database,
      status: outcome.status,
      volunteers: props.Volunteers,
      rows: outcome.rows,
      removed: outcome.removed,
      skippedTables: outcome.skippedTables,
      fingerprint: outcome.fingerprint,
    });
    return {
      PhysicalResourceId: physicalIdOf(clusterIdentifier, database),
      Data: { Status: outcome.status, Fingerprint: outcome.fingerprint, Volunteers: String(props.Volunteers) },
    };
  } catch (error) {
    if (error instanceof HandlerError) throw error;
    throw new HandlerError(redactor.redact(`seeding ${database}: ${(error as Error).message}`));
  } finally {
    await closeQuietly(conn);
  }
}

/** Delete: nothing (the seeded rows live and die with the database). Needs no secret and no property. */
function remove(event: CustomResourceEvent, { log }: Invocation): Promise<CustomResourceResponse> {
  const database = typeof event.ResourceProperties.DatabaseName === 'string' ? event.ResourceProperties.DatabaseName : 'unknown';
  log.info('delete-kept', { database, note: 'seeded rows are kept with the database' });
  return Promise.resolve({ PhysicalResourceId: event.PhysicalResourceId ?? `clinspark-seed-${database}` });
}

/** The Lambda entry point (Provider framework onEvent). */
export const handler: (event: CustomResourceEvent) => Promise<CustomResourceResponse> = customResourceHandler(
  SOURCE,
  { create: apply, update: apply, delete: remove },
  { format: 'json' },
);
