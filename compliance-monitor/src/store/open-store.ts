import { acquirePostgresInstanceLock, acquireSqliteInstanceLock } from './instance-lock.js';
import { MonitorStore } from './monitor-store.js';
import { openPostgresDatabase, openSqliteDatabase } from './sql-database.js';

/** Where the monitor keeps its state: Postgres when a URL is given, else a SQLite file. */
export interface StoreConfig {
  databasePath: string;
  databaseUrl?: string;
  databaseSchema?: string;
  /** Risk-score half-life, days (default 30). */
  riskHalfLifeDays?: number;
}

export interface OpenStoreOptions {
  /** Postgres: the lock connection dropped, so the one-instance lock is gone (default: log). main.ts exits. */
  onLockLost?: (err: Error) => void;
}

/**
 * Takes the one-instance lock (instance-lock.ts; a second monitor on the database gets
 * `InstanceLockError`), opens the database and migrates it. `store.close()` releases both.
 */
export async function openMonitorStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<MonitorStore> {
  const halfLife = config.riskHalfLifeDays ?? 30;
  if (config.databaseUrl) {
    const schema = config.databaseSchema ?? 'public';
    const onLost = options.onLockLost ?? ((err: Error) => console.error(`[monitor] lost the connection holding the one-instance lock (${err.message}); restart the monitor`));
    const lock = await acquirePostgresInstanceLock(config.databaseUrl, schema, onLost);
    try {
      return new MonitorStore(await openPostgresDatabase(config.databaseUrl, schema), lock, halfLife);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }
  const lock = acquireSqliteInstanceLock(config.databasePath);
  try {
    return new MonitorStore(openSqliteDatabase(config.databasePath), lock, halfLife);
  } catch (err) {
    await lock.release();
    throw err;
  }
}
