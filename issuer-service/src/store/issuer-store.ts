import type { NodeHash } from '@zkkyc/tree';

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
  /** In an application: an older client's request, shown to reviewers, never issued. In a reviewer's findings: the level. */
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
  /**
   * The verified person this credential is bound to: HMAC of the reviewer-verified document identity
   * (services/person-binding.ts), never the plain values. At most one active credential per person.
   * Null for credentials issued before the binding existed and for dev auto-approvals.
   */
  personKey?: string | null;
  /** How `vcJwt` is secured: 'vc2' (VC 2.0, VC-JOSE-COSE) or 'vc1.1' (VC-JWT; every row before migration 6). */
  format?: 'vc1.1' | 'vc2';
  /**
   * The credential's bit in the Bitstring Status List (services/status-list.ts): list number and
   * bit index, random among the free bits, never derived from the leaf index. Null for 1.1 credentials.
   */
  statusList?: number | null;
  statusIndex?: number | null;
}

/**
 * One Bitstring Status List as stored: the bits (bit 0 = left-most bit of byte 0), a version that
 * every change bumps, when the bits last changed, and the signed list credential cached for the
 * version it shows (null until first served).
 */
export interface StatusListRecord {
  id: number;
  purpose: 'revocation';
  bits: Uint8Array;
  version: number;
  updatedAt: number;
  signedJwt: string | null;
  signedVersion: number | null;
  signedAt: number | null;
}

/** The attributes a reviewer verified (everything but the expiry, which the approver sets). */
export type VerifiedAttributes = Omit<IssuedAttributes, 'expiryDate'>;

/** A reviewer's proposal of the verified values for a pending application (four-eyes, first pair of eyes). */
export interface ProposalRecord {
  /**
   * Assigned by the store when the proposal is recorded (increasing per database). An approval names
   * the proposal it approves by this id, so a newer proposal recorded after the approver looked
   * cannot slip in (compared by id, never by time).
   */
  id?: number;
  applicationId: string;
  reviewer: string;
  /** The complete final attributes (the applicant's, with the reviewer's changes applied). */
  attributes: VerifiedAttributes;
  personKey: string;
  /**
   * The verified person itself, sealed (services/identity-records.ts) and bound to this application
   * and person key, so the approval can put it in the credential's identity record. Cleared when the
   * application is approved (the record holds it from then on). Absent on proposals recorded before
   * identity records existed (migration 4).
   */
  sealedPerson?: string | null;
  reason: string | null;
  proposedAt: number;
  /**
   * True when the reviewer set the KYC level (every proposal from migration 8 on). False on older
   * proposals, whose level may be the applicant's request: an approval refuses them.
   */
  levelFromReviewer?: boolean;
}

/**
 * The verified identity record behind a credential, as stored: sealed (AES-256-GCM, bound to the
 * credential id and leaf index) by services/identity-records.ts. The store never sees the plain
 * record. `sealed` is null once the retention purge removed it (`purgedAt` says when).
 */
export interface SealedIdentityRecord {
  credentialId: string;
  leafIndex: number;
  sealed: string | null;
  /** The end of the credential's validity (ms): the start of the UTC day after its expiry date. */
  validUntil: number;
  createdAt: number;
  purgedAt: number | null;
}

/** One disclosure of an identity record to a disclosure officer, against an on-chain log entry. No personal data. */
export interface DisclosureRecord {
  id: string;
  /** The reviewer name of the disclosure officer's key. */
  officer: string;
  /** Decimal. */
  chainId: string;
  /** The DisclosureLog, lower-case 0x address. */
  logAddress: string;
  /** The log entry id, decimal. */
  requestId: string;
  /** Decimal. */
  policyId: string;
  /** 0x + 64 hex. */
  caseRefHash: string;
  registrationTx: string;
  registrationLogIndex: number;
  /** The ciphertext's `c` (decimal): a repeated request is checked against it without the chain. */
  escrowC: string;
  leafIndex: number;
  credentialId: string;
  disclosedAt: number;
}

