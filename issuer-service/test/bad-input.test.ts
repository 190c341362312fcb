import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { makeHolder, type TestHolder } from './support/holder.js';
import { GOOD_ATTRIBUTES, ManualClock, nextYear, reviewer, startService, tempDir, testConfig } from './support/service.js';
import type { InjectOptions } from 'fastify';
import type { IssuerService } from '../src/issuer-service.js';

/**
 * Every bad request is refused with a 4xx naming the code and the field, and changes nothing:
 * each case compares the row counts of every table before and after.
 */
let service: IssuerService;
let cleanup: () => void;
const clock = new ManualClock();

beforeAll(async () => {
  const tmp = tempDir();
  cleanup = tmp.cleanup;
  service = await startService(testConfig(tmp.dbPath, { bodyLimitBytes: 4096 }), { clock });
});
afterAll(async () => {
  await service.close();
  cleanup();
});

async function challenge(holder: TestHolder): Promise<string> {
  const res = await service.app.inject({ method: 'POST', url: '/challenges', payload: { did: holder.did } });
  expect(res.statusCode).toBe(201);
  return res.json().nonce;
}

async function applicationBody(holder: TestHolder, overrides: Record<string, unknown> = {}) {
  const nonce = await challenge(holder);
  return {
    did: holder.did,
    challenge: nonce,
    signature: await holder.sign(nonce),
    identityCommitment: holder.idc.toString(),
    attributes: GOOD_ATTRIBUTES,
    ...overrides,
  };
}

/** Sends the request and asserts the error and that no table changed. */
async function expectRefused(request: InjectOptions, expected: { status: number; code: string; field?: string; rule?: string }) {
  const before = await service.store.rowCounts();
  const res = await service.app.inject(request);
  expect({ status: res.statusCode, ...res.json().error }).toMatchObject(expected);
  expect(typeof res.json().error.message).toBe('string');
  expect(await service.store.rowCounts()).toEqual(before);
  return res.json().error;
}

const attrs = (over: Record<string, unknown>) => ({ ...GOOD_ATTRIBUTES, ...over });

