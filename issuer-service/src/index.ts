/**
 * @zkkyc/issuer-service — a KYC provider's credential issuer: holders apply with a DID and a zk
 * identity commitment, reviewers approve (VC signed with Veramo + a leaf in the issuer's Merkle
 * tree) or reject, and revoke; a publisher anchors the tree root through a `RootAnchor`.
 */
export { createIssuerService, type IssuerService, type IssuerServiceOptions } from './issuer-service.js';
export {
  loadConfig,
  parseReviewerKeys,
  ConfigError,
  DEV_KEY_SECRET,
  MIN_IDENTITY_RECORD_RETENTION_DAYS,
  REVIEWER_ROLES,
  type IssuerServiceConfig,
  type ReviewerCredential,
  type ReviewerRole,
  type RegistryAnchorConfig,
  type DisclosureConfig,
} from './config.js';
export type { RootAnchor } from './root-anchor.js';
export { RootPublisher, PublishError, INTERVAL_PUBLISHER, DEFAULT_CHAIN_NAME, type AnchorChain, type ChainOutcome, type ChainStatus, type PublishOutcome, type PublisherOptions } from './publisher.js';
export { ApiError } from './api-error.js';
export type { Clock } from './services/clock.js';
export type { MerkleTree } from './services/issuer-tree.js';
export type { CredentialSigner } from './services/credential-signer.js';
export {
  StoreConflict,
  type IssuerStore,
  type ApplicationRecord,
  type ApplicationStatus,
  type CredentialRecord,
  type CredentialStatus,
  type DecisionRecord,
  type IssuedAttributes,
  type RequestedAttributes,
  type RootPublicationRecord,
  type LeafRecord,
  type ChallengeRecord,
  type ProposalRecord,
  type AuditEventRecord,
  type DisclosureRecord,
  type SealedIdentityRecord,
} from './store/issuer-store.js';
export { JsonRpcDisclosureChain, disclosureEntryHash, type DisclosureChain, type DisclosureRequestRef, type ResolvedDisclosureRequest } from './services/disclosure-chain.js';
export type { IdentityRecord, RecordVerifier } from './services/identity-records.js';
export { SqliteIssuerStore } from './store/sqlite-issuer-store.js';
export { openSqliteDatabase } from './store/sqlite-database.js';
export { PostgresIssuerStore } from './store/postgres-issuer-store.js';
export { openPostgresDatabase, type PostgresOptions } from './store/postgres-database.js';
export { openStorage, type Storage, type StorageConfig } from './store/open-storage.js';
export { InstanceLockError, PostgresPublisherElection, DEFAULT_PUBLISHER_ELECTION_INTERVAL_MS, type InstanceLock, type PublisherElection } from './store/instance-lock.js';
export { RootAnchoringLog, type RootAnchoringRecord } from './store/root-anchorings.js';
export { MIGRATIONS, type Migration } from './store/migrations.js';
export { connectAnchorChains, connectRegistryAnchor } from './registry-connection.js';
export { didWebDocument, didWebFor } from './services/did-web.js';
