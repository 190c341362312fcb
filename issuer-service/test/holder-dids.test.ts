import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import './support/inject-shim.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import hre from 'hardhat';
// Type-only: brings in hardhat-ethers' `hre.ethers` augmentation (the plugin itself is loaded by the config).
import type {} from '@nomicfoundation/hardhat-ethers';
import { createJWT, ES256KSigner } from 'did-jwt';
import registryPackage from 'ethr-did-registry';
import { Contract, ContractFactory, getBytes, SigningKey, Wallet } from 'ethers';
import { identityCommitment, randomIdentitySecret } from '@zkkyc/credentials';

/**
 * Holder DIDs beyond did:key. did:ethr resolves against a real ERC-1056 EthereumDIDRegistry
 * (deployed from the ethr-did-registry package's artifact) on Hardhat's in-process chain, handed to
 * the service as a provider. did:web resolves through web-did-resolver; only its transport
 * (cross-fetch) is replaced, sending https://<host>/… to a local 127.0.0.1 server instead.
 */
const HOST = 'holder.example.test';
let docs: Record<string, unknown> = {};
jest.unstable_mockModule('cross-fetch', () => ({
  default: (url: string, init?: RequestInit) => fetch(url.replace(`https://${HOST}`, docServerUrl), init),
}));
// Loaded after the mock so the service's web-did-resolver sees the redirected transport.
const { apply, startService, tempDir, testConfig } = await import('./support/service.js');
const { ConfigError, loadConfig } = await import('../src/config.js');
type TestHolder = import('./support/holder.js').TestHolder;
type IssuerService = import('../src/issuer-service.js').IssuerService;

let docServer: Server;
let docServerUrl = '';
let registry: Contract;
let service: IssuerService;
const tmp = tempDir();

beforeAll(async () => {
  docServer = createServer((req, res) => {
    const doc = docs[req.url ?? ''];
    res.writeHead(doc ? 200 : 404, { 'content-type': 'application/did+json' }).end(JSON.stringify(doc ?? {}));
  });
  await new Promise<void>((resolve) => docServer.listen(0, '127.0.0.1', resolve));
  docServerUrl = `http://127.0.0.1:${(docServer.address() as AddressInfo).port}`;

  const [deployer] = await hre.ethers.getSigners();
  const artifact = registryPackage.EthereumDIDRegistry;
  registry = (await new ContractFactory(artifact.abi, artifact.bytecode, deployer).deploy()) as Contract;
  await registry.waitForDeployment();
  service = await startService(testConfig(tmp.dbPath), {
    holderDids: { ethr: { provider: hre.ethers.provider, registryAddress: await registry.getAddress() } },
  });
});
afterAll(async () => {
  await service?.close();
  await new Promise((resolve) => docServer.close(resolve));
  tmp.cleanup();
});

/** A holder with `did` that signs its challenge with `key` (ES256K-R: did-jwt recovers the address). */
function holderSigningWith(did: string, key: string, alg: 'ES256K' | 'ES256K-R' = 'ES256K-R'): TestHolder {
  const signer = ES256KSigner(getBytes(key), alg === 'ES256K-R');
  const secret = randomIdentitySecret();
  return { did, secret, idc: identityCommitment(secret), sign: (nonce, extra = {}) => createJWT({ nonce, ...extra }, { issuer: did, signer }, { alg }) };
}

/** Applies and, when refused, asserts that only the challenge row was added (nothing else stored). */
async function applyCounted(holder: TestHolder): Promise<{ statusCode: number; json: any; added: Record<string, number> }> {
  const before = await service.store.rowCounts();
  const res = await apply(service, holder);
  const after = await service.store.rowCounts();
  const added = Object.fromEntries(Object.keys(after).map((t) => [t, (after as any)[t] - (before as any)[t]]));
  return { ...res, added };
}