/** One line of the audit trail: who (reviewer name), acting as which role, did what to which subject. */
export interface AuditEventRecord {
  at: number;
  actor: string;
  role: string;
  action:
    | 'propose'
    | 'approve'
    | 'reject'
    | 'revoke'
    | 'replace'
    | 'publish'
    | 'disclose'
    | 'purge-identity-record'
    | 'screening-export'
    | 'screening-match'
    | 'screening-confirm'
    | 'screening-dismiss'
    | 'screening-moot'
    | 'oid4vci-offer'
    | 'oid4vci-offer-void'
    | 'oid4vci-deliver'
    | 'bulk-import';
  /** `import`: a bulk import run (subjectId: the file's SHA-256), one event per chunk. */
  subjectType: 'application' | 'credential' | 'tree' | 'screening-match' | 'import';
  subjectId: string | null;
  /** What was decided (credential id, final attributes, reason, root…); never keys or plain person data. */
  detail: Record<string, unknown>;
}

export interface DecisionRecord {
  subjectType: 'application' | 'credential';
  subjectId: string;
  action: 'approve' | 'reject' | 'revoke';
  reviewer: string;
  reason: string | null;
  decidedAt: number;
}

export type ScreeningMatchStatus = 'open' | 'confirmed' | 'dismissed' | 'moot';

/**
 * A candidate match from ongoing screening (the compliance monitor's `ScreeningMatch`): a verified
 * person (by credential) against a sanctions-list entry. Open until a reviewer confirms it (the
 * credential is revoked), dismisses it, or it is closed as moot (the credential had ended). At most
 * one open match per credential, list and entry.
 */
export interface ScreeningMatchRecord {
  id: number;
  credentialId: string;
  source: string;
  entryUid: string;
  entryName: string;
  matchedName: string;
  /** 0..1. */
  score: number;
  reasons: Array<{ factor: string; effect: number; detail?: string }>;
  status: ScreeningMatchStatus;
  /** Who posted it (the screening key's name) and when (ms). */
  reportedBy: string;
  reportedAt: number;
  decidedBy: string | null;
  decidedAt: number | null;
  decisionReason: string | null;
}

/** How a match is closed: by whom, when, why. */
export interface ScreeningMatchClosure {
  id: number;
  status: Exclude<ScreeningMatchStatus, 'open'>;
  decidedBy: string;
  decidedAt: number;
  reason: string;
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

/**
 * The issuer tree as stored (migration 9, `tree_state`): leaves appended so far (revoked ones keep
 * their slot; the next append takes index `leafCount`), the root over them, and a revision that every
 * change (append, revocation, fill) increases — how a reader knows its copy is current.
 */
export interface TreeStateRecord {
  leafCount: number;
  /** Decimal field element. */
  root: string;
  revision: number;
}

/** A stored node of the tree: level 0 = a leaf (from `leaves`), levels 1..depth/2 from `tree_nodes`. */
export interface TreeNodeRecord {
  level: number;
  position: number;
  /** Decimal field element. */
  value: string;
}

export interface OpenTreeOptions {
  /**
   * Fill the tables again when the stored tree was written for another depth (`ISSUER_TREE_REBUILD_DEPTH`).
   * Without it such an open is refused (`TreeDepthChanged`, rule `tree-depth-fixed`): the depth never changes silently.
   */
  rebuild?: boolean;
}

/** Reads of the tree that see one state (see `IssuerStore.readTree`). */
export interface TreeReader {
  state(): Promise<TreeStateRecord>;
  /** The stored nodes of `level` with positions in [start, end), by position (a missing one is an empty subtree). */
  range(level: number, start: number, end: number): Promise<TreeNodeRecord[]>;
}

/** What `recordApproval` writes. */
export interface ApprovalWrite {
  credential: CredentialRecord;
  decision: DecisionRecord;
  replaces?: { credentialId: string; decision: DecisionRecord };
  audit?: AuditEventRecord[];
  identityRecord?: SealedIdentityRecord;
}

/**
 * One approval of a group commit (`recordApprovals`): built once its leaf index is known, because
 * the signed credential names it. `build` may refuse (throw); that refusal is this approval's alone.
 */
export interface ApprovalDraft {
  build(leafIndex: number): Promise<ApprovalWrite>;
}

export type ApprovalOutcome = { ok: true; leafIndex: number } | { ok: false; error: unknown };

/** What one retention purge deleted. */
export interface RetentionPurge {
  challenges: number;
  applications: number;
  decisions: number;
  /** Audit events of purged applications whose detail was replaced by `{ "purged": true }`. */
  auditEventsRedacted: number;
  /** Identity records whose sealed content was deleted (each audited as `purge-identity-record`). */
  identityRecords?: number;
}

/**
 * An OpenID4VCI credential offer's pre-authorized code (services/oid4vci.ts), stored as SHA-256
 * only, bound to one application and its credential. Usable once, until `expiresAt`: redeemed for
 * an access token (`redeemedAt`) or voided (`voidedAt`: a newer offer for the application, or too
 * many wrong transaction codes).
 */
export interface PreAuthorizedCodeRecord {
  codeHash: string;
  applicationId: string;
  credentialId: string;
  /** SHA-256 over the code and the transaction code together (never the six digits alone). */
  txCodeHash: string;
  failedAttempts: number;
  createdAt: number;
  expiresAt: number;
  redeemedAt: number | null;
  voidedAt: number | null;
}

/** The access token a redeemed code bought (SHA-256 only); it delivers the credential once. */
export interface Oid4vciAccessTokenRecord {
  tokenHash: string;
  codeHash: string;
  applicationId: string;
  credentialId: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

/** A `c_nonce` from the Nonce Endpoint (SHA-256 only): consumed by one credential delivery. */
export interface Oid4vciNonceRecord {
  nonceHash: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

/** Why a write was refused; services translate these into API errors. */
export type StoreConflictReason =
  | 'challenge_unusable'
  | 'application_pending'
  | 'application_not_pending'
  | 'leaf_index_taken'
  | 'credential_not_active'
  | 'person_has_active_credential'
  | 'application_not_found'
  | 'disclosure_exists'
  | 'match_not_open'
  | 'status_index_taken'
  | 'code_unusable'
  | 'access_token_unusable'
  | 'nonce_unusable';

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

