import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { HDNodeWallet, JsonRpcProvider } from 'ethers';
import { IssuerRegistry__factory, type IssuerRegistry } from '@zkkyc/contracts/typechain';
import { IssuerTree } from '@zkkyc/tree';
import { applyOver, call, exited, killAll, spawnUntil, startChildService } from './support/child-service.js';
import { nextYear, REVIEWER_KEY, tempDir } from './support/service.js';
import { newPerson } from './support/people.js';

/**
 * Crash safety while publishing a root. Everything is a real process: a Hardhat JSON-RPC node, and
 * the issuer service (`main.ts`) anchoring through the sdk's RegistryRootAnchor. Automining is
 * switched off so a publication hangs after its transaction reached the node, and the service is
 * killed with SIGKILL right then — both ways such a crash can end:
 *  1. the transaction is lost (dropped from the mempool): after restart the root is published once;
 *  2. the transaction is mined after the crash (the service never recorded it): after restart the
 *     publisher finds the root already anchored and sends nothing.
 * At the end the chain holds exactly one RootPublished per published root, in order, each equal to
 * the root of the stored leaves at that time, and the service's publication records agree.
 */
const ISSUER_ID = 11n;
// Hardhat's default mnemonic: account 0 deploys and administers, account 1 publishes roots.
const MNEMONIC = 'test test test test test test test test test test test junk';
const tmp = tempDir();
let provider: JsonRpcProvider;
let registry: IssuerRegistry;
let publisherKey: string;

beforeAll(async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const { match } = await spawnUntil(['node_modules/hardhat/internal/cli/cli.js', 'node', '--hostname', '127.0.0.1', '--port', String(port)], {}, /JSON-RPC server at (http:\/\/127\.0\.0\.1:\d+)/);
  provider = new JsonRpcProvider(match[1], undefined, { staticNetwork: true, pollingInterval: 100 });
  const admin = await provider.getSigner(0);
  const publisher = HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0/1");
  publisherKey = publisher.privateKey;
  registry = await (await new IssuerRegistry__factory(admin).deploy(await admin.getAddress(), 3600)).waitForDeployment();
  await (await registry.addIssuer(ISSUER_ID, 'did:key:placeholder', publisher.address, 32)).wait();
}, 60_000);

afterAll(() => {
  provider?.destroy();
  killAll();
  tmp.cleanup();
});

const env = () => ({
  DATABASE_PATH: tmp.dbPath,
  ISSUER_KEY_SECRET: 'muXftWUTz77tzvj58ev40vIrxbPEwDp6',
  ISSUER_TREE_ID: ISSUER_ID.toString(),
  ANCHOR_RPC_URL: provider._getConnection().url as string,
  ANCHOR_REGISTRY_ADDRESS: registry.target as string,
  ANCHOR_PUBLISHER_KEY: publisherKey,
});
const asReviewer = { 'x-api-key': REVIEWER_KEY };

async function issue(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const app = await applyOver(url);
    expect((await call(url, 'POST', `/applications/${app.id}/approve`, { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } }, asReviewer)).status).toBe(201);
  }
}

/** The root of the stored leaves, recomputed here from the public export. */
async function storedRoot(url: string): Promise<bigint> {
  const leaves = (await call(url, 'GET', '/tree/leaves?limit=1000')).json;
  const root = new IssuerTree(32, leaves.leaves.map(BigInt)).root;
  expect(root.toString()).toBe(leaves.root);
  return root;
}

async function pendingTransactions(): Promise<string[]> {
  const block = await provider.send('eth_getBlockByNumber', ['pending', false]);
  return block.transactions as string[];
}

/** Starts a publication with automining off and SIGKILLs the service once its transaction is in the mempool. */
async function killMidPublish(service: { child: ChildProcess; url: string }): Promise<string> {
  await provider.send('evm_setAutomine', [false]);
  const publishing = call(service.url, 'POST', '/tree/publish', undefined, asReviewer).catch(() => 'connection cut');
  let pending: string[] = [];
  for (let i = 0; i < 400 && pending.length === 0; i++) {
    pending = await pendingTransactions();
    if (pending.length === 0) await new Promise((r) => setTimeout(r, 25));
  }
  expect(pending).toHaveLength(1);
  service.child.kill('SIGKILL');
  await exited(service.child);
  expect(await publishing).toBe('connection cut');
  return pending[0];
}

async function anchoredRoots(): Promise<bigint[]> {
  const events = await registry.queryFilter(registry.filters.RootPublished(ISSUER_ID));
  return events.map((e) => e.args.root);
}

describe('crash safety while publishing a root (Hardhat node + child service)', () => {
  it('neither loses nor duplicates a publication when killed with the transaction in flight', async () => {
    // 1. Killed after sending; the transaction is then lost.
    const first = await startChildService(env());
    await issue(first.url, 3);
    const root3 = await storedRoot(first.url);
    const lostTx = await killMidPublish(first);
    await provider.send('hardhat_dropTransaction', [lostTx]);
    await provider.send('evm_setAutomine', [true]);
    expect((await registry.issuer(ISSUER_ID)).currentRoot).toBe(0n);

    const second = await startChildService(env());
    expect((await call(second.url, 'GET', '/tree/roots')).json.published).toEqual([]);
    const republished = await call(second.url, 'POST', '/tree/publish', undefined, asReviewer);
    expect(republished.json).toMatchObject({ status: 'published', root: root3.toString(), leafCount: 3 });
    expect((await registry.issuer(ISSUER_ID)).currentRoot).toBe(root3);

    // 2. Killed after sending; the transaction is mined after the crash, unrecorded by the service.
    await issue(second.url, 2);
    const root5 = await storedRoot(second.url);
    const minedTx = await killMidPublish(second);
    await provider.send('evm_mine', []);
    await provider.send('evm_setAutomine', [true]);
    expect((await provider.getTransactionReceipt(minedTx))!.status).toBe(1);
    expect((await registry.issuer(ISSUER_ID)).currentRoot).toBe(root5);

    const third = await startChildService(env());
    try {
      expect(await storedRoot(third.url)).toBe(root5);
      const found = await call(third.url, 'POST', '/tree/publish', undefined, asReviewer);
      expect(found.json).toMatchObject({ status: 'already-anchored', root: root5.toString(), leafCount: 5 });
      expect((await call(third.url, 'POST', '/tree/publish', undefined, asReviewer)).json.status).toBe('unchanged');

      // Life goes on: the next change is published normally.
      await issue(third.url, 1);
      const root6 = await storedRoot(third.url);
      expect((await call(third.url, 'POST', '/tree/publish', undefined, asReviewer)).json).toMatchObject({ status: 'published', root: root6.toString() });

      // On chain: each root exactly once, in order. In the service: the same three, newest first.
      expect(await anchoredRoots()).toEqual([root3, root5, root6]);
      expect((await registry.issuer(ISSUER_ID)).leafCount).toBe(6n);
      const records = (await call(third.url, 'GET', '/tree/roots')).json.published;
      expect(records.map((p: { root: string }) => p.root)).toEqual([root6, root5, root3].map(String));
      expect(records.map((p: { leafCount: number }) => p.leafCount)).toEqual([6, 5, 3]);
      // The publication found after the crash has no transaction hash: the service never saw one.
      expect(records[1].txHash).toBeNull();
    } finally {
      third.child.kill('SIGTERM');
      await exited(third.child);
    }
  });
});
