/** How tests run the real CDK CLI: the project's pinned binary, offline, quiet, without credentials. */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { AppJob, AppResult } from './app-batch';

export const PROJECT_ROOT = path.join(__dirname, '..', '..');
export const CDK_BIN = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');
export const OFFLINE_CDK_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  CDK_DISABLE_VERSION_CHECK: '1',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_PROFILE: 'none',
};

/** What one run of the CDK app left: its exit code, its stderr, and the templates and compliance directory it wrote. */
export interface AppRun {
  readonly code: number | null;
  readonly stderr: string;
  readonly written: string[];
}

/**
 * Runs the CDK app of cdk.json once per context (e.g. `{ config: <dir> }`), the way the CDK CLI
 * runs it (the same command, the context and a fresh output directory in CDK_CONTEXT_JSON and
 * CDK_OUTDIR), but every run in one Node process (test/support/app-batch.ts), without the CLI's
 * own start-up and without one start of Node, ts-node and aws-cdk-lib per run. For runs that end
 * in the app itself (bad input); what only the CLI does needs the real CLI (CDK_BIN).
 */
export function runAppBatch(contexts: Array<Record<string, unknown>>): Promise<AppRun[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-app-batch-'));
  const jobs: AppJob[] = contexts.map((context, i) => ({ context, outdir: path.join(work, `out-${i}`) }));
  for (const job of jobs) fs.mkdirSync(job.outdir);
  fs.writeFileSync(path.join(work, 'jobs.json'), JSON.stringify(jobs));
  const appCommand = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { app: string }).app.split(' ');
  if (appCommand[0] !== 'node' || appCommand[appCommand.length - 1] !== 'bin/clinspark.ts')
    throw new Error(`runAppBatch knows how to run 'node [options] bin/clinspark.ts', not cdk.json's app '${appCommand.join(' ')}'`);
  const args = [
    ...appCommand.slice(1, -1),
    path.join(__dirname, 'app-batch.ts'),
    path.join(work, 'jobs.json'),
    path.join(work, 'results.json'),
  ];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: PROJECT_ROOT, env: OFFLINE_CDK_ENV, encoding: 'utf8', timeout: 300_000 },
      (error, _stdout, stderr) => {
        try {
          if (error) throw new Error(`app-batch failed: ${error.message}\n${stderr}`);
          const results = JSON.parse(fs.readFileSync(path.join(work, 'results.json'), 'utf8')) as AppResult[];
          resolve(
            results.map((r, i) => ({
              code: r.code,
              stderr: r.stderr,
              written: fs.readdirSync(jobs[i].outdir).filter((f) => f.endsWith('.template.json') || f === 'compliance'),
            })),
          );
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        } finally {
          fs.rmSync(work, { recursive: true, force: true });
        }
      },
    );
  });
}
