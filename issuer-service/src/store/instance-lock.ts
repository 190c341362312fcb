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

export async function acquirePostgresInstanceLock(url: string, schema: string, onLost?: (err: Error) => void): Promise<InstanceLock> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let released = false;
  // A dropped lock connection means the lock is gone too: say so loudly (another instance could now start).
  client.on('error', (err) => {
    if (!released) onLost?.(err);
  });
  try {
    const { rows } = await client.query(`SELECT pg_try_advisory_lock(${LOCK_KEYS}) AS locked`, [schema]);
    if (rows[0].locked !== true) throw new InstanceLockError(`Postgres schema "${schema}"`);
  } catch (err) {
    released = true;
    await client.end().catch(() => undefined);
    throw err;
  }
  return {
    async release() {
      if (released) return;
      released = true;
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