  /**
   * Token recovery: consumes the challenge (as `submitApplication` does) and replaces the access
   * token hash of `applicationId` — or, without one, of the DID's newest pending or approved
   * application — atomically; returns that application. Throws `challenge_unusable`, or
   * `application_not_found` (nothing consumed) when the DID has no such application.
   */
  reissueAccessToken(args: { holderDid: string; applicationId?: string; challengeNonce: string; accessTokenHash: string; now: number }): Promise<ApplicationRecord>;

  /**
   * Retention: deletes used challenges consumed before `usedChallengesBefore` that no application
   * references, unused ones that expired before `now`, and applications rejected before
   * `rejectedBefore` together with their decisions, their proposals and their challenge, and
   * replaces the `detail` of their audit events by `{ "purged": true }` (who, when and which action
   * stay), atomically. Returns how many rows of each kind went.
   */
  /**
   * With `identityRecordsEndedBefore`, the same transaction also deletes the sealed content of the
   * identity records whose credential ended before it (revoked before it, or valid until before
   * it), keeping the row (credential id, leaf index, `purgedAt`) so a disclosure can say the record
   * was purged, and writes one `purge-identity-record` audit event per record.
   */
  purgeRetained(args: { now: number; usedChallengesBefore: number; rejectedBefore: number; identityRecordsEndedBefore?: number }): Promise<RetentionPurge>;

