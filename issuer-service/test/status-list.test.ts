import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { assertBitstringStatusListContext, decodeList, statusTypeMatches } from '@digitalbazaar/vc-bitstring-status-list';
import { getDidKeyResolver } from '@veramo/did-provider-key';
import { STATUS_LIST_BITS, verifyCredentialJose, verifyKycCredential } from '@zkkyc/credentials';
import { Resolver } from 'did-resolver';
import nodeJose from 'node-jose';
import { newPerson } from './support/people.js';
import { makeHolder } from './support/holder.js';
import { apply, nextYear, reviewer, startService, testConfig } from './support/service.js';
import { openTestStore, TEST_BACKENDS, type TestBackend } from './support/backends.js';
import type { IssuerService } from '../src/issuer-service.js';
import { StatusListService } from '../src/services/status-list.js';
import type { CredentialRecord, IssuerStore } from '../src/store/issuer-store.js';

/**
 * The Bitstring Status List: each VC 2.0 credential names a random bit, the revocation sets it in
 * the transaction that zeroes the leaf, and the signed list served over HTTP is read by libraries
 * this project does not otherwise use — @digitalbazaar/vc-bitstring-status-list for the bits,
 * node-jose for the JWS.
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const resolver = new Resolver(getDidKeyResolver());

let backend: TestBackend;

async function fresh() {
  const db = await backend.freshDatabase();
  cleanups.push(db.cleanup);
  const service = await startService(testConfig(db.config.databasePath, db.config));
  cleanups.push(() => service.close());
  return service;
}

async function approveOne(service: IssuerService) {
  const applied = await apply(service, makeHolder());
  const approved = await service.app.inject({
    method: 'POST',
    url: `/applications/${applied.json.id}/approve`,
    headers: reviewer,
    payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } },
  });
  expect(approved.statusCode).toBe(201);
  const auth = { authorization: `Bearer ${applied.json.accessToken}` };
  const body = (await service.app.inject({ method: 'GET', url: `/credentials/${approved.json().credentialId}`, headers: auth })).json();
  return { credentialId: approved.json().credentialId as string, vc: body.vc as string, leafIndex: body.leafIndex as number };
}

/** node-jose, fed the issuer's public JWK from its DID document, verifies `jws`; throws if it does not. */
async function verifyWithNodeJose(jws: string): Promise<Record<string, unknown>> {
  const kid = JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString('utf8')).kid as string;
  const doc = (await resolver.resolve(kid.split('#')[0])).didDocument!;
  const jwk = doc.verificationMethod!.find((m) => m.id === kid)!.publicKeyJwk!;
  const key = await nodeJose.JWK.asKey({ ...jwk, kid } as object);
  const result = await nodeJose.JWS.createVerify(key).verify(jws);
  return JSON.parse(result.payload.toString('utf8'));
}

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('Bitstring Status List on %s', (_name, b: TestBackend) => {
  beforeAll(() => {
    backend = b;
  });

  it('is served over HTTP, signed, and flips the holder’s bit on revocation (read by @digitalbazaar/vc-bitstring-status-list)', async () => {
    const service = await fresh();
    const issued = [await approveOne(service), await approveOne(service), await approveOne(service)];
    const url = await service.app.listen({ port: 0, host: '127.0.0.1' });

    const target = issued[1];
    const { credential } = await verifyKycCredential(target.vc, { issuerDid: service.issuerDid });
    const entry = credential!.credentialStatus!;
    expect(statusTypeMatches({ credential })).toBe(true); // the checker recognises the entry's shape
    expect(entry).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation' });
    const listPath = new URL(entry.statusListCredential).pathname;
    expect(listPath).toBe('/status/revocation/1');
    expect(entry.id).toBe(`${entry.statusListCredential}#${entry.statusListIndex}`);
    const index = Number(entry.statusListIndex);

    async function fetchList() {
      const res = await fetch(`${url}${listPath}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/vc\+jwt/);
      const jws = await res.text();
      // The list credential's JWS verifies with node-jose (and with jose, through our verifier).
      const payload = await verifyWithNodeJose(jws);
      const listCredential = await verifyCredentialJose(jws, { resolver, issuerDid: service.issuerDid });
      expect(listCredential.type).toEqual(['VerifiableCredential', 'BitstringStatusListCredential']);
      assertBitstringStatusListContext({ credential: listCredential });
      // Verifiers may cache the list a minute (ttl, ms), as long as the HTTP cache: not the day it is valid.
      expect((payload.credentialSubject as { ttl?: number }).ttl).toBe(60_000);
      const list = await decodeList({ encodedList: (payload.credentialSubject as { encodedList: string }).encodedList });
      expect(list.length).toBe(STATUS_LIST_BITS);
      return { list, res, jws };
    }

    // Drawn at random, not the leaf index (0, 1, 2) nor a counter.
    const indices = await Promise.all(issued.map(async (c) => Number((await verifyKycCredential(c.vc)).credential!.credentialStatus!.statusListIndex)));
    expect(indices).not.toEqual(issued.map((c) => c.leafIndex));
    expect(indices).not.toEqual([0, 1, 2]);
    const before = await fetchList();
    for (const c of issued) {
      const i = Number((await verifyKycCredential(c.vc)).credential!.credentialStatus!.statusListIndex);
      expect(before.list.getStatus(i)).toBe(false);
    }
    const revoked = await service.app.inject({ method: 'POST', url: `/credentials/${target.credentialId}/revoke`, headers: reviewer, payload: { reason: 'test' } });
    expect(revoked.statusCode).toBe(200);
    const after = await fetchList();
    expect(after.list.getStatus(index)).toBe(true);
    // Only that bit: the other holders stay active.
    for (const c of [issued[0], issued[2]]) {
      expect(after.list.getStatus(Number((await verifyKycCredential(c.vc)).credential!.credentialStatus!.statusListIndex))).toBe(false);
    }
    expect(after.res.headers.get('etag')).not.toBe(before.res.headers.get('etag'));

    // A tampered list credential does not verify with node-jose.
    const [h, p, s] = after.jws.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    payload.credentialSubject.encodedList = before.jws && JSON.parse(Buffer.from(before.jws.split('.')[1], 'base64url').toString('utf8')).credentialSubject.encodedList;
    await expect(verifyWithNodeJose([h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.'))).rejects.toThrow();
  });

  it('answers with caching headers, 304 on If-None-Match, and signs only when the list changed', async () => {
    const service = await fresh();
    const c = await approveOne(service);
    const first = await service.app.inject({ method: 'GET', url: '/status/revocation/1' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('public, max-age=60');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(new Date(first.headers['last-modified'] as string).getTime()).not.toBeNaN();
    // Unchanged list: the same signed bytes (no new signature), and 304 for a client that has them.
    const again = await service.app.inject({ method: 'GET', url: '/status/revocation/1' });
    expect(again.body).toBe(first.body);
    const notModified = await service.app.inject({ method: 'GET', url: '/status/revocation/1', headers: { 'if-none-match': etag } });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    expect(notModified.headers.etag).toBe(etag);

    await service.app.inject({ method: 'POST', url: `/credentials/${c.credentialId}/revoke`, headers: reviewer, payload: { reason: 'test' } });
    const changed = await service.app.inject({ method: 'GET', url: '/status/revocation/1', headers: { 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);

    expect((await service.app.inject({ method: 'GET', url: '/status/revocation/2' })).statusCode).toBe(404);
    expect((await service.app.inject({ method: 'GET', url: '/status/revocation/0' })).statusCode).toBe(400);
    const schema = await service.app.inject({ method: 'GET', url: '/schemas/kyc-credential-v2.json' });
    expect(schema.statusCode).toBe(200);
    expect(schema.json().$id).toBe('urn:zkkyc:schema:kyc-credential:v2');
  });

  it('sets the bit and zeroes the leaf in one transaction: a failure in it leaves both unchanged', async () => {
    const service = await fresh();
    const c = await approveOne(service);
    const { store } = service;
    const record = (await store.getCredential(c.credentialId))!;
    const bitOf = async () => {
      const list = (await store.getStatusList(record.statusList!))!;
      return { set: (list.bits[record.statusIndex! >> 3] & (0x80 >> (record.statusIndex! & 7))) !== 0, version: list.version };
    };
    const leafOf = async () => (await store.listLeaves(c.leafIndex, 1))[0].value;
    const leafBefore = await leafOf();
    const versionBefore = (await bitOf()).version;
    const decision = { subjectType: 'credential' as const, subjectId: c.credentialId, action: 'revoke' as const, reviewer: 'alice', reason: 'test', decidedAt: Date.now() };

    // The same transaction fails after the bit and the leaf were written (it closes a screening
    // match that does not exist): the rollback takes both back.
    await expect(
      store.recordRevocation({ credentialId: c.credentialId, decision, closeMatch: { id: 999_999, status: 'confirmed', decidedBy: 'alice', decidedAt: Date.now(), reason: 'x' } }),
    ).rejects.toMatchObject({ reason: 'match_not_open' });
    expect(await bitOf()).toEqual({ set: false, version: versionBefore });
    expect(await leafOf()).toBe(leafBefore);
    expect((await store.getCredential(c.credentialId))!.status).toBe('active');

    await store.recordRevocation({ credentialId: c.credentialId, decision });
    expect(await bitOf()).toEqual({ set: true, version: versionBefore + 1 });
    expect(await leafOf()).toBe('0');
  });
});

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('status bit allocation on %s', (_name, b: TestBackend) => {
  let store: IssuerStore;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await openTestStore(b));
  });
  afterAll(() => cleanup());

  it('draws the bit at random, never from the leaf index or the order of issuance', async () => {
    const draws: number[] = [];
    const service = new StatusListService({
      store,
      clock: { now: () => Date.now() },
      issuerDid: 'did:key:zDnaeVEtYx3aRzg8Cc344FVTYD34wXBuUgC2222kbExWPewtT',
      signer: { alg: 'ES256', kid: 'did:key:zDnaeVEtYx3aRzg8Cc344FVTYD34wXBuUgC2222kbExWPewtT#x', sign: async () => 'unused' },
      baseUrl: 'https://issuer.example',
      randomIndex: (size) => {
        // The real CSPRNG, recorded, so the test can see the allocation follows it.
        const v = Math.floor(Math.random() * size);
        draws.push(v);
        return v;
      },
    });
    const indices: number[] = [];
    for (let i = 0; i < 12; i++) {
      const { list, index, entry } = await service.allocate();
      expect(list).toBe(1);
      expect(entry.statusListCredential).toBe('https://issuer.example/status/revocation/1');
      expect(index).toBe(draws.at(-1));
      indices.push(index);
      await store.recordApproval(await fakeApproval(i, index));
    }
    // Not the leaf index (0..11), not sequential, and distinct.
    expect(indices.filter((index, leaf) => index === leaf).length).toBeLessThan(2);
    expect(new Set(indices.map((index, leaf) => index - leaf)).size).toBeGreaterThan(1);
    expect(new Set(indices).size).toBe(12);
    // A taken bit is never handed out again: the draw is retried.
    const taken = indices[3];
    const free = [...Array(100).keys()].find((i) => !indices.includes(i))!;
    let first = true;
    const retrying = new StatusListService({
      store,
      clock: { now: () => Date.now() },
      issuerDid: 'did:key:x',
      signer: { alg: 'ES256', kid: 'did:key:x#x', sign: async () => 'unused' },
      baseUrl: 'https://issuer.example',
      randomIndex: () => (first ? ((first = false), taken) : free),
    });
    expect((await retrying.allocate()).index).toBe(free);
    // The database refuses a bit another credential holds, and writes nothing.
    const counts = await store.rowCounts();
    await expect(store.recordApproval(await fakeApproval(12, taken))).rejects.toMatchObject({ reason: 'status_index_taken' });
    expect({ ...(await store.rowCounts()), applications: counts.applications, challenges: counts.challenges }).toEqual(counts);
    expect(await store.statusListUsage()).toEqual([{ id: 1, allocated: 12 }]);
  });

  /** A minimal approval (application + credential) of leaf `leaf` holding bit `index` of list 1. */
  async function fakeApproval(leaf: number, index: number) {
    const id = `00000000-0000-4000-8000-${String(leaf).padStart(12, '0')}`;
    const holderDid = `did:key:zHolder${leaf}`;
    const now = Date.now();
    await store.createChallenge({ nonce: `n-${leaf}`, did: holderDid, createdAt: now, expiresAt: now + 60_000, usedAt: null });
    await store.submitApplication(
      {
        id: `app-${leaf}`,
        holderDid,
        identityCommitment: '1',
        attributes: { jurisdiction: 'FR', birthDate: '1990-04-12', investorClasses: [] },
        status: 'pending',
        accessTokenHash: 'h',
        challengeNonce: `n-${leaf}`,
        createdAt: now,
        updatedAt: now,
      },
      now,
    );
    const credential: CredentialRecord = {
      id,
      applicationId: `app-${leaf}`,
      holderDid,
      leafIndex: leaf,
      leaf: String(1000 + leaf),
      salt: '1',
      attributes: { jurisdiction: 'FR', birthDate: '1990-04-12', investorClasses: [], kycLevel: 1, expiryDate: '2099-01-01' },
      expiryDate: '2099-01-01',
      vcJwt: 'x.y.z',
      status: 'active',
      issuedAt: Date.now(),
      revokedAt: null,
      format: 'vc2',
      statusList: 1,
      statusIndex: index,
    };
    return { credential, decision: { subjectType: 'application' as const, subjectId: credential.applicationId, action: 'approve' as const, reviewer: 'alice', reason: null, decidedAt: Date.now() } };
  }
});
