/**
 * Benchmark of the PII scrub engine (`npm run bench:scrub`): starts its own MariaDB, generates
 * 200,000 volunteers and 1,000,000 visits with set-based SQL (a pristine copy is kept), then
 *   1. per strategy (one column of volunteers masked, everything else kept): the raw
 *      single-statement UPDATE of that mask, then the engine run (snapshot, mask, verification);
 *   2. the same for the whole config/scrub/volunteers.rules.yaml (raw: one UPDATE per masked
 *      table with all its masks, one TRUNCATE per truncated table).
 * Every measurement starts from the pristine data, on the same server. Prints Markdown tables
 * with the engine / raw ratio. Needs nothing outside the repository but the MariaDB the tests use.
 * Environment: BENCH_VOLUNTEERS, BENCH_VISITS, BENCH_BATCH to resize; BENCH_STRATEGIES=0 skips part 1.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as mysql from 'mysql2/promise';
import { ScrubEvidence, installKey, parseScrubRules, planScrub, runScrub, uninstallKey } from '../constructs/pii-scrub';
import { rawUpdateStatements } from '../constructs/pii-scrub/engine/raw';
import { startMariaDb, stopMariaDb } from '../test/support/mariadb';

const VOLUNTEERS = Number(process.env.BENCH_VOLUNTEERS ?? 200_000);
const VISITS = Number(process.env.BENCH_VISITS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 20_000);
const STRATEGIES = process.env.BENCH_STRATEGIES !== '0';
const DB = 'bench_scrub';
const ROOT = path.join(__dirname, '..');
const SCHEMA = fs.readFileSync(path.join(ROOT, 'test/scrub/fixtures/volunteer-schema.sql'), 'utf8');
const FULL_RULES = fs.readFileSync(path.join(ROOT, 'config/scrub/volunteers.rules.yaml'), 'utf8');
const KEY = Buffer.from('bench-key-'.repeat(7));

const DIGITS =
  '(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ' +
  'ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL ' +
  'SELECT 8 UNION ALL SELECT 9)';

/** `SELECT n` for n = 1..count, from cross-joined digit tables (no recursion limits). */
function numbers(count: number): string {
  const places = Math.max(1, Math.ceil(Math.log10(count + 1)));
  const tables = Array.from({ length: places }, (_, i) => `${DIGITS} d${i}`).join(' CROSS JOIN ');
  const n = Array.from({ length: places }, (_, i) => `d${i}.d * ${10 ** i}`).join(' + ');
  return `SELECT n FROM (SELECT ${n} + 1 AS n FROM ${tables}) nums WHERE n <= ${count}`;
}

async function generate(conn: mysql.Connection): Promise<number> {
  const started = Date.now();
  await conn.query(`DROP DATABASE IF EXISTS ${DB}; CREATE DATABASE ${DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; USE ${DB}`);
  await conn.query(SCHEMA);
  await conn.query("INSERT INTO studies VALUES ('CSP-101', 'Single ascending dose'), ('CSP-202', 'Food effect')");
  await conn.query(
    `INSERT INTO volunteers (id, volunteer_number, first_name, middle_name, ` +
      `last_name, date_of_birth, sex, email, phone, address_line, city, postal_code, ` +
      `country, national_id, notes, registered_at)
    SELECT n, CONCAT('V-', LPAD(n, ` +
      `7, '0')), ELT(1 + n MOD 5, 'Zoë', 'Łukasz', 'José', '太郎', 'Anna'), IF(n MOD 3 = ` +
      `0, NULL, CONCAT('Mid', n)),
           CONCAT('Surname', n), ` +
      `DATE_ADD('1950-01-01', INTERVAL n MOD 18000 DAY), IF(n MOD 2, 'F', 'M'), ` +
      `CONCAT('person', n, '@mail.example.com'),
           CONCAT('+1 617 ', LPAD(n ` +
      `MOD 10000000, 7, '0')), CONCAT(n MOD 500, ' Real Street'), CONCAT('Town', n MOD ` +
      `900), CONCAT('ZP', n MOD 99999),
           'US', CONCAT('SSN', LPAD(n, 9, ` +
      `'0')), IF(n MOD 4 = 0, NULL, CONCAT('Notes about volunteer ', n)), ` +
      `DATE_ADD('2019-01-01 08:00:00', INTERVAL n MINUTE)
      FROM ` +
      `(${numbers(VOLUNTEERS)}) s`,
  );
  await conn.query(
    `INSERT INTO visits (id, volunteer_id, study_code, visit_date, checked_in_at, ` +
      `weight_kg, comments)
    SELECT n, 1 + (n MOD ${VOLUNTEERS}), IF(n MOD 2, ` +
      `'CSP-101', 'CSP-202'), DATE_ADD('2023-01-01', INTERVAL n MOD 700 ` +
      `DAY),
           IF(n MOD 5 = 0, NULL, DATE_ADD('2023-01-01 07:00:00', INTERVAL ` +
      `n MOD 700 DAY)), 50 + n MOD 60, IF(n MOD 10 = 0, CONCAT('Comment ', n), ` +
      `NULL)
      FROM (${numbers(VISITS)}) s`,
  );
  await conn.query(
    `INSERT INTO audit_events (volunteer_id, event, detail, occurred_at) SELECT id, ` +
      `'volunteer.created', CONCAT('created ', first_name), registered_at FROM ` +
      `volunteers`,
  );
  return Date.now() - started;
}

