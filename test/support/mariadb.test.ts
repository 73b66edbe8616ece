import { adminConnection, testServer } from './db';
import * as mysql from 'mysql2/promise';

describe('test MariaDB harness', () => {
  test('serves TLS connections verified against the test CA', async () => {
    const conn = await adminConnection();
    try {
      const [rows] = await conn.query("SHOW SESSION STATUS LIKE 'Ssl_version'");
      expect((rows as Array<{ Value: string }>)[0].Value).toMatch(/^TLSv1\.[23]$/);
    } finally {
      await conn.end();
    }
  });

  test('rejects a client that does not trust the server certificate', async () => {
    const server = testServer();
    await expect(
      mysql.createConnection({
        host: server.host,
        port: server.port,
        user: server.adminUser,
        password: server.adminPassword,
        ssl: { rejectUnauthorized: true },
      }),
    ).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });
});
