import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MIGRATIONS, migrationSql, type Migration } from './migrations.js';

/**
 * The one database seam the monitor's store is written against, so that every query exists once
 * for SQLite and PostgreSQL. Statements use `?` placeholders and SQL both dialects accept
 * (`ON CONFLICT … DO UPDATE SET … = excluded.…`); Postgres gets `$1, $2, …`.
 *
 * `transaction` is async on both backends, because a batch's consumer (the rule engine) may await
 * inside it. On SQLite (one synchronous connection) that means a queue: every statement outside a
 * transaction, and every transaction, waits for the open one to finish, so nothing interleaves
 * with a half-written batch and no reader sees it.
 */
export interface SqlRunner {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
}

export interface SqlDatabase extends SqlRunner {
  dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws (rethrown). */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Serialises async work: each call starts after the previous one settled. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * Opens (creating) a SQLite file and migrates it. WAL so the HTTP reads are cheap; `synchronous =
 * FULL` so a committed batch survives power loss, which a cursor that must never run ahead of its
 * events needs.
 */
export function openSqliteDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): SqlDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrateSqlite(db, migrations);
  const queue = new Queue();
  const direct: SqlRunner = {
    async all<T>(sql: string, params: unknown[] = []) {
      return db.prepare(sql).all(...params) as T[];
    },
    async run(sql: string, params: unknown[] = []) {
      return db.prepare(sql).run(...params).changes;
    },
  };
  return {
    dialect: 'sqlite',
    all: (sql, params) => queue.run(() => direct.all(sql, params)),
    run: (sql, params) => queue.run(() => direct.run(sql, params)),
    transaction<T>(fn: (tx: SqlRunner) => Promise<T>) {
      return queue.run(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(direct);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      });
    },
    async close() {
      await queue.run(async () => {
        if (db.open) db.close();
      });
    },
  };
}

function migrateSqlite(db: Database.Database, migrations: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const current = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const known = sorted.at(-1)?.version ?? 0;
  if (current > known) throw new Error(`database schema is version ${current}, newer than this monitor knows (${known}); refusing to run`);
  for (const m of sorted) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(migrationSql(m, 'sqlite'));
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
  }
}

/** `?` → `$n` (the store's statements never hold a literal `?`). */
export function toPostgresPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const INT8_OID = 20;
/** BIGINT comes back from `pg` as a string; ours (block numbers, ms times) fit in 2^53 — refuse loudly if one does not. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') {
      return (value: string) => {
        const n = Number(value);
        if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${value} exceeds 2^53`);
        return n;
      };
    }
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as unknown as pg.CustomTypesConfig;

function pgRunner(client: pg.Pool | pg.PoolClient): SqlRunner {
  return {
    async all<T>(sql: string, params: unknown[] = []) {
      return (await client.query(toPostgresPlaceholders(sql), params)).rows as T[];
    },
    async run(sql: string, params: unknown[] = []) {
      return (await client.query(toPostgresPlaceholders(sql), params)).rowCount ?? 0;
    },
  };
}

/**
 * Connects to Postgres with `schema` as every pooled connection's search path (created if missing)
 * and migrates it, in one transaction under an advisory lock so two starting instances do not race.
 */
export async function openPostgresDatabase(url: string, schema = 'public', migrations: readonly Migration[] = MIGRATIONS): Promise<SqlDatabase> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`schema "${schema}" must be a lower-case SQL identifier`);
  const pool = new pg.Pool({ connectionString: url, max: 5, options: `-c search_path=${schema}`, types: pgTypes });
  pool.on('error', (err) => console.error('[monitor] postgres connection error:', err.message));
  const db: SqlDatabase = {
    dialect: 'postgres',
    ...pgRunner(pool),
    async transaction<T>(fn: (tx: SqlRunner) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(pgRunner(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
  try {
    if (schema !== 'public') await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await db.transaction(async (tx) => {
      await tx.all(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':zkkyc-monitor-migrations'))`);
      await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const current = (await tx.all<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations'))[0].v ?? 0;
      const sorted = [...migrations].sort((a, b) => a.version - b.version);
      const known = sorted.at(-1)?.version ?? 0;
      if (current > known) throw new Error(`database schema is version ${current}, newer than this monitor knows (${known}); refusing to run`);
      for (const m of sorted) {
        if (m.version <= current) continue;
        await tx.run(migrationSql(m, 'postgres'));
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
      }
    });
  } catch (err) {
    await pool.end();
    throw err;
  }
  return db;
}
