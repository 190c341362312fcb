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

export interface Storage {
  backend: 'sqlite' | 'postgres';
  store: IssuerStore;
  /** The same database, for Veramo's key and DID stores. */
  sql: SqlRunner;
}

/** Opens the configured database and runs its migrations. `store.close()` releases it. */
export async function openStorage(config: StorageConfig): Promise<Storage> {
  if (config.databaseUrl) {
    const pool = await openPostgresDatabase(config.databaseUrl, { schema: config.databaseSchema });
    return { backend: 'postgres', store: new PostgresIssuerStore(pool), sql: postgresRunner(pool) };
  }
  const db = openSqliteDatabase(config.databasePath);
  return { backend: 'sqlite', store: new SqliteIssuerStore(db), sql: sqliteRunner(db) };
}
