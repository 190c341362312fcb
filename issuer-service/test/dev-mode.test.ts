import { afterEach, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { verifyKycCredential } from '@zkkyc/credentials';
import { makeSecp256k1Holder } from './support/holder.js';
import { apply, startService, tempDir, testConfig } from './support/service.js';
import { loadConfig } from '../src/config.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function devService() {
  const tmp = tempDir();
  const config = { ...loadConfig({ ZKKYC_DEV: '1', AUTO_APPROVE: '1', DATABASE_PATH: tmp.dbPath, PUBLISH_INTERVAL_SECONDS: '0' }) };
  const service = await startService(config);
  cleanups.push(tmp.cleanup, () => service.close());
  return service;
}

describe('dev mode and interoperability', () => {
  it('auto-approves in dev mode so a wallet can walk the story alone', async () => {
    const service = await devService();
    const holder = makeSecp256k1Holder();
    const applied = await apply(service, holder, { attributes: { jurisdiction: 'DE', birthDate: '1980-01-01', investorClasses: ['retail'] } });
    expect(applied.statusCode).toBe(201);
    expect(applied.json).toMatchObject({ status: 'approved', credentialId: expect.any(String) });
    const cred = await service.app.inject({
      method: 'GET',
      url: `/credentials/${applied.json.credentialId}`,
      headers: { authorization: `Bearer ${applied.json.accessToken}` },
    });
    const verified = await verifyKycCredential(cred.json().vc, { issuerDid: service.issuerDid });
    expect(verified.verified).toBe(true);
    // No level requested: dev auto-approval uses 1.
    expect(verified.credential!.credentialSubject).toMatchObject({ jurisdiction: 'DE', kycLevel: 1, id: holder.did });
    const view = await service.app.inject({ method: 'GET', url: `/applications/${applied.json.id}`, headers: { authorization: `Bearer ${applied.json.accessToken}` } });
    expect(view.json().decisions).toEqual([expect.objectContaining({ action: 'approve', reviewer: 'auto-approve (dev)' })]);
    // Labelled in the audit trail too, and unbound to a person (dev only).
    const audit = await service.app.inject({ method: 'GET', url: '/audit', headers: { 'x-api-key': 'dev-reviewer-key' } });
    expect(audit.json().items).toEqual([
      expect.objectContaining({ actor: 'auto-approve (dev)', role: 'dev-auto-approve', action: 'approve', detail: expect.objectContaining({ dev: true, personBound: false }) }),
    ]);
  });

  it('accepts secp256k1 did:key holders and an aud equal to the issuer DID', async () => {
    const tmp = tempDir();
    const service = await startService(testConfig(tmp.dbPath));
    cleanups.push(tmp.cleanup, () => service.close());
    const holder = makeSecp256k1Holder();
    const ch = await service.app.inject({ method: 'POST', url: '/challenges', payload: { did: holder.did } });
    const nonce = ch.json().nonce;
    const res = await service.app.inject({
      method: 'POST',
      url: '/applications',
      payload: {
        did: holder.did,
        challenge: nonce,
        signature: await holder.sign(nonce, { aud: service.issuerDid }),
        identityCommitment: holder.idc.toString(),
        attributes: { jurisdiction: 'FR', birthDate: '1990-01-01', investorClasses: [] },
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().status).toBe('pending');
  });

  it('serves the OpenAPI document at /docs and answers CORS preflights in dev mode', async () => {
    const service = await devService();
    const spec = await service.app.inject({ method: 'GET', url: '/docs/json' });
    expect(spec.statusCode).toBe(200);
    const paths = Object.keys(spec.json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/challenges',
        '/applications',
        '/applications/{id}',
        '/applications/{id}/approve',
        '/applications/{id}/reject',
        '/credentials/{id}',
        '/credentials/{id}/proof',
        '/credentials/{id}/status',
        '/credentials/{id}/revoke',
        '/tree/leaves',
        '/tree/roots',
        '/tree/publish',
        '/health',
        '/applications/{id}/proposal',
        '/audit',
        '/reviewers/me',
      ]),
    );
    // New fields are in the document: the person, the proposal approved and the credential replaced on approvals, the roles of a key.
    const approveBody = spec.json().paths['/applications/{id}/approve'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(approveBody.properties)).toEqual(['attributes', 'expiryDate', 'person', 'proposalId', 'replaces']);
    expect(approveBody.properties.person.required).toEqual(['documentType', 'issuingCountry', 'documentNumber', 'familyName', 'givenNames', 'birthDate']);
    expect(spec.json().paths['/applications/{id}/proposal'].post.requestBody.content['application/json'].schema.required).toEqual(['person']);
    expect((await service.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
    const preflight = await service.app.inject({
      method: 'OPTIONS',
      url: '/applications',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    const unknown = await service.app.inject({ method: 'GET', url: '/nope' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('route_not_found');
  });
});
