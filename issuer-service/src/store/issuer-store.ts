/**
 * What the issuer keeps, as a capability: the service depends on this interface, not on SQLite, so
 * a Postgres implementation can slot in. Every method that changes more than one row is atomic —
 * an implementation runs it in one transaction and either all of it lands or none of it does.
 *
 * Field elements (identity commitments, leaves, salts, roots) travel as decimal strings.
 */

export type ApplicationStatus = 'pending' | 'approved' | 'rejected';
export type CredentialStatus = 'active' | 'revoked';

/** What the holder asks for; the reviewer fixes the final values (and the expiry) on approval. */
export interface RequestedAttributes {
  jurisdiction: string;
  birthDate: string;
  investorClasses: string[];
  kycLevel?: number;
}

/** The attributes written into the credential (same shape as `@zkkyc/credentials`' CredentialAttributes). */
export interface IssuedAttributes {
  jurisdiction: string;
  birthDate: string;
  investorClasses: string[];
  kycLevel: number;
  expiryDate: string;
}

export interface ChallengeRecord {
  nonce: string;
  did: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface ApplicationRecord {
  id: string;
  holderDid: string;
  identityCommitment: string;
  attributes: RequestedAttributes;
  status: ApplicationStatus;
  /** SHA-256 of the bearer token handed to the holder; the token itself is never stored. */
  accessTokenHash: string;
  challengeNonce: string;
  createdAt: number;
  updatedAt: number;
}

export interface CredentialRecord {
  id: string;
  applicationId: string;
  holderDid: string;
  leafIndex: number;
  leaf: string;
  salt: string;
  attributes: IssuedAttributes;
  expiryDate: string;
  vcJwt: string;
  status: CredentialStatus;
  issuedAt: number;
  revokedAt: number | null;
}

export interface DecisionRecord {
  subjectType: 'application' | 'credential';
  subjectId: string;
  action: 'approve' | 'reject' | 'revoke';
  reviewer: string;
  reason: string | null;
  decidedAt: number;
}

export interface RootPublicationRecord {
  root: string;
  leafCount: number;
  /** Null when the root was found already anchored after a crash, so the hash was never recorded. */
  txHash: string | null;
  publishedAt: number;
}

export interface LeafRecord {
  index: number;
  value: string;
}

/** Why a write was refused; services translate these into API errors. */
export type StoreConflictReason =
  | 'challenge_unusable'
  | 'application_pending'
  | 'application_not_pending'
  | 'leaf_index_taken'
  | 'credential_not_active';

export class StoreConflict extends Error {
  constructor(
    readonly reason: StoreConflictReason,
    message: string,
  ) {
    super(message);
    this.name = 'StoreConflict';
  }
}

export interface IssuerStore {
  getSetting(key: string): Promise<string | null>;
  /** Sets the value only if the key is absent; returns the value now stored (first writer wins). */
  initSetting(key: string, value: string): Promise<string>;

  createChallenge(challenge: ChallengeRecord): Promise<void>;
  getChallenge(nonce: string): Promise<ChallengeRecord | null>;
  /** Deletes unused challenges that expired before `now`; returns how many. */
  pruneChallenges(now: number): Promise<number>;

  /**
   * Consumes the challenge (unused, unexpired at `now`, issued to the same DID) and stores the
   * application, atomically. Throws `challenge_unusable` or `application_pending`.
   */
  submitApplication(application: ApplicationRecord, now: number): Promise<void>;
  getApplication(id: string): Promise<ApplicationRecord | null>;
  listApplications(query: { status?: ApplicationStatus; offset: number; limit: number }): Promise<ApplicationRecord[]>;

  /** Marks the application approved and stores the credential, its leaf and the decision, atomically. */
  recordApproval(args: { credential: CredentialRecord; decision: DecisionRecord }): Promise<void>;
  /** Marks the application rejected and stores the decision, atomically. */
  recordRejection(args: { applicationId: string; decision: DecisionRecord }): Promise<void>;
  /** Marks the credential revoked, zeroes its leaf and stores the decision, atomically. */
  recordRevocation(args: { credentialId: string; decision: DecisionRecord }): Promise<void>;

  getCredential(id: string): Promise<CredentialRecord | null>;
  getCredentialForApplication(applicationId: string): Promise<CredentialRecord | null>;
  listDecisions(subjectType: DecisionRecord['subjectType'], subjectId: string): Promise<DecisionRecord[]>;

  leafCount(): Promise<number>;
  listLeaves(offset: number, limit: number): Promise<LeafRecord[]>;

  recordRootPublication(publication: RootPublicationRecord): Promise<void>;
  listRootPublications(offset: number, limit: number): Promise<RootPublicationRecord[]>;
  latestRootPublication(): Promise<RootPublicationRecord | null>;

  /** Row counts per table: for health output and for tests asserting that nothing changed. */
  rowCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}
