import { getDidKeyResolver } from '@veramo/did-provider-key';
import { verifyCredential, type VerifyCredentialPolicies } from 'did-jwt-vc';
import { Resolver, type Resolvable } from 'did-resolver';
import { encodeAttributes, type CredentialAttributes } from './attributes.js';
import { checkCredentialFacts, leafClaims, type KycCredentialFacts } from './credential-facts.js';
import { ValidationError } from './errors.js';
import { assertFieldElement } from './field.js';
import type { IssuerAgent } from './issuer-agent.js';
import { KYC_CREDENTIAL_SCHEMA_ID } from './kyc-credential-schema.js';
import { computeLeaf } from './leaf.js';
import { assertionStrictResolver, credentialFormatOf, readKycCredential, type CredentialFormat } from './credential-reader.js';
import type { BitstringStatusListEntry } from './vc2-jose.js';

/**
 * The W3C credential an issuer hands a holder. It states the same facts the tree leaf commits to,
 * in human form, plus the holder's identity commitment and where the leaf sits (tree and index).
 * The salt is deliberately absent: with it anyone holding the VC could link it to the public leaf.
 */
export interface KycCredentialSubject {
  /** The holder's DID. */
  id: string;
  jurisdiction: string;
  birthDate: string;
  investorClasses: string[];
  kycLevel: number;
  /** YYYY-MM-DD, last valid day; the leaf commits to this, `expirationDate` mirrors it. */
  expiryDate: string;
  /** Poseidon1(s), decimal. */
  identityCommitment: string;
  leafIndex: number;
  treeId: string;
}

