import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { IssuerTree } from '@zkkyc/tree';
import { newPerson } from './support/people.js';
import { makeHolder } from './support/holder.js';
import { apply, nextYear, reviewer, startService, testConfig } from './support/service.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import { ConfigError, loadConfig } from '../src/config.js';
import type { IssuerService } from '../src/issuer-service.js';

/**
 * A full tree must not brick the service: the approval that would go past capacity is refused
 * before anything is written (409 `tree_full`, rule `tree-capacity`), and a service whose tree is
 * exactly full still starts. Production depths are 20 and 32 (the circuits that exist); the tests
 * build a depth-2 tree (4 leaves) through the config object, the seam `createIssuerService` takes.
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('ISSUER_TREE_DEPTH', () => {
  const base = { ISSUER_KEY_SECRET: 'Tq8#vX2!mK9$pL4@wR7z' };
  it('accepts the depths a circuit exists for and refuses odd and other depths, naming the variable and the rule', () => {
    expect(loadConfig({ ...base, ISSUER_TREE_DEPTH: '20' }).treeDepth).toBe(20);
    expect(loadConfig({ ...base, ISSUER_TREE_DEPTH: '32' }).treeDepth).toBe(32);
    expect(loadConfig(base).treeDepth).toBe(32);
    for (const bad of ['31', '21', '1', '3', '2', '16', '0', '33', '64']) {
      expect(() => loadConfig({ ...base, ISSUER_TREE_DEPTH: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, ISSUER_TREE_DEPTH: bad })).toThrow(/^ISSUER_TREE_DEPTH: .*(20|32)/);
    }
  });
});

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('a full issuer tree on %s', (_name, backend: TestBackend) => {
  let config: ReturnType<typeof testConfig>;
  beforeAll(async () => {
    const db = await backend.freshDatabase();
    cleanups.push(db.cleanup);
    config = testConfig(db.config.databasePath, { ...db.config, treeDepth: 2 });
  });

  async function open(): Promise<IssuerService> {
    const service = await startService(config);
    cleanups.push(() => service.close());
    return service;
  }

  async function applied(service: IssuerService) {
    const res = await apply(service, makeHolder());
    expect(res.statusCode).toBe(201);
    return res.json as { id: string; accessToken: string };
  }

  const approve = (service: IssuerService, id: string) =>
    service.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: reviewer, payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } } });

  it('refuses the approval past capacity with 409 naming the rule, writes nothing, and restarts with the full tree', async () => {
    let service = await open();
    const issued: Array<{ credentialId: string; token: string }> = [];
    for (let i = 0; i < 4; i++) {
      const a = await applied(service);
      const res = await approve(service, a.id);
      expect(res.statusCode).toBe(201);
      issued.push({ credentialId: res.json().credentialId, token: a.accessToken });
    }
    const fifth = await applied(service);
    const before = await service.store.rowCounts();
    const root = service.tree.root;
    const refused = await approve(service, fifth.id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'tree_full', rule: 'tree-capacity' });
    expect(refused.json().error.message).toMatch(/4/);
    expect(await service.store.rowCounts()).toEqual(before);
    expect(service.tree.root).toBe(root);
    expect((await service.store.getApplication(fifth.id))!.status).toBe('pending');
    expect((await service.app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ leafCount: 4, capacity: 4, treeFull: true });

    // It can still be rejected, and everything already issued still serves its path.
    await service.close();
    cleanups.pop();
    service = await open();
    expect(service.tree.size).toBe(4);
    expect((await service.app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ status: 'ok', leafCount: 4, treeFull: true });
    const again = await approve(service, fifth.id);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('tree_full');
    for (const c of issued) {
      const path = await service.app.inject({ method: 'GET', url: `/credentials/${c.credentialId}/proof`, headers: { authorization: `Bearer ${c.token}` } });
      expect(path.statusCode).toBe(200);
      const p = path.json();
      expect(IssuerTree.verifyProof({ root: BigInt(p.root), leaf: BigInt(p.leaf), index: p.leafIndex, siblings: p.siblings.map((l: string[]) => l.map(BigInt)) }, 2)).toBe(true);
    }
    const rejected = await service.app.inject({ method: 'POST', url: `/applications/${fifth.id}/reject`, headers: reviewer, payload: { reason: 'tree full' } });
    expect(rejected.statusCode).toBe(200);
  });

  it('still starts on a database an older version filled past capacity, keeping the extra credential out of the tree', async () => {
    // The old bug committed the approval past capacity (then answered 500); a depth-4 tree with
    // five leaves reopened at depth 2 is that database.
    const db = await backend.freshDatabase();
    cleanups.push(db.cleanup);
    const roomy = await startService(testConfig(db.config.databasePath, { ...db.config, treeDepth: 4 }));
    const issued: Array<{ credentialId: string; token: string }> = [];
    for (let i = 0; i < 5; i++) {
      const a = await applied(roomy);
      const res = await approve(roomy, a.id);
      expect(res.statusCode).toBe(201);
      issued.push({ credentialId: res.json().credentialId, token: a.accessToken });
    }
    await roomy.close();

    // Reopening at another depth is refused unless a rebuild is asked for (rule tree-depth-fixed).
    await expect(startService(testConfig(db.config.databasePath, { ...db.config, treeDepth: 2 }))).rejects.toThrow(/rule tree-depth-fixed/);
    const service = await startService(testConfig(db.config.databasePath, { ...db.config, treeDepth: 2, treeRebuildDepth: 2 }));
    cleanups.push(() => service.close());
    expect(service.tree.size).toBe(4);
    expect((await service.app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ status: 'ok', leafCount: 4, treeFull: true });
    const outside = issued[4];
    const path = await service.app.inject({ method: 'GET', url: `/credentials/${outside.credentialId}/proof`, headers: { authorization: `Bearer ${outside.token}` } });
    expect(path.statusCode).toBe(409);
    expect(path.json().error).toMatchObject({ code: 'leaf_outside_tree', rule: 'tree-capacity' });
    // It can (and should) be revoked; the tree is unchanged by that.
    const root = service.tree.root;
    const revoked = await service.app.inject({ method: 'POST', url: `/credentials/${outside.credentialId}/revoke`, headers: reviewer, payload: { reason: 'issued past capacity' } });
    expect(revoked.statusCode).toBe(200);
    expect(service.tree.root).toBe(root);
    const inside = await service.app.inject({ method: 'GET', url: `/credentials/${issued[3].credentialId}/proof`, headers: { authorization: `Bearer ${issued[3].token}` } });
    expect(inside.statusCode).toBe(200);
  });
});
