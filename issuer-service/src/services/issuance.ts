import { randomUUID } from 'node:crypto';
import { computeLeaf, randomSalt } from '@zkkyc/credentials';
import { ApiError, invalidField, notFound } from '../api-error.js';
import {
  StoreConflict,
  type ApplicationRecord,
  type ApprovalWrite,
  type AuditEventRecord,
  type CredentialRecord,
  type DecisionRecord,
  type IssuerStore,
  type IssuedAttributes,
  type ProposalRecord,
  type RequestedAttributes,
  type ScreeningMatchClosure,
  type VerifiedAttributes,
} from '../store/issuer-store.js';
import { checkIssuedAttributes, checkRequestedAttributes, dateAfterDays } from './attribute-rules.js';
import { checkReason } from './decision-reason.js';
import type { Clock } from './clock.js';
import type { CredentialSigner } from './credential-signer.js';
import type { StatusListService } from './status-list.js';
import { assertRoomForLeaf, type MerkleTree } from './issuer-tree.js';
import { personFields, type IdentityRecord, type IdentityRecordVault, type RecordVerifier } from './identity-records.js';
import type { PersonBinder, VerifiedPerson } from './person-binding.js';
import type { Actor } from './reviewer-auth.js';
import { SerialLock } from './serial-lock.js';
import { GroupCommit } from './group-commit.js';

export interface ApprovalInput {
  /**
   * Final values. Without a proposal, `kycLevel` is required (the reviewer's finding) and the
   * declared values left out are taken from the application; declared values that differ need a
   * proposal by another key (four-eyes). With a proposal, anything sent must equal it.
   */
  attributes?: Partial<RequestedAttributes>;
  expiryDate: string;
  /** The person the approver verified; required unless a proposal carries it (or in dev mode). */
  person?: VerifiedPerson;
  /**
   * The proposal the approver reviewed. Required when the application has a proposal, and it must
   * be the latest one (compared by id): a proposal recorded after the approver looked is refused.
   */
  proposalId?: number;
  /**
   * The person's active credential this approval replaces (and so revokes). Required when the person
   * holds one, refused when not: a replacement is never a side effect. Needs the revoker role too.
   */
  replaces?: string;
}

export interface ProposalInput {
  /**
   * The verified values: `kycLevel` is required (the reviewer's finding); declared values left out
   * stay as applied for.
   */
  attributes?: Partial<RequestedAttributes>;
  person: VerifiedPerson;
  reason?: string;
}

export interface ApprovalResult {
  credential: CredentialRecord;
  /** The same person's previous credential, revoked by this approval. */
  replaced: CredentialRecord | null;
}

export interface ProposalResult {
  proposal: ProposalRecord;
  changedAttributes: string[];
}

/** Who auto-approval (dev mode only) decides as. */
export const DEV_AUTO_APPROVER: Actor = { name: 'auto-approve (dev)', role: 'dev-auto-approve' };

/**
 * The reviewer's decisions: propose the verified values, approve (sign the VC, append the leaf),
 * reject, revoke (zero the leaf and, in the same transaction, set the credential's status list
 * bit) — each recorded as a decision and in the audit trail.
 *
 * Controls (issue 9, and the security review): an approval binds the credential to the verified
 * person and revokes that person's previous credential in the same transaction — only when it names
 * that credential (`replaces`) and the key also holds the revoker role; an approval names the
 * proposal it approves (`proposalId`); declared values (jurisdiction, birth date, investor classes)
 * that the reviewer changes need a proposal by one key and an approval by a different key; the KYC
 * level is always the reviewer's (review finding H1: an applicant's requested level is never
 * issued); the expiry is bounded by `maxLifetimeDays`.
 *
 * The store keeps the tree (migration 9): one transaction records the credential, its leaf, the
 * tree nodes above it, the replaced credential's revocation and the decisions, so a crash leaves
 * either all of it or none. The VC names its leaf index, so it is signed inside that transaction,
 * once the store has handed out the index under its tree lock (`IssuerStore.recordApprovals`) —
 * and, for VC 2.0, with the status list bit drawn at random there too (services/status-list.ts).
 * Approvals arriving together are written as one group commit (services/group-commit.ts), each
 * with its own checks, refusals and audit events.
 */
