import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { bytesToMultibase, createJWT, EdDSASigner, ES256KSigner } from 'did-jwt';
import { getBytes, SigningKey, Wallet } from 'ethers';
import { decodeProtectedHeader, importJWK, SignJWT, type JWK } from 'jose';
import { getDidKeyResolver } from '@veramo/did-provider-key';
import { Resolver } from 'did-resolver';
import { Openid4vciClient } from '@openid4vc/openid4vci';
import { clientAuthenticationAnonymous, HashAlgorithm, setGlobalConfig, type CallbackContext, type Jwk } from '@openid4vc/oauth2';
import { computeLeaf, encodeAttributes, identityCommitment, randomIdentitySecret, verifyKycCredential } from '@zkkyc/credentials';
import { DEFAULT_OID4VCI, type IssuerServiceConfig, type Oid4vciConfig } from '../src/config.js';
import type { IssuerService } from '../src/issuer-service.js';
import { freePort } from '../../wallet-demo/scripts/free-port.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import { exited, spawnUntil, killAll } from './support/child-service.js';
import { newPerson } from './support/people.js';
import { GOOD_ATTRIBUTES, ISSUED_ATTRIBUTES, ManualClock, nextYear, REVIEWER_KEY, startService, tempDir, testConfig } from './support/service.js';

/**
 * OpenID4VCI 1.0, pre-authorized code flow, against the service on 127.0.0.1 over real HTTP. The
 * wallet side is the `@openid4vc/openid4vci` library's own client (a test dependency only: the
 * server side is services/oid4vci.ts, written on jose), so the flow is checked by an implementation
 * the service shares no code with.
 */

// The library insists on https for issuer URLs; the service allows http only on loopback.
setGlobalConfig({ allowInsecureUrls: true });
const issuerResolver = new Resolver({ ...getDidKeyResolver() });

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(() => killAll());

/** A holder with a did:key it can sign with both ways: challenges (did-jwt) and proofs (jose or did-jwt). */
interface Holder {
  did: string;
  kid: string;
  alg: 'EdDSA' | 'ES256K';
  publicJwk: JWK;
  idc: bigint;
  /** The application's challenge signature (did-jwt, as the wallet signs it). */
  signChallenge(nonce: string): Promise<string>;
  /** Signs a JWT with the holder key over exactly this header and payload. */
  signJwt(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string>;
}

function ed25519Holder(): Holder {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
  const privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
  const multibase = bytesToMultibase(new Uint8Array(Buffer.from(publicJwk.x!, 'base64url')), 'base58btc', 'ed25519-pub');
  const did = `did:key:${multibase}`;
  const challengeSigner = EdDSASigner(new Uint8Array(Buffer.from(privateJwk.d!, 'base64url')));
  return {
    did,
    kid: `${did}#${multibase}`,
    alg: 'EdDSA',
    publicJwk,
    idc: identityCommitment(randomIdentitySecret()),
    signChallenge: (nonce) => createJWT({ nonce }, { issuer: did, signer: challengeSigner }, { alg: 'EdDSA' }),
    async signJwt(header, payload) {
      const key = await importJWK(privateJwk, 'EdDSA');
      return new SignJWT(payload).setProtectedHeader({ ...header, alg: 'EdDSA' }).sign(key);
    },
  };
}

/** The wallet's kind of holder: a secp256k1 did:key. jose cannot sign ES256K, so did-jwt does (as the wallet). */
function secp256k1Holder(): Holder {
  const wallet = Wallet.createRandom();
  const compressed = getBytes(SigningKey.computePublicKey(wallet.privateKey, true));
  const uncompressed = getBytes(SigningKey.computePublicKey(wallet.privateKey, false));
  const multibase = bytesToMultibase(compressed, 'base58btc', 'secp256k1-pub');
  const did = `did:key:${multibase}`;
  const signer = ES256KSigner(getBytes(wallet.privateKey));
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
  return {
    did,
    kid: `${did}#${multibase}`,
    alg: 'ES256K',
    publicJwk: { kty: 'EC', crv: 'secp256k1', x: b64(uncompressed.slice(1, 33)), y: b64(uncompressed.slice(33)) },
    idc: identityCommitment(randomIdentitySecret()),
    signChallenge: (nonce) => createJWT({ nonce }, { issuer: did, signer }, { alg: 'ES256K' }),
    async signJwt(header, payload) {
      const { alg: _alg, typ, ...rest } = header;
      return createJWT(payload, { issuer: did, signer }, { ...rest, typ: typ as 'JWT', alg: 'ES256K' });
    },
  };
}

interface Running {
  service: IssuerService;
  url: string;
  clock: ManualClock;
  oid4vci: Oid4vciConfig;
}

/** The service on a fresh database of `backend`, listening on 127.0.0.1 at the port its public URL names. */
async function start(backend: TestBackend, overrides: Partial<Oid4vciConfig> = {}, holderRateLimitPerMinute = 10_000, service: Partial<IssuerServiceConfig> = {}): Promise<Running> {
  const db = await backend.freshDatabase();
  cleanups.push(db.cleanup);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const oid4vci: Oid4vciConfig = { ...DEFAULT_OID4VCI, publicUrl: url, ...overrides };
  const clock = new ManualClock();
  const running = await startService(testConfig(db.config.databasePath, { ...db.config, oid4vci, holderRateLimitPerMinute, ...service }), { clock });
  cleanups.push(() => running.close());
  await running.app.listen({ port, host: '127.0.0.1' });
  return { service: running, url, clock, oid4vci };
}

async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any, headers: res.headers };
}

