import { afterEach, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { makeHolder } from './support/holder.js';
import { newPerson } from './support/people.js';
import { apply, nextYear, reviewer, startService, tempDir, testConfig } from './support/service.js';
import { openSqliteDatabase, migrate } from '../src/store/sqlite-database.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { SqliteIssuerStore } from '../src/store/sqlite-issuer-store.js';
import { StoreConflict, type CredentialRecord, type IssuerStore } from '../src/store/issuer-store.js';
import { ConfigError } from '../src/config.js';
import { openPostgresDatabase } from '../src/store/postgres-database.js';
import { PostgresIssuerStore } from '../src/store/postgres-issuer-store.js';
import { postgresRunner } from '../src/store/sql-runner.js';
import { openTestStore, TEST_BACKENDS, type TestBackend } from './support/backends.js';
import { submitPendingApplication } from './support/pending-application.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function sqliteFile() {
  const tmp = tempDir();
  const db = openSqliteDatabase(tmp.dbPath);
  const store = new SqliteIssuerStore(db);
  cleanups.push(tmp.cleanup, () => store.close());
  return { db, store, tmp };
}

const now = Date.now();

const pendingApplication = (store: IssuerStore, id: string, did: string) => submitPendingApplication(store, id, now, did);

function credential(id: string, applicationId: string, leafIndex: number): CredentialRecord {
  return {
    id,
    applicationId,
    holderDid: 'did:key:zA',
    leafIndex,
    leaf: '42',
    salt: '7',
    attributes: { jurisdiction: 'FR', birthDate: '1990-01-01', investorClasses: [], kycLevel: 1, expiryDate: '2030-01-01' },
    expiryDate: '2030-01-01',
    vcJwt: 'jwt',
    status: 'active',
    issuedAt: now,
    revokedAt: null,
  };
}

describe('SQLite database', () => {
  it('runs numbered migrations once, in WAL mode, and refuses a newer schema', () => {
    const { db, tmp } = sqliteFile();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    expect(migrate(db, MIGRATIONS)).toBe(MIGRATIONS.length);
    expect((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(MIGRATIONS.length);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, ?, 0)').run('from the future');
    expect(() => openSqliteDatabase(tmp.dbPath)).toThrow(/newer than this service knows/);
  });
});

// Absent only under ZKKYC_SKIP_PG=1 (see support/backends.ts).
const postgresBackend = TEST_BACKENDS.find((b) => b.name === 'postgres');

(postgresBackend ? describe : describe.skip)('Postgres database', () => {
  const backend = postgresBackend!;
  it('runs the same numbered migrations once and refuses a newer schema', async () => {
    const db = await backend.freshDatabase();
    cleanups.push(db.cleanup);
    const pool = await openPostgresDatabase(db.config.databaseUrl!, { schema: db.config.databaseSchema });
    const sql = postgresRunner(pool);
    expect(await sql.all('SELECT version, name FROM schema_migrations ORDER BY version')).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    await pool.end();
    // Two instances starting at once on a migrated schema: the advisory lock serialises them, nothing re-runs.
    const [a, b] = await Promise.all([0, 1].map(() => openPostgresDatabase(db.config.databaseUrl!, { schema: db.config.databaseSchema })));
    expect(await postgresRunner(a).all('SELECT COUNT(*) AS n FROM schema_migrations')).toEqual([{ n: MIGRATIONS.length }]);
    await postgresRunner(a).run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 0)");
    await Promise.all([a.end(), b.end()]);
    await expect(openPostgresDatabase(db.config.databaseUrl!, { schema: db.config.databaseSchema })).rejects.toThrow(/newer than this service knows/);
  });

  it('allocates leaf indices serially across connections: one winner per index', async () => {
    const db = await backend.freshDatabase();
    cleanups.push(db.cleanup);
    // Separate pools = separate sessions, as two service instances would have.
    const stores = await Promise.all([0, 1, 2, 3, 4].map(async () => new PostgresIssuerStore(await openPostgresDatabase(db.config.databaseUrl!, { schema: db.config.databaseSchema }))));
    cleanups.push(async () => {
      for (const st of stores) await st.close();
    });
    for (let i = 0; i < 5; i++) await pendingApplication(stores[0], `a${i}`, `did:key:z${i}`);
    const decision = (subjectId: string) => ({ subjectType: 'application' as const, subjectId, action: 'approve' as const, reviewer: 'r', reason: null, decidedAt: now });
    // Everyone claims index 0 at once.
    const results = await Promise.allSettled(stores.map((st, i) => st.recordApproval({ credential: credential(`c${i}`, `a${i}`, 0), decision: decision(`a${i}`) })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ reason: 'leaf_index_taken' });
    const counts = await stores[0].rowCounts();
    expect(counts).toMatchObject({ credentials: 1, leaves: 1 });
    expect((await stores[0].listApplications({ status: 'pending', offset: 0, limit: 10 })).length).toBe(4);
    expect(counts.decisions).toBe(1);
  });
});

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('%s store', (_name, backend: TestBackend) => {
  async function tmpStore() {
    const opened = await openTestStore(backend);
    cleanups.push(opened.cleanup);
    return opened;
  }

  it('stores an approval atomically: a taken leaf index leaves no credential, no decision, and the application pending', async () => {
    const { store } = await tmpStore();
    await pendingApplication(store, 'a1', 'did:key:zA');
    await pendingApplication(store, 'a2', 'did:key:zB');
    const decision = (subjectId: string) => ({ subjectType: 'application' as const, subjectId, action: 'approve' as const, reviewer: 'r', reason: null, decidedAt: now });
    await store.recordApproval({ credential: credential('c1', 'a1', 0), decision: decision('a1') });
    const before = await store.rowCounts();

    // Index 0 is taken; index 2 would leave a gap. Both are refused, atomically.
    const gap = store.recordApproval({ credential: credential('c3', 'a2', 2), decision: decision('a2') });
    await expect(gap).rejects.toMatchObject({ reason: 'leaf_index_taken' });
    const clash = store.recordApproval({ credential: credential('c2', 'a2', 0), decision: decision('a2') });
    await expect(clash).rejects.toBeInstanceOf(StoreConflict);
    await expect(clash).rejects.toMatchObject({ reason: 'leaf_index_taken' });
    expect(await store.rowCounts()).toEqual(before);
    expect((await store.getApplication('a2'))!.status).toBe('pending');
    expect(await store.getCredential('c2')).toBeNull();
  });

  it('revokes atomically and only once', async () => {
    const { store } = await tmpStore();
    await pendingApplication(store, 'a1', 'did:key:zA');
    await store.recordApproval({
      credential: credential('c1', 'a1', 0),
      decision: { subjectType: 'application', subjectId: 'a1', action: 'approve', reviewer: 'r', reason: null, decidedAt: now },
    });
    const revoke = { credentialId: 'c1', decision: { subjectType: 'credential' as const, subjectId: 'c1', action: 'revoke' as const, reviewer: 'r', reason: 'x', decidedAt: now } };
    await store.recordRevocation(revoke);
    expect(await store.listLeaves(0, 10)).toEqual([{ index: 0, value: '0' }]);
    const before = await store.rowCounts();
    await expect(store.recordRevocation(revoke)).rejects.toMatchObject({ reason: 'credential_not_active' });
    expect(await store.rowCounts()).toEqual(before);
  });

  it('keeps one pending application per DID in the database itself', async () => {
    const { store } = await tmpStore();
    await pendingApplication(store, 'a1', 'did:key:zA');
    const before = await store.rowCounts();
    await expect(pendingApplication(store, 'a2', 'did:key:zA')).rejects.toMatchObject({ reason: 'application_pending' });
    // The challenge consumed inside the failed transaction is unused again.
    expect((await store.getChallenge('n-a2'))!.usedAt).toBeNull();
    expect((await store.rowCounts()).applications).toBe(before.applications);
  });
});

