import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Interface, type Log } from 'ethers';
import { ComplianceGate__factory } from '@zkkyc/contracts/typechain';
import { JsonRpcChain } from '../src/indexer/chain-client.js';
import { decodeLog, sourcesOf } from '../src/indexer/contract-events.js';
import { Indexer } from '../src/indexer/indexer.js';
import { openMonitorStore } from '../src/store/open-store.js';
import type { MonitorStore } from '../src/store/monitor-store.js';
import { chainLogKeys, deploySmallZkKyc, mine, repoRoot, startHardhatNode, wallet, type Deployed, type HardhatNode } from './support/chain.js';

/**
 * The indexer against a real Hardhat node over JSON-RPC: exactly once and only when final; a reorg
 * made by reverting a snapshot; a kill -9 inside a batch's transaction; the node unreachable for a
 * while. The events are the agent's freezes and pauses, which need no verified wallet; the decoding
 * is the same for every event of the ABIs.
 */
let node: HardhatNode;
let zk: Deployed;
let dir: string;
const stores: MonitorStore[] = [];

beforeAll(async () => {
  node = await startHardhatNode();
  zk = await deploySmallZkKyc(node.provider);
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-monitor-indexer-'));
}, 120_000);

afterAll(async () => {
  for (const s of stores) await s.close().catch(() => undefined);
  node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function freshStore(name: string): Promise<MonitorStore> {
  const store = await openMonitorStore({ databasePath: join(dir, `${name}.sqlite`) });
  stores.push(store);
  return store;
}

function addresses(): string[] {
  return Object.values(zk.contracts) as string[];
}

async function storedKeys(store: MonitorStore): Promise<string[]> {
  const events = await store.events({ limit: 10_000 });
  return events.map((e) => `${e.txHash}:${e.logIndex}`).sort();
}

async function freeze(n: number, frozen = true): Promise<void> {
  await (await zk.token.setAddressFrozen(wallet(n), frozen)).wait();
}

it('indexes each event once, only when it is `confirmations` deep, decoded', async () => {
  const store = await freshStore('once');
  const indexer = new Indexer({ store, chain: new JsonRpcChain(node.url), contracts: zk.contracts, confirmations: 2, batchBlocks: 7, logsChunkBlocks: 3 });
  await freeze(1);
  await (await zk.token.pause()).wait();
  const head = await node.provider.getBlockNumber();
  await indexer.catchUp();
  // The pause sits in the head block: one confirmation, not yet final.
  expect((await store.cursor(31337))?.blockNumber).toBe(head - 1);
  expect(await storedKeys(store)).toEqual(await chainLogKeys(node.provider, addresses(), head - 1));
  expect(await store.events({ names: ['Paused'] })).toHaveLength(0);

  await mine(node.provider, 1);
  await indexer.catchUp();
  await indexer.catchUp();
  expect(await storedKeys(store)).toEqual(await chainLogKeys(node.provider, addresses(), head));
  const [paused] = await store.events({ names: ['Paused'] });
  expect(paused).toMatchObject({ source: 'token', address: zk.contracts.token, args: { agent: (await zk.agent.getAddress()).toLowerCase() } });
  const [frozen] = await store.events({ wallet: wallet(1) });
  expect(frozen).toMatchObject({ name: 'AddressFrozen', args: { account: wallet(1), frozen: 'true' } });
  expect(frozen.blockTime).toBeGreaterThan(1_600_000_000);
  // The deployment's own events are there too, from every contract: the gate's policy, the registry's issuer.
  expect((await store.events({ names: ['PolicySet', 'IssuerAdded', 'PolicyIdChanged'] })).map((e) => e.source).sort()).toEqual(['gate', 'registry', 'token']);
  expect(await store.tokenPolicyId(zk.contracts.token)).toBe('1');
  await (await zk.token.unpause()).wait();
});

it('drops the events of a reverted chain and indexes the new one (reorg by evm_revert)', async () => {
  const store = await freshStore('reorg');
  const logs: string[] = [];
  const indexer = new Indexer({ store, chain: new JsonRpcChain(node.url), contracts: zk.contracts, confirmations: 2, log: (_l, m) => logs.push(m) });
  await indexer.catchUp();
  const snapshot = await node.provider.send('evm_snapshot', []);
  await freeze(10);
  await freeze(11);
  await mine(node.provider, 2);
  await indexer.catchUp();
  const doomed = await store.events({ wallet: wallet(10) });
  expect(doomed).toHaveLength(1);
  // A rule hit completed by a doomed event, in a case: the rewind withdraws it, the case stays.
  const hitId = await store.insertRuleHit(
    {
      ruleId: 'large-transfer',
      rulesVersion: '1',
      token: zk.contracts.token,
      subject: { investorTag: null, wallets: [wallet(10)] },
      severity: 'high',
      score: 10,
      summary: 'test hit',
      evidence: { events: [doomed[0]], amounts: [], times: [doomed[0].blockTime], details: {} },
      at: doomed[0].blockTime,
    },
    31337,
    doomed[0].blockNumber,
  );
  const caseId = await store.openCase({ token: zk.contracts.token, subject: { investorTag: null, wallets: [wallet(10)] }, at: doomed[0].blockTime, actor: 'test', hitIds: [hitId] });

  expect(await node.provider.send('evm_revert', [snapshot])).toBe(true);
  await freeze(20);
  await mine(node.provider, 5);
  const results = await indexer.catchUp();
  expect(results.some((r) => r.kind === 'rewind')).toBe(true);
  expect(logs.some((m) => /^reorg: block \d+ is no longer 0x[0-9a-f]{64}; rewound to block \d+ \(2 event\(s\), 1 rule hit\(s\) removed\)/.test(m))).toBe(true);
  const head = await node.provider.getBlockNumber();
  expect(await storedKeys(store)).toEqual(await chainLogKeys(node.provider, addresses(), head - 1));
  expect(await store.events({ wallet: wallet(10) })).toHaveLength(0);
  expect(await store.events({ wallet: wallet(11) })).toHaveLength(0);
  expect(await store.events({ wallet: wallet(20) })).toHaveLength(1);
  const kase = await store.getCase(caseId);
  expect(kase?.hits).toHaveLength(0);
  expect(kase?.log.map((l) => l.kind)).toEqual(['opened', 'hit', 'withdrawn']);
  expect((await store.auditTrail({ subjectType: 'chain' })).map((a) => a.action)).toEqual(['reorg-rewind']);
});

it("commits a consumer's writes with the batch, and retries the batch the consumer threw in", async () => {
  const store = await freshStore('hooks');
  let fail = true;
  const committed: number[] = [];
  const indexer = new Indexer({
    store,
    chain: new JsonRpcChain(node.url),
    contracts: zk.contracts,
    confirmations: 1,
    hooks: {
      async onBatch(tx, events, batch) {
        for (const e of events.filter((x) => x.name === 'AddressFrozen' && x.args.account === wallet(30))) {
          await tx.insertRuleHit(
            {
              ruleId: 'frozen',
              rulesVersion: '1',
              token: e.address,
              subject: { investorTag: null, wallets: [e.args.account] },
              severity: 'low',
              score: 1,
              summary: 'frozen',
              evidence: { events: [e], amounts: [], times: [e.blockTime], details: {} },
              at: e.blockTime,
            },
            batch.chainId,
            e.blockNumber,
          );
          await tx.saveState('hook', { seen: e.txHash }, batch.toBlock);
          if (fail) {
            fail = false;
            throw new Error('rule engine crashed');
          }
        }
      },
      async afterCommit(_events, batch) {
        committed.push(batch.toBlock);
      },
    },
  });
  await freeze(30);
  const before = await store.cursor(31337);
  await expect(indexer.catchUp()).rejects.toThrow('rule engine crashed');
  expect(await store.cursor(31337)).toEqual(before);
  expect(await store.events({ wallet: wallet(30) })).toHaveLength(0);
  expect(await store.ruleHits()).toHaveLength(0);
  expect(await store.loadState('hook')).toBeNull();

  await indexer.catchUp();
  const head = await node.provider.getBlockNumber();
  expect(await store.events({ wallet: wallet(30) })).toHaveLength(1);
  expect(await store.ruleHits()).toHaveLength(1);
  expect((await store.loadState('hook'))?.blockNumber).toBe(head);
  expect(committed.at(-1)).toBe(head);
});

it('decodes the gate registration events with the argument names the store reads', () => {
  const gate = new Interface(ComplianceGate__factory.abi);
  const wallet1 = wallet(1);
  const nullifier = (7n << 192n) | 0xbeefn;
  const encoded = gate.encodeEventLog('WalletVerified', [1n, wallet1, nullifier, 99n, 1n, 5n]);
  const log = {
    address: zk.contracts.gate,
    topics: encoded.topics,
    data: encoded.data,
    transactionHash: '0x' + '1'.repeat(64),
    index: 3,
    blockNumber: 9,
    blockHash: '0x' + '2'.repeat(64),
  } as unknown as Log;
  const decoded = decodeLog(log, 31337, 1234, sourcesOf(zk.contracts));
  expect(decoded).toEqual({
    chainId: 31337,
    txHash: '0x' + '1'.repeat(64),
    logIndex: 3,
    blockNumber: 9,
    blockHash: '0x' + '2'.repeat(64),
    blockTime: 1234,
    address: zk.contracts.gate,
    source: 'gate',
    name: 'WalletVerified',
    args: { policyId: '1', wallet: wallet1, nullifier: nullifier.toString(), verifiedUntil: '99', issuerId: '1', root: '5' },
  });
  const revoked = gate.encodeEventLog('WalletRevoked', [1n, wallet1, 0xbeefn, 'lost key']);
  expect(decodeLog({ ...log, topics: revoked.topics, data: revoked.data } as unknown as Log, 31337, 1234, sourcesOf(zk.contracts))?.args).toEqual({
    policyId: '1',
    wallet: wallet1,
    investor: String(0xbeef),
    reason: 'lost key',
  });
  // Another contract's log, or an event outside the ABI, is not decoded.
  expect(decodeLog({ ...log, address: wallet(2) } as unknown as Log, 31337, 1234, sourcesOf(zk.contracts))).toBeNull();
  expect(decodeLog({ ...log, topics: ['0x' + '3'.repeat(64)] } as unknown as Log, 31337, 1234, sourcesOf(zk.contracts))).toBeNull();
});

function runIndexer(env: Record<string, string>, until: RegExp): Promise<{ kill(): Promise<void>; done: Promise<number>; line: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'compliance-monitor/test/support/run-indexer.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      RPC_URL: node.url,
      TOKEN_ADDRESS: zk.contracts.token,
      GATE_ADDRESS: zk.contracts.gate,
      REGISTRY_ADDRESS: zk.contracts.registry,
      SANCTIONS_ADDRESS: zk.contracts.sanctions!,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = until.exec(output);
      if (m) resolve({ line: m[0], done, kill: async () => void (child.kill('SIGKILL'), await done) });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void done.then((code) => reject(new Error(`run-indexer exited (${code}) before ${until}:\n${output}`)));
  });
}

