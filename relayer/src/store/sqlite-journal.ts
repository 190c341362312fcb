import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { JournalConflict, type Journal, type JournalEntry, type JournalStatus, type NewJournalEntry } from './journal.js';

/**
 * The journal in one SQLite file. `synchronous = FULL`: an entry is on disk before the transaction
 * it records is broadcast, which is the point of the journal. A partial unique index keeps one live
 * entry per (wallet, consent nonce), so two racing requests cannot both pay.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS registrations (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  wallet         TEXT NOT NULL,
  consent_nonce  TEXT NOT NULL,
  digest         TEXT NOT NULL,
  policy_id      TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('sent', 'mined', 'reverted', 'dropped')),
  tx_hash        TEXT NOT NULL,
  raw_tx         TEXT NOT NULL,
  relayer_nonce  INTEGER NOT NULL,
  max_cost_wei   TEXT NOT NULL,
  cost_wei       TEXT,
  block_number   INTEGER,
  created_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS registrations_live_consent ON registrations (wallet, consent_nonce) WHERE status IN ('sent', 'mined');
CREATE INDEX IF NOT EXISTS registrations_digest ON registrations (digest);
CREATE INDEX IF NOT EXISTS registrations_created ON registrations (created_at);
`;

interface Row {
  id: number;
  wallet: string;
  consent_nonce: string;
  digest: string;
  policy_id: string;
  status: JournalStatus;
  tx_hash: string;
  raw_tx: string;
  relayer_nonce: number;
  max_cost_wei: string;
  cost_wei: string | null;
  block_number: number | null;
  created_at: number;
}

function fromRow(r: Row): JournalEntry {
  return {
    id: r.id,
    wallet: r.wallet,
    consentNonce: BigInt(r.consent_nonce),
    digest: r.digest,
    policyId: BigInt(r.policy_id),
    status: r.status,
    txHash: r.tx_hash,
    rawTx: r.raw_tx,
    relayerNonce: r.relayer_nonce,
    maxCostWei: BigInt(r.max_cost_wei),
    ...(r.cost_wei === null ? {} : { costWei: BigInt(r.cost_wei) }),
    ...(r.block_number === null ? {} : { blockNumber: r.block_number }),
    createdAt: r.created_at,
  };
}

export class SqliteJournal implements Journal {
  private readonly db: Database.Database;

  /** Opens (creating) the journal at `path`; `:memory:` for a throwaway one. */
  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  findByDigest(digest: string): JournalEntry | undefined {
    const row = this.db.prepare(`SELECT * FROM registrations WHERE digest = ? AND status IN ('sent', 'mined') ORDER BY id DESC LIMIT 1`).get(digest.toLowerCase()) as Row | undefined;
    return row && fromRow(row);
  }

  findLive(wallet: string, consentNonce: bigint): JournalEntry | undefined {
    const row = this.db
      .prepare(`SELECT * FROM registrations WHERE wallet = ? AND consent_nonce = ? AND status IN ('sent', 'mined')`)
      .get(wallet.toLowerCase(), consentNonce.toString()) as Row | undefined;
    return row && fromRow(row);
  }

  record(entry: NewJournalEntry): JournalEntry {
    const insert = this.db.transaction(() => {
      const live = this.findLive(entry.wallet, entry.consentNonce);
      if (live) throw new JournalConflict(live);
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO registrations (wallet, consent_nonce, digest, policy_id, status, tx_hash, raw_tx, relayer_nonce, max_cost_wei, created_at)
           VALUES (?, ?, ?, ?, 'sent', ?, ?, ?, ?, ?)`,
        )
        .run(
          entry.wallet.toLowerCase(),
          entry.consentNonce.toString(),
          entry.digest.toLowerCase(),
          entry.policyId.toString(),
          entry.txHash.toLowerCase(),
          entry.rawTx,
          entry.relayerNonce,
          entry.maxCostWei.toString(),
          entry.createdAt,
        );
      return Number(lastInsertRowid);
    });
    const id = insert();
    return fromRow(this.db.prepare('SELECT * FROM registrations WHERE id = ?').get(id) as Row);
  }

  settle(id: number, outcome: { status: 'mined' | 'reverted'; blockNumber: number; costWei: bigint } | { status: 'dropped' }): void {
    if (outcome.status === 'dropped') {
      this.db.prepare(`UPDATE registrations SET status = 'dropped' WHERE id = ? AND status = 'sent'`).run(id);
      return;
    }
    this.db
      .prepare(`UPDATE registrations SET status = ?, block_number = ?, cost_wei = ? WHERE id = ?`)
      .run(outcome.status, outcome.blockNumber, outcome.costWei.toString(), id);
  }

  pending(): JournalEntry[] {
    return (this.db.prepare(`SELECT * FROM registrations WHERE status = 'sent' ORDER BY id`).all() as Row[]).map(fromRow);
  }

  countSince(sinceMs: number, wallet?: string): number {
    const row = wallet
      ? this.db.prepare(`SELECT COUNT(*) AS n FROM registrations WHERE created_at >= ? AND status != 'dropped' AND wallet = ?`).get(sinceMs, wallet.toLowerCase())
      : this.db.prepare(`SELECT COUNT(*) AS n FROM registrations WHERE created_at >= ? AND status != 'dropped'`).get(sinceMs);
    return (row as { n: number }).n;
  }

  spentSince(sinceMs: number): bigint {
    const rows = this.db.prepare(`SELECT status, max_cost_wei, cost_wei FROM registrations WHERE created_at >= ? AND status != 'dropped'`).all(sinceMs) as Pick<
      Row,
      'status' | 'max_cost_wei' | 'cost_wei'
    >[];
    return rows.reduce((sum, r) => sum + BigInt(r.status === 'sent' ? r.max_cost_wei : (r.cost_wei ?? r.max_cost_wei)), 0n);
  }

  close(): void {
    this.db.close();
  }
}
