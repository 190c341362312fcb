/**
 * The pipeline on a real Hardhat node over JSON-RPC (a child process), as the service runs it: a
 * zkkyc deployment whose token has the TransferApproval rule, two investors registered with real
 * Groth16 proofs, the indexer with `monitoringHooks` and the agent's key.
 *
 * - Structuring: three transfers just under the threshold → the monitor's hit, a case, and the
 *   playbook's partial freeze on chain (TokensFrozen, getFrozenTokens) and hold (the investor's
 *   wallets flagged in TransferApproval), each result in the case log.
 * - A large transfer: refused by the rule; the holder requests it (allowance + requestTransfer), the
 *   compliance agent approves, the balances move; the monitor sees the transfer and its hit joins
 *   the investor's case.
 * - A restart (a new store and pipeline on the same database) sends nothing, even with the first
 *   batch's actions put back in the queue as if the process had died before carrying them out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Wallet, type JsonRpcSigner } from 'ethers';
import { AgentSendLock, agentProvider } from '../src/playbooks/agent-send-lock.js';
import { computeLeaf, encodePolicy, identityCommitment, jurisdictionIndex, randomIdentitySecret, randomSalt, type EncodedAttributes } from '@zkkyc/credentials';
import { IssuerTree } from '@zkkyc/tree';
import { nodeProver, releaseProverThreads } from '@zkkyc/prover/node';
import { connectZkKyc, decodeRevert, deployZkKyc, type ZkKycContracts, type ZkKycDeployment } from '@zkkyc/sdk';
import { JsonRpcChain } from '../src/indexer/chain-client.js';
import { Indexer } from '../src/indexer/indexer.js';
import { openMonitorStore } from '../src/store/open-store.js';
import { investorTagOf, type MonitorStore } from '../src/store/monitor-store.js';
import { parseRuleFile } from '../src/rules/rule-file.js';
import { monitoringHooks, type MonitoringHooks, type QueuedAction } from '../src/pipeline/index.js';
import { startHardhatNode, type HardhatNode } from './support/chain.js';

const THRESHOLD = 1000n;

let node: HardhatNode;
let dir: string;
let agent: JsonRpcSigner;
let alice: JsonRpcSigner;
let bob: JsonRpcSigner;
let deployment: ZkKycDeployment;
let zk: ZkKycContracts;
let aliceTag: string;
const stores: MonitorStore[] = [];

function rules() {
  return parseRuleFile(
    {
      version: 'pipeline-test.1',
      token: deployment.tokens[0].address,
      decimals: 0,
      rules: [
        { id: 'structuring', kind: 'structuring', threshold: THRESHOLD.toString(), margin: 0.1, count: 3, windowSeconds: 86400, severity: 'high', score: 50 },
        { id: 'large', kind: 'large-transfer', threshold: (THRESHOLD + 1n).toString(), severity: 'medium', score: 20 },
      ],
      scoring: { halfLifeDays: 30 },
      playbooks: [
        { when: { severity: 'medium' }, actions: [{ kind: 'open-case' }] },
        { when: { rule: 'structuring' }, actions: [{ kind: 'freeze-partial', amount: 'evidence' }, { kind: 'hold-transfers' }] },
      ],
    },
    'pipeline-test.json',
  );
}

beforeAll(async () => {
  node = await startHardhatNode();
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-monitor-pipeline-'));
  [agent, alice, bob] = await Promise.all([0, 1, 2].map((i) => node.provider.getSigner(i)));
  const policy = encodePolicy({ jurisdictions: ['DE', 'FR'], minAge: 18, investorClasses: [], minKycLevel: 2 });
  deployment = await deployZkKyc(agent, {
    verifier20: false,
    issuers: [{ issuerId: 1, did: 'did:example:issuer', publisher: agent.address, treeDepth: 32 }],
    policies: [{ policyId: 1, ...policy, acceptedIssuers: [1], ttl: 30 * 86400, maxWalletsPerInvestor: 0 }],
    tokens: [{ name: 'Bond', symbol: 'BOND', decimals: 0, policyId: 1, rules: { transferApproval: { threshold: THRESHOLD, expirySeconds: 86400 } } }],
  });
  zk = connectZkKyc(deployment, agent);

  // Two investors, one wallet each, registered with real proofs.
  const tree = new IssuerTree(32);
  const issue = (jurisdiction: string) => {
    const secret = randomIdentitySecret();
    const salt = randomSalt();
    const attributes: EncodedAttributes = { jurisdiction: jurisdictionIndex(jurisdiction), birthDate: 19800101, investorClass: 0b10, kycLevel: 3, expiryDate: 20351231 };
    return { secret, salt, attributes, index: tree.append(computeLeaf(identityCommitment(secret), attributes, salt)) };
  };
  const holders = [issue('DE'), issue('FR')];
  await (await zk.issuerRegistry.publishRoot(1, tree.root, tree.size)).wait();
  const prover = await nodeProver('kycPolicy32');
  const stored = await zk.complianceGate.policy(1);
  const time = (await node.provider.getBlock('latest'))!.timestamp;
  const d = new Date(time * 1000);
  const today = d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
  for (const [holder, wallet] of [
    [holders[0], alice],
    [holders[1], bob],
  ] as const) {
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
  aliceTag = investorTagOf(await zk.complianceGate.investorOf(1, alice.address));
  await (await zk.tokens.BOND.token.mint(alice.address, 10_000n)).wait();
}, 120_000);

afterAll(async () => {
  for (const s of stores) await s.close().catch(() => undefined);
  node?.stop();
  await releaseProverThreads();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A monitor as main.ts assembles it: the store, the pipeline's hooks with the agent's key, the indexer at one confirmation. */
