import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  JournalConflict,
  RequestConflict,
  type Journal,
  type JournalEntry,
  type JournalOutcome,
  type JournalStatus,
  type NewJournalEntry,
  type NewRegistrationRequest,
  type RegistrationRequestEntry,
  type RequestClosing,
  type RequestRefusal,
  type RequestVerdict,
  type RequestStatus,
  type TransactionKind,
} from './journal.js';

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
CREATE TABLE IF NOT EXISTS requests (
  id             TEXT PRIMARY KEY,
  digest         TEXT NOT NULL,
  wallet         TEXT NOT NULL,
  consent_nonce  TEXT NOT NULL,
  policy_id      TEXT NOT NULL,
  investor_tag   TEXT NOT NULL,
  deadline       TEXT NOT NULL,
  entry          TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('queued', 'submitted', 'registered', 'refused', 'expired')),
  batch_id       INTEGER REFERENCES registrations (id),
  reverts        INTEGER NOT NULL DEFAULT 0,
  tx_hash        TEXT,
  block_number   INTEGER,
  until          TEXT,
  refusal        TEXT,
  registered_elsewhere INTEGER NOT NULL DEFAULT 0,
  charged        INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS requests_live_consent ON requests (wallet, consent_nonce) WHERE status IN ('queued', 'submitted', 'registered');
