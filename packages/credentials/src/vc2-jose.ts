import { base64url, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import type { DIDResolutionResult, Resolvable, VerificationMethod } from 'did-resolver';
import { encodeAttributes, type CredentialAttributes } from './attributes.js';
import { checkCredentialFacts, leafClaims, requireString, type KycCredentialFacts } from './credential-facts.js';
import { ValidationError } from './errors.js';
import { assertFieldElement } from './field.js';

/**
 * The KYC credential in the W3C VC Data Model 2.0, secured with VC-JOSE-COSE: a compact JWS whose
 * payload is the credential itself (no `vc` wrapper, unlike the 1.1 VC-JWT), with the header
 * `typ: vc+jwt`, `alg` and `kid` — the verification method of the issuer's DID that signed it.
 *
 * The issuer's key never leaves its key manager: signing goes through a `JwsSigner` callback that
 * signs the JWS signing input (`base64url(header).base64url(payload)`) and returns the signature,
 * base64url. Verification uses jose with the public JWK found through a did-resolver `Resolvable`.
 * Browser-safe (jose and did-resolver only), so the wallet reads credentials with it too.
 */

export const VC2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
/** The JOSE `typ` (media type `application/vc+jwt`) of a credential secured with VC-JOSE-COSE. */
export const VC_JWT_TYP = 'vc+jwt';
/** The only algorithm the issuer signs with (P-256): jose, node-jose and Web Crypto all verify it. */
export const VC2_ALG = 'ES256';
export const KYC_CREDENTIAL_TYPE = 'KycCredential';

/** Signs a JWS signing input with a key the caller never sees (the Veramo KMS, an HSM…). */
export interface JwsSigner {
  /** Only ES256 for now. */
  alg: typeof VC2_ALG;
  /** The DID URL of the verification method (`did:…#fragment`), written as the JWS `kid`. */
  kid: string;
  /** Signs the ASCII signing input; returns the JWS signature (r || s for ES256), base64url. */
  sign(signingInput: string): Promise<string>;
}

/** A W3C Bitstring Status List entry (Bitstring Status List v1.0 §2.1). */
export interface BitstringStatusListEntry {
  /** `<statusListCredential>#<statusListIndex>`. */
  id: string;
  type: 'BitstringStatusListEntry';
  statusPurpose: 'revocation' | 'suspension' | 'refresh' | 'message';
  /** Decimal string: the bit's position in the list, 0 = left-most bit of the first byte. */
  statusListIndex: string;
  /** URL of the status list credential. */
  statusListCredential: string;
}

/** The subject of a KYC credential: the holder and the facts the tree leaf commits to. */
export interface KycSubjectV2 extends CredentialAttributes {
  /** The holder's DID. */
  id: string;
  /** Poseidon1(s), decimal. */
  identityCommitment: string;
  leafIndex: number;
  treeId: string;
}

/** A VC Data Model 2.0 KycCredential (unsecured form: what the JWS payload carries). */
export interface KycCredentialV2 {
  '@context': string[];
  id: string;
  type: string[];
  issuer: string;
  validFrom: string;
  validUntil: string;
  credentialSchema: { id: string; type: 'JsonSchema' };
  credentialStatus?: BitstringStatusListEntry;
  credentialSubject: KycSubjectV2;
  [key: string]: unknown;
}

export interface BuildKycCredentialV2Args extends KycCredentialFacts {
  /** URL of the JSON Schema the issuer serves for this credential. */
  schemaUrl: string;
  status?: BitstringStatusListEntry;
  /** `urn:uuid:…`; a fresh one by default. */
  id?: string;
  /** Default: now. */
  validFrom?: Date;
}

function isUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** An XML Schema dateTime in UTC without milliseconds (`2026-01-31T23:59:59Z`). */
export function xsdDateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Builds the 2.0 credential. The attributes are validated and written in canonical form, so the
 * leaf recomputed from it is the leaf the issuer appended; `validUntil` is the end (23:59:59Z) of
 * the expiry date the leaf commits to.
 */
export function buildKycCredentialV2(args: BuildKycCredentialV2Args): KycCredentialV2 {
  const attributes = checkCredentialFacts(args);
  requireString(args.schemaUrl, 'schemaUrl');
  if (!isUrl(args.schemaUrl)) throw new ValidationError('schemaUrl', 'url', `${args.schemaUrl} is not a URL`);
  const validFrom = args.validFrom ?? new Date();
  const validUntil = `${attributes.expiryDate}T23:59:59Z`;
  if (Date.parse(validUntil) <= validFrom.getTime()) {
    throw new ValidationError('expiryDate', 'after-validFrom', `${attributes.expiryDate} ends before the credential becomes valid (${xsdDateTime(validFrom)})`);
  }
  const id = args.id ?? `urn:uuid:${globalThis.crypto.randomUUID()}`;
  if (!/^urn:uuid:[0-9a-f-]{36}$/i.test(id)) throw new ValidationError('id', 'urn-uuid', `${id} is not a urn:uuid`);
  return {
    '@context': [VC2_CONTEXT],
    id,
    type: ['VerifiableCredential', KYC_CREDENTIAL_TYPE],
    issuer: args.issuerDid,
    validFrom: xsdDateTime(validFrom),
    validUntil,
    credentialSchema: { id: args.schemaUrl, type: 'JsonSchema' },
    ...(args.status ? { credentialStatus: args.status } : {}),
    credentialSubject: {
      id: args.holderDid,
      ...leafClaims(attributes, args),
    },
  };
}

const encoder = new TextEncoder();

/**
 * Secures any 2.0 credential (the KYC one, a status list credential) as a VC-JOSE-COSE compact JWS.
 * The JWT claims `iss`, `sub`, `jti`, `nbf` and `exp` mirror the credential's own properties (the
 * spec allows them when they do not conflict), so generic JWT verifiers also see its validity.
 */
export async function signCredentialJose(credential: Record<string, unknown>, signer: JwsSigner): Promise<string> {
  if (signer.alg !== VC2_ALG) throw new ValidationError('signer.alg', VC2_ALG, `${String(signer.alg)} is not supported`);
  requireString(signer.kid, 'signer.kid');
  const header = { alg: signer.alg, typ: VC_JWT_TYP, kid: signer.kid };
  const issuer = typeof credential.issuer === 'string' ? credential.issuer : (credential.issuer as { id?: string } | undefined)?.id;
  requireString(issuer, 'issuer');
  if (!signer.kid.startsWith(`${issuer}#`)) throw new ValidationError('signer.kid', 'issuer-verification-method', `${signer.kid} is not a verification method of ${issuer}`);
  const subjectId = (credential.credentialSubject as { id?: unknown } | undefined)?.id;
  const seconds = (iso: unknown) => (typeof iso === 'string' ? Math.floor(Date.parse(iso) / 1000) : undefined);
  const payload = {
    ...credential,
    iss: issuer,
    ...(typeof subjectId === 'string' ? { sub: subjectId } : {}),
    ...(typeof credential.id === 'string' ? { jti: credential.id } : {}),
    ...(seconds(credential.validFrom) !== undefined ? { nbf: seconds(credential.validFrom) } : {}),
    ...(seconds(credential.validUntil) !== undefined ? { exp: seconds(credential.validUntil) } : {}),
  };
  const signingInput = `${base64url.encode(encoder.encode(JSON.stringify(header)))}.${base64url.encode(encoder.encode(JSON.stringify(payload)))}`;
  const signature = await signer.sign(signingInput);
  if (typeof signature !== 'string' || !/^[A-Za-z0-9_-]+$/.test(signature)) throw new Error('the signer returned no base64url signature');
  return `${signingInput}.${signature}`;
}

/** Builds and signs a 2.0 KycCredential; returns the JWS and the credential it carries. */
export async function issueKycCredentialV2(args: BuildKycCredentialV2Args, signer: JwsSigner): Promise<{ jwt: string; credential: KycCredentialV2 }> {
  const credential = buildKycCredentialV2(args);
  return { jwt: await signCredentialJose(credential, signer), credential };
}

/** The verification method `kid` names in the issuer's DID document, with its public JWK. */
export async function resolvePublicJwk(resolver: Resolvable, kid: string, purpose: 'assertionMethod' = 'assertionMethod'): Promise<JWK> {
  const did = kid.split('#')[0];
  const resolution: DIDResolutionResult = await resolver.resolve(did);
  const doc = resolution.didDocument;
  if (!doc) throw new Error(`cannot resolve ${did}: ${resolution.didResolutionMetadata?.error ?? 'no DID document'}`);
  const absolute = (id: string) => (id.startsWith('#') ? `${doc.id}${id}` : id);
  const methods = (doc.verificationMethod ?? []) as VerificationMethod[];
  const allowed = (doc[purpose] ?? []).map((m) => absolute(typeof m === 'string' ? m : m.id));
  const method = methods.find((m) => absolute(m.id) === kid) ?? (doc[purpose] ?? []).find((m): m is VerificationMethod => typeof m !== 'string' && absolute(m.id) === kid);
  if (!method || !allowed.includes(kid)) throw new Error(`${kid} is not an ${purpose} verification method of ${did}`);
  if (!method.publicKeyJwk) throw new Error(`${kid} has no publicKeyJwk`);
  return withFullLengthCoordinates(method.publicKeyJwk as JWK);
}

/**
 * A P-256 JWK with x and y left-padded to 32 bytes, as RFC 7518 §6.2.1.2 requires. Some did:key
 * resolvers drop leading zero bytes, and JOSE libraries differ on whether they accept the short form.
 */
function withFullLengthCoordinates(jwk: JWK): JWK {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') return jwk;
  const pad = (c: string | undefined) => {
    if (typeof c !== 'string') return c;
    const bytes = base64url.decode(c);
    if (bytes.length >= 32) return c;
    const full = new Uint8Array(32);
    full.set(bytes, 32 - bytes.length);
    return base64url.encode(full);
  };
  return { ...jwk, x: pad(jwk.x), y: pad(jwk.y) };
}

export interface VerifyJoseCredentialOptions {
  resolver: Resolvable;
  /** When set, the credential must be issued by this DID. */
  issuerDid?: string;
  /** The time to check validity at (default now). */
  now?: Date;
  /** Skip the validFrom/validUntil check (a wallet still opens an expired credential to show it). */
  ignoreValidity?: boolean;
}

/** Why a VC-JOSE-COSE credential was refused. */
export class CredentialVerificationError extends Error {
  constructor(
    readonly rule: 'typ' | 'alg' | 'kid' | 'signature' | 'issuer' | 'not-yet-valid' | 'expired' | 'shape',
    message: string,
  ) {
    super(message);
    this.name = 'CredentialVerificationError';
  }
}

/**
 * Verifies a VC-JOSE-COSE credential: header (`typ: vc+jwt`, ES256, a `kid` of the issuer's DID),
 * the signature with jose against the JWK the DID document holds for that `kid`, the issuer, then
 * `validFrom` ≤ now ≤ `validUntil`. Returns the credential (the payload without the JWT claims);
 * throws a CredentialVerificationError naming the rule that failed.
 */
export async function verifyCredentialJose(jwt: string, options: VerifyJoseCredentialOptions): Promise<Record<string, unknown> & { issuer: string }> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwt);
  } catch (err) {
    throw new CredentialVerificationError('shape', `not a compact JWS: ${(err as Error).message}`);
  }
  if (header.typ !== VC_JWT_TYP) throw new CredentialVerificationError('typ', `typ is ${String(header.typ)}, not ${VC_JWT_TYP}`);
  if (header.alg !== VC2_ALG) throw new CredentialVerificationError('alg', `alg ${String(header.alg)} is not accepted (only ${VC2_ALG})`);
  if (typeof header.kid !== 'string' || !header.kid.includes('#')) throw new CredentialVerificationError('kid', 'kid must be a DID URL of the issuer’s verification method');
  // Before resolving anything: a kid of another DID than the expected issuer is refused without a fetch.
  if (options.issuerDid !== undefined && header.kid.split('#')[0] !== options.issuerDid) {
    throw new CredentialVerificationError('issuer', `signed with ${header.kid}, not a key of the expected issuer ${options.issuerDid}`);
  }
  let jwk: JWK;
  try {
    jwk = await resolvePublicJwk(options.resolver, header.kid);
  } catch (err) {
    throw new CredentialVerificationError('kid', (err as Error).message);
  }
  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(jwt, await importJWK({ ...jwk, alg: VC2_ALG }, VC2_ALG), { algorithms: [VC2_ALG] }));
  } catch (err) {
    throw new CredentialVerificationError('signature', `signature does not verify: ${(err as Error).message}`);
  }
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(new TextDecoder().decode(payloadBytes)) as Record<string, unknown>;
  } catch {
    throw new CredentialVerificationError('shape', 'the payload is not JSON');
  }
  const { iss, sub: _sub, jti: _jti, nbf, exp, iat: _iat, ...credential } = payload;
  const issuer = typeof credential.issuer === 'string' ? credential.issuer : (credential.issuer as { id?: string } | undefined)?.id;
  if (typeof issuer !== 'string') throw new CredentialVerificationError('shape', 'issuer is missing');
  if (header.kid.split('#')[0] !== issuer) throw new CredentialVerificationError('issuer', `signed with ${header.kid}, which is not a key of the issuer ${issuer}`);
  if (iss !== undefined && iss !== issuer) throw new CredentialVerificationError('issuer', `iss ${String(iss)} conflicts with issuer ${issuer}`);
  if (options.issuerDid !== undefined && issuer !== options.issuerDid) throw new CredentialVerificationError('issuer', `issued by ${issuer}, expected ${options.issuerDid}`);
  if (!Array.isArray(credential['@context']) || credential['@context'][0] !== VC2_CONTEXT) {
    throw new CredentialVerificationError('shape', `@context must start with ${VC2_CONTEXT}`);
  }
  for (const field of ['validFrom', 'validUntil'] as const) {
    const value = credential[field];
    if (value !== undefined && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) {
      throw new CredentialVerificationError('shape', `${field} is not a date-time: ${String(value).slice(0, 40)}`);
    }
  }
  for (const [claim, value] of [
    ['nbf', nbf],
    ['exp', exp],
  ] as const) {
    if (value !== undefined && !Number.isSafeInteger(value)) throw new CredentialVerificationError('shape', `${claim} is not a NumericDate`);
  }
  if (!options.ignoreValidity) {
    const now = (options.now ?? new Date()).getTime();
    if (typeof credential.validFrom === 'string' && Date.parse(credential.validFrom) > now) {
      throw new CredentialVerificationError('not-yet-valid', `validFrom ${credential.validFrom} is in the future`);
    }
    if (typeof credential.validUntil === 'string' && Date.parse(credential.validUntil) < now) {
      throw new CredentialVerificationError('expired', `credential expired: validUntil ${credential.validUntil} has passed`);
    }
    // The JWT claims repeat the validity for plain JWT libraries; a verifier honours them too.
    if (typeof nbf === 'number' && nbf * 1000 > now) throw new CredentialVerificationError('not-yet-valid', `nbf ${nbf} is in the future`);
    if (typeof exp === 'number' && exp * 1000 < now) throw new CredentialVerificationError('expired', `credential expired: exp ${exp} has passed`);
  }
  return { ...credential, issuer };
}

