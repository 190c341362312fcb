import { computeLeaf, encodeAttributes, readKycCredential, type CredentialAttributes, type EncodedAttributes, type ReadKycCredential } from '@zkkyc/credentials';
import type { StoredCredential } from '../storage/wallet-state.js';
import { didKeyResolver } from './did-key-resolver.js';

/** A stored credential opened for display and proving. */
export interface OpenedCredential {
  stored: StoredCredential;
  attributes: CredentialAttributes;
  encoded: EncodedAttributes;
  issuerDid: string;
  issuanceDate: string;
  expirationDate?: string;
  holderDid: string;
  identityCommitment: bigint;
}

/** The credential the issuer returned is not this holder's, or its VC and leaf disagree. */
export class CredentialMismatchError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'CredentialMismatchError';
  }
}

/**
 * Verifies an issued credential before the wallet keeps it: signed by the issuer's did:key (a VC 2.0
 * credential secured with VC-JOSE-COSE, or a 1.1 VC-JWT — `readKycCredential` reads both into the
 * same facts), it names this holder and this identity commitment, and VC + salt rebuild the leaf
 * the issuer put in its tree — the leaf the proof will open, so the two cannot silently disagree.
 * An expired credential still opens (the wallet shows it as expired).
 */
export async function openCredential(stored: StoredCredential, holder: { did: string; identityCommitment: bigint }): Promise<OpenedCredential> {
  let read: ReadKycCredential;
  try {
    read = await readKycCredential(stored.vcJwt, { resolver: didKeyResolver, ignoreValidity: true });
  } catch (err) {
    throw new CredentialMismatchError('vc', `signature does not verify: ${(err as Error).message}`);
  }
  const issuer = read.issuerDid;
  if (issuer !== stored.issuerDid) throw new CredentialMismatchError('vc.iss', `signed by ${issuer}, not the issuer ${stored.issuerDid}`);
  const holderDid = read.holderDid;
  if (holderDid !== holder.did) throw new CredentialMismatchError('vc.credentialSubject.id', 'is not this wallet’s DID');
  const attributes: CredentialAttributes = read.attributes;
  const encoded = encodeAttributes(attributes);
  const idc = read.identityCommitment;
  if (idc !== holder.identityCommitment) throw new CredentialMismatchError('vc.credentialSubject.identityCommitment', 'is not this wallet’s identity commitment');
  if (computeLeaf(idc, encoded, BigInt(stored.salt)) !== BigInt(stored.leaf)) {
    throw new CredentialMismatchError('leaf', 'the issuer’s leaf does not match the VC and salt');
  }
  return {
    stored,
    attributes,
    encoded,
    issuerDid: issuer,
    issuanceDate: read.validFrom ? new Date(read.validFrom).toISOString() : '',
    expirationDate: read.validUntil ? new Date(read.validUntil).toISOString() : undefined,
    holderDid,
    identityCommitment: idc,
  };
}
