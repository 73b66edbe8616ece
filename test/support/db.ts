/**
 * Test access to the MariaDB started by global-setup.ts. Every test file works in databases of
 * its own (`scratchDatabase`) so files can run in parallel.
 */
import * as fs from 'fs';
import * as mysql from 'mysql2/promise';
import { TEST_DB_ENV, TestDatabaseServer } from './mariadb';

export function testServer(): TestDatabaseServer {
  const raw = process.env[TEST_DB_ENV];
  if (!raw) throw new Error(`${TEST_DB_ENV} is not set: run the tests through 'npm test' (jest global setup starts MariaDB)`);
  return JSON.parse(raw) as TestDatabaseServer;
}

export function tlsOptions(server = testServer()): { ca: string; rejectUnauthorized: true } {
  return { ca: fs.readFileSync(server.caPath, 'utf8'), rejectUnauthorized: true };
}

/** Admin connection over TCP with TLS verified against the test CA. */
export async function adminConnection(database?: string): Promise<mysql.Connection> {
  const server = testServer();
  return mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
    database,
    ssl: tlsOptions(server),
    multipleStatements: true,
    charset: 'utf8mb4_unicode_ci',
  });
}

let counter = 0;
/** Creates an empty database with a unique name; returns its name. */
export async function scratchDatabase(prefix: string): Promise<string> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 64);
  const conn = await adminConnection();
  try {
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
  return name;
}

export async function dropDatabase(name: string): Promise<void> {
  const conn = await adminConnection();
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await conn.end();
  }
}
