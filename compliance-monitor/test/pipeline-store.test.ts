/**
 * The pipeline's bookkeeping on a real (temporary SQLite) store, without a chain: batches written as
 * the indexer writes them, the hooks called where the indexer calls them.
 *
 * - No agent key: the actions are planned, their case opened, and recorded as not executed (case
 *   log and action log), never sent.
 * - A reorg: the rewind rebuilds the engine state and the score book from the stored events up to
 *   the fork, drops the actions queued for the removed hit, and the new chain's pattern is caught
 *   once — the same case, one hit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from '@jest/globals';
import { JsonRpcProvider, Network, Wallet, type ContractRunner } from 'ethers';
import type { ChainEvent } from '../src/model.js';
import { openMonitorStore } from '../src/store/open-store.js';
import type { MonitorStore } from '../src/store/monitor-store.js';
import { MAX_ATTEMPTS, monitoringHooks, type MonitoringHooks, type QueuedAction } from '../src/pipeline/index.js';
import { Chain, T0, TOKEN, ruleFile, tag, wallet } from './rules-support.js';

const dir = mkdtempSync(join(tmpdir(), 'zkkyc-pipeline-store-'));
const stores: MonitorStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const GATE = '0x' + '6'.repeat(40);
const ALICE = wallet(0xa1);
const BOB = wallet(0xb0);
const ALICE_TAG = tag(0xa11ce);
const rules = ruleFile(
  [{ id: 'structuring', kind: 'structuring', threshold: '1000', margin: 0.1, count: 3, windowSeconds: 86400, severity: 'high', score: 50 }],
  [{ when: { rule: 'structuring' }, actions: [{ kind: 'open-case' }, { kind: 'freeze-partial', amount: 'evidence' }] }],
);

async function setup(name: string, runner: ContractRunner | null = null): Promise<{ store: MonitorStore; hooks: MonitoringHooks; warnings: string[] }> {
  const store = await openMonitorStore({ databasePath: join(dir, `${name}.sqlite`) });
  stores.push(store);
  const warnings: string[] = [];
  const hooks = monitoringHooks({ store, rules, token: TOKEN, gate: GATE, policyId: 1n, runner, log: (level, m) => level !== 'info' && warnings.push(m) });
  return { store, hooks, warnings };
}

function verified(chain: Chain, who: string, nullifier: string): ChainEvent {
  const e = chain.mint(who, 0, T0); // a block of its own, then turned into the gate's registration
  Object.assign(e, { source: 'gate', address: GATE, name: 'WalletVerified', args: { policyId: '1', wallet: who, nullifier, validUntil: '0' } });
  return e;
}

/** One indexed batch: the events, their blocks and the cursor, and the hook, in one transaction. */
async function index(store: MonitorStore, hooks: MonitoringHooks, events: ChainEvent[]): Promise<void> {
  const blocks = events.map((e) => ({ number: e.blockNumber, hash: e.blockHash, time: e.blockTime }));
  const last = blocks[blocks.length - 1];
  await store.transaction(async (tx) => {
    await tx.writeBatch(31337, events, blocks, { chainId: 31337, blockNumber: last.number, blockHash: last.hash });
    await hooks.onBatch!(tx, events, { chainId: 31337, fromBlock: events[0].blockNumber, toBlock: last.number });
  });
}

it('without an agent key, plans and records the actions in their case, and sends nothing', async () => {
  const { store, hooks, warnings } = await setup('no-key');
  expect(warnings.join('\n')).toMatch(/no agent key configured/);
  const chain = new Chain();
  verified(chain, ALICE, BigInt(ALICE_TAG).toString());
  chain.mint(ALICE, 10_000, T0 + 10);
  for (let i = 0; i < 3; i++) chain.transfer(ALICE, BOB, 950, T0 + 100 + i);
  await index(store, hooks, chain.events);
  const results = await hooks.drain();
  expect(results.map((r) => [r.kind, r.status])).toEqual([
    ['open-case', 'done'],
    ['freeze-partial', 'not-configured'],
  ]);
  expect(results[1].note).toMatch(/no agent key/);
  const [kase] = await store.listCases();
  expect(kase).toMatchObject({ subject: { investorTag: ALICE_TAG, wallets: [ALICE] }, rules: ['structuring'] });
  const log = (await store.getCase(kase.id))!.log.filter((l) => l.kind === 'action').map((l) => l.text);
  expect(log).toEqual([
    expect.stringMatching(/^planned: open a case about investor/),
    expect.stringMatching(/^planned: freeze 2850 base units across/),
    expect.stringMatching(/^done: open a case/),
    expect.stringMatching(/^not carried out: freeze 2850 base units .* no agent key configured/),
  ]);
  expect((await store.riskScore(ALICE_TAG, T0 + 102))?.score).toBe(50);
  // Drained: a second drain (a restart) finds nothing to do.
  expect(await hooks.drain()).toEqual([]);
});