describe('holder input', () => {
  it.each([
    ['not a DID', 'alice-the-holder', 'did-syntax'],
    ['a too short string', 'did', 'minLength'],
    ['SQL in the DID', "did:key:z'; DROP TABLE applications; --", 'did-syntax'],
    ['an unsupported method', 'did:example:123456', 'did-method'],
    ['a did:key with bad multibase', 'did:key:z0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl', 'did-key'],
  ])('refuses a challenge for %s', async (_what, did, rule) => {
    await expectRefused({ method: 'POST', url: '/challenges', payload: { did } }, { status: 400, code: 'invalid_field', field: 'did', rule });
  });

  it.each([
    ['unknown country', { attributes: attrs({ jurisdiction: 'XX' }) }, 'attributes.jurisdiction'],
    ['SQL as a country', { attributes: attrs({ jurisdiction: "'1" }) }, 'attributes.jurisdiction'],
    ['impossible date', { attributes: attrs({ birthDate: '1990-02-30' }) }, 'attributes.birthDate'],
    ['badly formatted date', { attributes: attrs({ birthDate: '12/04/1990' }) }, 'attributes.birthDate'],
    ['birth date in the future', { attributes: attrs({ birthDate: '2990-01-01' }) }, 'attributes.birthDate'],
    ['negative kyc level', { attributes: attrs({ kycLevel: -1 }) }, 'attributes.kycLevel'],
    ['kyc level 256', { attributes: attrs({ kycLevel: 256 }) }, 'attributes.kycLevel'],
    ['kyc level as a string', { attributes: attrs({ kycLevel: '2' }) }, 'attributes.kycLevel'],
    ['unknown investor class', { attributes: attrs({ investorClasses: ['whale'] }) }, 'attributes.investorClasses'],
    ['extra attribute', { attributes: attrs({ nationality: 'FR' }) }, 'attributes.nationality'],
    ['missing attributes', { attributes: undefined }, 'attributes'],
    ['commitment not a number', { identityCommitment: '12abc' }, 'identityCommitment'],
    ['commitment SQL', { identityCommitment: '1 OR 1=1' }, 'identityCommitment'],
    ['commitment above the field', { identityCommitment: (2n ** 254n).toString() }, 'identityCommitment'],
    ['commitment zero', { identityCommitment: '0' }, 'identityCommitment'],
    ['unknown top-level key', { admin: true }, 'admin'],
  ])('refuses an application with %s', async (_what, overrides, field) => {
    const holder = makeHolder();
    const body = await applicationBody(holder, overrides);
    await expectRefused({ method: 'POST', url: '/applications', payload: body }, { status: 400, code: 'invalid_field', field });
  });

  it('refuses a signature by another key, over another nonce, or garbage — and the challenge stays usable', async () => {
    const holder = makeHolder();
    const nonce = await challenge(holder);
    const base = { did: holder.did, challenge: nonce, identityCommitment: holder.idc.toString(), attributes: GOOD_ATTRIBUTES };
    const intruder = makeHolder();
    for (const signature of [await intruder.sign(nonce), await holder.sign('another-nonce'), 'not.a.jwt', await holder.sign(nonce, { aud: 'did:key:someone-else' })]) {
      await expectRefused({ method: 'POST', url: '/applications', payload: { ...base, signature } }, { status: 401, code: 'bad_signature', field: 'signature' });
    }
    const ok = await service.app.inject({ method: 'POST', url: '/applications', payload: { ...base, signature: await holder.sign(nonce) } });
    expect(ok.statusCode).toBe(201);
  });

  it('refuses a replayed challenge, a challenge for another DID, an unknown and an expired one', async () => {
    const holder = makeHolder();
    const body = await applicationBody(holder);
    expect((await service.app.inject({ method: 'POST', url: '/applications', payload: body })).statusCode).toBe(201);
    // Replay (after the first application was rejected, so only the nonce stops it).
    const id = (await service.store.listApplications({ status: 'pending', offset: 0, limit: 1000 })).find((a) => a.holderDid === holder.did)!.id;
    await service.app.inject({ method: 'POST', url: `/applications/${id}/reject`, headers: reviewer, payload: { reason: 'test' } });
    await expectRefused({ method: 'POST', url: '/applications', payload: body }, { status: 409, code: 'challenge_used', field: 'challenge' });

    const other = makeHolder();
    const othersNonce = await challenge(other);
    await expectRefused(
      { method: 'POST', url: '/applications', payload: { ...body, challenge: othersNonce, signature: await holder.sign(othersNonce) } },
      { status: 400, code: 'challenge_unknown', field: 'challenge' },
    );
    await expectRefused(
      { method: 'POST', url: '/applications', payload: { ...body, challenge: 'never-issued', signature: await holder.sign('never-issued') } },
      { status: 400, code: 'challenge_unknown', field: 'challenge' },
    );
    const late = await applicationBody(makeHolder());
    clock.advance(301_000);
    try {
      await expectRefused({ method: 'POST', url: '/applications', payload: late }, { status: 400, code: 'challenge_expired', field: 'challenge' });
    } finally {
      clock.advance(-301_000);
    }
  });

  it('refuses a second application while one is pending', async () => {
    const holder = makeHolder();
    expect((await service.app.inject({ method: 'POST', url: '/applications', payload: await applicationBody(holder) })).statusCode).toBe(201);
    const second = await applicationBody(holder);
    await expectRefused({ method: 'POST', url: '/applications', payload: second }, { status: 409, code: 'application_pending', field: 'did' });
  });

  it('refuses an oversize body and a malformed one', async () => {
    const holder = makeHolder();
    const body = await applicationBody(holder, { signature: 'x'.repeat(5000) });
    await expectRefused({ method: 'POST', url: '/applications', payload: body }, { status: 413, code: 'body_too_large', field: 'body' });
    await expectRefused({ method: 'POST', url: '/challenges', payload: '{"did": ', headers: { 'content-type': 'application/json' } }, { status: 400, code: 'invalid_body', field: 'body' });
  });

  it('refuses reads without the right token', async () => {
    await expectRefused({ method: 'GET', url: '/applications/not-a-uuid' }, { status: 400, code: 'invalid_field', field: 'id' });
    await expectRefused(
      { method: 'GET', url: '/applications/00000000-0000-4000-8000-000000000000', headers: { authorization: 'Bearer ' + 'a'.repeat(43) } },
      { status: 404, code: 'not_found', field: 'id' },
    );
    await expectRefused({ method: 'GET', url: '/credentials/00000000-0000-4000-8000-000000000000/status' }, { status: 404, code: 'not_found', field: 'id' });
  });
});