export class IssuanceService {
  /** Revocations one at a time (each is its own transaction); approvals go through `commits`. */
  private readonly lock = new SerialLock();
  private readonly commits: GroupCommit;

  constructor(
    private readonly deps: {
      store: IssuerStore;
      tree: MerkleTree;
      signer: CredentialSigner;
      /** Allocates each VC 2.0 credential's status bit (required when `signer.format` is 'vc2'). */
      statusList?: StatusListService;
      clock: Clock;
      treeId: string;
      persons: PersonBinder;
      /** Seals the verified identity record written with every credential (services/identity-records.ts). */
      records: IdentityRecordVault;
      /** Longest credential lifetime an approval may give, in days from today. */
      maxLifetimeDays: number;
      /** Dev mode: an approval may leave the person out (the credential is then unbound). */
      dev: boolean;
      /** Most approvals written in one transaction (64 by default). */
      maxBatch?: number;
    },
  ) {
    this.commits = new GroupCommit((drafts) => deps.store.recordApprovals(drafts), {
      maxBatch: deps.maxBatch,
      afterBatch: () => deps.tree.current(),
      // Two approvals of one person in one batch: the second was built before the first was written,
      // so it met the database's one-active-credential index — or, when both replace the same
      // credential, found it revoked by the first — instead of the replacement check that names the
      // credential; and two random status bits of one batch can collide. Built again, alone, each
      // gets its own answer (replacement_unconfirmed naming the winner; a fresh bit).
      retryOnce: (err) => err instanceof StoreConflict && (err.reason === 'person_has_active_credential' || err.reason === 'credential_not_active' || err.reason === 'status_index_taken'),
    });
  }

  private async pendingApplication(id: string): Promise<ApplicationRecord> {
    const app = await this.deps.store.getApplication(id);
    if (!app) throw notFound('application');
    if (app.status !== 'pending') throw new ApiError(409, 'application_not_pending', `application is already ${app.status}`, 'id');
    return app;
  }

  /**
   * The declared values with the reviewer's `findings` applied, and the KYC level from the findings
   * only. An application's own `kycLevel` is what an older client asked for, never a finding: taking
   * it as a default would let the applicant choose its level (review finding H1).
   */
  private verifiedAttributes(declared: RequestedAttributes, findings: Partial<RequestedAttributes> | undefined, where: string): VerifiedAttributes {
    const level = findings?.kycLevel;
    if (level === undefined) {
      throw new ApiError(
        422,
        'kyc_level_unset',
        `the KYC level is the reviewer's finding: set attributes.kycLevel (0..255) in the ${where}; the level an applicant asked for is never issued`,
        'attributes.kycLevel',
        'reviewer-sets',
      );
    }
    const merged = { ...declared, ...findings };
    return { jurisdiction: merged.jurisdiction, birthDate: merged.birthDate, investorClasses: [...merged.investorClasses], kycLevel: level };
  }

  /**
   * A reviewer records the values it verified: the person (as its key) and the final attributes.
   * A later proposal replaces an earlier one; the approval names the one it approves, which must be the latest.
   */
  async propose(applicationId: string, input: ProposalInput, actor: Actor): Promise<ProposalResult> {
    const { store, clock, persons, records } = this.deps;
    if (input.reason !== undefined) checkReason(input.reason);
    const app = await this.pendingApplication(applicationId);
    const attributes = this.verifiedAttributes(app.attributes, input.attributes, 'proposal');
    checkRequestedAttributes(attributes, new Date(clock.now()));
    const personKey = persons.keyOf(input.person, attributes.birthDate);
    const changedAttributes = changedAttributeNames(app.attributes, attributes);
    const now = clock.now();
    // The person itself goes with the proposal, sealed, for the approval to put in the identity record.
    const sealedPerson = records.sealPerson(input.person, applicationId, personKey);
    const proposal: ProposalRecord = { applicationId, reviewer: actor.name, attributes, personKey, sealedPerson, reason: input.reason ?? null, proposedAt: now, levelFromReviewer: true };
    try {
      proposal.id = await store.recordProposal(proposal, {
        at: now,
        actor: actor.name,
        role: actor.role,
        action: 'propose',
        subjectType: 'application',
        subjectId: applicationId,
        detail: { attributes, changedAttributes, reason: proposal.reason },
      });
    } catch (err) {
      throw translateConflict(err);
    }
    return { proposal, changedAttributes };
  }

