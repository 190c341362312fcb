/**
 * The limit on wrong officer keys. A key is 16 characters or more, so guessing one is hopeless —
 * unless nothing stops a client from trying as fast as the server answers. This counts *failed*
 * `x-api-key` attempts (a key given that is no officer's; a missing key guesses nothing and is not
 * counted) in fixed windows: per client address, and over all addresses together (a guesser with
 * many addresses). Past either limit, requests with a key are refused with 429 until the window
 * ends, before the key is compared — a right key too, or the answer would say which guess was right.
 *
 * The global limit is the price of that: a flood of wrong keys from many addresses locks the officers
 * out for the rest of the window. It is set well above the per-address limit so that one client
 * cannot reach it alone. In memory: a restart forgets the counts (one monitor instance per store).
 */
export interface FailedKeyLimitOptions {
  /** Failed keys one client address may send per window (default 10). */
  perAddress?: number;
  /** Failed keys all addresses together may send per window (default 100). */
  global?: number;
  /** The window, ms (default 60 000). */
  windowMs?: number;
  /** Milliseconds now (default Date.now). */
  nowMs?: () => number;
}

/** Client addresses tracked at most: a flood of addresses cannot grow the table without bound. */
const MAX_ADDRESSES = 10_000;

interface Window {
  start: number;
  failures: number;
}

export class FailedKeyLimit {
  readonly perAddress: number;
  readonly global: number;
  readonly windowMs: number;
  private readonly nowMs: () => number;
  private readonly byAddress = new Map<string, Window>();
  private all: Window = { start: 0, failures: 0 };

  constructor(options: FailedKeyLimitOptions = {}) {
    this.perAddress = positive(options.perAddress ?? 10, 'perAddress');
    this.global = positive(options.global ?? 100, 'global');
    this.windowMs = positive(options.windowMs ?? 60_000, 'windowMs');
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** Seconds until `address` may try a key again; 0 when it may now. */
  retryAfter(address: string): number {
    const now = this.nowMs();
    let until = 0;
    const mine = this.current(this.byAddress.get(address), now);
    if (mine && mine.failures >= this.perAddress) until = mine.start + this.windowMs;
    const all = this.current(this.all, now);
    if (all && all.failures >= this.global) until = Math.max(until, all.start + this.windowMs);
    return until === 0 ? 0 : Math.max(1, Math.ceil((until - now) / 1000));
  }

  /** Counts a failed key from `address`. */
  fail(address: string): void {
    const now = this.nowMs();
    this.all = this.bump(this.current(this.all, now), now);
    const mine = this.current(this.byAddress.get(address), now);
    if (!mine) {
      this.byAddress.delete(address);
      if (this.byAddress.size >= MAX_ADDRESSES) this.forget(now);
    }
    this.byAddress.set(address, this.bump(mine, now));
  }

  private current(w: Window | undefined, now: number): Window | undefined {
    return w && now - w.start < this.windowMs ? w : undefined;
  }

  private bump(w: Window | undefined, now: number): Window {
    if (!w) return { start: now, failures: 1 };
    w.failures++;
    return w;
  }

  /** Drops ended windows, then (still full) the oldest: the map keeps insertion order. */
  private forget(now: number): void {
    for (const [a, w] of this.byAddress) if (!this.current(w, now)) this.byAddress.delete(a);
    for (const a of this.byAddress.keys()) {
      if (this.byAddress.size < MAX_ADDRESSES) break;
      this.byAddress.delete(a);
    }
  }
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`FailedKeyLimit: ${name} must be a positive integer, got ${n}`);
  return n;
}
