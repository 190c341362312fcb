/**
 * The batcher's decisions that a real gate does not make on demand, against a stand-in node: a
 * batch refused as a whole with InvalidBatchProof (the relayer's off-chain check and the gate
 * disagree) is split, the entry whose proof fails alone is refused and the rest sent, and it is
 * logged; a batch held back (fee above the cap) stays queued and is not retried in a loop; after a
 * revert only the entry that fails alone is blamed (none found: all are charged); a consent too close
 * to its deadline is not batched.
 */
import { afterEach, expect, test } from '@jest/globals';
import { Wallet } from 'ethers';
import { DEFAULT_LIMITS } from '../src/config.js';
import { BATCH_GATE } from '../src/services/batch-gate.js';
import { Batcher, type BatchHost } from '../src/services/batcher.js';
import { SerialLock } from '../src/services/serial-lock.js';
import type { NewRegistrationRequest, StoredBatchEntry } from '../src/store/journal.js';
import { SqliteJournal } from '../src/store/sqlite-journal.js';

const GATE = '0x' + 'ab'.repeat(20);
const signer = new Wallet(Wallet.createRandom().privateKey);
const batchers: Batcher[] = [];
afterEach(() => batchers.forEach((b) => b.stop()));

function request(n: number): NewRegistrationRequest {
  const wallet = '0x' + n.toString(16).padStart(40, '0');
  const entry: StoredBatchEntry = {
    policyId: '1',
    pA: [String(n), '2'],
    pB: [
      ['3', '4'],
      ['5', '6'],
    ],
    pC: ['7', '8'],
    pubSignals: ['9', '10', '11', BigInt(wallet).toString()],
    deadline: '4000000000',
    signature: '0x' + '11'.repeat(65),
  };
  return {
    id: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    digest: '0x' + n.toString(16).padStart(64, '0'),
    wallet,
    consentNonce: 0n,
    policyId: 1n,
    investorTag: '0x0' + n,
    deadline: 4_000_000_000n,
    entry,
    createdAt: n,
  };
}

/** Which entries (by their pA[0]) a verifyBatch call carries. */
function entriesOf(data: string): number[] {
  const [entries] = BATCH_GATE.decodeFunctionData('verifyBatch', data);
  return (entries as { pA: bigint[] }[]).map((e) => Number(e.pA[0]));
}

const revert = (data: string) => Object.assign(new Error('execution reverted'), { code: 'CALL_EXCEPTION', data });

function standIn(options: { badProof?: number; maxFeePerGas?: bigint }) {
  const seen = { estimates: [] as number[][], feeReads: 0, broadcasts: [] as string[] };
  const check = (tx: { data: string }) => {
    const ns = entriesOf(tx.data);
    if (options.badProof !== undefined && ns.includes(options.badProof)) throw revert(BATCH_GATE.encodeErrorResult('InvalidBatchProof', ['0x' + '77'.repeat(32)]));
    return ns;
  };
  const provider = {
    async getFeeData() {
      seen.feeReads++;
      return { maxFeePerGas: options.maxFeePerGas ?? 10n, maxPriorityFeePerGas: 1n, gasPrice: null };
    },
    async estimateGas(tx: { data: string }) {
      seen.estimates.push(entriesOf(tx.data));
      return 100_000n * BigInt(check(tx).length);
    },
    async call(tx: { data: string }) {
      check(tx);
      return '0x';
    },
    async getTransactionCount() {
      return 0;
    },
    async broadcastTransaction(raw: string) {
      seen.broadcasts.push(raw);
      return {};
    },
    async getTransaction() {
      return null;
    },
  };
  return { provider, seen };
}

function batcherWith(journal: SqliteJournal, provider: object, lines: string[], maxWaitMs = 600_000): Batcher {
  const host: BatchHost = {
    lock: new SerialLock(),
    follow: async (entry) => entry,
    chainTimeNow: async () => 1_000n,
    consentOnChain: async () => ({ state: 'unused' }),
    entryRefusal: (name, message) => ({ httpStatus: 422, code: 'registration_refused', message, rule: name }),
  };
  const batcher = new Batcher({
    host,
    journal,
    provider: provider as never,
    signer,
    gateAddress: GATE,
    chainId: 31337n,
    limits: DEFAULT_LIMITS,
    settings: { maxSize: 16, maxWaitMs },
    now: () => 10,
    log: (l) => lines.push(l),
  });
  batchers.push(batcher);
  return batcher;
}

