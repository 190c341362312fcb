import { verifyJWT } from 'did-jwt';
import { computeLeaf, encodeAttributes, type CredentialAttributes, type EncodedAttributes } from '@zkkyc/credentials';
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

interface VcPayload {
  vc?: { credentialSubject?: Record<string, unknown>; credentialSchema?: unknown; type?: string[] };
  iss?: string;
  sub?: string;
  nbf?: number;
  exp?: number;
}

/**
 * Verifies an issued credential before the wallet keeps it: the JWT is signed by the issuer's
 * did:key, it names this holder and this identity commitment, and VC + salt rebuild the leaf the
 * issuer put in its tree — the leaf the proof will open, so the two cannot silently disagree.
 */
export async function openCredential(stored: StoredCredential, holder: { did: string; identityCommitment: bigint }): Promise<OpenedCredential> {
  let payload: VcPayload;
  let issuer: string;
  try {
    const verified = await verifyJWT(stored.vcJwt, { resolver: didKeyResolver, policies: { exp: false, nbf: false } });
    payload = verified.payload as VcPayload;
    issuer = verified.issuer;
  } catch (err) {
    throw new CredentialMismatchError('vc', `signature does not verify: ${(err as Error).message}`);
  }
  if (issuer !== stored.issuerDid) throw new CredentialMismatchError('vc.iss', `signed by ${issuer}, not the issuer ${stored.issuerDid}`);
  const subject = payload.vc?.credentialSubject ?? {};
  const holderDid = String(payload.sub ?? subject.id ?? '');
  if (holderDid !== holder.did) throw new CredentialMismatchError('vc.credentialSubject.id', 'is not this wallet’s DID');
  const attributes: CredentialAttributes = {
    jurisdiction: subject.jurisdiction as string,
    birthDate: subject.birthDate as string,
    investorClasses: subject.investorClasses as string[],
    kycLevel: subject.kycLevel as number,
    expiryDate: subject.expiryDate as string,
  };
  const encoded = encodeAttributes(attributes);
  const idc = BigInt(String(subject.identityCommitment));
  if (idc !== holder.identityCommitment) throw new CredentialMismatchError('vc.credentialSubject.identityCommitment', 'is not this wallet’s identity commitment');
  if (computeLeaf(idc, encoded, BigInt(stored.salt)) !== BigInt(stored.leaf)) {
    throw new CredentialMismatchError('leaf', 'the issuer’s leaf does not match the VC and salt');
  }
  return {
    stored,
    attributes,
    encoded,
    issuerDid: issuer,
    issuanceDate: payload.nbf ? new Date(payload.nbf * 1000).toISOString() : '',
    expirationDate: payload.exp ? new Date(payload.exp * 1000).toISOString() : undefined,
    holderDid,
    identityCommitment: idc,
  };
}
