import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * One monitor per database. Two indexers on one store would each move the cursor and race on the
 * same batches (the unique key keeps events single, but playbooks would act twice: two freezes, two
 * cases). So the first instance holds a lock for its lifetime and a second refuses to start.
 *
 * - SQLite: an OS file lock — a small SQLite file next to the database (`<path>.instance-lock`)
 *   opened in `locking_mode = EXCLUSIVE` and written once, which keeps its write lock until the
 *   connection closes. The OS drops it with the process, however it ends (kill -9 included).
 * - Postgres: a session advisory lock on a dedicated connection, keyed by the schema. A killed
 *   process's session ends and the lock with it. A lost lock connection calls `onLost` (main.ts exits).
 */
export interface InstanceLock {
  release(): Promise<void>;
}

export class InstanceLockError extends Error {
  constructor(where: string) {
    super(`another compliance-monitor instance is using this database (${where}); stop it first — one monitor runs per database (docs/compliance-monitor.md, "Storage and retention")`);
    this.name = 'InstanceLockError';
  }
}

export function acquireSqliteInstanceLock(databasePath: string): InstanceLock {
  if (databasePath === ':memory:') return { release: async () => undefined };
  const path = `${databasePath}.instance-lock`;
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = DELETE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since INTEGER NOT NULL)');
    db.exec('DELETE FROM holder');
    db.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, Date.now());
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new InstanceLockError(`SQLite ${databasePath}`);
    throw err;
  }
  return {
    async release() {
      if (db.open) db.close();
    },
  };
}

export async function acquirePostgresInstanceLock(url: string, schema: string, onLost: (err: Error) => void, checkIntervalMs = 10_000): Promise<InstanceLock> {
  const client = new pg.Client({ connectionString: url, keepAlive: true, query_timeout: 5_000 });
  await client.connect();
  let done = false;
  const lose = (err: Error) => {
    if (done) return;
    done = true;
    clearInterval(timer);
    client.end().catch(() => undefined);
    onLost(err);
  };
  client.on('error', lose);
  client.on('end', () => lose(new Error('the lock connection ended')));
  const timer = setInterval(() => {
    if (!done) client.query('SELECT 1').catch(lose);
  }, checkIntervalMs);
  timer.unref();
  try {
    const { rows } = await client.query("SELECT pg_try_advisory_lock(hashtext('zkkyc-compliance-monitor'), hashtext($1)) AS locked", [schema]);
    if (rows[0].locked !== true) throw new InstanceLockError(`Postgres schema "${schema}"`);
  } catch (err) {
    done = true;
    clearInterval(timer);
    await client.end().catch(() => undefined);
    throw err;
  }
  return {
    async release() {
      if (done) return;
      done = true;
      clearInterval(timer);
      await client.end().catch(() => undefined);
    },
  };
}