const ALL_TABLES = ['studies', 'volunteers', 'contacts', 'visits', 'lab_results', 'audit_events'];

const STRATEGY_CASES: Array<{ label: string; column: string; rule: string }> = [
  { label: 'pseudonym firstName', column: 'first_name', rule: '{ strategy: pseudonym, kind: firstName }' },
  { label: 'pseudonym street', column: 'address_line', rule: '{ strategy: pseudonym, kind: street }' },
  { label: 'email', column: 'email', rule: 'email' },
  { label: 'phone', column: 'phone', rule: 'phone' },
  { label: 'hash', column: 'national_id', rule: '{ strategy: hash, length: 32 }' },
  { label: 'partial', column: 'postal_code', rule: '{ strategy: partial, keepFirst: 2 }' },
  { label: 'generalize', column: 'date_of_birth', rule: 'generalize' },
  { label: 'dateShift', column: 'registered_at', rule: 'dateShift' },
  { label: 'null', column: 'notes', rule: 'null' },
  { label: 'fixed', column: 'middle_name', rule: '{ strategy: fixed, value: "X" }' },
];

const VOLUNTEER_COLUMNS = [
  'id',
  'volunteer_number',
  'first_name',
  'middle_name',
  'last_name',
  'date_of_birth',
  'sex',
  'email',
  'phone',
  'address_line',
  'city',
  'postal_code',
  'country',
  'national_id',
  'notes',
  'registered_at',
  'updated_at',
  'status',
];

/** One column masked, every other table kept; no PII scan (the kept columns hold the generated PII). */
function oneStrategyRules(column: string, rule: string): string {
  const cols = VOLUNTEER_COLUMNS.map((c) => `      ${c}: ${c === column ? rule : 'keep'}`).join('\n');
  const others = ALL_TABLES.filter((t) => t !== 'volunteers')
    .map((t) => `  ${t}: keep`)
    .join('\n');
  return (
    `version: 1\ntables:\n  volunteers:\n    subject: id\n    ` +
    `columns:\n${cols}\n${others}\ndetect:\n  patterns: { email: false, phone: ` +
    `false, nationalId: false }\n`
  );
}

function rate(rows: number, ms: number): string {
  return ms > 0 ? Math.round((rows * 1000) / ms).toLocaleString('en-US') : '-';
}

async function scrub(conn: mysql.Connection, rulesYaml: string, runId: string): Promise<{ evidence: ScrubEvidence; wallMs: number }> {
  const started = Date.now();
  const outcome = await runScrub({
    connection: conn,
    database: DB,
    rules: parseScrubRules(rulesYaml, 'bench.rules.yaml'),
    key: KEY,
    runId,
    batchSize: BATCH,
  });
  if (!outcome.complete) throw new Error('scrub did not complete');
  return { evidence: outcome.evidence, wallMs: Date.now() - started };
}

const PRISTINE = `${DB}_pristine`;

/** Puts the generated data back into `tables` (and forgets earlier runs), so every measurement starts from the same rows. */
async function restore(conn: mysql.Connection, tables: readonly string[]): Promise<void> {
  await conn.query(`USE ${DB}`);
  await conn.query('SET SESSION foreign_key_checks = 0');
  await conn.query('DROP TABLE IF EXISTS _clinspark_scrub_state');
  for (const t of tables) {
    await conn.query(`TRUNCATE TABLE \`${t}\``);
    await conn.query(`INSERT INTO \`${t}\` SELECT * FROM ${PRISTINE}.\`${t}\``);
  }
  await conn.query('SET SESSION foreign_key_checks = 1');
}

/** The raw single-statement UPDATE (or TRUNCATE) of each table's masks: the baseline of the ratio. */
async function raw(conn: mysql.Connection, rulesYaml: string): Promise<{ wallMs: number; perTable: Map<string, number> }> {
  await conn.query(`USE ${DB}`);
  const plan = await planScrub(conn, DB, parseScrubRules(rulesYaml, 'bench.rules.yaml'));
  await installKey(conn, KEY);
  await conn.query('SET SESSION foreign_key_checks = 0');
  const perTable = new Map<string, number>();
  const started = Date.now();
  for (const s of rawUpdateStatements(plan)) {
    const t0 = Date.now();
    await conn.query(s.sql);
    perTable.set(s.table, (perTable.get(s.table) ?? 0) + Date.now() - t0);
  }
  const wallMs = Date.now() - started;
  await conn.query('SET SESSION foreign_key_checks = 1');
  await uninstallKey(conn);
  return { wallMs, perTable };
}

function ratio(engineMs: number, rawMs: number): string {
  return rawMs > 0 ? `${(engineMs / rawMs).toFixed(2)}x` : '-';
}

