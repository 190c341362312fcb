import { createHash, timingSafeEqual } from 'node:crypto';
import type { ReviewerCredential } from '../config.js';
import { ApiError } from '../api-error.js';

/**
 * Reviewer authentication by `x-api-key`. Keys are compared as SHA-256 digests in constant time, and
 * every configured key is checked, so response time does not reveal which reviewer nearly matched.
 */
export class ReviewerDirectory {
  private readonly entries: Array<{ name: string; digest: Buffer }>;

  constructor(reviewers: ReviewerCredential[]) {
    this.entries = reviewers.map((r) => ({ name: r.name, digest: digest(r.apiKey) }));
  }

  /** Returns the reviewer's name, or throws 401 `missing_api_key` / 403 `invalid_api_key`. */
  authenticate(header: string | string[] | undefined): string {
    if (header === undefined || header === '') throw new ApiError(401, 'missing_api_key', 'reviewer routes need an x-api-key header', 'x-api-key');
    if (typeof header !== 'string') throw new ApiError(403, 'invalid_api_key', 'send exactly one x-api-key header', 'x-api-key');
    const presented = digest(header);
    let match: string | null = null;
    for (const e of this.entries) if (timingSafeEqual(e.digest, presented)) match = e.name;
    if (match === null) throw new ApiError(403, 'invalid_api_key', 'x-api-key is not a reviewer key', 'x-api-key');
    return match;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
