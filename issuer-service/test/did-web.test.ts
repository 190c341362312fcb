import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import './support/inject-shim.js';
import { getDidKeyResolver } from '@veramo/did-provider-key';
import { leafFromCredential, verifyKycCredential } from '@zkkyc/credentials';
import { decodeJWT } from 'did-jwt';
import { Resolver } from 'did-resolver';
import { makeHolder } from './support/holder.js';
import { newPerson } from './support/people.js';
import type { IssuerService } from '../src/issuer-service.js';

/**
 * did:web: the issuer serves /.well-known/did.json and signs VCs as did:web:<host>; a holder
 * verifies them through web-did-resolver. web-did-resolver fetches https://<host>/…; the only thing
 * replaced here is its transport (cross-fetch), which sends the request to the service on
 * 127.0.0.1 over http instead — URL construction, document checks and key matching are the
 * library's own.
 */
const HOST = 'issuer.example.test';
const DID = `did:web:${HOST}`;
let target = '';
const fetched: string[] = [];
jest.unstable_mockModule('cross-fetch', () => ({
  default: (url: string, init?: RequestInit) => {
    fetched.push(url);
    return fetch(url.replace(`https://${HOST}`, target), init);
  },
}));
// web-did-resolver (the verifier's resolver here) is loaded after the mock. The service's own holder
// did:web fetch does not use it (src/services/did-web-resolution.ts; did-web-ssrf.test.ts).
const { getResolver } = await import('web-did-resolver');
const { apply, nextYear, reviewer, startService, tempDir, testConfig } = await import('./support/service.js');
const { loadConfig, ConfigError } = await import('../src/config.js');
const resolver = new Resolver({ ...getResolver(), ...getDidKeyResolver() });

const dirs = [tempDir(), tempDir()];
const services: IssuerService[] = [];
let service: IssuerService;
let url: string;

beforeAll(async () => {
  service = await startService(testConfig(dirs[0].dbPath, { didWebHost: HOST }));
  services.push(service);
  url = await service.app.listen({ port: 0, host: '127.0.0.1' });
  target = url;
});
afterAll(async () => {
  for (const s of services) await s.close();
  for (const d of dirs) d.cleanup();
});

describe('issuer as did:web', () => {
  it('serves its DID document and issues VCs under did:web that verify through web-did-resolver', async () => {
    expect(service.issuerDid).toBe(DID);
    expect((await service.app.inject({ method: 'GET', url: '/health' })).json().issuerDid).toBe(DID);
    const doc = await fetch(`${url}/.well-known/did.json`);
    expect(doc.headers.get('content-type')).toContain('application/did+json');
    const document = (await doc.json()) as any;
    // The VC-JWT 1.1 key (secp256k1) and the JOSE key VC 2.0, SD-JWT VC and the status list are signed with (P-256).
    expect(document).toMatchObject({ id: DID, assertionMethod: [`${DID}#issuer-key`, `${DID}#jose-key`] });
    expect(document.verificationMethod[0].publicKeyJwk).toMatchObject({ kty: 'EC', crv: 'secp256k1' });
    expect(document.verificationMethod[1].publicKeyJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });

    // Holders sign their challenge for the did:web audience, as for did:key.
    const holder = makeHolder();
    const applied = await apply(service, holder);
    expect(applied.statusCode).toBe(201);
    const approved = await service.app.inject({
      method: 'POST',
      url: `/applications/${applied.json.id}/approve`,
      headers: reviewer,
      payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } },
    });
    expect(approved.statusCode).toBe(201);
    const cred = (await service.app.inject({ method: 'GET', url: `/credentials/${approved.json().credentialId}`, headers: { authorization: `Bearer ${applied.json.accessToken}` } })).json();
    expect(decodeJWT(cred.vc).payload.iss).toBe(DID);

    fetched.length = 0;
    const verified = await verifyKycCredential(cred.vc, { issuerDid: DID, resolver });
    expect(verified.error).toBeUndefined();
    expect(verified.verified).toBe(true);
    expect(fetched).toEqual([`https://${HOST}/.well-known/did.json`]);
    expect(leafFromCredential(verified.credential!, BigInt(cred.salt)).toString()).toBe(cred.leaf);
  });

  it('fails verification when the host serves another key', async () => {
    const holder = makeHolder();
    const applied = await apply(service, holder);
    const approved = await service.app.inject({
      method: 'POST',
      url: `/applications/${applied.json.id}/approve`,
      headers: reviewer,
      payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } },
    });
    const vc = (await service.app.inject({ method: 'GET', url: `/credentials/${approved.json().credentialId}`, headers: { authorization: `Bearer ${applied.json.accessToken}` } })).json().vc as string;

    // Another issuer database claiming the same host: its document holds a different key.
    const impostor = await startService(testConfig(dirs[1].dbPath, { didWebHost: HOST }));
    services.push(impostor);
    target = await impostor.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const verified = await verifyKycCredential(vc, { issuerDid: DID, resolver });
      expect(verified.verified).toBe(false);
      expect(verified.error).toMatch(/signature/i);
    } finally {
      target = url;
    }
    expect((await verifyKycCredential(vc, { issuerDid: DID, resolver })).verified).toBe(true);
  });

  it('serves no DID document when not configured for did:web, and validates the host', async () => {
    const dir = tempDir();
    const plain = await startService(testConfig(dir.dbPath));
    try {
      expect(plain.issuerDid).toMatch(/^did:key:/);
      const res = await plain.app.inject({ method: 'GET', url: '/.well-known/did.json' });
      expect(res.statusCode).toBe(404);
    } finally {
      await plain.close();
      dir.cleanup();
    }
    const base = { ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H' };
    expect(loadConfig({ ...base, ISSUER_DID_WEB_HOST: 'localhost%3A3100' }).didWebHost).toBe('localhost%3A3100');
    for (const bad of ['https://issuer.example.com', 'issuer example', 'issuer.example.com/path', '-bad.example']) {
      expect(() => loadConfig({ ...base, ISSUER_DID_WEB_HOST: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, ISSUER_DID_WEB_HOST: bad })).toThrow(/ISSUER_DID_WEB_HOST/);
    }
  });
});
