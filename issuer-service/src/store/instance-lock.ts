import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * One service instance per database. Each instance keeps the issuer tree in memory (the store is
 * the truth, the tree its cache, rebuilt at start): a second instance on the same database would
 * hold a tree that misses the first one's approvals and revocations, publish roots in which a
 * revoked credential is live again, and fail every approval on the leaf index. Until the service
 * can run several instances (a later issue), the first one takes a lock for its lifetime and a
 * second one refuses to start.
 *
 * - Postgres: a session-level advisory lock (`pg_try_advisory_lock`) keyed by the schema, on a
 *   dedicated connection held open for the service's lifetime. Closing the service releases it; a
 *   killed process's connection drops and Postgres releases it with the session.
 * - SQLite: an exclusive lock on a small SQLite file next to the database (`<path>.instance-lock`,
 *   `locking_mode = EXCLUSIVE`), i.e. an OS file lock: the operating system drops it with the
 *   process, however the process ends. The database file itself stays readable by other processes
 *   (the online backup in docs/issuer-service.md keeps working).
 */
export interface InstanceLock {
  release(): Promise<void>;
}

/** The start-up refusal; `main.ts` prints its message without a stack. */
export class InstanceLockError extends Error {
  constructor(where: string) {
    super(
      `another issuer-service instance is using this database (${where}); stop it first — the service runs one instance per database ` +
        '(it keeps the tree in memory; see docs/issuer-service.md, "One instance per database")',
    );
    this.name = 'InstanceLockError';
  }
}

/** The lock's two keys: a constant for the service, and the schema (test schemas and deployments are separate databases). */
const LOCK_KEYS = "hashtext('zkkyc-issuer-service'), hashtext($1)";

/** How often the lock connection is checked with `SELECT 1` (ms). */
export const LOCK_CHECK_INTERVAL_MS = 10_000;

export interface PostgresInstanceLockOptions {
  /**
   * Called once when the lock connection errors, ends or fails its periodic check: the lock is gone
   * with it (Postgres drops session advisory locks with the session) and another instance could now
   * take it. main.ts exits the process (non-zero) so the supervisor restarts it; it must not keep
   * serving writes.
   */
  onLost?: (err: Error) => void;
  /** Interval of the `SELECT 1` check (default LOCK_CHECK_INTERVAL_MS; tests shorten it). */
  checkIntervalMs?: number;
}

/**
 * Session advisory locks need a real session: behind PgBouncer in transaction (or statement)
 * pooling mode they do not hold, so DATABASE_URL must point at Postgres directly (or at a pooler in
 * session mode).
 */
export async function acquirePostgresInstanceLock(url: string, schema: string, options: PostgresInstanceLockOptions = {}): Promise<InstanceLock> {
  // query_timeout: a check on a silently dead connection fails after 5 s instead of waiting for TCP.
  const client = new pg.Client({ connectionString: url, keepAlive: true, keepAliveInitialDelayMillis: 10_000, query_timeout: 5_000 });
  await client.connect();
  let released = false;
  let lost = false;
  let timer: NodeJS.Timeout | null = null;
  // A dropped lock connection means the lock is gone too (another instance could now start): report it once.
  const loseLock = (err: Error) => {
    if (released || lost) return;
    lost = true;
    if (timer) clearInterval(timer);
    client.end().catch(() => undefined);
    options.onLost?.(err);
  };
  client.on('error', (err) => loseLock(err));
  client.on('end', () => loseLock(new Error('the lock connection ended')));
  try {
    const { rows } = await client.query(`SELECT pg_try_advisory_lock(${LOCK_KEYS}) AS locked`, [schema]);
    if (rows[0].locked !== true) throw new InstanceLockError(`Postgres schema "${schema}"`);
  } catch (err) {
    released = true;
    await client.end().catch(() => undefined);
    throw err;
  }
  // keepAlive finds a silently dead peer only after the OS's keepalive timeouts; the check finds it sooner.
  let checking = false;
  timer = setInterval(() => {
    if (checking || released || lost) return;
    checking = true;
    client
      .query('SELECT 1')
      .catch((err: Error) => loseLock(err))
      .finally(() => {
        checking = false;
      });
  }, options.checkIntervalMs ?? LOCK_CHECK_INTERVAL_MS);
  timer.unref();
  return {
    async release() {
      if (released) return;
      released = true;
      if (timer) clearInterval(timer);
      if (lost) return;
      await client.query(`SELECT pg_advisory_unlock(${LOCK_KEYS})`, [schema]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/** No lock for `:memory:` (nothing else can open it). */
export function acquireSqliteInstanceLock(databasePath: string): InstanceLock {
  if (databasePath === ':memory:') return { release: async () => undefined };
  const path = `${databasePath}.instance-lock`;
  mkdirSync(dirname(path), { recursive: true });
  // timeout 0: a held lock answers SQLITE_BUSY at once instead of waiting.
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = DELETE');
    // The first write takes the exclusive lock, which EXCLUSIVE mode keeps until the connection closes.
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, started_at INTEGER NOT NULL)');
    db.transaction(() => {
      db.exec('DELETE FROM holder');
      db.prepare('INSERT INTO holder (pid, started_at) VALUES (?, ?)').run(process.pid, Date.now());
    })();
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new InstanceLockError(`SQLite ${databasePath}, locked through ${path}`);
    throw err;
  }
  return {
    async release() {
      if (db.open) db.close();
    },
  };
}
