/**
 * Every new challenge first deletes the expired unused ones (ApplicationService.createChallenge →
 * pruneChallenges), and the retention purge does too. Used challenges are kept (applications
 * reference them) and all expire, so at scale almost every challenge is expired and used: the delete
 * must reach only the unused ones through an index of its own (migration 14), not walk every
 * challenge ever issued (about 2 s per new challenge at 10 million credentials, docs/scale.md).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { openSqliteDatabase } from '../src/store/sqlite-database.js';
import { SqliteIssuerStore } from '../src/store/sqlite-issuer-store.js';
import { openTestStore, TEST_BACKENDS } from './support/backends.js';
import { tempDir } from './support/service.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const now = Date.now();
const HOUR = 3_600_000;

describe.each(TEST_BACKENDS)('pruning challenges on $name', (backend) => {
  it('deletes the expired unused challenges only: used ones (expired or not) and unexpired ones stay', async () => {
    const { store, cleanup } = await openTestStore(backend);
    cleanups.push(cleanup);
    await store.createChallenge({ nonce: 'expired-unused', did: 'did:key:z1', createdAt: now - 2 * HOUR, expiresAt: now - HOUR, usedAt: null });
    await store.createChallenge({ nonce: 'expired-used', did: 'did:key:z2', createdAt: now - 2 * HOUR, expiresAt: now - HOUR, usedAt: now - 1.5 * HOUR });
    await store.createChallenge({ nonce: 'live-unused', did: 'did:key:z3', createdAt: now, expiresAt: now + HOUR, usedAt: null });
    expect(await store.pruneChallenges(now)).toBe(1);
    expect(await store.getChallenge('expired-unused')).toBeNull();
    expect(await store.getChallenge('expired-used')).not.toBeNull();
    expect(await store.getChallenge('live-unused')).not.toBeNull();
    expect(await store.pruneChallenges(now)).toBe(0);
  });
});

describe('the delete on SQLite', () => {
  it('searches the index of unused challenges (migration 14), not the expiry of every challenge', () => {
    const tmp = tempDir();
    const db = openSqliteDatabase(tmp.dbPath);
    const store = new SqliteIssuerStore(db);
    cleanups.push(tmp.cleanup, () => store.close());
    const plan = (db.prepare('EXPLAIN QUERY PLAN DELETE FROM challenges WHERE used_at IS NULL AND expires_at < ?').all(now) as Array<{ detail: string }>).map((r) => r.detail);
    expect(plan[0]).toMatch(/^SEARCH challenges USING INDEX challenges_unused \(expires_at<\?\)$/);
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'challenges'").all() as Array<{ name: string }>).map((r) => r.name);
    expect(indexes).not.toContain('challenges_expiry');
  });
});
