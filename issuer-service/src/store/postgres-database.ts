import pg from 'pg';
import { MIGRATIONS, migrationSql, type Migration } from './migrations.js';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

const INT8_OID = 20;

/**
 * BIGINT columns (millisecond timestamps, leaf indices, counts) come back from `pg` as strings,
 * because int8 can exceed 2^53. Ours never do; parse them to numbers, and refuse loudly rather than
 * round if one ever does.
 */
const types = {
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

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresOptions {
  /** Schema the service's tables live in (default `public`); created if missing. */
  schema?: string;
  migrations?: readonly Migration[];
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

/**
 * Connects to Postgres, makes `schema` the search path of every pooled connection (so the same SQL
 * works in a dedicated schema — how the tests isolate parallel runs), and brings the schema up to
 * date. Throws if the database is unreachable or its schema is newer than this service knows.
 */
export async function openPostgresDatabase(url: string, options: PostgresOptions = {}): Promise<PgPool> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`schema "${schema}" must be a lower-case SQL identifier`);
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, options: `-c search_path=${schema}`, types });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', (err) => console.error('[issuer] postgres connection error:', err.message));
  try {
    if (schema !== 'public') await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await migratePostgres(pool, options.migrations ?? MIGRATIONS);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return pool;
}

/**
 * Applies every migration newer than the recorded version, in order, in one transaction (Postgres
 * DDL is transactional: a failing migration leaves the schema as it was). An advisory lock keyed by
 * the schema serialises two instances starting at once on the same database.
 */
export async function migratePostgres(pool: PgPool, migrations: readonly Migration[]): Promise<number> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const known = sorted.at(-1)?.version ?? 0;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':zkkyc-migrations'))`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at BIGINT NOT NULL
    )`);
    const current = ((await client.query('SELECT MAX(version) AS v FROM schema_migrations')).rows[0].v as number | null) ?? 0;
    if (current > known) {
      throw new Error(`database schema is version ${current}, newer than this service knows (${known}); refusing to run`);
    }
    for (const m of sorted) {
      if (m.version <= current) continue;
      await client.query(migrationSql(m, 'postgres'));
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
    }
    await client.query('COMMIT');
    return Math.max(current, known);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Runs `fn` in a transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when it
 * throws (and the error is rethrown). `begin` opens it (e.g. with an isolation level).
 */
export async function inTransaction<T>(pool: PgPool, fn: (client: PgClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
