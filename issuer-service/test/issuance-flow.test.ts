import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { leafFromCredential, verifyKycCredential } from '@zkkyc/credentials';
import { IssuerTree } from '@zkkyc/tree';
import { makeHolder } from './support/holder.js';
import { newPerson } from './support/people.js';
import { apply, ISSUED_ATTRIBUTES, nextYear, RecordingRootAnchor, reviewer, startService, testConfig } from './support/service.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import type { IssuerService } from '../src/issuer-service.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

// Set per backend by the describe.each below.
let backend: TestBackend;

/** Config over a fresh database of the current backend. */
async function freshConfig() {
  const db = await backend.freshDatabase();
  cleanups.push(db.cleanup);
  return testConfig(db.config.databasePath, db.config);
}

async function fresh(anchor?: RecordingRootAnchor) {
  const config = await freshConfig();
  const service = await startService(config, { anchor });
  cleanups.push(() => service.close());
  return { config, service };
}

async function approveOne(service: IssuerService) {
  const holder = makeHolder();
  const applied = await apply(service, holder);
  expect(applied.statusCode).toBe(201);
  const approved = await service.app.inject({
    method: 'POST',
    url: `/applications/${applied.json.id}/approve`,
    headers: reviewer,
    payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } },
  });
  expect(approved.statusCode).toBe(201);
  return { holder, applicationId: applied.json.id as string, token: applied.json.accessToken as string, ...approved.json() };
}

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('issuer service on %s: apply → approve → fetch → revoke', (_name, b: TestBackend) => {
  beforeAll(() => {
    backend = b;
  });

  it('issues a VC that verifies, whose leaf is in the tree and whose proof verifies against the published root', async () => {
    const anchor = new RecordingRootAnchor();
    const { service } = await fresh(anchor);
    const holder = makeHolder();

    const applied = await apply(service, holder);
    expect(applied.statusCode).toBe(201);
    expect(applied.json.status).toBe('pending');
    const auth = { authorization: `Bearer ${applied.json.accessToken}` };

    const pending = await service.app.inject({ method: 'GET', url: '/applications?status=pending', headers: reviewer });
    expect(pending.statusCode).toBe(200);
    expect(pending.json().items.map((a: { id: string }) => a.id)).toEqual([applied.json.id]);

    const expiryDate = nextYear();
    const approved = await service.app.inject({
      method: 'POST',
      url: `/applications/${applied.json.id}/approve`,
      headers: reviewer,
      payload: { expiryDate, person: newPerson(), attributes: { kycLevel: 2 } },
    });
    expect(approved.statusCode).toBe(201);
    const { credentialId, leafIndex } = approved.json();
    expect(leafIndex).toBe(0);
    expect(approved.json()).toMatchObject({ id: applied.json.id, status: 'approved', did: holder.did });

    const view = await service.app.inject({ method: 'GET', url: `/applications/${applied.json.id}`, headers: auth });
    expect(view.json()).toMatchObject({ status: 'approved', credentialId, decisions: [{ action: 'approve', reviewer: 'alice', reason: null }] });

    const fetched = await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}`, headers: auth });
    expect(fetched.statusCode).toBe(200);
    const body = fetched.json();
    const verified = await verifyKycCredential(body.vc, { issuerDid: service.issuerDid });
    expect(verified.error).toBeUndefined();
    expect(verified.verified).toBe(true);
    expect(verified.credential!.credentialSubject).toMatchObject({
      id: holder.did,
      ...ISSUED_ATTRIBUTES,
      expiryDate,
      identityCommitment: holder.idc.toString(),
      leafIndex: 0,
    });
    // The VC and the leaf describe the same facts: the leaf recomputes from the VC and the salt.
    const leaf = leafFromCredential(verified.credential!, BigInt(body.salt));
    expect(leaf.toString()).toBe(body.leaf);
    expect((await service.tree.proof(0)).leaf).toBe(leaf);

    await service.publisher!.publishNow();
    const proofRes = await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}/proof`, headers: auth });
    expect(proofRes.statusCode).toBe(200);
    const p = proofRes.json();
    const siblings = (p.siblings as string[][]).map((level) => level.map(BigInt));
    const proof = { root: BigInt(p.root), leaf: BigInt(p.leaf), index: p.leafIndex, siblings };
    // Quaternary depth-32 tree: 16 levels of 3 siblings, each a decimal string.
    expect(proof.siblings).toHaveLength(16);
    for (const level of p.siblings) {
      expect(level).toHaveLength(3);
      for (const s of level) expect(s).toMatch(/^\d+$/);
    }
    expect(IssuerTree.verifyProof(proof, 32)).toBe(true);
    expect(p.rootPublished).toBe(true);
    expect(BigInt(p.publishedRoot.root)).toBe(anchor.published[0].root);

    const status = await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}/status` });
    expect(status.json()).toEqual({ id: credentialId, status: 'active', revokedAt: null });
    const leaves = await service.app.inject({ method: 'GET', url: '/tree/leaves?offset=0&limit=10' });
    expect(leaves.json()).toMatchObject({ total: 1, offset: 0, leaves: [body.leaf] });
  });

  it('serves the credential and path only to the holder', async () => {
    const { service } = await fresh();
    const { credentialId, token } = await approveOne(service);
    const other = await approveOne(service);
    const noToken = await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}` });
    expect(noToken.statusCode).toBe(401);
    expect(noToken.json().error).toMatchObject({ code: 'missing_token', field: 'authorization' });
    const wrongToken = await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}`, headers: { authorization: `Bearer ${other.token}` } });
    expect(wrongToken.statusCode).toBe(404);
    const byReviewer = await service.app.inject({ method: 'GET', url: `/applications/${other.applicationId}`, headers: reviewer });
    expect(byReviewer.json()).toMatchObject({ id: other.applicationId, status: 'approved' });
    const reviewerUnknown = await service.app.inject({ method: 'GET', url: '/applications/00000000-0000-4000-8000-000000000000', headers: reviewer });
    expect(reviewerUnknown.statusCode).toBe(404);
    const reviewerRead = await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}`, headers: reviewer });
    expect(reviewerRead.statusCode).toBe(403);
    expect(reviewerRead.json().error.code).toBe('holder_only');
    const mine = await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}`, headers: { authorization: `Bearer ${token}` } });
    expect(mine.statusCode).toBe(200);
  });

  it('rejects an application: decision recorded with reviewer and reason, nothing issued', async () => {
    const { service } = await fresh();
    const holder = makeHolder();
    const applied = await apply(service, holder);
    const before = await service.store.rowCounts();
    const reason = "documents don't match'; DROP TABLE credentials; --";
    const res = await service.app.inject({
      method: 'POST',
      url: `/applications/${applied.json.id}/reject`,
      headers: { 'x-api-key': 'Zwoq5CGjzpUyv40qV56HHFAUbFQZwspu' },
      payload: { reason },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: applied.json.id, status: 'rejected' });
    const view = await service.app.inject({ method: 'GET', url: `/applications/${applied.json.id}`, headers: { authorization: `Bearer ${applied.json.accessToken}` } });
    // The SQL-looking reason is stored verbatim (parameterised queries) and the tables are intact.
    expect(view.json()).toMatchObject({ status: 'rejected', decisions: [{ action: 'reject', reviewer: 'bob', reason }] });
    expect(await service.store.rowCounts()).toEqual({ ...before, decisions: before.decisions + 1, audit_events: before.audit_events + 1 });
    expect(service.tree.size).toBe(0);

    const again = await service.app.inject({ method: 'POST', url: `/applications/${applied.json.id}/approve`, headers: reviewer, payload: { expiryDate: nextYear() } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'application_not_pending', field: 'id' });

    // A rejected holder may apply again.
    expect((await apply(service, holder)).statusCode).toBe(201);
  });

  it('revokes: status revoked, leaf zeroed in the tree and the export, root changed and re-published', async () => {
    const anchor = new RecordingRootAnchor();
    const { service } = await fresh(anchor);
    const first = await approveOne(service);
    const second = await approveOne(service);
    await service.publisher!.publishNow();
    const rootBefore = service.tree.root;

    const res = await service.app.inject({
      method: 'POST',
      url: `/credentials/${first.credentialId}/revoke`,
      headers: reviewer,
      payload: { reason: 'sanctions hit' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: first.credentialId, status: 'revoked' });
    expect(service.tree.root).not.toBe(rootBefore);
    expect(BigInt(res.json().root)).toBe(service.tree.root);

    const status = await service.app.inject({ method: 'GET', url: `/credentials/${first.credentialId}/status` });
    expect(status.json().status).toBe('revoked');
    const leaves = await service.app.inject({ method: 'GET', url: '/tree/leaves' });
    expect(leaves.json().leaves).toEqual(['0', second.leaf]);
    // The other holder's path still verifies against the new root.
    expect(IssuerTree.verifyProof(await service.tree.proof(1), 32)).toBe(true);
    const revokedProof = await service.app.inject({
      method: 'GET',
      url: `/credentials/${first.credentialId}/proof`,
      headers: { authorization: `Bearer ${first.token}` },
    });
    expect(revokedProof.statusCode).toBe(409);
    expect(revokedProof.json().error.code).toBe('credential_not_active');

    const outcome = await service.publisher!.publishNow();
    expect(outcome.status).toBe('published');
    expect(anchor.published.map((p) => p.root)).toEqual([rootBefore, service.tree.root]);

    const twice = await service.app.inject({ method: 'POST', url: `/credentials/${first.credentialId}/revoke`, headers: reviewer, payload: { reason: 'again' } });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error).toMatchObject({ code: 'credential_not_active', field: 'id' });
    expect(await service.store.listDecisions('credential', first.credentialId)).toHaveLength(1);
  });

  it('keeps the issuer DID, the tree and the credentials across a restart', async () => {
    const config = await freshConfig();
    const first = await startService(config);
    const a = await approveOne(first);
    const b = await approveOne(first);
    await first.app.inject({ method: 'POST', url: `/credentials/${a.credentialId}/revoke`, headers: reviewer, payload: { reason: 'test' } });
    const did = first.issuerDid;
    const root = first.tree.root;
    await first.close();

    const second = await startService(config);
    cleanups.push(() => second.close());
    expect(second.issuerDid).toBe(did);
    expect(second.tree.size).toBe(2);
    expect(second.tree.root).toBe(root);
    // The reopened issuer key still signs: a new credential verifies under the same DID.
    const c = await approveOne(second);
    expect(c.leafIndex).toBe(2);
    const fetched = await second.app.inject({ method: 'GET', url: `/credentials/${c.credentialId}`, headers: { authorization: `Bearer ${c.token}` } });
    expect((await verifyKycCredential(fetched.json().vc, { issuerDid: did })).verified).toBe(true);
    const old = await second.app.inject({ method: 'GET', url: `/credentials/${b.credentialId}/proof`, headers: { authorization: `Bearer ${b.token}` } });
    expect(old.statusCode).toBe(200);
  });
  it('serialises concurrent approvals: contiguous leaf indices, and one winner per application', async () => {
    const { service } = await fresh();
    const apps = await Promise.all([0, 1, 2, 3, 4].map(() => apply(service, makeHolder())));
    const approve = (id: string) =>
      service.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: reviewer, payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } } });
    const results = await Promise.all([...apps.map((a) => approve(a.json.id)), approve(apps[0].json.id)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 201, 201, 201, 201, 409]);
    const indices = results.filter((r) => r.statusCode === 201).map((r) => r.json().leafIndex);
    expect(indices.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(service.tree.size).toBe(5);
    expect((await service.store.rowCounts()).credentials).toBe(5);
  });
});
