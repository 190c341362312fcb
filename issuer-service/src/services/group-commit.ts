import type { ApprovalDraft, ApprovalOutcome } from '../store/issuer-store.js';

/**
 * Group commit for approvals: one batch is written at a time (`IssuerStore.recordApprovals`, one
 * transaction), and the approvals that arrive while it is in flight wait and go together in the
 * next one. A batch shares the tree nodes its new leaves have in common (hashed and written once)
 * and one commit, so throughput grows with load instead of being one transaction and depth/2
 * hashes per approval. Each approval still gets its own outcome: a refusal of one fails only it.
 */
interface Entry {
  draft: ApprovalDraft;
  resolve: (leafIndex: number) => void;
  reject: (err: unknown) => void;
  retried?: boolean;
}

export class GroupCommit {
  private queue: Entry[] = [];
  /** Approvals going once more: each is written alone, before the queue (see `retryOnce`). */
  private retries: Entry[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly write: (drafts: ApprovalDraft[]) => Promise<ApprovalOutcome[]>,
    private readonly opts: {
      maxBatch?: number;
      afterBatch?: () => Promise<unknown>;
      /**
       * Refusals that may only come from sharing a batch (an approval built before an earlier one of
       * the same batch was written): such an approval goes once more, alone in the next batch, where
       * its build sees what the earlier one wrote and refuses — or passes — on its own terms.
       */
      retryOnce?: (err: unknown) => boolean;
    } = {},
  ) {}

  /** Queues one approval; resolves with the leaf index it took, or rejects with its own refusal. */
  submit(draft: ApprovalDraft): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, resolve, reject });
      this.kick();
    });
  }

  /** Resolves once every approval queued so far is written or refused. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.drain().finally(() => {
      this.running = null;
    });
  }

  private async drain(): Promise<void> {
    const max = Math.max(1, this.opts.maxBatch ?? 64);
    while (this.queue.length > 0 || this.retries.length > 0) {
      // One turn of the event loop first: requests that already arrived (on SQLite every store call
      // is synchronous, so they cannot reach the queue while a batch runs) join this batch.
      await new Promise((resolve) => setImmediate(resolve));
      // A retried approval alone: batched again, it could meet the same kind of conflict with
      // another approval of the new batch and would not get its own answer.
      const batch = this.retries.length > 0 ? this.retries.splice(0, 1) : this.queue.splice(0, max);
      let outcomes: ApprovalOutcome[];
      try {
        outcomes = await this.write(batch.map((b) => b.draft));
      } catch (err) {
        for (const b of batch) b.reject(err);
        continue;
      }
      // Settle after the view is refreshed, so a caller reading the tree next sees its leaf.
      await this.opts.afterBatch?.().catch(() => undefined);
      batch.forEach((b, i) => {
        const o = outcomes[i];
        if (o?.ok) b.resolve(o.leafIndex);
        else if (o && !b.retried && batch.length > 1 && this.opts.retryOnce?.(o.error)) this.retries.push({ ...b, retried: true });
        else b.reject(o ? o.error : new Error('the store returned no outcome for this approval'));
      });
    }
  }
}
