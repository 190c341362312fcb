import { acquirePostgresInstanceLock, acquireSqliteInstanceLock } from './instance-lock.js';
import { openPostgresDatabase } from './postgres-database.js';
import { PostgresIssuerStore } from './postgres-issuer-store.js';
import { postgresRunner, sqliteRunner, type SqlRunner } from './sql-runner.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { SqliteIssuerStore } from './sqlite-issuer-store.js';
import type { IssuerStore } from './issuer-store.js';

/** Where the service keeps its state: Postgres when a URL is configured, else a SQLite file. */
export interface StorageConfig {
  databasePath: string;
  databaseUrl?: string;
  databaseSchema?: string;
}

export interface OpenStorageOptions {
  /**
   * Postgres only: the lock connection dropped or failed its check, so the one-instance lock is gone
   * (store/instance-lock.ts). Default: log it. main.ts exits the process instead.
   */
  onLockLost?: (err: Error) => void;
  /** Postgres only: interval of the lock connection's `SELECT 1` check (tests shorten it). */
  lockCheckIntervalMs?: number;
}

export interface Storage {
  backend: 'sqlite' | 'postgres';
  store: IssuerStore;
  /** The same database, for Veramo's key and DID stores. */
  sql: SqlRunner;
}

/**
 * Takes the one-instance lock (store/instance-lock.ts: a second instance on the same database is
 * refused with `InstanceLockError`), opens the configured database and runs its migrations.
 * `store.close()` releases both.
 */
export async function openStorage(config: StorageConfig, options: OpenStorageOptions = {}): Promise<Storage> {
  if (config.databaseUrl) {
    const schema = config.databaseSchema ?? 'public';
    const lock = await acquirePostgresInstanceLock(config.databaseUrl, schema, {
      onLost:
        options.onLockLost ??
        ((err) => console.error(`[issuer] lost the connection holding the one-instance lock (${err.message}); restart the service so it takes the lock again`)),
      checkIntervalMs: options.lockCheckIntervalMs,
    });
    try {
      const pool = await openPostgresDatabase(config.databaseUrl, { schema: config.databaseSchema });
      return { backend: 'postgres', store: new PostgresIssuerStore(pool, lock), sql: postgresRunner(pool) };
    } catch (err) {
      await lock.release();
      throw err;
    }
  }
  const lock = acquireSqliteInstanceLock(config.databasePath);
  try {
    const db = openSqliteDatabase(config.databasePath);
    return { backend: 'sqlite', store: new SqliteIssuerStore(db, lock), sql: sqliteRunner(db) };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