/** The stored application, read back with the holder's bearer token. */
async function readBack(applied: { id: string; accessToken: string }): Promise<unknown> {
  const res = await service.app.inject({ method: 'GET', url: `/applications/${applied.id}`, headers: { authorization: `Bearer ${applied.accessToken}` } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

function expectNothingStored(added: Record<string, number>): void {
  for (const [table, delta] of Object.entries(added)) expect([table, delta]).toEqual([table, table === 'challenges' ? 1 : 0]);
}

describe('did:ethr holders (EthereumDIDRegistry on the in-process chain)', () => {
  const chainHex = `0x${hre.network.config.chainId!.toString(16)}`;

  it('accepts a JWT signed by the DID’s wallet key', async () => {
    const wallet = Wallet.createRandom();
    const did = `did:ethr:${chainHex}:${wallet.address}`;
    const res = await applyCounted(holderSigningWith(did, wallet.privateKey));
    expect(res.statusCode).toBe(201);
    expect(await readBack(res.json)).toMatchObject({ did, status: 'pending' });
    expect(res.added.applications).toBe(1);
  });

  it('refuses the same DID signed by another key, storing nothing', async () => {
    const wallet = Wallet.createRandom();
    const did = `did:ethr:${chainHex}:${wallet.address}`;
    const res = await applyCounted(holderSigningWith(did, Wallet.createRandom().privateKey));
    expect(res.statusCode).toBe(401);
    expect(res.json.error).toMatchObject({ code: 'bad_signature', field: 'signature' });
    expectNothingStored(res.added);
  });

  it('follows ownership changes recorded in the registry', async () => {
    const [funder] = await hre.ethers.getSigners();
    const identity = Wallet.createRandom().connect(hre.ethers.provider);
    const newOwner = Wallet.createRandom();
    await (await funder.sendTransaction({ to: identity.address, value: 10n ** 17n })).wait();
    await (await (registry.connect(identity) as Contract).changeOwner(identity.address, newOwner.address)).wait();
    const did = `did:ethr:${chainHex}:${identity.address}`;

    const old = await applyCounted(holderSigningWith(did, identity.privateKey));
    expect(old.statusCode).toBe(401);
    expectNothingStored(old.added);
    const current = await applyCounted(holderSigningWith(did, newOwner.privateKey));
    expect(current.statusCode).toBe(201);
  });

  it('refuses did:ethr DIDs on another network with a 400 naming the field', async () => {
    const wallet = Wallet.createRandom();
    const res = await service.app.inject({ method: 'POST', url: '/challenges', payload: { did: `did:ethr:0x1:${wallet.address}` } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ field: 'did', rule: 'did-ethr-network' });
  });
});

describe('did:web holders (web-did-resolver against a local server)', () => {
  /** A did:web document whose only (authentication) key is `key`'s secp256k1 public key. */
  function didWebDocument(did: string, key: string): Record<string, unknown> {
    const pub = Buffer.from(getBytes(SigningKey.computePublicKey(key, false)));
    const vm = `${did}#key-1`;
    return {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
      id: did,
      verificationMethod: [
        { id: vm, type: 'JsonWebKey2020', controller: did, publicKeyJwk: { kty: 'EC', crv: 'secp256k1', x: pub.subarray(1, 33).toString('base64url'), y: pub.subarray(33).toString('base64url') } },
      ],
      authentication: [vm],
    };
  }

  it('accepts a holder whose did.json holds its key', async () => {
    const did = `did:web:${HOST}:alice`;
    const wallet = Wallet.createRandom();
    docs = { '/alice/did.json': didWebDocument(did, wallet.privateKey) };
    const res = await applyCounted(holderSigningWith(did, wallet.privateKey, 'ES256K'));
    expect(res.statusCode).toBe(201);
    expect(await readBack(res.json)).toMatchObject({ did, status: 'pending' });
    expect(res.added.applications).toBe(1);
  });

  it('refuses a did:web whose document holds another key, storing nothing', async () => {
    const did = `did:web:${HOST}`;
    docs = { '/.well-known/did.json': didWebDocument(did, Wallet.createRandom().privateKey) };
    const res = await applyCounted(holderSigningWith(did, Wallet.createRandom().privateKey, 'ES256K'));
    expect(res.statusCode).toBe(401);
    expect(res.json.error).toMatchObject({ code: 'bad_signature', field: 'signature' });
    expectNothingStored(res.added);
  });

  it('refuses unsupported methods with a 400 naming the field and the rule', async () => {
    const res = await service.app.inject({ method: 'POST', url: '/challenges', payload: { did: 'did:example:123456' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ field: 'did', rule: 'did-method' });
    expect(res.json().error.message).toMatch(/did:key, did:web, did:ethr:0x7a69/);
  });
});

describe('ETHR_* configuration', () => {
  const base = { ISSUER_KEY_SECRET: 'test-secret-0123456789' };
  it('enables did:ethr only with both variables, validated', () => {
    expect(loadConfig(base).ethr).toBeUndefined();
    const registryAddress = '0x' + '11'.repeat(20);
    expect(loadConfig({ ...base, ETHR_RPC_URL: 'http://127.0.0.1:8545', ETHR_REGISTRY_ADDRESS: registryAddress }).ethr).toEqual({ rpcUrl: 'http://127.0.0.1:8545', registryAddress });
    expect(() => loadConfig({ ...base, ETHR_RPC_URL: 'http://127.0.0.1:8545' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ETHR_RPC_URL: 'http://127.0.0.1:8545' })).toThrow(/ETHR_REGISTRY_ADDRESS/);
    expect(() => loadConfig({ ...base, ETHR_RPC_URL: 'ws://x', ETHR_REGISTRY_ADDRESS: registryAddress })).toThrow(/ETHR_RPC_URL/);
  });
});