  /** Issues the credential for a pending application (see the class comment for the controls). */
  async approve(applicationId: string, input: ApprovalInput, actor: Actor): Promise<ApprovalResult> {
    const { clock, persons } = this.deps;
    const app = await this.pendingApplication(applicationId);
    const proposal = await this.deps.store.latestProposal(applicationId);
    checkNamedProposal(proposal, input.proposalId);
    const now = new Date(clock.now());

    // 1. The final values: the proposal's when there is one (the approval cannot add to it), else the
    // declared values with the approver's findings — the KYC level among them, always.
    let verified: VerifiedAttributes;
    if (proposal) {
      if (!proposal.levelFromReviewer) {
        throw new ApiError(
          409,
          'proposal_outdated',
          `proposal ${proposal.id} was recorded before reviewers set the KYC level, and its level may be the applicant's request; record a new proposal`,
          'proposalId',
          'reviewer-sets',
        );
      }
      verified = proposal.attributes;
      if (input.attributes !== undefined && !sameAttributes(verified, { ...verified, ...input.attributes })) {
        throw new ApiError(409, 'proposal_mismatch', `the attributes differ from ${proposal.reviewer}'s proposal; approve it as proposed, or record a new proposal`, 'attributes', 'four-eyes');
      }
    } else {
      verified = this.verifiedAttributes(app.attributes, input.attributes, 'approval (or in a proposal)');
    }
    const attributes: IssuedAttributes = { ...verified, expiryDate: input.expiryDate };
    const encoded = checkIssuedAttributes(attributes, now);
    this.checkLifetime(input.expiryDate, now);

    // 2. The person: its key binds the credential, the person itself goes into the identity record.
    let personKey: string | null;
    let person: VerifiedPerson | null;
    if (proposal) {
      personKey = proposal.personKey;
      const proposed = proposal.sealedPerson ? this.deps.records.openPerson(proposal.sealedPerson, applicationId, proposal.personKey) : null;
      if (input.person !== undefined) {
        // The same key is not enough: the record keeps what the reviewer verified, names included.
        if (persons.keyOf(input.person, verified.birthDate) !== personKey || (proposed !== null && !samePerson(proposed, input.person))) {
          throw new ApiError(409, 'proposal_mismatch', `the person differs from the one ${proposal.reviewer} verified; record a new proposal`, 'person', 'four-eyes');
        }
      }
      person = proposed ?? input.person ?? null;
      if (person === null && !this.deps.dev) {
        // A proposal recorded before identity records existed kept only the person's key.
        throw invalidField(
          'person',
          'required',
          `${proposal.reviewer}'s proposal predates identity records and holds no person: send the verified person with the approval (or record a new proposal)`,
        );
      }
    } else if (input.person !== undefined) {
      personKey = persons.keyOf(input.person, verified.birthDate);
      person = input.person;
    } else if (this.deps.dev) {
      personKey = null;
      person = null;
    } else {
      throw invalidField('person', 'required', 'an approval must name the verified person (document type, issuing country, number, names, birth date), or follow a proposal that does');
    }

    // 3. Four-eyes: changed declarations need a proposal, by a key other than the approver's. Setting
    // the level is not one (it was never the applicant's to declare), so one key may set it and approve.
    const changedAttributes = changedAttributeNames(app.attributes, verified);
    if (changedAttributes.length > 0) {
      if (!proposal) {
        throw new ApiError(
          409,
          'proposal_required',
          `changing ${changedAttributes.join(', ')} needs four eyes: a reviewer records the verified values (POST /applications/${applicationId}/proposal), then a different key with the approver role approves`,
          'attributes',
          'four-eyes',
        );
      }
      if (proposal.reviewer === actor.name) {
        throw new ApiError(403, 'four_eyes', `${actor.name} proposed the changed attributes and cannot also approve them; another approver must`, 'x-api-key', 'four-eyes');
      }
    }

    const verifiedBy: RecordVerifier[] = proposal ? [{ name: proposal.reviewer, role: 'reviewer', action: 'proposed', at: proposal.proposedAt }] : [];
    return this.issue(
      app,
      attributes,
      encoded,
      { key: personKey, person, verifiedBy },
      actor,
      { changedAttributes, proposedBy: proposal?.reviewer ?? null, proposalId: proposal?.id ?? null },
      proposal,
      input.replaces,
    );
  }

