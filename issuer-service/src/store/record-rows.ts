import type { ApplicationRecord, ApplicationStatus, AuditEventRecord, CredentialRecord, DecisionRecord, ProposalRecord } from './issuer-store.js';

/**
 * The table rows both SQL backends share (same columns, same names) and their mapping to records,
 * so SQLite and Postgres cannot drift apart in how they read a credential or an application.
 */

export interface ApplicationRow {
  id: string;
  holder_did: string;
  identity_commitment: string;
  attributes_json: string;
  status: ApplicationStatus;
  access_token_hash: string;
  challenge_nonce: string;
  created_at: number;
  updated_at: number;
}

export interface CredentialRow {
  id: string;
  application_id: string;
  holder_did: string;
  leaf_index: number;
  leaf: string;
  salt: string;
  attributes_json: string;
  expiry_date: string;
  vc_jwt: string;
  status: 'active' | 'revoked';
  issued_at: number;
  revoked_at: number | null;
  person_key?: string | null;
}

export const STORE_TABLES = [
  'challenges',
  'applications',
  'credentials',
  'leaves',
  'decisions',
  'root_publications',
  'proposals',
  'audit_events',
  'veramo_keys',
  'veramo_private_keys',
  'veramo_dids',
] as const;

export function toApplication(r: ApplicationRow): ApplicationRecord {
  return {
    id: r.id,
    holderDid: r.holder_did,
    identityCommitment: r.identity_commitment,
    attributes: JSON.parse(r.attributes_json),
    status: r.status,
    accessTokenHash: r.access_token_hash,
    challengeNonce: r.challenge_nonce,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toCredential(r: CredentialRow): CredentialRecord {
  return {
    id: r.id,
    applicationId: r.application_id,
    holderDid: r.holder_did,
    leafIndex: r.leaf_index,
    leaf: r.leaf,
    salt: r.salt,
    attributes: JSON.parse(r.attributes_json),
    expiryDate: r.expiry_date,
    vcJwt: r.vc_jwt,
    status: r.status,
    issuedAt: r.issued_at,
    revokedAt: r.revoked_at,
    personKey: r.person_key ?? null,
  };
}

export interface ProposalRow {
  id: number;
  application_id: string;
  reviewer: string;
  attributes_json: string;
  person_key: string;
  reason: string | null;
  proposed_at: number;
}

export function toProposal(r: ProposalRow): ProposalRecord {
  return {
    id: r.id,
    applicationId: r.application_id,
    reviewer: r.reviewer,
    attributes: JSON.parse(r.attributes_json),
    personKey: r.person_key,
    reason: r.reason,
    proposedAt: r.proposed_at,
  };
}

/** What the retention purge leaves of a purged application's audit event detail. */
export const PURGED_DETAIL = JSON.stringify({ purged: true });

export interface AuditEventRow {
  id: number;
  at: number;
  actor: string;
  role: string;
  action: AuditEventRecord['action'];
  subject_type: AuditEventRecord['subjectType'];
  subject_id: string | null;
  detail_json: string;
}

export function toAuditEvent(r: AuditEventRow): AuditEventRecord & { id: number } {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    role: r.role,
    action: r.action,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    detail: JSON.parse(r.detail_json),
  };
}

export interface DecisionRow {
  subject_type: DecisionRecord['subjectType'];
  subject_id: string;
  action: DecisionRecord['action'];
  reviewer: string;
  reason: string | null;
  decided_at: number;
}

export function toDecision(r: DecisionRow): DecisionRecord {
  return {
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    action: r.action,
    reviewer: r.reviewer,
    reason: r.reason,
    decidedAt: r.decided_at,
  };
}
