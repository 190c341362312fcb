import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StoreConfig } from '../../src/store/open-store.js';

/**
 * The two backends the store tests run on: a temporary SQLite file, and a fresh schema on the
 * PostgreSQL jest's global setup starts (TEST_DATABASE_URL). ZKKYC_SKIP_PG=1 drops the Postgres
 * runs on purpose; without either, the Postgres runs fail rather than pass unseen.
 */
export interface Backend {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database's configuration, and how to remove it. */
  fresh(): Promise<{ config: StoreConfig; drop(): Promise<void> }>;
}

const sqlite: Backend = {
  name: 'sqlite',
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), 'zkkyc-monitor-store-'));
    return { config: { databasePath: join(dir, 'monitor.sqlite') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async fresh() {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_DATABASE_URL is not set (jest global setup starts a Postgres); set ZKKYC_SKIP_PG=1 to skip the Postgres runs deliberately');
    const schema = `zkkyc_m_${randomBytes(6).toString('hex')}`;
    return {
      config: { databasePath: ':unused:', databaseUrl: url, databaseSchema: schema },
      async drop() {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      },
    };
  },
};

export const BACKENDS: Backend[] = process.env.ZKKYC_SKIP_PG === '1' ? [sqlite] : [sqlite, postgres];