  /**
   * Dev mode only: approve on arrival with the declared values and the configured level (never the
   * applicant's request), unbound to a person, labelled as such.
   */
  async autoApprove(applicationId: string, input: { kycLevel: number; expiryDate: string }): Promise<ApprovalResult> {
    if (!this.deps.dev) throw new Error('auto-approval needs dev mode');
    const app = await this.pendingApplication(applicationId);
    const attributes: IssuedAttributes = { ...this.verifiedAttributes(app.attributes, { kycLevel: input.kycLevel }, 'auto-approval'), expiryDate: input.expiryDate };
    const encoded = checkIssuedAttributes(attributes, new Date(this.deps.clock.now()));
    return this.issue(
      app,
      attributes,
      encoded,
      { key: null, person: null, verifiedBy: [] },
      DEV_AUTO_APPROVER,
      { changedAttributes: changedAttributeNames(app.attributes, attributes), proposedBy: null, dev: true },
      null,
      undefined,
    );
  }

  private checkLifetime(expiryDate: string, now: Date): void {
    const limit = dateAfterDays(now, this.deps.maxLifetimeDays);
    if (expiryDate > limit) {
      throw invalidField('expiryDate', 'max-lifetime', `${expiryDate} is beyond the maximum credential lifetime of ${this.deps.maxLifetimeDays} days (MAX_CREDENTIAL_LIFETIME_DAYS): at most ${limit}`);
    }
  }