CREATE INDEX IF NOT EXISTS requests_digest ON requests (digest);
CREATE INDEX IF NOT EXISTS requests_status ON requests (status, created_at);
CREATE INDEX IF NOT EXISTS requests_batch ON requests (batch_id);
`;

/** A live request: the one answer for its consent. */
const REQUEST_COUNTED = `status IN ('queued', 'submitted', 'registered')`;
/** After this many reverted batches charged to it a request is refused instead of queued again (its wallet's code may be what makes them revert). */
const MAX_BATCH_REVERTS = 2;

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
  ['kind', "TEXT NOT NULL DEFAULT 'single'"],
];
/** The same for the `requests` table. */
const ADDED_REQUEST_COLUMNS: [name: string, definition: string][] = [['charged', 'INTEGER NOT NULL DEFAULT 0']];

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
  kind: TransactionKind;
}

interface RequestRow {
  id: string;
  digest: string;
  wallet: string;
  consent_nonce: string;
  policy_id: string;
  investor_tag: string;
  deadline: string;
  entry: string;
  status: RequestStatus;
  batch_id: number | null;
  reverts: number;
  tx_hash: string | null;
  block_number: number | null;
  until: string | null;
  refusal: string | null;
  registered_elsewhere: number;
  charged: number;
  created_at: number;
  /** The current transaction of its batch row (joined in). */
  batch_tx_hash: string | null;
  batch_block_number: number | null;
}

/** A request with its batch's current transaction hash (a replacement changes it). */
const REQUEST_SELECT = 'SELECT r.*, b.tx_hash AS batch_tx_hash, b.block_number AS batch_block_number FROM requests r LEFT JOIN registrations b ON b.id = r.batch_id';

function fromRequestRow(r: RequestRow): RegistrationRequestEntry {
  return {
    id: r.id,
    digest: r.digest,
    wallet: r.wallet,
    consentNonce: BigInt(r.consent_nonce),
    policyId: BigInt(r.policy_id),
    investorTag: r.investor_tag,
    deadline: BigInt(r.deadline),
    entry: JSON.parse(r.entry) as RegistrationRequestEntry['entry'],
    status: r.status,
    ...(r.batch_id === null ? {} : { batchId: r.batch_id }),
    reverts: r.reverts,
    ...((r.tx_hash ?? r.batch_tx_hash) === null ? {} : { txHash: (r.tx_hash ?? r.batch_tx_hash)! }),
    ...((r.block_number ?? r.batch_block_number) === null ? {} : { blockNumber: (r.block_number ?? r.batch_block_number)! }),
    ...(r.until === null ? {} : { until: BigInt(r.until) }),
    ...(r.refusal === null ? {} : { refusal: JSON.parse(r.refusal) as RequestRefusal }),
    ...(r.registered_elsewhere ? { registeredElsewhere: true } : {}),
    ...(r.charged ? { charged: true } : {}),
    createdAt: r.created_at,
  };
}

function fromRow(r: Row): JournalEntry {
  return {
    id: r.id,
    kind: r.kind,
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
    const presentInRequests = new Set((this.db.prepare('PRAGMA table_info(requests)').all() as { name: string }[]).map((c) => c.name));
    for (const [name, definition] of ADDED_REQUEST_COLUMNS) {
      if (!presentInRequests.has(name)) this.db.exec(`ALTER TABLE requests ADD COLUMN ${name} ${definition}`);
    }
    this.db.exec('CREATE INDEX IF NOT EXISTS registrations_investor ON registrations (investor_tag, created_at)');
  }

  findByDigest(digest: string): JournalEntry | undefined {
    const row = this.db.prepare(`SELECT * FROM registrations WHERE digest = ? AND status IN ('sent', 'mined') ORDER BY id DESC LIMIT 1`).get(digest.toLowerCase()) as Row | undefined;
    return row && fromRow(row);
  }

  findLive(wallet: string, consentNonce: bigint): JournalEntry | undefined {
    const row = this.db.prepare(`SELECT * FROM registrations WHERE wallet = ? AND consent_nonce = ? AND status IN ('sent', 'mined')`).get(wallet.toLowerCase(), consentNonce.toString()) as
      Row | undefined;
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
      .run(outcome.status, outcome.blockNumber, outcome.costWei.toString(), outcome.status === 'reverted' && outcome.registeredElsewhere ? 1 : 0, outcome.txHash?.toLowerCase() ?? null, id);
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
    const counted = `created_at >= ? AND kind = 'single' AND status != 'dropped' AND registered_elsewhere = 0`;
    // Refused and expired requests cost nothing, unless the requester's own wallet spoiled them
    // (charged); one registered by a copy of its batch counts for nobody.
    const requests = `created_at >= ? AND (${REQUEST_COUNTED} OR charged = 1) AND registered_elsewhere = 0`;
    const [filter, args] = wallet ? [' AND wallet = ?', [wallet.toLowerCase()]] : investorTag ? [' AND investor_tag = ?', [investorTag.toLowerCase()]] : ['', []];
    const single = this.db.prepare(`SELECT COUNT(*) AS n FROM registrations WHERE ${counted}${filter}`).get(sinceMs, ...args) as { n: number };
    const batched = this.db.prepare(`SELECT COUNT(*) AS n FROM requests WHERE ${requests}${filter}`).get(sinceMs, ...args) as { n: number };
    return single.n + batched.n;
  }

  spentSince(sinceMs: number): bigint {
    const rows = this.db.prepare(`SELECT status, max_cost_wei, cost_wei FROM registrations WHERE created_at >= ? AND status != 'dropped'`).all(sinceMs) as Pick<
      Row,
      'status' | 'max_cost_wei' | 'cost_wei'
    >[];
    return rows.reduce((sum, r) => sum + BigInt(r.status === 'sent' ? r.max_cost_wei : (r.cost_wei ?? r.max_cost_wei)), 0n);
  }

  settleBatch(id: number, outcome: JournalOutcome, untilByWallet: Map<string, bigint> = new Map(), verdicts: Map<string, RequestVerdict> = new Map()): void {
    this.db.transaction(() => {
      const row = this.db.prepare(`SELECT status FROM registrations WHERE id = ?`).get(id) as { status: JournalStatus } | undefined;
      // Settled once: a second follow-up (the restart's and a waiting request's) changes nothing.
      if (!row || row.status !== 'sent') return;
      this.settle(id, outcome);
      const submitted = this.requestsOfBatch(id).filter((r) => r.status === 'submitted');
      for (const r of submitted) {
        if (outcome.status === 'mined') {
          this.db
            .prepare(`UPDATE requests SET status = 'registered', block_number = ?, tx_hash = COALESCE(?, (SELECT tx_hash FROM registrations WHERE id = ?)), until = ? WHERE id = ?`)
            .run(outcome.blockNumber, outcome.txHash?.toLowerCase() ?? null, id, untilByWallet.get(r.wallet)?.toString() ?? null, r.id);
        } else if (outcome.status === 'reverted' && verdicts.has(r.id)) {
          const verdict = verdicts.get(r.id)!;
          // Innocent of this revert: back to the queue, nothing charged.
          if (verdict.status === 'queued') this.db.prepare(`UPDATE requests SET status = 'queued' WHERE id = ?`).run(r.id);
          else this.end(r.id, 'submitted', verdict);
        } else if (outcome.status === 'reverted' && r.reverts + 1 >= MAX_BATCH_REVERTS) {
          const refusal: RequestRefusal = {
            httpStatus: 409,
            code: 'registration_reverted',
            message: `the batches this registration was sent in reverted ${r.reverts + 1} times (the gate's state changed since it was checked); prove and consent again`,
            rule: 'reverted',
          };
          this.db.prepare(`UPDATE requests SET status = 'refused', reverts = reverts + 1, refusal = ? WHERE id = ?`).run(JSON.stringify(refusal), r.id);
        } else {
          this.db.prepare(`UPDATE requests SET status = 'queued', reverts = reverts + ? WHERE id = ?`).run(outcome.status === 'reverted' ? 1 : 0, r.id);
        }
      }
    })();
  }

  enqueue(request: NewRegistrationRequest): RegistrationRequestEntry {
    this.db.transaction(() => {
      const live = this.findLiveRequest(request.wallet, request.consentNonce);
      if (live) throw new RequestConflict(live);
      this.db
        .prepare(
          `INSERT INTO requests (id, digest, wallet, consent_nonce, policy_id, investor_tag, deadline, entry, status, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)`,
        )
        .run(
          request.id,
          request.digest.toLowerCase(),
          request.wallet.toLowerCase(),
          request.consentNonce.toString(),
          request.policyId.toString(),
          request.investorTag.toLowerCase(),
          request.deadline.toString(),
          JSON.stringify(request.entry),
          request.createdAt,
        );
    })();
    return this.findRequest(request.id)!;
  }

  findRequest(id: string): RegistrationRequestEntry | undefined {
    const row = this.db.prepare(`${REQUEST_SELECT} WHERE r.id = ?`).get(id) as RequestRow | undefined;
    return row && fromRequestRow(row);
  }

  findRequestByDigest(digest: string): RegistrationRequestEntry | undefined {
    const row = this.db.prepare(`${REQUEST_SELECT} WHERE r.digest = ? AND r.${REQUEST_COUNTED} ORDER BY r.created_at DESC LIMIT 1`).get(digest.toLowerCase()) as RequestRow | undefined;
    return row && fromRequestRow(row);
  }

  findLiveRequest(wallet: string, consentNonce: bigint): RegistrationRequestEntry | undefined {
    const row = this.db.prepare(`${REQUEST_SELECT} WHERE r.wallet = ? AND r.consent_nonce = ? AND r.${REQUEST_COUNTED}`).get(wallet.toLowerCase(), consentNonce.toString()) as RequestRow | undefined;
    return row && fromRequestRow(row);
  }

  queued(limit = 1_000_000): RegistrationRequestEntry[] {
    return (this.db.prepare(`${REQUEST_SELECT} WHERE r.status = 'queued' ORDER BY r.created_at, r.rowid LIMIT ?`).all(limit) as RequestRow[]).map(fromRequestRow);
  }

  requestsOfBatch(batchId: number): RegistrationRequestEntry[] {
    return (this.db.prepare(`${REQUEST_SELECT} WHERE r.batch_id = ? ORDER BY r.rowid`).all(batchId) as RequestRow[]).map(fromRequestRow);
  }

  closeRequest(id: string, outcome: RequestClosing): void {
    this.end(id, 'queued', outcome);
  }

  /** Closes a request that is `from` (queued, or submitted in a reverted batch). */
  private end(id: string, from: RequestStatus, outcome: RequestClosing): void {
    if (outcome.status === 'registered') {
      this.db.prepare(`UPDATE requests SET status = 'registered', registered_elsewhere = 1, until = ? WHERE id = ? AND status = ?`).run(outcome.until?.toString() ?? null, id, from);
      return;
    }
    const charged = outcome.status === 'refused' && outcome.charged ? 1 : 0;
    this.db.prepare(`UPDATE requests SET status = ?, refusal = ?, charged = ? WHERE id = ? AND status = ?`).run(outcome.status, JSON.stringify(outcome.refusal), charged, id, from);
  }

  recordBatch(entry: Omit<NewJournalEntry, 'wallet' | 'consentNonce' | 'digest' | 'policyId' | 'investorTag'>, requestIds: string[]): JournalEntry {
    const insert = this.db.transaction(() => {
      // A batch row has no wallet of its own ('batch', never an address): its relayer nonce keeps it unique among live rows.
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO registrations (kind, wallet, consent_nonce, digest, policy_id, status, tx_hash, raw_tx, relayer_nonce, max_cost_wei, created_at, deadline)
           VALUES ('batch', 'batch', ?, ?, '0', 'sent', ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          String(entry.relayerNonce),
          entry.txHash.toLowerCase(),
          entry.txHash.toLowerCase(),
          entry.rawTx,
          entry.relayerNonce,
          entry.maxCostWei.toString(),
          entry.createdAt,
          entry.deadline?.toString() ?? null,
        );
      const batchId = Number(lastInsertRowid);
      const mark = this.db.prepare(`UPDATE requests SET status = 'submitted', batch_id = ? WHERE id = ? AND status = 'queued'`);
      for (const id of requestIds) {
        if (mark.run(batchId, id).changes !== 1) throw new Error(`request ${id} is no longer queued: not put in a batch`);
      }
      return batchId;
    });
    const id = insert();
    return fromRow(this.db.prepare('SELECT * FROM registrations WHERE id = ?').get(id) as Row);
  }

  close(): void {
    this.db.close();
  }
}
