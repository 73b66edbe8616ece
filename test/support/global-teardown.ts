import { stopMariaDb, TestDatabaseServer } from './mariadb';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __CLINSPARK_DB__?: TestDatabaseServer }).__CLINSPARK_DB__;
  if (server) stopMariaDb(server);
}