  private async issue(
    app: ApplicationRecord,
    attributes: IssuedAttributes,
    encoded: ReturnType<typeof checkIssuedAttributes>,
    verifiedPerson: { key: string | null; person: VerifiedPerson | null; verifiedBy: RecordVerifier[] },
    actor: Actor,
    detail: Record<string, unknown>,
    proposal: ProposalRecord | null,
    namedReplacement: string | undefined,
  ): Promise<ApprovalResult> {
    const { store, tree, signer, clock, treeId, records } = this.deps;
    const personKey = verifiedPerson.key;
    const idc = BigInt(app.identityCommitment);
    // A full tree refuses before the approval queues (and again with the index the store hands out).
    assertRoomForLeaf({ depth: tree.depth, size: (await tree.current()).leafCount });
    // The leaf does not name its index: hashed before the approval queues, outside the tree lock.
    const salt = randomSalt();
    const leaf = computeLeaf(idc, encoded, salt);
    let result: ApprovalResult | null = null;
    const build = async (leafIndex: number): Promise<ApprovalWrite> => {
      // Re-read under the store's tree lock: a concurrent approval of the same application may have
      // won, and signing a VC we cannot store would be wasted work (the store would refuse it anyway).
      await this.pendingApplication(app.id);
      // The proposal approved must still be the latest, by id (a proposal recorded meanwhile, even
      // in the same millisecond, is another id) — and none may have appeared if there was none.
      const latest = await store.latestProposal(app.id);
      if ((latest?.id ?? null) !== (proposal?.id ?? null)) {
        throw new ApiError(409, 'proposal_changed', `proposal ${latest?.id ?? '(none)'} was recorded meanwhile; review it and approve it by its id`, 'proposalId', 'latest-proposal');
      }
      const replaced = personKey ? await store.getActiveCredentialForPerson(personKey) : null;
      checkReplacement(replaced, namedReplacement, actor);
      assertRoomForLeaf({ depth: tree.depth, size: leafIndex }); // before anything is signed or written
      // A VC 2.0 credential names its status bit: drawn at random now, stored with the credential.
      let status: Awaited<ReturnType<StatusListService['allocate']>> | null = null;
      if (signer.format === 'vc2') {
        if (!this.deps.statusList) throw new Error('VC 2.0 issuance needs the status list service');
        status = await this.deps.statusList.allocate();
      }
      const vcJwt = await signer.sign({
        holderDid: app.holderDid,
        attributes,
        identityCommitment: idc,
        leafIndex,
        treeId,
        issuedAt: new Date(clock.now()),
        ...(status ? { status: status.entry } : {}),
      });
      const now = clock.now();
      const credential: CredentialRecord = {
        id: randomUUID(),
        applicationId: app.id,
        holderDid: app.holderDid,
        leafIndex,
        leaf: leaf.toString(),
        salt: salt.toString(),
        attributes,
        expiryDate: attributes.expiryDate,
        vcJwt,
        status: 'active',
        issuedAt: now,
        revokedAt: null,
        personKey,
        format: signer.format,
        statusList: status?.list ?? null,
        statusIndex: status?.index ?? null,
      };
      const audit: AuditEventRecord[] = [
        {
          at: now,
          actor: actor.name,
          role: actor.role,
          action: 'approve',
          subjectType: 'application',
          subjectId: app.id,
          detail: {
            credentialId: credential.id,
            leafIndex,
            attributes,
            ...detail,
            personBound: personKey !== null,
            replacedCredentialId: replaced?.id ?? null,
          },
        },
      ];
      // The verified identity behind the credential, sealed, written in the same transaction.
      const record: IdentityRecord = {
        version: 1,
        credentialId: credential.id,
        leafIndex,
        person: verifiedPerson.person && personFields(verifiedPerson.person),
        attributes,
        issuedAt: now,
        validUntil: attributes.expiryDate,
        verifiedBy: [...verifiedPerson.verifiedBy, { name: actor.name, role: actor.role, action: 'approved', at: now }],
      };
      const identityRecord = records.seal(record, now);
      let replaces: { credentialId: string; decision: DecisionRecord } | undefined;
      if (replaced) {
        const reason = `replaced by credential ${credential.id} (same verified person, application ${app.id})`;
        replaces = {
          credentialId: replaced.id,
          decision: { subjectType: 'credential', subjectId: replaced.id, action: 'revoke', reviewer: actor.name, reason, decidedAt: now },
        };
        // A replacement is a revocation, taken under the revoker role (checkReplacement made sure the key holds it).
        audit.push({
          at: now,
          actor: actor.name,
          role: 'revoker',
          action: 'replace',
          subjectType: 'credential',
          subjectId: replaced.id,
          detail: { replacedBy: credential.id, leafIndex: replaced.leafIndex },
        });
      }
      result = { credential, replaced };
      return {
        credential,
        decision: { subjectType: 'application', subjectId: app.id, action: 'approve', reviewer: actor.name, reason: null, decidedAt: now },
        replaces,
        audit,
        identityRecord,
      };
    };
    try {
      await this.commits.submit({ build });
    } catch (err) {
      throw translateConflict(err);
    }
    return result!;
  }

  /** Closes a pending application without issuing. */
  async reject(applicationId: string, reason: string, actor: Actor): Promise<void> {
    checkReason(reason);
    await this.pendingApplication(applicationId);
    const now = this.deps.clock.now();
    try {
      await this.deps.store.recordRejection({
        applicationId,
        decision: { subjectType: 'application', subjectId: applicationId, action: 'reject', reviewer: actor.name, reason, decidedAt: now },
        audit: [{ at: now, actor: actor.name, role: actor.role, action: 'reject', subjectType: 'application', subjectId: applicationId, detail: { reason } }],
      });
    } catch (err) {
      throw translateConflict(err);
    }
  }

