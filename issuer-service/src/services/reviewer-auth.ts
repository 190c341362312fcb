import { createHash, timingSafeEqual } from 'node:crypto';
import type { ReviewerCredential, ReviewerRole } from '../config.js';
import { ApiError } from '../api-error.js';
import type { Clock } from './clock.js';

/** A reviewer key that authenticated: its name (what decisions record) and its roles. */
export interface AuthenticatedReviewer {
  name: string;
  roles: readonly ReviewerRole[];
}

/** Who took a decision, and the role they took it under (what the audit trail records). */
export interface Actor {
  name: string;
  role: string;
  /**
   * Every role the key holds, for decisions that need a second one: an approval that replaces a
   * person's active credential revokes it, so it also needs `revoker`. Absent = only `role`.
   */
  roles?: readonly string[];
}

/** How many wrong keys a client address may send per window before it is refused outright. */
export interface AuthFailureLimit {
  maxFailures: number;
  windowMs: number;
  clock: Clock;
}

/** Client addresses tracked at most (an address flood cannot grow the table without bound). */
const MAX_TRACKED_ADDRESSES = 10_000;

/**
 * Reviewer authentication by `x-api-key`, and the per-route role check. Keys are compared as SHA-256
 * digests in constant time, and every configured key is checked, so response time does not reveal
 * which reviewer nearly matched. Wrong keys are counted per client address: past `maxFailures` in a
 * window the address gets 429 for any key until the window ends, before any key is compared — the
 * per-key rate limit of the reviewer routes cannot do this, as it needs a key that authenticated.
 * (In memory: one instance per database, so one table; a restart forgets it.)
 */
export class ReviewerDirectory {
  private readonly entries: Array<{ reviewer: AuthenticatedReviewer; digest: Buffer }>;
  private readonly failures = new Map<string, { count: number; windowStart: number }>();

  constructor(
    reviewers: ReviewerCredential[],
    private readonly limit?: AuthFailureLimit,
  ) {
    // Four-eyes compares names: two keys under one name would be one pair of eyes.
    const names = new Set(reviewers.map((r) => r.name));
    if (names.size !== reviewers.length) throw new Error('reviewers: two keys share a name (four-eyes compares names)');
    this.entries = reviewers.map((r) => ({ reviewer: { name: r.name, roles: Object.freeze([...r.roles]) }, digest: digest(r.apiKey) }));
  }

  /**
   * Returns the reviewer, or throws 401 `missing_api_key` / 403 `invalid_api_key` — or 429
   * `rate_limited` (rule `auth-failures`) when `clientAddress` sent too many wrong keys lately.
   */
  authenticate(header: string | string[] | undefined, clientAddress?: string): AuthenticatedReviewer {
    if (clientAddress !== undefined) this.refuseIfLocked(clientAddress);
    if (header === undefined || header === '') throw new ApiError(401, 'missing_api_key', 'reviewer routes need an x-api-key header', 'x-api-key');
    if (typeof header !== 'string') throw new ApiError(403, 'invalid_api_key', 'send exactly one x-api-key header', 'x-api-key');
    const presented = digest(header);
    let match: AuthenticatedReviewer | null = null;
    for (const e of this.entries) if (timingSafeEqual(e.digest, presented)) match = e.reviewer;
    if (match === null) {
      if (clientAddress !== undefined) this.countFailure(clientAddress);
      throw new ApiError(403, 'invalid_api_key', 'x-api-key is not a reviewer key', 'x-api-key');
    }
    return match;
  }

  private refuseIfLocked(address: string): void {
    if (!this.limit) return;
    const entry = this.failures.get(address);
    if (!entry) return;
    const now = this.limit.clock.now();
    if (now - entry.windowStart >= this.limit.windowMs) {
      this.failures.delete(address);
      return;
    }
    if (entry.count >= this.limit.maxFailures) {
      const seconds = Math.ceil((entry.windowStart + this.limit.windowMs - now) / 1000);
      throw new ApiError(429, 'rate_limited', `too many wrong reviewer keys from this address; try again in ${seconds} s`, 'x-api-key', 'auth-failures');
    }
  }

  private countFailure(address: string): void {
    if (!this.limit) return;
    const now = this.limit.clock.now();
    const entry = this.failures.get(address);
    if (entry && now - entry.windowStart < this.limit.windowMs) {
      entry.count++;
      return;
    }
    this.failures.delete(address);
    if (this.failures.size >= MAX_TRACKED_ADDRESSES) this.forgetOldest(now);
    this.failures.set(address, { count: 1, windowStart: now });
  }

  /** Drops expired entries, then (still full) the oldest ones: entries are kept in insertion order. */
  private forgetOldest(now: number): void {
    for (const [address, e] of this.failures) if (now - e.windowStart >= this.limit!.windowMs) this.failures.delete(address);
    for (const address of this.failures.keys()) {
      if (this.failures.size < MAX_TRACKED_ADDRESSES) break;
      this.failures.delete(address);
    }
  }
}

/**
 * The role `reviewer` acts under for a route that accepts any of `anyOf` (the first one it holds),
 * or 403 `missing_role` naming the role(s) the route needs (`rule`) and the ones the key has.
 */
export function requireRole(reviewer: AuthenticatedReviewer, ...anyOf: ReviewerRole[]): Actor {
  const role = anyOf.find((r) => reviewer.roles.includes(r));
  if (role) return { name: reviewer.name, role, roles: reviewer.roles };
  const needed = anyOf.length === 1 ? `the ${anyOf[0]} role` : `one of the roles ${anyOf.join(', ')}`;
  throw new ApiError(
    403,
    'missing_role',
    `this route needs ${needed}; the key of "${reviewer.name}" has ${reviewer.roles.length ? reviewer.roles.join(', ') : 'no role'}`,
    'x-api-key',
    anyOf.join('|'),
  );
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