describe('issuer keys at rest (SQLite file)', () => {
  it('seals the private key with AES-256-GCM, refuses a wrong secret, and reopens with the right one', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const service = await startService(testConfig(tmp.dbPath));
    const applied = await apply(service, makeHolder());
    await service.app.inject({
      method: 'POST',
      url: `/applications/${applied.json.id}/approve`,
      headers: reviewer,
      payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } },
    });
    await service.close();

    const db = new Database(tmp.dbPath, { readonly: true });
    const rows = db.prepare('SELECT alias, sealed_key FROM veramo_private_keys').all() as Array<{ alias: string; sealed_key: string }>;
    const dids = db.prepare('SELECT identifier_json FROM veramo_dids').all() as Array<{ identifier_json: string }>;
    db.close();
    expect(rows).toHaveLength(1);
    expect(rows[0].sealed_key).toMatch(/^v1\./);
    expect(dids[0].identifier_json).not.toContain('privateKeyHex');
    // Nothing in the file (main db or WAL) holds the key in clear: the sealed value is all there is.
    for (const file of [tmp.dbPath, `${tmp.dbPath}-wal`]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch {
        continue;
      }
      expect(bytes.includes(Buffer.from('privateKeyHex'))).toBe(false);
    }

    await expect(startService(testConfig(tmp.dbPath, { keySecret: 'iapJe6iDghuJLVheNyE1nPpox5uaWeak' }))).rejects.toThrow(ConfigError);
    const reopened = await startService(testConfig(tmp.dbPath));
    cleanups.push(() => reopened.close());
    expect(reopened.tree.size).toBe(1);
  });
});

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('issuer keys at rest (%s)', (_name, backend: TestBackend) => {
  it('keeps only the sealed key, refuses a wrong secret, and keeps the DID and tree across restarts', async () => {
    const db = await backend.freshDatabase();
    cleanups.push(db.cleanup);
    const config = testConfig(db.config.databasePath, db.config);
    const service = await startService(config);
    const did = service.issuerDid;
    const applied = await apply(service, makeHolder());
    await service.app.inject({
      method: 'POST',
      url: `/applications/${applied.json.id}/approve`,
      headers: reviewer,
      payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } },
    });
    const counts = await service.store.rowCounts();
    expect(counts).toMatchObject({ veramo_private_keys: 1, veramo_keys: 1, veramo_dids: 1, credentials: 1, leaves: 1 });
    await service.close();

    await expect(startService(testConfig(db.config.databasePath, { ...db.config, keySecret: 'iapJe6iDghuJLVheNyE1nPpox5uaWeak' }))).rejects.toThrow(ConfigError);
    const reopened = await startService(config);
    cleanups.push(() => reopened.close());
    expect(reopened.issuerDid).toBe(did);
    expect(reopened.tree.size).toBe(1);
    expect(await reopened.store.rowCounts()).toEqual(counts);
  });
});
