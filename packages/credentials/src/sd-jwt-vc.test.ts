import { digest, ES256 } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { getDidKeyResolver } from '@veramo/did-provider-key';
import { Resolver } from 'did-resolver';
import { decodeProtectedHeader } from 'jose';
import type { CredentialAttributes } from './attributes.js';
import { decodeStatusList, encodeStatusList, setStatusBit, statusBit, STATUS_LIST_BYTES } from './credential-status.js';
import { identityCommitment, identitySecretFromSeed } from './identity.js';
import { createIssuerAgent } from './issuer-agent.js';
import { didKeyVerificationMethod, getOrCreateIssuerJoseKey, kmsJwsSigner } from './issuer-jose-key.js';
import { issueKycSdJwtVc, KYC_DISCLOSABLE_CLAIMS, KYC_VCT, presentKycSdJwtVc, verifyKycSdJwtVc } from './sd-jwt-vc.js';

const HOLDER_DID = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
const attributes: CredentialAttributes = { jurisdiction: 'CH', birthDate: '1975-04-30', investorClasses: ['qualified-investor-ch'], kycLevel: 2, expiryDate: '2099-06-30' };
const idc = identityCommitment(identitySecretFromSeed(new Uint8Array(32).fill(4)));
const resolver = new Resolver(getDidKeyResolver());

describe('KycCredential as SD-JWT VC', () => {
  const agent = createIssuerAgent();
  let issuerDid: string;
  let sdJwt: string;
  let publicJwk: Record<string, unknown>;

  beforeAll(async () => {
    const key = await getOrCreateIssuerJoseKey(agent, 'issuer-jose');
    issuerDid = key.did;
    publicJwk = key.publicJwk as Record<string, unknown>;
    sdJwt = await issueKycSdJwtVc(
      { issuerDid, holderDid: HOLDER_DID, attributes, identityCommitment: idc, leafIndex: 7, treeId: 'issuer-1' },
      kmsJwsSigner(agent, key, didKeyVerificationMethod(key.did)),
    );
  });

  it('hides every KYC claim behind its own disclosure', () => {
    const [jwt, ...disclosures] = sdJwt.split('~');
    expect(decodeProtectedHeader(jwt)).toMatchObject({ typ: 'dc+sd-jwt', alg: 'ES256', kid: didKeyVerificationMethod(issuerDid) });
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
    expect(payload).toMatchObject({ iss: issuerDid, sub: HOLDER_DID, vct: KYC_VCT, _sd_alg: 'sha-256' });
    // No status entry, so it is short-lived: a day, though the credential runs to 2099.
    expect(payload.exp).toBe((payload.iat as number) + 86_400);
    expect(payload._sd).toHaveLength(KYC_DISCLOSABLE_CLAIMS.length);
    for (const claim of KYC_DISCLOSABLE_CLAIMS) expect(payload[claim]).toBeUndefined();
    expect(disclosures.filter((d) => d.length > 0)).toHaveLength(KYC_DISCLOSABLE_CLAIMS.length);
  });

  it('lets the holder disclose each claim alone; the verifier sees only that one', async () => {
    const expected: Record<string, unknown> = { ...attributes, identityCommitment: idc.toString(), leafIndex: 7, treeId: 'issuer-1' };
    for (const claim of KYC_DISCLOSABLE_CLAIMS) {
      const presentation = await presentKycSdJwtVc(sdJwt, [claim]);
      const verified = await verifyKycSdJwtVc(presentation, { resolver, issuerDid });
      expect(verified.disclosed).toEqual({ [claim]: expected[claim] });
      expect(verified.holderDid).toBe(HOLDER_DID);
    }
    const all = await verifyKycSdJwtVc(sdJwt, { resolver });
    expect(all.disclosed).toEqual(expected);
  });

  it('verifies with @sd-jwt/sd-jwt-vc’s own verifier and the issuer’s public JWK', async () => {
    const verifier = new SDJwtVcInstance({ verifier: await ES256.getVerifier(publicJwk), hasher: digest, hashAlg: 'sha-256' });
    const presentation = await presentKycSdJwtVc(sdJwt, ['jurisdiction']);
    const { payload } = await verifier.verify(presentation);
    expect(payload).toMatchObject({ vct: KYC_VCT, iss: issuerDid, jurisdiction: 'CH' });
    expect((payload as Record<string, unknown>).birthDate).toBeUndefined();
  });

  it('refuses a tampered disclosure, a changed payload, and a wrong expected issuer', async () => {
    const presentation = await presentKycSdJwtVc(sdJwt, ['kycLevel']);
    const [jwt, disclosure, ...rest] = presentation.split('~');
    const [salt, name] = JSON.parse(Buffer.from(disclosure, 'base64url').toString('utf8'));
    const forgedDisclosure = Buffer.from(JSON.stringify([salt, name, 9])).toString('base64url');
    await expect(verifyKycSdJwtVc([jwt, forgedDisclosure, ...rest].join('~'), { resolver })).rejects.toThrow();
    const [h, p, s] = jwt.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    payload.sub = 'did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH';
    await expect(verifyKycSdJwtVc([[h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.'), disclosure, ...rest].join('~'), { resolver })).rejects.toThrow();
    await expect(verifyKycSdJwtVc(presentation, { resolver, issuerDid: 'did:key:zDnaeVEtYx3aRzg8Cc344FVTYD34wXBuUgC2222kbExWPewtT' })).rejects.toThrow(/expected/);
    await expect(presentKycSdJwtVc(sdJwt, ['salt' as never])).rejects.toMatchObject({ field: 'claims', rule: 'disclosable' });
  });

  it('refuses an expired SD-JWT VC', async () => {
    await expect(verifyKycSdJwtVc(sdJwt, { resolver, now: new Date('2100-01-01T00:00:00Z') })).rejects.toThrow(/expired/i);
  });
});

describe('Bitstring Status List encoding', () => {
  it('puts bit 0 in the left-most bit of the first byte, and round-trips through GZIP + multibase', () => {
    const bits = new Uint8Array(STATUS_LIST_BYTES);
    setStatusBit(bits, 0);
    setStatusBit(bits, 131_071);
    setStatusBit(bits, 9);
    expect(bits[0]).toBe(0x80);
    expect(bits[1]).toBe(0x40);
    expect(bits[STATUS_LIST_BYTES - 1]).toBe(0x01);
    const encoded = encodeStatusList(bits);
    expect(encoded.startsWith('u')).toBe(true);
    expect(encoded.length).toBeLessThan(200); // a mostly empty list compresses to almost nothing
    const decoded = decodeStatusList(encoded);
    expect([statusBit(decoded, 0), statusBit(decoded, 9), statusBit(decoded, 10), statusBit(decoded, 131_071)]).toEqual([true, true, false, true]);
    setStatusBit(bits, 9, false);
    expect(statusBit(bits, 9)).toBe(false);
    expect(() => setStatusBit(bits, 131_072)).toThrow(expect.objectContaining({ field: 'statusListIndex' }));
    expect(() => encodeStatusList(new Uint8Array(1024))).toThrow(expect.objectContaining({ rule: 'min-131072-bits' }));
    expect(() => decodeStatusList('zabc')).toThrow(expect.objectContaining({ field: 'encodedList' }));
  });
});
