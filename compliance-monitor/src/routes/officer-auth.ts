import { createHash, timingSafeEqual } from 'node:crypto';
import type { Officer } from '../config.js';
import { ApiError } from './errors.js';

/**
 * Officers authenticate with `x-api-key` (config `OFFICERS=name:key,…`). Keys are compared as
 * SHA-256 digests in constant time, against every officer, so the answer's timing tells nothing
 * about which key was close. Routes record the officer's name, never the key.
 */
export class OfficerDirectory {
  private readonly digests: { name: string; digest: Buffer }[];

  constructor(officers: Officer[]) {
    this.digests = officers.map((o) => ({ name: o.name, digest: digest(o.apiKey) }));
  }

  /** The officer's name for `header`; 401 `missing_key` / `unknown_key` otherwise. */
  authenticate(header: string | string[] | undefined): string {
    if (header === undefined || header === '') throw new ApiError(401, 'missing_key', "send an officer's key as the x-api-key header", 'x-api-key', 'officer-key');
    if (Array.isArray(header)) throw new ApiError(401, 'unknown_key', 'send one x-api-key header', 'x-api-key', 'officer-key');
    const given = digest(header);
    let name: string | null = null;
    for (const o of this.digests) if (timingSafeEqual(o.digest, given)) name = o.name;
    if (name === null) throw new ApiError(401, 'unknown_key', 'the x-api-key is not an officer key', 'x-api-key', 'officer-key');
    return name;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
