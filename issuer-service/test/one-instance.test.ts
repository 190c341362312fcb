import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import './support/inject-shim.js';
import { createIssuerService, type IssuerService } from '../src/issuer-service.js';
import type { IssuerServiceConfig } from '../src/config.js';
import type { IssuerStore } from '../src/store/issuer-store.js';
import { openPostgresDatabase } from '../src/store/postgres-database.js';
import { PostgresIssuerStore } from '../src/store/postgres-issuer-store.js';
import { openSqliteDatabase } from '../src/store/sqlite-database.js';
import { SqliteIssuerStore } from '../src/store/sqlite-issuer-store.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import { exited, killAll, startChildService } from './support/child-service.js';
import { makeHolder } from './support/holder.js';
import { newPerson } from './support/people.js';
import { apply, nextYear, reviewer, startService, testConfig } from './support/service.js';

/**
 * One service instance per database (security review, finding 1). Each instance keeps the tree in
 * memory, so a second one on the same database would publish roots that bring revoked leaves back
 * and fail every approval. The first instance holds a lock for its lifetime (a session advisory
 * lock on Postgres, an exclusive lock on a file next to the SQLite database); a second refuses to
 * start, and the lock goes with the first one's close — or with its process, when it is killed.
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(() => killAll());

async function freshConfig(backend: TestBackend): Promise<IssuerServiceConfig> {
  const db = await backend.freshDatabase();
  cleanups.push(db.cleanup);
  return testConfig(db.config.databasePath, db.config);
}

async function open(config: IssuerServiceConfig): Promise<IssuerService> {
  const service = await startService(config);
  cleanups.push(() => service.close());
  return service;
}

/** A bare store on the same database (no instance lock: what another writer would look like). */
async function bareStore(config: IssuerServiceConfig): Promise<IssuerStore> {
  const store = config.databaseUrl
    ? new PostgresIssuerStore(await openPostgresDatabase(config.databaseUrl, { schema: config.databaseSchema }))
    : new SqliteIssuerStore(openSqliteDatabase(config.databasePath));
  cleanups.push(() => store.close());
  return store;
}

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('one instance per database on %s', (_name, backend: TestBackend) => {
  it('a second instance on the same database refuses to start; after the first closes, one starts', async () => {
    const config = await freshConfig(backend);
    const first = await createIssuerService(config);
    await expect(createIssuerService(config)).rejects.toThrow(/another issuer-service instance is using this database/);
    // The refused start left the first instance working.
    const applied = await apply(first, makeHolder());
    expect(applied.statusCode).toBe(201);
    await first.close();
    const second = await open(config);
    expect((await second.store.getApplication(applied.json.id))!.status).toBe('pending');
  });

  it('a killed instance (SIGKILL) leaves no lock behind', async () => {
    const config = await freshConfig(backend);
    const env: NodeJS.ProcessEnv = config.databaseUrl
      ? { DATABASE_URL: config.databaseUrl, DATABASE_SCHEMA: config.databaseSchema, ISSUER_KEY_SECRET: config.keySecret }
      : { DATABASE_PATH: config.databasePath, ISSUER_KEY_SECRET: config.keySecret };
    const { child } = await startChildService(env);
    await expect(createIssuerService(config)).rejects.toThrow(/another issuer-service instance/);
    child.kill('SIGKILL');
    await exited(child);
    let service: IssuerService | null = null;
    // Postgres notices the dropped connection within moments; try for a few seconds.
    for (let i = 0; i < 50 && !service; i++) {
      service = await createIssuerService(config).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return null;
      });
    }
    expect(service).not.toBeNull();
    cleanups.push(() => service!.close());
  }, 60_000);

  it('a leaf index taken behind the service’s back answers 409 leaf_index_taken, not 500, and writes nothing', async () => {
    const config = await freshConfig(backend);
    const service = await open(config);
    const applied = await apply(service, makeHolder());
    // Another writer (what a second instance was) appends leaf 0 directly in the database.
    const other = await bareStore(config);
    const now = Date.now();
    await other.createChallenge({ nonce: 'other-nonce', did: 'did:key:zOther', createdAt: now, expiresAt: now + 60_000, usedAt: null });
    await other.submitApplication(
      { id: 'other-app', holderDid: 'did:key:zOther', identityCommitment: '7', attributes: { jurisdiction: 'FR', birthDate: '1990-01-01', investorClasses: [] }, status: 'pending', accessTokenHash: 'h', challengeNonce: 'other-nonce', createdAt: now, updatedAt: now },
      now,
    );
    await other.recordApproval({
      credential: {
        id: 'other-cred', applicationId: 'other-app', holderDid: 'did:key:zOther', leafIndex: 0, leaf: '123', salt: '1',
        attributes: { jurisdiction: 'FR', birthDate: '1990-01-01', investorClasses: [], kycLevel: 1, expiryDate: '2099-01-01' },
        expiryDate: '2099-01-01', vcJwt: 'jwt', status: 'active', issuedAt: now, revokedAt: null, personKey: null,
      },
      decision: { subjectType: 'application', subjectId: 'other-app', action: 'approve', reviewer: 'r', reason: null, decidedAt: now },
    });
    const before = await service.store.rowCounts();
    const res = await service.app.inject({ method: 'POST', url: `/applications/${applied.json.id}/approve`, headers: reviewer, payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } } });
    expect({ status: res.statusCode, code: res.json().error.code }).toEqual({ status: 409, code: 'leaf_index_taken' });
    expect(await service.store.rowCounts()).toEqual(before);
    expect((await service.store.getApplication(applied.json.id))!.status).toBe('pending');
  });
});