/** Challenge → signed application; returns its id and the holder's bearer token. */
async function applyAs(url: string, holder: Holder): Promise<{ id: string; token: string }> {
  const ch = await call(url, 'POST', '/challenges', { did: holder.did });
  expect(ch.status).toBe(201);
  const applied = await call(url, 'POST', '/applications', {
    did: holder.did,
    challenge: ch.json.nonce,
    signature: await holder.signChallenge(ch.json.nonce),
    identityCommitment: holder.idc.toString(),
    attributes: GOOD_ATTRIBUTES,
  });
  expect(applied.status).toBe(201);
  return { id: applied.json.id, token: applied.json.accessToken };
}

async function approvedApplication(url: string, holder: Holder) {
  const app = await applyAs(url, holder);
  const approved = await call(url, 'POST', `/applications/${app.id}/approve`, { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } }, { 'x-api-key': REVIEWER_KEY });
  expect(approved.status).toBe(201);
  return { ...app, credentialId: approved.json.credentialId as string };
}

async function offerFor(url: string, app: { id: string; token: string }) {
  const res = await call(url, 'POST', `/applications/${app.id}/credential-offer`, undefined, { authorization: `Bearer ${app.token}` });
  expect(res.status).toBe(201);
  return res.json as { credentialOfferUri: string; credentialOffer: any; txCode: string; expiresAt: string };
}

/** The library client's callbacks: its hash and randomness from node:crypto, its JWTs signed by `holder`. */
function libraryClient(holder: Holder): Openid4vciClient {
  const callbacks: Omit<CallbackContext, 'verifyJwt' | 'decryptJwe' | 'encryptJwe'> = {
    fetch,
    hash: (data, alg) =>
      createHash({ [HashAlgorithm.Sha256]: 'sha256', [HashAlgorithm.Sha384]: 'sha384', [HashAlgorithm.Sha512]: 'sha512' }[alg])
        .update(data)
        .digest(),
    generateRandom: (n) => randomBytes(n),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (_signer, { header, payload }) => ({ jwt: await holder.signJwt(header, payload), signerJwk: holder.publicJwk as Jwk }),
  };
  return new Openid4vciClient({ callbacks });
}

/** The whole flow through the library client; returns what the credential endpoint answered. */
async function receiveWithLibrary(r: Running, holder: Holder, offerUri: string, txCode: string) {
  const client = libraryClient(holder);
  const credentialOffer = await client.resolveCredentialOffer(offerUri);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, txCode });
  const { c_nonce } = await client.requestNonce({ issuerMetadata });
  const credentialConfigurationId = credentialOffer.credential_configuration_ids[0];
  const { jwt } = await client.createCredentialRequestJwtProof({
    issuerMetadata,
    credentialConfigurationId,
    signer: { method: 'did', didUrl: holder.kid, alg: holder.alg },
    nonce: c_nonce,
    issuedAt: new Date(r.clock.now()),
  });
  const response = await client.retrieveCredentials({ issuerMetadata, accessToken: accessTokenResponse.access_token, credentialConfigurationId, proofs: { jwt: [jwt] } });
  return { response, issuerMetadata, accessTokenResponse, credentialOffer };
}

