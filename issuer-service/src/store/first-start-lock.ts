import pg from 'pg';
import type { StorageConfig } from './open-storage.js';

/**
 * The start-up step that creates the issuer's singletons on an empty database — the key box salt,
 * the issuer's keys and DIDs, the person-binding and identity-record keys — reads what exists and
 * creates what does not. Two Postgres instances starting at the same moment would both find nothing
 * and both create: each its own P-256 key, and the second DID insert fails on the unique alias.
 * So on Postgres that step runs under a session advisory lock keyed by the schema: the first
 * instance (or bulk import) creates, the next ones wait and then read what it created.
 *
 * The lock lives on a connection of its own, opened for the step and closed after it, so it is held
 * only while initializing, never while serving; and a process killed mid-step (kill -9) drops that
 * connection, and Postgres releases the lock with the session. A holder whose host vanishes without
 * closing the connection keeps the lock until Postgres notices the dead peer (its TCP keepalive,
 * about two hours by default), so the waiters do not block on the lock: they try it again every
 * quarter second and give up after a deadline (`FIRST_START_LOCK_TIMEOUT_SECONDS`, default 120)
 * with an error that says what to check. SQLite needs none: one instance per file
 * (store/instance-lock.ts).
 */
export const FIRST_START_LOCK_KEY = "hashtext($1 || ':zkkyc-first-start')";

export const DEFAULT_FIRST_START_LOCK_TIMEOUT_SECONDS = 120;
const RETRY_MS = 250;

export interface FirstStartLockOptions {
  /** Told once when another instance holds the lock (this one then waits for it). */
  log?: (message: string) => void;
}

/** The storage config plus the deadline (`firstStartLockTimeoutSeconds`, IssuerServiceConfig). */
export type FirstStartLockConfig = StorageConfig & { firstStartLockTimeoutSeconds?: number };

/** Start-up gave up waiting for another instance's first-start initialization. */
export class FirstStartLockTimeout extends Error {
  constructor(schema: string, seconds: number) {
    super(
      `waited ${seconds} s for the first-start lock of schema "${schema}" (Postgres advisory lock hashtext('${schema}:zkkyc-first-start')), held by another ` +
        'issuer-service instance or bulk import that is creating the issuer keys and settings; nothing was created by this one. Check that instance ' +
        "(its log, or pg_locks joined with pg_stat_activity where locktype = 'advisory'): if its host is gone, end its session with pg_terminate_backend(pid), " +
        'then start again; FIRST_START_LOCK_TIMEOUT_SECONDS sets how long to wait',
    );
    this.name = 'FirstStartLockTimeout';
  }
}

/** Runs `initialize` under the first-start lock (Postgres), or as is (SQLite). */
export async function underFirstStartLock<T>(config: FirstStartLockConfig, initialize: () => Promise<T>, options: FirstStartLockOptions = {}): Promise<T> {
  if (!config.databaseUrl) return initialize();
  const schema = config.databaseSchema ?? 'public';
  const seconds = config.firstStartLockTimeoutSeconds ?? DEFAULT_FIRST_START_LOCK_TIMEOUT_SECONDS;
  // keepAlive: this side notices a vanished server too, rather than waiting on a dead socket.
  const client = new pg.Client({ connectionString: config.databaseUrl, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
  // A dropped connection must not crash the process; the step's own queries run on the pool.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const deadline = Date.now() + seconds * 1000;
    for (let told = false; ; told = true) {
      const { rows } = await client.query(`SELECT pg_try_advisory_lock(${FIRST_START_LOCK_KEY}) AS locked`, [schema]);
      if (rows[0].locked === true) break;
      if (!told) options.log?.(`another instance is initializing this database (issuer keys, settings); waiting for it (at most ${seconds} s)`);
      if (Date.now() >= deadline) throw new FirstStartLockTimeout(schema, seconds);
      await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MS, Math.max(0, deadline - Date.now()))));
    }
    return await initialize();
  } finally {
    // Ending the session releases the lock (and does so too if this process dies first).
    await client.end().catch(() => undefined);
  }
}
