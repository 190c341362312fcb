import { createECDH, randomBytes } from 'node:crypto';
import { getDidKeyResolver } from '@veramo/did-provider-key';
import { MemoryDIDStore } from '@veramo/did-manager';
import { MemoryKeyStore, MemoryPrivateKeyStore } from '@veramo/key-manager';
import { Resolver } from 'did-resolver';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { encodeAttributes, randomSalt, type CredentialAttributes } from './attributes.js';
import { readKycCredential } from './credential-reader.js';
import { identityCommitment, identitySecretFromSeed } from './identity.js';
import { createIssuerAgent, getOrCreateIssuerDid } from './issuer-agent.js';
import { didKeyVerificationMethod, getOrCreateIssuerJoseKey, interoperableP256Key, kmsJwsSigner, p256DidKey, p256PublicJwk } from './issuer-jose-key.js';
import { computeLeaf } from './leaf.js';
import { issueKycCredential, leafFromCredential, verifyKycCredential } from './vc.js';
import { issueKycCredentialV2, resolvePublicJwk, signCredentialJose, verifyCredentialJose, verifyKycCredentialV2, VC2_CONTEXT, type BitstringStatusListEntry } from './vc2-jose.js';

const HOLDER_DID = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
const SCHEMA_URL = 'https://issuer.example/schemas/kyc-credential-v2.json';
const attributes: CredentialAttributes = {
  jurisdiction: 'GB',
  birthDate: '1980-11-02',
  investorClasses: ['professional-uk', 'accredited'],
  kycLevel: 3,
  expiryDate: '2099-12-31',
};
const idc = identityCommitment(identitySecretFromSeed(new Uint8Array(32).fill(9)));
const status: BitstringStatusListEntry = {
  id: 'https://issuer.example/status/revocation/1#94567',
  type: 'BitstringStatusListEntry',
  statusPurpose: 'revocation',
  statusListIndex: '94567',
  statusListCredential: 'https://issuer.example/status/revocation/1',
};
const resolver = new Resolver(getDidKeyResolver());

function editPayload(jwt: string, edit: (payload: any) => void): string {
  const [header, payload, signature] = jwt.split('.');
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  edit(decoded);
  return [header, Buffer.from(JSON.stringify(decoded)).toString('base64url'), signature].join('.');
}

