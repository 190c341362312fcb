import { afterEach, describe, expect, it } from '@jest/globals';
import { InstanceLockError } from '../src/store/instance-lock.js';
import { decayedScore, investorTagOf, type MonitorStore } from '../src/store/monitor-store.js';
import { openMonitorStore } from '../src/store/open-store.js';
import { BACKENDS } from './support/backends.js';
import { GATE, TOKEN, block, cursorAt, event } from './support/events.js';

/**
 * The store on SQLite and on PostgreSQL, same tests: a batch is written once and atomically with its
 * cursor; the wallet→investor map follows registrations and a rewind; risk scores decay on read;
 * cases keep their hits, notes, status history and audit trail; one instance per database.
 */
const ALICE = '0x' + 'a'.repeat(40);
const ALICE2 = '0x' + 'c'.repeat(40);
const BOB = '0x' + 'b'.repeat(40);
// A nullifier whose bits above 192 are set: the tag keeps the low 192 only (the gate's TAG_MASK).
const NULLIFIER = ((5n << 200n) | 0x1234n).toString();
const TAG = '0x' + '1234'.padStart(48, '0');

describe.each(BACKENDS)('store on $name', (backend) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  async function open(): Promise<{ store: MonitorStore; config: Parameters<typeof openMonitorStore>[0] }> {
    const db = await backend.fresh();
    const store = await openMonitorStore({ ...db.config, riskHalfLifeDays: 10 });
    cleanups.push(db.drop, () => store.close());
    return { store, config: db.config };
  }

  it('writes a batch once, with its cursor, or not at all', async () => {
    const { store } = await open();
    const batch = [event(3, 'AddressFrozen', { account: ALICE, frozen: 'true', agent: BOB }), event(4, 'Transfer', { from: ALICE, to: BOB, value: '10' })];
    await store.transaction((tx) => tx.writeBatch(31337, batch, [block(3), block(4), block(5)], cursorAt(5)));
    // The same events again (a bug, or a replay) change nothing.
    expect(await store.transaction((tx) => tx.writeBatch(31337, batch, [block(5)], cursorAt(5)))).toBe(0);
    expect(await store.eventCount()).toBe(2);
    expect(await store.cursor(31337)).toEqual(cursorAt(5));
    expect((await store.events({ wallet: BOB })).map((e) => e.name)).toEqual(['AddressFrozen', 'Transfer']);
    expect((await store.events({ wallet: ALICE, newestFirst: true, limit: 1 })).map((e) => e.name)).toEqual(['Transfer']);
    expect(await store.events({ address: TOKEN, names: ['Transfer'] })).toEqual([batch[1]]);

    // A consumer that throws inside the batch takes the whole batch back with it.
    const next = [event(6, 'Paused', { agent: BOB })];
    await expect(
      store.transaction(async (tx) => {
        await tx.writeBatch(31337, next, [block(6)], cursorAt(6));
        await tx.insertRuleHit(hit(ALICE, 6), 31337, 6);
        await tx.saveState('rules', { windows: ['after'] }, 6);
        throw new Error('rule engine failed');
      }),
    ).rejects.toThrow('rule engine failed');
    expect(await store.eventCount()).toBe(2);
    expect(await store.cursor(31337)).toEqual(cursorAt(5));
    expect(await store.ruleHits()).toEqual([]);
    expect(await store.loadState('rules')).toBeNull();
    await store.transaction((tx) => tx.saveState('rules', { windows: ['before'] }, 5));
    expect(await store.loadState('rules')).toEqual({ value: { windows: ['before'] }, blockNumber: 5 });
  });

  it('maps wallets to investor tags and recomputes the map on a rewind', async () => {
    const { store } = await open();
    const verify = (n: number, wallet: string) => event(n, 'WalletVerified', { policyId: '1', wallet, nullifier: NULLIFIER, verifiedUntil: '9', issuerId: '1', root: '7' }, 'gate');
    await store.transaction((tx) => tx.writeBatch(31337, [verify(2, ALICE), verify(3, ALICE2)], [block(2), block(3), block(10)], cursorAt(10)));
    await store.transaction((tx) =>
      tx.writeBatch(31337, [event(12, 'WalletRevoked', { policyId: '1', wallet: ALICE, investor: BigInt(TAG).toString(), reason: 'lost' }, 'gate')], [block(12), block(14)], cursorAt(14)),
    );
    expect(investorTagOf(NULLIFIER)).toBe(TAG);
    expect(await store.investorOf(ALICE, '1')).toEqual({ wallet: ALICE, investorTag: TAG });
    expect(await store.investorOf(BOB)).toEqual({ wallet: BOB, investorTag: null });
    expect((await store.walletsOf(TAG)).map((w) => [w.wallet, w.status])).toEqual([
      [ALICE2, 'verified'],
      [ALICE, 'revoked'],
    ]);
    expect((await store.events({ address: GATE })).length).toBe(3);

    const removed = await store.transaction((tx) => tx.rewindTo(31337, cursorAt(10)));
    expect(removed).toEqual({ events: 1, hits: 0, withdrawn: [] });
    expect((await store.walletsOf(TAG)).map((w) => [w.wallet, w.status])).toEqual([
      [ALICE, 'verified'],
      [ALICE2, 'verified'],
    ]);
    expect(await store.cursor(31337)).toEqual(cursorAt(10));
    expect((await store.indexedBlocks(31337, 100)).map((b) => b.number)).toEqual([10, 3, 2]);
  });

  it('decays risk scores on read, from the raw score stored', async () => {
    const { store } = await open();
    const t0 = 1_700_000_000;
    const tenDays = 10 * 86_400;
    expect(await store.addRiskScore(TAG, 10, t0)).toBe(10);
    expect((await store.riskScore(TAG, t0 + tenDays))?.score).toBeCloseTo(5, 9);
    expect((await store.riskScore(TAG, t0 + 2 * tenDays))?.score).toBeCloseTo(2.5, 9);
    // An addition decays what was there to its own time first.
    expect(await store.addRiskScore(TAG, 4, t0 + tenDays)).toBeCloseTo(9, 9);
    expect(await store.riskScore(TAG, t0 + tenDays)).toMatchObject({ raw: 9, updatedAt: t0 + tenDays, halfLifeDays: 10 });
    expect(await store.riskScore(BOB, t0)).toBeNull();
    expect(decayedScore(8, 0, 3 * 86_400, 1)).toBe(1);
  });

  it('keeps a case with its hits, notes, status history and audit trail', async () => {
    const { store } = await open();
    const [h1, h2] = await store.transaction(async (tx) => [await tx.insertRuleHit(hit(ALICE, 3), 31337, 3), await tx.insertRuleHit({ ...hit(ALICE, 4), ruleId: 'velocity', score: 5 }, 31337, 4)]);
    const caseId = await store.openCase({ token: TOKEN, subject: { investorTag: TAG, wallets: [ALICE] }, at: 1_700_000_100, actor: 'playbook', hitIds: [h1], reason: 'structuring' });
    expect(await store.openCaseFor({ investorTag: TAG, wallets: [] })).toBe(caseId);
    await store.addHitToCase(caseId, h2, 'playbook');
    await store.addHitToCase(caseId, h2, 'playbook');
    await store.appendCaseLog(caseId, 'note', 'olga', 'called the transfer agent');
    expect(await store.setCaseStatus(caseId, 'closed', 'olga', 'explained: payroll')).toBe(true);
    expect(await store.setCaseStatus('case_nope', 'closed', 'olga', 'x')).toBe(false);

    const kase = await store.getCase(caseId);
    expect(kase).toMatchObject({ id: caseId, status: 'closed', rules: ['structuring', 'velocity'], score: 15, subject: { investorTag: TAG, wallets: [ALICE] } });
    expect(kase!.hits.map((h) => h.id)).toEqual([h1, h2]);
    expect(kase!.hits[0].evidence.amounts).toEqual(['999']);
    expect(kase!.log.map((l) => [l.kind, l.actor])).toEqual([
      ['opened', 'playbook'],
      ['hit', 'playbook'],
      ['hit', 'playbook'],
      ['note', 'olga'],
      ['status', 'olga'],
    ]);
    expect(await store.listCases({ status: 'open' })).toEqual([]);
    expect((await store.listCases({ investorTag: TAG })).map((c) => c.id)).toEqual([caseId]);
    expect(await store.openCaseFor({ investorTag: TAG, wallets: [] })).toBeNull();
    expect((await store.auditTrail({ subjectType: 'case', subjectId: caseId })).map((a) => [a.actor, a.action])).toEqual([
      ['playbook', 'case-opened'],
      ['olga', 'case-status'],
    ]);
  });

  it('purges old events, unheld hits and closed cases, keeping open cases and what they hold', async () => {
    const { store } = await open();
    const old = event(1, 'Transfer', { from: ALICE, to: BOB, value: '1' });
    const recent = event(1000, 'Transfer', { from: ALICE, to: BOB, value: '2' });
    await store.transaction((tx) => tx.writeBatch(31337, [old, recent], [block(1), block(1000)], cursorAt(1000)));
    const [unheld, held, closedHit] = await store.transaction(async (tx) => [
      await tx.insertRuleHit(hit(ALICE, 1), 31337, 1),
      await tx.insertRuleHit(hit(ALICE, 1), 31337, 1),
      await tx.insertRuleHit(hit(BOB, 1), 31337, 1),
    ]);
    const openCase = await store.openCase({ token: TOKEN, subject: { investorTag: TAG, wallets: [ALICE] }, at: 1, actor: 'playbook', hitIds: [held] });
    const closedCase = await store.openCase({ token: TOKEN, subject: { investorTag: null, wallets: [BOB] }, at: 1, actor: 'playbook', hitIds: [closedHit] });
    await store.setCaseStatus(closedCase, 'closed', 'olga', 'done');
    // Cut between the two events; the closed case was touched just now, so it is kept at first.
    const cutoff = old.blockTime + 1;
    expect(await store.purgeBefore(cutoff)).toEqual({ events: 1, hits: 1, cases: 0 });
    expect(await store.events({ wallet: ALICE })).toEqual([recent]);
    expect((await store.ruleHits()).map((h) => h.id).sort()).toEqual([held, closedHit].sort());
    expect(await store.purgeBefore(Math.floor(Date.now() / 1000) + 10)).toEqual({ events: 1, hits: 1, cases: 1 });
    expect(await store.getCase(closedCase)).toBeNull();
    expect((await store.getCase(openCase))?.hits.map((h) => h.id)).toEqual([held]);
    expect(unheld).toBeDefined();
    expect((await store.auditTrail({ subjectType: 'store' })).map((a) => a.action)).toEqual(['retention-purge', 'retention-purge']);
    // Block hashes are pruned separately (the indexer keeps a window behind its cursor).
    expect(await store.pruneBlocks(31337, 1000)).toBe(1);
    expect((await store.indexedBlocks(31337, 5000)).map((b) => b.number)).toEqual([1000]);
  });

  it("keeps a case's attached disclosures, once per issuer disclosure, and purges them with the case", async () => {
    const { store } = await open();
    const escrow = event(7, 'EscrowCiphertext', { policyId: '1', wallet: ALICE, nullifier: NULLIFIER, escrowX: '1', escrowC: '2' }, 'gate', 3);
    await store.transaction((tx) => tx.writeBatch(31337, [escrow], [block(7)], cursorAt(7)));
    expect(await store.eventAt(31337, escrow.txHash.toUpperCase().replace('0X', '0x'), 3)).toEqual(escrow);
    expect(await store.eventAt(31337, escrow.txHash, 2)).toBeNull();
    expect(await store.eventAt(1, escrow.txHash, 3)).toBeNull();
    const caseId = await store.openCase({ token: TOKEN, subject: { investorTag: TAG, wallets: [ALICE] }, at: 1, actor: 'playbook' });
    const input = {
      caseId,
      chainId: 31337,
      policyId: '1',
      registrationTx: escrow.txHash,
      registrationLogIndex: 3,
      wallet: ALICE.toUpperCase().replace('0X', '0x'),
      issuerDisclosureId: 'd-1',
      requestId: '4',
      record: { person: { familyName: 'Mustermann' }, attributes: {}, credential: { id: 'c-1' } },
      attachedBy: 'olga',
    };
    const first = await store.attachDisclosure(input, 1_700_000_000);
    expect(first.created).toBe(true);
    expect(await store.attachDisclosure(input, 1_700_000_500)).toEqual({ id: first.id, created: false });
    const second = await store.attachDisclosure({ ...input, issuerDisclosureId: 'd-2', record: { person: null, attributes: {}, credential: { id: 'c-1' } } }, 1_700_000_900);
    const attached = await store.caseDisclosures(caseId);
    expect(attached.map((d) => [d.id, d.issuerDisclosureId, d.attachedAt])).toEqual([
      [second.id, 'd-2', 1_700_000_900],
      [first.id, 'd-1', 1_700_000_000],
    ]);
    expect(attached[1]).toEqual({ ...input, id: first.id, wallet: ALICE, attachedAt: 1_700_000_000 });
    expect((await store.getCase(caseId))!.log.filter((l) => l.text.includes('escrow disclosure'))).toHaveLength(2);
    await store.setCaseStatus(caseId, 'closed', 'olga', 'reported');
    await store.transaction((tx) => tx.purgeBefore(Math.floor(Date.now() / 1000) + 10));
    expect(await store.caseDisclosures(caseId)).toEqual([]);
  });

  it('keeps state checkpoints per block: the newest at or below a block, dropped above a rewind, below a purge and below the kept block hashes', async () => {
    const { store } = await open();
    for (const n of [3, 5, 8]) {
      await store.transaction(async (tx) => {
        await tx.writeBatch(31337, [event(n, 'Transfer', { from: ALICE, to: BOB, value: String(n) })], [block(n)], cursorAt(n));
        await tx.saveCheckpoint('rules:t', n, { at: n });
        await tx.saveState(`action:k${n}`, { n }, n);
      });
    }
    expect(await store.loadCheckpoint('rules:t', 7)).toEqual({ value: { at: 5 }, blockNumber: 5 });
    expect(await store.loadCheckpoint('rules:t', 2)).toBeNull();
    expect((await store.statesAbove('action:', 4)).map((r) => [r.key, r.blockNumber])).toEqual([
      ['action:k5', 5],
      ['action:k8', 8],
    ]);
    // A rewind to 6 drops the checkpoint at 8.
    await store.transaction((tx) => tx.rewindTo(31337, cursorAt(6)));
    expect(await store.loadCheckpoint('rules:t', 100)).toEqual({ value: { at: 5 }, blockNumber: 5 });
    // Forgetting block hashes below 5 keeps the newest checkpoint below it (3) and those above.
    await store.transaction((tx) => tx.pruneBlocks(31337, 5));
    expect(await store.loadCheckpoint('rules:t', 4)).toEqual({ value: { at: 3 }, blockNumber: 3 });
    // Purging the event of block 5 drops the checkpoints below block 5: rebuilding from 3 would need it.
    await store.transaction((tx) => tx.purgeBefore(block(5).time + 1));
    expect(await store.loadCheckpoint('rules:t', 4)).toBeNull();
    expect(await store.loadCheckpoint('rules:t', 5)).toEqual({ value: { at: 5 }, blockNumber: 5 });
  });

  it('lets one instance use a database at a time, and migrates once', async () => {
    const { store, config } = await open();
    await expect(openMonitorStore(config)).rejects.toThrow(InstanceLockError);
    await store.transaction((tx) => tx.writeBatch(31337, [], [block(1)], cursorAt(1)));
    await store.close();
    const again = await openMonitorStore(config);
    cleanups.push(() => again.close());
    expect(await again.cursor(31337)).toEqual(cursorAt(1));
  });
});

function hit(wallet: string, blockNumber: number) {
  return {
    ruleId: 'structuring',
    rulesVersion: '2026-12-01',
    token: TOKEN,
    subject: { investorTag: TAG, wallets: [wallet] },
    severity: 'high' as const,
    score: 10,
    summary: 'three transfers just under 1000 within an hour',
    evidence: { events: [{ txHash: '0x01', logIndex: 0, blockNumber }], amounts: ['999'], times: [1_700_000_000], details: { threshold: '1000' } },
    at: 1_700_000_000 + blockNumber,
  };
}
