import { digest, ES256, generateSalt } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance, type SdJwtVcPayload } from '@sd-jwt/sd-jwt-vc';
import type { Resolvable } from 'did-resolver';
import { base64url, decodeProtectedHeader } from 'jose';
import { checkCredentialFacts, leafClaims, type KycCredentialFacts } from './credential-facts.js';
import { ValidationError } from './errors.js';
import { resolvePublicJwk, VC2_ALG, type JwsSigner } from './vc2-jose.js';

/**
 * The KYC credential as an SD-JWT VC (RFC 9901 SD-JWT, `typ: dc+sd-jwt`): every KYC claim — the
 * five attributes, the identity commitment, the leaf index and the tree id — is a separate
 * disclosure, so a holder can show a verifier its jurisdiction alone. `iss`, `sub` (the holder's
 * DID), `vct`, `iat`, `nbf` and `exp` stay in the clear. Built and verified with @sd-jwt/sd-jwt-vc;
 * signed through a JwsSigner (the issuer's KMS), verified with the JWK the issuer's DID document
 * holds for the header's `kid`. Node-only (@sd-jwt/crypto-nodejs hashing).
 *
 * No `status` claim: SD-JWT VC expects an IETF Token Status List there, which this issuer does not
 * publish; the credential's revocation is the leaf in the tree and the VC 2.0 form's bitstring entry.
 * So that a revocation still reaches verifiers, an SD-JWT VC is short-lived: `exp` is at most
 * {@link SD_JWT_VC_LIFETIME_SECONDS} after issuance (the holder fetches a fresh one, which a revoked
 * credential no longer gets). No holder key binding (`cnf`) yet: a presentation can be replayed to
 * another verifier within that day, and `sub` (the holder DID) links two presentations.
 */

/** How long an SD-JWT VC is valid at most: a day, since it carries no status entry. */
export const SD_JWT_VC_LIFETIME_SECONDS = 86_400;

export const SD_JWT_VC_TYP = 'dc+sd-jwt';
/** The credential type (`vct`) of a zkkyc KYC credential. */
export const KYC_VCT = 'urn:zkkyc:vct:kyc-credential:v1';

/** The claims a holder can disclose one by one. */
export const KYC_DISCLOSABLE_CLAIMS = ['jurisdiction', 'birthDate', 'investorClasses', 'kycLevel', 'expiryDate', 'identityCommitment', 'leafIndex', 'treeId'] as const;
export type KycDisclosableClaim = (typeof KYC_DISCLOSABLE_CLAIMS)[number];

const hasher = (data: string | ArrayBuffer, alg: string) => digest(data, alg);

export interface IssueKycSdJwtVcArgs extends KycCredentialFacts {
  /** Default: now. */
  issuedAt?: Date;
}

/** Issues the SD-JWT VC (issuer-signed JWT plus one disclosure per KYC claim, `~`-separated). */
export async function issueKycSdJwtVc(args: IssueKycSdJwtVcArgs, signer: JwsSigner): Promise<string> {
  const attributes = checkCredentialFacts(args);
  if (!signer.kid.startsWith(`${args.issuerDid}#`)) throw new ValidationError('signer.kid', 'issuer-verification-method', `${signer.kid} is not a verification method of ${args.issuerDid}`);
  const iat = Math.floor((args.issuedAt ?? new Date()).getTime() / 1000);
  const payload = {
    iss: args.issuerDid,
    sub: args.holderDid,
    vct: KYC_VCT,
    iat,
    nbf: iat,
    exp: Math.min(Math.floor(Date.parse(`${attributes.expiryDate}T23:59:59Z`) / 1000), iat + SD_JWT_VC_LIFETIME_SECONDS),
    ...leafClaims(attributes, args),
  };
  const sdjwt = new SDJwtVcInstance({ signer: (data: string) => signer.sign(data), signAlg: VC2_ALG, hasher, hashAlg: 'sha-256', saltGenerator: generateSalt });
  return sdjwt.issue(payload, { _sd: [...KYC_DISCLOSABLE_CLAIMS] }, { header: { typ: SD_JWT_VC_TYP, kid: signer.kid } });
}

