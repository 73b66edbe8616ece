/**
 * Runs the CDK app of cdk.json (bin/clinspark.ts, under `node -r ts-node/register` as cdk.json
 * says) once per job, all in this one process: for each job the context and output directory are
 * set the way the CDK CLI passes them (CDK_CONTEXT_JSON, CDK_OUTDIR), the app module is evaluated
 * afresh, and what it writes to stderr and the code it exits with are recorded. An exception that
 * escapes the app is recorded as Node reports an uncaught one (its stack on stderr, exit code 1).
 * Node, ts-node and aws-cdk-lib start once instead of once per job (about 2 CPU seconds each).
 *
 *   node -r ts-node/register test/support/app-batch.ts <jobs.json> <results.json>
 *
 * Used through runAppBatch (test/support/cdk-cli.ts).
 */
import * as fs from 'fs';
import * as path from 'path';

export interface AppJob {
  readonly context: Record<string, unknown>;
  readonly outdir: string;
}

export interface AppResult {
  readonly code: number;
  readonly stderr: string;
}

/** Thrown in place of process.exit: ends the app's evaluation where Node would end the process. */
class AppExit extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

function runJob(appModule: string, job: AppJob): AppResult {
  const exit = process.exit.bind(process);
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.env.CDK_CONTEXT_JSON = JSON.stringify(job.context);
  process.env.CDK_OUTDIR = job.outdir;
  process.stderr.write = (chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  process.exit = (code?: number | string | null) => {
    throw new AppExit(Number(code ?? 0));
  };
  try {
    delete require.cache[appModule];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the app is a script: evaluating it is the run
    require(appModule);
    return { code: 0, stderr };
  } catch (e) {
    if (e instanceof AppExit) return { code: e.code, stderr };
    return { code: 1, stderr: `${stderr}${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n` };
  } finally {
    process.exit = exit;
    process.stderr.write = write;
    delete process.env.CDK_CONTEXT_JSON;
    delete process.env.CDK_OUTDIR;
  }
}

if (require.main === module) {
  const [jobsFile, resultsFile] = process.argv.slice(2);
  const appModule = require.resolve(path.join(__dirname, '..', '..', 'bin', 'clinspark.ts'));
  const jobs = JSON.parse(fs.readFileSync(jobsFile, 'utf8')) as AppJob[];
  fs.writeFileSync(resultsFile, JSON.stringify(jobs.map((job) => runJob(appModule, job))));
}
