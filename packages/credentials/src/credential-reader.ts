import { verifyCredential } from 'did-jwt-vc';
import type { Resolvable } from 'did-resolver';
import { decodeProtectedHeader } from 'jose';
import type { CredentialAttributes } from './attributes.js';
import { KYC_CREDENTIAL_SCHEMA_ID } from './kyc-credential-schema.js';
import { kycSubjectAttributes, VC_JWT_TYP, verifyKycCredentialV2, type BitstringStatusListEntry, type KycSubjectV2 } from './vc2-jose.js';

/**
 * One reader for every KYC credential an issuer has handed out: the W3C VC Data Model 1.1 VC-JWT
 * (the `vc` claim, ES256K, issued before VC 2.0) and the VC 2.0 credential secured with
 * VC-JOSE-COSE (`typ: vc+jwt`, the payload is the credential). Both come back as the same
 * `ReadKycCredential`, so the SDK and the wallet do not care which one they hold. Browser-safe.
 */

/** How a credential is secured: VC 2.0 + VC-JOSE-COSE, the 1.1 VC-JWT, or an SD-JWT VC. */
export type CredentialFormat = 'vc2' | 'vc1.1' | 'sd-jwt-vc';

/** What either data model says, normalised. */
export interface ReadKycCredential {
  format: Exclude<CredentialFormat, 'sd-jwt-vc'>;
  /** The credential as its data model writes it (1.1: issuanceDate/expirationDate; 2.0: validFrom/validUntil). */
  credential: {
    '@context': string[];
    type: string[];
    issuer: string | { id: string };
    credentialSubject: KycSubjectV2;
    credentialSchema: { id: string; type: 'JsonSchema' };
    credentialStatus?: BitstringStatusListEntry;
    [key: string]: unknown;
  };
  attributes: CredentialAttributes;
  issuerDid: string;
  holderDid: string;
  identityCommitment: bigint;
  leafIndex: number;
  treeId: string;
  /** ISO date-time: 2.0 `validFrom`, 1.1 `issuanceDate`. */
  validFrom: string;
  /** ISO date-time: 2.0 `validUntil`, 1.1 `expirationDate`; undefined when the credential has none. */
  validUntil?: string;
}

export interface ReadKycCredentialOptions {
  /** Resolves the issuer's DID (did:key, did:web…). */
  resolver: Resolvable;
  /** When set, the credential must be issued by this DID. */
  issuerDid?: string;
  /** The time to check validity at (default now). */
  now?: Date;
  /** Do not refuse an expired or not-yet-valid credential (the wallet still shows one). */
  ignoreValidity?: boolean;
}

/** The format of a JWT-shaped credential, from its header: `vc+jwt` is 2.0, anything else 1.1. */
export function credentialFormatOf(jwt: string): 'vc2' | 'vc1.1' {
  try {
    return decodeProtectedHeader(jwt).typ === VC_JWT_TYP ? 'vc2' : 'vc1.1';
  } catch {
    return 'vc1.1'; // did-jwt-vc reports the malformed token
  }
}

/**
 * The resolver did-jwt verifies 1.1 credentials with, made strict: a DID document that lists no
 * `assertionMethod` at all is handed over with an empty one. did-jwt otherwise reads a document
 * without the property as allowing every key it lists (authentication keys included), so
 * `proofPurpose: 'assertionMethod'` would not hold for such issuers.
 */
export function assertionStrictResolver(resolver: Resolvable): Resolvable {
  return {
    async resolve(didUrl, options) {
      const result = await resolver.resolve(didUrl, options);
      if (!result.didDocument || Array.isArray(result.didDocument.assertionMethod)) return result;
      return { ...result, didDocument: { ...result.didDocument, assertionMethod: [] } };
    },
  };
}

/**
 * Verifies a KYC credential in either format and returns its facts. Throws (an Error saying why)
 * when the signature, the issuer, the validity window or the KycCredential shape is wrong.
 */
export async function readKycCredential(jwt: string, options: ReadKycCredentialOptions): Promise<ReadKycCredential> {
  if (typeof jwt !== 'string' || jwt.split('.').length !== 3) throw new Error('vc: not a compact JWT');
  let read: Omit<ReadKycCredential, 'holderDid' | 'identityCommitment' | 'leafIndex' | 'treeId'>;
  if (credentialFormatOf(jwt) === 'vc2') {
    const { credential, attributes } = await verifyKycCredentialV2(jwt, options);
    read = { format: 'vc2', credential, attributes, issuerDid: credential.issuer, validFrom: credential.validFrom, validUntil: credential.validUntil };
  } else {
    const now = options.now ? Math.floor(options.now.getTime() / 1000) : undefined;
    const policies = options.ignoreValidity ? { now, issuanceDate: false, expirationDate: false, nbf: false, exp: false } : { now };
    // Signed by a key the issuer lists for assertions, not any key of its DID document.
    const verified = await verifyCredential(jwt, assertionStrictResolver(options.resolver), { policies, proofPurpose: 'assertionMethod' });
    const credential = verified.verifiableCredential as unknown as ReadKycCredential['credential'] & { issuanceDate: string; expirationDate?: string };
    const issuerDid = typeof credential.issuer === 'string' ? credential.issuer : credential.issuer.id;
    if (options.issuerDid !== undefined && issuerDid !== options.issuerDid) throw new Error(`issued by ${issuerDid}, expected ${options.issuerDid}`);
    if (credential.credentialSchema?.id !== KYC_CREDENTIAL_SCHEMA_ID) throw new Error(`credentialSchema.id is not ${KYC_CREDENTIAL_SCHEMA_ID}`);
    read = { format: 'vc1.1', credential, attributes: kycSubjectAttributes(credential), issuerDid, validFrom: credential.issuanceDate, validUntil: credential.expirationDate };
  }
  const subject = read.credential.credentialSubject;
  return { ...read, holderDid: subject.id, identityCommitment: BigInt(subject.identityCommitment), leafIndex: subject.leafIndex, treeId: subject.treeId };
}
