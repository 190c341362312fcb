import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { connect as tlsConnect } from 'node:tls';
import hre from 'hardhat';
// Type-only: brings in hardhat-ethers' `hre.ethers` augmentation (the plugin itself is loaded by the config).
import type {} from '@nomicfoundation/hardhat-ethers';
import { createJWT, ES256KSigner } from 'did-jwt';
import registryPackage from 'ethr-did-registry';
import { Contract, ContractFactory, getBytes, Wallet } from 'ethers';
import { identityCommitment, randomIdentitySecret } from '@zkkyc/credentials';
import { apply, startService, tempDir, testConfig } from './support/service.js';
import { holderDidWebDocument as didWebDocument, selfSignedCertificate, startTlsHost } from './support/did-web-hosts.js';
import { ConfigError, loadConfig } from '../src/config.js';
import type { TestHolder } from './support/holder.js';
import type { IssuerService } from '../src/issuer-service.js';

/**
 * Holder DIDs beyond did:key. did:ethr resolves against a real ERC-1056 EthereumDIDRegistry
 * (deployed from the ethr-did-registry package's artifact) on Hardhat's in-process chain, handed to
 * the service as a provider. did:web resolves through the service's guarded fetch under production
 * rules; only its two network seams are replaced: DNS answers a public address for
 * `holder.example.test`, and the connection to that address is opened to a local HTTPS server on
 * 127.0.0.1 holding a certificate for the name (did-web-ssrf.test.ts covers the refusals).
 */
const HOST = 'holder.example.test';
const tls = selfSignedCertificate(HOST);
let docHost: Awaited<ReturnType<typeof startTlsHost>>;
let registry: Contract;
let service: IssuerService;
const tmp = tempDir();

/** Serves exactly `docs` (path → document) from the local HTTPS host. */
function serve(docs: Record<string, unknown>): void {
  docHost.routes.clear();
  for (const [path, doc] of Object.entries(docs)) {
    docHost.routes.set(path, (_req, res) => res.writeHead(200, { 'content-type': 'application/did+json' }).end(JSON.stringify(doc)));
  }
}

beforeAll(async () => {
  docHost = await startTlsHost(tls);
  const [deployer] = await hre.ethers.getSigners();
  const artifact = registryPackage.EthereumDIDRegistry;
  registry = (await new ContractFactory(artifact.abi, artifact.bytecode, deployer).deploy()) as Contract;
  await registry.waitForDeployment();
  service = await startService(testConfig(tmp.dbPath), {
    holderDids: {
      ethr: { provider: hre.ethers.provider, registryAddress: await registry.getAddress() },
      web: {
        lookup: async (name) => (name === HOST ? [{ address: '93.184.216.34', family: 4 }] : []),
        connect: (options) => tlsConnect({ ...options, host: '127.0.0.1', port: docHost.port }),
        ca: [tls.cert],
      },
    },
  });
});
afterAll(async () => {
  await service?.close();
  await docHost?.close();
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
    // Stored in its one spelling: the EIP-55 checksum is only a way of writing the address.
    expect(await readBack(res.json)).toMatchObject({ did: did.toLowerCase(), status: 'pending' });
    expect(res.added.applications).toBe(1);
  });

  it('treats every spelling of one did:ethr (checksum or lower-case address, hex chain id case) as one applicant', async () => {
    const wallet = Wallet.createRandom();
    const first = await applyCounted(holderSigningWith(`did:ethr:${chainHex}:${wallet.address}`, wallet.privateKey));
    expect(first.statusCode).toBe(201);
    const variant = `did:ethr:${chainHex.toUpperCase().replace('0X', '0x')}:${wallet.address.toLowerCase()}`;
    const second = await applyCounted(holderSigningWith(variant, wallet.privateKey));
    expect(second.statusCode).toBe(409);
    expect(second.json.error).toMatchObject({ code: 'application_pending', field: 'did' });
    expectNothingStored(second.added);
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

describe('did:web holders (guarded https fetch, served from a local host)', () => {
  it('accepts a holder whose did.json holds its key', async () => {
    const did = `did:web:${HOST}:alice`;
    const wallet = Wallet.createRandom();
    serve({ '/alice/did.json': didWebDocument(did, wallet.privateKey) });
    const res = await applyCounted(holderSigningWith(did, wallet.privateKey, 'ES256K'));
    expect(res.statusCode).toBe(201);
    expect(await readBack(res.json)).toMatchObject({ did, status: 'pending' });
    expect(res.added.applications).toBe(1);
  });

  it('refuses a did:web whose document holds another key, storing nothing', async () => {
    const did = `did:web:${HOST}`;
    serve({ '/.well-known/did.json': didWebDocument(did, Wallet.createRandom().privateKey) });
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
  const base = { ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H' };
  it('enables did:ethr only with both variables, validated', () => {
    expect(loadConfig(base).ethr).toBeUndefined();
    const registryAddress = '0x' + '11'.repeat(20);
    expect(loadConfig({ ...base, ETHR_RPC_URL: 'http://127.0.0.1:8545', ETHR_REGISTRY_ADDRESS: registryAddress }).ethr).toEqual({ rpcUrl: 'http://127.0.0.1:8545', registryAddress });
    expect(() => loadConfig({ ...base, ETHR_RPC_URL: 'http://127.0.0.1:8545' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ETHR_RPC_URL: 'http://127.0.0.1:8545' })).toThrow(/ETHR_REGISTRY_ADDRESS/);
    expect(() => loadConfig({ ...base, ETHR_RPC_URL: 'ws://x', ETHR_REGISTRY_ADDRESS: registryAddress })).toThrow(/ETHR_RPC_URL/);
  });
});