  /**
   * Marks the application approved and stores the credential, its leaf and the decision, atomically.
   * With `replaces`, the same transaction first revokes that (active) credential and zeroes its leaf —
   * how a person's new credential takes over from the old one. A credential whose `personKey` already
   * has another active credential is refused (`person_has_active_credential`, enforced by the database).
   * `identityRecord` (the sealed verified identity behind the credential) is written in the same
   * transaction, and the application's proposals lose their sealed person (the record holds it now):
   * a credential never exists without its record. (Optional only for store-level tests.)
   */
  recordApproval(args: ApprovalWrite): Promise<void>;
  /**
   * A group commit of approvals: one transaction that takes the tree's write lock (Postgres:
   * `pg_advisory_xact_lock`, store/tree-rows.ts `TREE_LOCK_SQL`), reads `tree_state.leaf_count`,
   * builds each draft with the next free leaf index and writes it as `recordApproval` would — a
   * refused one (its `build` throws, or a write conflicts) is rolled back alone and gets its error,
   * the others go on — then writes the changed tree nodes once for all of them (nodes shared by the
   * new leaves are hashed once) and `tree_state`. Outcomes are in the drafts' order. When the
   * transaction itself fails, every draft gets that error and nothing is written.
   */
  recordApprovals(drafts: ApprovalDraft[]): Promise<ApprovalOutcome[]>;
  /** Marks the application rejected and stores the decision, atomically. */
  recordRejection(args: { applicationId: string; decision: DecisionRecord; audit?: AuditEventRecord[] }): Promise<void>;
  /** Marks the credential revoked, zeroes its leaf (and the tree nodes above it) and stores the decision, atomically. */
  recordRevocation(args: { credentialId: string; decision: DecisionRecord; audit?: AuditEventRecord[]; closeMatch?: ScreeningMatchClosure }): Promise<void>;
  /**
   * Ongoing screening: stores the new matches (ids ignored; status as given) in one transaction,
   * skipping any that duplicates an open match (same credential, source and entry uid); returns the
   * stored ones with their ids and how many were skipped. `audit` is written for each stored match
   * (its `subjectId` filled in).
   */
  recordScreeningMatches(matches: Array<Omit<ScreeningMatchRecord, 'id'>>, audit: (m: ScreeningMatchRecord) => AuditEventRecord): Promise<{ stored: ScreeningMatchRecord[]; duplicates: number }>;
  getScreeningMatch(id: number): Promise<ScreeningMatchRecord | null>;
  listScreeningMatches(q: { status?: ScreeningMatchStatus; offset: number; limit: number }): Promise<ScreeningMatchRecord[]>;
  /** Closes an open match without revoking (dismissed, moot); StoreConflict `match_not_open` when it is not open. */
  closeScreeningMatch(closure: ScreeningMatchClosure, audit: AuditEventRecord[]): Promise<void>;
  /** Ids of the active credentials, oldest leaf first (the persons ongoing screening reads). */
  listActiveCredentialIds(q: { afterLeafIndex: number | null; limit: number }): Promise<Array<{ id: string; leafIndex: number }>>;

  /**
   * Stores a proposal for a pending application and its audit event, atomically
   * (`application_not_pending` otherwise). Returns the proposal's id.
   */
  recordProposal(proposal: ProposalRecord, audit: AuditEventRecord): Promise<number>;
  /** The newest proposal for the application, or null. */
  latestProposal(applicationId: string): Promise<ProposalRecord | null>;
  /** The person's active credential, if any. */
  getActiveCredentialForPerson(personKey: string): Promise<CredentialRecord | null>;
  /** Appends one audit event (decisions that change nothing else, e.g. a publication). */
  recordAudit(event: AuditEventRecord): Promise<void>;
  /** The audit trail, oldest first. */
  listAuditEvents(query: { offset: number; limit: number; subjectId?: string }): Promise<Array<AuditEventRecord & { id: number }>>;

  getCredential(id: string): Promise<CredentialRecord | null>;
  getCredentialByLeafIndex(leafIndex: number): Promise<CredentialRecord | null>;
  getIdentityRecord(credentialId: string): Promise<SealedIdentityRecord | null>;

  /**
   * Stores a disclosure and its audit event, atomically. One disclosure per officer and log entry
   * (chain, log, request id): a second one throws `disclosure_exists` and writes nothing.
   */
  recordDisclosure(disclosure: DisclosureRecord, audit: AuditEventRecord): Promise<void>;
  /** The disclosures made for one log entry (any officer), oldest first. */
  disclosuresForRequest(q: { chainId: string; logAddress: string; requestId: string }): Promise<DisclosureRecord[]>;
  /** Every disclosure, oldest first. */
  listDisclosures(q: { offset: number; limit: number }): Promise<DisclosureRecord[]>;
  /** The publication of `root` (the earliest), or null when this service never published it. */
  findRootPublication(root: string): Promise<RootPublicationRecord | null>;
  getCredentialForApplication(applicationId: string): Promise<CredentialRecord | null>;
  listDecisions(subjectType: DecisionRecord['subjectType'], subjectId: string): Promise<DecisionRecord[]>;

  leafCount(): Promise<number>;
  listLeaves(offset: number, limit: number): Promise<LeafRecord[]>;