async function monitor(captured?: QueuedAction[][]): Promise<{ store: MonitorStore; hooks: MonitoringHooks; indexer: Indexer }> {
  const store = await openMonitorStore({ databasePath: join(dir, 'monitor.sqlite') });
  stores.push(store);
  const token = deployment.tokens[0];
  const hooks = monitoringHooks({
    store,
    rules: rules(),
    token: token.address,
    gate: deployment.contracts.complianceGate,
    policyId: 1n,
    runner: agent,
    transferApproval: token.rules.transferApproval,
    log: () => undefined,
  });
  const contracts = { token: token.address.toLowerCase(), gate: deployment.contracts.complianceGate.toLowerCase(), registry: deployment.contracts.issuerRegistry.toLowerCase() };
  const indexer = new Indexer({
    store,
    chain: new JsonRpcChain(node.url),
    contracts,
    confirmations: 1,
    hooks: {
      onBatch: hooks.onBatch,
      onRewind: hooks.onRewind,
      // The test keeps a copy of what each batch queued before it is carried out.
      afterCommit: async (events, batch) => {
        captured?.push((await store.loadState<QueuedAction[]>(hooks.keys.queue))?.value ?? []);
        await hooks.afterCommit!(events, batch);
      },
    },
    log: () => undefined,
  });
  return { store, hooks, indexer };
}

it('catches structuring, freezes and holds on chain, approves a held transfer, and does nothing twice after a restart', async () => {
  const token = zk.tokens.BOND.token;
  const approval = zk.tokens.BOND.rules.transferApproval!;
  const captured: QueuedAction[][] = [];
  const first = await monitor(captured);
  await first.indexer.catchUp();
  expect(await first.store.ruleHits()).toEqual([]);

  // Three transfers just under the threshold (each passes the rule: ≤ 1000).
  for (let i = 0; i < 3; i++) await (await token.connect(alice).transfer(bob.address, 950n)).wait();
  await first.indexer.catchUp();

  const hits = await first.store.ruleHits();
  expect(hits.map((h) => [h.ruleId, h.subject.investorTag, h.evidence.amounts])).toEqual([['structuring', aliceTag, ['950', '950', '950']]]);
  const [kase] = await first.store.listCases();
  expect(kase).toMatchObject({ subject: { investorTag: aliceTag, wallets: [alice.address.toLowerCase()] }, rules: ['structuring'], status: 'open' });
  expect((await first.store.riskScore(aliceTag, hits[0].at))?.score).toBe(50);

  // The playbook's partial freeze of what was structured, and the hold, on chain.
  expect(await token.getFrozenTokens(alice.address)).toBe(2850n);
  const frozenLogs = await token.queryFilter(token.filters.TokensFrozen());
  expect(frozenLogs.map((l) => [l.args[0].toLowerCase(), l.args[1]])).toEqual([[alice.address.toLowerCase(), 2850n]]);
  expect(await approval.isFlagged(alice.address)).toBe(true);
  expect(await approval.isFlagged(bob.address)).toBe(false);
  const detail = (await first.store.getCase(kase.id))!;
  const actionLines = detail.log.filter((l) => l.kind === 'action').map((l) => l.text.split(':')[0]);
  expect(actionLines).toEqual(['planned', 'planned', 'planned', 'done', 'done', 'done']);
  expect(detail.log.some((l) => l.kind === 'action' && /^done: freeze 2850 base units/.test(l.text) && /froze 2850 of 2850/.test(l.text))).toBe(true);
  expect(captured.flat().map((q) => q.action.kind)).toEqual(['open-case', 'freeze-partial', 'hold-transfers']);

  // A large transfer is refused by the rule; alice asks for it, the compliance agent approves.
  const refusal = await token
    .connect(alice)
    .transfer(bob.address, 2000n)
    .then(
      () => null,
      (e) => e,
    );
  expect(refusal).not.toBeNull();
  expect(decodeRevert(refusal)?.name).toBeDefined();
  await (await token.connect(alice).approve(await approval.getAddress(), 2000n)).wait();
  await (await approval.connect(alice).requestTransfer(bob.address, 2000n)).wait();
  const id = await approval.lastId();
  expect((await approval.pendingTransfer(id)).status).toBe(1n); // Pending
  await (await approval.connect(agent).approve(id)).wait();
  expect(await token.balanceOf(alice.address)).toBe(10_000n - 2850n - 2000n);
  expect(await token.balanceOf(bob.address)).toBe(2850n + 2000n);

  await first.indexer.catchUp();
  expect((await first.store.ruleHits()).map((h) => h.ruleId)).toEqual(['structuring', 'large']);
  expect((await first.store.getCase(kase.id))!.rules).toEqual(['structuring', 'large']);
  expect(await first.store.listCases()).toHaveLength(1);
  await first.store.close();

  // Restart: a new store and pipeline on the same database, the first batch's actions queued again
  // as if the process had died after its commit.
  const nonce = await node.provider.getTransactionCount(agent.address);
  const second = await monitor();
  const queued = captured.find((q) => q.length > 0)!;
  await second.store.saveState(second.hooks.keys.queue, queued, 0);
  const again = await second.hooks.drain();
  expect(again.map((r) => [r.kind, r.status, r.skipped])).toEqual([
    ['open-case', 'done', true],
    ['freeze-partial', 'done', true],
    ['hold-transfers', 'done', true],
  ]);
  await second.indexer.catchUp();
  expect(await node.provider.getTransactionCount(agent.address)).toBe(nonce);
  expect(await token.getFrozenTokens(alice.address)).toBe(2850n);
  expect((await second.store.ruleHits()).map((h) => h.ruleId)).toEqual(['structuring', 'large']);
}, 60_000);

