import { getDidKeyResolver } from '@veramo/did-provider-key';
import { MemoryDIDStore } from '@veramo/did-manager';
import { MemoryKeyStore, MemoryPrivateKeyStore } from '@veramo/key-manager';
import { Resolver } from 'did-resolver';
import { encodeAttributes, randomSalt, type CredentialAttributes } from './attributes.js';
import { ValidationError } from './errors.js';
import { identityCommitment, identitySecretFromSeed } from './identity.js';
import { createIssuerAgent, getOrCreateIssuerDid } from './issuer-agent.js';
import { KYC_CREDENTIAL_SCHEMA, KYC_CREDENTIAL_SCHEMA_ID } from './kyc-credential-schema.js';
import { computeLeaf } from './leaf.js';
import { issueKycCredential, leafFromCredential, verifyKycCredential } from './vc.js';

const HOLDER_DID = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
const ISSUER_KEY = '0x' + '11'.repeat(32);
const attributes: CredentialAttributes = {
  jurisdiction: 'GB',
  birthDate: '1980-11-02',
  investorClasses: ['professional-uk', 'accredited'],
  kycLevel: 3,
  expiryDate: '2099-12-31',
};
const idc = identityCommitment(identitySecretFromSeed(new Uint8Array(32).fill(9)));

function tamperPayload(jwt: string, edit: (payload: any) => void): string {
  const [header, payload, signature] = jwt.split('.');
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  edit(decoded);
  return [header, Buffer.from(JSON.stringify(decoded)).toString('base64url'), signature].join('.');
}

