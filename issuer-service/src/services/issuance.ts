import { randomUUID } from 'node:crypto';
import { computeLeaf, randomSalt } from '@zkkyc/credentials';
import { ApiError, notFound } from '../api-error.js';
import { StoreConflict, type ApplicationRecord, type CredentialRecord, type IssuerStore, type IssuedAttributes, type RequestedAttributes } from '../store/issuer-store.js';
import { checkIssuedAttributes } from './attribute-rules.js';
import type { Clock } from './clock.js';
import type { CredentialSigner } from './credential-signer.js';
import type { MerkleTree } from './issuer-tree.js';
import { SerialLock } from './serial-lock.js';

export interface ApprovalInput {
  /** Final values; anything left out is taken from the application. */
  attributes?: Partial<RequestedAttributes>;
  expiryDate: string;
}

/**
 * The reviewer's decisions: approve (sign the VC, append the leaf), reject, revoke (zero the leaf).
 *
 * Ordering is what keeps the store and the tree in step: the VC is signed first (it names the leaf
 * index, so the index is reserved under the lock), then one store transaction records the
 * credential, the leaf and the decision, and only after it commits does the in-memory tree change.
 * A crash before the commit loses nothing (the application is still pending); after it, the tree is
 * rebuilt from the store at the next start.
 */
export class IssuanceService {
  private readonly lock = new SerialLock();

  constructor(
    private readonly deps: { store: IssuerStore; tree: MerkleTree; signer: CredentialSigner; clock: Clock; treeId: string },
  ) {}

  private async pendingApplication(id: string): Promise<ApplicationRecord> {
    const app = await this.deps.store.getApplication(id);
    if (!app) throw notFound('application');
    if (app.status !== 'pending') throw new ApiError(409, 'application_not_pending', `application is already ${app.status}`, 'id');
    return app;
  }

  /** Issues the credential for a pending application. Returns the stored credential. */
  async approve(applicationId: string, input: ApprovalInput, reviewer: string): Promise<CredentialRecord> {
    const { store, tree, signer, clock, treeId } = this.deps;
    const app = await this.pendingApplication(applicationId);
    const merged = { ...app.attributes, ...input.attributes };
    if (merged.kycLevel === undefined) {
      throw new ApiError(400, 'invalid_field', 'the application names no KYC level; the approval must set one', 'attributes.kycLevel', 'required');
    }
    const attributes: IssuedAttributes = {
      jurisdiction: merged.jurisdiction,
      birthDate: merged.birthDate,
      investorClasses: merged.investorClasses,
      kycLevel: merged.kycLevel,
      expiryDate: input.expiryDate,
    };
    const encoded = checkIssuedAttributes(attributes, new Date(clock.now()));
    const idc = BigInt(app.identityCommitment);

    return this.lock.run(async () => {
      // Re-read under the lock: a concurrent approval of the same application may have won, and
      // signing a VC we cannot store would be wasted work (the store would refuse it anyway).
      await this.pendingApplication(applicationId);
      const leafIndex = tree.size;
      const salt = randomSalt();
      const leaf = computeLeaf(idc, encoded, salt);
      const vcJwt = await signer.sign({ holderDid: app.holderDid, attributes, identityCommitment: idc, leafIndex, treeId });
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
      };
      try {
        await store.recordApproval({
          credential,
          decision: { subjectType: 'application', subjectId: app.id, action: 'approve', reviewer, reason: null, decidedAt: now },
        });
      } catch (err) {
        throw translateConflict(err);
      }
      const appended = tree.append(leaf);
      if (appended !== leafIndex) throw new Error(`tree appended at ${appended}, store recorded ${leafIndex}: restart to rebuild the tree`);
      return credential;
    });
  }

  /** Closes a pending application without issuing. */
  async reject(applicationId: string, reason: string, reviewer: string): Promise<void> {
    await this.pendingApplication(applicationId);
    try {
      await this.deps.store.recordRejection({
        applicationId,
        decision: { subjectType: 'application', subjectId: applicationId, action: 'reject', reviewer, reason, decidedAt: this.deps.clock.now() },
      });
    } catch (err) {
      throw translateConflict(err);
    }
  }

  /** Revokes an active credential: its leaf becomes 0, which changes the root the publisher anchors. */
  async revoke(credentialId: string, reason: string, reviewer: string): Promise<CredentialRecord> {
    const { store, tree, clock } = this.deps;
    return this.lock.run(async () => {
      const credential = await store.getCredential(credentialId);
      if (!credential) throw notFound('credential');
      if (credential.status !== 'active') throw new ApiError(409, 'credential_not_active', `credential is already ${credential.status}`, 'id');
      try {
        await store.recordRevocation({
          credentialId,
          decision: { subjectType: 'credential', subjectId: credentialId, action: 'revoke', reviewer, reason, decidedAt: clock.now() },
        });
      } catch (err) {
        throw translateConflict(err);
      }
      tree.revoke(credential.leafIndex);
      return (await store.getCredential(credentialId)) as CredentialRecord;
    });
  }

  /** Waits for in-flight issuance and revocation (used on shutdown). */
  idle(): Promise<void> {
    return this.lock.idle();
  }
}

/** A concurrent decision can win the race between our read and our write; say so as a 409. */
function translateConflict(err: unknown): unknown {
  if (err instanceof StoreConflict) {
    if (err.reason === 'application_not_pending') return new ApiError(409, 'application_not_pending', err.message, 'id');
    if (err.reason === 'credential_not_active') return new ApiError(409, 'credential_not_active', err.message, 'id');
  }
  return err;
}
