import type { BitstringStatusListEntry, JwsSigner } from '@zkkyc/credentials';
import type { IssuedAttributes } from '../store/issuer-store.js';

/** The facts a KYC credential states, in every format. */
export interface KycCredentialFacts {
  holderDid: string;
  attributes: IssuedAttributes;
  identityCommitment: bigint;
  leafIndex: number;
  treeId: string;
  /** When it is issued (the service clock): VC 2.0 `validFrom`, SD-JWT VC `iat`. Default: now. */
  issuedAt?: Date;
}

/** The formats an approval issues (`CREDENTIAL_FORMAT`). */
export type IssuedCredentialFormat = 'vc2' | 'vc1.1';

/**
 * The capability of signing KYC credentials as the issuer. The service depends on this, not on a
 * Veramo agent, so the agent's wiring (stores, KMS, DID method) stays in one place (`issuer-identity.ts`).
 */
export interface CredentialSigner {
  /** The DID the configured format's credentials are issued under (what the service announces). */
  readonly did: string;
  /** What `sign` produces. */
  readonly format: IssuedCredentialFormat;
  /**
   * Returns the credential as a JWT: VC 2.0 secured with VC-JOSE-COSE (`status` is its Bitstring
   * Status List entry, required) or the 1.1 VC-JWT (`status` ignored: 1.1 has no status entry).
   */
  sign(args: KycCredentialFacts & { status?: BitstringStatusListEntry }): Promise<string>;
  /** The same facts as an SD-JWT VC, every claim selectively disclosable (issuer: `jose.did`). */
  signSdJwtVc(args: KycCredentialFacts): Promise<string>;
  /** The ES256 signer of VC 2.0 credentials, SD-JWT VCs and the status list credential. */
  readonly jose: { did: string; signer: JwsSigner };
}