test('InvalidBatchProof: each entry is simulated alone, the one the gate refuses alone is refused, the others go out in one batch; it is logged', async () => {
  const journal = new SqliteJournal(':memory:');
  const ids = [1, 2, 3].map((n) => journal.enqueue(request(n)).id);
  const { provider, seen } = standIn({ badProof: 2 });
  const lines: string[] = [];
  await batcherWith(journal, provider, lines).flush();

  expect(journal.findRequest(ids[1])).toMatchObject({ status: 'refused', refusal: { code: 'invalid_proof', rule: 'invalid-proof', field: 'proof' } });
  expect(journal.findRequest(ids[0])!.status).toBe('submitted');
  expect(journal.findRequest(ids[2])!.status).toBe('submitted');
  expect(seen.broadcasts).toHaveLength(1);
  const [sent] = journal.pending();
  expect(sent.kind).toBe('batch');
  expect(journal.requestsOfBatch(sent.id).map((r) => r.id)).toEqual([ids[0], ids[2]]);
  // The whole batch, then each alone, then the two that passed.
  expect(seen.estimates.slice(0, 4)).toEqual([[1, 2, 3], [1], [2], [3]]);
  expect(lines.join('\n')).toMatch(/refused as a whole \(InvalidBatchProof/);
  journal.close();
});

test('a batch held back by the fee cap stays queued, nothing is signed, and it is tried again after a pause, not in a loop', async () => {
  const journal = new SqliteJournal(':memory:');
  const id = journal.enqueue(request(5)).id;
  const { provider, seen } = standIn({ maxFeePerGas: DEFAULT_LIMITS.maxFeePerGasWei + 1n });
  const lines: string[] = [];
  // No wait at all: without the pause the next try would come at once, again and again.
  const batcher = batcherWith(journal, provider, lines, 0);
  await batcher.flush();
  await new Promise((r) => setTimeout(r, 600));
  expect(journal.findRequest(id)!.status).toBe('queued');
  expect(seen.broadcasts).toEqual([]);
  expect(journal.pending()).toEqual([]);
  // One read of the fees in 600 ms: the retry waits its pause.
  expect(seen.feeReads).toBe(1);
  expect(lines.join('\n')).toMatch(/held: the chain asks \d+ wei per gas, above the cap/);
  journal.close();
});

test('blame after a revert: the entry that fails alone is the culprit and the others are innocent; a revert no entry explains is charged to every request', async () => {
  const journal = new SqliteJournal(':memory:');
  const ids = [1, 2, 3].map((n) => journal.enqueue(request(n)).id);
  const batch = journal.recordBatch({ txHash: '0x' + '99'.repeat(32), rawTx: '0x00', relayerNonce: 0, maxCostWei: 1n, createdAt: 10, deadline: 4_000_000_000n }, ids);
  const lines: string[] = [];
  // Entry 2's proof now fails alone (the chain changed under it): it alone caused the revert.
  const verdicts = await batcherWith(journal, standIn({ badProof: 2 }).provider, lines).blame(journal.requestsOfBatch(batch.id));
  expect([...verdicts.values()].map((v) => v.status)).toEqual(['queued', 'refused', 'queued']);
  journal.settleBatch(batch.id, { status: 'reverted', blockNumber: 1, costWei: 1n }, undefined, verdicts);
  expect(journal.findRequest(ids[0])).toMatchObject({ status: 'queued', reverts: 0 });
  expect(journal.findRequest(ids[1])).toMatchObject({ status: 'refused', refusal: { code: 'invalid_proof' } });
  expect(lines.join('\n')).toMatch(/caused its batch's revert: invalid-proof/);

  // Nothing explains the next revert: the answer is empty, and the journal charges both.
  const next = journal.recordBatch({ txHash: '0x' + '98'.repeat(32), rawTx: '0x00', relayerNonce: 1, maxCostWei: 1n, createdAt: 11, deadline: 4_000_000_000n }, [ids[0], ids[2]]);
  const none = await batcherWith(journal, standIn({}).provider, lines).blame(journal.requestsOfBatch(next.id));
  expect(none.size).toBe(0);
  journal.settleBatch(next.id, { status: 'reverted', blockNumber: 2, costWei: 1n }, undefined, none);
  expect(journal.findRequest(ids[0])).toMatchObject({ status: 'queued', reverts: 1 });
  expect(journal.findRequest(ids[2])).toMatchObject({ status: 'queued', reverts: 1 });
  journal.close();
});

test('a consent with less than replaceAfterSeconds + 10 s left is not put in a batch: it expires in the queue; one with more goes out', async () => {
  const journal = new SqliteJournal(':memory:');
  // chainTimeNow is 1000 in the stand-in host.
  const margin = DEFAULT_LIMITS.replaceAfterSeconds + 10;
  const close = journal.enqueue({ ...request(7), deadline: BigInt(1000 + margin - 1) }).id;
  const far = journal.enqueue({ ...request(8), deadline: BigInt(1000 + margin + 1) }).id;
  const { provider, seen } = standIn({});
  await batcherWith(journal, provider, []).flush();
  expect(journal.findRequest(close)).toMatchObject({ status: 'expired', refusal: { code: 'consent_expired', rule: 'deadline' } });
  expect(journal.findRequest(far)!.status).toBe('submitted');
  expect(seen.broadcasts).toHaveLength(1);
  journal.close();
});
