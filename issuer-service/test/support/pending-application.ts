import type { IssuerStore } from '../../src/store/issuer-store.js';

/**
 * A pending application `id` from `did` written straight into `store` (its challenge, used by it), for
 * store and tree tests and benches that need an application to approve without the HTTP API.
 */
export async function submitPendingApplication(store: IssuerStore, id: string, now: number, did = `did:key:z${id}`): Promise<void> {
  await store.createChallenge({ nonce: `n-${id}`, did, createdAt: now, expiresAt: now + 3_600_000, usedAt: null });
  await store.submitApplication(
    {
      id,
      holderDid: did,
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
