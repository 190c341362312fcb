import { randomBytes } from 'node:crypto';
import type { CaseStatus, CaseSummary, ChainEvent, RuleHit, WalletInvestor } from '../model.js';
import type { SqlDatabase, SqlRunner } from './sql-database.js';
import type { InstanceLock } from './instance-lock.js';

/**
 * The monitor's store: one class over the SQL seam (sql-database.ts), so SQLite and Postgres run
 * the same queries. A `StoreSession` reads and writes through one runner; `MonitorStore` is the
 * session on the whole database and opens transactions, each handing `fn` a session bound to it.
 * Whatever a batch's consumers write through that session commits, or not, with the batch.
 */

/** The indexer's position on one chain: the last final block it finished. */
export interface Cursor {
  chainId: number;
  blockNumber: number;
  blockHash: string;
}

export interface IndexedBlock {
  number: number;
  hash: string;
  /** Unix seconds. */
  time: number;
}

export interface EventQuery {
  chainId?: number;
  /** Emitting contract (lower-case). */
  address?: string;
  /** Events naming this wallet in any address argument. */
  wallet?: string;
  names?: string[];
  fromBlock?: number;
  toBlock?: number;
  /** Newest first when true (the HTTP view); oldest first otherwise (rules). */
  newestFirst?: boolean;
  limit?: number;
}

/** A wallet's registration under a gate policy, as the indexer last saw it. */
export interface WalletRegistration extends WalletInvestor {
  policyId: string;
  status: 'verified' | 'revoked';
  /** Block time of the event that set it (unix seconds). */
  at: number;
}

export interface StoredRuleHit extends RuleHit {
  id: string;
}

export type CaseLogKind = 'opened' | 'note' | 'status' | 'action' | 'hit' | 'withdrawn';

export interface CaseLogEntry {
  id: string;
  at: number;
  kind: CaseLogKind;
  actor: string;
  text: string;
  data: unknown;
}

export interface CaseDetail extends CaseSummary {
  updatedAt: number;
  hits: StoredRuleHit[];
  log: CaseLogEntry[];
}

/** An escrow disclosure an officer attached to a case (routes/disclosure-routes.ts checks it first). */
export interface CaseDisclosure {
  id: string;
  caseId: string;
  chainId: number;
  policyId: string;
  /** The registration the disclosure opened: the gate's `EscrowCiphertext` at this transaction and log index. */
  registrationTx: string;
  registrationLogIndex: number;
  /** The case wallet that registration verified. */
  wallet: string;
  /** The issuer's id for the disclosure, and the disclosure log request it answered. */
  issuerDisclosureId: string;
  requestId: string;
  /** The issuer's record: the person, the credential's attributes, the credential. Personal data. */
  record: Record<string, unknown>;
  attachedBy: string;
  /** Unix seconds. */
  attachedAt: number;
}

export interface RiskScore {
  subject: string;
  /** The score now, decayed from `raw` since `updatedAt`. */
  score: number;
  raw: number;
  /** Unix seconds of the last addition. */
  updatedAt: number;
  halfLifeDays: number;
}

export interface AuditEntry {
  id: string;
  at: number;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  detail: unknown;
}

/** 2^192 − 1: the gate's TAG_MASK (ComplianceGate.sol) — an investor tag is the nullifier's low 192 bits. */
export const TAG_MASK = (1n << 192n) - 1n;

/** The gate's investor tag for a nullifier or investor value (decimal or 0x): 0x + 48 lower-case hex. */
export function investorTagOf(value: string | bigint): string {
  return '0x' + (BigInt(value) & TAG_MASK).toString(16).padStart(48, '0');
}

