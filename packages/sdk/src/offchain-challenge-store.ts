import type { PresentationChallenge } from '@zkkyc/prover';

/**
 * Where an off-chain verifier keeps the challenges it issued until they are answered. A challenge is
 * good for one accepted presentation: `consume` must be atomic — when two presentations for one
 * nonce race, exactly one call returns true. An RP running several instances shares one store (a
 * table with a unique nonce and an `UPDATE … SET used = true WHERE nonce = ? AND NOT used`, a Redis
 * `SET NX`); {@link MemoryChallengeStore} serves one process.
 */
export interface ChallengeStore {
  /** Records a challenge just issued. Refuses a nonce it already holds. */
  put(challenge: PresentationChallenge): Promise<void>;
  /** The challenge issued with `nonce` and whether a presentation already used it; undefined if never issued (or forgotten). */
  get(nonce: string): Promise<{ challenge: PresentationChallenge; used: boolean } | undefined>;
  /** Marks the challenge used. True for the first call per nonce only; false if used or unknown. */
  consume(nonce: string): Promise<boolean>;
}

/**
 * The in-process store. It forgets a challenge `retentionSeconds` (default one day) after it
 * expired — a presentation for it is then refused as unknown rather than as expired, either way
 * refused — so memory stays bounded by the rate challenges are issued at.
 */
export class MemoryChallengeStore implements ChallengeStore {
  private readonly entries = new Map<string, { challenge: PresentationChallenge; used: boolean }>();
  private lastPrune = 0;

  /**
   * @param retentionSeconds how long an expired challenge is kept (a late answer then reads "expired", not "unknown").
   * @param maxEntries at most this many challenges are held: past it the oldest are forgotten, so a
   * flood of challenge requests cannot grow memory without bound. Forgetting never lets a replay
   * through: an answer to a forgotten challenge is refused as not issued here.
   */
  constructor(
    private readonly retentionSeconds = 86400,
    private readonly maxEntries = 100_000,
  ) {
    if (!Number.isSafeInteger(retentionSeconds) || retentionSeconds < 0) {
      throw new RangeError(`retentionSeconds: must be a non-negative integer, got ${retentionSeconds}`);
    }
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries: must be a positive integer, got ${maxEntries}`);
  }

  async put(challenge: PresentationChallenge): Promise<void> {
    if (this.entries.has(challenge.nonce)) throw new Error(`nonce: ${challenge.nonce} was already issued (rule: unique)`);
    // Prune at most once a minute of the issuer's clock (the new challenge's issuedAt).
    if (challenge.issuedAt - this.lastPrune >= 60) {
      this.lastPrune = challenge.issuedAt;
      for (const [nonce, entry] of this.entries) {
        if (entry.challenge.expiresAt + this.retentionSeconds < challenge.issuedAt) this.entries.delete(nonce);
      }
    }
    this.entries.set(challenge.nonce, { challenge, used: false });
    // A Map iterates in insertion order: the first key is the oldest challenge.
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  async get(nonce: string): Promise<{ challenge: PresentationChallenge; used: boolean } | undefined> {
    const entry = this.entries.get(nonce);
    return entry && { challenge: entry.challenge, used: entry.used };
  }

  async consume(nonce: string): Promise<boolean> {
    // No await between the read and the write: one event-loop turn, so atomic in this process.
    const entry = this.entries.get(nonce);
    if (!entry || entry.used) return false;
    entry.used = true;
    return true;
  }

  /** How many challenges are held (issued and not yet forgotten). */
  get size(): number {
    return this.entries.size;
  }
}
