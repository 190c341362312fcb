/**
 * The compliance monitor's figures (issue 11, item 8; docs/compliance-monitor.md):
 *
 * - **indexing**: a Hardhat node as a child process over JSON-RPC (as the service reads a chain),
 *   a deployment, thousands of events the agent emits without proofs (`batchSetAddressFrozen`,
 *   freezing and unfreezing addresses), then a fresh Indexer on a SQLite store in a temporary
 *   directory catching up from block 0 to the head, one confirmation, no hooks: events/s, blocks/s;
 * - **rule evaluation**: `evaluateBatch` with the example rule file over a synthetic stream of
 *   Transfer events (1 000 wallets, two per investor tag), once in one call and once in batches of
 *   500 with the engine's snapshot written to JSON and read back between batches, as the pipeline
 *   keeps it in the store: µs per event;
 * - **transfer → freeze**: on the same node (automine), two investors registered with real proofs,
 *   the pipeline with the example rule file and the agent's key, the indexer polling every 100 ms
 *   at one confirmation; alice sends three transfers just under the structuring threshold, and the
 *   time from the third one's receipt to the pipeline's report of the playbook's partial freeze
 *   (after its receipt) is measured.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonRpcProvider, JsonRpcSigner } from 'ethers';
import { computeLeaf, encodePolicy, identityCommitment, jurisdictionIndex, randomIdentitySecret, randomSalt, type EncodedAttributes } from '@zkkyc/credentials';
import { IssuerTree } from '@zkkyc/tree';
import { nodeProver } from '@zkkyc/prover/node';
import { connectZkKyc, deployZkKyc } from '@zkkyc/sdk';
import {
  Indexer,
  JsonRpcChain,
  evaluateBatch,
  investorTagOf,
  monitoringHooks,
  openMonitorStore,
  parseRuleFile,
  type ActionResult,
  type ChainEvent,
  type MonitorSnapshot,
  type RuleFile,
} from '@zkkyc/compliance-monitor';
import { startHardhatNode, type HardhatNode } from '../compliance-monitor/test/support/chain.js';
import { median, round } from './stats.js';

export interface MonitorFigures {
  eventsIndexed: number;
  eventsPerSecond: number;
  blocksPerSecond: number;
  ruleEvalMicrosPerEvent: number;
  ruleEvalWithSnapshotMicrosPerEvent: number;
  transferToFreezeMs: number;
  notes: string[];
}

const RULE_FILE = join(import.meta.dirname, '..', 'compliance-monitor', 'rules', 'example-bond.json');

/** Events the indexing run emits: EVENT_TXS transactions of ACCOUNTS_PER_TX AddressFrozen each. */
const ACCOUNTS_PER_TX = 20;
const EVENT_TXS = 150;

/** The synthetic stream for the rule engine. */
const STREAM_EVENTS = 50_000;
const STREAM_WALLETS = 1_000;
const STREAM_INVESTORS = 500;
const SNAPSHOT_BATCH = 500;
/** One run each: over this stream a run takes minutes (see the note on the exposure rule). */
const EVAL_RUNS = 1;

/** Transfer → freeze rounds (each needs three transfers and a freeze on chain). */
const LATENCY_ROUNDS = 5;

/** The example rule file, for the token at `token`. */
function exampleRules(token: string): RuleFile {
  const file = JSON.parse(readFileSync(RULE_FILE, 'utf8'));
  return parseRuleFile({ ...file, token }, 'example-bond.json');
}