export interface KycCredential {
  '@context': string[];
  type: string[];
  issuer: { id: string } | string;
  /** 1.1: when it was issued (2.0 writes `validFrom`). */
  issuanceDate?: string;
  /** 1.1: when it ends (2.0 writes `validUntil`). */
  expirationDate?: string;
  /** 2.0: `urn:uuid:…`. */
  id?: string;
  validFrom?: string;
  validUntil?: string;
  credentialSubject: KycCredentialSubject;
  credentialSchema: { id: string; type: 'JsonSchema' };
  credentialStatus?: BitstringStatusListEntry;
  proof?: { type?: string; jwt?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface IssueKycCredentialArgs extends KycCredentialFacts {
  /** ISO date-time; defaults to the end (23:59:59Z) of `attributes.expiryDate`, and must fall on that day. */
  expirationDate?: string;
}

const VC_CONTEXT = 'https://www.w3.org/2018/credentials/v1';
const VC_TYPE = 'KycCredential';

function endOfDay(isoDate: string): string {
  return `${isoDate}T23:59:59Z`;
}

/**
 * Signs a KycCredential as a JWT (W3C VC data model 1.1, `proofFormat: 'jwt'`) with the issuer's
 * DID key. The attributes are validated and written in canonical form (investor classes in bit
 * order), so the leaf recomputed from the VC is the leaf the issuer appended.
 */
export async function issueKycCredential(agent: IssuerAgent, args: IssueKycCredentialArgs): Promise<{ jwt: string; credential: KycCredential }> {
  const attributes = checkCredentialFacts(args);
  const expirationDate = args.expirationDate ?? endOfDay(attributes.expiryDate);
  const expiration = new Date(expirationDate);
  if (Number.isNaN(expiration.getTime()) || expiration.toISOString().slice(0, 10) !== attributes.expiryDate) {
    throw new ValidationError('expirationDate', 'same-day-as-expiryDate', `${expirationDate} is not a date-time on ${attributes.expiryDate}`);
  }

  const credential = {
    '@context': [VC_CONTEXT],
    type: ['VerifiableCredential', VC_TYPE],
    issuer: { id: args.issuerDid },
    issuanceDate: new Date().toISOString(),
    expirationDate,
    credentialSchema: { id: KYC_CREDENTIAL_SCHEMA_ID, type: 'JsonSchema' as const },
    credentialSubject: {
      id: args.holderDid,
      ...leafClaims(attributes, args),
    },
  };
  const vc = await agent.createVerifiableCredential({ credential, proofFormat: 'jwt' });
  const jwt = vc.proof?.jwt;
  if (typeof jwt !== 'string') throw new Error('the credential plugin returned no JWT');
  return { jwt, credential: vc as unknown as KycCredential };
}

/**
 * Checks that a credential's subject has the KycCredential shape (the JSON Schema's rules) and
 * returns its attributes. Throws a ValidationError naming the first bad field.
 */
export function kycAttributesFromCredential(credential: KycCredential): CredentialAttributes {
  const subject = credential?.credentialSubject;
  if (!subject || typeof subject !== 'object') throw new ValidationError('credentialSubject', 'object', 'is missing');
  if (!Array.isArray(credential.type) || !credential.type.includes(VC_TYPE)) throw new ValidationError('type', VC_TYPE, `must include ${VC_TYPE}`);
  const attributes: CredentialAttributes = {
    jurisdiction: subject.jurisdiction,
    birthDate: subject.birthDate,
    investorClasses: subject.investorClasses,
    kycLevel: subject.kycLevel,
    expiryDate: subject.expiryDate,
  };
  encodeAttributes(attributes);
  if (typeof subject.identityCommitment !== 'string' || !/^(0|[1-9][0-9]*)$/.test(subject.identityCommitment)) {
    throw new ValidationError('identityCommitment', 'decimal', 'must be a decimal string');
  }
  assertFieldElement(BigInt(subject.identityCommitment), 'identityCommitment');
  if (!Number.isSafeInteger(subject.leafIndex) || subject.leafIndex < 0) throw new ValidationError('leafIndex', 'uint32', 'must be a non-negative integer');
  if (typeof subject.treeId !== 'string' || subject.treeId.length === 0) throw new ValidationError('treeId', 'non-empty-string', 'must be a non-empty string');
  return attributes;
}

export interface VerifyKycCredentialOptions {
  /** Resolver for the issuer's DID method; did:key is resolved without one. */
  resolver?: Resolvable;
  /** When set, the credential must be issued by this DID. */
  issuerDid?: string;
  /** did-jwt-vc policies, e.g. `{ now }` (seconds) to verify at another time. */
  policies?: VerifyCredentialPolicies;
}

/**
 * Verifies a KycCredential JWT in either data model — the 1.1 VC-JWT with did-jwt-vc alone (no
 * Veramo, to show any VC library can check what the issuer agent signs), the 2.0 VC-JOSE-COSE form
 * with jose (vc2-jose.ts) — then the KycCredential shape. did:key issuers resolve without a
 * resolver. Never throws; a failure comes back as `error`.
 */
export async function verifyKycCredential(
  jwt: string,
  options: VerifyKycCredentialOptions = {},
): Promise<{ verified: boolean; credential?: KycCredential; format?: Exclude<CredentialFormat, 'sd-jwt-vc'>; error?: string }> {
  try {
    const resolver = options.resolver ?? new Resolver(getDidKeyResolver());
    const now = options.policies?.now !== undefined ? new Date(options.policies.now * 1000) : undefined;
    const format = credentialFormatOf(jwt);
    if (format === 'vc1.1') {
      // did-jwt-vc's own policies (e.g. `now`) apply unchanged to the 1.1 form.
      // Signed by a key the issuer lists for assertions, not any key of its DID document.
      const result = await verifyCredential(jwt, assertionStrictResolver(resolver), { proofPurpose: 'assertionMethod', ...(options.policies ? { policies: options.policies } : {}) });
      const credential = result.verifiableCredential as unknown as KycCredential;
      const issuer = typeof credential.issuer === 'string' ? credential.issuer : credential.issuer.id;
      if (options.issuerDid !== undefined && issuer !== options.issuerDid) {
        return { verified: false, error: `issued by ${issuer}, expected ${options.issuerDid}` };
      }
      if (credential.credentialSchema?.id !== KYC_CREDENTIAL_SCHEMA_ID) {
        return { verified: false, error: `credentialSchema.id is not ${KYC_CREDENTIAL_SCHEMA_ID}` };
      }
      kycAttributesFromCredential(credential);
      return { verified: true, credential, format };
    }
    const read = await readKycCredential(jwt, { resolver, issuerDid: options.issuerDid, now });
    return { verified: true, credential: read.credential as unknown as KycCredential, format };
  } catch (err) {
    return { verified: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Recomputes the tree leaf from a credential and the holder's salt. Equal to the leaf the issuer
 * appended exactly when the VC and the leaf describe the same facts.
 */
export function leafFromCredential(credential: KycCredential, salt: bigint): bigint {
  const attributes = kycAttributesFromCredential(credential);
  return computeLeaf(BigInt(credential.credentialSubject.identityCommitment), encodeAttributes(attributes), salt);
}