describe('KycCredential (W3C VC, JWT)', () => {
  const agent = createIssuerAgent({ privateKeyHex: ISSUER_KEY });
  let issuerDid: string;
  let jwt: string;

  beforeAll(async () => {
    issuerDid = await getOrCreateIssuerDid(agent);
    ({ jwt } = await issueKycCredential(agent, { issuerDid, holderDid: HOLDER_DID, attributes, identityCommitment: idc, leafIndex: 5, treeId: 'issuer-1' }));
  });

  it('accepts only a signature by a key the issuer lists under assertionMethod', async () => {
    const didKey = new Resolver(getDidKeyResolver());
    expect((await verifyKycCredential(jwt, { resolver: didKey })).verified).toBe(true);
    // The same document with the key for authentication only: not a key the issuer asserts with.
    const authenticationOnly = new Resolver({
      key: async (did, parsed, resolver, options) => {
        const resolved = await didKey.resolve(did, options);
        // Declared and empty (did-jwt treats a document with no assertionMethod at all as listing every key).
        return { ...resolved, didDocument: { ...resolved.didDocument!, assertionMethod: [] } };
      },
    });
    const refused = await verifyKycCredential(jwt, { resolver: authenticationOnly });
    expect(refused.verified).toBe(false);
    expect(refused.error).toMatch(/assertionMethod/);
    // A document with no assertionMethod at all (did-jwt would read it as "every key"): refused too.
    const noAssertion = new Resolver({
      key: async (did, parsed, resolver, options) => {
        const resolved = await didKey.resolve(did, options);
        const { assertionMethod: _none, ...document } = resolved.didDocument!;
        return { ...resolved, didDocument: document };
      },
    });
    expect((await verifyKycCredential(jwt, { resolver: noAssertion })).verified).toBe(false);
  });

  it('gives a deterministic did:key for an imported key, stable per alias', async () => {
    expect(issuerDid).toMatch(/^did:key:zQ3s/);
    expect(await getOrCreateIssuerDid(agent)).toBe(issuerDid);
    expect(await getOrCreateIssuerDid(createIssuerAgent({ privateKeyHex: ISSUER_KEY }))).toBe(issuerDid);
    expect(await getOrCreateIssuerDid(createIssuerAgent())).not.toBe(issuerDid);
    expect(() => createIssuerAgent({ privateKeyHex: '0x1234' })).toThrow(expect.objectContaining({ field: 'privateKeyHex' }));
  });

  it('shares injected stores and refuses a stored alias held under another key', async () => {
    const keyStore = new MemoryKeyStore();
    const privateKeyStore = new MemoryPrivateKeyStore();
    const didStore = new MemoryDIDStore();
    const first = createIssuerAgent({ keyStore, privateKeyStore, didStore, privateKeyHex: ISSUER_KEY });
    const did = await getOrCreateIssuerDid(first, 'kyc');
    // A restarted service with the same stores finds the same DID, key given or not.
    expect(await getOrCreateIssuerDid(createIssuerAgent({ keyStore, privateKeyStore, didStore }), 'kyc')).toBe(did);
    const mismatched = createIssuerAgent({ keyStore, privateKeyStore, didStore, privateKeyHex: '22'.repeat(32) });
    await expect(getOrCreateIssuerDid(mismatched, 'kyc')).rejects.toMatchObject({ field: 'privateKeyHex', rule: 'matches-stored-did' });
    expect(await didStore.listDIDs({ alias: 'kyc' })).toHaveLength(1);
  });

  it('is issued by Veramo and verified by did-jwt-vc alone', async () => {
    const result = await verifyKycCredential(jwt, { issuerDid });
    expect(result.error).toBeUndefined();
    expect(result.verified).toBe(true);
    const vc = result.credential!;
    expect(vc.type).toEqual(['VerifiableCredential', 'KycCredential']);
    expect(vc['@context']).toEqual(['https://www.w3.org/2018/credentials/v1']);
    expect(vc.credentialSchema).toEqual({ id: KYC_CREDENTIAL_SCHEMA_ID, type: 'JsonSchema' });
    expect(vc.expirationDate).toBe('2099-12-31T23:59:59.000Z');
    expect(vc.credentialSubject).toEqual({
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
    expect(JSON.stringify(vc)).not.toMatch(/salt/i);
    expect(KYC_CREDENTIAL_SCHEMA.$id).toBe(KYC_CREDENTIAL_SCHEMA_ID);
  });

  it('verifies with an injected resolver too', async () => {
    expect((await verifyKycCredential(jwt, { resolver: new Resolver(getDidKeyResolver()) })).verified).toBe(true);
  });

  it('is not verified once the payload is changed under the same signature', async () => {
    const forged = tamperPayload(jwt, (p) => {
      p.vc.credentialSubject.kycLevel = 9;
    });
    const result = await verifyKycCredential(forged);
    expect(result.verified).toBe(false);
    expect(result.credential).toBeUndefined();
    expect(result.error).toMatch(/signature/i);
  });

  it('is not verified for another expected issuer, after expiry, or when garbled', async () => {
    const other = await getOrCreateIssuerDid(createIssuerAgent());
    expect(await verifyKycCredential(jwt, { issuerDid: other })).toMatchObject({ verified: false });
    const later = Date.UTC(2100, 0, 2) / 1000;
    expect(await verifyKycCredential(jwt, { policies: { now: later } })).toMatchObject({ verified: false });
    expect(await verifyKycCredential('not.a.jwt')).toMatchObject({ verified: false });
  });

  it('recomputes the issued leaf from the VC and the salt', async () => {
    const salt = randomSalt();
    const { credential } = await verifyKycCredential(jwt);
    expect(leafFromCredential(credential!, salt)).toBe(computeLeaf(idc, encodeAttributes(attributes), salt));
    expect(leafFromCredential(credential!, salt + 1n)).not.toBe(computeLeaf(idc, encodeAttributes(attributes), salt));
  });

  it('refuses to issue bad attributes, naming the field', async () => {
    const base = { issuerDid, holderDid: HOLDER_DID, attributes, identityCommitment: idc, leafIndex: 0, treeId: 't' };
    await expect(issueKycCredential(agent, { ...base, attributes: { ...attributes, jurisdiction: 'XX' } })).rejects.toMatchObject({ field: 'jurisdiction' });
    await expect(issueKycCredential(agent, { ...base, attributes: { ...attributes, kycLevel: 256 } })).rejects.toMatchObject({ field: 'kycLevel' });
    await expect(issueKycCredential(agent, { ...base, holderDid: 'alice' })).rejects.toMatchObject({ field: 'holderDid' });
    await expect(issueKycCredential(agent, { ...base, leafIndex: -1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(issueKycCredential(agent, { ...base, expirationDate: '2099-12-30T00:00:00Z' })).rejects.toMatchObject({ field: 'expirationDate' });
  });
});
