import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import type { InjectOptions } from 'fastify';
import { newPerson } from './support/people.js';
import { makeHolder, type TestHolder } from './support/holder.js';
import { apply, GOOD_ATTRIBUTES, nextYear, reviewer, startService, testConfig } from './support/service.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import type { IssuerService } from '../src/issuer-service.js';

/**
 * A holder who lost its access token gets a new one by proving control of its DID again:
 * `POST /access-tokens { did, challenge, signature[, applicationId] }`, the JWT carrying
 * `purpose: "access-token-recovery"`. The old token stops working at once.
 */
const PURPOSE = { purpose: 'access-token-recovery' };

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('access-token recovery on %s', (_name, backend: TestBackend) => {
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

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function recoveryBody(holder: TestHolder, extra: Record<string, unknown> = PURPOSE, body: Record<string, unknown> = {}) {
    const ch = await service.app.inject({ method: 'POST', url: '/challenges', payload: { did: holder.did } });
    expect(ch.statusCode).toBe(201);
    const nonce = ch.json().nonce as string;
    return { did: holder.did, challenge: nonce, signature: await holder.sign(nonce, extra), ...body };
  }

  async function expectRefused(request: InjectOptions, expected: { status: number; code: string; field?: string; rule?: string }) {
    const before = await service.store.rowCounts();
    const res = await service.app.inject(request);
    expect({ status: res.statusCode, ...res.json().error }).toMatchObject(expected);
    expect(await service.store.rowCounts()).toEqual(before);
  }

  it('re-issues the token of a pending application and invalidates the old one', async () => {
    const holder = makeHolder();
    const applied = await apply(service, holder);
    expect(applied.statusCode).toBe(201);
    const res = await service.app.inject({ method: 'POST', url: '/access-tokens', payload: await recoveryBody(holder) });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ id: applied.json.id, status: 'pending' });
    const token = res.json().accessToken as string;
    expect(token).not.toBe(applied.json.accessToken);
    expect((await service.app.inject({ method: 'GET', url: `/applications/${applied.json.id}`, headers: bearer(token) })).statusCode).toBe(200);
    expect((await service.app.inject({ method: 'GET', url: `/applications/${applied.json.id}`, headers: bearer(applied.json.accessToken) })).statusCode).toBe(404);
  });

  it('re-issues the token of an approved application: the credential and its path are readable again', async () => {
    const holder = makeHolder();
    const applied = await apply(service, holder);
    const approved = await service.app.inject({
      method: 'POST',
      url: `/applications/${applied.json.id}/approve`,
      headers: reviewer,
      payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } },
    });
    expect(approved.statusCode).toBe(201);
    const credentialId = approved.json().credentialId as string;
    const res = await service.app.inject({ method: 'POST', url: '/access-tokens', payload: await recoveryBody(holder, PURPOSE, { applicationId: applied.json.id }) });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ id: applied.json.id, status: 'approved', credentialId });
    const token = res.json().accessToken as string;
    expect((await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}`, headers: bearer(token) })).statusCode).toBe(200);
    expect((await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}/proof`, headers: bearer(token) })).statusCode).toBe(200);
    expect((await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}`, headers: bearer(applied.json.accessToken) })).statusCode).toBe(404);
  });

  it('refuses a JWT without the recovery purpose, an application JWT carrying it, and another DID — changing nothing', async () => {
    const holder = makeHolder();
    const applied = await apply(service, holder);
    expect(applied.statusCode).toBe(201);
    // An application's signed challenge (no purpose) cannot recover a token.
    await expectRefused({ method: 'POST', url: '/access-tokens', payload: await recoveryBody(holder, {}) }, { status: 401, code: 'bad_signature', field: 'signature', rule: 'purpose' });
    // A recovery JWT cannot be used to apply.
    const other = makeHolder();
    const body = await recoveryBody(other);
    await expectRefused(
      { method: 'POST', url: '/applications', payload: { ...body, identityCommitment: other.idc.toString(), attributes: GOOD_ATTRIBUTES } },
      { status: 401, code: 'bad_signature', field: 'signature', rule: 'purpose' },
    );
    // Someone else's DID signing for this one.
    const intruder = makeHolder();
    const ch = await service.app.inject({ method: 'POST', url: '/challenges', payload: { did: holder.did } });
    const nonce = ch.json().nonce as string;
    await expectRefused(
      { method: 'POST', url: '/access-tokens', payload: { did: holder.did, challenge: nonce, signature: await intruder.sign(nonce, PURPOSE) } },
      { status: 401, code: 'bad_signature', field: 'signature' },
    );
    // The old token still works: nothing was re-issued.
    expect((await service.app.inject({ method: 'GET', url: `/applications/${applied.json.id}`, headers: bearer(applied.json.accessToken) })).statusCode).toBe(200);
  });

  it('answers 404 for a DID without a pending or approved application, or an id that is not the DID’s, leaving the challenge usable', async () => {
    const nobody = makeHolder();
    const body = await recoveryBody(nobody);
    await expectRefused({ method: 'POST', url: '/access-tokens', payload: body }, { status: 404, code: 'not_found', field: 'did' });
    expect((await service.store.getChallenge(body.challenge))!.usedAt).toBeNull();

    const owner = makeHolder();
    const applied = await apply(service, owner);
    await expectRefused(
      { method: 'POST', url: '/access-tokens', payload: await recoveryBody(nobody, PURPOSE, { applicationId: applied.json.id }) },
      { status: 404, code: 'not_found', field: 'applicationId' },
    );

    const rejectedHolder = makeHolder();
    const rejected = await apply(service, rejectedHolder);
    await service.app.inject({ method: 'POST', url: `/applications/${rejected.json.id}/reject`, headers: reviewer, payload: { reason: 'documents unreadable' } });
    await expectRefused({ method: 'POST', url: '/access-tokens', payload: await recoveryBody(rejectedHolder) }, { status: 404, code: 'not_found' });
  });

  it('documents the route in the OpenAPI document', async () => {
    const doc = (await service.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const op = doc.paths['/access-tokens'].post;
    expect(Object.keys(op.requestBody.content['application/json'].schema.properties).sort()).toEqual(['applicationId', 'challenge', 'did', 'signature']);
    expect(op.responses['201']).toBeDefined();
  });

  it('refuses a replayed recovery challenge', async () => {
    const holder = makeHolder();
    await apply(service, holder);
    const body = await recoveryBody(holder);
    expect((await service.app.inject({ method: 'POST', url: '/access-tokens', payload: body })).statusCode).toBe(201);
    await expectRefused({ method: 'POST', url: '/access-tokens', payload: body }, { status: 409, code: 'challenge_used', field: 'challenge' });
  });
});
