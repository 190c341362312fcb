import { acquireSqliteInstanceLock, PostgresPublisherElection, soleInstanceElection, type PublisherElection } from './instance-lock.js';
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
  /** Postgres only: how often the publisher election retries / checks its lock (store/instance-lock.ts). */
  electionIntervalMs?: number;
  /** Postgres only: told when the election's connection fails (it keeps retrying). */
  log?: (message: string, err?: unknown) => void;
}

export interface Storage {
  backend: 'sqlite' | 'postgres';
  store: IssuerStore;
  /** The same database, for Veramo's key and DID stores. */
  sql: SqlRunner;
  /** Whether this instance publishes roots (always on SQLite); released by `store.close()`. */
  election: PublisherElection;
}

/**
 * Opens the configured database and runs its migrations. Postgres: joins the publisher election
 * (several instances share the database; one publishes). SQLite: takes the one-instance lock (a
 * second instance on the same file is refused with `InstanceLockError`). `store.close()` releases
 * the lock or leaves the election.
 */
export async function openStorage(config: StorageConfig, options: OpenStorageOptions = {}): Promise<Storage> {
  if (config.databaseUrl) {
    const schema = config.databaseSchema ?? 'public';
    const election = await PostgresPublisherElection.start(config.databaseUrl, schema, { intervalMs: options.electionIntervalMs, log: options.log });
    try {
      const pool = await openPostgresDatabase(config.databaseUrl, { schema: config.databaseSchema });
      return { backend: 'postgres', store: new PostgresIssuerStore(pool, election), sql: postgresRunner(pool), election };
    } catch (err) {
      await election.release();
      throw err;
    }
  }
  const lock = acquireSqliteInstanceLock(config.databasePath);
  try {
    const db = openSqliteDatabase(config.databasePath);
    return { backend: 'sqlite', store: new SqliteIssuerStore(db, lock), sql: sqliteRunner(db), election: soleInstanceElection(lock) };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
