import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonRpcProvider, Wallet } from 'ethers';
import { SanctionsList__factory } from '@zkkyc/contracts/typechain';
import { ChainPushError, importList, listedEthereumAddresses, openSqliteSanctionsStore, pushToChain, readOnChainSet, runSanctionsCli, type PushedBatch } from '../src/sanctions/index.js';
import { repoRoot, startHardhatNode, type HardhatNode } from './support/chain.js';

/**
 * Pushing the lists' Ethereum addresses to the on-chain SanctionsList on a Hardhat JSON-RPC node
 * in its own process: a pusher (a child process) is killed with SIGKILL right after its first
 * batch is mined; the rerun (the CLI) reads the chain, sends only the rest, and the chain ends equal
 * to the list with no address sent twice. A run with nothing to do sends nothing; the next list
 * publication adds and removes exactly its difference; a push that would unflag most wallets, and
 * a signer without ORACLE_ROLE, are refused with nothing sent.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = resolve(here, '../fixtures/sanctions');
const ORACLE_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'; // Hardhat account 1
const OTHER_KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'; // Hardhat account 2

let node: HardhatNode;
let url: string;
let dir: string;
let provider: JsonRpcProvider;

beforeAll(async () => {
  node = await startHardhatNode();
  url = node.url;
  provider = node.provider;
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-sanctions-push-'));
}, 120_000);

afterAll(() => {
  node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Starts the pusher child; resolves with the batches it reported once it has paused after batch 1. */
function startPausedPusher(list: string, db: string, batch: number): Promise<{ child: ChildProcess; batches: PushedBatch[] }> {
  // One process (node --import tsx), not the tsx CLI: that one runs the script in a second process,
  // which a SIGKILL of the first would leave running.
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'support/sanctions-push-child.ts'), url, list, db, String(batch)], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '', ORACLE_KEY, SANCTIONS_PUSH_PAUSE_AFTER_BATCH: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((done, fail) => {
    let output = '';
    const batches: PushedBatch[] = [];
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      const lines = output.split('\n');
      batches.length = 0;
      for (const line of lines) if (line.startsWith('{"index"')) batches.push(JSON.parse(line) as PushedBatch);
      if (lines.includes('paused')) done({ child, batches });
    });
    child.on('exit', (code, signal) => fail(new Error(`pusher exited before pausing (${code ?? signal}):\n${output}`)));
  });
}

async function sanctionSetEvents(list: string): Promise<number> {
  const contract = SanctionsList__factory.connect(list, provider);
  return (await contract.queryFilter(contract.filters.SanctionSet())).length;
}

it('survives a kill -9 after the first batch: the rerun sends only the rest and the chain equals the lists', async () => {
  const admin = await provider.getSigner(0);
  const oracle = new Wallet(ORACLE_KEY, provider);
  const deployed = await (await new SanctionsList__factory(admin).deploy(await admin.getAddress(), oracle.address)).waitForDeployment();
  const list = (await deployed.getAddress()).toLowerCase();

  const db = join(dir, 'lists.db');
  const store = openSqliteSanctionsStore(db);
  await importList(store, { source: 'ofac', file: join(fixtures, 'ofac-sdn.xml') });
  await importList(store, { source: 'eu', file: join(fixtures, 'eu-consolidated.xml') });
  const target = await listedEthereumAddresses(store);
  expect(target).toHaveLength(15);

  // 1. The pusher sends batch 1 (4 wallets), pauses, and is killed with SIGKILL.
  const { child, batches: first } = await startPausedPusher(list, db, 4);
  expect(first).toHaveLength(1);
  expect(first[0]).toMatchObject({ index: 1, kind: 'add', wallets: target.slice(0, 4) });
  const exited = new Promise((r) => child.on('exit', (_code, signal) => r(signal)));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  expect([...(await readOnChainSet(provider, list))].sort()).toEqual(target.slice(0, 4));

  // 2. The rerun, through the CLI, reads the chain and sends only the 11 still missing.
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSanctionsCli(['push', '--rpc', url, '--list', list, '--key-env', 'ORACLE_KEY', '--batch', '4', '--db', db], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { ORACLE_KEY },
  });
  expect({ code, err }).toEqual({ code: 0, err: [] });
  const rerun = JSON.parse(out.join('\n'));
  expect(rerun).toMatchObject({ onChainBefore: 4, added: target.slice(4), removed: [], inSync: true });
  expect(rerun.batches.map((b: PushedBatch) => b.wallets.length)).toEqual([4, 4, 3]);

  // The chain holds exactly the lists' addresses, each sent once.
  expect([...(await readOnChainSet(provider, list))].sort()).toEqual(target);
  for (const wallet of target) expect(await deployed.isSanctioned(wallet)).toBe(true);
  expect(await sanctionSetEvents(list)).toBe(15);

  // 3. Nothing to do: nothing sent.
  const blockBefore = await provider.getBlockNumber();
  const idle = await pushToChain({ signer: oracle, list, target, batchSize: 4 });
  expect(idle).toMatchObject({ onChainBefore: 15, added: [], removed: [], batches: [], inSync: true });
  expect(await provider.getBlockNumber()).toBe(blockBefore);

  // 4. The next OFAC publication delists one wallet and lists another: exactly that is sent.
  await importList(store, { source: 'ofac', file: join(fixtures, 'ofac-sdn-next.xml') });
  const nextTarget = await listedEthereumAddresses(store);
  const next = await pushToChain({ signer: oracle, list, target: nextTarget, batchSize: 4 });
  expect(next).toMatchObject({
    added: ['0xa4454cb6617f0ea82e1232fb1a6b0110753eb550'],
    removed: ['0x7851727be6958c3cafc392c84d7db8d62561f010'],
    inSync: true,
  });
  expect(next.batches.map((b) => b.kind)).toEqual(['add', 'remove']);
  expect([...(await readOnChainSet(provider, list))].sort()).toEqual(nextTarget);
  expect(await deployed.isSanctioned('0x7851727be6958c3cafc392c84d7db8d62561f010')).toBe(false);
  await store.close();

  // 5. Unflagging most of the list is refused unless the number is confirmed; nothing is sent.
  const few = nextTarget.slice(0, 3);
  await expect(pushToChain({ signer: oracle, list, target: few })).rejects.toThrow(
    '--confirm-removals: removal-limit: the push would unflag 12 of 15 wallets on chain (above the limit of 10%); nothing was sent. If that is intended, rerun with --confirm-removals 12',
  );
  expect([...(await readOnChainSet(provider, list))].sort()).toEqual(nextTarget);
  const confirmed = await pushToChain({ signer: oracle, list, target: few, confirmRemovals: 12, batchSize: 50 });
  expect(confirmed).toMatchObject({ removed: nextTarget.slice(3), inSync: true });
  expect(confirmed.batches).toHaveLength(1);
}, 120_000);