/** A raw score `raw` set at `updatedAt`, halved every `halfLifeDays`, as of `now` (unix seconds). */
export function decayedScore(raw: number, updatedAt: number, now: number, halfLifeDays: number): number {
  const elapsed = Math.max(0, now - updatedAt);
  return raw * Math.pow(0.5, elapsed / (halfLifeDays * 86_400));
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

let idCounter = 0;
/** Ids that sort by creation time (ms, then a counter), with random bits so they cannot be guessed. */
export function newId(prefix: string): string {
  idCounter = (idCounter + 1) % 0x10000;
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${idCounter.toString(36).padStart(4, '0')}${randomBytes(6).toString('hex')}`;
}

interface EventRow {
  chain_id: number;
  tx_hash: string;
  log_index: number;
  block_number: number;
  block_hash: string;
  block_time: number;
  address: string;
  source: ChainEvent['source'];
  name: string;
  args_json: string;
}

function eventFromRow(r: EventRow): ChainEvent {
  return {
    chainId: Number(r.chain_id),
    txHash: r.tx_hash,
    logIndex: Number(r.log_index),
    blockNumber: Number(r.block_number),
    blockHash: r.block_hash,
    blockTime: Number(r.block_time),
    address: r.address,
    source: r.source,
    name: r.name,
    args: JSON.parse(r.args_json) as Record<string, string>,
  };
}

/** What a rewind removed: counts, and each withdrawn hit with the case that held it (null: none). */
export interface RewindResult {
  events: number;
  hits: number;
  withdrawn: Array<{ hit: StoredRuleHit; caseId: string | null }>;
}

interface HitRow {
  id: string;
  token: string;
  rule_id: string;
  rules_version: string;
  investor_tag: string | null;
  wallets_json: string;
  severity: RuleHit['severity'];
  score: number;
  summary: string;
  evidence_json: string;
  at: number;
}

function hitFromRow(r: HitRow): StoredRuleHit {
  return {
    id: r.id,
    ruleId: r.rule_id,
    rulesVersion: r.rules_version,
    token: r.token,
    subject: { investorTag: r.investor_tag, wallets: JSON.parse(r.wallets_json) as string[] },
    severity: r.severity,
    score: Number(r.score),
    summary: r.summary,
    evidence: JSON.parse(r.evidence_json) as RuleHit['evidence'],
    at: Number(r.at),
  };
}

interface CaseRow {
  id: string;
  token: string;
  investor_tag: string | null;
  wallets_json: string;
  status: CaseStatus;
  opened_at: number;
  updated_at: number;
}

const ADDRESS = /^0x[0-9a-f]{40}$/;

/** Names of the address arguments of an event (they go to event_wallets); the zero address is skipped. */
function walletArgs(event: ChainEvent): [string, string][] {
  return Object.entries(event.args).filter(([, v]) => ADDRESS.test(v) && v !== '0x0000000000000000000000000000000000000000');
}

export class StoreSession {
  constructor(
    protected readonly sql: SqlRunner,
    /** Half-life of risk scores, days. */
    readonly riskHalfLifeDays = 30,
  ) {}

  // ─── indexer state ─────────────────────────────────────────────────────────────────────

  async cursor(chainId: number): Promise<Cursor | null> {
    const rows = await this.sql.all<{ block_number: number; block_hash: string }>('SELECT block_number, block_hash FROM chain_cursor WHERE chain_id = ?', [chainId]);
    return rows[0] ? { chainId, blockNumber: Number(rows[0].block_number), blockHash: rows[0].block_hash } : null;
  }

  /** Stored block hashes at or below `atOrBelow`, newest first. */
  async indexedBlocks(chainId: number, atOrBelow: number, limit = 64): Promise<IndexedBlock[]> {
    const rows = await this.sql.all<{ block_number: number; block_hash: string; block_time: number }>(
      'SELECT block_number, block_hash, block_time FROM chain_blocks WHERE chain_id = ? AND block_number <= ? ORDER BY block_number DESC LIMIT ?',
      [chainId, atOrBelow, limit],
    );
    return rows.map((r) => ({ number: Number(r.block_number), hash: r.block_hash, time: Number(r.block_time) }));
  }

  /**
   * Writes one indexed batch: its events (each once — a repeat of a stored event is ignored), the
   * wallets they name, the wallet→investor map, the hashes of `blocks`, and the cursor moved to
   * `cursor`. Call it inside a transaction (the indexer does), so the cursor never runs ahead of the
   * events nor behind them.
   */
  async writeBatch(chainId: number, events: ChainEvent[], blocks: IndexedBlock[], cursor: Cursor): Promise<number> {
    let inserted = 0;
    for (const e of events) {
      const n = await this.sql.run(
        `INSERT INTO chain_events (chain_id, tx_hash, log_index, block_number, block_hash, block_time, address, source, name, args_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chain_id, tx_hash, log_index) DO NOTHING`,
        [chainId, e.txHash, e.logIndex, e.blockNumber, e.blockHash, e.blockTime, e.address, e.source, e.name, JSON.stringify(e.args)],
      );
      if (n === 0) continue;
      inserted++;
      for (const [arg, wallet] of walletArgs(e)) {
        await this.sql.run('INSERT INTO event_wallets (chain_id, tx_hash, log_index, arg, wallet, block_number) VALUES (?, ?, ?, ?, ?, ?)', [
          chainId,
          e.txHash,
          e.logIndex,
          arg,
          wallet,
          e.blockNumber,
        ]);
      }
      if (e.source === 'gate' && (e.name === 'WalletVerified' || e.name === 'WalletRevoked')) await this.applyRegistration(chainId, e);
    }
    for (const b of blocks) {
      await this.sql.run(
        `INSERT INTO chain_blocks (chain_id, block_number, block_hash, block_time) VALUES (?, ?, ?, ?)
         ON CONFLICT (chain_id, block_number) DO UPDATE SET block_hash = excluded.block_hash, block_time = excluded.block_time`,
        [chainId, b.number, b.hash, b.time],
      );
    }
    await this.sql.run(
      `INSERT INTO chain_cursor (chain_id, block_number, block_hash, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (chain_id) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash, updated_at = excluded.updated_at`,
      [chainId, cursor.blockNumber, cursor.blockHash, nowSeconds()],
    );
    return inserted;
  }

  private async applyRegistration(chainId: number, e: ChainEvent): Promise<void> {
    const verified = e.name === 'WalletVerified';
    const tag = investorTagOf(verified ? e.args.nullifier : e.args.investor);
    await this.sql.run(
      `INSERT INTO wallet_investors (chain_id, policy_id, wallet, investor_tag, status, block_number, log_index, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (chain_id, policy_id, wallet) DO UPDATE SET investor_tag = excluded.investor_tag, status = excluded.status,
         block_number = excluded.block_number, log_index = excluded.log_index, at = excluded.at`,
      [chainId, e.args.policyId, e.args.wallet, tag, verified ? 'verified' : 'revoked', e.blockNumber, e.logIndex, e.blockTime],
    );
  }

  /**
   * Undoes everything indexed above block `fork` (a reorg replaced those blocks): events, their
   * wallets, block hashes and the rule hits they completed go; wallet registrations set above the
   * fork are recomputed from the events that stay; the cursor moves to `fork`. Cases stay (an
   * officer may have acted on them), with a `withdrawn` log line for each hit removed; the removed
   * hits come back in `withdrawn` (with the case holding each, if any) so that a consumer can find
   * what it did on their basis. Call it in a transaction.
   */
  async rewindTo(chainId: number, fork: Cursor): Promise<RewindResult> {
    const hits = await this.sql.all<HitRow & { case_id: string | null }>(
      'SELECT h.*, c.case_id FROM rule_hits h LEFT JOIN case_hits c ON c.hit_id = h.id WHERE h.chain_id = ? AND h.block_number > ? ORDER BY h.block_number, h.id',
      [chainId, fork.blockNumber],
    );
    for (const h of hits) {
      if (h.case_id) await this.appendCaseLog(h.case_id, 'withdrawn', 'indexer', `hit ${h.id} (${h.rule_id}) withdrawn: its events were reorganised away`, { hitId: h.id });
    }
    await this.sql.run('DELETE FROM rule_hits WHERE chain_id = ? AND block_number > ?', [chainId, fork.blockNumber]);
    const touched = await this.sql.all<{ policy_id: string; wallet: string }>('SELECT policy_id, wallet FROM wallet_investors WHERE chain_id = ? AND block_number > ?', [chainId, fork.blockNumber]);
    const events = await this.sql.run('DELETE FROM chain_events WHERE chain_id = ? AND block_number > ?', [chainId, fork.blockNumber]);
    // Foreign keys cascade on both backends; deleting explicitly keeps SQLite files opened without them right too.
    await this.sql.run('DELETE FROM event_wallets WHERE chain_id = ? AND block_number > ?', [chainId, fork.blockNumber]);
    await this.sql.run('DELETE FROM chain_blocks WHERE chain_id = ? AND block_number > ?', [chainId, fork.blockNumber]);
    await this.sql.run('DELETE FROM wallet_investors WHERE chain_id = ? AND block_number > ?', [chainId, fork.blockNumber]);
    await this.sql.run('DELETE FROM state_checkpoints WHERE block_number > ?', [fork.blockNumber]);
    for (const t of touched) {
      const last = await this.events({ chainId, wallet: t.wallet, names: ['WalletVerified', 'WalletRevoked'], newestFirst: true, limit: 1000 });
      const latest = last.find((e) => e.source === 'gate' && e.args.policyId === t.policy_id && e.args.wallet === t.wallet);
      if (latest) await this.applyRegistration(chainId, latest);
    }
    await this.sql.run(
      `INSERT INTO chain_cursor (chain_id, block_number, block_hash, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (chain_id) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash, updated_at = excluded.updated_at`,
      [chainId, fork.blockNumber, fork.blockHash, nowSeconds()],
    );
    await this.audit('indexer', 'reorg-rewind', 'chain', String(chainId), { forkBlock: fork.blockNumber, eventsRemoved: events, hitsRemoved: hits.length });
    return { events, hits: hits.length, withdrawn: hits.map((h) => ({ hit: hitFromRow(h), caseId: h.case_id })) };
  }

  /**
   * Forgets the hashes of blocks below `below` (reorg detection needs only the recent ones). A
   * reorg deeper than what is kept rewinds to the start block and re-reads everything: correct, slow.
   */
  async pruneBlocks(chainId: number, below: number): Promise<number> {
    // The newest checkpoint below `below` stays: a rewind to the oldest kept block starts from it.
    await this.sql.run('DELETE FROM state_checkpoints WHERE block_number < (SELECT MAX(s.block_number) FROM state_checkpoints s WHERE s.key = state_checkpoints.key AND s.block_number < ?)', [below]);
    return this.sql.run('DELETE FROM chain_blocks WHERE chain_id = ? AND block_number < ?', [chainId, below]);
  }

  /**
   * The retention purge: deletes events whose block time is before `cutoff` (unix seconds), rule
   * hits before it that no case holds, and closed cases last touched before it (with their hits and
   * log). Open and escalated cases, and the hits they hold, are kept however old; so are the
   * wallet→investor map, risk scores and the audit trail (which records the purge). State
   * checkpoints below the newest purged event's block go too: rebuilding from one would need the
   * purged events. Run it in a transaction (`store.transaction((tx) => tx.purgeBefore(…))`), so a
   * crash leaves neither events without their checkpoint nor the reverse.
   */
  async purgeBefore(cutoff: number, actor = 'retention'): Promise<{ events: number; hits: number; cases: number }> {
    const oldCases = await this.sql.all<{ id: string }>("SELECT id FROM cases WHERE status = 'closed' AND updated_at < ?", [cutoff]);
    for (const c of oldCases) {
      await this.sql.run('DELETE FROM case_disclosures WHERE case_id = ?', [c.id]);
      await this.sql.run('DELETE FROM case_log WHERE case_id = ?', [c.id]);
      await this.sql.run('DELETE FROM case_hits WHERE case_id = ?', [c.id]);
      await this.sql.run('DELETE FROM cases WHERE id = ?', [c.id]);
    }
    const hits = await this.sql.run('DELETE FROM rule_hits WHERE at < ? AND NOT EXISTS (SELECT 1 FROM case_hits c WHERE c.hit_id = rule_hits.id)', [cutoff]);
    await this.sql.run(
      'DELETE FROM event_wallets WHERE EXISTS (SELECT 1 FROM chain_events e WHERE e.chain_id = event_wallets.chain_id AND e.tx_hash = event_wallets.tx_hash AND e.log_index = event_wallets.log_index AND e.block_time < ?)',
      [cutoff],
    );
    const newest = await this.sql.all<{ b: number | null }>('SELECT MAX(block_number) AS b FROM chain_events WHERE block_time < ?', [cutoff]);
    if (newest[0]?.b !== null && newest[0]?.b !== undefined) await this.sql.run('DELETE FROM state_checkpoints WHERE block_number < ?', [Number(newest[0].b)]);
    const events = await this.sql.run('DELETE FROM chain_events WHERE block_time < ?', [cutoff]);
    const result = { events, hits, cases: oldCases.length };
    if (events + hits + oldCases.length > 0) await this.audit(actor, 'retention-purge', 'store', 'all', { cutoff, ...result });
    return result;
  }

  // ─── events and wallets ────────────────────────────────────────────────────────────────

  /** Indexed events matching `q`, in chain order (or newest first), at most `limit` (default 100, max 10 000). */
  async events(q: EventQuery = {}): Promise<ChainEvent[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.chainId !== undefined) {
      where.push('e.chain_id = ?');
      params.push(q.chainId);
    }
    if (q.address) {
      where.push('e.address = ?');
      params.push(q.address.toLowerCase());
    }
    if (q.wallet) {
      where.push('EXISTS (SELECT 1 FROM event_wallets w WHERE w.chain_id = e.chain_id AND w.tx_hash = e.tx_hash AND w.log_index = e.log_index AND w.wallet = ?)');
      params.push(q.wallet.toLowerCase());
    }
    if (q.names && q.names.length > 0) {
      where.push(`e.name IN (${q.names.map(() => '?').join(', ')})`);
      params.push(...q.names);
    }
    if (q.fromBlock !== undefined) {
      where.push('e.block_number >= ?');
      params.push(q.fromBlock);
    }
    if (q.toBlock !== undefined) {
      where.push('e.block_number <= ?');
      params.push(q.toBlock);
    }
    const order = q.newestFirst ? 'DESC' : 'ASC';
    params.push(Math.min(Math.max(q.limit ?? 100, 1), 10_000));
    const rows = await this.sql.all<EventRow>(
      `SELECT e.* FROM chain_events e ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY e.block_number ${order}, e.log_index ${order} LIMIT ?`,
      params,
    );
    return rows.map(eventFromRow);
  }

  async eventCount(chainId?: number): Promise<number> {
    const rows = await this.sql.all<{ n: number }>(
      chainId === undefined ? 'SELECT COUNT(*) AS n FROM chain_events' : 'SELECT COUNT(*) AS n FROM chain_events WHERE chain_id = ?',
      chainId === undefined ? [] : [chainId],
    );
    return Number(rows[0].n);
  }

  /**
   * The gate policy `token` checks transfers against, from its newest indexed `PolicyIdChanged`
   * (the constructor emits one); null when none was indexed (the indexer started later).
   */
  async tokenPolicyId(token: string): Promise<string | null> {
    const [e] = await this.events({ address: token.toLowerCase(), names: ['PolicyIdChanged'], newestFirst: true, limit: 1 });
    return e ? e.args.current : null;
  }

  /** The wallet's registrations (one per gate policy it was ever verified under), newest first. */
  async registrationsOf(wallet: string): Promise<WalletRegistration[]> {
    const rows = await this.sql.all<{ policy_id: string; wallet: string; investor_tag: string; status: 'verified' | 'revoked'; at: number }>(
      'SELECT policy_id, wallet, investor_tag, status, at FROM wallet_investors WHERE wallet = ? ORDER BY block_number DESC, log_index DESC',
      [wallet.toLowerCase()],
    );
    return rows.map((r) => ({ wallet: r.wallet, investorTag: r.investor_tag, policyId: r.policy_id, status: r.status, at: Number(r.at) }));
  }

  /**
   * The investor behind `wallet` under `policyId` (the token's policy) — or under any policy, the
   * newest, when `policyId` is omitted; `investorTag: null` for a wallet never registered.
   */
  async investorOf(wallet: string, policyId?: string): Promise<WalletInvestor> {
    const regs = await this.registrationsOf(wallet);
    const reg = policyId === undefined ? regs[0] : regs.find((r) => r.policyId === policyId);
    return { wallet: wallet.toLowerCase(), investorTag: reg?.investorTag ?? null };
  }

  /** Every wallet ever registered to the investor `tag` (all policies unless one is given). */
  async walletsOf(tag: string, policyId?: string): Promise<WalletRegistration[]> {
    const rows = await this.sql.all<{ policy_id: string; wallet: string; investor_tag: string; status: 'verified' | 'revoked'; at: number }>(
      `SELECT policy_id, wallet, investor_tag, status, at FROM wallet_investors WHERE investor_tag = ?${policyId === undefined ? '' : ' AND policy_id = ?'}
       ORDER BY block_number, log_index`,
      policyId === undefined ? [tag.toLowerCase()] : [tag.toLowerCase(), policyId],
    );
    return rows.map((r) => ({ wallet: r.wallet, investorTag: r.investor_tag, policyId: r.policy_id, status: r.status, at: Number(r.at) }));
  }

  // ─── rule hits, risk scores ────────────────────────────────────────────────────────────

  /** Stores a hit; `blockNumber` is the block of the event that completed it (a reorg below withdraws it). */
  async insertRuleHit(hit: RuleHit, chainId: number, blockNumber: number): Promise<string> {
    const id = newId('hit');
    await this.sql.run(
      `INSERT INTO rule_hits (id, chain_id, token, rule_id, rules_version, investor_tag, wallets_json, severity, score, summary, evidence_json, at, block_number, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        chainId,
        hit.token,
        hit.ruleId,
        hit.rulesVersion,
        hit.subject.investorTag,
        JSON.stringify(hit.subject.wallets),
        hit.severity,
        hit.score,
        hit.summary,
        JSON.stringify(hit.evidence),
        hit.at,
        blockNumber,
        nowSeconds(),
      ],
    );
    return id;
  }

  async ruleHits(filter: { investorTag?: string; caseId?: string; limit?: number } = {}): Promise<StoredRuleHit[]> {
    const limit = Math.min(Math.max(filter.limit ?? 500, 1), 10_000);
    if (filter.caseId !== undefined) {
      const rows = await this.sql.all<HitRow>('SELECT h.* FROM rule_hits h JOIN case_hits c ON c.hit_id = h.id WHERE c.case_id = ? ORDER BY h.at, h.id LIMIT ?', [filter.caseId, limit]);
      return rows.map(hitFromRow);
    }
    const rows = await this.sql.all<HitRow>(
      filter.investorTag === undefined ? 'SELECT * FROM rule_hits ORDER BY at, id LIMIT ?' : 'SELECT * FROM rule_hits WHERE investor_tag = ? ORDER BY at, id LIMIT ?',
      filter.investorTag === undefined ? [limit] : [filter.investorTag, limit],
    );
    return rows.map(hitFromRow);
  }

  /**
   * Adds `points` to `subject`'s score at time `at` (unix seconds): the stored score is decayed to
   * `at` first, then raised, and `at` becomes its time. Returns the new raw score.
   */
  async addRiskScore(subject: string, points: number, at: number): Promise<number> {
    const current = await this.riskScore(subject, at);
    const raw = (current?.score ?? 0) + points;
    const updatedAt = Math.max(at, current?.updatedAt ?? 0);
    await this.sql.run(
      `INSERT INTO risk_scores (subject, score, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (subject) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at`,
      [subject.toLowerCase(), raw, updatedAt],
    );
    return raw;
  }

  /** `subject`'s score as of `now` (unix seconds), decayed with the store's half-life; null if it never scored. */
  async riskScore(subject: string, now: number): Promise<RiskScore | null> {
    const rows = await this.sql.all<{ score: number; updated_at: number }>('SELECT score, updated_at FROM risk_scores WHERE subject = ?', [subject.toLowerCase()]);
    if (!rows[0]) return null;
    const raw = Number(rows[0].score);
    const updatedAt = Number(rows[0].updated_at);
    return { subject: subject.toLowerCase(), raw, updatedAt, score: decayedScore(raw, updatedAt, now, this.riskHalfLifeDays), halfLifeDays: this.riskHalfLifeDays };
  }

  // ─── cases ─────────────────────────────────────────────────────────────────────────────

  /** Opens a case about `subject`, with the hits that opened it; `at` in unix seconds. */
  async openCase(input: { token: string; subject: { investorTag: string | null; wallets: string[] }; at: number; actor: string; hitIds?: string[]; reason?: string }): Promise<string> {
    const id = newId('case');
    await this.sql.run('INSERT INTO cases (id, token, investor_tag, wallets_json, status, opened_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      id,
      input.token,
      input.subject.investorTag,
      JSON.stringify(input.subject.wallets),
      'open',
      input.at,
      input.at,
    ]);
    await this.appendCaseLog(id, 'opened', input.actor, input.reason ?? 'case opened');
    for (const hitId of input.hitIds ?? []) await this.addHitToCase(id, hitId, input.actor);
    await this.audit(input.actor, 'case-opened', 'case', id, { subject: input.subject });
    return id;
  }

  /** The newest case about the investor (or, without a tag, the wallet) that is not closed. */
  async openCaseFor(subject: { investorTag: string | null; wallets: string[] }): Promise<string | null> {
    const rows =
      subject.investorTag !== null
        ? await this.sql.all<{ id: string }>("SELECT id FROM cases WHERE investor_tag = ? AND status <> 'closed' ORDER BY opened_at DESC, id DESC LIMIT 1", [subject.investorTag])
        : await this.sql.all<{ id: string }>("SELECT id FROM cases WHERE investor_tag IS NULL AND wallets_json = ? AND status <> 'closed' ORDER BY opened_at DESC, id DESC LIMIT 1", [
            JSON.stringify(subject.wallets),
          ]);
    return rows[0]?.id ?? null;
  }

  async addHitToCase(caseId: string, hitId: string, actor: string): Promise<void> {
    const n = await this.sql.run('INSERT INTO case_hits (case_id, hit_id) VALUES (?, ?) ON CONFLICT (case_id, hit_id) DO NOTHING', [caseId, hitId]);
    if (n > 0) await this.appendCaseLog(caseId, 'hit', actor, `rule hit ${hitId} added`, { hitId });
  }

  async appendCaseLog(caseId: string, kind: CaseLogKind, actor: string, text: string, data?: unknown): Promise<string> {
    const id = newId('log');
    const at = nowSeconds();
    await this.sql.run('INSERT INTO case_log (id, case_id, at, kind, actor, text, data_json) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      id,
      caseId,
      at,
      kind,
      actor,
      text,
      data === undefined ? null : JSON.stringify(data),
    ]);
    await this.sql.run('UPDATE cases SET updated_at = ? WHERE id = ?', [at, caseId]);
    return id;
  }

  /** Sets a case's status, logging who and why (and auditing it). Returns false for an unknown case. */
  async setCaseStatus(caseId: string, status: CaseStatus, actor: string, reason: string): Promise<boolean> {
    const rows = await this.sql.all<{ status: CaseStatus }>('SELECT status FROM cases WHERE id = ?', [caseId]);
    if (!rows[0]) return false;
    await this.sql.run('UPDATE cases SET status = ? WHERE id = ?', [status, caseId]);
    await this.appendCaseLog(caseId, 'status', actor, reason, { from: rows[0].status, to: status });
    await this.audit(actor, 'case-status', 'case', caseId, { from: rows[0].status, to: status, reason });
    return true;
  }

  async listCases(filter: { status?: CaseStatus; investorTag?: string; limit?: number } = {}): Promise<CaseSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.investorTag) {
      where.push('investor_tag = ?');
      params.push(filter.investorTag.toLowerCase());
    }
    params.push(Math.min(Math.max(filter.limit ?? 100, 1), 1000));
    const rows = await this.sql.all<CaseRow>(`SELECT * FROM cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC, id DESC LIMIT ?`, params);
    return Promise.all(rows.map((r) => this.summarise(r)));
  }

  async getCase(id: string): Promise<CaseDetail | null> {
    const rows = await this.sql.all<CaseRow>('SELECT * FROM cases WHERE id = ?', [id]);
    if (!rows[0]) return null;
    const summary = await this.summarise(rows[0]);
    const log = await this.sql.all<{ id: string; at: number; kind: CaseLogKind; actor: string; text: string; data_json: string | null }>(
      'SELECT id, at, kind, actor, text, data_json FROM case_log WHERE case_id = ? ORDER BY id',
      [id],
    );
    return {
      ...summary,
      updatedAt: Number(rows[0].updated_at),
      hits: await this.ruleHits({ caseId: id }),
      log: log.map((l) => ({ id: l.id, at: Number(l.at), kind: l.kind, actor: l.actor, text: l.text, data: l.data_json === null ? null : JSON.parse(l.data_json) })),
    };
  }

  /**
   * Attaches a disclosure to a case, logging it (without the personal data) and auditing it.
   * Attaching the issuer's same disclosure to the same case again changes nothing and returns the
   * first attachment's id.
   */
  async attachDisclosure(d: Omit<CaseDisclosure, 'id' | 'attachedAt'>, at = nowSeconds()): Promise<{ id: string; created: boolean }> {
    const existing = await this.sql.all<{ id: string }>('SELECT id FROM case_disclosures WHERE case_id = ? AND issuer_disclosure_id = ?', [d.caseId, d.issuerDisclosureId]);
    if (existing[0]) return { id: existing[0].id, created: false };
    const id = newId('disc');
    await this.sql.run(
      `INSERT INTO case_disclosures (id, case_id, chain_id, policy_id, registration_tx, registration_log_index, wallet, issuer_disclosure_id, request_id, record_json, attached_by, attached_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        d.caseId,
        d.chainId,
        d.policyId,
        d.registrationTx.toLowerCase(),
        d.registrationLogIndex,
        d.wallet.toLowerCase(),
        d.issuerDisclosureId,
        d.requestId,
        JSON.stringify(d.record),
        d.attachedBy,
        at,
      ],
    );
    const summary = { disclosureId: id, issuerDisclosureId: d.issuerDisclosureId, requestId: d.requestId, wallet: d.wallet.toLowerCase(), registrationTx: d.registrationTx.toLowerCase() };
    await this.appendCaseLog(d.caseId, 'note', d.attachedBy, `escrow disclosure ${d.issuerDisclosureId} attached (wallet ${d.wallet.toLowerCase()})`, summary);
    await this.audit(d.attachedBy, 'case-disclosure-attached', 'case', d.caseId, summary);
    return { id, created: true };
  }

  /** A case's attached disclosures, newest first. */
  async caseDisclosures(caseId: string): Promise<CaseDisclosure[]> {
    const rows = await this.sql.all<{
      id: string;
      case_id: string;
      chain_id: number;
      policy_id: string;
      registration_tx: string;
      registration_log_index: number;
      wallet: string;
      issuer_disclosure_id: string;
      request_id: string;
      record_json: string;
      attached_by: string;
      attached_at: number;
    }>('SELECT * FROM case_disclosures WHERE case_id = ? ORDER BY attached_at DESC, id DESC', [caseId]);
    return rows.map((r) => ({
      id: r.id,
      caseId: r.case_id,
      chainId: Number(r.chain_id),
      policyId: r.policy_id,
      registrationTx: r.registration_tx,
      registrationLogIndex: Number(r.registration_log_index),
      wallet: r.wallet,
      issuerDisclosureId: r.issuer_disclosure_id,
      requestId: r.request_id,
      record: JSON.parse(r.record_json) as Record<string, unknown>,
      attachedBy: r.attached_by,
      attachedAt: Number(r.attached_at),
    }));
  }

  /** The indexed event at a transaction and log index, or null. */
  async eventAt(chainId: number, txHash: string, logIndex: number): Promise<ChainEvent | null> {
    const rows = await this.sql.all<EventRow>('SELECT * FROM chain_events WHERE chain_id = ? AND tx_hash = ? AND log_index = ?', [chainId, txHash.toLowerCase(), logIndex]);
    return rows[0] ? eventFromRow(rows[0]) : null;
  }

  private async summarise(r: CaseRow): Promise<CaseSummary> {
    const hits = await this.sql.all<{ rule_id: string; score: number }>('SELECT h.rule_id, h.score FROM rule_hits h JOIN case_hits c ON c.hit_id = h.id WHERE c.case_id = ? ORDER BY h.at', [r.id]);
    return {
      id: r.id,
      token: r.token,
      subject: { investorTag: r.investor_tag, wallets: JSON.parse(r.wallets_json) as string[] },
      status: r.status,
      openedAt: Number(r.opened_at),
      rules: [...new Set(hits.map((h) => h.rule_id))],
      score: hits.reduce((sum, h) => sum + Number(h.score), 0),
    };
  }

  // ─── consumers' state ─────────────────────────────────────────────────────────────────

  /**
   * Saves a consumer's state (JSON-able) under `key`, as of `blockNumber`. Written through a batch's
   * `tx`, it commits with the batch, so after a crash it is exactly the state as of the cursor.
   */
  async saveState(key: string, value: unknown, blockNumber: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO monitor_state (key, value_json, block_number, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, block_number = excluded.block_number, updated_at = excluded.updated_at`,
      [key, JSON.stringify(value), blockNumber, nowSeconds()],
    );
  }

  /**
   * Keeps `value` as `key`'s state at the end of block `blockNumber` (a batch's last block), for
   * rebuilding after a reorg (loadCheckpoint). Call it in the batch's transaction.
   */
  async saveCheckpoint(key: string, blockNumber: number, value: unknown): Promise<void> {
    await this.sql.run(
      `INSERT INTO state_checkpoints (key, block_number, value_json) VALUES (?, ?, ?)
       ON CONFLICT (key, block_number) DO UPDATE SET value_json = excluded.value_json`,
      [key, blockNumber, JSON.stringify(value)],
    );
  }

  /** `key`'s newest checkpoint at or below `blockNumber`; null when none is kept. */
  async loadCheckpoint<T>(key: string, blockNumber: number): Promise<{ value: T; blockNumber: number } | null> {
    const rows = await this.sql.all<{ value_json: string; block_number: number }>(
      'SELECT value_json, block_number FROM state_checkpoints WHERE key = ? AND block_number <= ? ORDER BY block_number DESC LIMIT 1',
      [key, blockNumber],
    );
    return rows[0] ? { value: JSON.parse(rows[0].value_json) as T, blockNumber: Number(rows[0].block_number) } : null;
  }

  /** The oldest stored event's block on `chainId`; null when none is stored. */
  async oldestEventBlock(chainId: number): Promise<number | null> {
    const rows = await this.sql.all<{ b: number | null }>('SELECT MIN(block_number) AS b FROM chain_events WHERE chain_id = ?', [chainId]);
    return rows[0]?.b === null || rows[0]?.b === undefined ? null : Number(rows[0].b);
  }

  /** Every saved state whose key starts with `prefix` and whose block is above `aboveBlock`, in key order. */
  async statesAbove<T>(prefix: string, aboveBlock: number): Promise<Array<{ key: string; value: T; blockNumber: number }>> {
    const rows = await this.sql.all<{ key: string; value_json: string; block_number: number }>(
      'SELECT key, value_json, block_number FROM monitor_state WHERE substr(key, 1, ?) = ? AND block_number > ? ORDER BY key',
      [prefix.length, prefix, aboveBlock],
    );
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value_json) as T, blockNumber: Number(r.block_number) }));
  }

  /** A consumer's saved state and the block it is as of; null if never saved. */
  async loadState<T>(key: string): Promise<{ value: T; blockNumber: number } | null> {
    const rows = await this.sql.all<{ value_json: string; block_number: number }>('SELECT value_json, block_number FROM monitor_state WHERE key = ?', [key]);
    return rows[0] ? { value: JSON.parse(rows[0].value_json) as T, blockNumber: Number(rows[0].block_number) } : null;
  }

  // ─── audit trail ───────────────────────────────────────────────────────────────────────

  async audit(actor: string, action: string, subjectType: string, subjectId: string, detail?: unknown): Promise<void> {
    await this.sql.run('INSERT INTO audit_log (id, at, actor, action, subject_type, subject_id, detail_json) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      newId('audit'),
      nowSeconds(),
      actor,
      action,
      subjectType,
      subjectId,
      detail === undefined ? null : JSON.stringify(detail),
    ]);
  }

  async auditTrail(filter: { subjectType?: string; subjectId?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.subjectType) {
      where.push('subject_type = ?');
      params.push(filter.subjectType);
    }
    if (filter.subjectId) {
      where.push('subject_id = ?');
      params.push(filter.subjectId);
    }
    params.push(Math.min(Math.max(filter.limit ?? 100, 1), 10_000));
    const rows = await this.sql.all<{ id: string; at: number; actor: string; action: string; subject_type: string; subject_id: string; detail_json: string | null }>(
      `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      at: Number(r.at),
      actor: r.actor,
      action: r.action,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      detail: r.detail_json === null ? null : JSON.parse(r.detail_json),
    }));
  }
}

/** The store on the whole database: reads and writes, and transactions whose sessions commit together. */
export class MonitorStore extends StoreSession {
  constructor(
    private readonly db: SqlDatabase,
    private readonly lock: InstanceLock | null = null,
    riskHalfLifeDays = 30,
  ) {
    super(db, riskHalfLifeDays);
  }

  get backend(): 'sqlite' | 'postgres' {
    return this.db.dialect;
  }

  /** Runs `fn` in one transaction; everything written through `tx` commits together, or nothing does. */
  transaction<T>(fn: (tx: StoreSession) => Promise<T>): Promise<T> {
    return this.db.transaction((sql) => fn(new StoreSession(sql, this.riskHalfLifeDays)));
  }

  private closed = false;

  /** Closes the database and releases the one-instance lock (again: nothing). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
    await this.lock?.release();
  }
}
