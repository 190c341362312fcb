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