describe('reviewer input', () => {
  async function pendingId(): Promise<string> {
    const holder = makeHolder();
    const res = await service.app.inject({ method: 'POST', url: '/applications', payload: await applicationBody(holder) });
    return res.json().id;
  }

  it('refuses missing and invalid API keys before looking at the body', async () => {
    const id = await pendingId();
    const url = `/applications/${id}/approve`;
    await expectRefused({ method: 'POST', url, payload: { expiryDate: nextYear() } }, { status: 401, code: 'missing_api_key', field: 'x-api-key' });
    await expectRefused({ method: 'POST', url, headers: { 'x-api-key': 'wrong-key-0123456789' }, payload: {} }, { status: 403, code: 'invalid_api_key', field: 'x-api-key' });
    await expectRefused({ method: 'GET', url: '/applications?status=pending' }, { status: 401, code: 'missing_api_key', field: 'x-api-key' });
    await expectRefused(
      { method: 'POST', url: '/credentials/00000000-0000-4000-8000-000000000000/revoke', headers: { 'x-api-key': "' OR '1'='1" }, payload: { reason: 'x' } },
      { status: 403, code: 'invalid_api_key', field: 'x-api-key' },
    );
  });

  it.each([
    ['an expiry in the past', { expiryDate: '2001-01-01', attributes: { kycLevel: 2 } }, 'expiryDate', 'future'],
    ['an impossible expiry', { expiryDate: '2031-13-01', attributes: { kycLevel: 2 } }, 'expiryDate', 'date'],
    ['a negative kyc level', { expiryDate: nextYear(), attributes: { kycLevel: -5 } }, 'attributes.kycLevel', undefined],
    ['an unknown country', { expiryDate: nextYear(), attributes: { jurisdiction: 'QQ', kycLevel: 2 } }, 'attributes.jurisdiction', 'iso3166'],
    ['no expiry', {}, 'expiryDate', 'required'],
  ])('refuses an approval with %s', async (_what, payload, field, rule) => {
    const id = await pendingId();
    const err = await expectRefused({ method: 'POST', url: `/applications/${id}/approve`, headers: reviewer, payload }, { status: 400, code: 'invalid_field', field });
    if (rule) expect(err.rule).toContain(rule);
    expect((await service.store.getApplication(id))!.status).toBe('pending');
  });

  it('refuses decisions on unknown ids and empty reasons', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expectRefused({ method: 'POST', url: `/applications/${unknown}/approve`, headers: reviewer, payload: { expiryDate: nextYear() } }, { status: 404, code: 'not_found' });
    await expectRefused({ method: 'POST', url: `/credentials/${unknown}/revoke`, headers: reviewer, payload: { reason: 'x' } }, { status: 404, code: 'not_found' });
    const id = await pendingId();
    await expectRefused({ method: 'POST', url: `/applications/${id}/reject`, headers: reviewer, payload: { reason: '' } }, { status: 400, code: 'invalid_field', field: 'reason' });
  });

  it('refuses a reason of only spaces or line breaks for a rejection and a revocation, naming the field and rule', async () => {
    const id = await pendingId();
    for (const reason of [' ', '\n', ' \r\n\t ']) {
      const err = await expectRefused(
        { method: 'POST', url: `/applications/${id}/reject`, headers: reviewer, payload: { reason } },
        { status: 400, code: 'invalid_field', field: 'reason', rule: 'not-blank' },
      );
      expect(err.message).toMatch(/not a space or a line break/);
    }
    expect((await service.store.getApplication(id))!.status).toBe('pending');

    const approved = await service.app.inject({
      method: 'POST',
      url: `/applications/${await pendingId()}/approve`,
      headers: reviewer,
      payload: {
        expiryDate: nextYear(),
        person: { documentType: 'passport', issuingCountry: 'FR', documentNumber: 'BLANK0REASON', familyName: 'Martin', givenNames: '', birthDate: '1990-04-12' },
        attributes: { kycLevel: 2 },
      },
    });
    expect(approved.statusCode).toBe(201);
    const credentialId = approved.json().credentialId as string;
    for (const reason of ['  ', '\n\n']) {
      await expectRefused(
        { method: 'POST', url: `/credentials/${credentialId}/revoke`, headers: reviewer, payload: { reason } },
        { status: 400, code: 'invalid_field', field: 'reason', rule: 'not-blank' },
      );
    }
    expect((await service.store.getCredential(credentialId))!.status).toBe('active');
    // Words around the spaces are a reason.
    expect((await service.app.inject({ method: 'POST', url: `/credentials/${credentialId}/revoke`, headers: reviewer, payload: { reason: ' stolen document \n' } })).statusCode).toBe(200);
  });
});

describe('rate limit', () => {
  it('limits holder routes per client', async () => {
    const tmp = tempDir();
    const limited = await startService(testConfig(tmp.dbPath, { holderRateLimitPerMinute: 2 }));
    try {
      const did = makeHolder().did;
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await limited.app.inject({ method: 'POST', url: '/challenges', payload: { did } })).statusCode);
      expect(codes).toEqual([201, 201, 429]);
      const res = await limited.app.inject({ method: 'POST', url: '/challenges', payload: { did } });
      expect(res.json().error.code).toBe('rate_limited');
      // Public routes are not limited.
      expect((await limited.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    } finally {
      await limited.close();
      tmp.cleanup();
    }
  });
});