  /**
   * Revokes an active credential: its leaf becomes 0, which changes the root the publisher anchors.
   * `screening`: a confirmed screening match (services/screening.ts) closed in the same transaction,
   * with its own audit event.
   */
  async revoke(credentialId: string, reason: string, actor: Actor, screening?: { closeMatch: ScreeningMatchClosure; audit: AuditEventRecord }): Promise<CredentialRecord> {
    const { store, tree, clock } = this.deps;
    checkReason(reason);
    return this.lock.run(async () => {
      const credential = await store.getCredential(credentialId);
      if (!credential) throw notFound('credential');
      if (credential.status !== 'active') throw new ApiError(409, 'credential_not_active', `credential is already ${credential.status}`, 'id');
      const now = clock.now();
      try {
        await store.recordRevocation({
          credentialId,
          decision: { subjectType: 'credential', subjectId: credentialId, action: 'revoke', reviewer: actor.name, reason, decidedAt: now },
          audit: [
            { at: now, actor: actor.name, role: actor.role, action: 'revoke', subjectType: 'credential', subjectId: credentialId, detail: { reason, leafIndex: credential.leafIndex } },
            ...(screening ? [{ ...screening.audit, at: now }] : []),
          ],
          ...(screening ? { closeMatch: { ...screening.closeMatch, decidedAt: now } } : {}),
        });
      } catch (err) {
        throw translateConflict(err);
      }
      await tree.current();
      return (await store.getCredential(credentialId)) as CredentialRecord;
    });
  }

  /**
   * The credential of an approved application, for its holder, in `format`: the stored VC (its
   * issued format, 'vc2' or 'vc1.1'), or a freshly signed SD-JWT VC of the same facts (new salts
   * each time, so two presentations of two copies cannot be linked by their digests). Refuses an
   * unknown application, another holder's DID, a revoked credential (for a new SD-JWT VC) and a
   * format the credential was not issued in. Callable from any delivery route (the holder API, OpenID4VCI).
   */
  async credentialFor(
    applicationId: string,
    holderDid: string,
    format: 'vc2' | 'vc1.1' | 'sd-jwt-vc',
  ): Promise<{ format: 'vc2' | 'vc1.1' | 'sd-jwt-vc'; credential: string; issuerDid: string; record: CredentialRecord }> {
    const { store, signer, treeId, clock } = this.deps;
    const app = await store.getApplication(applicationId);
    const record = app ? await store.getCredentialForApplication(applicationId) : null;
    if (!app || !record) throw notFound('credential');
    if (record.holderDid !== holderDid) throw new ApiError(403, 'holder_mismatch', 'the credential was issued to another DID', 'holderDid', 'credential-holder');
    const issued = record.format ?? 'vc1.1';
    if (format === issued) {
      return { format, credential: record.vcJwt, issuerDid: issuerOf(record.vcJwt), record };
    }
    if (format !== 'sd-jwt-vc') {
      throw new ApiError(409, 'format_unavailable', `the credential was issued as ${issued}; it is available as ${issued} or sd-jwt-vc`, 'format', 'issued-format');
    }
    if (record.status !== 'active') throw new ApiError(409, 'credential_not_active', `credential is ${record.status}`, 'id');
    const credential = await signer.signSdJwtVc({
      holderDid: record.holderDid,
      attributes: record.attributes,
      identityCommitment: BigInt(app.identityCommitment),
      leafIndex: record.leafIndex,
      treeId,
      issuedAt: new Date(clock.now()),
    });
    return { format, credential, issuerDid: signer.jose.did, record };
  }

  /** Waits for in-flight issuance and revocation (used on shutdown). */
  async idle(): Promise<void> {
    await this.commits.idle();
    await this.lock.idle();
  }
}

/** The issuer DID of a stored VC-JWT (either format): its `iss` claim. */
function issuerOf(jwt: string): string {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as { iss?: string; issuer?: string | { id: string } };
  return payload.iss ?? (typeof payload.issuer === 'string' ? payload.issuer : (payload.issuer?.id ?? ''));
}

/** Whether two verified persons are the same values, field by field (names included). */
function samePerson(a: VerifiedPerson, b: VerifiedPerson): boolean {
  const x = personFields(a);
  const y = personFields(b);
  return (Object.keys(x) as Array<keyof VerifiedPerson>).every((k) => x[k] === y[k]);
}

/**
 * The declared attributes (jurisdiction, birth date, investor classes; classes compared as sets)
 * whose final value differs from the application: what four-eyes is about. The KYC level is never
 * among them — the applicant does not declare it, the reviewer finds it.
 */
export function changedAttributeNames(applied: RequestedAttributes | VerifiedAttributes, final: RequestedAttributes | VerifiedAttributes): string[] {
  const changed: string[] = [];
  if (applied.jurisdiction !== final.jurisdiction) changed.push('jurisdiction');
  if (applied.birthDate !== final.birthDate) changed.push('birthDate');
  const a = [...applied.investorClasses].sort();
  const b = [...final.investorClasses].sort();
  if (a.length !== b.length || a.some((c, i) => c !== b[i])) changed.push('investorClasses');
  return changed;
}

