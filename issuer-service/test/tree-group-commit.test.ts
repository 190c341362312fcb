import { afterEach, describe, expect, it, jest } from '@jest/globals';
import './support/inject-shim.js';
import { randomUUID } from 'node:crypto';
import { IssuerTree } from '@zkkyc/tree';
import { newPerson } from './support/people.js';
import { makeHolder } from './support/holder.js';
import { apply, nextYear, reviewer, startService, testConfig } from './support/service.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import type { ApprovalDraft, ApprovalOutcome } from '../src/store/issuer-store.js';
import { GroupCommit } from '../src/services/group-commit.js';

/**
 * Group commit (services/group-commit.ts): approvals that arrive while a write is in flight are
 * written together, in one store transaction, each keeping its own checks, refusal and audit event.
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('approvals on %s', (_name, backend: TestBackend) => {
  it('arriving together are one transaction; a refused one fails alone; each has its own audit event', async () => {
    const db = await backend.freshDatabase();
    cleanups.push(db.cleanup);
    const service = await startService(testConfig(db.config.databasePath, { ...db.config, treeDepth: 20 }));
    cleanups.push(() => service.close());
    const apps: string[] = [];
    for (let i = 0; i < 9; i++) {
      const res = await apply(service, makeHolder());
      expect(res.statusCode).toBe(201);
      apps.push(res.json.id);
    }
    const batches: number[] = [];
    const record = service.store.recordApprovals.bind(service.store);
    // The first write is slow (300 ms in flight): approvals arriving meanwhile queue and go together.
    jest.spyOn(service.store, 'recordApprovals').mockImplementation(async (drafts: ApprovalDraft[]) => {
      batches.push(drafts.length);
      if (batches.length === 1) await new Promise((r) => setTimeout(r, 300));
      return record(drafts);
    });
    const approve = (id: string, extra: Record<string, unknown> = {}) =>
      service.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: reviewer, payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 }, ...extra } });
    // Application 4 names a credential to replace that does not exist: refused inside its build.
    const results = await Promise.all(apps.map((id, i) => approve(id, i === 4 ? { replaces: randomUUID() } : {})));
    expect(results.map((r) => r.statusCode)).toEqual(apps.map((_, i) => (i === 4 ? 409 : 201)));
    expect(results[4].json().error.code).toBe('replacement_unconfirmed');
    expect(batches.length).toBeLessThan(9);
    expect(Math.max(...batches)).toBeGreaterThan(1);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(9);

    const indices = results
      .filter((r) => r.statusCode === 201)
      .map((r) => r.json().leafIndex as number)
      .sort((a, b) => a - b);
    expect(indices).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const [i, id] of apps.entries()) {
      const events = (await service.store.listAuditEvents({ offset: 0, limit: 50, subjectId: id })).filter((e) => e.action === 'approve');
      expect(events).toHaveLength(i === 4 ? 0 : 1);
    }
    expect((await service.store.getApplication(apps[4]))!.status).toBe('pending');
    const leaves = (await service.store.listLeaves(0, 100)).map((l) => BigInt(l.value));
    const current = await service.tree.current();
    expect(current.root).toBe(new IssuerTree(20, leaves).root);
    expect(current.size).toBe(8);
  });

  it('two approvals replacing the same credential in one batch: one replaces it, the other gets replacement_unconfirmed', async () => {
    const db = await backend.freshDatabase();
    cleanups.push(db.cleanup);
    const service = await startService(testConfig(db.config.databasePath, { ...db.config, treeDepth: 20 }));
    cleanups.push(() => service.close());
    const approve = (id: string, extra: Record<string, unknown> = {}) =>
      service.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: reviewer, payload: { expiryDate: nextYear(), attributes: { kycLevel: 2 }, ...extra } });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await apply(service, makeHolder())).json.id);
    const person = newPerson();
    const first = await approve(ids[0], { person });
    expect(first.statusCode).toBe(201);
    const replaced = first.json().credentialId as string;

    const batches: number[] = [];
    const record = service.store.recordApprovals.bind(service.store);
    let inFlight!: () => void;
    const firstWrite = new Promise<void>((r) => (inFlight = r));
    jest.spyOn(service.store, 'recordApprovals').mockImplementation(async (drafts: ApprovalDraft[]) => {
      batches.push(drafts.length);
      if (batches.length === 1) {
        inFlight();
        await new Promise((r) => setTimeout(r, 300));
      }
      return record(drafts);
    });
    // A slow write in flight, so both replacements queue behind it and go in one batch.
    const slow = approve(ids[1], { person: newPerson() });
    await firstWrite;
    const results = await Promise.all([approve(ids[2], { person, replaces: replaced }), approve(ids[3], { person, replaces: replaced })]);
    expect((await slow).statusCode).toBe(201);
    expect(batches).toEqual([1, 2, 1]); // the loser went once more, alone
    const [won, lost] = results[0].statusCode === 201 ? results : [results[1], results[0]];
    expect(won.statusCode).toBe(201);
    expect(won.json().replacedCredentialId).toBe(replaced);
    expect(lost.statusCode).toBe(409);
    expect(lost.json().error.code).toBe('replacement_unconfirmed');
    expect(lost.json().error.message).toContain(won.json().credentialId);
  });
});

describe('GroupCommit', () => {
  it('writes a retried approval alone, not in the batch that queued meanwhile', async () => {
    type Named = ApprovalDraft & { name: string };
    const named = (name: string): Named => ({ name, build: async () => ({}) as never });
    const batches: string[][] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const conflict = new Error('shared-batch conflict');
    const commit = new GroupCommit(
      async (drafts) => {
        const names = (drafts as Named[]).map((d) => d.name);
        batches.push(names);
        if (batches.length === 1) await held;
        return names.map((n, i): ApprovalOutcome => (batches.length === 1 && n === 'b' ? { ok: false, error: conflict } : { ok: true, leafIndex: batches.length * 10 + i }));
      },
      { retryOnce: (err) => err === conflict },
    );
    const first = [commit.submit(named('a')), commit.submit(named('b'))];
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const later = [commit.submit(named('c')), commit.submit(named('d'))];
    release();
    expect(await Promise.all([...first, ...later])).toEqual([10, 20, 30, 31]);
    expect(batches).toEqual([['a', 'b'], ['b'], ['c', 'd']]);
  });
});
