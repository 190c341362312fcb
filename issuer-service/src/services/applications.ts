import { randomUUID } from 'node:crypto';
import { ApiError } from '../api-error.js';
import { StoreConflict, type ApplicationRecord, type IssuerStore, type RequestedAttributes } from '../store/issuer-store.js';
import { checkRequestedAttributes, dateAfterDays, parseIdentityCommitment } from './attribute-rules.js';
import type { Clock } from './clock.js';
import { hashToken, randomToken, verifyChallengeSignature } from './holder-auth.js';
import type { HolderDidMethods } from './holder-did-methods.js';
import type { IssuanceService } from './issuance.js';

export interface ApplicationInput {
  did: string;
  challenge: string;
  signature: string;
  identityCommitment: string;
  attributes: RequestedAttributes;
}

export interface AutoApproval {
  validityDays: number;
  /** Level used when the holder did not ask for one. */
  defaultKycLevel: number;
}

/**
 * The holder side: challenges and applications. Checks run cheapest first and nothing is written
 * until all pass; the final write consumes the challenge and stores the application in one
 * transaction, so a rejected request leaves the challenge usable and no row behind.
 */
export class ApplicationService {
  constructor(
    private readonly deps: {
      store: IssuerStore;
      clock: Clock;
      issuerDid: string;
      /** Accepted holder DID methods and their resolver. */
      holderDids: HolderDidMethods;
      challengeTtlSeconds: number;
      issuance: IssuanceService;
      /** Dev only: approve on arrival. */
      autoApprove?: AutoApproval;
    },
  ) {}

  /** Issues a single-use nonce for `did` to sign. */
  async createChallenge(did: string): Promise<{ nonce: string; expiresAt: number }> {
    this.deps.holderDids.assertSupported(did);
    const now = this.deps.clock.now();
    await this.deps.store.pruneChallenges(now);
    const challenge = { nonce: randomToken(), did, createdAt: now, expiresAt: now + this.deps.challengeTtlSeconds * 1000, usedAt: null };
    await this.deps.store.createChallenge(challenge);
    return { nonce: challenge.nonce, expiresAt: challenge.expiresAt };
  }

  /**
   * Stores an application after checking the DID, attributes, commitment, challenge and signature.
   * Returns the application and the bearer token the holder reads its results with (shown once).
   */
  async submit(input: ApplicationInput): Promise<{ application: ApplicationRecord; accessToken: string }> {
    const { store, clock } = this.deps;
    const now = clock.now();
    this.deps.holderDids.assertSupported(input.did);
    checkRequestedAttributes(input.attributes, new Date(now));
    parseIdentityCommitment(input.identityCommitment);

    const challenge = await store.getChallenge(input.challenge);
    if (!challenge || challenge.did !== input.did) {
      throw new ApiError(400, 'challenge_unknown', 'no challenge with this nonce was issued to this DID', 'challenge');
    }
    if (challenge.usedAt !== null) throw new ApiError(409, 'challenge_used', 'this challenge was already used', 'challenge');
    if (challenge.expiresAt <= now) throw new ApiError(400, 'challenge_expired', 'this challenge has expired; request a new one', 'challenge');
    await verifyChallengeSignature({ jwt: input.signature, did: input.did, nonce: input.challenge, issuerDid: this.deps.issuerDid, resolver: this.deps.holderDids.resolver });

    const accessToken = randomToken();
    const application: ApplicationRecord = {
      id: randomUUID(),
      holderDid: input.did,
      identityCommitment: input.identityCommitment,
      attributes: normalise(input.attributes),
      status: 'pending',
      accessTokenHash: hashToken(accessToken),
      challengeNonce: input.challenge,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await store.submitApplication(application, now);
    } catch (err) {
      if (err instanceof StoreConflict && err.reason === 'application_pending') {
        throw new ApiError(409, 'application_pending', 'this DID already has a pending application', 'did');
      }
      if (err instanceof StoreConflict && err.reason === 'challenge_unusable') {
        // Lost a race with a concurrent use of the same nonce.
        throw new ApiError(409, 'challenge_used', 'this challenge was already used', 'challenge');
      }
      throw err;
    }

    const auto = this.deps.autoApprove;
    if (auto) {
      await this.deps.issuance.approve(
        application.id,
        {
          attributes: { kycLevel: application.attributes.kycLevel ?? auto.defaultKycLevel },
          expiryDate: dateAfterDays(new Date(now), auto.validityDays),
        },
        'auto-approve (dev)',
      );
      return { application: (await store.getApplication(application.id)) as ApplicationRecord, accessToken };
    }
    return { application, accessToken };
  }
}

/** Keeps exactly the known attribute keys, in a fixed order (what the reviewer sees and the DB keeps). */
function normalise(a: RequestedAttributes): RequestedAttributes {
  const out: RequestedAttributes = { jurisdiction: a.jurisdiction, birthDate: a.birthDate, investorClasses: [...a.investorClasses] };
  if (a.kycLevel !== undefined) out.kycLevel = a.kycLevel;
  return out;
}