describe('KycCredential, VC Data Model 2.0 secured with VC-JOSE-COSE', () => {
  const stores = { keyStore: new MemoryKeyStore(), privateKeyStore: new MemoryPrivateKeyStore(), didStore: new MemoryDIDStore() };
  const agent = createIssuerAgent(stores);
  let issuerDid: string;
  let jwt: string;
  let signer: ReturnType<typeof kmsJwsSigner>;

  beforeAll(async () => {
    const key = await getOrCreateIssuerJoseKey(agent, 'issuer-jose');
    issuerDid = key.did;
    signer = kmsJwsSigner(agent, key, didKeyVerificationMethod(key.did));
    ({ jwt } = await issueKycCredentialV2({ issuerDid, holderDid: HOLDER_DID, attributes, identityCommitment: idc, leafIndex: 5, treeId: 'issuer-1', schemaUrl: SCHEMA_URL, status }, signer));
  });

  it('keeps the P-256 key in the KMS under its alias: same did:key on every open', async () => {
    expect(issuerDid).toMatch(/^did:key:zDn/);
    expect((await getOrCreateIssuerJoseKey(agent, 'issuer-jose')).did).toBe(issuerDid);
    expect((await getOrCreateIssuerJoseKey(createIssuerAgent(stores), 'issuer-jose')).did).toBe(issuerDid);
    expect(JSON.stringify(await stores.keyStore.listKeys({}))).not.toMatch(/privateKeyHex/);
    // The alias of the secp256k1 did:key is not a P-256 key.
    await getOrCreateIssuerDid(agent, 'issuer');
    await expect(getOrCreateIssuerJoseKey(agent, 'issuer')).rejects.toMatchObject({ field: 'alias', rule: 'p256-key' });
  });

  it('has the 2.0 header and fields, and the payload is the credential itself', async () => {
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', typ: 'vc+jwt', kid: didKeyVerificationMethod(issuerDid) });
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
    expect(payload.vc).toBeUndefined();
    expect(payload['@context']).toEqual([VC2_CONTEXT]);
    expect(payload.type).toEqual(['VerifiableCredential', 'KycCredential']);
    expect(payload.id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(payload.issuer).toBe(issuerDid);
    expect(payload.iss).toBe(issuerDid);
    expect(Date.parse(payload.validFrom)).toBeLessThanOrEqual(Date.now());
    expect(payload.validUntil).toBe('2099-12-31T23:59:59Z');
    expect(payload.credentialSchema).toEqual({ id: SCHEMA_URL, type: 'JsonSchema' });
    expect(payload.credentialStatus).toEqual(status);
    expect(payload.credentialSubject).toEqual({
      id: HOLDER_DID,
      jurisdiction: 'GB',
      birthDate: '1980-11-02',
      investorClasses: ['accredited', 'professional-uk'],
      kycLevel: 3,
      expiryDate: '2099-12-31',
      identityCommitment: idc.toString(),
      leafIndex: 5,
      treeId: 'issuer-1',
    });
    expect(jwt).not.toMatch(/salt/i);
  });

  it('verifies with jose against the key the DID document gives for the kid', async () => {
    const doc = (await resolver.resolve(issuerDid)).didDocument!;
    const jwk = doc.verificationMethod!.find((m) => m.id === decodeProtectedHeader(jwt).kid)!.publicKeyJwk!;
    await expect(compactVerify(jwt, await importJWK(jwk, 'ES256'))).resolves.toBeDefined();
    const { credential, attributes: read } = await verifyKycCredentialV2(jwt, { resolver, issuerDid });
    expect(read).toEqual({ ...attributes, investorClasses: ['accredited', 'professional-uk'] });
    expect(credential.credentialStatus).toEqual(status);
  });

  it('refuses a changed payload, a changed signature, another issuer and a foreign kid', async () => {
    const forged = editPayload(jwt, (p) => {
      p.credentialSubject.kycLevel = 9;
    });
    await expect(verifyKycCredentialV2(forged, { resolver })).rejects.toMatchObject({ rule: 'signature' });
    const [h, p, s] = jwt.split('.');
    const sig = Buffer.from(s, 'base64url');
    sig[10] ^= 1;
    await expect(verifyKycCredentialV2([h, p, sig.toString('base64url')].join('.'), { resolver })).rejects.toMatchObject({ rule: 'signature' });
    const other = await getOrCreateIssuerJoseKey(createIssuerAgent(), 'other');
    await expect(verifyKycCredentialV2(jwt, { resolver, issuerDid: other.did })).rejects.toMatchObject({ rule: 'issuer' });
    // Another issuer's key cannot sign in this issuer's name: the kid must be the issuer's.
    const otherSigner = kmsJwsSigner(createIssuerAgent(), other, didKeyVerificationMethod(other.did));
    await expect(issueKycCredentialV2({ issuerDid, holderDid: HOLDER_DID, attributes, identityCommitment: idc, leafIndex: 0, treeId: 't', schemaUrl: SCHEMA_URL }, otherSigner)).rejects.toMatchObject({
      field: 'signer.kid',
    });
    const retargeted = editPayload(jwt, (payload) => {
      payload.issuer = other.did;
      payload.iss = other.did;
    });
    await expect(verifyKycCredentialV2(retargeted, { resolver })).rejects.toMatchObject({ rule: 'signature' });
  });

  it('refuses an expired credential with a clear error, and one not yet valid', async () => {
    await expect(verifyKycCredentialV2(jwt, { resolver, now: new Date('2100-01-01T00:00:00Z') })).rejects.toThrow(/expired: validUntil 2099-12-31T23:59:59Z has passed/);
    await expect(verifyKycCredentialV2(jwt, { resolver, now: new Date('2020-01-01T00:00:00Z') })).rejects.toMatchObject({ rule: 'not-yet-valid' });
    // verifyKycCredential (the API both versions share) says the same, without throwing.
    expect(await verifyKycCredential(jwt, { policies: { now: Date.UTC(2100, 0, 2) / 1000 } })).toMatchObject({ verified: false, error: expect.stringMatching(/expired/) });
  });

  it('refuses validity that is not a date, and honours the JWT claims nbf and exp', async () => {
    const base = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential'], issuer: issuerDid, credentialSubject: { id: HOLDER_DID } };
    const badDate = await signCredentialJose({ ...base, validUntil: 'next year' }, signer);
    await expect(verifyCredentialJose(badDate, { resolver })).rejects.toMatchObject({ rule: 'shape' });
    // validUntil says 2099, the JWT's own exp is past: a JWT library would refuse it, so do we.
    const [h, ,] = (await signCredentialJose({ ...base, validUntil: '2099-01-01T00:00:00Z' }, signer)).split('.');
    const payload = { ...base, validUntil: '2099-01-01T00:00:00Z', iss: issuerDid, exp: 1_000_000_000 };
    const input = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const stale = `${input}.${await signer.sign(input)}`;
    await expect(verifyCredentialJose(stale, { resolver })).rejects.toMatchObject({ rule: 'expired' });
    // A kid of another DID than the expected issuer: refused before anything is resolved.
    const other = await getOrCreateIssuerJoseKey(createIssuerAgent(), 'elsewhere');
    await expect(verifyCredentialJose(jwt, { resolver: { resolve: () => Promise.reject(new Error('resolved')) }, issuerDid: other.did })).rejects.toMatchObject({ rule: 'issuer' });
  });

  it('refuses bad input, naming the field', async () => {
    const base = { issuerDid, holderDid: HOLDER_DID, attributes, identityCommitment: idc, leafIndex: 0, treeId: 't', schemaUrl: SCHEMA_URL };
    await expect(issueKycCredentialV2({ ...base, attributes: { ...attributes, jurisdiction: 'XX' } }, signer)).rejects.toMatchObject({ field: 'jurisdiction' });
    await expect(issueKycCredentialV2({ ...base, schemaUrl: 'not a url' }, signer)).rejects.toMatchObject({ field: 'schemaUrl', rule: 'url' });
    await expect(issueKycCredentialV2({ ...base, holderDid: 'alice' }, signer)).rejects.toMatchObject({ field: 'holderDid' });
    await expect(issueKycCredentialV2({ ...base, id: 'credential-1' }, signer)).rejects.toMatchObject({ field: 'id', rule: 'urn-uuid' });
  });

  it('reads 1.1 and 2.0 credentials into the same attributes, and recomputes the same leaf from both', async () => {
    const v1Agent = createIssuerAgent({ privateKeyHex: '0x' + '11'.repeat(32) });
    const v1Issuer = await getOrCreateIssuerDid(v1Agent);
    const { jwt: v1 } = await issueKycCredential(v1Agent, { issuerDid: v1Issuer, holderDid: HOLDER_DID, attributes, identityCommitment: idc, leafIndex: 5, treeId: 'issuer-1' });
    const a = await readKycCredential(v1, { resolver, issuerDid: v1Issuer });
    const b = await readKycCredential(jwt, { resolver, issuerDid });
    expect(a.format).toBe('vc1.1');
    expect(b.format).toBe('vc2');
    for (const key of ['attributes', 'holderDid', 'identityCommitment', 'leafIndex', 'treeId'] as const) expect(b[key]).toEqual(a[key]);
    expect(b.validUntil).toBe('2099-12-31T23:59:59Z');
    expect(a.validUntil).toBe('2099-12-31T23:59:59.000Z');
    const salt = randomSalt();
    const v1Verified = await verifyKycCredential(v1);
    const v2Verified = await verifyKycCredential(jwt, { issuerDid });
    expect(v1Verified).toMatchObject({ verified: true, format: 'vc1.1' });
    expect(v2Verified).toMatchObject({ verified: true, format: 'vc2' });
    const leaf = computeLeaf(idc, encodeAttributes(attributes), salt);
    expect(leafFromCredential(v1Verified.credential!, salt)).toBe(leaf);
    expect(leafFromCredential(v2Verified.credential!, salt)).toBe(leaf);
    // Past its end, both are refused unless the reader is told to ignore validity (a wallet shows them).
    const later = new Date('2100-01-02T00:00:00Z');
    await expect(readKycCredential(v1, { resolver, now: later })).rejects.toThrow(/expir|exp/i);
    await expect(readKycCredential(jwt, { resolver, now: later })).rejects.toThrow(/expired/);
    expect((await readKycCredential(v1, { resolver, now: later, ignoreValidity: true })).format).toBe('vc1.1');
    expect((await readKycCredential(jwt, { resolver, now: later, ignoreValidity: true })).format).toBe('vc2');
    // A 1.1 credential whose payload changed is refused by the same reader.
    const forged = editPayload(v1, (p) => {
      p.vc.credentialSubject.kycLevel = 9;
    });
    await expect(readKycCredential(forged, { resolver })).rejects.toThrow(/signature/i);
  });
});

describe('P-256 coordinates with a leading zero byte', () => {
  // Veramo's did:key resolver writes such a coordinate 31 bytes long; strict JOSE libraries refuse that.
  const secrets = function* () {
    for (let i = 1; ; i += 1) yield Buffer.from(i.toString(16).padStart(64, '0'), 'hex');
  };
  function leadingZeroKey(): { privateKey: Buffer; publicKeyHex: string } {
    for (const privateKey of secrets()) {
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(privateKey);
      if (ecdh.getPublicKey()[1] === 0) return { privateKey, publicKeyHex: ecdh.getPublicKey('hex', 'compressed') };
    }
    throw new Error('unreachable');
  }

  it('resolvePublicJwk gives x and y at their full 32 bytes, whatever length the resolver wrote', async () => {
    const { publicKeyHex } = leadingZeroKey();
    const did = p256DidKey(publicKeyHex);
    const written = ((await resolver.resolve(did)).didDocument!.verificationMethod![0] as { publicKeyJwk: { x: string } }).publicKeyJwk;
    expect(Buffer.from(written.x, 'base64url').length).toBe(31); // the resolver's short form
    const jwk = await resolvePublicJwk(resolver, didKeyVerificationMethod(did));
    expect(jwk).toMatchObject(p256PublicJwk(publicKeyHex));
    expect(Buffer.from(jwk.x!, 'base64url').length).toBe(32);
  });

  it('a new issuer key never has one, so its did:key resolves to a full-length JWK with any resolver', () => {
    const skipped = leadingZeroKey();
    const draws = [skipped.privateKey, randomBytes(32)];
    const key = interoperableP256Key(() => draws.shift() ?? randomBytes(32));
    expect(draws).toHaveLength(0); // the first draw was refused
    expect(key.publicKeyHex).not.toBe(skipped.publicKeyHex);
    const jwk = p256PublicJwk(key.publicKeyHex);
    for (const c of [jwk.x!, jwk.y!]) expect(Buffer.from(c, 'base64url')[0]).not.toBe(0);
  });
});
