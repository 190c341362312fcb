import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Wallet } from 'ethers';
import { create2FactoryAddress, deployZkKycDeterministic, ensureCreate2Factory } from '@zkkyc/sdk';
import './support/inject-shim.js';
import { loadConfig } from '../src/config.js';
import type { IssuerService } from '../src/issuer-service.js';
import { connectRegistryAnchor } from '../src/registry-connection.js';
import { approveNewHolder, RecordingRootAnchor, reviewer, startService, tempDir, testConfig } from './support/service.js';
import { RootPublisher } from '../src/publisher.js';
import { systemClock } from '../src/services/clock.js';
import type { RootAnchor } from '../src/root-anchor.js';
import { startTwoChains, type TestChain } from './support/two-chains.js';

/**
 * Issue 14 item 6: the publisher anchors every root on several chains (two real Hardhat nodes),
 * each on its own and idempotently; a chain that is down does not hold up the other and catches up
 * when back. The contracts are at the same addresses on both, from the CREATE2 deployment.
 */
const ISSUER_ID = 1;
const publisherKey = Wallet.createRandom().privateKey;
let chains: TestChain[];
let factoryKey: Wallet;
let deployer: Wallet;
let predictedRegistry: string;
let stopChains: () => Promise<void>;

beforeAll(async () => {
  ({ chains, factoryKey, deployer, registryAddress: predictedRegistry, stop: stopChains } = await startTwoChains(ISSUER_ID, publisherKey));
}, 120_000);
afterAll(async () => {
  await stopChains?.();
});

