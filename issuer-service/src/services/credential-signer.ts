import type { IssuedAttributes } from '../store/issuer-store.js';

/**
 * The capability of signing a KYC VC as the issuer. The service depends on this, not on a Veramo
 * agent, so the agent's wiring (stores, KMS, DID method) stays in one place (`issuer-identity.ts`).
 */
export interface CredentialSigner {
  /** The issuer DID every VC is signed with. */
  readonly did: string;
  /** Returns the VC as a JWT. */
  sign(args: {
    holderDid: string;
    attributes: IssuedAttributes;
    identityCommitment: bigint;
    leafIndex: number;
    treeId: string;
  }): Promise<string>;
}
