import { createHash, timingSafeEqual } from 'node:crypto';
import type { Officer } from '../config.js';
import { ApiError } from './errors.js';
import { FailedKeyLimit } from './failed-key-limit.js';

/**
 * Officers authenticate with `x-api-key` (config `OFFICERS=name:key,…`). Keys are compared as
 * SHA-256 digests in constant time, against every officer, so the answer's timing tells nothing
 * about which key was close. Routes record the officer's name, never the key.
 *
 * Wrong keys are counted per client address and in all (./failed-key-limit.ts): past the limit the
 * address (or everyone) gets 429 `too_many_failed_keys`, with Retry-After, before any key is compared.
 */
export class OfficerDirectory {
  private readonly digests: { name: string; digest: Buffer }[];

  constructor(
    officers: Officer[],
    private readonly limit: FailedKeyLimit = new FailedKeyLimit(),
  ) {
    this.digests = officers.map((o) => ({ name: o.name, digest: digest(o.apiKey) }));
  }

  /**
   * The officer's name for `header`; 401 `missing_key` / `unknown_key` otherwise, or 429
   * `too_many_failed_keys` (rule `failed-key-limit`) when `clientAddress` — or every client
   * together — sent too many wrong keys in the current window.
   */
  authenticate(header: string | string[] | undefined, clientAddress: string): string {
    const wait = this.limit.retryAfter(clientAddress);
    if (wait > 0 && header !== undefined && header !== '') {
      throw new ApiError(429, 'too_many_failed_keys', `too many wrong officer keys; try again in ${wait} s`, 'x-api-key', 'failed-key-limit', wait);
    }
    if (header === undefined || header === '') throw new ApiError(401, 'missing_key', "send an officer's key as the x-api-key header", 'x-api-key', 'officer-key');
    if (Array.isArray(header)) {
      this.limit.fail(clientAddress);
      throw new ApiError(401, 'unknown_key', 'send one x-api-key header', 'x-api-key', 'officer-key');
    }
    const given = digest(header);
    let name: string | null = null;
    for (const o of this.digests) if (timingSafeEqual(o.digest, given)) name = o.name;
    if (name === null) {
      this.limit.fail(clientAddress);
      throw new ApiError(401, 'unknown_key', 'the x-api-key is not an officer key', 'x-api-key', 'officer-key');
    }
    return name;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
