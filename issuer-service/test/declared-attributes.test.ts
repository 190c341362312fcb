import { afterEach, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { verifyKycCredential } from '@zkkyc/credentials';
import { loadConfig } from '../src/config.js';
import type { IssuerService } from '../src/issuer-service.js';
import { makeHolder, makeSecp256k1Holder } from './support/holder.js';
import { newPerson } from './support/people.js';
import { apply, nextYear, OTHER_REVIEWER_KEY, REVIEWER_KEY, startService, tempDir, testConfig } from './support/service.js';

/**
 * What the applicant declares and what the reviewer finds (issue 13, item 8, and review finding H1):
 * the KYC level is the reviewer's finding, never the applicant's declaration. An application may
 * still carry a level from an older client — kept as the applicant's request, shown, never issued.
 * Every approval takes the level from the reviewer (the proposal, or the approval's own
 * `attributes.kycLevel`), dev auto-approval from AUTO_APPROVE_KYC_LEVEL. Four eyes stay about the
 * declared values: setting the level is not a change of a declaration.
 */
const DECLARED = { jurisdiction: 'FR', birthDate: '1990-04-12', investorClasses: ['professional-eu'] };
const alice = { 'x-api-key': REVIEWER_KEY };
const bob = { 'x-api-key': OTHER_REVIEWER_KEY };
const REVOKER_ONLY_KEY = 'Vb3xq8LdN2mT6pR0sKw4yZc7HfJ1gUeA';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Alice and Bob, each with every role (test/support/service.ts). */
async function service(): Promise<IssuerService> {
  const tmp = tempDir();
  const started = await startService(testConfig(tmp.dbPath));
  cleanups.push(tmp.cleanup, () => started.close());
  return started;
}

/** The KYC level the holder's issued VC carries, read the way the holder reads it. */
async function issuedLevel(s: IssuerService, applied: { json: { credentialId?: string; accessToken: string } }, credentialId = applied.json.credentialId): Promise<unknown> {
  const cred = await s.app.inject({ method: 'GET', url: `/credentials/${credentialId}`, headers: { authorization: `Bearer ${applied.json.accessToken}` } });
  expect(cred.statusCode).toBe(200);
  const verified = await verifyKycCredential(cred.json().vc, { issuerDid: s.issuerDid });
  expect(verified.verified).toBe(true);
  return (verified.credential!.credentialSubject as { kycLevel?: unknown }).kycLevel;
}

describe('the applicant declares, the reviewer sets the KYC level', () => {
  it('refuses a proposal recorded before reviewers set the level (its level may be the request): proposal_outdated, nothing written', async () => {
    const s = await service();
    const applied = await apply(s, makeHolder(), { attributes: { ...DECLARED, kycLevel: 4 } });
    const id = applied.json.id as string;
    // What an older version stored when the reviewer left the level out: the request, filled in.
    // Rows from before migration 8 read back with levelFromReviewer false, as this one does.
    const now = Date.now();
    const old = await s.store.recordProposal(
      { applicationId: id, reviewer: 'alice', attributes: { ...DECLARED, kycLevel: 4 }, personKey: 'pk-old', sealedPerson: null, reason: null, proposedAt: now },
      { at: now, actor: 'alice', role: 'reviewer', action: 'propose', subjectType: 'application', subjectId: id, detail: {} },
    );
    expect((await s.store.latestProposal(id))!.levelFromReviewer).toBe(false);
    const before = await s.store.rowCounts();
    const res = await s.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: bob, payload: { expiryDate: nextYear(), proposalId: old } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'proposal_outdated', field: 'proposalId', rule: 'reviewer-sets' });
    expect(await s.store.rowCounts()).toEqual(before);
    // A proposal recorded now says the reviewer set the level.
    const fresh = await s.app.inject({ method: 'POST', url: `/applications/${id}/proposal`, headers: alice, payload: { person: newPerson(), attributes: { kycLevel: 2 } } });
    expect(fresh.statusCode).toBe(201);
    expect((await s.store.latestProposal(id))!.levelFromReviewer).toBe(true);
  });

  it('never issues the level an applicant asked for: an approval that sets none is refused and writes nothing', async () => {
    const s = await service();
    const applied = await apply(s, makeHolder(), { attributes: { ...DECLARED, kycLevel: 4 } });
    expect(applied.statusCode).toBe(201);
    const id = applied.json.id as string;

    // Path A of the review: one key, no proposal, no level → the applicant's 4 would have been issued.
    const before = await s.store.rowCounts();
    const none = await s.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: alice, payload: { expiryDate: nextYear(), person: newPerson() } });
    expect(none.statusCode).toBe(422);
    expect(none.json().error).toMatchObject({ field: 'attributes.kycLevel', rule: 'reviewer-sets' });
    expect(none.json().error.message).toMatch(/reviewer's finding/);
    expect(await s.store.rowCounts()).toEqual(before);
    expect((await s.store.getApplication(id))!.status).toBe('pending');

    // A proposal that sets no level is refused the same way, and records nothing.
    const unset = await s.app.inject({ method: 'POST', url: `/applications/${id}/proposal`, headers: alice, payload: { person: newPerson() } });
    expect(unset.statusCode).toBe(422);
    expect(unset.json().error).toMatchObject({ field: 'attributes.kycLevel', rule: 'reviewer-sets' });
    expect(await s.store.rowCounts()).toEqual(before);

    // The same key setting the level itself, declared values unchanged: one step, the reviewer's level.
    const approved = await s.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: alice, payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } } });
    expect(approved.statusCode).toBe(201);
    expect(await issuedLevel(s, applied, approved.json().credentialId)).toBe(2);
    // The request stays visible as what it is; the audit trail records no "change" of a declaration.
    const read = await s.app.inject({ method: 'GET', url: `/applications/${id}`, headers: alice });
    expect(read.json().attributes).toEqual({ ...DECLARED, kycLevel: 4 });
    const audit = await s.app.inject({ method: 'GET', url: `/audit?subjectId=${id}`, headers: alice });
    expect(audit.json().items.find((e: { action: string }) => e.action === 'approve').detail).toMatchObject({ changedAttributes: [], attributes: { kycLevel: 2 } });
  });

  it('stores an application without a level; a proposal sets it, and four eyes apply only to changed declarations', async () => {
    const s = await service();
    const applied = await apply(s, makeHolder(), { attributes: DECLARED });
    expect(applied.statusCode).toBe(201);
    const id = applied.json.id as string;
    const read = await s.app.inject({ method: 'GET', url: `/applications/${id}`, headers: alice });
    expect(read.json().attributes).toEqual(DECLARED);

    // The latest proposal, for the console's approver: none yet, then alice's.
    const before = await s.app.inject({ method: 'GET', url: `/applications/${id}/proposal`, headers: bob });
    expect(before.statusCode).toBe(404);
    expect(before.json().error).toMatchObject({ code: 'not_found', field: 'proposal' });
    // Alice verified another jurisdiction: a changed declaration, so someone else approves.
    const proposed = await s.app.inject({ method: 'POST', url: `/applications/${id}/proposal`, headers: alice, payload: { person: newPerson(), attributes: { kycLevel: 3, jurisdiction: 'DE' } } });
    expect(proposed.statusCode).toBe(201);
    const latest = await s.app.inject({ method: 'GET', url: `/applications/${id}/proposal`, headers: bob });
    expect(latest.json()).toMatchObject({
      id: proposed.json().id,
      reviewer: 'alice',
      changedAttributes: ['jurisdiction'],
      changesAttributes: true,
      attributes: { ...DECLARED, jurisdiction: 'DE', kycLevel: 3 },
    });

    const own = await s.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: alice, payload: { expiryDate: nextYear(), proposalId: proposed.json().id } });
    expect(own.statusCode).toBe(403);
    expect(own.json().error).toMatchObject({ code: 'four_eyes', field: 'x-api-key', rule: 'four-eyes' });
    // The approver cannot swap the proposed level for another.
    const swapped = await s.app.inject({
      method: 'POST',
      url: `/applications/${id}/approve`,
      headers: bob,
      payload: { expiryDate: nextYear(), proposalId: proposed.json().id, attributes: { kycLevel: 4 } },
    });
    expect(swapped.statusCode).toBe(409);
    expect(swapped.json().error).toMatchObject({ code: 'proposal_mismatch', field: 'attributes' });
    const approved = await s.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: bob, payload: { expiryDate: nextYear(), proposalId: proposed.json().id } });
    expect(approved.statusCode).toBe(201);
    expect(approved.json()).toMatchObject({ status: 'approved', credentialStatus: 'active', credentialExpiryDate: nextYear() });
    expect(await issuedLevel(s, applied, approved.json().credentialId)).toBe(3);

    // The credential's state follows a revocation in the application view.
    await s.app.inject({ method: 'POST', url: `/credentials/${approved.json().credentialId}/revoke`, headers: bob, payload: { reason: 'test' } });
    const list = await s.app.inject({ method: 'GET', url: '/applications?status=approved', headers: alice });
    expect(list.json().items).toEqual([expect.objectContaining({ id, credentialStatus: 'revoked' })]);
  });

  it('lets the proposer approve a proposal that only sets the level (nothing declared changed)', async () => {
    const s = await service();
    const applied = await apply(s, makeHolder(), { attributes: { ...DECLARED, kycLevel: 4 } });
    const id = applied.json.id as string;
    const proposed = await s.app.inject({ method: 'POST', url: `/applications/${id}/proposal`, headers: alice, payload: { person: newPerson(), attributes: { kycLevel: 1 } } });
    expect(proposed.statusCode).toBe(201);
    expect(proposed.json()).toMatchObject({ changedAttributes: [], changesAttributes: false, attributes: { kycLevel: 1 } });
    const approved = await s.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: alice, payload: { expiryDate: nextYear(), proposalId: proposed.json().id } });
    expect(approved.statusCode).toBe(201);
    expect(await issuedLevel(s, applied, approved.json().credentialId)).toBe(1);
  });

  it('lets only reviewer, approver or admin keys read a proposal, and answers 404 for an unknown application', async () => {
    const tmp = tempDir();
    const s = await startService(testConfig(tmp.dbPath, { reviewers: [...testConfig(tmp.dbPath).reviewers, { name: 'vera', apiKey: REVOKER_ONLY_KEY, roles: ['revoker'] }] }));
    cleanups.push(tmp.cleanup, () => s.close());
    const applied = await apply(s, makeHolder(), { attributes: DECLARED });
    const refused = await s.app.inject({ method: 'GET', url: `/applications/${applied.json.id}/proposal`, headers: { 'x-api-key': REVOKER_ONLY_KEY } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'missing_role', field: 'x-api-key' });
    const unknown = await s.app.inject({ method: 'GET', url: '/applications/00000000-0000-4000-8000-000000000000/proposal', headers: alice });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'not_found', field: 'id' });
  });

  it("still accepts a level from older clients, kept as the applicant's request", async () => {
    const s = await service();
    const applied = await apply(s, makeHolder(), { attributes: { ...DECLARED, kycLevel: 3 } });
    expect(applied.statusCode).toBe(201);
    const read = await s.app.inject({ method: 'GET', url: `/applications/${applied.json.id}`, headers: alice });
    expect(read.json().attributes).toEqual({ ...DECLARED, kycLevel: 3 });
  });
});