/** Token request as a standard form post; returns the raw answer. */
async function tokenRequest(url: string, params: Record<string, string>) {
  const res = await fetch(`${url}/oid4vci/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
  return { status: res.status, json: (await res.json()) as any };
}

const PRE_AUTH = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';

async function tokenFor(url: string, offer: { credentialOffer: any; txCode: string }) {
  const code = offer.credentialOffer.grants[PRE_AUTH]['pre-authorized_code'];
  const res = await tokenRequest(url, { grant_type: PRE_AUTH, 'pre-authorized_code': code, tx_code: offer.txCode });
  expect(res.status).toBe(200);
  return res.json.access_token as string;
}

async function nonceFrom(url: string): Promise<string> {
  const res = await call(url, 'POST', '/oid4vci/nonce');
  expect(res.status).toBe(200);
  return res.json.c_nonce;
}

/** A proof JWT with the standard header and claims, any of which a test may override. */
function proof(r: Running, holder: Holder, nonce: string, over: { header?: Record<string, unknown>; payload?: Record<string, unknown> } = {}) {
  return holder.signJwt({ typ: 'openid4vci-proof+jwt', alg: holder.alg, kid: holder.kid, ...over.header }, { aud: r.url, iat: Math.floor(r.clock.now() / 1000), nonce, ...over.payload });
}

function credentialRequest(url: string, accessToken: string, body: unknown) {
  return call(url, 'POST', '/oid4vci/credential', body, { authorization: `Bearer ${accessToken}` });
}

/** The configuration an offer names (the format its credential is in). */
const configurationOf = (offer: { credentialOffer: any }): string => offer.credentialOffer.credential_configuration_ids[0];

/**
 * Checks a delivered credential as this issuer's credentials are checked today, whichever way it
 * is secured (VC 2.0 + VC-JOSE-COSE, or the 1.1 VC-JWT); returns its subject.
 */
async function verifyIssued(vc: string, issuerDid: string): Promise<Record<string, unknown>> {
  if (decodeProtectedHeader(vc).typ === 'vc+jwt') {
    const credentials = (await import('@zkkyc/credentials')) as any;
    const read = await credentials.readKycCredential(vc, { resolver: issuerResolver, issuerDid });
    return read.credential.credentialSubject;
  }
  const verified = await verifyKycCredential(vc, { issuerDid });
  expect(verified.error).toBeUndefined();
  return verified.credential!.credentialSubject as unknown as Record<string, unknown>;
}

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('OpenID4VCI pre-authorized flow on %s, driven by @openid4vc/openid4vci', (_name, backend) => {
  it('delivers the approved application’s credential to the holder key, once', async () => {
    const r = await start(backend);
    const holder = ed25519Holder();
    const app = await approvedApplication(r.url, holder);
    const offer = await offerFor(r.url, app);
    expect(offer.credentialOfferUri.startsWith('openid-credential-offer://?credential_offer=')).toBe(true);
    expect(offer.txCode).toMatch(/^\d{6}$/);

    const { response, issuerMetadata, accessTokenResponse } = await receiveWithLibrary(r, holder, offer.credentialOfferUri, offer.txCode);
    expect(issuerMetadata.credentialIssuer.credential_issuer).toBe(r.url);
    expect(issuerMetadata.originalDraftVersion).toBe('V1');
    expect(accessTokenResponse.token_type).toBe('Bearer');
    const body = response.credentialResponse as any;
    expect(body.credentials).toHaveLength(1);
    const vc = body.credentials[0].credential as string;

    // The credential verifies as every credential of this issuer does, names the holder, and its
    // leaf opening is the one the issuer keeps.
    const subject = await verifyIssued(vc, r.service.issuerDid);
    expect(subject).toMatchObject({ id: holder.did, ...ISSUED_ATTRIBUTES, identityCommitment: holder.idc.toString() });
    expect(body.zkkyc).toMatchObject({ credentialId: app.credentialId, issuerDid: r.service.issuerDid, status: 'active' });
    const attributes = { ...ISSUED_ATTRIBUTES, expiryDate: subject.expiryDate as string };
    expect(computeLeaf(holder.idc, encodeAttributes(attributes), BigInt(body.zkkyc.salt)).toString()).toBe(body.zkkyc.leaf);
    const stored = await call(r.url, 'GET', `/credentials/${app.credentialId}`, undefined, { authorization: `Bearer ${app.token}` });
    expect(stored.json).toMatchObject({ vc, salt: body.zkkyc.salt, leaf: body.zkkyc.leaf, leafIndex: body.zkkyc.leafIndex });

    // The code was redeemed and the access token delivered: neither works again.
    const code = offer.credentialOffer.grants[PRE_AUTH]['pre-authorized_code'];
    const again = await tokenRequest(r.url, { grant_type: PRE_AUTH, 'pre-authorized_code': code, tx_code: offer.txCode });
    expect(again).toMatchObject({ status: 400, json: { error: 'invalid_grant', field: 'pre-authorized_code', rule: 'single-use' } });
    const nonce = await nonceFrom(r.url);
    const reused = await credentialRequest(r.url, accessTokenResponse.access_token, { credential_configuration_id: configurationOf(offer), proofs: { jwt: [await proof(r, holder, nonce)] } });
    expect(reused).toMatchObject({ status: 401, json: { error: 'invalid_token', field: 'authorization' } });
    expect(reused.headers.get('www-authenticate')).toContain('invalid_token');

    const audit = await r.service.store.listAuditEvents({ offset: 0, limit: 50 });
    expect(audit.filter((e) => e.action.startsWith('oid4vci-')).map((e) => [e.action, e.subjectId])).toEqual([
      ['oid4vci-offer', app.id],
      ['oid4vci-deliver', app.credentialId],
    ]);
  });

  it('counts wrong transaction codes, voids the code at the limit, and changes nothing else', async () => {
    const r = await start(backend, { txCodeAttempts: 3 });
    const app = await approvedApplication(r.url, ed25519Holder());
    const offer = await offerFor(r.url, app);
    const code = offer.credentialOffer.grants[PRE_AUTH]['pre-authorized_code'];
    const wrong = offer.txCode === '000000' ? '111111' : '000000';

    const before = await r.service.store.rowCounts();
    const missing = await tokenRequest(r.url, { grant_type: PRE_AUTH, 'pre-authorized_code': code });
    expect(missing).toMatchObject({ status: 400, json: { error: 'invalid_request', field: 'tx_code', rule: 'required' } });
    const first = await tokenRequest(r.url, { grant_type: PRE_AUTH, 'pre-authorized_code': code, tx_code: wrong });
    expect(first).toMatchObject({ status: 400, json: { error: 'invalid_grant', field: 'tx_code', rule: 'tx-code-attempts' } });
    expect(first.json.error_description).toContain('2 attempts left');
    // A wrong code counts against the offer and writes nothing else: no token, no audit event yet.
    expect(await r.service.store.rowCounts()).toEqual(before);
    await tokenRequest(r.url, { grant_type: PRE_AUTH, 'pre-authorized_code': code, tx_code: wrong });
    const last = await tokenRequest(r.url, { grant_type: PRE_AUTH, 'pre-authorized_code': code, tx_code: wrong });
    expect(last.json.error_description).toContain('no attempts left');
    // Now even the right transaction code is refused: the code is void.
    const right = await tokenRequest(r.url, { grant_type: PRE_AUTH, 'pre-authorized_code': code, tx_code: offer.txCode });
    expect(right).toMatchObject({ status: 400, json: { error: 'invalid_grant', rule: 'voided' } });
    const audit = await r.service.store.listAuditEvents({ offset: 0, limit: 50, subjectId: app.id });
    expect(audit.filter((e) => e.action === 'oid4vci-offer-void')).toHaveLength(1);
  });
});

describe('OpenID4VCI on sqlite: the wallet’s key, metadata, offers', () => {
  const sqlite = TEST_BACKENDS[0];

  it('delivers to a secp256k1 did:key holder (the wallet’s key; ES256K proof)', async () => {
    const r = await start(sqlite);
    const holder = secp256k1Holder();
    const app = await approvedApplication(r.url, holder);
    const offer = await offerFor(r.url, app);
    const { response } = await receiveWithLibrary(r, holder, offer.credentialOfferUri, offer.txCode);
    const vc = (response.credentialResponse as any).credentials[0].credential;
    expect((await verifyIssued(vc, r.service.issuerDid)).id).toBe(holder.did);
  });

  it('delivers a 1.1 VC-JWT under jwt_vc_json when the issuer issues 1.1 (CREDENTIAL_FORMAT=vc1.1)', async () => {
    const r = await start(sqlite, {}, 10_000, { credentialFormat: 'vc1.1' });
    const holder = ed25519Holder();
    const offer = await offerFor(r.url, await approvedApplication(r.url, holder));
    expect(configurationOf(offer)).toBe('KycCredential_jwt_vc_json');
    const { response } = await receiveWithLibrary(r, holder, offer.credentialOfferUri, offer.txCode);
    const vc = (response.credentialResponse as any).credentials[0].credential;
    expect(decodeProtectedHeader(vc).typ).not.toBe('vc+jwt');
    expect((await verifyIssued(vc, r.service.issuerDid)).id).toBe(holder.did);
  });

  it('publishes metadata a wallet can act on', async () => {
    const r = await start(sqlite);
    const issuer = await call(r.url, 'GET', '/.well-known/openid-credential-issuer');
    expect(issuer.json).toMatchObject({
      credential_issuer: r.url,
      credential_endpoint: `${r.url}/oid4vci/credential`,
      nonce_endpoint: `${r.url}/oid4vci/nonce`,
      credential_configurations_supported: {
        KycCredential_jwt_vc_json: {
          format: 'jwt_vc_json',
          cryptographic_binding_methods_supported: ['did:key', 'did:web'],
          proof_types_supported: { jwt: { proof_signing_alg_values_supported: ['EdDSA', 'Ed25519', 'ES256', 'ES256K'] } },
        },
        'KycCredential_jwt_vc_json-ld': {
          format: 'jwt_vc_json-ld',
          credential_definition: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential', 'KycCredential'] },
        },
      },
    });
    // The offer names the configuration of the credential issuance produced.
    const app = await approvedApplication(r.url, ed25519Holder());
    const offer = await offerFor(r.url, app);
    const stored = await call(r.url, 'GET', `/credentials/${app.credentialId}`, undefined, { authorization: `Bearer ${app.token}` });
    expect(configurationOf(offer)).toBe(decodeProtectedHeader(stored.json.vc).typ === 'vc+jwt' ? 'KycCredential_jwt_vc_json-ld' : 'KycCredential_jwt_vc_json');
    const as = await call(r.url, 'GET', '/.well-known/oauth-authorization-server');
    expect(as.json).toMatchObject({ issuer: r.url, token_endpoint: `${r.url}/oid4vci/token`, 'pre-authorized_grant_anonymous_access_supported': true });
    const openapi = await call(r.url, 'GET', '/docs/json');
    expect(Object.keys(openapi.json.paths)).toEqual(expect.arrayContaining(['/applications/{id}/credential-offer', '/oid4vci/token', '/oid4vci/nonce', '/oid4vci/credential']));
  });

  it('makes no offer for an unapproved application, to anyone but its holder, or for a revoked credential', async () => {
    const r = await start(sqlite);
    const holder = ed25519Holder();
    const pending = await applyAs(r.url, holder);
    const early = await call(r.url, 'POST', `/applications/${pending.id}/credential-offer`, undefined, { authorization: `Bearer ${pending.token}` });
    expect(early).toMatchObject({ status: 409, json: { error: { code: 'application_not_approved', field: 'id' } } });
    const reviewerAsks = await call(r.url, 'POST', `/applications/${pending.id}/credential-offer`, undefined, { 'x-api-key': REVIEWER_KEY });
    expect(reviewerAsks).toMatchObject({ status: 403, json: { error: { code: 'holder_only' } } });
    const wrongToken = await call(r.url, 'POST', `/applications/${pending.id}/credential-offer`, undefined, { authorization: `Bearer ${'x'.repeat(43)}` });
    expect(wrongToken.status).toBe(404);

    // A revoked credential gets no offer (one made before the revocation delivers nothing: below).
    const app = await approvedApplication(r.url, ed25519Holder());
    const revoked = await call(r.url, 'POST', `/credentials/${app.credentialId}/revoke`, { reason: 'test' }, { 'x-api-key': REVIEWER_KEY });
    expect(revoked.status).toBe(200);
    const late = await call(r.url, 'POST', `/applications/${app.id}/credential-offer`, undefined, { authorization: `Bearer ${app.token}` });
    expect(late).toMatchObject({ status: 409, json: { error: { code: 'credential_not_active', field: 'id' } } });
  });

  it('a newer offer voids the older one', async () => {
    const r = await start(sqlite);
    const app = await approvedApplication(r.url, ed25519Holder());
    const first = await offerFor(r.url, app);
    const second = await offerFor(r.url, app);
    const code = first.credentialOffer.grants[PRE_AUTH]['pre-authorized_code'];
    const old = await tokenRequest(r.url, { grant_type: PRE_AUTH, 'pre-authorized_code': code, tx_code: first.txCode });
    expect(old).toMatchObject({ status: 400, json: { error: 'invalid_grant', rule: 'voided' } });
    await tokenFor(r.url, second);
  });
});

describe('OpenID4VCI on sqlite: token endpoint refusals', () => {
  const sqlite = TEST_BACKENDS[0];

  it('refuses an expired code, an unknown one, another grant type and a JSON body', async () => {
    const r = await start(sqlite);
    const app = await approvedApplication(r.url, ed25519Holder());
    const offer = await offerFor(r.url, app);
    const code = offer.credentialOffer.grants[PRE_AUTH]['pre-authorized_code'];
    expect(await tokenRequest(r.url, { grant_type: 'authorization_code', code })).toMatchObject({ status: 400, json: { error: 'unsupported_grant_type', field: 'grant_type' } });
    expect(await tokenRequest(r.url, { grant_type: PRE_AUTH, 'pre-authorized_code': 'y'.repeat(43), tx_code: offer.txCode })).toMatchObject({
      status: 400,
      json: { error: 'invalid_grant', rule: 'known-code' },
    });
    const json = await call(r.url, 'POST', '/oid4vci/token', { grant_type: PRE_AUTH, 'pre-authorized_code': code, tx_code: offer.txCode });
    expect(json).toMatchObject({ status: 400, json: { error: 'invalid_request', field: 'content-type' } });

    r.clock.advance(r.oid4vci.codeTtlSeconds * 1000 + 1);
    const expired = await tokenRequest(r.url, { grant_type: PRE_AUTH, 'pre-authorized_code': code, tx_code: offer.txCode });
    expect(expired).toMatchObject({ status: 400, json: { error: 'invalid_grant', field: 'pre-authorized_code', rule: 'expired' } });
  });

  it('rate-limits the token endpoint per client like the other public routes', async () => {
    const r = await start(sqlite, {}, 3);
    const answers: number[] = [];
    for (let i = 0; i < 4; i++) answers.push((await tokenRequest(r.url, { grant_type: PRE_AUTH, 'pre-authorized_code': 'z'.repeat(43), tx_code: '123456' })).status);
    expect(answers).toEqual([400, 400, 400, 429]);
    const limited = await tokenRequest(r.url, { grant_type: PRE_AUTH, 'pre-authorized_code': 'z'.repeat(43), tx_code: '123456' });
    expect(limited.json.error).toBe('slow_down');
  });
});

describe('OpenID4VCI on sqlite: credential endpoint refusals', () => {
  const sqlite = TEST_BACKENDS[0];

  async function ready(overrides: Partial<Oid4vciConfig> = {}) {
    const r = await start(sqlite, overrides);
    const holder = ed25519Holder();
    const app = await approvedApplication(r.url, holder);
    const offer = await offerFor(r.url, app);
    const accessToken = await tokenFor(r.url, offer);
    return { r, holder, app, accessToken, configuration: configurationOf(offer) };
  }

  it('refuses proofs that break a rule, each naming it, and a refused proof spends nothing', async () => {
    const { r, holder, app, accessToken, configuration } = await ready();
    const nonce = await nonceFrom(r.url);
    const other = ed25519Holder();
    const send = async (jwt: string) => credentialRequest(r.url, accessToken, { credential_configuration_id: configuration, proofs: { jwt: [jwt] } });
    const cases: Array<[string, Promise<string>, Record<string, unknown>]> = [
      ['wrong typ', proof(r, holder, nonce, { header: { typ: 'JWT' } }), { error: 'invalid_proof', field: 'proofs.jwt[0].typ', rule: 'proof-typ' }],
      ['wrong aud', proof(r, holder, nonce, { payload: { aud: 'https://issuer.example' } }), { error: 'invalid_proof', field: 'proofs.jwt[0].aud', rule: 'proof-aud' }],
      ['stale iat', proof(r, holder, nonce, { payload: { iat: Math.floor(r.clock.now() / 1000) - r.oid4vci.nonceTtlSeconds - 5 } }), { error: 'invalid_proof', rule: 'proof-iat' }],
      ['another DID’s key', proof(r, other, nonce), { error: 'invalid_proof', field: 'proofs.jwt[0].kid', rule: 'holder-binding' }],
      [
        'another key under the holder’s kid',
        other.signJwt({ typ: 'openid4vci-proof+jwt', kid: holder.kid }, { aud: r.url, iat: Math.floor(r.clock.now() / 1000), nonce }),
        { error: 'invalid_proof', rule: 'proof-signature' },
      ],
      [
        'another key as jwk',
        other.signJwt({ typ: 'openid4vci-proof+jwt', jwk: other.publicJwk }, { aud: r.url, iat: Math.floor(r.clock.now() / 1000), nonce }),
        { error: 'invalid_proof', field: 'proofs.jwt[0].jwk', rule: 'holder-binding' },
      ],
      ['no nonce', proof(r, holder, nonce, { payload: { nonce: undefined } }), { error: 'invalid_nonce', field: 'proofs.jwt[0].nonce' }],
      ['a nonce never issued', proof(r, holder, 'n'.repeat(43)), { error: 'invalid_nonce', rule: 'c-nonce' }],
    ];
    for (const [what, jwt, expected] of cases) {
      const res = await send(await jwt);
      expect({ what, status: res.status, ...res.json }).toMatchObject({ what, status: 400, ...expected });
      expect(res.json.error_description).toEqual(expect.any(String));
    }
    const missing = await credentialRequest(r.url, accessToken, { credential_configuration_id: configuration });
    expect(missing).toMatchObject({ status: 400, json: { error: 'invalid_proof', field: 'proofs', rule: 'required' } });
    const unknownConfig = await credentialRequest(r.url, accessToken, { credential_configuration_id: 'Other', proofs: { jwt: [await proof(r, holder, nonce)] } });
    expect(unknownConfig).toMatchObject({ status: 400, json: { error: 'unknown_credential_configuration' } });
    const noToken = await call(r.url, 'POST', '/oid4vci/credential', { credential_configuration_id: configuration, proofs: { jwt: [await proof(r, holder, nonce)] } });
    expect(noToken).toMatchObject({ status: 401, json: { error: 'invalid_token', field: 'authorization' } });

    // None of that spent the nonce or the token: the holder's own proof with the same nonce works.
    // The jwk form names the holder's key directly.
    const ok = await send(await holder.signJwt({ typ: 'openid4vci-proof+jwt', jwk: holder.publicJwk }, { aud: r.url, iat: Math.floor(r.clock.now() / 1000), nonce }));
    expect(ok.status).toBe(200);
    expect((await verifyIssued(ok.json.credentials[0].credential, r.service.issuerDid)).id).toBe(holder.did);
    expect(ok.json.zkkyc.credentialId).toBe(app.credentialId);
  });

  it('refuses a used nonce and an expired one', async () => {
    // Tokens outlive nonces here, so the expired nonce is the only thing wrong below.
    const { r, holder, app, configuration } = await ready({ accessTokenTtlSeconds: 3600, nonceTtlSeconds: 60 });
    const nonce = await nonceFrom(r.url);
    const first = await tokenFor(r.url, await offerFor(r.url, app));
    expect((await credentialRequest(r.url, first, { credential_configuration_id: configuration, proofs: { jwt: [await proof(r, holder, nonce)] } })).status).toBe(200);
    const second = await tokenFor(r.url, await offerFor(r.url, app));
    const reused = await credentialRequest(r.url, second, { credential_configuration_id: configuration, proofs: { jwt: [await proof(r, holder, nonce)] } });
    expect(reused).toMatchObject({ status: 400, json: { error: 'invalid_nonce', rule: 'c-nonce' } });
    expect(reused.json.error_description).toContain('already used');

    const stale = await nonceFrom(r.url);
    r.clock.advance(r.oid4vci.nonceTtlSeconds * 1000 + 1);
    const late = await credentialRequest(r.url, second, { credential_configuration_id: configuration, proofs: { jwt: [await proof(r, holder, stale)] } });
    expect(late).toMatchObject({ status: 400, json: { error: 'invalid_nonce' } });
    expect(late.json.error_description).toContain('expired');
  });

  it('delivers nothing for a credential revoked after the offer', async () => {
    const { r, holder, app, accessToken, configuration } = await ready();
    expect((await call(r.url, 'POST', `/credentials/${app.credentialId}/revoke`, { reason: 'test' }, { 'x-api-key': REVIEWER_KEY })).status).toBe(200);
    const res = await credentialRequest(r.url, accessToken, { credential_configuration_id: configuration, proofs: { jwt: [await proof(r, holder, await nonceFrom(r.url))] } });
    expect(res).toMatchObject({ status: 403, json: { error: 'credential_request_denied', rule: 'active-credential' } });
  });

  it('an expired access token delivers nothing', async () => {
    const { r, holder, accessToken, configuration } = await ready();
    r.clock.advance(r.oid4vci.accessTokenTtlSeconds * 1000 + 1);
    const res = await credentialRequest(r.url, accessToken, { credential_configuration_id: configuration, proofs: { jwt: [await proof(r, holder, await nonceFrom(r.url))] } });
    expect(res).toMatchObject({ status: 401, json: { error: 'invalid_token' } });
    expect(res.json.error_description).toContain('expired');
  });
});

describe('OpenID4VCI across a crash (kill -9)', () => {
  it('keeps a redeemed code’s access token and an issued nonce usable after the restart, and each still only once', async () => {
    const tmp = tempDir();
    cleanups.push(() => tmp.cleanup());
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: tmp.dbPath,
      ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H',
      REVIEWER_API_KEYS: `alice:${REVIEWER_KEY}:reviewer+approver+revoker`,
      PUBLISH_INTERVAL_SECONDS: '0',
      HOLDER_RATE_LIMIT: '10000',
      ISSUER_PUBLIC_URL: url,
    };
    const boot = () => spawnUntil(['--import', 'tsx', 'issuer-service/src/main.ts'], env, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const first = await boot();
    const r = { url, clock: { now: () => Date.now() } } as unknown as Running;
    const holder = ed25519Holder();
    const app = await approvedApplication(url, holder);
    const offer = await offerFor(url, app);
    const accessToken = await tokenFor(url, offer);
    const nonce = await nonceFrom(url);
    const configuration = configurationOf(offer);
    first.child.kill('SIGKILL');
    await exited(first.child);

    await boot();
    const code = offer.credentialOffer.grants[PRE_AUTH]['pre-authorized_code'];
    expect(await tokenRequest(url, { grant_type: PRE_AUTH, 'pre-authorized_code': code, tx_code: offer.txCode })).toMatchObject({ json: { error: 'invalid_grant', rule: 'single-use' } });
    const delivered = await credentialRequest(url, accessToken, { credential_configuration_id: configuration, proofs: { jwt: [await proof(r, holder, nonce)] } });
    expect(delivered.status).toBe(200);
    expect(delivered.json.zkkyc.credentialId).toBe(app.credentialId);
    const again = await credentialRequest(url, accessToken, { credential_configuration_id: configuration, proofs: { jwt: [await proof(r, holder, nonce)] } });
    expect(again).toMatchObject({ status: 401, json: { error: 'invalid_token' } });
  });
});