/** The holder's presentation: the issuer-signed JWT with only the disclosures of `claims`. */
export async function presentKycSdJwtVc(sdJwtVc: string, claims: readonly KycDisclosableClaim[]): Promise<string> {
  for (const claim of claims) {
    if (!KYC_DISCLOSABLE_CLAIMS.includes(claim)) throw new ValidationError('claims', 'disclosable', `${String(claim)} is not a disclosable claim (${KYC_DISCLOSABLE_CLAIMS.join(', ')})`);
  }
  const frame = Object.fromEntries(claims.map((c) => [c, true]));
  return new SDJwtVcInstance({ hasher, hashAlg: 'sha-256' }).present(sdJwtVc, frame);
}

export interface VerifiedKycSdJwtVc {
  issuerDid: string;
  holderDid: string;
  vct: string;
  /** Only the claims the presentation disclosed. */
  disclosed: Partial<Record<KycDisclosableClaim, unknown>>;
  payload: SdJwtVcPayload & Record<string, unknown>;
}

/**
 * Verifies an SD-JWT VC (or a presentation of one) with @sd-jwt/sd-jwt-vc: the issuer signature
 * against the JWK resolved for the header's `kid` (a key of `iss`), every disclosure's digest, `vct`,
 * and the time claims at `now`. Returns the disclosed claims; throws an Error saying why otherwise.
 */
export async function verifyKycSdJwtVc(sdJwtVc: string, options: { resolver: Resolvable; issuerDid?: string; now?: Date }): Promise<VerifiedKycSdJwtVc> {
  const jwt = sdJwtVc.split('~')[0];
  const header = decodeProtectedHeader(jwt);
  if (header.typ !== SD_JWT_VC_TYP) throw new Error(`typ is ${String(header.typ)}, not ${SD_JWT_VC_TYP}`);
  if (header.alg !== VC2_ALG) throw new Error(`alg ${String(header.alg)} is not accepted (only ${VC2_ALG})`);
  if (typeof header.kid !== 'string') throw new Error('kid is missing');
  const jwk = await resolvePublicJwk(options.resolver, header.kid);
  const verifier = await ES256.getVerifier(jwk);
  const sdjwt = new SDJwtVcInstance({ verifier, hasher, hashAlg: 'sha-256' });
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const { payload } = await sdjwt.verify(sdJwtVc, { currentDate: now });
  const claims = payload as SdJwtVcPayload & Record<string, unknown>;
  // RFC 9901 §7.1: a disclosure the issuer-signed JWT does not reference by digest means the SD-JWT
  // was tampered with; the library drops such a disclosure silently, so refuse it here.
  const referenced = new Set((JSON.parse(new TextDecoder().decode(base64url.decode(jwt.split('.')[1]))) as { _sd?: string[] })._sd ?? []);
  for (const disclosure of sdJwtVc
    .split('~')
    .slice(1)
    .filter((d) => d.length > 0 && !d.includes('.'))) {
    if (!referenced.has(base64url.encode(hasher(disclosure, 'sha-256')))) throw new Error('a disclosure is not referenced by the issuer-signed JWT (tampered or from another credential)');
  }
  if (claims.vct !== KYC_VCT) throw new Error(`vct is ${String(claims.vct)}, not ${KYC_VCT}`);
  if (typeof claims.iss !== 'string' || header.kid.split('#')[0] !== claims.iss) throw new Error(`signed with ${header.kid}, which is not a key of the issuer ${String(claims.iss)}`);
  if (options.issuerDid !== undefined && claims.iss !== options.issuerDid) throw new Error(`issued by ${claims.iss}, expected ${options.issuerDid}`);
  const disclosed = Object.fromEntries(KYC_DISCLOSABLE_CLAIMS.filter((c) => c in claims).map((c) => [c, claims[c]]));
  return { issuerDid: claims.iss, holderDid: String(claims.sub), vct: claims.vct, disclosed, payload: claims };
}
