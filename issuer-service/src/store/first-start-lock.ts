import pg from 'pg';
import type { StorageConfig } from './open-storage.js';

/**
 * The start-up step that creates the issuer's singletons on an empty database — the key box salt,
 * the issuer's keys and DIDs, the person-binding and identity-record keys — reads what exists and
 * creates what does not. Two Postgres instances starting at the same moment would both find nothing
 * and both create: each its own P-256 key, and the second DID insert fails on the unique alias.
 * So on Postgres that step runs under a session advisory lock keyed by the schema: the first
 * instance creates, the next ones wait and then read what it created.
 *
 * The lock lives on a connection of its own, opened for the step and closed after it, so it is held
 * only while initializing, never while serving; and a process killed mid-step (kill -9) drops that
 * connection, and Postgres releases the lock with the session. SQLite needs none: one instance per
 * file (store/instance-lock.ts).
 */
export const FIRST_START_LOCK_KEY = "hashtext($1 || ':zkkyc-first-start')";

export interface FirstStartLockOptions {
  /** Told when another instance holds the lock (this one then waits for it). */
  log?: (message: string) => void;
}

/** Runs `initialize` under the first-start lock (Postgres), or as is (SQLite). */
export async function underFirstStartLock<T>(config: StorageConfig, initialize: () => Promise<T>, options: FirstStartLockOptions = {}): Promise<T> {
  if (!config.databaseUrl) return initialize();
  const schema = config.databaseSchema ?? 'public';
  const client = new pg.Client({ connectionString: config.databaseUrl });
  // A dropped connection must not crash the process; the step's own queries run on the pool.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT pg_try_advisory_lock(${FIRST_START_LOCK_KEY}) AS locked`, [schema]);
    if (rows[0].locked !== true) {
      options.log?.('another instance is initializing this database (issuer keys, settings); waiting for it');
      await client.query(`SELECT pg_advisory_lock(${FIRST_START_LOCK_KEY})`, [schema]);
    }
    return await initialize();
  } finally {
    // Ending the session releases the lock (and does so too if this process dies first).
    await client.end().catch(() => undefined);
  }
}
