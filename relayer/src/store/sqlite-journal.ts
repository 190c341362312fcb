import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { JournalConflict, type Journal, type JournalEntry, type JournalOutcome, type JournalStatus, type NewJournalEntry } from './journal.js';

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

/**
 * Columns added after the first release, in order: a journal file written by an older relayer gets
 * them (NULL or the default for its old rows) when it is opened, so its pending entries are still
 * followed up.
 */
const ADDED_COLUMNS: [name: string, definition: string][] = [
  ['investor_tag', 'TEXT'],
  ['deadline', 'TEXT'],
  ['registered_elsewhere', 'INTEGER NOT NULL DEFAULT 0'],
  ['replaced_tx_hashes', 'TEXT'],
];

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
  investor_tag: string | null;
  deadline: string | null;
  registered_elsewhere: number;
  replaced_tx_hashes: string | null;
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
    ...(r.investor_tag === null ? {} : { investorTag: r.investor_tag }),
    ...(r.deadline === null ? {} : { deadline: BigInt(r.deadline) }),
    ...(r.registered_elsewhere ? { registeredElsewhere: true } : {}),
    ...(r.replaced_tx_hashes ? { replacedTxHashes: r.replaced_tx_hashes.split(',') } : {}),
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
    const present = new Set((this.db.prepare('PRAGMA table_info(registrations)').all() as { name: string }[]).map((c) => c.name));
    for (const [name, definition] of ADDED_COLUMNS) {
      if (!present.has(name)) this.db.exec(`ALTER TABLE registrations ADD COLUMN ${name} ${definition}`);
    }
    this.db.exec('CREATE INDEX IF NOT EXISTS registrations_investor ON registrations (investor_tag, created_at)');
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
          `INSERT INTO registrations (wallet, consent_nonce, digest, policy_id, status, tx_hash, raw_tx, relayer_nonce, max_cost_wei, created_at, investor_tag, deadline)
           VALUES (?, ?, ?, ?, 'sent', ?, ?, ?, ?, ?, ?, ?)`,
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
          entry.investorTag?.toLowerCase() ?? null,
          entry.deadline?.toString() ?? null,
        );
      return Number(lastInsertRowid);
    });
    const id = insert();
    return fromRow(this.db.prepare('SELECT * FROM registrations WHERE id = ?').get(id) as Row);
  }

  settle(id: number, outcome: JournalOutcome): void {
    if (outcome.status === 'dropped') {
      this.db.prepare(`UPDATE registrations SET status = 'dropped' WHERE id = ? AND status = 'sent'`).run(id);
      return;
    }
    this.db
      .prepare(`UPDATE registrations SET status = ?, block_number = ?, cost_wei = ?, registered_elsewhere = ?, tx_hash = COALESCE(?, tx_hash) WHERE id = ?`)
      .run(
        outcome.status,
        outcome.blockNumber,
        outcome.costWei.toString(),
        outcome.status === 'reverted' && outcome.registeredElsewhere ? 1 : 0,
        outcome.txHash?.toLowerCase() ?? null,
        id,
      );
  }

  replace(id: number, replacement: { txHash: string; rawTx: string; maxCostWei: bigint }): JournalEntry {
    const { changes } = this.db
      .prepare(
        `UPDATE registrations SET replaced_tx_hashes = CASE WHEN replaced_tx_hashes IS NULL THEN tx_hash ELSE replaced_tx_hashes || ',' || tx_hash END,
           tx_hash = ?, raw_tx = ?, max_cost_wei = ? WHERE id = ? AND status = 'sent'`,
      )
      .run(replacement.txHash.toLowerCase(), replacement.rawTx, replacement.maxCostWei.toString(), id);
    if (changes !== 1) throw new Error(`journal #${id} is not a sent entry: nothing to replace`);
    return fromRow(this.db.prepare('SELECT * FROM registrations WHERE id = ?').get(id) as Row);
  }

  pending(): JournalEntry[] {
    return (this.db.prepare(`SELECT * FROM registrations WHERE status = 'sent' ORDER BY id`).all() as Row[]).map(fromRow);
  }

  countSince(sinceMs: number, wallet?: string, investorTag?: string): number {
    const counted = `created_at >= ? AND status != 'dropped' AND registered_elsewhere = 0`;
    const row = wallet
      ? this.db.prepare(`SELECT COUNT(*) AS n FROM registrations WHERE ${counted} AND wallet = ?`).get(sinceMs, wallet.toLowerCase())
      : investorTag
        ? this.db.prepare(`SELECT COUNT(*) AS n FROM registrations WHERE ${counted} AND investor_tag = ?`).get(sinceMs, investorTag.toLowerCase())
        : this.db.prepare(`SELECT COUNT(*) AS n FROM registrations WHERE ${counted}`).get(sinceMs);
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