/**
 * Verifies a 2.0 KycCredential (verifyCredentialJose, then the KycCredential shape) and returns it
 * with its attributes. Throws CredentialVerificationError or ValidationError.
 */
export async function verifyKycCredentialV2(jwt: string, options: VerifyJoseCredentialOptions): Promise<{ credential: KycCredentialV2; attributes: CredentialAttributes }> {
  const credential = (await verifyCredentialJose(jwt, options)) as unknown as KycCredentialV2;
  return { credential, attributes: kycSubjectAttributes(credential) };
}

/**
 * Checks a credential subject has the KycCredential shape (either data model) and returns its
 * attributes. Throws a ValidationError naming the first bad field.
 */
export function kycSubjectAttributes(credential: { type?: unknown; credentialSubject?: unknown }): CredentialAttributes {
  const subject = credential?.credentialSubject as Partial<KycSubjectV2> | undefined;
  if (!subject || typeof subject !== 'object') throw new ValidationError('credentialSubject', 'object', 'is missing');
  if (!Array.isArray(credential.type) || !credential.type.includes(KYC_CREDENTIAL_TYPE)) throw new ValidationError('type', KYC_CREDENTIAL_TYPE, `must include ${KYC_CREDENTIAL_TYPE}`);
  if (typeof subject.id !== 'string' || !subject.id.startsWith('did:')) throw new ValidationError('credentialSubject.id', 'did', 'must be the holder’s DID');
  const attributes = {
    jurisdiction: subject.jurisdiction,
    birthDate: subject.birthDate,
    investorClasses: subject.investorClasses,
    kycLevel: subject.kycLevel,
    expiryDate: subject.expiryDate,
  } as CredentialAttributes;
  encodeAttributes(attributes);
  if (typeof subject.identityCommitment !== 'string' || !/^(0|[1-9][0-9]*)$/.test(subject.identityCommitment)) {
    throw new ValidationError('identityCommitment', 'decimal', 'must be a decimal string');
  }
  assertFieldElement(BigInt(subject.identityCommitment), 'identityCommitment');
  if (!Number.isSafeInteger(subject.leafIndex) || (subject.leafIndex as number) < 0) throw new ValidationError('leafIndex', 'uint32', 'must be a non-negative integer');
  if (typeof subject.treeId !== 'string' || subject.treeId.length === 0) throw new ValidationError('treeId', 'non-empty-string', 'must be a non-empty string');
  return attributes;
}
