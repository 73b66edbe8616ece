import { startMariaDb, TEST_DB_ENV } from './mariadb';

/**
 * Starts one MariaDB for the whole jest run (about 2 s), unless CLINSPARK_TEST_DB is already set
 * (a developer may point the tests at a server of their own). Tests that need a database read it
 * through test/support/db.ts; the others never touch it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env[TEST_DB_ENV]) return;
  const server = await startMariaDb();
  process.env[TEST_DB_ENV] = JSON.stringify(server);
  (globalThis as { __CLINSPARK_DB__?: unknown }).__CLINSPARK_DB__ = server;
}
