import type { RootAnchor } from './root-anchor.js';
import type { AuditEventRecord, IssuerStore, RootPublicationRecord } from './store/issuer-store.js';
import type { Actor } from './services/reviewer-auth.js';
import type { Clock } from './services/clock.js';
import type { MerkleTree } from './services/issuer-tree.js';
import type { TreeChunkService } from './services/tree-chunks.js';

export interface PublisherOptions {
  anchor: RootAnchor;
  store: IssuerStore;
  tree: MerkleTree;
  clock: Clock;
  /** Period of the background publication; 0 = only on demand. */
  intervalMs: number;
  /** Attempts per publication before giving up until the next tick or call. */
  attempts?: number;
  /** Delay before the 2nd attempt; doubles after each failure. */
  retryDelayMs?: number;
  log?: (message: string, err?: unknown) => void;
  /**
   * Tree chunks (services/tree-chunks.ts): captured in the same tick the root is read, and served
   * once that root is the latest recorded publication.
   */
  chunks?: Pick<TreeChunkService, 'capture' | 'serve'>;
}

export type PublishOutcome =
  | { status: 'published'; root: bigint; leafCount: number; txHash: string }
  /** The latest recorded publication already has this root. */
  | { status: 'unchanged'; root: bigint; leafCount: number }
  /** Unchanged, but the anchor was told it is still current so it does not go stale. */
  | { status: 'confirmed'; root: bigint; leafCount: number; txHash: string }
  /** The anchor already holds this root (e.g. a publication whose record a crash lost): recorded, not re-sent. */
  | { status: 'already-anchored'; root: bigint; leafCount: number }
  /** Nothing was ever issued: an empty tree is not worth a transaction. */
  | { status: 'empty'; root: bigint; leafCount: 0 };

/** Who the periodic publication acts as in the audit trail. */
export const INTERVAL_PUBLISHER: Actor = { name: 'publisher (interval)', role: 'publisher' };

/** The last attempt's error, after all retries failed. */
export class PublishError extends Error {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

/**
 * Publishes the issuer tree's root through a `RootAnchor`, in batches: issuing and revoking only
 * change the tree; the publisher sends whatever the root is when it runs (every `intervalMs`, or
 * on `publishNow()`), so many changes cost one transaction.
 *
 * Idempotent across restarts: the tree is rebuilt from the store, and before sending, the publisher
 * compares with the last recorded publication and with the anchor itself, so a restart (even one
 * that lost the record of a sent transaction) never publishes the same root twice.
 */
export class RootPublisher {
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: PublisherOptions) {}

  /** Starts the periodic publication (no-op when `intervalMs` is 0). */
  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.publishNow().catch((err) => this.opts.log?.('root publication failed; will retry next tick', err));
    }, this.opts.intervalMs);
    // The timer alone must not keep a finished process alive.
    this.timer.unref();
  }

  /**
   * Publishes the current root unless already anchored. Calls queue behind each other, so a call
   * made after a change always covers that change. `actor` is who asked (a reviewer key through
   * `POST /tree/publish`; the interval otherwise): every outcome that records something — a
   * publication, a root found already anchored, a confirmation — writes its audit event with the
   * record, in the same transaction; `unchanged` and `empty` record nothing.
   */
  publishNow(actor: Actor = INTERVAL_PUBLISHER): Promise<PublishOutcome> {
    const run = this.chain.then(() => this.publishOnce(actor));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** True when the tree has changed since the last recorded publication. */
  async hasUnpublishedChanges(): Promise<boolean> {
    const latest = await this.opts.store.latestRootPublication();
    if (this.opts.tree.size === 0) return false;
    return latest === null || BigInt(latest.root) !== this.opts.tree.root;
  }

  /** Stops the timer and waits for a publication in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.chain;
  }

  private async publishOnce(actor: Actor): Promise<PublishOutcome> {
    const { store, tree, anchor, clock } = this.opts;
    const audit = (at: number, detail: { status: PublishOutcome['status']; root: bigint; leafCount: number; txHash: string | null }): AuditEventRecord => ({
      at,
      actor: actor.name,
      role: actor.role,
      action: 'publish',
      subjectType: 'tree',
      subjectId: null,
      detail: { ...detail, root: detail.root.toString() },
    });
    // Snapshot: the tree may change while the transaction is in flight; we record what we sent.
    const root = tree.root;
    const leafCount = tree.size;
    if (leafCount === 0) return { status: 'empty', root, leafCount: 0 };
    // A copy of what the tree keeps, no hashing; shared with the previous capture when unchanged.
    const captured = this.opts.chunks?.capture() ?? null;
    const serveChunks = () => {
      if (captured) this.opts.chunks!.serve(captured);
    };
    const latest = await store.latestRootPublication();
    if (latest && BigInt(latest.root) === root) {
      const confirmed = anchor.confirmIfAging ? await this.withRetries(() => anchor.confirmIfAging!(root)) : null;
      // The latest publication (e.g. after a restart with no change since): its files are served.
      serveChunks();
      if (!confirmed) return { status: 'unchanged', root, leafCount };
      // A confirmation stores no publication row: its audit event is the only record.
      await store.recordAudit(audit(clock.now(), { status: 'confirmed', root, leafCount, txHash: confirmed.txHash }));
      return { status: 'confirmed', root, leafCount, txHash: confirmed.txHash };
    }

    const anchored = await this.withRetries(() => anchor.currentRoot());
    if (anchored === root) {
      const at = clock.now();
      await store.recordRootPublication({ root: root.toString(), leafCount, txHash: null, publishedAt: at }, audit(at, { status: 'already-anchored', root, leafCount, txHash: null }));
      serveChunks();
      return { status: 'already-anchored', root, leafCount };
    }
    const { txHash } = await this.withRetries(() => anchor.publishRoot(root, leafCount));
    const record: RootPublicationRecord = { root: root.toString(), leafCount, txHash, publishedAt: clock.now() };
    await store.recordRootPublication(record, audit(record.publishedAt, { status: 'published', root, leafCount, txHash }));
    serveChunks();
    return { status: 'published', root, leafCount, txHash };
  }

  private async withRetries<T>(op: () => Promise<T>): Promise<T> {
    const attempts = Math.max(1, this.opts.attempts ?? 3);
    let delay = this.opts.retryDelayMs ?? 1000;
    let lastError: unknown;
    for (let i = 1; i <= attempts; i++) {
      try {
        return await op();
      } catch (err) {
        lastError = err;
        this.opts.log?.(`root anchor call failed (attempt ${i}/${attempts})`, err);
        if (i === attempts || this.stopped) break;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay *= 2;
      }
    }
    throw new PublishError(`root anchor failed after ${attempts} attempts: ${(lastError as Error)?.message ?? lastError}`, lastError);
  }
}
