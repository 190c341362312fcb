import { acquireSqliteInstanceLock } from './instance-lock.js';
import type { IssuerStore } from './issuer-store.js';
import { openPostgresDatabase } from './postgres-database.js';
import { PostgresIssuerStore } from './postgres-issuer-store.js';
import { postgresRunner, sqliteRunner, type SqlRunner } from './sql-runner.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { SqliteIssuerStore } from './sqlite-issuer-store.js';
import type { StorageConfig } from './open-storage.js';
import type { BulkWriter } from './bulk-writer.js';
import { finishImportDatabase, SqliteBulkWriter, tuneForImport } from './bulk-writer-sqlite.js';
import { PostgresBulkWriter } from './bulk-writer-postgres.js';

export interface BulkStorage {
  store: IssuerStore;
  sql: SqlRunner;
  writer: BulkWriter;
  /**
   * Closes the database (and releases the SQLite file lock). On SQLite it first copies the import's
   * WAL into the database file; `walPending` names the WAL file when a reader's snapshot kept part of
   * it there (still durable: synced by the journal's finish commit; the next checkpoint copies it).
   */
  close(): Promise<{ walPending: string | null }>;
}

/**
 * The database for a bulk import: the store, the runner Veramo's key stores use, and the bulk writer
 * over the same connection(s). On SQLite the import takes the file's one-instance lock like a service
 * instance (so the service must be stopped while it runs: a second writer would move the tree under
 * it), with settings for many rows at once (`tuneForImport`, bulk-writer-sqlite.ts), and `close`
 * checkpoints and syncs what it wrote. On Postgres it runs beside the service instances; its chunks
 * take the same leaf lock their approvals take (bulk-writer-postgres.ts) and it never competes in
 * the publisher election.
 */
export async function openBulkStorage(config: StorageConfig): Promise<BulkStorage> {
  if (config.databaseUrl) {
    const pool = await openPostgresDatabase(config.databaseUrl, { schema: config.databaseSchema, poolSize: 4 });
    const store = new PostgresIssuerStore(pool);
    const close = async () => {
      await store.close();
      return { walPending: null };
    };
    return { store, sql: postgresRunner(pool), writer: new PostgresBulkWriter(pool), close };
  }
  const lock = acquireSqliteInstanceLock(config.databasePath);
  try {
    const db = openSqliteDatabase(config.databasePath);
    tuneForImport(db);
    const store = new SqliteIssuerStore(db, lock);
    const close = async () => {
      let finished = { checkpointed: true };
      try {
        if (db.open) finished = finishImportDatabase(db);
      } finally {
        await store.close();
      }
      return { walPending: finished.checkpointed ? null : `${config.databasePath}-wal` };
    };
    return { store, sql: sqliteRunner(db), writer: new SqliteBulkWriter(db), close };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
