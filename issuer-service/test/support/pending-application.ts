import type { IssuerStore } from '../../src/store/issuer-store.js';

/**
 * A pending application `id` written straight into `store` (its challenge, used by it), for store and
 * tree tests that need an application to approve without going through the HTTP API.
 */
export async function submitPendingApplication(store: IssuerStore, id: string, now: number): Promise<void> {
  await store.createChallenge({ nonce: `n-${id}`, did: `did:key:z${id}`, createdAt: now, expiresAt: now + 600_000, usedAt: null });
  await store.submitApplication(
    {
      id,
      holderDid: `did:key:z${id}`,
      identityCommitment: '1',
      attributes: { jurisdiction: 'FR', birthDate: '1990-01-01', investorClasses: [] },
      status: 'pending',
      accessTokenHash: 'h',
      challengeNonce: `n-${id}`,
      createdAt: now,
      updatedAt: now,
    },
    now,
  );
}
