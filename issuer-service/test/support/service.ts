import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIssuerService, type IssuerService, type IssuerServiceOptions } from '../../src/issuer-service.js';
import { loadConfig, type IssuerServiceConfig } from '../../src/config.js';
import type { RootAnchor } from '../../src/root-anchor.js';
import type { Clock } from '../../src/services/clock.js';
import { makeHolder, type TestHolder } from './holder.js';
import { ALL_ROLES, newPerson } from './people.js';

export const REVIEWER_KEY = 'tUlVaJFQMVo4y8UfL10BEhQetcjgcmRS';
export const OTHER_REVIEWER_KEY = 'Zwoq5CGjzpUyv40qV56HHFAUbFQZwspu';

/** A fresh directory for a test's SQLite file; `cleanup()` removes it. */
export function tempDir(): { dir: string; dbPath: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'zkkyc-issuer-'));
  return { dir, dbPath: join(dir, 'issuer.sqlite'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Production-like config (not dev mode) over `dbPath`. */
export function testConfig(dbPath: string, overrides: Partial<IssuerServiceConfig> = {}): IssuerServiceConfig {
  return {
    ...loadConfig({
      ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H',
      // Both keys hold every role (tests of the roles themselves configure their own keys).
      REVIEWER_API_KEYS: `alice:${REVIEWER_KEY}:${ALL_ROLES},bob:${OTHER_REVIEWER_KEY}:${ALL_ROLES}`,
      DATABASE_PATH: dbPath,
      PUBLISH_INTERVAL_SECONDS: '0',
    }),
    ...overrides,
  };
}

export function startService(config: IssuerServiceConfig, options: IssuerServiceOptions = {}): Promise<IssuerService> {
  return createIssuerService(config, { publisherRetry: { attempts: 3, delayMs: 1 }, ...options });
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(public t = Date.now()) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/**
 * Test double for the chain boundary only: an in-memory anchor that records every publication and
 * can be told to fail the next N calls. (Used where the in-process chain is not needed to show the
 * publisher's own behaviour: batching, retries, idempotence.)
 */
export class RecordingRootAnchor implements RootAnchor {
  readonly published: Array<{ root: bigint; leafCount: number; txHash: string }> = [];
  failNext = 0;

  async publishRoot(root: bigint, leafCount: number): Promise<{ txHash: string }> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('anchor unavailable (test)');
    }
    const txHash = `0x${(this.published.length + 1).toString(16).padStart(64, '0')}`;
    this.published.push({ root, leafCount, txHash });
    return { txHash };
  }

  async currentRoot(): Promise<bigint | null> {
    return this.published.at(-1)?.root ?? null;
  }
}

/** What a test applicant declares: no KYC level (the reviewer finds it; an applicant's request is never issued). */
export const GOOD_ATTRIBUTES = { jurisdiction: 'FR', birthDate: '1990-04-12', investorClasses: ['professional-eu'] };
/** GOOD_ATTRIBUTES as a credential carries them: with the level the tests' approvals set (`attributes: { kycLevel: 2 }`). */
export const ISSUED_ATTRIBUTES = { ...GOOD_ATTRIBUTES, kycLevel: 2 };

/** Challenge + signed application; returns the raw inject response. */
export async function apply(service: IssuerService, holder: TestHolder, body: Partial<Record<string, unknown>> = {}): Promise<{ statusCode: number; json: any }> {
  const ch = await service.app.inject({ method: 'POST', url: '/challenges', payload: { did: holder.did } });
  if (ch.statusCode !== 201) throw new Error(`challenge failed: ${ch.body}`);
  const nonce = ch.json().nonce as string;
  const res = await service.app.inject({
    method: 'POST',
    url: '/applications',
    payload: {
      did: holder.did,
      challenge: nonce,
      signature: await holder.sign(nonce),
      identityCommitment: holder.idc.toString(),
      attributes: GOOD_ATTRIBUTES,
      ...body,
    },
  });
  return { statusCode: res.statusCode, json: res.json() };
}

export const reviewer = { 'x-api-key': REVIEWER_KEY };

/** An expiry one year out, YYYY-MM-DD. */
export function nextYear(): string {
  return new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
}

/** A new holder applies and a reviewer approves (kyc level 2, valid a year): the approval's response. */
export async function approveNewHolder(service: IssuerService) {
  const applied = await apply(service, makeHolder());
  return service.app.inject({
    method: 'POST',
    url: `/applications/${applied.json.id}/approve`,
    headers: reviewer,
    payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } },
  });
}
