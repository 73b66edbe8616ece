/**
 * A throw-away MariaDB 10.11 server for tests and benchmarks: its own data directory, a free
 * loopback port, TLS with a CA made here by openssl, no systemd. Started once per jest run by
 * global-setup.ts and stopped by global-teardown.ts.
 *
 * The server does not force TLS globally (`require_secure_transport` stays OFF) so that tests can
 * prove that an account created with `REQUIRE SSL` is refused without TLS.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** What a test needs to reach the server; serialised into CLINSPARK_TEST_DB. */
export interface TestDatabaseServer {
  readonly host: string;
  readonly port: number;
  readonly socket: string;
  /** An administrative account with every privilege and GRANT OPTION, reachable over TCP. */
  readonly adminUser: string;
  readonly adminPassword: string;
  /** PEM of the CA that signed the server certificate (pass as `ssl.ca`). */
  readonly caPath: string;
  readonly pid: number;
  readonly baseDir: string;
}

export const TEST_DB_ENV = 'CLINSPARK_TEST_DB';

function findBinary(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin'])) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  throw new Error(
    `MariaDB binary '${name}' not found. Run 'bash scripts/ensure-mariadb.sh' (npm test does this) ` +
      'or install the Debian packages mariadb-server and mariadb-client.',
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=clinspark-test-ca',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
  ]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server-key.pem', '-out', 'server.csr']);
  fs.writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.cnf',
    '-out',
    'server.pem',
  ]);
  return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server-key.pem') };
}

function clientArgs(socket: string): string[] {
  return ['--no-defaults', `--socket=${socket}`, '--user=root', '--batch', '--skip-column-names'];
}

/** Runs SQL as root over the socket (setup only; tests use TCP + TLS through mysql2). */
export function rootSql(server: Pick<TestDatabaseServer, 'socket'>, sql: string): string {
  return execFileSync(findBinary('mariadb'), [...clientArgs(server.socket), '-e', sql], { encoding: 'utf8', stdio: 'pipe' });
}

export async function startMariaDb(options: { baseDir?: string } = {}): Promise<TestDatabaseServer> {
  const baseDir = options.baseDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-mariadb-'));
  const dataDir = path.join(baseDir, 'data');
  const socket = path.join(baseDir, 'mysqld.sock');
  fs.mkdirSync(dataDir, { recursive: true });
  const certs = makeCertificates(baseDir);
  const user = os.userInfo().username;

  // The bootstrap server's temporary files in this server's own directory too (the server reads
  // TMPDIR when no --tmpdir is given; MariaDB KB, "MariaDB Environment Variables"): a server
  // starting in another test file deletes #sql* files of a shared tmpdir, which failed a
  // bootstrap with "Unknown table 'mysql.tmp_user_sys'".
  execFileSync(
    findBinary('mariadb-install-db'),
    ['--no-defaults', `--datadir=${dataDir}`, `--user=${user}`, '--auth-root-authentication-method=normal', '--skip-test-db'],
    { stdio: 'pipe', env: { ...process.env, TMPDIR: baseDir } },
  );

  const port = await freePort();
  const logFile = path.join(baseDir, 'mariadbd.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(
    findBinary('mariadbd'),
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--user=${user}`,
      '--skip-name-resolve',
      `--ssl-ca=${certs.ca}`,
      `--ssl-cert=${certs.cert}`,
      `--ssl-key=${certs.key}`,
      `--pid-file=${path.join(baseDir, 'mariadbd.pid')}`,
      // A server of its own for temporary files: a starting server deletes other servers' #sql*
      // files in a shared tmpdir (seen as random "Error on delete of '/tmp/#sql-...'" failures).
      `--tmpdir=${baseDir}`,
      '--innodb-buffer-pool-size=256M',
      '--innodb-flush-log-at-trx-commit=2',
      '--max-connections=300',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      '--log-bin=mysql-bin',
      '--binlog-format=ROW',
      '--server-id=1',
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  if (!child.pid) throw new Error(`mariadbd did not start; see ${logFile}`);

  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      rootSql({ socket }, 'SELECT 1');
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        throw new Error(`mariadbd did not become ready within 30 s; log: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  const adminUser = 'clinspark_admin';
  const adminPassword = 'Admin-Pass-For-Tests-0nly';
  rootSql(
    { socket },
    [
      `CREATE USER '${adminUser}'@'%' IDENTIFIED BY '${adminPassword}'`,
      `GRANT ALL PRIVILEGES ON *.* TO '${adminUser}'@'%' WITH GRANT OPTION`,
    ].join(';'),
  );

  return { host: '127.0.0.1', port, socket, adminUser, adminPassword, caPath: certs.ca, pid: child.pid, baseDir };
}

export function stopMariaDb(server: Pick<TestDatabaseServer, 'pid' | 'baseDir'>, options: { keepFiles?: boolean } = {}): void {
  try {
    process.kill(server.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  // Gone, or a zombie waiting to be reaped by this (blocked) process: either way it has exited.
  const running = () => {
    try {
      const stat = fs.readFileSync(`/proc/${server.pid}/stat`, 'utf8');
      return !/^\d+ \(.*\) Z/.test(stat);
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && running()) execFileSync('sleep', ['0.05']);
  if (!options.keepFiles) fs.rmSync(server.baseDir, { recursive: true, force: true });
}
