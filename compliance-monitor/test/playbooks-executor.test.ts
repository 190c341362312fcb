/**
 * The action executor against a real chain (the in-process Hardhat, a full zkkyc deployment, one
 * investor with two wallets registered with real proofs and minted tokens): partial freezes spread
 * over the investor's wallets and clamped to the unfrozen balance, wallet freezes, revocations in
 * the gate, the not-configured hold control, and idempotence — a replay sends nothing, and a crash
 * after a transaction went out does not freeze twice.
 */
import hre from 'hardhat';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import type { Interface } from 'ethers';
import type { ComplianceGate, PermissionedToken } from '@zkkyc/contracts/typechain';
import { World, closeProver, revertTo, snapshot } from '../../contracts/test/fixture.js';
import { plan, type PlannedAction } from '../src/playbooks/plan.js';
import { ActionExecutor, MemoryActionLog, UnconfiguredHoldControl, type ActionRecord } from '../src/playbooks/executor.js';
import { AgentSendLock } from '../src/playbooks/agent-send-lock.js';
import { RiskScores } from '../src/rules/scoring.js';
import type { Playbook } from '../src/rules/rule-file.js';
import type { RuleHit } from '../src/model.js';

let world: World;
let token: PermissionedToken;
let gate: ComplianceGate;
let a1: HardhatEthersSigner;
let a2: HardhatEthersSigner;
let tokenAddress: string;
let investor: bigint;
let base: string;

beforeAll(async () => {
  world = await World.create({ tokens: [{ name: 'Bond', symbol: 'BOND', decimals: 0, policyId: 1n }] });
  token = world.contracts.tokens.BOND.token;
  gate = world.gate;
  tokenAddress = (await token.getAddress()).toLowerCase();
  [a1, a2] = world.users;
  const alice = world.issue();
  await world.publish();
  await world.register(alice, a1);
  await world.register(alice, a2);
  investor = await gate.investorOf(1n, a1.address);
  await (await token.batchMint([a1.address, a2.address], [1000n, 500n])).wait();
  await (await token.freezePartialTokens(a1.address, 100n)).wait(); // a1: 900 unfrozen
  base = await snapshot();
});

afterEach(async () => {
  await revertTo(base);
  base = await snapshot();
});

afterAll(closeProver);

function executor(log = new MemoryActionLog(), hold = new UnconfiguredHoldControl()) {
  const cases: string[] = [];
  const ex = new ActionExecutor({
    token: tokenAddress,
    gate: world.deployment.contracts.complianceGate,
    policyId: 1n,
    runner: world.admin,
    hold,
    log,
    cases: { open: async (a) => (cases.push(a.key), `case-${cases.length}`) },
  });
  return { ex, cases, hold, log };
}

/** A structuring hit on alice's two wallets about 1200 base units. */
function hit(): RuleHit {
  const wallets = [a1.address, a2.address].map((w) => w.toLowerCase()).sort();
  return {
    ruleId: 'smurf',
    rulesVersion: 'v1',
    token: tokenAddress,
    subject: { investorTag: `0x${investor.toString(16).padStart(48, '0')}`, wallets },
    severity: 'high',
    score: 50,
    summary: 'three transfers just under 1000',
    evidence: { events: [{ txHash: `0x${'ab'.repeat(32)}`, logIndex: 3, blockNumber: 7 }], amounts: ['400', '400', '400'], times: [1, 2, 3], details: { total: '1200' } },
    at: 3,
  };
}

function actionsFor(playbooks: Playbook[]): PlannedAction[] {
  return plan([hit()], playbooks, new RiskScores(30));
}

/** The named events the transactions logged, as [name, ...args] with addresses lower-cased. */
async function logged(hashes: string[]): Promise<unknown[][]> {
  const out: unknown[][] = [];
  const contracts: Array<[string, Interface]> = [
    [tokenAddress, token.interface],
    [world.deployment.contracts.complianceGate.toLowerCase(), gate.interface],
  ];
  for (const hash of hashes) {
    const receipt = await hre.ethers.provider.getTransactionReceipt(hash);
    for (const log of receipt!.logs) {
      const iface = contracts.find(([address]) => address === log.address.toLowerCase())?.[1];
      const parsed = iface?.parseLog(log);
      if (parsed) out.push([parsed.name, ...[...parsed.args].map((v) => (typeof v === 'string' ? v.toLowerCase() : v))]);
    }
  }
  return out;
}

