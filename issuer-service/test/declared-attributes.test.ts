import { afterEach, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { verifyKycCredential } from '@zkkyc/credentials';
import { loadConfig } from '../src/config.js';
import type { IssuerService } from '../src/issuer-service.js';
import { makeHolder, makeSecp256k1Holder } from './support/holder.js';
import { newPerson } from './support/people.js';
import { apply, nextYear, OTHER_REVIEWER_KEY, REVIEWER_KEY, startService, tempDir, testConfig } from './support/service.js';

/**
 * What the applicant declares and what the reviewer sets (issue 13, item 8): an application names
 * no KYC level, the reviewer's proposal sets it (a change from the declaration, so four eyes), and
 * the routes the reviewer console reads — the latest proposal of any application, each
 * application's credential state — answer as documented. Dev auto-approval gives the configured level.
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

describe('the applicant declares, the reviewer sets the KYC level', () => {
  it('stores an application without a level; one key cannot set it alone; a proposal and another key issue it', async () => {
    const s = await service();
    const applied = await apply(s, makeHolder(), { attributes: DECLARED });
    expect(applied.statusCode).toBe(201);
    const id = applied.json.id as string;
    const read = await s.app.inject({ method: 'GET', url: `/applications/${id}`, headers: alice });
    expect(read.json().attributes).toEqual(DECLARED);

    // No level anywhere: the approval says which field and rule.
    const none = await s.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: bob, payload: { expiryDate: nextYear(), person: newPerson() } });
    expect(none.statusCode).toBe(400);
    expect(none.json().error).toMatchObject({ field: 'attributes.kycLevel', rule: 'required' });
    // Setting it at approval is a change from the declaration: four eyes.
    const alone = await s.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: bob, payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } } });
    expect(alone.statusCode).toBe(409);
    expect(alone.json().error).toMatchObject({ code: 'proposal_required', field: 'attributes', rule: 'four-eyes' });

    // The latest proposal, for the console's approver: none yet, then alice's.
    const before = await s.app.inject({ method: 'GET', url: `/applications/${id}/proposal`, headers: bob });
    expect(before.statusCode).toBe(404);
    expect(before.json().error).toMatchObject({ code: 'not_found', field: 'proposal' });
    const proposed = await s.app.inject({ method: 'POST', url: `/applications/${id}/proposal`, headers: alice, payload: { person: newPerson(), attributes: { kycLevel: 2 } } });
    expect(proposed.statusCode).toBe(201);
    const latest = await s.app.inject({ method: 'GET', url: `/applications/${id}/proposal`, headers: bob });
    expect(latest.json()).toMatchObject({ id: proposed.json().id, reviewer: 'alice', changedAttributes: ['kycLevel'], attributes: { ...DECLARED, kycLevel: 2 } });

    const own = await s.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: alice, payload: { expiryDate: nextYear(), proposalId: proposed.json().id } });
    expect(own.statusCode).toBe(403);
    expect(own.json().error).toMatchObject({ code: 'four_eyes', field: 'x-api-key', rule: 'four-eyes' });
    const approved = await s.app.inject({ method: 'POST', url: `/applications/${id}/approve`, headers: bob, payload: { expiryDate: nextYear(), proposalId: proposed.json().id } });
    expect(approved.statusCode).toBe(201);
    expect(approved.json()).toMatchObject({ status: 'approved', credentialStatus: 'active', credentialExpiryDate: nextYear() });

    // The credential's state follows a revocation in the application view.
    await s.app.inject({ method: 'POST', url: `/credentials/${approved.json().credentialId}/revoke`, headers: bob, payload: { reason: 'test' } });
    const list = await s.app.inject({ method: 'GET', url: '/applications?status=approved', headers: alice });
    expect(list.json().items).toEqual([expect.objectContaining({ id, credentialStatus: 'revoked' })]);
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

  it('still accepts a level from older clients, kept as the applicant\'s request', async () => {
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

  it('refuses a level outside 0..255, naming the variable', () => {
    expect(() => loadConfig({ ZKKYC_DEV: '1', AUTO_APPROVE: '1', AUTO_APPROVE_KYC_LEVEL: '256' })).toThrow(/^AUTO_APPROVE_KYC_LEVEL: must be between 0 and 255/);
    expect(loadConfig({ ZKKYC_DEV: '1', AUTO_APPROVE: '1' }).autoApproveKycLevel).toBe(1);
  });
});