it("follows the token to another gate policy: hits name the investor's tag under the token's new policy", async () => {
  const { store, hooks, warnings } = await setup('policy-change');
  const chain = new Chain();
  verified(chain, ALICE, BigInt(ALICE_TAG).toString());
  chain.mint(ALICE, 10_000, T0 + 10);
  await index(store, hooks, chain.since(0));
  // The admin moves the token to policy 2; alice proves it (another scope, another tag).
  const NEW_TAG = tag(0xbee);
  const moved = chain.mint(ALICE, 0, T0 + 20);
  Object.assign(moved, { name: 'PolicyIdChanged', args: { previous: '1', current: '2', agent: BOB } });
  const reverified = verified(chain, ALICE, BigInt(NEW_TAG).toString());
  reverified.args.policyId = '2';
  for (let i = 0; i < 3; i++) chain.transfer(ALICE, BOB, 950, T0 + 100 + i);
  await index(
    store,
    hooks,
    chain.events.filter((e) => e.blockNumber >= moved.blockNumber),
  );
  expect(warnings.join('\n')).toMatch(/now checks transfers against gate policy 2 \(was 1\)/);
  const [hit] = await store.ruleHits();
  expect(hit).toMatchObject({ ruleId: 'structuring', subject: { investorTag: NEW_TAG, wallets: [ALICE] } });
  expect((await store.listCases())[0].subject.investorTag).toBe(NEW_TAG);
});

it('after a reorg, rebuilds the state from the stored events and catches the new chain’s pattern once', async () => {
  const { store, hooks } = await setup('reorg');
  const chain = new Chain();
  verified(chain, ALICE, BigInt(ALICE_TAG).toString());
  chain.mint(ALICE, 10_000, T0 + 10);
  chain.transfer(ALICE, BOB, 950, T0 + 100);
  chain.transfer(ALICE, BOB, 950, T0 + 101);
  await index(store, hooks, chain.since(0));
  const fork = chain.events[chain.events.length - 1];
  const stateAtFork = await store.loadState(hooks.keys.snapshot);
  const third = chain.transfer(ALICE, BOB, 950, T0 + 102);
  await index(store, hooks, [third]);
  expect((await store.ruleHits()).map((h) => h.ruleId)).toEqual(['structuring']);
  expect((await store.loadState<QueuedAction[]>(hooks.keys.queue))!.value).toHaveLength(2); // not carried out yet

  const cursor = { chainId: 31337, blockNumber: fork.blockNumber, blockHash: fork.blockHash };
  await store.transaction(async (tx) => hooks.onRewind!(tx, cursor, await tx.rewindTo(31337, cursor)));
  expect(await store.ruleHits()).toEqual([]);
  expect((await store.loadState<QueuedAction[]>(hooks.keys.queue))!.value).toEqual([]);
  expect((await store.loadState(hooks.keys.snapshot))!.value).toEqual(stateAtFork!.value);
  expect((await store.loadState(hooks.keys.scores))!.value).toEqual({});
  const [kase] = await store.listCases();
  const lines = (await store.getCase(kase.id))!.log.map((l) => `${l.kind}: ${l.text}`);
  expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^withdrawn: hit .* withdrawn/), expect.stringMatching(/^action: not carried out: .* reorganised away/)]));

  // The new chain: the third transfer lands in another transaction of the same block height.
  const replacement: ChainEvent = { ...third, txHash: '0x' + 'f'.repeat(64), blockHash: '0x' + 'e'.repeat(64) };
  await index(store, hooks, [replacement]);
  const hits = await store.ruleHits();
  expect(hits.map((h) => [h.ruleId, h.evidence.events.at(-1)!.txHash])).toEqual([['structuring', replacement.txHash]]);
  expect(await store.listCases()).toHaveLength(1);
  expect((await store.getCase(kase.id))!.hits.map((h) => h.id)).toEqual([hits[0].id]);
  expect((await hooks.drain()).map((r) => r.kind)).toEqual(['open-case', 'freeze-partial']);
});