  /**
   * The persisted tree (migration 9). `openTree` sets the depth and node hash this store writes the
   * tree with and returns its state. The first time (no `tree_state` row, or — with `options.rebuild` —
   * one written for another depth, which is refused without it) it fills `tree_nodes` and
   * `tree_state` from `leaves` in one transaction — the only full pass over the leaves; later opens read one row. Throws when `leaves` has a gap (a hand edit).
   * Leaves past the capacity (2^depth, from an old version's bug) are counted in `leafCount` but
   * stay out of the nodes. A store whose tree was never opened opens it at first write with the
   * depth it was last opened with (32 for a new database) and poseidon-lite.
   */
  openTree(depth: number, hash?: NodeHash, options?: OpenTreeOptions): Promise<TreeStateRecord>;
  /** The stored tree state: one row. */
  treeState(): Promise<TreeStateRecord>;
  /**
   * What the path of leaf `index` is made of, read at one state (one statement on Postgres): the
   * state, the leaf (null when there is none) and the stored siblings among `siblings` (missing ones
   * are empty subtrees).
   */
  treePath(index: number, siblings: Array<{ level: number; position: number }>): Promise<{ state: TreeStateRecord; leaf: string | null; nodes: TreeNodeRecord[] }>;
  /**
   * Runs `fn` on reads that all see the same tree state (Postgres: a read-only REPEATABLE READ
   * transaction; SQLite: repeated until no write landed in between). For tree chunks.
   */
  readTree<T>(fn: (reader: TreeReader) => Promise<T>): Promise<T>;

  /** Records a publication and, when given, its audit event, atomically. */
  recordRootPublication(publication: RootPublicationRecord, audit?: AuditEventRecord): Promise<void>;
  listRootPublications(offset: number, limit: number): Promise<RootPublicationRecord[]>;
  latestRootPublication(): Promise<RootPublicationRecord | null>;

  /**
   * Bitstring Status List (services/status-list.ts). A credential's bit is stored with it by
   * `recordApproval` (`status_index_taken` when another credential holds it; the list row is created
   * empty on first use), and set by the transaction that revokes it (`recordRevocation`, or a
   * replacement in `recordApproval`), which bumps the list's version.
   */
  /**
   * How many bits of the highest-numbered list are allocated (empty: no credential has a bit yet).
   * Lists fill one after another, so only the last can have room; counting every list would scan
   * every credential on each approval (10 million rows at scale), this reads one list's index range.
   */
  statusListUsage(): Promise<Array<{ id: number; allocated: number }>>;
  isStatusBitTaken(list: number, index: number): Promise<boolean>;
  getStatusList(id: number): Promise<StatusListRecord | null>;
  /** Caches the signed list credential for `version`; false (nothing written) when the list moved on meanwhile. */
  cacheSignedStatusList(id: number, version: number, jwt: string, signedAt: number): Promise<boolean>;

  /**
   * OpenID4VCI (services/oid4vci.ts). `createOid4vciOffer` stores a new pre-authorized code and
   * voids the application's earlier unredeemed ones, with its audit event, atomically.
   */
  createOid4vciOffer(offer: PreAuthorizedCodeRecord, audit: AuditEventRecord): Promise<void>;
  getOid4vciOffer(codeHash: string): Promise<PreAuthorizedCodeRecord | null>;
  /**
   * Counts one wrong transaction code against a live code; at `maxAttempts` the code is voided (and
   * `voidAudit` written) in the same statement's transaction. Returns the code as it now stands.
   */
  recordOid4vciTxCodeFailure(codeHash: string, now: number, maxAttempts: number, voidAudit: AuditEventRecord): Promise<PreAuthorizedCodeRecord | null>;
  /**
   * Redeems a live code (unredeemed, not voided, unexpired at `now`) and stores the access token it
   * buys, atomically; `code_unusable` (nothing written) otherwise.
   */
  redeemOid4vciCode(args: { codeHash: string; now: number; token: Oid4vciAccessTokenRecord }): Promise<void>;
  getOid4vciAccessToken(tokenHash: string): Promise<Oid4vciAccessTokenRecord | null>;
  createOid4vciNonce(nonce: Oid4vciNonceRecord): Promise<void>;
  getOid4vciNonce(nonceHash: string): Promise<Oid4vciNonceRecord | null>;
  /**
   * A delivery: consumes the nonce and the access token (each unused and unexpired at `now`) and
   * writes the audit event, atomically. `nonce_unusable` or `access_token_unusable` (nothing
   * written) otherwise.
   */
  deliverOid4vciCredential(args: { tokenHash: string; nonceHash: string; now: number; audit: AuditEventRecord }): Promise<void>;
  /** Deletes expired nonces, access tokens and codes (codes once no token names them); returns how many rows went. */
  pruneOid4vci(now: number): Promise<number>;

  /** Row counts per table: for health output and for tests asserting that nothing changed. */
  rowCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}
