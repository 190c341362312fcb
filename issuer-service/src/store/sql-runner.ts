import type { PoolClient, Pool } from 'pg';
import type { SqliteDb } from './sqlite-database.js';

/**
 * The little the Veramo stores need from a database: run a parameterised statement and get rows or
 * an affected-row count. SQL is written once with `?` placeholders and ANSI syntax both SQLite and
 * Postgres accept (`ON CONFLICT … DO UPDATE SET … = excluded.…`), so the key and DID stores exist
 * once for both backends.
 */
export interface SqlRunner {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
}

/** better-sqlite3 is synchronous; the promise only adapts the shape. */
export function sqliteRunner(db: SqliteDb): SqlRunner {
  return {
    async all<T>(sql: string, params: unknown[] = []) {
      return db.prepare(sql).all(...params) as T[];
    },
    async run(sql: string, params: unknown[] = []) {
      return db.prepare(sql).run(...params).changes;
    },
  };
}

/** Rewrites `?` placeholders as Postgres' `$1, $2, …` (our statements never contain a literal `?`). */
export function toPostgresPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export function postgresRunner(pool: Pool | PoolClient): SqlRunner {
  return {
    async all<T>(sql: string, params: unknown[] = []) {
      return (await pool.query(toPostgresPlaceholders(sql), params)).rows as T[];
    },
    async run(sql: string, params: unknown[] = []) {
      return (await pool.query(toPostgresPlaceholders(sql), params)).rowCount ?? 0;
    },
  };
}