async function frozenOf(wallet: HardhatEthersSigner): Promise<bigint> {
  return token.getFrozenTokens(wallet.address);
}

describe('ActionExecutor on chain', () => {
  it('freezes the evidence amount across the investor’s wallets, clamps to the unfrozen balance, and does nothing twice', async () => {
    const actions = actionsFor([{ when: { rule: 'smurf' }, actions: [{ kind: 'open-case' }, { kind: 'freeze-partial', amount: 'evidence' }, { kind: 'hold-transfers' }] }]);
    const { ex, cases, hold, log } = executor();
    const results = await ex.execute(actions);
    expect(results.map((r) => [r.kind, r.status, r.skipped])).toEqual([
      ['open-case', 'done', false],
      ['freeze-partial', 'done', false],
      ['hold-transfers', 'not-configured', false],
      ['hold-transfers', 'not-configured', false],
    ]);
    expect(results[0].caseId).toBe('case-1');
    expect(cases).toEqual([actions[0].key]);
    // a1 had 900 unfrozen (of 1000), a2 500: 900 + 300 = 1200.
    expect(results[1].frozen).toEqual({ asked: '1200', frozen: '1200', clamped: false });
    expect(await logged(results[1].txHashes)).toEqual(
      // ERC-3643's delta, then ERC-7943's new total (a1 had 100 frozen already).
      actions[1].wallets.flatMap((w) => {
        const a1Wallet = w === a1.address.toLowerCase();
        return [
          ['TokensFrozen', w, a1Wallet ? 900n : 300n],
          ['Frozen', w, a1Wallet ? 1000n : 300n],
        ];
      }),
    );
    expect([await frozenOf(a1), await frozenOf(a2)]).toEqual([1000n, 300n]);
    expect(results[2].note).toMatch(/^not configured/);
    expect(hold.requested).toEqual(actions[1].wallets);

    // Replayed (the same plan after a crash): every key is known, nothing is sent.
    const block = await hre.ethers.provider.getBlockNumber();
    const again = await executor(log, hold).ex.execute(
      actionsFor([{ when: { rule: 'smurf' }, actions: [{ kind: 'open-case' }, { kind: 'freeze-partial', amount: 'evidence' }, { kind: 'hold-transfers' }] }]),
    );
    expect(again.map((r) => [r.status, r.skipped])).toEqual([
      ['done', true],
      ['done', true],
      ['not-configured', true],
      ['not-configured', true],
    ]);
    expect(await hre.ethers.provider.getBlockNumber()).toBe(block);
    expect(hold.requested).toHaveLength(2);

    // More than is left unfrozen: clamped to a2's remaining 200, and said so.
    const [clamp] = await executor().ex.execute(actionsFor([{ when: { rule: 'smurf' }, actions: [{ kind: 'freeze-partial', amount: 5000n }] }]));
    expect(clamp.frozen).toEqual({ asked: '5000', frozen: '200', clamped: true });
    expect(clamp.note).toMatch(/^clamped: asked to freeze 5000, only 200 was unfrozen/);
    expect(await logged(clamp.txHashes)).toEqual([
      ['TokensFrozen', a2.address.toLowerCase(), 200n],
      ['Frozen', a2.address.toLowerCase(), 500n],
    ]);
    expect(await frozenOf(a2)).toBe(500n);
  });

  it('after a crash between sending and recording the hash, freezes nothing more: the target was recorded before sending', async () => {
    const actions = actionsFor([{ when: { rule: 'smurf' }, actions: [{ kind: 'freeze-partial', amount: 'evidence' }] }]);
    // The store fails on the first write after a transaction went out (the write that records its hash).
    class FailingLog extends MemoryActionLog {
      dead = false;
      override async put(record: ActionRecord): Promise<void> {
        if (this.dead || record.txs.length > 0) {
          this.dead = true;
          throw new Error('store unavailable');
        }
        await super.put(record);
      }
    }
    const failing = new FailingLog();
    await executor(failing)
      .ex.execute(actions)
      .catch(() => undefined);
    expect([await frozenOf(a1), await frozenOf(a2)]).toEqual([1000n, 0n]); // a1's 900 went out, its hash was never recorded
    const survivor = new MemoryActionLog();
    for (const record of failing.records.values()) await survivor.put(record);

    const [result] = await executor(survivor).ex.execute(actions);
    expect(result.frozen).toEqual({ asked: '1200', frozen: '1200', clamped: false });
    expect([await frozenOf(a1), await frozenOf(a2)]).toEqual([1000n, 300n]);
    expect(await logged(result.txHashes)).toEqual([
      ['TokensFrozen', a2.address.toLowerCase(), 300n],
      ['Frozen', a2.address.toLowerCase(), 300n],
    ]);
  });

  it('after a crash between recording the target and sending, sends what was not sent, once', async () => {
    const actions = actionsFor([{ when: { rule: 'smurf' }, actions: [{ kind: 'freeze-partial', amount: 'evidence' }] }]);
    // The process "dies" right after the first write (the target of a1's freeze, before it is sent).
    class DyingLog extends MemoryActionLog {
      dead = false;
      override async put(record: ActionRecord): Promise<void> {
        if (this.dead) throw new Error('process killed');
        await super.put(record);
        this.dead = true;
        throw new Error('process killed');
      }
    }
    const dying = new DyingLog();
    await executor(dying)
      .ex.execute(actions)
      .catch(() => undefined);
    expect([await frozenOf(a1), await frozenOf(a2)]).toEqual([100n, 0n]);
    const survivor = new MemoryActionLog();
    for (const record of dying.records.values()) await survivor.put(record);
    expect([...survivor.records.values()].map((r) => [r.status, r.txs.length, r.targets])).toEqual([
      ['sent', 0, [expect.objectContaining({ wallet: a1.address.toLowerCase(), before: '100', target: '1000' })]],
    ]);

    const [result] = await executor(survivor).ex.execute(actions);
    expect(result.frozen).toEqual({ asked: '1200', frozen: '1200', clamped: false });
    expect(result.txHashes).toHaveLength(2);
    expect([await frozenOf(a1), await frozenOf(a2)]).toEqual([1000n, 300n]);
    // And once more: everything is at its target, nothing is sent.
    survivor.records.get(actions[0].key)!.status = 'sent';
    const block = await hre.ethers.provider.getBlockNumber();
    const [again] = await executor(survivor).ex.execute(actions);
    expect([again.status, again.frozen]).toEqual(['done', { asked: '1200', frozen: '1200', clamped: false }]);
    expect(await hre.ethers.provider.getBlockNumber()).toBe(block);
  });

  it('shares the agent key with another sender: a send queued while the executor records its freeze does not take its nonce', async () => {
    const actions = actionsFor([{ when: { rule: 'smurf' }, actions: [{ kind: 'freeze-partial', amount: 'evidence' }] }]);
    // The store is slow to record the freeze's target (nonce picked, not yet sent); meanwhile the
    // console approves something with the same key (a mint stands in for it).
    let recording!: () => void;
    const recordingStarted = new Promise<void>((resolve) => (recording = resolve));
    class SlowLog extends MemoryActionLog {
      override async put(record: ActionRecord): Promise<void> {
        if (record.txs.length === 0 && record.targets?.length) {
          recording();
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        await super.put(record);
      }
    }
    const sendLock = new AgentSendLock();
    const ex = new ActionExecutor({ token: tokenAddress, gate: world.deployment.contracts.complianceGate, policyId: 1n, runner: world.admin, log: new SlowLog(), sendLock });
    const running = ex.execute(actions);
    await recordingStarted;
    const other = sendLock.run(() => token.connect(world.admin).mint(a2.address, 7n));
    const [[result], minted] = await Promise.all([running, other.then((tx) => tx.wait())]);
    expect(result.status).toBe('done');
    expect(result.frozen).toEqual({ asked: '1200', frozen: '1200', clamped: false });
    expect(minted!.status).toBe(1);
    expect([await frozenOf(a1), await frozenOf(a2), await token.balanceOf(a2.address)]).toEqual([1000n, 300n, 507n]);
  });

  it('does not wait forever for a transaction that is not mined: pending-confirmation, then done once it is, without sending again', async () => {
    const actions = actionsFor([{ when: { rule: 'smurf' }, actions: [{ kind: 'freeze-partial', amount: 'evidence' }, { kind: 'freeze-wallet' }] }]);
    const log = new MemoryActionLog();
    const ex = new ActionExecutor({ token: tokenAddress, gate: world.deployment.contracts.complianceGate, policyId: 1n, runner: world.admin, log, confirmationTimeoutMs: 300 });
    await hre.network.provider.send('evm_setAutomine', [false]);
    let first;
    try {
      first = await ex.execute(actions.slice(0, 2));
    } finally {
      await hre.network.provider.send('evm_setAutomine', [true]);
    }
    expect(first.map((r) => r.status)).toEqual(['pending-confirmation', 'pending-confirmation']);
    expect(first[0].note).toMatch(/not confirmed within 0.3 s/);
    expect([await frozenOf(a1), await frozenOf(a2)]).toEqual([100n, 0n]);
    await hre.network.provider.send('evm_mine', []);
    expect(await frozenOf(a1)).toBe(1000n);
    const again = await ex.execute(actions.slice(0, 2));
    // a1's 900 counted (its target was reached), the 300 left went to a2; a1's wallet freeze was not sent again.
    expect(again.map((r) => [r.status, r.txHashes.length])).toEqual([
      ['done', 2],
      ['done', 1],
    ]);
    expect(again[0].frozen).toEqual({ asked: '1200', frozen: '1200', clamped: false });
    expect([await frozenOf(a1), await frozenOf(a2)]).toEqual([1000n, 300n]);
    expect(again[1].txHashes).toEqual(first[1].txHashes);
  });

  it('freezes wallets and revokes their registrations in the gate, skipping what is already done on chain', async () => {
    const actions = actionsFor([{ when: { rule: 'smurf' }, actions: [{ kind: 'freeze-wallet' }, { kind: 'revoke-registration', reason: 'compliance monitor: structuring' }] }]);
    await (await token.setAddressFrozen(a2.address, true)).wait(); // a2 frozen by hand already
    const results = await executor().ex.execute(actions);
    expect(results.map((r) => [r.kind, r.status])).toEqual(actions.map((a) => [a.kind, 'done']));
    const freezeA1 = results.find((r) => r.key === actions.find((a) => a.kind === 'freeze-wallet' && a.wallets[0] === a1.address.toLowerCase())!.key)!;
    const freezeA2 = results.find((r) => r.key === actions.find((a) => a.kind === 'freeze-wallet' && a.wallets[0] === a2.address.toLowerCase())!.key)!;
    expect(await logged(freezeA1.txHashes)).toEqual([['AddressFrozen', a1.address.toLowerCase(), true, world.admin.address.toLowerCase()]]);
    expect(freezeA2.txHashes).toEqual([]);
    expect(freezeA2.note).toBe(`${a2.address.toLowerCase()} already frozen`);
    const revokes = results.filter((r) => r.kind === 'revoke-registration');
    expect(await logged(revokes.flatMap((r) => r.txHashes))).toEqual(
      actions.filter((a) => a.kind === 'revoke-registration').map((a) => ['WalletRevoked', 1n, a.wallets[0], investor, 'compliance monitor: structuring']),
    );
    expect(await token.isVerified(a1.address)).toBe(false);
    expect(await token.isVerified(a2.address)).toBe(false);

    // A fresh log (e.g. the key was planned by another rule file version): nothing left to do on chain.
    const block = await hre.ethers.provider.getBlockNumber();
    const again = await executor().ex.execute(actions);
    expect(again.map((r) => [r.status, r.txHashes.length])).toEqual(actions.map(() => ['done', 0]));
    expect(again.filter((r) => r.kind === 'revoke-registration').map((r) => r.note)).toEqual(
      actions.filter((a) => a.kind === 'revoke-registration').map((a) => `${a.wallets[0]} has no registration under policy 1`),
    );
    expect(await hre.ethers.provider.getBlockNumber()).toBe(block);
  });

  it('reports a refused transaction as failed with the decoded error and goes on', async () => {
    const stranger = world.users[5];
    const log = new MemoryActionLog();
    const bad = new ActionExecutor({ token: tokenAddress, gate: world.deployment.contracts.complianceGate, policyId: 1n, runner: stranger, log });
    const actions = actionsFor([{ when: { rule: 'smurf' }, actions: [{ kind: 'freeze-partial', amount: 1n }, { kind: 'open-case' }] }]);
    const results = await bad.execute(actions);
    expect(results.map((r) => r.status)).toEqual(['failed', 'not-configured']);
    expect(results[0].note).toMatch(/^reverted: AccessControlUnauthorizedAccount/);
    // A failed key is tried again (here by the agent): it was not done.
    const [retried] = await executor(log).ex.execute(actions.slice(0, 1));
    expect([retried.status, retried.skipped, retried.frozen]).toEqual(['done', false, { asked: '1', frozen: '1', clamped: false }]);
  });
});