it('loses and doubles nothing when killed with SIGKILL inside a batch', async () => {
  for (let i = 0; i < 12; i++) await freeze(100 + i);
  await mine(node.provider, 2);
  const head = await node.provider.getBlockNumber();
  const databasePath = join(dir, 'killed.sqlite');
  const env = { DATABASE_PATH: databasePath, CONFIRMATIONS: '2', BATCH_BLOCKS: String(Math.ceil(head / 4)) };

  const first = await runIndexer({ ...env, MONITOR_TEST_PAUSE_AT_BATCH: '3' }, /paused in batch 3 \(blocks (\d+)-(\d+)\)/);
  const fromBlock = Number(/blocks (\d+)-/.exec(first.line)![1]);
  await first.kill();

  // What the killed process committed: batches 1 and 2 exactly, nothing of batch 3.
  let store = await openMonitorStore({ databasePath });
  expect((await store.cursor(31337))?.blockNumber).toBe(fromBlock - 1);
  expect(await storedKeys(store)).toEqual(await chainLogKeys(node.provider, addresses(), fromBlock - 1));
  await store.close();

  const second = await runIndexer(env, /caught up at \d+/);
  expect(await second.done).toBe(0);
  store = await openMonitorStore({ databasePath });
  stores.push(store);
  const keys = await storedKeys(store);
  expect(keys).toEqual(await chainLogKeys(node.provider, addresses(), head - 1));
  expect(new Set(keys).size).toBe(keys.length);
});