it('keeps an action queued while the node cannot be reached, retries it after each batch, and gives up after MAX_ATTEMPTS', async () => {
  const network = Network.from(31337);
  const provider = new JsonRpcProvider('http://127.0.0.1:9', network, { staticNetwork: network });
  try {
    const { store, hooks, warnings } = await setup('node-down', Wallet.createRandom().connect(provider));
    const chain = new Chain();
    verified(chain, ALICE, BigInt(ALICE_TAG).toString());
    chain.mint(ALICE, 10_000, T0 + 10);
    for (let i = 0; i < 3; i++) chain.transfer(ALICE, BOB, 950, T0 + 100 + i);
    await index(store, hooks, chain.events);
    expect((await hooks.drain()).map((r) => [r.kind, r.status])).toEqual([
      ['open-case', 'done'],
      ['freeze-partial', 'failed'],
    ]);
    const queued = async () => (await store.loadState<QueuedAction[]>(hooks.keys.queue))!.value;
    expect((await queued()).map((q) => [q.action.kind, q.attempts])).toEqual([['freeze-partial', 1]]);
    expect(warnings.at(-1)).toMatch(/attempt 1 of 5 failed/);
    for (let attempt = 2; attempt < MAX_ATTEMPTS; attempt++) await hooks.drain();
    expect((await queued()).map((q) => q.attempts)).toEqual([MAX_ATTEMPTS - 1]);
    await hooks.drain();
    expect(await queued()).toEqual([]);
    const [kase] = await store.listCases();
    expect((await store.getCase(kase.id))!.log.at(-1)!.text).toMatch(/^failed: freeze 2850 base units/);
  } finally {
    provider.destroy();
  }
});

it('leaves an action whose transaction is not mined in time queued as pending-confirmation, lets the indexer go on, and re-checks it on the next drain', async () => {
  const network = Network.from(31337);
  const provider = new JsonRpcProvider('http://127.0.0.1:9', network, { staticNetwork: network });
  try {
    const store = await openMonitorStore({ databasePath: join(dir, 'pending.sqlite') });
    stores.push(store);
    const answers = [
      { configured: true, txHash: `0x${'1'.repeat(64)}`, pending: true, note: 'not confirmed within 120 s' },
      { configured: true, note: 'already held for review' },
    ];
    const asked: string[] = [];
    const warnings: string[] = [];
    const hooks = monitoringHooks({
      store,
      rules: ruleFile(
        rules.rules.map((r) => ({ ...r, threshold: String((r as { threshold: bigint }).threshold) })),
        [{ when: { rule: 'structuring' }, actions: [{ kind: 'hold-transfers' }] }],
      ),
      token: TOKEN,
      gate: GATE,
      policyId: 1n,
      runner: Wallet.createRandom().connect(provider),
      hold: { flag: async (w) => (asked.push(w), answers.shift()!) },
      log: (level, m) => level !== 'info' && warnings.push(m),
    });
    const chain = new Chain();
    chain.mint(ALICE, 10_000, T0 + 10);
    for (let i = 0; i < 3; i++) chain.transfer(ALICE, BOB, 950, T0 + 100 + i);
    await index(store, hooks, chain.events);
    expect((await hooks.drain()).map((r) => [r.kind, r.status])).toEqual([['hold-transfers', 'pending-confirmation']]);
    const queued = async () => (await store.loadState<QueuedAction[]>(hooks.keys.queue))!.value;
    expect((await queued()).map((q) => [q.action.kind, q.attempts])).toEqual([['hold-transfers', undefined]]);
    expect(warnings.at(-1)).toMatch(/pending confirmation/);
    expect((await hooks.drain()).map((r) => [r.kind, r.status])).toEqual([['hold-transfers', 'done']]);
    expect(await queued()).toEqual([]);
    expect(asked).toEqual([ALICE, ALICE]);
  } finally {
    provider.destroy();
  }
});