async function main(): Promise<void> {
  const server = await startMariaDb();
  try {
    const conn = await mysql.createConnection({
      host: server.host,
      port: server.port,
      user: server.adminUser,
      password: server.adminPassword,
      ssl: { ca: fs.readFileSync(server.caPath, 'utf8'), rejectUnauthorized: true },
      multipleStatements: true,
      charset: 'utf8mb4_unicode_ci',
      dateStrings: true,
    });
    const genMs = await generate(conn);
    // The engine inventories every schema its account sees: the benchmark's account sees bench_scrub only.
    await conn.query("CREATE USER 'bench_scrub'@'%' IDENTIFIED BY 'Bench-Scrub-0nly'");
    await conn.query(`GRANT ALL PRIVILEGES ON ${DB}.* TO 'bench_scrub'@'%'`);
    const scoped = await mysql.createConnection({
      host: server.host,
      port: server.port,
      user: 'bench_scrub',
      password: 'Bench-Scrub-0nly',
      database: DB,
      ssl: { ca: fs.readFileSync(server.caPath, 'utf8'), rejectUnauthorized: true },
      multipleStatements: true,
      charset: 'utf8mb4_unicode_ci',
      dateStrings: true,
    });
    await conn.query(`DROP DATABASE IF EXISTS ${PRISTINE}; CREATE DATABASE ${PRISTINE}`);
    for (const t of ALL_TABLES) await conn.query(`CREATE TABLE ${PRISTINE}.\`${t}\` ENGINE=InnoDB AS SELECT * FROM ${DB}.\`${t}\``);
    const lines: string[] = [];
    const total = Date.now();
    lines.push(
      `PII scrub benchmark: MariaDB ` +
        `${((await conn.query('SELECT VERSION() AS v'))[0] as Array<{ v: string }>)[0].v}, ` +
        `${VOLUNTEERS.toLocaleString('en-US')} volunteers, ` +
        `${VISITS.toLocaleString('en-US')} visits, batch ` +
        `${BATCH.toLocaleString('en-US')}; data generated in ` +
        `${(genMs / 1000).toFixed(1)} s`,
    );
    lines.push('');
    lines.push('One column masked per run (the other columns of volunteers kept):');
    lines.push('');
    lines.push('| strategy | column | rows | engine ms | raw UPDATE ms | engine / raw | engine rows/s |');
    lines.push('|---|---|---:|---:|---:|---:|---:|');
    for (const c of STRATEGIES ? STRATEGY_CASES : []) {
      const rules = oneStrategyRules(c.column, c.rule);
      await restore(conn, ['volunteers']);
      const r = await raw(scoped, rules);
      await restore(conn, ['volunteers']);
      const { wallMs } = await scrub(scoped, rules, `bench-${c.column}`);
      const rows = VOLUNTEERS;
      lines.push(
        `| ${c.label} | ${c.column} | ${rows.toLocaleString('en-US')} | ${wallMs} | ` +
          `${r.wallMs} | ${ratio(wallMs, r.wallMs)} | ${rate(rows, wallMs)} |`,
      );
      process.stderr.write(`bench: ${c.label}: engine ${wallMs} ms, raw ${r.wallMs} ms\n`);
    }
    await restore(conn, ALL_TABLES);
    const r = await raw(scoped, FULL_RULES);
    await restore(conn, ALL_TABLES);
    const full = await scrub(scoped, FULL_RULES, 'bench-full');
    const e = full.evidence;
    lines.push('');
    lines.push('Full ruleset (config/scrub/volunteers.rules.yaml), engine steps from the evidence:');
    lines.push('');
    lines.push('| table | rows | masked columns | engine ms (all steps of the table) | raw UPDATE ms | engine / raw |');
    lines.push('|---|---:|---:|---:|---:|---:|');
    for (const t of e.tables) {
      if (t.action !== 'mask' || !t.columns?.length) continue;
      const ms = e.steps.filter((s) => s.table === t.table).reduce((sum, s) => sum + s.durationMs, 0);
      const rawMs = r.perTable.get(t.table) ?? 0;
      lines.push(
        `| ${t.table} | ${(t.rowsBefore ?? 0).toLocaleString('en-US')} | ${t.columns.length} | ${ms} | ${rawMs} | ${ratio(ms, rawMs)} |`,
      );
    }
    const verifyMs = e.verification?.durationMs ?? 0;
    lines.push('');
    lines.push(
      `**Whole ruleset: engine ${(full.wallMs / 1000).toFixed(1)} s (planning, ` +
        `snapshot, mask, truncate, verification ${(verifyMs / 1000).toFixed(1)} s, ` +
        `cleanup) vs raw UPDATEs ${(r.wallMs / 1000).toFixed(1)} s: ` +
        `${ratio(full.wallMs, r.wallMs)}** (target at most 1.5x); status ${e.status}.`,
    );
    lines.push(`Benchmark wall time (without data generation) ${((Date.now() - total) / 1000).toFixed(0)} s.`);
    process.stdout.write(`${lines.join('\n')}\n`);
    await scoped.end();
    await conn.end();
  } finally {
    stopMariaDb(server);
  }
}

main().catch((e) => {
  process.stderr.write(`bench-scrub failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
