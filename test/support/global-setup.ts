import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startMariaDb, TEST_DB_ENV } from './mariadb';

/** Environment variable naming this run's temporary directory (removed by the global teardown). */
export const RUN_TMP_ENV = 'CLINSPARK_TEST_RUN_TMP';

/**
 * Once per jest run:
 * - every temporary file of the run (cloud assemblies, handler bundles, CLI outputs, the MariaDB
 *   data directory) goes under one directory, `TMPDIR` for the workers and their child processes,
 *   which the global teardown removes, so a run leaves nothing in /tmp;
 * - the AWS SDK's Node-version notice is switched off (AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED,
 *   read by @aws-sdk/core), so the output shows failures rather than the same notice per worker;
 * - one MariaDB is started (about 2 s), unless CLINSPARK_TEST_DB is already set (a developer may
 *   point the tests at a server of their own). Tests that need a database read it through
 *   test/support/db.ts; the others never touch it.
 */
export default async function globalSetup(): Promise<void> {
  const runTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-test-run-'));
  process.env[RUN_TMP_ENV] = runTmp;
  process.env.TMPDIR = runTmp;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (process.env[TEST_DB_ENV]) return;
  const server = await startMariaDb({ baseDir: path.join(runTmp, 'mariadb') });
  process.env[TEST_DB_ENV] = JSON.stringify(server);
  (globalThis as { __CLINSPARK_DB__?: unknown }).__CLINSPARK_DB__ = server;
}
