import { afterEach, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { makeHolder, type TestHolder } from './support/holder.js';
import { apply, ManualClock, reviewer, startService, testConfig } from './support/service.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import { newPerson } from './support/people.js';
import { ConfigError, loadConfig } from '../src/config.js';
import type { IssuerService } from '../src/issuer-service.js';

/**
 * Retention: used challenges no application references and rejected applications (with their
 * decisions and challenge) are deleted after configurable periods, by a purge that runs at start
 * and then periodically. Pending and approved applications stay.
 */
const DAY = 86_400_000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('retention configuration', () => {
  const base = { ISSUER_KEY_SECRET: 'Tq8#vX2!mK9$pL4@wR7z' };
  it('reads the periods and the purge interval, with defaults, and refuses bad values naming the variable', () => {
    expect((loadConfig(base) as any).retention).toEqual({ usedChallengeDays: 30, rejectedApplicationDays: 1826, intervalSeconds: 3600 });
    expect((loadConfig({ ...base, RETENTION_USED_CHALLENGE_DAYS: '7', RETENTION_REJECTED_APPLICATION_DAYS: '90', RETENTION_PURGE_INTERVAL_SECONDS: '60' }) as any).retention).toEqual({
      usedChallengeDays: 7,
      rejectedApplicationDays: 90,
      intervalSeconds: 60,
    });
    for (const [name, value] of [
      ['RETENTION_USED_CHALLENGE_DAYS', '0'],
      ['RETENTION_USED_CHALLENGE_DAYS', 'x'],
      ['RETENTION_REJECTED_APPLICATION_DAYS', '-1'],
      ['RETENTION_PURGE_INTERVAL_SECONDS', '1.5'],
    ]) {
      expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, [name]: value })).toThrow(new RegExp(`^${name}: `));
    }
  });
});

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('retention purge on %s', (_name, backend: TestBackend) => {
  it('deletes old used challenges and rejected applications at start and periodically, and nothing else', async () => {
    const db = await backend.freshDatabase();
    cleanups.push(db.cleanup);
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 12));
    const retention = { usedChallengeDays: 30, rejectedApplicationDays: 365, intervalSeconds: 1 };
    const config = { ...testConfig(db.config.databasePath, db.config), retention };
    const open = async () => {
      const s = await startService(config as never, { clock });
      cleanups.push(() => s.close());
      return s;
    };
    let service: IssuerService = await open();

    // Day 0: a rejected application, a pending one, an approved-later one and a token recovery.
    const rejectedHolder = makeHolder();
    const rejected = await apply(service, rejectedHolder);
    expect(rejected.statusCode).toBe(201);
    const rejectedNonce = (await service.store.getApplication(rejected.json.id))!.challengeNonce;
    const day0 = clock.now();
    // A reviewer's proposal (the applicant's verified attributes, as a keyed person hash) goes with it.
    const proposed = await service.app.inject({ method: 'POST', url: `/applications/${rejected.json.id}/proposal`, headers: reviewer, payload: { person: newPerson(), attributes: { kycLevel: 2 } } });
    expect(proposed.statusCode).toBe(201);
    expect(await service.store.latestProposal(rejected.json.id)).not.toBeNull();
    expect((await service.app.inject({ method: 'POST', url: `/applications/${rejected.json.id}/reject`, headers: reviewer, payload: { reason: 'unreadable' } })).statusCode).toBe(200);
    const pendingHolder: TestHolder = makeHolder();
    const pending = await apply(service, pendingHolder);
    const pendingNonce = (await service.store.getApplication(pending.json.id))!.challengeNonce;
    const ch = await service.app.inject({ method: 'POST', url: '/challenges', payload: { did: pendingHolder.did } });
    const recoveryNonce = ch.json().nonce as string;
    const recovered = await service.app.inject({
      method: 'POST',
      url: '/access-tokens',
      payload: { did: pendingHolder.did, challenge: recoveryNonce, signature: await pendingHolder.sign(recoveryNonce, { purpose: 'access-token-recovery' }) },
    });
    expect(recovered.statusCode).toBe(201);
    const unused = (await service.app.inject({ method: 'POST', url: '/challenges', payload: { did: makeHolder().did } })).json().nonce as string;

    // Day 29, restart: nothing is old enough yet, except the expired unused challenge.
    clock.advance(29 * DAY);
    await service.close();
    cleanups.pop();
    service = await open();
    expect(await service.store.getChallenge(recoveryNonce)).not.toBeNull();
    expect(await service.store.getChallenge(unused)).toBeNull();

    // Day 31, restart: the recovery's used challenge is gone; application challenges stay with their applications.
    clock.advance(2 * DAY);
    await service.close();
    cleanups.pop();
    service = await open();
    expect(await service.store.getChallenge(recoveryNonce)).toBeNull();
    expect(await service.store.getChallenge(pendingNonce)).not.toBeNull();
    expect(await service.store.getChallenge(rejectedNonce)).not.toBeNull();
    expect(await service.store.getApplication(rejected.json.id)).not.toBeNull();

    // Day 366, while running: the periodic purge removes the rejected application, its decisions and its challenge.
    clock.advance(335 * DAY);
    const deadline = Date.now() + 5000;
    while ((await service.store.getApplication(rejected.json.id)) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await service.store.getApplication(rejected.json.id)).toBeNull();
    expect(await service.store.listDecisions('application', rejected.json.id)).toEqual([]);
    expect(await service.store.latestProposal(rejected.json.id)).toBeNull();
    expect(await service.store.getChallenge(rejectedNonce)).toBeNull();
    // Its audit events stay (who did what, when) but say nothing more about the applicant.
    const audit = await service.store.listAuditEvents({ offset: 0, limit: 100, subjectId: rejected.json.id });
    expect(audit.map((e) => ({ actor: e.actor, action: e.action, detail: e.detail }))).toEqual([
      { actor: 'alice', action: 'propose', detail: { purged: true } },
      { actor: 'alice', action: 'reject', detail: { purged: true } },
    ]);
    expect(audit.every((e) => e.at === day0)).toBe(true);
    // The pending application, its challenge and its recovered token are untouched.
    expect((await service.store.getApplication(pending.json.id))!.status).toBe('pending');
    expect(await service.store.getChallenge(pendingNonce)).not.toBeNull();
    const view = await service.app.inject({ method: 'GET', url: `/applications/${pending.json.id}`, headers: { authorization: `Bearer ${recovered.json().accessToken}` } });
    expect(view.statusCode).toBe(200);
  });
});