it('holds a wallet that a held investor registers later, through the hold control, and not once the hold was released', async () => {
  const network = Network.from(31337);
  const provider = new JsonRpcProvider('http://127.0.0.1:9', network, { staticNetwork: network });
  try {
    const store = await openMonitorStore({ databasePath: join(dir, 'later-wallet.sqlite') });
    stores.push(store);
    const flagged: string[] = [];
    let released = false;
    const hooks = monitoringHooks({
      store,
      rules: ruleFile(
        rules.rules.map((r) => ({ ...r, threshold: String((r as { threshold: bigint }).threshold) })),
        [{ when: { rule: 'structuring' }, actions: [{ kind: 'hold-transfers' }] }],
      ),
      token: TOKEN,
      gate: GATE,
      policyId: 1n,
      runner: Wallet.createRandom().connect(provider),
      hold: {
        flag: async (w) => (flagged.push(w), { configured: true, note: `held for review: ${w}` }),
        isHeld: async () => !released,
      },
      log: () => undefined,
    });
    const chain = new Chain();
    verified(chain, ALICE, BigInt(ALICE_TAG).toString());
    chain.mint(ALICE, 10_000, T0 + 10);
    for (let i = 0; i < 3; i++) chain.transfer(ALICE, BOB, 950, T0 + 100 + i);
    await index(store, hooks, chain.events);
    expect((await hooks.drain()).map((r) => [r.kind, r.status])).toEqual([['hold-transfers', 'done']]);
    expect(flagged).toEqual([ALICE]);

    // Alice registers a second wallet; bob (not held) registers one too.
    const ALICE2 = wallet(0xa2);
    let from = chain.events.length;
    verified(chain, ALICE2, BigInt(ALICE_TAG).toString());
    verified(chain, wallet(0xb2), BigInt(tag(0xb0b)).toString());
    await index(store, hooks, chain.since(from));
    expect((await hooks.drain()).map((r) => [r.kind, r.status, r.note])).toEqual([['hold-transfers', 'done', `held for review: ${ALICE2}`]]);
    expect(flagged).toEqual([ALICE, ALICE2]);
    const [kase] = await store.listCases();
    expect(
      (await store.getCase(kase.id))!.log
        .filter((l) => l.kind === 'action')
        .map((l) => l.text)
        .at(-1),
    ).toMatch(/^done: hold the transfers of 0x0+a2 for review/);

    // Released by the officer: a third wallet is not held.
    released = true;
    from = chain.events.length;
    verified(chain, wallet(0xa3), BigInt(ALICE_TAG).toString());
    await index(store, hooks, chain.since(from));
    expect((await hooks.drain()).map((r) => [r.kind, r.status, r.note])).toEqual([['hold-transfers', 'done', 'the investor’s hold was released: not extended to this wallet']]);
    expect(flagged).toEqual([ALICE, ALICE2]);
  } finally {
    provider.destroy();
  }
});

it('freezes and revokes every wallet of the investor the store knows under the policy, not only the wallet in the hit', async () => {
  const store = await openMonitorStore({ databasePath: join(dir, 'all-wallets.sqlite') });
  stores.push(store);
  const freezeAll = ruleFile(
    rules.rules.map((r) => ({ ...r, threshold: String((r as { threshold: bigint }).threshold) })),
    [{ when: { rule: 'structuring' }, actions: [{ kind: 'freeze-wallet' }, { kind: 'revoke-registration', reason: 'structuring' }] }],
  );
  const hooks = monitoringHooks({ store, rules: freezeAll, token: TOKEN, gate: GATE, policyId: 1n, runner: null, log: () => undefined });
  const ALICE2 = wallet(0xa2);
  const chain = new Chain();
  verified(chain, ALICE, BigInt(ALICE_TAG).toString());
  verified(chain, ALICE2, BigInt(ALICE_TAG).toString());
  chain.mint(ALICE, 10_000, T0 + 10);
  for (let i = 0; i < 3; i++) chain.transfer(ALICE, BOB, 950, T0 + 100 + i);
  await index(store, hooks, chain.events);
  expect((await hooks.drain()).map((r) => r.key.split('|').slice(0, 2).join('|'))).toEqual([
    `freeze-wallet|${ALICE}`,
    `freeze-wallet|${ALICE2}`,
    `revoke-registration|${ALICE}`,
    `revoke-registration|${ALICE2}`,
  ]);
});

