/**
 * The SQLite journal on its own: a file written by the first release (no deadline, investor tag or
 * registered-elsewhere columns) opens, keeps its pending entries and takes new ones; the investor
 * count and a revert whose consent registered the wallet elsewhere count as the limits need.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import Database from 'better-sqlite3';
import { RequestConflict } from '../src/store/journal.js';
import { SqliteJournal } from '../src/store/sqlite-journal.js';

const dir = mkdtempSync(join(tmpdir(), 'zkkyc-relayer-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIRST_RELEASE_SCHEMA = `
CREATE TABLE registrations (
  id INTEGER PRIMARY KEY AUTOINCREMENT, wallet TEXT NOT NULL, consent_nonce TEXT NOT NULL, digest TEXT NOT NULL,
  policy_id TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('sent', 'mined', 'reverted', 'dropped')),
  tx_hash TEXT NOT NULL, raw_tx TEXT NOT NULL, relayer_nonce INTEGER NOT NULL, max_cost_wei TEXT NOT NULL,
  cost_wei TEXT, block_number INTEGER, created_at INTEGER NOT NULL
);
INSERT INTO registrations (wallet, consent_nonce, digest, policy_id, status, tx_hash, raw_tx, relayer_nonce, max_cost_wei, created_at)
VALUES ('0x${'aa'.repeat(20)}', '0', '0x${'01'.repeat(32)}', '1', 'sent', '0x${'02'.repeat(32)}', '0x00', 7, '100', 1000);
`;

const entry = (n: number, wallet: string, investorTag: string) => ({
  wallet,
  consentNonce: 0n,
  digest: '0x' + n.toString(16).padStart(64, '0'),
  policyId: 1n,
  investorTag,
  deadline: 1_900_000_000n,
  txHash: '0x' + (n + 100).toString(16).padStart(64, '0'),
  rawTx: '0x00',
  relayerNonce: n,
  maxCostWei: 10n,
  createdAt: 2000 + n,
});

test('a journal file from the first release gains the new columns and keeps its pending entry', () => {
  const path = join(dir, 'old.sqlite');
  const old = new Database(path);
  old.exec(FIRST_RELEASE_SCHEMA);
  old.close();

  const journal = new SqliteJournal(path);
  const [pending] = journal.pending();
  expect(pending).toMatchObject({ relayerNonce: 7, status: 'sent' });
  expect(pending.deadline).toBeUndefined();
  expect(pending.investorTag).toBeUndefined();
  const recorded = journal.record(entry(1, '0x' + 'bb'.repeat(20), '0xabc'));
  expect(recorded).toMatchObject({ deadline: 1_900_000_000n, investorTag: '0xabc' });
  journal.close();
  // Opening it again does not add the columns twice.
  const reopened = new SqliteJournal(path);
  expect(reopened.pending()).toHaveLength(2);
  reopened.close();
});

test('counts per investor tag; a revert whose consent registered the wallet elsewhere counts for nobody', () => {
  const journal = new SqliteJournal(':memory:');
  const a = journal.record(entry(1, '0x' + 'a1'.repeat(20), '0x01'));
  journal.record(entry(2, '0x' + 'a2'.repeat(20), '0x01'));
  journal.record(entry(3, '0x' + 'a3'.repeat(20), '0x02'));
  expect(journal.countSince(0, undefined, '0x01')).toBe(2);
  expect(journal.countSince(0, '0x' + 'a1'.repeat(20))).toBe(1);
  journal.settle(a.id, { status: 'reverted', blockNumber: 5, costWei: 3n, registeredElsewhere: true });
  expect(journal.countSince(0, undefined, '0x01')).toBe(1);
  expect(journal.countSince(0, '0x' + 'a1'.repeat(20))).toBe(0);
  expect(journal.countSince(0)).toBe(2);
  // The gas it burnt is still spent.
  expect(journal.spentSince(0)).toBe(3n + 10n + 10n);
  journal.close();
});

test('a replaced transaction keeps the hashes it replaced; the one mined is recorded whichever it was', () => {
  const journal = new SqliteJournal(':memory:');
  const sent = journal.record(entry(1, '0x' + 'c1'.repeat(20), '0x03'));
  const second = journal.replace(sent.id, { txHash: '0x' + 'e2'.repeat(32), rawTx: '0x02', maxCostWei: 20n });
  const third = journal.replace(sent.id, { txHash: '0x' + 'e3'.repeat(32), rawTx: '0x03', maxCostWei: 30n });
  expect(second.replacedTxHashes).toEqual([sent.txHash]);
  expect(third).toMatchObject({ txHash: '0x' + 'e3'.repeat(32), rawTx: '0x03', maxCostWei: 30n, replacedTxHashes: [sent.txHash, '0x' + 'e2'.repeat(32)] });
  expect(journal.spentSince(0)).toBe(30n);
  // The second was mined after all.
  journal.settle(sent.id, { status: 'mined', blockNumber: 9, costWei: 4n, txHash: '0x' + 'e2'.repeat(32) });
  expect(journal.findByDigest(sent.digest)).toMatchObject({ status: 'mined', txHash: '0x' + 'e2'.repeat(32) });
  expect(() => journal.replace(sent.id, { txHash: '0x' + 'e4'.repeat(32), rawTx: '0x04', maxCostWei: 40n })).toThrow(/not a sent entry/);
  journal.close();
});

const request = (n: number, wallet: string, investorTag = '0x0' + n) => ({
  id: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
  digest: '0x' + (n + 500).toString(16).padStart(64, '0'),
  wallet,
  consentNonce: 0n,
  policyId: 1n,
  investorTag,
  deadline: 1_900_000_000n,
  entry: {
    policyId: '1',
    pA: ['1', '2'],
    pB: [
      ['3', '4'],
      ['5', '6'],
    ],
    pC: ['7', '8'],
    pubSignals: ['9', '10', '11', '12'],
    deadline: '1900000000',
    signature: '0x12',
  } as never,
  createdAt: 3000 + n,
});
const batchTx = (n: number) => ({ txHash: '0x' + (n + 900).toString(16).padStart(64, '0'), rawTx: '0x0b', relayerNonce: n, maxCostWei: 100n, createdAt: 4000 + n, deadline: 1_900_000_000n });

test('batched requests: one live request per (wallet, consent nonce); queued ones count against the limits, refused ones do not', () => {
  const journal = new SqliteJournal(':memory:');
  const a = journal.enqueue(request(1, '0x' + 'd1'.repeat(20), '0x01'));
  expect(a).toMatchObject({ status: 'queued', reverts: 0 });
  expect(() => journal.enqueue({ ...request(2, '0x' + 'd1'.repeat(20)), consentNonce: 0n })).toThrow(RequestConflict);
  const b = journal.enqueue(request(3, '0x' + 'd3'.repeat(20), '0x01'));
  expect(journal.countSince(0, undefined, '0x01')).toBe(2);
  expect(journal.countSince(0)).toBe(2);
  journal.closeRequest(b.id, { status: 'refused', refusal: { httpStatus: 422, code: 'registration_refused', message: 'm', rule: 'WalletBarred' } });
  expect(journal.findRequest(b.id)).toMatchObject({ status: 'refused', refusal: { rule: 'WalletBarred' } });
  expect(journal.countSince(0, undefined, '0x01')).toBe(1);
  // A refused request is no longer live: the same consent may be queued again (it is checked again first).
  expect(journal.findRequestByDigest(b.digest)).toBeUndefined();
  expect(journal.queued().map((r) => r.id)).toEqual([a.id]);
  journal.close();
});

test('a batch is journaled with its requests submitted in one write; mined → registered, reverted → queued once then refused, dropped → queued', () => {
  const journal = new SqliteJournal(':memory:');
  const [a, b] = [journal.enqueue(request(1, '0x' + 'e1'.repeat(20))), journal.enqueue(request(2, '0x' + 'e2'.repeat(20)))];
  // A request no longer queued (refused meanwhile) cannot go in: nothing is written.
  journal.closeRequest(b.id, { status: 'expired', refusal: { httpStatus: 400, code: 'consent_expired', message: 'm' } });
  expect(() => journal.recordBatch(batchTx(1), [a.id, b.id])).toThrow(/no longer queued/);
  expect(journal.pending()).toEqual([]);
  expect(journal.findRequest(a.id)!.status).toBe('queued');

  const first = journal.recordBatch(batchTx(1), [a.id]);
  expect(first).toMatchObject({ kind: 'batch', status: 'sent' });
  expect(journal.findRequest(a.id)).toMatchObject({ status: 'submitted', batchId: first.id, txHash: first.txHash });
  // A batch row is one transaction, not a registration: the count is the request's.
  expect(journal.countSince(0)).toBe(1);
  journal.settleBatch(first.id, { status: 'reverted', blockNumber: 5, costWei: 7n });
  expect(journal.findRequest(a.id)).toMatchObject({ status: 'queued', reverts: 1 });
  const second = journal.recordBatch(batchTx(2), [a.id]);
  journal.settleBatch(second.id, { status: 'dropped' });
  expect(journal.findRequest(a.id)).toMatchObject({ status: 'queued', reverts: 1 });
  const third = journal.recordBatch(batchTx(3), [a.id]);
  journal.settleBatch(third.id, { status: 'reverted', blockNumber: 6, costWei: 7n });
  expect(journal.findRequest(a.id)).toMatchObject({ status: 'refused', reverts: 2, refusal: { code: 'registration_reverted' } });
  expect(journal.spentSince(0)).toBe(14n);

  const c = journal.enqueue(request(4, '0x' + 'e4'.repeat(20)));
  const fourth = journal.recordBatch(batchTx(4), [c.id]);
  journal.settleBatch(fourth.id, { status: 'mined', blockNumber: 8, costWei: 9n }, new Map([['0x' + 'e4'.repeat(20), 1_800_000_000n]]));
  expect(journal.findRequest(c.id)).toMatchObject({ status: 'registered', blockNumber: 8, until: 1_800_000_000n, txHash: fourth.txHash });
  // Settled once: a second follow-up changes nothing.
  journal.settleBatch(fourth.id, { status: 'reverted', blockNumber: 9, costWei: 1n });
  expect(journal.findRequest(c.id)!.status).toBe('registered');
  journal.close();
});

test('a reverted batch with verdicts: only the culprit is closed and charged against its wallet and investor; the innocent is queued again with no revert counted', () => {
  const journal = new SqliteJournal(':memory:');
  const innocent = journal.enqueue(request(1, '0x' + 'f1'.repeat(20), '0x0a'));
  const culprit = journal.enqueue(request(2, '0x' + 'f2'.repeat(20), '0x0b'));
  const copied = journal.enqueue(request(3, '0x' + 'f3'.repeat(20), '0x0c'));
  const batch = journal.recordBatch(batchTx(1), [innocent.id, culprit.id, copied.id]);
  const used = { httpStatus: 409, code: 'consent_used', message: 'm', rule: 'nonce' };
  journal.settleBatch(
    batch.id,
    { status: 'reverted', blockNumber: 5, costWei: 7n },
    undefined,
    new Map([
      [innocent.id, { status: 'queued' as const }],
      [culprit.id, { status: 'refused' as const, refusal: used, charged: true }],
      [copied.id, { status: 'registered' as const, elsewhere: true as const, until: 1_800_000_000n }],
    ]),
  );
  expect(journal.findRequest(innocent.id)).toMatchObject({ status: 'queued', reverts: 0 });
  expect(journal.findRequest(innocent.id)!.charged).toBeUndefined();
  expect(journal.findRequest(culprit.id)).toMatchObject({ status: 'refused', charged: true, refusal: { code: 'consent_used' } });
  expect(journal.findRequest(copied.id)).toMatchObject({ status: 'registered', registeredElsewhere: true, until: 1_800_000_000n });
  // The charged refusal counts like a registration; one registered by a copy counts for nobody.
  expect(journal.countSince(0, undefined, '0x0b')).toBe(1);
  expect(journal.countSince(0, '0x' + 'f2'.repeat(20))).toBe(1);
  expect(journal.countSince(0, undefined, '0x0c')).toBe(0);
  // A refusal not charged (the gate changed, not the requester) counts for nothing.
  const other = journal.enqueue(request(4, '0x' + 'f4'.repeat(20), '0x0d'));
  journal.closeRequest(other.id, { status: 'refused', refusal: { httpStatus: 422, code: 'registration_refused', message: 'm', rule: 'WalletBarred' } });
  expect(journal.countSince(0, undefined, '0x0d')).toBe(0);
  journal.close();
});

test('a journal whose requests table predates the charged column gains it', () => {
  const path = join(dir, 'requests-before-charged.db');
  const old = new SqliteJournal(path);
  const queued = old.enqueue(request(1, '0x' + 'a7'.repeat(20), '0x0e'));
  old.close();
  const db = new Database(path);
  db.exec('ALTER TABLE requests DROP COLUMN charged');
  db.close();
  const reopened = new SqliteJournal(path);
  expect(reopened.findRequest(queued.id)).toMatchObject({ status: 'queued' });
  reopened.closeRequest(queued.id, { status: 'refused', refusal: { httpStatus: 409, code: 'consent_used', message: 'm' }, charged: true });
  expect(reopened.findRequest(queued.id)!.charged).toBe(true);
  reopened.close();
});