it("lifts only its own oracle's flags: a wallet another oracle flagged by hand stays flagged", async () => {
  const admin = await provider.getSigner(0);
  const oracle = new Wallet(ORACLE_KEY, provider);
  const other = new Wallet(OTHER_KEY, provider);
  const deployed = await (await new SanctionsList__factory(admin).deploy(await admin.getAddress(), oracle.address)).waitForDeployment();
  const list = await deployed.getAddress();
  await (await deployed.grantRole(await deployed.ORACLE_ROLE(), other.address)).wait();
  const byHand = '0x' + '44'.repeat(20);
  const listed = ['0x' + '55'.repeat(20), '0x' + '66'.repeat(20)];
  await (await deployed.connect(other).addSanctioned([byHand])).wait();
  const first = await pushToChain({ signer: oracle, list, target: listed });
  expect(first).toMatchObject({ added: listed, removed: [], othersKept: [byHand], inSync: true });
  // The next list drops one wallet: that one is lifted, the hand-flagged one is not.
  const next = await pushToChain({ signer: oracle, list, target: listed.slice(0, 1), confirmRemovals: 1 });
  expect(next).toMatchObject({ added: [], removed: [listed[1]], othersKept: [byHand], inSync: true });
  expect(await deployed.isSanctioned(byHand)).toBe(true);
  expect(await deployed.isSanctioned(listed[1])).toBe(false);
  // A listed wallet another oracle had flagged already is not sent again, and not lifted later.
  const both = await pushToChain({ signer: oracle, list, target: [listed[0], byHand] });
  expect(both).toMatchObject({ added: [], removed: [], othersKept: [], batches: [], inSync: true });
});

it('refuses a signer without ORACLE_ROLE, an address that is no contract, and a bad target address', async () => {
  const admin = await provider.getSigner(0);
  const deployed = await (await new SanctionsList__factory(admin).deploy(await admin.getAddress(), new Wallet(ORACLE_KEY).address)).waitForDeployment();
  const list = await deployed.getAddress();
  const other = new Wallet(OTHER_KEY, provider);
  const refused = pushToChain({ signer: other, list, target: ['0x' + '22'.repeat(20)] });
  await expect(refused).rejects.toThrow(ChainPushError);
  await expect(pushToChain({ signer: other, list, target: [] })).rejects.toThrow(`--key-env: oracle-role: ${other.address} does not hold ORACLE_ROLE on ${list}`);
  await expect(pushToChain({ signer: other, list: '0x' + '33'.repeat(20), target: [] })).rejects.toThrow('--list: contract: no contract at');
  await expect(pushToChain({ signer: other, list, target: ['0x1234'] })).rejects.toThrow('target[0]: address: "0x1234" is not a 0x address');
  await expect(pushToChain({ signer: other, list, target: [], batchSize: 0 })).rejects.toThrow('--batch: range');
});
