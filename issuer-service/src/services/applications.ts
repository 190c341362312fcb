import { randomUUID } from 'node:crypto';
import { ApiError } from '../api-error.js';
import { StoreConflict, type ApplicationRecord, type IssuerStore, type RequestedAttributes } from '../store/issuer-store.js';
import { checkRequestedAttributes, dateAfterDays, parseIdentityCommitment } from './attribute-rules.js';
import type { Clock } from './clock.js';
import { hashToken, randomToken, verifyChallengeSignature, type ChallengePurpose } from './holder-auth.js';
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
  /**
   * The level every auto-approved credential carries (AUTO_APPROVE_KYC_LEVEL). An applicant's own
   * request is ignored: the level is the reviewer's finding, here the configuration's.
   */
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

  /** Issues a single-use nonce for `did` (stored in its normalised spelling) to sign. */
  async createChallenge(rawDid: string): Promise<{ nonce: string; expiresAt: number }> {
    const did = this.deps.holderDids.normalise(rawDid);
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
    // One DID, one spelling: case variants of a DID are the same applicant (holder-did-methods.ts).
    const did = this.deps.holderDids.normalise(input.did);
    checkRequestedAttributes(input.attributes, new Date(now));
    parseIdentityCommitment(input.identityCommitment);

    await this.usableChallenge(input.challenge, did, now);
    await this.verifySignature(did, input.challenge, input.signature, 'apply');

    const accessToken = randomToken();
    const application: ApplicationRecord = {
      id: randomUUID(),
      holderDid: did,
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
      // Dev only (labelled "auto-approve (dev)" in the decision and the audit trail; no person binding).
      try {
        await this.deps.issuance.autoApprove(application.id, {
          kycLevel: auto.defaultKycLevel,
          expiryDate: dateAfterDays(new Date(now), auto.validityDays),
        });
      } catch (err) {
        // The application is stored: a full tree leaves it pending (the holder keeps its token) rather than failing the request.
        if (!(err instanceof ApiError && err.code === 'tree_full')) throw err;
      }
      return { application: (await store.getApplication(application.id)) as ApplicationRecord, accessToken };
    }
    return { application, accessToken };
  }

  /**
   * A new access token for a holder who lost its own: the holder signs a fresh challenge with the
   * DID key, with `purpose: "access-token-recovery"` in the JWT. The DID's newest pending or
   * approved application (or the one named by `applicationId`, if it is the DID's) gets the new
   * token, and the old one stops working; the challenge is consumed in the same transaction. A
   * rejected application has no token to recover (its decision is final), and an id that is not
   * the DID's answers like an unknown one.
   */
  async recoverAccessToken(input: { did: string; challenge: string; signature: string; applicationId?: string }): Promise<{
    application: ApplicationRecord;
    accessToken: string;
  }> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const did = this.deps.holderDids.normalise(input.did);
    await this.usableChallenge(input.challenge, did, now);
    await this.verifySignature(did, input.challenge, input.signature, 'access-token-recovery');
    const accessToken = randomToken();
    try {
      const application = await store.reissueAccessToken({
        holderDid: did,
        applicationId: input.applicationId,
        challengeNonce: input.challenge,
        accessTokenHash: hashToken(accessToken),
        now,
      });
      return { application, accessToken };
    } catch (err) {
      if (err instanceof StoreConflict && err.reason === 'application_not_found') {
        throw new ApiError(404, 'not_found', 'this DID has no pending or approved application' + (input.applicationId ? ' with this id' : ''), input.applicationId ? 'applicationId' : 'did');
      }
      if (err instanceof StoreConflict && err.reason === 'challenge_unusable') {
        throw new ApiError(409, 'challenge_used', 'this challenge was already used', 'challenge');
      }
      throw err;
    }
  }

  /** The stored challenge `nonce`, if it was issued to `did` and is unused and unexpired at `now`. */
  private async usableChallenge(nonce: string, did: string, now: number): Promise<void> {
    const challenge = await this.deps.store.getChallenge(nonce);
    if (!challenge || challenge.did !== did) {
      throw new ApiError(400, 'challenge_unknown', 'no challenge with this nonce was issued to this DID', 'challenge');
    }
    if (challenge.usedAt !== null) throw new ApiError(409, 'challenge_used', 'this challenge was already used', 'challenge');
    if (challenge.expiresAt <= now) throw new ApiError(400, 'challenge_expired', 'this challenge has expired; request a new one', 'challenge');
  }

  private verifySignature(did: string, nonce: string, jwt: string, purpose: ChallengePurpose): Promise<void> {
    const { holderDids, issuerDid } = this.deps;
    return verifyChallengeSignature({ jwt, did, nonce, issuerDid, resolver: holderDids.resolver, normalise: (d) => holderDids.normalise(d), purpose });
  }
}

/** Keeps exactly the known attribute keys, in a fixed order (what the reviewer sees and the DB keeps). */
function normalise(a: RequestedAttributes): RequestedAttributes {
  const out: RequestedAttributes = { jurisdiction: a.jurisdiction, birthDate: a.birthDate, investorClasses: [...a.investorClasses] };
  if (a.kycLevel !== undefined) out.kycLevel = a.kycLevel;
  return out;
}