export async function benchMonitor(): Promise<MonitorFigures> {
  const notes: string[] = [];
  const node = await startHardhatNode();
  node.provider.pollingInterval = 20;
  const dir = mkdtempSync(join(tmpdir(), 'zkkyc-bench-monitor-'));
  try {
    console.log(`monitor: indexing ${ACCOUNTS_PER_TX * EVENT_TXS} events…`);
    const indexing = await benchIndexing(node, dir);
    notes.push(
      `indexing: ${indexing.events} events (AddressFrozen from batchSetAddressFrozen, ${ACCOUNTS_PER_TX} per transaction, one transaction per block) in ${indexing.blocks} blocks (0 to head ${indexing.head}, the deployment included), caught up in ${indexing.batches} batch(es) of ≤ 500 blocks in ${round(indexing.ms)} ms; Hardhat node over JSON-RPC on 127.0.0.1, SQLite (WAL, synchronous FULL) in a temp dir, confirmations 1, no rule hooks`,
    );

    console.log(`monitor: transfer → freeze, ${LATENCY_ROUNDS} rounds (2 proofs first)…`);
    const latency = await benchTransferToFreeze(node, dir);
    notes.push(
      `transfer → freeze: median of ${latency.runs.length} rounds (${latency.runs.map((r) => round(r)).join(', ')} ms), each three transfers of 95 000 tokens (structuring, example-bond.json) by an investor registered with a real kycPolicy32 proof, the pipeline (open-case, freeze-partial, hold-transfers with TransferApproval) with the agent's key, indexer polling at 100 ms, confirmations 1, automine; from the third transfer's receipt in this process to the pipeline's report of the freeze (onAction: after the executor has the freeze's receipt and the case-log line is written), in the same process; 60 days pass between rounds (so the decaying score stays below the playbook's 100) and the hold is lifted`,
    );

    console.log(`monitor: rule evaluation over ${STREAM_EVENTS} events (minutes)…`);
    const evaluation = benchRuleEvaluation();
    notes.push(
      `rule evaluation: example-bond.json (7 rules) over ${STREAM_EVENTS} Transfer events (${STREAM_WALLETS} mints then transfers) across ${STREAM_WALLETS} wallets / ${STREAM_INVESTORS} investor tags, ${evaluation.hits} hits; ${EVAL_RUNS === 1 ? 'one run (not a median: each takes minutes)' : `median of ${EVAL_RUNS} runs`}; ruleEvalMicrosPerEvent = one evaluateBatch call over the whole stream, ruleEvalWithSnapshotMicrosPerEvent = batches of ${SNAPSHOT_BATCH} with the snapshot through JSON.stringify/JSON.parse between them (final snapshot ${Math.round(evaluation.snapshotBytes / 1024)} KiB)${evaluation.mismatch ? `; WARNING: ${evaluation.mismatch}` : ''}`,
    );

    return {
      eventsIndexed: indexing.events,
      eventsPerSecond: Math.round(indexing.events / (indexing.ms / 1000)),
      blocksPerSecond: Math.round(indexing.blocks / (indexing.ms / 1000)),
      ruleEvalMicrosPerEvent: evaluation.micros,
      ruleEvalWithSnapshotMicrosPerEvent: evaluation.microsWithSnapshot,
      transferToFreezeMs: round(median(latency.runs)),
      notes,
    };
  } finally {
    node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Deploys, emits the events, and times a fresh indexer from block 0 to the head. */
async function benchIndexing(node: HardhatNode, dir: string) {
  const agent = await node.provider.getSigner(0);
  const deployment = await deployZkKyc(agent, {
    verifier20: false,
    issuers: [{ issuerId: 1, did: 'did:example:bench', publisher: agent.address }],
    policies: [{ policyId: 1, jurisdictionMask: 5n, minAge: 18, investorClassMask: 0, minKycLevel: 1, acceptedIssuers: [1], ttl: 3600, maxWalletsPerInvestor: 0 }],
    tokens: [{ name: 'Bench Note', symbol: 'BNOTE', policyId: 1, rules: { sanctions: true } }],
  });
  const token = connectZkKyc(deployment, agent).tokens.BNOTE.token;

  // Freeze then unfreeze the same addresses, so the stream has both kinds; sent back to back, mined one per block.
  const sent = [];
  for (let t = 0; t < EVENT_TXS; t++) {
    const accounts = Array.from({ length: ACCOUNTS_PER_TX }, (_, i) => address(0xf0000 + (Math.floor(t / 2) * ACCOUNTS_PER_TX + i)));
    sent.push(
      await token.batchSetAddressFrozen(
        accounts,
        accounts.map(() => t % 2 === 0),
      ),
    );
  }
  for (const tx of sent) await tx.wait();
  const head = await node.provider.getBlockNumber();

  const store = await openMonitorStore({ databasePath: join(dir, 'indexing.sqlite') });
  const chain = new JsonRpcChain(node.url);
  const contracts = {
    token: deployment.tokens[0].address.toLowerCase(),
    gate: deployment.contracts.complianceGate.toLowerCase(),
    registry: deployment.contracts.issuerRegistry.toLowerCase(),
    sanctions: deployment.contracts.sanctionsList!.toLowerCase(),
  };
  try {
    const indexer = new Indexer({ store, chain, contracts, confirmations: 1, log: () => undefined });
    const started = performance.now();
    const results = await indexer.catchUp();
    const ms = performance.now() - started;
    const events = results.reduce((n, r) => n + (r.kind === 'batch' ? r.events : 0), 0);
    return { events, blocks: head + 1, head, batches: results.filter((r) => r.kind === 'batch').length, ms };
  } finally {
    chain.close();
    await store.close();
  }
}

/** A deterministic address for the n-th synthetic wallet. */
function address(n: number): string {
  return '0x' + n.toString(16).padStart(40, '0');
}

/** A small deterministic generator (mulberry32), so every run evaluates the same stream. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The synthetic stream: a mint of 1 000 000 tokens to every wallet, then transfers between random
 * wallets, three per block and 12 s per block, of 1 to 120 000 tokens (some above the large-transfer
 * threshold, some in the structuring band).
 */
function syntheticStream(token: string): { events: ChainEvent[]; investors: Map<string, string> } {
  const random = generator(11);
  const unit = 10n ** 18n;
  const wallets = Array.from({ length: STREAM_WALLETS }, (_, i) => address(0xa0000 + i));
  const investors = new Map(wallets.map((w, i) => [w, investorTagOf(BigInt(1 + (i % STREAM_INVESTORS)) * 7919n)]));
  const events: ChainEvent[] = [];
  const push = (from: string, to: string, value: bigint) => {
    const n = events.length;
    const blockNumber = 100 + Math.floor(n / 3);
    events.push({
      chainId: 31337,
      txHash: '0x' + (n + 1).toString(16).padStart(64, '0'),
      logIndex: n % 3,
      blockNumber,
      blockHash: '0x' + blockNumber.toString(16).padStart(64, 'b'),
      blockTime: 1_767_225_600 + blockNumber * 12,
      address: token,
      source: 'token',
      name: 'Transfer',
      args: { from, to, value: value.toString() },
    });
  };
  for (const w of wallets) push('0x' + '0'.repeat(40), w, 1_000_000n * unit);
  while (events.length < STREAM_EVENTS) {
    const from = wallets[Math.floor(random() * wallets.length)];
    let to = wallets[Math.floor(random() * wallets.length)];
    if (to === from) to = wallets[(wallets.indexOf(from) + 1) % wallets.length];
    push(from, to, BigInt(1 + Math.floor(random() * 120_000)) * unit);
  }
  return { events, investors };
}

/** µs per event of evaluateBatch, in one call and in batches with the snapshot through JSON. */
function benchRuleEvaluation() {
  const token = address(0x70ce);
  const rules = exampleRules(token);
  const { events, investors } = syntheticStream(token);
  /** The wallet → tag entries for the wallets a batch names (what the pipeline looks up per batch). */
  const investorsOf = (batch: ChainEvent[]) => {
    const map = new Map<string, string>();
    for (const e of batch) for (const w of [e.args.from, e.args.to]) if (investors.has(w)) map.set(w, investors.get(w)!);
    return map;
  };

  const whole: number[] = [];
  const batched: number[] = [];
  let hits = 0;
  let snapshotBytes = 0;
  let mismatch: string | null = null;
  for (let run = 0; run < EVAL_RUNS; run++) {
    let started = performance.now();
    hits = evaluateBatch(rules, null, events, { investors }).hits.length;
    whole.push(((performance.now() - started) * 1000) / events.length);

    started = performance.now();
    let text: string | null = null;
    let batchHits = 0;
    for (let i = 0; i < events.length; i += SNAPSHOT_BATCH) {
      const batch = events.slice(i, i + SNAPSHOT_BATCH);
      const snapshot: MonitorSnapshot | null = text === null ? null : JSON.parse(text);
      const result = evaluateBatch(rules, snapshot, batch, { investors: investorsOf(batch) });
      batchHits += result.hits.length;
      text = JSON.stringify(result.snapshot);
    }
    batched.push(((performance.now() - started) * 1000) / events.length);
    snapshotBytes = text?.length ?? 0;
    if (batchHits !== hits) mismatch = `batched evaluation gave ${batchHits} hits, one call ${hits}`;
  }
  const micro = (values: number[]) => Math.round(median(values) * 100) / 100;
  return { micros: micro(whole), microsWithSnapshot: micro(batched), hits, snapshotBytes, mismatch };
}

/** The time from a completing transfer's receipt to the playbook's freeze receipt, through the running monitor. */
async function benchTransferToFreeze(node: HardhatNode, dir: string) {
  const provider = node.provider;
  const [agent, alice, bob] = await Promise.all([0, 1, 2].map((i) => provider.getSigner(i)));
  const startBlock = (await provider.getBlockNumber()) + 1;
  const unit = 10n ** 18n;
  const policy = encodePolicy({ jurisdictions: ['DE', 'FR'], minAge: 18, investorClasses: [], minKycLevel: 2 });
  const deployment = await deployZkKyc(agent, {
    verifier20: false,
    issuers: [{ issuerId: 1, did: 'did:example:bench-issuer', publisher: agent.address, treeDepth: 32 }],
    // ttl: ten years, because the chain's clock moves 60 days per round.
    policies: [{ policyId: 1, ...policy, acceptedIssuers: [1], ttl: 3650 * 86400, maxWalletsPerInvestor: 0 }],
    tokens: [{ name: 'Bench Bond', symbol: 'BBOND', policyId: 1, rules: { transferApproval: { threshold: 100_000n * unit, expirySeconds: 86400 } } }],
  });
  const zk = connectZkKyc(deployment, agent);
  await registerInvestors(provider, zk, [alice, bob]);
  const record = deployment.tokens[0];
  const token = zk.tokens.BBOND.token;
  const approval = zk.tokens.BBOND.rules.transferApproval!;
  await (await token.mint(alice.address, 10_000_000n * unit)).wait();

  const store = await openMonitorStore({ databasePath: join(dir, 'latency.sqlite') });
  const chain = new JsonRpcChain(node.url);
  let freezeAt: ((ms: number) => void) | null = null;
  const hooks = monitoringHooks({
    store,
    rules: exampleRules(record.address),
    token: record.address,
    gate: deployment.contracts.complianceGate,
    policyId: BigInt(record.policyId),
    runner: agent,
    transferApproval: record.rules.transferApproval,
    log: () => undefined,
    onAction: (result: ActionResult) => {
      if (result.kind === 'freeze-partial' && result.status === 'done') freezeAt?.(performance.now());
    },
  });
  const contracts = {
    token: record.address.toLowerCase(),
    gate: deployment.contracts.complianceGate.toLowerCase(),
    registry: deployment.contracts.issuerRegistry.toLowerCase(),
  };
  const indexer = new Indexer({ store, chain, contracts, confirmations: 1, startBlock, pollIntervalMs: 100, hooks, log: () => undefined });
  const runs: number[] = [];
  try {
    await indexer.catchUp();
    indexer.start();
    for (let round = 0; round < LATENCY_ROUNDS; round++) {
      const frozen = new Promise<number>((resolve, reject) => {
        freezeAt = resolve;
        setTimeout(() => reject(new Error('bench monitor: no freeze within 60 s of the structuring transfers')), 60_000).unref();
      });
      let receiptAt = 0;
      for (let i = 0; i < 3; i++) {
        await (await token.connect(alice).transfer(bob.address, 95_000n * unit)).wait();
        receiptAt = performance.now();
      }
      runs.push((await frozen) - receiptAt);
      freezeAt = null;
      // Let the hold land, lift it, and move the clock on so the next round starts from a decayed score.
      while (!(await approval.isFlagged(alice.address))) await new Promise((r) => setTimeout(r, 50));
      await waitForQueue(store, hooks.keys.queue);
      await (await approval.batchSetFlagged([alice.address], false)).wait();
      await provider.send('evm_increaseTime', [60 * 86400]);
      await provider.send('evm_mine', []);
    }
  } finally {
    await indexer.stop();
    chain.close();
    await store.close();
  }
  return { runs };
}

/** Waits until the pipeline's queue of actions is empty. */
async function waitForQueue(store: Awaited<ReturnType<typeof openMonitorStore>>, key: string): Promise<void> {
  for (;;) {
    const queue = (await store.loadState<unknown[]>(key))?.value ?? [];
    if (queue.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Issues a credential to each wallet's holder, publishes the root and registers each wallet in the gate with a real proof. */
async function registerInvestors(provider: JsonRpcProvider, zk: ReturnType<typeof connectZkKyc>, wallets: JsonRpcSigner[]): Promise<void> {
  const tree = new IssuerTree(32);
  const holders = wallets.map((_, i) => {
    const secret = randomIdentitySecret();
    const salt = randomSalt();
    const attributes: EncodedAttributes = { jurisdiction: jurisdictionIndex(i % 2 ? 'FR' : 'DE'), birthDate: 19800101, investorClass: 0b10, kycLevel: 3, expiryDate: 20351231 };
    return { secret, salt, attributes, index: tree.append(computeLeaf(identityCommitment(secret), attributes, salt)) };
  });
  await (await zk.issuerRegistry.publishRoot(1, tree.root, tree.size)).wait();
  const prover = await nodeProver('kycPolicy32');
  const stored = await zk.complianceGate.policy(1);
  const time = (await provider.getBlock('latest'))!.timestamp;
  const d = new Date(time * 1000);
  const today = d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
  for (const [i, wallet] of wallets.entries()) {
    const holder = holders[i];
    const proof = await prover.prove({
      identitySecret: holder.secret,
      attributes: holder.attributes,
      salt: holder.salt,
      merkleProof: tree.proof(holder.index),
      policy: {
        jurisdictionMask: stored.jurisdictionMask,
        minAge: Number(stored.config.minAge),
        investorClassMask: Number(stored.config.investorClassMask),
        minKycLevel: Number(stored.config.minKycLevel),
        scope: stored.scope,
      },
      wallet: wallet.address,
      today,
      validUntil: holder.attributes.expiryDate,
    });
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    await (await zk.complianceGate.connect(wallet).verify(1, pA, pB, pC, pubSignals)).wait();
  }
}
