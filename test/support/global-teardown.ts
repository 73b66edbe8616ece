import * as fs from 'fs';
import { stopMariaDb, TestDatabaseServer } from './mariadb';
import { RUN_TMP_ENV } from './global-setup';

export default function globalTeardown(): void {
  const server = (globalThis as { __CLINSPARK_DB__?: TestDatabaseServer }).__CLINSPARK_DB__;
  if (server) stopMariaDb(server);
  const runTmp = process.env[RUN_TMP_ENV];
  if (runTmp) fs.rmSync(runTmp, { recursive: true, force: true });
}