/**
 * Re-review of dc6a007, finding 1: the Postgres lock failed open — when its connection dropped, the
 * service logged and kept serving while a second instance could take the lock. Now the lost lock
 * connection (error, end, or a failed periodic `SELECT 1`) calls onLost, and main.ts exits non-zero.
 */
const postgresBackend = TEST_BACKENDS.find((b) => b.name === 'postgres');
(postgresBackend ? describe : describe.skip)('losing the Postgres lock connection', () => {
  /** Terminates the backend holding this schema's one-instance advisory lock; returns how many it ended. */
  async function terminateLockBackend(config: IssuerServiceConfig): Promise<number> {
    const admin = new pg.Client({ connectionString: config.databaseUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND objsubid = 2
            AND classid = hashtext('zkkyc-issuer-service')::oid AND objid = hashtext($1)::oid`,
        [config.databaseSchema ?? 'public'],
      );
      return rows.filter((r) => r.ended === true).length;
    } finally {
      await admin.end();
    }
  }

  it('terminating the lock backend calls onInstanceLockLost (in process)', async () => {
    const config = await freshConfig(postgresBackend!);
    let lost: Error | null = null;
    const service = await startService(config, { onInstanceLockLost: (err) => (lost = err), instanceLockCheckIntervalMs: 200 });
    cleanups.push(() => service.close());
    expect(await terminateLockBackend(config)).toBe(1);
    for (let i = 0; i < 50 && !lost; i++) await new Promise((r) => setTimeout(r, 100));
    expect(lost).not.toBeNull();
  }, 30_000);

  it('a child service whose lock backend is terminated exits non-zero', async () => {
    const config = await freshConfig(postgresBackend!);
    const { child } = await startChildService({ DATABASE_URL: config.databaseUrl, DATABASE_SCHEMA: config.databaseSchema, ISSUER_KEY_SECRET: config.keySecret });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += String(d)));
    expect(await terminateLockBackend(config)).toBe(1);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited(child), new Promise((r) => (timer = setTimeout(r, 20_000)))]);
    clearTimeout(timer);
    expect(child.exitCode).not.toBeNull();
    expect(child.exitCode).not.toBe(0);
    expect(stderr).toMatch(/FATAL: lost the Postgres connection holding the one-instance lock/);
  }, 60_000);
});
