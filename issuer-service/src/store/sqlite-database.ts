import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrationSql, type Migration } from './migrations.js';

export type SqliteDb = Database.Database;

/**
 * Opens (creating if needed) the service's SQLite file and brings its schema up to date.
 *
 * WAL lets the public read routes run while a write transaction is open; `synchronous = FULL`
 * makes a committed approval survive power loss, which matters more here than write throughput;
 * foreign keys are off by default in SQLite and we rely on them.
 */
export function openSqliteDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): SqliteDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

/** Applies, in order and each in its own transaction, every migration newer than the recorded version. */
export function migrate(db: SqliteDb, migrations: readonly Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const known = sorted.at(-1)?.version ?? 0;
  if (current > known) {
    throw new Error(`database schema is version ${current}, newer than this service knows (${known}); refusing to run`);
  }
  for (const m of sorted) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(migrationSql(m, 'sqlite'));
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
  }
  return sorted.at(-1)?.version ?? current;
}
