import { createHash, timingSafeEqual } from 'node:crypto';
import type { ReviewerCredential, ReviewerRole } from '../config.js';
import { ApiError } from '../api-error.js';

/** A reviewer key that authenticated: its name (what decisions record) and its roles. */
export interface AuthenticatedReviewer {
  name: string;
  roles: readonly ReviewerRole[];
}

/** Who took a decision, and the role they took it under (what the audit trail records). */
export interface Actor {
  name: string;
  role: string;
}

/**
 * Reviewer authentication by `x-api-key`, and the per-route role check. Keys are compared as SHA-256
 * digests in constant time, and every configured key is checked, so response time does not reveal
 * which reviewer nearly matched.
 */
export class ReviewerDirectory {
  private readonly entries: Array<{ reviewer: AuthenticatedReviewer; digest: Buffer }>;

  constructor(reviewers: ReviewerCredential[]) {
    // Four-eyes compares names: two keys under one name would be one pair of eyes.
    const names = new Set(reviewers.map((r) => r.name));
    if (names.size !== reviewers.length) throw new Error('reviewers: two keys share a name (four-eyes compares names)');
    this.entries = reviewers.map((r) => ({ reviewer: { name: r.name, roles: Object.freeze([...r.roles]) }, digest: digest(r.apiKey) }));
  }

  /** Returns the reviewer, or throws 401 `missing_api_key` / 403 `invalid_api_key`. */
  authenticate(header: string | string[] | undefined): AuthenticatedReviewer {
    if (header === undefined || header === '') throw new ApiError(401, 'missing_api_key', 'reviewer routes need an x-api-key header', 'x-api-key');
    if (typeof header !== 'string') throw new ApiError(403, 'invalid_api_key', 'send exactly one x-api-key header', 'x-api-key');
    const presented = digest(header);
    let match: AuthenticatedReviewer | null = null;
    for (const e of this.entries) if (timingSafeEqual(e.digest, presented)) match = e.reviewer;
    if (match === null) throw new ApiError(403, 'invalid_api_key', 'x-api-key is not a reviewer key', 'x-api-key');
    return match;
  }
}

/**
 * The role `reviewer` acts under for a route that accepts any of `anyOf` (the first one it holds),
 * or 403 `missing_role` naming the role(s) the route needs (`rule`) and the ones the key has.
 */
export function requireRole(reviewer: AuthenticatedReviewer, ...anyOf: ReviewerRole[]): Actor {
  const role = anyOf.find((r) => reviewer.roles.includes(r));
  if (role) return { name: reviewer.name, role };
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