/** An HTTP relay to the node that can be switched off (connections dropped) and on again. */
function relay(target: string): Promise<{ url: string; server: Server; setDown(down: boolean): void }> {
  let down = false;
  const server = createServer((req, res) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
        .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text()))
        .catch(() => req.socket.destroy());
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, server, setDown: (d) => void (down = d) });
    }),
  );
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

it('keeps its state while the RPC is down, says so, and catches up when it is back', async () => {
  const proxy = await relay(node.url);
  const store = await freshStore('rpc-down');
  const logs: { level: string; message: string }[] = [];
  const indexer = new Indexer({
    store,
    chain: new JsonRpcChain(proxy.url, 2_000),
    contracts: zk.contracts,
    confirmations: 2,
    pollIntervalMs: 25,
    backoff: { initialMs: 25, maxMs: 100 },
    log: (level, message) => logs.push({ level, message }),
  });
  try {
    indexer.start();
    let head = await node.provider.getBlockNumber();
    await waitFor('the first catch-up', () => indexer.status().cursor === head - 1);
    const before = await store.eventCount();

    proxy.setDown(true);
    await freeze(200);
    await freeze(201);
    await mine(node.provider, 2);
    await waitFor('three failed passes', () => indexer.status().failures >= 3);
    expect(await store.eventCount()).toBe(before);
    expect(indexer.status().cursor).toBe(head - 1);
    expect(logs[0]).toMatchObject({ level: 'warn' });
    expect(logs[0].message).toMatch(/^pass failed \(.+\); nothing written, cursor stays at \d+; retry 1 in 25 ms$/);

    proxy.setDown(false);
    head = await node.provider.getBlockNumber();
    await waitFor('the catch-up after the outage', () => indexer.status().cursor === head - 1);
    expect(logs.some((l) => /^the node answers again after \d+ failed attempt\(s\); resuming from block \d+$/.test(l.message))).toBe(true);
    expect(await storedKeys(store)).toEqual(await chainLogKeys(node.provider, addresses(), head - 1));
    expect(await store.events({ wallet: wallet(201) })).toHaveLength(1);
  } finally {
    await indexer.stop();
    proxy.server.closeAllConnections();
    proxy.server.close();
  }
});