it('after a retention purge, a reorg rebuilds from the checkpoint at or below the fork: the same state as without the purge', async () => {
  async function run(name: string, purge: boolean): Promise<{ snapshot: unknown; scores: unknown; purged: number }> {
    const { store, hooks } = await setup(name);
    const chain = new Chain();
    verified(chain, ALICE, BigInt(ALICE_TAG).toString());
    chain.mint(ALICE, 10_000, T0 + 10);
    chain.transfer(ALICE, BOB, 950, T0 + 100);
    await index(store, hooks, chain.since(0));
    let from = chain.events.length;
    chain.transfer(ALICE, BOB, 950, T0 + 101);
    await index(store, hooks, chain.since(from));
    const fork = chain.events[chain.events.length - 1];
    from = chain.events.length;
    chain.transfer(ALICE, BOB, 950, T0 + 102);
    await index(store, hooks, chain.since(from));
    expect((await store.ruleHits()).map((h) => h.ruleId)).toEqual(['structuring']);
    // The purge drops the first batch's events (the registration, the mint, the first transfer).
    const purged = purge ? (await store.transaction((tx) => tx.purgeBefore(T0 + 101))).events : 0;
    const cursor = { chainId: 31337, blockNumber: fork.blockNumber, blockHash: fork.blockHash };
    await store.transaction(async (tx) => hooks.onRewind!(tx, cursor, await tx.rewindTo(31337, cursor)));
    return { snapshot: (await store.loadState(hooks.keys.snapshot))!.value, scores: (await store.loadState(hooks.keys.scores))!.value, purged };
  }
  const kept = await run('checkpoint-kept', false);
  const purged = await run('checkpoint-purged', true);
  expect(purged.purged).toBe(3);
  expect(purged.snapshot).toEqual(kept.snapshot);
  expect(purged.scores).toEqual(kept.scores);
});

it('flags an action already carried out whose hit a reorg withdrew: a case log line naming its transaction, and the case escalated for review', async () => {
  const network = Network.from(31337);
  const provider = new JsonRpcProvider('http://127.0.0.1:9', network, { staticNetwork: network });
  try {
    const store = await openMonitorStore({ databasePath: join(dir, 'reorg-executed.sqlite') });
    stores.push(store);
    const HOLD_TX = `0x${'1'.repeat(64)}`;
    const hooks = monitoringHooks({
      store,
      rules: ruleFile(
        rules.rules.map((r) => ({ ...r, threshold: String((r as { threshold: bigint }).threshold) })),
        [{ when: { rule: 'structuring' }, actions: [{ kind: 'open-case' }, { kind: 'hold-transfers' }] }],
      ),
      token: TOKEN,
      gate: GATE,
      policyId: 1n,
      runner: Wallet.createRandom().connect(provider),
      hold: { flag: async () => ({ configured: true, txHash: HOLD_TX }) },
      log: () => undefined,
    });
    const chain = new Chain();
    verified(chain, ALICE, BigInt(ALICE_TAG).toString());
    chain.mint(ALICE, 10_000, T0 + 10);
    chain.transfer(ALICE, BOB, 950, T0 + 100);
    chain.transfer(ALICE, BOB, 950, T0 + 101);
    await index(store, hooks, chain.since(0));
    const fork = chain.events[chain.events.length - 1];
    const third = chain.transfer(ALICE, BOB, 950, T0 + 102);
    await index(store, hooks, [third]);
    expect((await hooks.drain()).map((r) => [r.kind, r.status, r.txHashes])).toEqual([
      ['open-case', 'done', []],
      ['hold-transfers', 'done', [HOLD_TX]],
    ]);
    const [kase] = await store.listCases();
    expect(kase.status).toBe('open');

    const cursor = { chainId: 31337, blockNumber: fork.blockNumber, blockHash: fork.blockHash };
    await store.transaction(async (tx) => hooks.onRewind!(tx, cursor, await tx.rewindTo(31337, cursor)));
    const detail = (await store.getCase(kase.id))!;
    expect(detail.status).toBe('escalated');
    const flagged = detail.log.filter((l) => /basis withdrawn by reorg/.test(l.text));
    // The hold sent a transaction: flagged, not undone. Opening the case changed nothing on chain.
    expect(flagged.map((l) => l.text)).toEqual([expect.stringMatching(new RegExp(`^basis withdrawn by reorg; review the action: hold the transfers of ${ALICE} for review \\(tx ${HOLD_TX}\\)`))]);
    expect(detail.log.filter((l) => l.kind === 'status').map((l) => l.text)).toEqual([expect.stringMatching(/reorg/)]);
  } finally {
    provider.destroy();
  }
});