it('started at a START_BLOCK after the registrations, still knows the investors behind the wallets', async () => {
  const store = await openMonitorStore({ databasePath: join(dir, 'late-start.sqlite') });
  stores.push(store);
  const token = deployment.tokens[0];
  const contracts = { token: token.address.toLowerCase(), gate: deployment.contracts.complianceGate.toLowerCase(), registry: deployment.contracts.issuerRegistry.toLowerCase() };
  const startBlock = (await node.provider.getBlockNumber()) + 1;
  // (alice's transfers are held since the test above: a mint to bob is the transfer after START_BLOCK.)
  await (await zk.tokens.BOND.token.mint(bob.address, 1n)).wait();
  const indexer = new Indexer({ store, chain: new JsonRpcChain(node.url), contracts, confirmations: 1, startBlock, backfillChunkBlocks: 3, log: () => undefined });
  const results = await indexer.catchUp();
  expect(results[0]).toEqual({ kind: 'backfill', toBlock: startBlock - 1, registrations: 2 });
  expect((await store.investorOf(alice.address, '1')).investorTag).toBe(aliceTag);
  expect((await store.walletsOf(aliceTag, '1')).map((r) => r.wallet)).toEqual([alice.address.toLowerCase()]);
  // Below START_BLOCK only the registrations (and policy changes): no transfer, freeze or root.
  const early = await store.events({ toBlock: startBlock - 1, limit: 1000 });
  expect(new Set(early.map((e) => e.name))).toEqual(new Set(['WalletVerified', 'PolicyIdChanged']));
  const late = await store.events({ fromBlock: startBlock, names: ['Transfer'], limit: 10 });
  expect(late.map((e) => [e.args.from, e.args.to, e.args.value])).toEqual([['0x' + '0'.repeat(40), bob.address.toLowerCase(), '1']]);
  expect((await store.auditTrail({ subjectType: 'store' })).map((a) => a.action)).toContain('registration-backfill');

  // A START_BLOCK the node has not reached: idle, said plainly, nothing written (not a "reorg").
  const ahead = await openMonitorStore({ databasePath: join(dir, 'ahead.sqlite') });
  stores.push(ahead);
  const said: string[] = [];
  const waiting = new Indexer({ store: ahead, chain: new JsonRpcChain(node.url), contracts, confirmations: 1, startBlock: startBlock + 1000, log: (_l, m) => said.push(m) });
  expect((await waiting.syncOnce()).kind).toBe('idle');
  expect((await waiting.syncOnce()).kind).toBe('idle');
  expect(said).toHaveLength(1);
  expect(said[0]).toMatch(/START_BLOCK \d+ is above the node's final head \d+: waiting/);
  expect(await ahead.cursor(31337)).toBeNull();
}, 60_000);

it("the agent's provider asks the node for every nonce: two quick sends through the send queue both land", async () => {
  // Hardhat's first account: the deployment's agent (the signer the tests above use through the node).
  const key = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
  const provider = agentProvider(node.url);
  try {
    const signer = new Wallet(key, provider);
    expect(signer.address).toBe(agent.address);
    const token = zk.tokens.BOND.token.connect(signer);
    const lock = new AgentSendLock();
    const before = await token.balanceOf(bob.address);
    const sends = [lock.run(() => token.mint(bob.address, 1n)), lock.run(() => token.mint(bob.address, 2n))];
    const receipts = await Promise.all(sends.map(async (s) => (await s).wait()));
    expect(receipts.map((r) => r!.status)).toEqual([1, 1]);
    expect(await token.balanceOf(bob.address)).toBe(before + 3n);
  } finally {
    provider.destroy();
  }
});