/** Whether two sets of final values are the same, the KYC level included. */
function sameAttributes(a: VerifiedAttributes, b: RequestedAttributes): boolean {
  return changedAttributeNames(a, b).length === 0 && a.kycLevel === b.kycLevel;
}

/**
 * The approval must name the application's latest proposal when it has one (`proposalId`), and may
 * name none when it has none: the approver approves what it reviewed, nothing swapped in after.
 */
function checkNamedProposal(latest: ProposalRecord | null, proposalId: number | undefined): void {
  if (latest && proposalId === undefined) {
    throw new ApiError(
      409,
      'proposal_unconfirmed',
      `${latest.reviewer} recorded proposal ${latest.id} for this application: review it and send its id as proposalId to approve it`,
      'proposalId',
      'latest-proposal',
    );
  }
  if (proposalId !== undefined && latest?.id !== proposalId) {
    throw new ApiError(
      409,
      'proposal_changed',
      latest ? `proposal ${proposalId} is not the latest (${latest.id}, by ${latest.reviewer}); review that one and approve it by its id` : `this application has no proposal ${proposalId}`,
      'proposalId',
      'latest-proposal',
    );
  }
}

/**
 * A person's new credential revokes the active one, so the approval must say so (`replaces` = that
 * credential's id) and the key must hold the revoker role as well; an approval that names a
 * replacement where there is none is refused too. (Reviewer keys belong to the issuer's staff, so
 * the refusal may name the credential.)
 */
function checkReplacement(replaced: CredentialRecord | null, replaces: string | undefined, actor: Actor): void {
  if (replaced) {
    const roles = actor.roles ?? [actor.role];
    if (!roles.includes('revoker')) {
      throw new ApiError(
        403,
        'missing_role',
        `this person holds active credential ${replaced.id}, which approving would replace (revoke): that needs the revoker role as well; the key of "${actor.name}" has ${roles.join(', ')}`,
        'x-api-key',
        'revoker',
      );
    }
    if (replaces !== replaced.id) {
      throw new ApiError(
        409,
        'replacement_unconfirmed',
        `this person holds active credential ${replaced.id}; approving revokes it — send replaces: "${replaced.id}" to confirm${replaces === undefined ? '' : ` (replaces names ${replaces})`}`,
        'replaces',
        'names-replaced-credential',
      );
    }
  } else if (replaces !== undefined) {
    throw new ApiError(409, 'replacement_unconfirmed', `this person holds no active credential, so there is nothing to replace (replaces names ${replaces})`, 'replaces', 'names-replaced-credential');
  }
}

/** A concurrent decision can win the race between our read and our write; say so as a 409. */
function translateConflict(err: unknown): unknown {
  if (err instanceof StoreConflict) {
    if (err.reason === 'application_not_pending') return new ApiError(409, 'application_not_pending', err.message, 'id');
    if (err.reason === 'credential_not_active') return new ApiError(409, 'credential_not_active', err.message, 'id');
    if (err.reason === 'match_not_open') return new ApiError(409, 'match_not_open', err.message, 'id');
    if (err.reason === 'person_has_active_credential') {
      // The database's one-active-credential-per-person index refused the write. One instance per
      // database and the issuance lock make this unreachable through the service; it stays a 409.
      return new ApiError(409, 'person_has_active_credential', `${err.message}; approve again naming it in \`replaces\``, 'person');
    }
    if (err.reason === 'status_index_taken') {
      // Only another writer (a hand edit, a second instance) can take the bit drawn under the lock.
      return new ApiError(409, 'status_index_taken', `${err.message}: approve again (a new bit is drawn)`, 'id');
    }
    if (err.reason === 'leaf_index_taken') {
      // The store hands out indices under its tree lock, so only a hand edit of the leaves gets here.
      return new ApiError(409, 'leaf_index_taken', `${err.message}: the leaves table was changed behind the service; nothing was written`, 'id', 'tree-lock');
    }
  }
  return err;
}
