import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
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
    const res = await service.app.inject({ method: 'POST', url: `/applications/${applied.json.id}/approve`, headers: reviewer, payload: { expiryDate: nextYear(), person: newPerson() } });
    expect({ status: res.statusCode, code: res.json().error.code }).toEqual({ status: 409, code: 'leaf_index_taken' });
    expect(await service.store.rowCounts()).toEqual(before);
    expect((await service.store.getApplication(applied.json.id))!.status).toBe('pending');
  });
});
