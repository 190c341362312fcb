import type { SqlRunner } from './sql-runner.js';

/**
 * Which root went to which chain (table `root_anchorings`, migration 10): one row per chain and
 * root, written after the root is on that chain (sent by us, or found there already). The
 * publisher compares each chain's latest row with the store's current root, so each chain is
 * written to once per root however many ticks, restarts or publisher hand-overs pass, and a chain
 * that was down catches up on its own.
 */
export interface RootAnchoringRecord {
  chain: string;
  /** Decimal field element. */
  root: string;
  /** Null when the root was found on the chain already (a record a crash lost, another publisher's send). */
  txHash: string | null;
  anchoredAt: number;
}

interface Row {
  chain: string;
  root: string;
  tx_hash: string | null;
  anchored_at: number | string;
}

const fromRow = (r: Row): RootAnchoringRecord => ({ chain: r.chain, root: r.root, txHash: r.tx_hash, anchoredAt: Number(r.anchored_at) });

export class RootAnchoringLog {
  constructor(private readonly sql: SqlRunner) {}

  /** The chain's most recent anchoring, or null if none was recorded. */
  async latest(chain: string): Promise<RootAnchoringRecord | null> {
    const rows = await this.sql.all<Row>('SELECT chain, root, tx_hash, anchored_at FROM root_anchorings WHERE chain = ? ORDER BY anchored_at DESC LIMIT 1', [chain]);
    return rows.length ? fromRow(rows[0]) : null;
  }

  /**
   * Records that `root` is on `chain` now. A root can come back (revoking the newest leaf restores
   * the root before it): a second record of the same pair moves it to now, so `latest()` — ordered by
   * time — returns it again; the earlier transaction hash is kept when this one found it there already.
   */
  async record(entry: RootAnchoringRecord): Promise<void> {
    await this.sql.run(
      `INSERT INTO root_anchorings (chain, root, tx_hash, anchored_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (chain, root) DO UPDATE SET anchored_at = excluded.anchored_at, tx_hash = COALESCE(excluded.tx_hash, root_anchorings.tx_hash)`,
      [entry.chain, entry.root, entry.txHash, entry.anchoredAt],
    );
  }
}
