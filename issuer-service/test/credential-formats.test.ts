import { afterEach, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { digest, ES256 } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { getDidKeyResolver } from '@veramo/did-provider-key';
import { KYC_VCT, leafFromCredential, presentKycSdJwtVc, readKycCredential, resolvePublicJwk, verifyKycCredential, verifyKycCredentialV2, verifyKycSdJwtVc } from '@zkkyc/credentials';
import { Resolver } from 'did-resolver';
import { decodeProtectedHeader } from 'jose';
import nodeJose from 'node-jose';
import { loadConfig } from '../src/config.js';
import type { IssuerService } from '../src/issuer-service.js';
import { makeHolder } from './support/holder.js';
import { newPerson } from './support/people.js';
import { apply, nextYear, REVIEWER_KEY, reviewer, startService, tempDir, testConfig } from './support/service.js';

/**
 * What the issuer issues: VC 2.0 + VC-JOSE-COSE by default, the 1.1 VC-JWT with
 * CREDENTIAL_FORMAT=vc1.1 (and 1.1 credentials issued earlier keep being served and read), and the
 * SD-JWT VC on the holder's request. The VC 2.0 is checked with node-jose, a JOSE library the
 * project does not otherwise use, and the SD-JWT VC with @sd-jwt/sd-jwt-vc's own verifier.
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const resolver = new Resolver(getDidKeyResolver());

async function approveOne(service: IssuerService) {
  const holder = makeHolder();
  const applied = await apply(service, holder);
  const approved = await service.app.inject({
    method: 'POST',
    url: `/applications/${applied.json.id}/approve`,
    headers: reviewer,
    payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } },
  });
  expect(approved.statusCode).toBe(201);
  const auth = { authorization: `Bearer ${applied.json.accessToken}` };
  const body = (await service.app.inject({ method: 'GET', url: `/credentials/${approved.json().credentialId}`, headers: auth })).json();
  return { holder, auth, credentialId: approved.json().credentialId as string, applicationId: applied.json.id as string, body };
}

function tamper(jws: string, edit: (payload: any) => void): string {
  const [h, p, s] = jws.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  edit(payload);
  return [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
}

async function nodeJoseVerify(jws: string): Promise<Record<string, any>> {
  const kid = decodeProtectedHeader(jws).kid!;
  const key = await nodeJose.JWK.asKey({ ...(await resolvePublicJwk(resolver, kid)), kid } as object);
  return JSON.parse((await nodeJose.JWS.createVerify(key).verify(jws)).payload.toString('utf8'));
}

describe('credential formats', () => {
  it('issues VC 2.0 secured with VC-JOSE-COSE by default; node-jose verifies it and refuses a tampered one', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const service = await startService(testConfig(tmp.dbPath, { statusBaseUrl: 'https://issuer.example' }));
    cleanups.push(() => service.close());
    const { holder, credentialId, body } = await approveOne(service);

    expect(service.issuerDid).toMatch(/^did:key:zDn/); // the P-256 key's did:key
    expect(decodeProtectedHeader(body.vc)).toMatchObject({ typ: 'vc+jwt', alg: 'ES256' });
    const payload = await nodeJoseVerify(body.vc);
    expect(payload).toMatchObject({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiableCredential', 'KycCredential'],
      issuer: service.issuerDid,
      credentialSchema: { id: 'https://issuer.example/schemas/kyc-credential-v2.json', type: 'JsonSchema' },
      credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListCredential: 'https://issuer.example/status/revocation/1' },
      credentialSubject: { id: holder.did, identityCommitment: holder.idc.toString(), leafIndex: 0 },
    });
    expect(payload.id).toMatch(/^urn:uuid:/);
    expect(payload.validUntil).toMatch(/T23:59:59Z$/);
    await expect(nodeJoseVerify(tamper(body.vc, (p) => (p.credentialSubject.kycLevel = 9)))).rejects.toThrow();
    await expect(
      verifyKycCredentialV2(
        tamper(body.vc, (p) => (p.credentialSubject.kycLevel = 9)),
        { resolver },
      ),
    ).rejects.toMatchObject({ rule: 'signature' });

    const { credential } = await verifyKycCredentialV2(body.vc, { resolver, issuerDid: service.issuerDid });
    expect(leafFromCredential(credential, BigInt(body.salt)).toString()).toBe(body.leaf);
    const stored = (await service.store.getCredential(credentialId))!;
    expect(stored).toMatchObject({ format: 'vc2', statusList: 1 });
    expect(stored.statusIndex).toBe(Number(payload.credentialStatus.statusListIndex));
  });

  it('issues the 1.1 VC-JWT with CREDENTIAL_FORMAT=vc1.1, and keeps serving and reading it after switching to vc2', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const v1 = await startService(testConfig(tmp.dbPath, { credentialFormat: 'vc1.1' }));
    const old = await approveOne(v1);
    const v1Did = v1.issuerDid;
    expect(v1Did).toMatch(/^did:key:zQ3s/);
    expect(decodeProtectedHeader(old.body.vc).typ).toBe('JWT');
    expect(await verifyKycCredential(old.body.vc, { issuerDid: v1Did })).toMatchObject({ verified: true, format: 'vc1.1' });
    expect((await v1.store.getCredential(old.credentialId))!).toMatchObject({ format: 'vc1.1', statusList: null, statusIndex: null });
    expect((await v1.store.rowCounts()).status_lists).toBe(0);
    await v1.close();

    const v2 = await startService(testConfig(tmp.dbPath));
    cleanups.push(() => v2.close());
    expect(v2.issuerDid).not.toBe(v1Did);
    // The 1.1 credential issued before is still served as issued and still reads, through the same reader.
    const again = (await v2.app.inject({ method: 'GET', url: `/credentials/${old.credentialId}`, headers: old.auth })).json();
    expect(again.vc).toBe(old.body.vc);
    const readOld = await readKycCredential(again.vc, { resolver, issuerDid: v1Did });
    const fresh = await approveOne(v2);
    const readNew = await readKycCredential(fresh.body.vc, { resolver, issuerDid: v2.issuerDid });
    expect([readOld.format, readNew.format]).toEqual(['vc1.1', 'vc2']);
    expect(Object.keys(readNew.attributes)).toEqual(Object.keys(readOld.attributes));
    // Revoking the 1.1 credential (no status bit) still works; the list is untouched.
    const revoked = await v2.app.inject({ method: 'POST', url: `/credentials/${old.credentialId}/revoke`, headers: reviewer, payload: { reason: 'test' } });
    expect(revoked.statusCode).toBe(200);
    expect((await v2.store.getStatusList(1))!.version).toBe(0);
  });

  it('hands the holder an SD-JWT VC on request; each claim can be shown alone', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const service = await startService(testConfig(tmp.dbPath));
    cleanups.push(() => service.close());
    const { holder, auth, credentialId, body } = await approveOne(service);

    const res = await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}/sd-jwt-vc`, headers: auth });
    expect(res.statusCode).toBe(200);
    const { credential: sdJwt, issuerDid, format, disclosable } = res.json();
    expect(format).toBe('sd-jwt-vc');
    expect(issuerDid).toBe(service.issuerDid);
    expect(disclosable).toContain('jurisdiction');
    expect(decodeProtectedHeader(sdJwt.split('~')[0]).typ).toBe('dc+sd-jwt');

    const onlyJurisdiction = await presentKycSdJwtVc(sdJwt, ['jurisdiction']);
    const verified = await verifyKycSdJwtVc(onlyJurisdiction, { resolver, issuerDid });
    expect(verified.disclosed).toEqual({ jurisdiction: 'FR' });
    expect(verified.holderDid).toBe(holder.did);
    // @sd-jwt/sd-jwt-vc's own verifier, with the issuer's public JWK, agrees.
    const kid = decodeProtectedHeader(sdJwt.split('~')[0]).kid!;
    const own = new SDJwtVcInstance({ verifier: await ES256.getVerifier(await resolvePublicJwk(resolver, kid)), hasher: digest, hashAlg: 'sha-256' });
    expect((await own.verify(onlyJurisdiction)).payload).toMatchObject({ vct: KYC_VCT, jurisdiction: 'FR' });
    // Same facts as the VC 2.0 credential.
    const all = await verifyKycSdJwtVc(sdJwt, { resolver });
    const { credential } = await verifyKycCredentialV2(body.vc, { resolver });
    const { id: _id, ...subject } = credential.credentialSubject;
    expect(all.disclosed).toEqual(subject);

    // Holder only; nothing for a revoked credential.
    expect((await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}/sd-jwt-vc`, headers: { 'x-api-key': REVIEWER_KEY } })).statusCode).toBe(403);
    expect((await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}/sd-jwt-vc`, headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(404);
    await service.app.inject({ method: 'POST', url: `/credentials/${credentialId}/revoke`, headers: reviewer, payload: { reason: 'test' } });
    const refused = await service.app.inject({ method: 'GET', url: `/credentials/${credentialId}/sd-jwt-vc`, headers: auth });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('credential_not_active');
  });

  it('reads CREDENTIAL_FORMAT and STATUS_BASE_URL, refusing bad values by name', () => {
    const env = { ZKKYC_DEV: '1' };
    expect(loadConfig(env).credentialFormat).toBe('vc2');
    expect(loadConfig({ ...env, CREDENTIAL_FORMAT: 'vc1.1' }).credentialFormat).toBe('vc1.1');
    expect(() => loadConfig({ ...env, CREDENTIAL_FORMAT: 'ldp' })).toThrow(/CREDENTIAL_FORMAT/);
    expect(loadConfig({ ...env, STATUS_BASE_URL: 'https://issuer.example/kyc' }).statusBaseUrl).toBe('https://issuer.example/kyc');
    expect(() => loadConfig({ ...env, STATUS_BASE_URL: 'https://issuer.example/' })).toThrow(/STATUS_BASE_URL/);
  });
});