describe('deterministic deployment (CREATE2)', () => {
  it('puts the factory and every core contract at the same address on both chains', async () => {
    const [a, b] = chains;
    expect(a.deployment.contracts).toEqual(b.deployment.contracts);
    // Known before either chain ran (predictZkKycAddresses, offline).
    expect(a.deployment.contracts.issuerRegistry).toBe(predictedRegistry);
    expect(await a.node.provider.getCode(create2FactoryAddress(factoryKey.address))).not.toBe('0x');
    for (const address of Object.values(a.deployment.contracts)) {
      expect(await a.node.provider.getCode(address)).not.toBe('0x');
      expect(await b.node.provider.getCode(address)).not.toBe('0x');
    }
  });

  it('a rerun on a chain deploys nothing and returns the same addresses', async () => {
    const [a] = chains;
    const admin = deployer.connect(a.node.provider);
    const nonce = await a.node.provider.getTransactionCount(await admin.getAddress());
    const again = await deployZkKycDeterministic(admin, {
      factory: create2FactoryAddress(factoryKey.address),
      verifier20: false,
      issuers: [{ issuerId: ISSUER_ID, did: `did:example:issuer-${ISSUER_ID}`, publisher: new Wallet(publisherKey).address }],
    });
    expect(again.contracts).toEqual(a.deployment.contracts);
    expect(await a.node.provider.getTransactionCount(await admin.getAddress())).toBe(nonce);
  });

  it('refuses a factory address holding other code, and a deployment without a factory there', async () => {
    const [a] = chains;
    const other = Wallet.createRandom().connect(a.node.provider);
    const funder = await a.node.provider.getSigner(0);
    await (await funder.sendTransaction({ to: other.address, value: 10n ** 18n })).wait();
    // The key's first transaction deploys something else (a contract returning one byte of code).
    await (await other.sendTransaction({ data: '0x600160005360016000f3' })).wait();
    await expect(ensureCreate2Factory(other)).rejects.toThrow(/holds other code than the CREATE2 factory/);
    // deployZkKycDeterministic checks the factory's code too, not only that there is some.
    await expect(deployZkKycDeterministic(deployer.connect(a.node.provider), { factory: create2FactoryAddress(other.address), verifier20: false })).rejects.toThrow(
      /holds other code than the CREATE2 factory \(rule create2-factory-code/,
    );
    await expect(deployZkKycDeterministic(deployer.connect(a.node.provider), { factory: Wallet.createRandom().address, verifier20: false })).rejects.toThrow(/no CREATE2 factory at/);
  });

  it('refuses a factory key that has already sent another transaction (rule factory-key-nonce-0)', async () => {
    const [a] = chains;
    const used = Wallet.createRandom().connect(a.node.provider);
    const funder = await a.node.provider.getSigner(0);
    await (await funder.sendTransaction({ to: used.address, value: 10n ** 18n })).wait();
    await (await used.sendTransaction({ to: funder, value: 1n })).wait();
    await expect(ensureCreate2Factory(used)).rejects.toThrow(/factory-key-nonce-0/);
  });
});

describe('ANCHOR_CHAINS configuration', () => {
  const base = { ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H' };
  const chain = { name: 'a', rpcUrl: 'http://127.0.0.1:8545', registryAddress: '0x' + '11'.repeat(20), publisherKey: '0x' + '22'.repeat(32) };

  it('reads a JSON list, issuer id defaulting to ISSUER_TREE_ID', () => {
    const config = loadConfig({ ...base, ISSUER_TREE_ID: '9', ANCHOR_CHAINS: JSON.stringify([chain, { ...chain, name: 'b', rpcUrl: 'http://127.0.0.1:8546', issuerId: '4' }]) });
    expect(config.anchorChains).toEqual([
      { ...chain, issuerId: '9' },
      { ...chain, name: 'b', rpcUrl: 'http://127.0.0.1:8546', issuerId: '4' },
    ]);
  });

  it('PUBLISHER_ELECTION_INTERVAL_MS: 3000 by default, refused outside 100 … 600000', () => {
    expect(loadConfig(base).publisherElectionIntervalMs).toBe(3000);
    expect(loadConfig({ ...base, PUBLISHER_ELECTION_INTERVAL_MS: '250' }).publisherElectionIntervalMs).toBe(250);
    expect(() => loadConfig({ ...base, PUBLISHER_ELECTION_INTERVAL_MS: '10' })).toThrow(/PUBLISHER_ELECTION_INTERVAL_MS/);
    expect(() => loadConfig({ ...base, PUBLISHER_ELECTION_INTERVAL_MS: '3s' })).toThrow(/PUBLISHER_ELECTION_INTERVAL_MS/);
  });

  it.each([
    ['not JSON', 'nope', /JSON list/],
    ['an empty list', '[]', /non-empty/],
    ['a bad name', JSON.stringify([{ ...chain, name: 'A B' }]), /\[0\]\.name/],
    ['a name used twice', JSON.stringify([chain, { ...chain, rpcUrl: 'http://127.0.0.1:9' }]), /used twice/],
    ['"default" next to ANCHOR_RPC_URL', JSON.stringify([{ ...chain, name: 'default' }]), /used twice/],
    ['a bad key', JSON.stringify([{ ...chain, publisherKey: '0x12' }]), /\[0\]\.publisherKey/],
    ['a bad address', JSON.stringify([{ ...chain, registryAddress: '0x12' }]), /\[0\]\.registryAddress/],
    ['an unknown field', JSON.stringify([{ ...chain, extra: 1 }]), /unknown field "extra"/],
    ['the same place twice', JSON.stringify([chain, { ...chain, name: 'b' }]), /same node, registry and issuer/],
  ])('refuses %s, naming ANCHOR_CHAINS', (_what, value, message) => {
    const single = _what.includes('default') ? { ANCHOR_RPC_URL: 'http://127.0.0.1:1', ANCHOR_REGISTRY_ADDRESS: chain.registryAddress, ANCHOR_PUBLISHER_KEY: chain.publisherKey } : {};
    expect(() => loadConfig({ ...base, ...single, ANCHOR_CHAINS: value })).toThrow(/ANCHOR_CHAINS/);
    expect(() => loadConfig({ ...base, ...single, ANCHOR_CHAINS: value })).toThrow(message);
  });
});

describe('publishing on two chains', () => {
  async function issue(service: IssuerService, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const res = await approveNewHolder(service);
      expect(res.statusCode).toBe(201);
    }
  }
  const publish = async (service: IssuerService) => {
    const res = await service.app.inject({ method: 'POST', url: '/tree/publish', headers: reviewer });
    return { status: res.statusCode, body: res.json() };
  };
  const health = async (service: IssuerService) => (await service.app.inject({ method: 'GET', url: '/health' })).json();
  const currentRoot = async (service: IssuerService) => BigInt((await health(service)).root);

  it('anchors each root once per chain; a chain that is down catches up without holding up the other', async () => {
    const tmp = tempDir();
    const anchors = chains.map((c) => ({
      name: c.name,
      anchor: connectRegistryAnchor({ rpcUrl: c.proxy.url, registryAddress: c.deployment.contracts.issuerRegistry, publisherKey }, String(ISSUER_ID)),
    }));
    const service = await startService(testConfig(tmp.dbPath), { chains: anchors, publisherRetry: { attempts: 2, delayMs: 10 } });
    const [a, b] = chains;
    try {
      await issue(service, 2);
      const first = await publish(service);
      expect(first.status).toBe(200);
      expect(first.body.status).toBe('published');
      expect(first.body.chains.map((c: { status: string }) => c.status)).toEqual(['published', 'published']);
      const root1 = await currentRoot(service);
      expect(await a.currentRoot()).toBe(root1);
      expect(await b.currentRoot()).toBe(root1);

      // Idempotent per chain: nothing is sent again for the same root.
      const again = await publish(service);
      expect(again.body.status).toBe('unchanged');
      expect(again.body.chains.map((c: { status: string }) => c.status)).toEqual(['unchanged', 'unchanged']);

      // Chain B goes down; chain A keeps receiving roots.
      await b.proxy.down();
      await issue(service, 1);
      const started = Date.now();
      const partial = await publish(service);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(partial.status).toBe(200);
      expect(partial.body.chains.map((c: { status: string }) => c.status)).toEqual(['published', 'failed']);
      const root2 = await currentRoot(service);
      expect(await a.currentRoot()).toBe(root2);
      expect(await b.currentRoot()).toBe(root1);
      const lagging = (await health(service)).publisher;
      expect(lagging.elected).toBe(true);
      expect(lagging.chains).toMatchObject([
        { chain: a.name, anchoredRoot: root2.toString(), current: true, lagMs: 0, lastError: null },
        { chain: b.name, anchoredRoot: root1.toString(), current: false },
      ]);
      expect(lagging.chains[1].lastError).toMatch(/.+/);

      // A third root while B is still down: A takes it, B stays behind.
      await issue(service, 1);
      expect((await publish(service)).body.chains.map((c: { status: string }) => c.status)).toEqual(['published', 'failed']);
      const root3 = await currentRoot(service);

      // B is back: it receives the latest root (not the ones it missed), A is not written to again.
      await b.proxy.up();
      const caughtUp = await publish(service);
      expect(caughtUp.body.chains.map((c: { status: string }) => c.status)).toEqual(['unchanged', 'published']);
      expect(await a.currentRoot()).toBe(root3);
      expect(await b.currentRoot()).toBe(root3);
      const after = (await health(service)).publisher;
      expect(after.chains.every((c: { current: boolean; lastError: string | null }) => c.current && c.lastError === null)).toBe(true);
    } finally {
      await b.proxy.up();
      await service.close();
      anchors.forEach((x) => x.anchor.close());
      tmp.cleanup();
    }
  }, 90_000);

  it('sends the store root again to a chain whose current root went back (an old publisher finishing a stale send)', async () => {
    const tmp = tempDir();
    const anchors = chains.map((c) => ({
      name: c.name,
      anchor: connectRegistryAnchor({ rpcUrl: c.proxy.url, registryAddress: c.deployment.contracts.issuerRegistry, publisherKey }, String(ISSUER_ID)),
    }));
    const service = await startService(testConfig(tmp.dbPath), { chains: anchors, publisherRetry: { attempts: 1, delayMs: 1 } });
    try {
      await issue(service, 1);
      const older = await currentRoot(service);
      expect((await publish(service)).body.status).toBe('published');
      await issue(service, 1);
      const newer = await currentRoot(service);
      expect((await publish(service)).body.chains.map((c: { status: string }) => c.status)).toEqual(['published', 'published']);
      // The older root lands on chain A after the newer one; A's record still says `newer`.
      await anchors[0].anchor.publishRoot(older, 1);
      expect(await chains[0].currentRoot()).toBe(older);
      const res = await publish(service);
      expect(res.body.chains.map((c: { status: string }) => c.status)).toEqual(['published', 'unchanged']);
      expect(await chains[0].currentRoot()).toBe(newer);
    } finally {
      await service.close();
      anchors.forEach((x) => x.anchor.close());
      tmp.cleanup();
    }
  }, 60_000);

  it('finds a root already on a chain (another publisher sent it) and records it without sending', async () => {
    const tmp = tempDir();
    const anchors = chains.map((c) => ({
      name: c.name,
      anchor: connectRegistryAnchor({ rpcUrl: c.proxy.url, registryAddress: c.deployment.contracts.issuerRegistry, publisherKey }, String(ISSUER_ID)),
    }));
    // A fresh store whose first root will be sent to chain A behind its back.
    const service = await startService(testConfig(tmp.dbPath), { chains: anchors, publisherRetry: { attempts: 1, delayMs: 1 } });
    try {
      await issue(service, 1);
      const root = await currentRoot(service);
      const h = await health(service);
      await anchors[0].anchor.publishRoot(root, h.leafCount);
      const res = await publish(service);
      expect(res.body.chains.map((c: { status: string }) => c.status)).toEqual(['already-anchored', 'published']);
      expect(await chains[0].currentRoot()).toBe(root);
      expect(await chains[1].currentRoot()).toBe(root);
    } finally {
      await service.close();
      anchors.forEach((x) => x.anchor.close());
      tmp.cleanup();
    }
  }, 60_000);
});

describe('publisher set-up', () => {
  it('refuses no chain, and two chains with one name', () => {
    const store = {} as never;
    expect(() => new RootPublisher({ store, clock: systemClock, intervalMs: 0 })).toThrow(/needs an anchor or at least one chain/);
    const anchor = new RecordingRootAnchor();
    expect(
      () =>
        new RootPublisher({
          store,
          clock: systemClock,
          intervalMs: 0,
          chains: [
            { name: 'x', anchor },
            { name: 'x', anchor },
          ],
        }),
    ).toThrow(/two chains share a name/);
  });
});

describe('a chain that never answers', () => {
  it('is cut off after chainTimeoutMs; the other chain is published and the root recorded', async () => {
    const tmp = tempDir();
    const service = await startService(testConfig(tmp.dbPath));
    try {
      const res = await approveNewHolder(service);
      expect(res.statusCode).toBe(201);
      const good = new RecordingRootAnchor();
      const silent: RootAnchor = { publishRoot: () => new Promise(() => undefined), currentRoot: () => new Promise(() => undefined) };
      const publisher = new RootPublisher({
        chains: [
          { name: 'good', anchor: good },
          { name: 'silent', anchor: silent },
        ],
        store: service.store,
        clock: systemClock,
        intervalMs: 0,
        attempts: 2,
        retryDelayMs: 10,
        chainTimeoutMs: 200,
      });
      const started = Date.now();
      const outcome = await publisher.publishNow();
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(outcome.status).toBe('published');
      expect(outcome.status === 'published' && outcome.chains).toEqual([
        { chain: 'good', status: 'published', txHash: good.published[0].txHash },
        { chain: 'silent', status: 'failed', error: expect.stringMatching(/no answer within 200 ms/) },
      ]);
      expect((await service.store.latestRootPublication())!.root).toBe((await service.store.treeState()).root);
      // Every chain silent: nothing recorded, the publication fails.
      const none = new RootPublisher({
        chains: [
          { name: 'silent', anchor: silent },
          { name: 'silent-2', anchor: silent },
        ],
        store: service.store,
        clock: systemClock,
        intervalMs: 0,
        attempts: 1,
        chainTimeoutMs: 100,
      });
      const before = await service.store.listRootPublications(0, 10);
      await expect(none.publishNow()).rejects.toThrow(/no chain took root/);
      expect(await service.store.listRootPublications(0, 10)).toEqual(before);
    } finally {
      await service.close();
      tmp.cleanup();
    }
  }, 60_000);
});
