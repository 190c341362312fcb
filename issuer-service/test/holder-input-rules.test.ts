import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import type { InjectOptions } from 'fastify';
import { newPerson } from './support/people.js';
import { makeHolder, makeSecp256k1Holder, type TestHolder } from './support/holder.js';
import { apply, GOOD_ATTRIBUTES, nextYear, reviewer, startService, testConfig } from './support/service.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import type { IssuerService } from '../src/issuer-service.js';

/**
 * Input the database cannot take (a NUL character: Postgres text refuses it) and DIDs spelled in
 * several ways. Both backends must answer the same: a 400 naming the field and the rule, and no
 * row changed; and one DID is one applicant however its case-insensitive parts are written.
 */
describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('holder and reviewer input on %s', (_name, backend: TestBackend) => {
  let service: IssuerService;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const db = await backend.freshDatabase();
    service = await startService(testConfig(db.config.databasePath, db.config));
    cleanup = async () => {
      await service.close();
      await db.cleanup();
    };
  });
  afterAll(async () => cleanup?.());

  async function expectRefused(request: InjectOptions, expected: { status: number; code: string; field: string; rule?: string }) {
    const before = await service.store.rowCounts();
    const res = await service.app.inject(request);
    expect({ status: res.statusCode, ...res.json().error }).toMatchObject(expected);
    expect(await service.store.rowCounts()).toEqual(before);
    return res.json().error;
  }

  async function nonceFor(did: string): Promise<string> {
    const res = await service.app.inject({ method: 'POST', url: '/challenges', payload: { did } });
    expect(res.statusCode).toBe(201);
    return res.json().nonce;
  }

  it('refuses a NUL character in challenge with a 400 naming the field and the rule', async () => {
    const holder = makeHolder();
    const nonce = await nonceFor(holder.did);
    const bad = `${nonce}\u0000`;
    const payload = { did: holder.did, challenge: bad, signature: await holder.sign(bad), identityCommitment: holder.idc.toString(), attributes: GOOD_ATTRIBUTES };
    const err = await expectRefused({ method: 'POST', url: '/applications', payload }, { status: 400, code: 'invalid_field', field: 'challenge' });
    expect(err.rule).toBeTruthy();
  });

  it('refuses a NUL character in a rejection or revocation reason with a 400 naming the field and the rule', async () => {
    const applied = await apply(service, makeHolder());
    expect(applied.statusCode).toBe(201);
    const err = await expectRefused(
      { method: 'POST', url: `/applications/${applied.json.id}/reject`, headers: reviewer, payload: { reason: 'forged\u0000papers' } },
      { status: 400, code: 'invalid_field', field: 'reason' },
    );
    expect(err.rule).toBeTruthy();
    expect((await service.store.getApplication(applied.json.id))!.status).toBe('pending');
    await expectRefused(
      { method: 'POST', url: `/applications/${applied.json.id}/proposal`, headers: reviewer, payload: { person: newPerson(), reason: 'checked\u0000' } },
      { status: 400, code: 'invalid_field', field: 'reason' },
    );
    expect(await service.store.latestProposal(applied.json.id)).toBeNull();

    const approved = await service.app.inject({
      method: 'POST',
      url: `/applications/${applied.json.id}/approve`,
      headers: reviewer,
      payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } },
    });
    expect(approved.statusCode).toBe(201);
    await expectRefused(
      { method: 'POST', url: `/credentials/${approved.json().credentialId}/revoke`, headers: reviewer, payload: { reason: '\u0000' } },
      { status: 400, code: 'invalid_field', field: 'reason' },
    );
  });

  describe('DID normalisation', () => {
    /** `did` spelled with the method (and scheme) in another case. */
    const shout = (did: string) => did.replace(/^did:([a-z]+):/, (_m, method: string) => `DID:${method.toUpperCase()}:`);

    it('stores a did:key under its lower-case method and treats case variants as one applicant', async () => {
      const holder = makeSecp256k1Holder();
      const variant: TestHolder = { ...holder, did: shout(holder.did) };
      const first = await apply(service, variant);
      expect(first.statusCode).toBe(201);
      const view = await service.app.inject({ method: 'GET', url: `/applications/${first.json.id}`, headers: { authorization: `Bearer ${first.json.accessToken}` } });
      expect(view.json().did).toBe(holder.did);
      // The same DID in its usual spelling: the pending application is found.
      const nonce = await nonceFor(holder.did);
      const payload = { did: holder.did, challenge: nonce, signature: await holder.sign(nonce), identityCommitment: holder.idc.toString(), attributes: GOOD_ATTRIBUTES };
      await expectRefused({ method: 'POST', url: '/applications', payload }, { status: 409, code: 'application_pending', field: 'did' });
    });

    it('keeps the did:key multibase case-sensitive: another case is another (invalid) key', async () => {
      const holder = makeHolder();
      const flipped = holder.did.slice(0, 9) + [...holder.did.slice(9)].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
      const res = await service.app.inject({ method: 'POST', url: '/challenges', payload: { did: flipped } });
      if (res.statusCode === 201) {
        // Accepted as syntax, it is a different identifier: the original DID's signature does not count for it.
        expect(res.json().nonce).toBeTruthy();
        const nonce = res.json().nonce as string;
        const payload = { did: flipped, challenge: nonce, signature: await holder.sign(nonce), identityCommitment: holder.idc.toString(), attributes: GOOD_ATTRIBUTES };
        const out = await service.app.inject({ method: 'POST', url: '/applications', payload });
        expect(out.statusCode).toBeGreaterThanOrEqual(400);
      } else {
        expect(res.statusCode).toBe(400);
      }
    });

    it('treats did:web host case variants (and %3a) as one DID and keeps the path case', async () => {
      const variants = ['did:web:Holder.Example.TEST%3a8443:Alice', 'did:web:holder.example.test%3A8443:Alice', 'DID:WEB:HOLDER.EXAMPLE.TEST%3A8443:Alice'];
      const stored = new Set<string>();
      for (const did of variants) {
        const res = await service.app.inject({ method: 'POST', url: '/challenges', payload: { did } });
        expect(res.statusCode).toBe(201);
        stored.add((await service.store.getChallenge(res.json().nonce))!.did);
      }
      expect([...stored]).toEqual(['did:web:holder.example.test%3A8443:Alice']);
      const other = await service.app.inject({ method: 'POST', url: '/challenges', payload: { did: 'did:web:holder.example.test%3A8443:alice' } });
      expect((await service.store.getChallenge(other.json().nonce))!.did).toBe('did:web:holder.example.test%3A8443:alice');
    });
  });
});
