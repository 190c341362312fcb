import {
  computeLeaf,
  createIssuerAgent,
  didKeyVerificationMethod,
  encodeAttributes,
  getOrCreateIssuerDid,
  getOrCreateIssuerJoseKey,
  identityCommitment,
  identitySecretFromSeed,
  issueKycCredential,
  issueKycCredentialV2,
  kmsJwsSigner,
  type CredentialAttributes,
} from '@zkkyc/credentials';
import type { StoredCredential } from '../storage/wallet-state.js';
import { openCredential, CredentialMismatchError } from './received-credential.js';

/**
 * The wallet opens what the issuer hands out in either format — the VC 2.0 credential secured with
 * VC-JOSE-COSE (P-256 did:key, resolved offline through Web Crypto) and the 1.1 VC-JWT issued
 * before — into the same attributes, and refuses a tampered one.
 */
const HOLDER_DID = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
const attributes: CredentialAttributes = { jurisdiction: 'DE', birthDate: '1988-02-29', investorClasses: ['professional-eu'], kycLevel: 2, expiryDate: '2099-03-01' };
const idc = identityCommitment(identitySecretFromSeed(new Uint8Array(32).fill(5)));
const salt = 12345n;
const leaf = computeLeaf(idc, encodeAttributes(attributes), salt);

function stored(vcJwt: string, issuerDid: string): StoredCredential {
  return { id: 'c', applicationId: 'a', issuerUrl: 'http://127.0.0.1', issuerDid, vcJwt, salt: salt.toString(), leaf: leaf.toString(), leafIndex: 3, treeId: '1', receivedAt: '2026-01-01T00:00:00Z' };
}

describe('openCredential', () => {
  it('opens a VC 2.0 and a 1.1 credential into the same facts', async () => {
    const agent = createIssuerAgent();
    const key = await getOrCreateIssuerJoseKey(agent, 'jose');
    const facts = { holderDid: HOLDER_DID, attributes, identityCommitment: idc, leafIndex: 3, treeId: '1' };
    const { jwt: v2 } = await issueKycCredentialV2(
      { ...facts, issuerDid: key.did, schemaUrl: 'https://issuer.example/schemas/kyc-credential-v2.json' },
      kmsJwsSigner(agent, key, didKeyVerificationMethod(key.did)),
    );
    const v1Did = await getOrCreateIssuerDid(agent);
    const { jwt: v1 } = await issueKycCredential(agent, { ...facts, issuerDid: v1Did });

    const a = await openCredential(stored(v2, key.did), { did: HOLDER_DID, identityCommitment: idc });
    const b = await openCredential(stored(v1, v1Did), { did: HOLDER_DID, identityCommitment: idc });
    expect(a.attributes).toEqual(b.attributes);
    expect(a.encoded).toEqual(encodeAttributes(attributes));
    expect(a.expirationDate).toBe('2099-03-01T23:59:59.000Z');
    expect(b.expirationDate).toBe('2099-03-01T23:59:59.000Z');

    const [h, p, s] = v2.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    payload.credentialSubject.kycLevel = 9;
    const forged = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
    await expect(openCredential(stored(forged, key.did), { did: HOLDER_DID, identityCommitment: idc })).rejects.toMatchObject({ field: 'vc' });
    await expect(openCredential(stored(v2, v1Did), { did: HOLDER_DID, identityCommitment: idc })).rejects.toBeInstanceOf(CredentialMismatchError);
  });
});