describe('dev auto-approval', () => {
  async function devService(env: Record<string, string>) {
    const tmp = tempDir();
    const s = await startService(loadConfig({ ZKKYC_DEV: '1', AUTO_APPROVE: '1', DATABASE_PATH: tmp.dbPath, PUBLISH_INTERVAL_SECONDS: '0', ...env }));
    cleanups.push(tmp.cleanup, () => s.close());
    return s;
  }

  it('gives the configured AUTO_APPROVE_KYC_LEVEL to an application that names none', async () => {
    const s = await devService({ AUTO_APPROVE_KYC_LEVEL: '3' });
    const holder = makeSecp256k1Holder();
    const applied = await apply(s, holder, { attributes: DECLARED });
    expect(applied.json).toMatchObject({ status: 'approved' });
    const cred = await s.app.inject({ method: 'GET', url: `/credentials/${applied.json.credentialId}`, headers: { authorization: `Bearer ${applied.json.accessToken}` } });
    const verified = await verifyKycCredential(cred.json().vc, { issuerDid: s.issuerDid });
    expect(verified.credential!.credentialSubject).toMatchObject({ kycLevel: 3 });
  });

  it('ignores the level an applicant asks for: AUTO_APPROVE_KYC_LEVEL, always', async () => {
    const s = await devService({ AUTO_APPROVE_KYC_LEVEL: '2' });
    const applied = await apply(s, makeSecp256k1Holder(), { attributes: { ...DECLARED, kycLevel: 3 } });
    expect(applied.json).toMatchObject({ status: 'approved' });
    expect(await issuedLevel(s, applied)).toBe(2);
  });

  it('refuses a level outside 0..255, naming the variable', () => {
    expect(() => loadConfig({ ZKKYC_DEV: '1', AUTO_APPROVE: '1', AUTO_APPROVE_KYC_LEVEL: '256' })).toThrow(/^AUTO_APPROVE_KYC_LEVEL: must be between 0 and 255/);
    expect(loadConfig({ ZKKYC_DEV: '1', AUTO_APPROVE: '1' }).autoApproveKycLevel).toBe(1);
  });
});
