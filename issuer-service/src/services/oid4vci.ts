import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { verifyJWS } from 'did-jwt';
import type { DIDDocument, VerificationMethod } from 'did-resolver';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { ApiError } from '../api-error.js';
import type { Oid4vciConfig } from '../config.js';
import type { ApplicationRecord, AuditEventRecord, CredentialRecord, IssuerStore } from '../store/issuer-store.js';
import { StoreConflict } from '../store/issuer-store.js';
import type { Clock } from './clock.js';
import { hashToken, randomToken } from './holder-auth.js';
import type { HolderDidMethods } from './holder-did-methods.js';
import type { IssuanceService } from './issuance.js';

/**
 * OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow: how a standard wallet
 * collects the credential of an approved application.
 *
 * 1. The applicant (holder bearer token, as for every holder read) asks for a credential offer
 *    (`POST /applications/:id/credential-offer`). The service makes a random pre-authorized code
 *    and a six-digit transaction code, stores both as hashes, bound to the application and its
 *    credential, and answers the offer (`openid-credential-offer://?credential_offer=…`) and the
 *    transaction code once. A newer offer voids the older one.
 * 2. The wallet reads the metadata (`/.well-known/openid-credential-issuer`,
 *    `/.well-known/oauth-authorization-server`) and trades code + transaction code at the token
 *    endpoint for an access token. A code is redeemed once; wrong transaction codes count, and the
 *    last allowed one voids the code.
 * 3. It fetches a `c_nonce` (Nonce Endpoint) and signs a proof JWT with the holder's key
 *    (`typ: openid4vci-proof+jwt`, `aud` = this issuer, `nonce`, fresh `iat`, `kid` naming a key of
 *    the holder DID or `jwk` equal to one).
 * 4. The credential endpoint checks the proof and that its key is one of the application's holder
 *    DID — the DID the credential was issued to at approval — then consumes nonce and access token
 *    together and returns that credential, with the leaf opening (salt, leaf, index) the zk proofs
 *    need, as `GET /credentials/:id` gives it.
 *
 * Errors use the OAuth shape (`error`, `error_description`, plus `field` and `rule`).
 */

/**
 * The credential configurations this issuer offers (OpenID4VCI `credential_configurations_supported`),
 * one per way a stored credential may be secured. An offer names the one its credential is in:
 * - the VC Data Model 1.1 VC-JWT (`vc` claim; ES256K): format `jwt_vc_json`;
 * - the VC Data Model 2.0 credential secured with VC-JOSE-COSE (`typ: vc+jwt`, ES256; a JSON-LD
 *   credential signed as a JWT): format `jwt_vc_json-ld`, whose definition names the `@context`.
 */
export const KYC_CONFIGURATIONS = {
  'vc1.1': {
    key: 'vc1.1',
    id: 'KycCredential_jwt_vc_json',
    format: 'jwt_vc_json',
    signingAlgs: ['ES256K'],
    definition: { type: ['VerifiableCredential', 'KycCredential'] },
  },
  vc2: {
    key: 'vc2',
    id: 'KycCredential_jwt_vc_json-ld',
    format: 'jwt_vc_json-ld',
    signingAlgs: ['ES256'],
    definition: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential', 'KycCredential'] },
  },
} as const;
type KycConfiguration = (typeof KYC_CONFIGURATIONS)[keyof typeof KYC_CONFIGURATIONS];

/** The configuration a stored credential is delivered under, from its JOSE header (`vc+jwt` is VC 2.0). */
export function configurationOf(vcJwt: string): KycConfiguration {
  try {
    return decodeProtectedHeader(vcJwt).typ === 'vc+jwt' ? KYC_CONFIGURATIONS.vc2 : KYC_CONFIGURATIONS['vc1.1'];
  } catch {
    return KYC_CONFIGURATIONS['vc1.1'];
  }
}
export const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
export const PROOF_TYP = 'openid4vci-proof+jwt';
/**
 * Proof algorithms accepted. ES256K is the wallet's key (its did:key is secp256k1); jose has no
 * secp256k1 (WebCrypto does not), so that one signature is checked by did-jwt — the library the
 * service already checks holder challenge signatures with. Every other check is the same.
 */
export const PROOF_ALGS = ['EdDSA', 'Ed25519', 'ES256', 'ES256K'] as const;
/** Clock skew allowed for a proof's `iat` in the future. */
const IAT_FUTURE_SKEW_SECONDS = 60;
const TX_CODE_LENGTH = 6;
const PRUNE_AFTER_MS = 86_400_000;

/** An OAuth-style refusal: `{ error, error_description, field?, rule? }` with its status. */
export class Oid4vciError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    readonly description: string,
    readonly field?: string,
    readonly rule?: string,
  ) {
    super(description);
    this.name = 'Oid4vciError';
  }

  toJSON(): Record<string, string> {
    return {
      error: this.error,
      error_description: this.field ? `${this.field}: ${this.description}` : this.description,
      ...(this.field ? { field: this.field } : {}),
      ...(this.rule ? { rule: this.rule } : {}),
    };
  }
}

export interface CredentialOffer {
  credential_issuer: string;
  credential_configuration_ids: string[];
  grants: Record<string, { 'pre-authorized_code': string; tx_code: { input_mode: 'numeric'; length: number; description: string } }>;
}

export interface IssuedOffer {
  /** `openid-credential-offer://?credential_offer=<the offer, URL-encoded JSON>` */
  credentialOfferUri: string;
  credentialOffer: CredentialOffer;
  /** Shown once; only its hash (with the code) is kept. */
  txCode: string;
  expiresAt: number;
}

export interface CredentialRequestBody {
  credential_configuration_id?: unknown;
  credential_identifier?: unknown;
  proof?: unknown;
  proofs?: unknown;
  [key: string]: unknown;
}

const HOLDER: Pick<AuditEventRecord, 'actor' | 'role'> = { actor: 'holder', role: 'holder' };

export class Oid4vciService {
  private lastPrune = 0;

  constructor(
    private readonly deps: {
      store: IssuerStore;
      clock: Clock;
      config: Oid4vciConfig;
      treeId: string;
      holderDids: HolderDidMethods;
      /** Produces the holder's credential (the stored VC, in its issued format): nothing is signed here. */
      issuance: Pick<IssuanceService, 'credentialFor'>;
    },
  ) {}

  get issuerUrl(): string {
    return this.deps.config.publicUrl;
  }

  /** `/.well-known/openid-credential-issuer`. */
  issuerMetadata(): Record<string, unknown> {
    const base = this.issuerUrl;
    return {
      credential_issuer: base,
      credential_endpoint: `${base}/oid4vci/credential`,
      nonce_endpoint: `${base}/oid4vci/nonce`,
      display: [{ name: 'zkkyc issuer', locale: 'en' }],
      credential_configurations_supported: Object.fromEntries(
        Object.values(KYC_CONFIGURATIONS).map((c) => [
          c.id,
          {
            format: c.format,
            cryptographic_binding_methods_supported: ['did:key', 'did:web'],
            credential_signing_alg_values_supported: [...c.signingAlgs],
            proof_types_supported: { jwt: { proof_signing_alg_values_supported: [...PROOF_ALGS] } },
            credential_definition: c.definition,
            credential_metadata: {
              display: [{ name: 'KYC credential', locale: 'en', description: 'Verified KYC attributes, provable in zero knowledge' }],
              claims: ['jurisdiction', 'birthDate', 'investorClasses', 'kycLevel', 'expiryDate', 'identityCommitment', 'leafIndex', 'treeId'].map((name) => ({
                path: ['credentialSubject', name],
              })),
            },
          },
        ]),
      ),
    };
  }

  /** `/.well-known/oauth-authorization-server`: the issuer is its own authorization server, pre-authorized code only. */
  authorizationServerMetadata(): Record<string, unknown> {
    const base = this.issuerUrl;
    return {
      issuer: base,
      token_endpoint: `${base}/oid4vci/token`,
      grant_types_supported: [PRE_AUTHORIZED_GRANT],
      token_endpoint_auth_methods_supported: ['none'],
      'pre-authorized_grant_anonymous_access_supported': true,
    };
  }

  /**
   * A new offer for the holder's approved application (the route has checked the bearer token).
   * 409 when the application is not approved or its credential is not active or has expired.
   */
  async createOffer(application: ApplicationRecord): Promise<IssuedOffer> {
    const { store, clock, config } = this.deps;
    if (application.status !== 'approved') {
      throw new ApiError(409, 'application_not_approved', `the application is ${application.status}; an offer exists once a reviewer approved it`, 'id', 'approved-only');
    }
    const credential = await store.getCredentialForApplication(application.id);
    if (!credential) throw new ApiError(409, 'application_not_approved', 'the application has no credential', 'id', 'approved-only');
    this.assertDeliverable(credential, (status, message) => new ApiError(409, status, message, 'id', 'active-credential'));
    const now = clock.now();
    await this.pruneNow(now);
    const code = randomToken();
    const txCode = Array.from({ length: TX_CODE_LENGTH }, () => randomInt(10)).join('');
    const expiresAt = now + config.codeTtlSeconds * 1000;
    await store.createOid4vciOffer(
      {
        codeHash: hashToken(code),
        applicationId: application.id,
        credentialId: credential.id,
        txCodeHash: txCodeHash(code, txCode),
        failedAttempts: 0,
        createdAt: now,
        expiresAt,
        redeemedAt: null,
        voidedAt: null,
      },
      { at: now, ...HOLDER, action: 'oid4vci-offer', subjectType: 'application', subjectId: application.id, detail: { credentialId: credential.id, expiresAt } },
    );
    const credentialOffer: CredentialOffer = {
      credential_issuer: this.issuerUrl,
      credential_configuration_ids: [configurationOf(credential.vcJwt).id],
      grants: {
        [PRE_AUTHORIZED_GRANT]: {
          'pre-authorized_code': code,
          tx_code: { input_mode: 'numeric', length: TX_CODE_LENGTH, description: 'The six-digit code the issuer showed you with this offer' },
        },
      },
    };
    return {
      credentialOfferUri: `openid-credential-offer://?credential_offer=${encodeURIComponent(JSON.stringify(credentialOffer))}`,
      credentialOffer,
      txCode,
      expiresAt,
    };
  }

  /** Token endpoint: a live pre-authorized code and its transaction code → a single-delivery access token. */
  async token(body: Record<string, unknown>): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    const { store, clock, config } = this.deps;
    if (body.grant_type !== PRE_AUTHORIZED_GRANT) {
      throw new Oid4vciError(400, 'unsupported_grant_type', `must be ${PRE_AUTHORIZED_GRANT} (the only grant this issuer supports)`, 'grant_type', 'pre-authorized-code-only');
    }
    const code = body['pre-authorized_code'];
    if (typeof code !== 'string' || code.length === 0 || code.length > 200) {
      throw new Oid4vciError(400, 'invalid_request', 'required: the pre-authorized code from the credential offer', 'pre-authorized_code', 'required');
    }
    const txCode = body.tx_code;
    const now = clock.now();
    const codeHash = hashToken(code);
    const offer = await store.getOid4vciOffer(codeHash);
    if (!offer) throw new Oid4vciError(400, 'invalid_grant', 'unknown pre-authorized code', 'pre-authorized_code', 'known-code');
    if (offer.redeemedAt !== null)
      throw new Oid4vciError(400, 'invalid_grant', 'this pre-authorized code was already redeemed (single use); ask the issuer for a new offer', 'pre-authorized_code', 'single-use');
    if (offer.voidedAt !== null) {
      throw new Oid4vciError(
        400,
        'invalid_grant',
        'this pre-authorized code is void (a newer offer replaced it, or too many wrong transaction codes); ask the issuer for a new offer',
        'pre-authorized_code',
        'voided',
      );
    }
    if (offer.expiresAt <= now) throw new Oid4vciError(400, 'invalid_grant', 'this pre-authorized code has expired; ask the issuer for a new offer', 'pre-authorized_code', 'expired');
    if (typeof txCode !== 'string' || txCode.length === 0) {
      throw new Oid4vciError(400, 'invalid_request', `required: the ${TX_CODE_LENGTH}-digit transaction code shown with the offer`, 'tx_code', 'required');
    }
    if (!sameHash(txCodeHash(code, txCode.slice(0, 64)), offer.txCodeHash)) {
      const voidAudit: AuditEventRecord = {
        at: now,
        ...HOLDER,
        action: 'oid4vci-offer-void',
        subjectType: 'application',
        subjectId: offer.applicationId,
        detail: { reason: 'too many wrong transaction codes', attempts: config.txCodeAttempts },
      };
      const after = await store.recordOid4vciTxCodeFailure(codeHash, now, config.txCodeAttempts, voidAudit);
      const left = after ? Math.max(0, config.txCodeAttempts - after.failedAttempts) : 0;
      throw new Oid4vciError(
        400,
        'invalid_grant',
        left > 0 ? `wrong transaction code (${left} attempt${left === 1 ? '' : 's'} left)` : 'wrong transaction code; no attempts left, the offer is void — ask the issuer for a new one',
        'tx_code',
        'tx-code-attempts',
      );
    }
    const accessToken = randomToken();
    try {
      await store.redeemOid4vciCode({
        codeHash,
        now,
        token: {
          tokenHash: hashToken(accessToken),
          codeHash,
          applicationId: offer.applicationId,
          credentialId: offer.credentialId,
          createdAt: now,
          expiresAt: now + config.accessTokenTtlSeconds * 1000,
          usedAt: null,
        },
      });
    } catch (err) {
      // Lost a race with a concurrent redemption (or a void) of the same code.
      if (err instanceof StoreConflict && err.reason === 'code_unusable') {
        throw new Oid4vciError(400, 'invalid_grant', 'this pre-authorized code was already redeemed (single use); ask the issuer for a new offer', 'pre-authorized_code', 'single-use');
      }
      throw err;
    }
    return { access_token: accessToken, token_type: 'Bearer', expires_in: config.accessTokenTtlSeconds };
  }

  /** Nonce endpoint: a fresh, single-use, expiring `c_nonce` (stored hashed). */
  async nonce(): Promise<{ c_nonce: string; c_nonce_expires_in: number }> {
    const { store, clock, config } = this.deps;
    const now = clock.now();
    await this.pruneNow(now);
    const nonce = randomToken();
    await store.createOid4vciNonce({ nonceHash: hashToken(nonce), createdAt: now, expiresAt: now + config.nonceTtlSeconds * 1000, usedAt: null });
    return { c_nonce: nonce, c_nonce_expires_in: config.nonceTtlSeconds };
  }

  /**
   * Credential endpoint. Checks the access token, the request, the proof (see `verifyProof`) and the
   * nonce, then consumes nonce and token in one transaction and returns the credential.
   */
  async credential(authorization: string | undefined, body: CredentialRequestBody): Promise<Record<string, unknown>> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const token = await this.accessToken(authorization, now);

    if (body.credential_identifier !== undefined) {
      throw new Oid4vciError(400, 'invalid_credential_request', 'not supported: name the configuration with credential_configuration_id', 'credential_identifier', 'configuration-id');
    }
    const stored = await store.getCredential(token.credentialId);
    if (!stored) throw new Oid4vciError(500, 'server_error', 'the credential of this token is missing');
    const configuration = configurationOf(stored.vcJwt);
    if (body.credential_configuration_id !== configuration.id) {
      throw new Oid4vciError(400, 'unknown_credential_configuration', `must be "${configuration.id}" (the configuration in the offer)`, 'credential_configuration_id', 'offered-configuration');
    }
    const { jwt, field } = proofJwtOf(body);
    const application = await store.getApplication(token.applicationId);
    if (!application) throw new Oid4vciError(401, 'invalid_token', 'the access token names no application', 'authorization', 'access-token');
    const payload = await this.verifyProof(jwt, field, application.holderDid, now);
    const nonceHash = hashToken(payload.nonce);
    const nonce = await store.getOid4vciNonce(nonceHash);
    if (!nonce || nonce.usedAt !== null || nonce.expiresAt <= now) {
      const why = !nonce ? 'was not issued by this issuer' : nonce.usedAt !== null ? 'was already used (single use)' : 'has expired';
      throw new Oid4vciError(400, 'invalid_nonce', `the proof's nonce ${why}; get a new c_nonce from the nonce endpoint`, `${field}.nonce`, 'c-nonce');
    }
    // The credential as issuance produces it for this holder (services/issuance.ts), bound to the
    // application's holder DID — the DID whose key the proof was just checked against.
    let delivered: Awaited<ReturnType<IssuanceService['credentialFor']>>;
    try {
      delivered = await this.deps.issuance.credentialFor(application.id, application.holderDid, configuration.key);
    } catch (err) {
      if (err instanceof ApiError) throw new Oid4vciError(403, 'credential_request_denied', err.message, 'credential_configuration_id', err.rule ?? err.code);
      throw err;
    }
    const credential = delivered.record;
    this.assertDeliverable(credential, (_status, message) => new Oid4vciError(403, 'credential_request_denied', message, 'credential_configuration_id', 'active-credential'));
    try {
      await store.deliverOid4vciCredential({
        tokenHash: token.tokenHash,
        nonceHash,
        now,
        audit: {
          at: now,
          ...HOLDER,
          action: 'oid4vci-deliver',
          subjectType: 'credential',
          subjectId: credential.id,
          detail: { applicationId: application.id, configuration: configuration.id },
        },
      });
    } catch (err) {
      if (err instanceof StoreConflict && err.reason === 'nonce_unusable') {
        throw new Oid4vciError(400, 'invalid_nonce', "the proof's nonce was already used (single use); get a new c_nonce", `${field}.nonce`, 'c-nonce');
      }
      if (err instanceof StoreConflict && err.reason === 'access_token_unusable') {
        throw new Oid4vciError(401, 'invalid_token', 'the access token was already used (it delivers once)', 'authorization', 'access-token');
      }
      throw err;
    }
    return {
      credentials: [{ credential: delivered.credential }],
      // zkkyc's extension: what GET /credentials/:id gives the holder besides the VC — the salt
      // that opens the credential's leaf, which the zero-knowledge proofs need. Wallets that do not
      // prove ignore it.
      zkkyc: {
        credentialId: credential.id,
        applicationId: application.id,
        issuerDid: delivered.issuerDid,
        treeId: this.deps.treeId,
        leafIndex: credential.leafIndex,
        leaf: credential.leaf,
        salt: credential.salt,
        status: credential.status,
      },
    };
  }

  /** The live access token in `Authorization: Bearer …`, else 401 `invalid_token`. */
  private async accessToken(authorization: string | undefined, now: number) {
    const match = authorization ? /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(authorization) : null;
    if (!match) {
      throw new Oid4vciError(401, 'invalid_token', 'send the access token from the token endpoint as Authorization: Bearer <token> (DPoP is not supported)', 'authorization', 'bearer');
    }
    const token = await this.deps.store.getOid4vciAccessToken(hashToken(match[1]));
    if (!token) throw new Oid4vciError(401, 'invalid_token', 'unknown access token', 'authorization', 'access-token');
    if (token.usedAt !== null) throw new Oid4vciError(401, 'invalid_token', 'the access token was already used (it delivers once)', 'authorization', 'access-token');
    if (token.expiresAt <= now) throw new Oid4vciError(401, 'invalid_token', 'the access token has expired', 'authorization', 'access-token');
    return token;
  }

  /**
   * The proof JWT's checks, each refusal naming its rule: `typ`, `alg` in PROOF_ALGS, exactly one of
   * `kid` (a DID URL of the holder DID) or `jwk` (equal to a key of the holder DID), that key in
   * the holder DID's `authentication` — so the key proven is the application's holder DID, the DID
   * the credential was issued to — the signature, `aud` = this issuer, `iat` within the nonce
   * lifetime (and at most a minute ahead), `exp` if present, and a `nonce`. Returns the nonce.
   */
  async verifyProof(jwt: string, field: string, holderDid: string, now: number): Promise<{ nonce: string }> {
    const refuse = (rule: string, message: string, sub = '') => new Oid4vciError(400, 'invalid_proof', message, `${field}${sub}`, rule);
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(jwt);
    } catch {
      throw refuse('compact-jws', 'must be a compact JWS (header.payload.signature)');
    }
    if (header.typ !== PROOF_TYP) throw refuse('proof-typ', `header typ must be "${PROOF_TYP}", got ${JSON.stringify(header.typ ?? null)}`, '.typ');
    const alg = header.alg;
    if (typeof alg !== 'string' || !(PROOF_ALGS as readonly string[]).includes(alg)) {
      throw refuse('proof-alg', `header alg must be one of ${PROOF_ALGS.join(', ')}, got ${JSON.stringify(alg ?? null)}`, '.alg');
    }
    if (header.x5c !== undefined || header.trust_chain !== undefined) throw refuse('proof-key', 'x5c and trust_chain are not supported: name the holder key with kid (a DID URL) or jwk', '.kid');
    if ((header.kid === undefined) === (header.jwk === undefined)) throw refuse('proof-key', 'the header must carry exactly one of kid (a DID URL of your DID) and jwk', '.kid');

    const document = await this.holderDocument(holderDid, refuse);
    const methods = authenticationMethods(document);
    let method: VerificationMethod | undefined;
    if (header.kid !== undefined) {
      const kid = String(header.kid);
      const [did] = kid.split('#');
      let normalised: string | null = null;
      try {
        normalised = this.deps.holderDids.normalise(did, `${field}.kid`);
      } catch {
        normalised = null;
      }
      if (!kid.includes('#') || normalised !== holderDid) {
        throw refuse('holder-binding', 'kid must be a DID URL (did…#key) of the DID this application was made for; the credential is bound to that DID', '.kid');
      }
      const fragment = kid.slice(kid.indexOf('#'));
      method = methods.find((m) => m.id === kid || m.id === fragment || m.id === `${document.id}${fragment}`);
      if (!method) throw refuse('holder-binding', `kid names no authentication key of ${holderDid}`, '.kid');
    } else {
      const jwk = header.jwk as JWK;
      if (typeof jwk !== 'object' || jwk === null || 'd' in jwk) throw refuse('proof-key', 'jwk must be a public key', '.jwk');
      const wanted = await thumbprint(jwk);
      for (const m of methods) if (m.publicKeyJwk && wanted !== null && (await thumbprint(m.publicKeyJwk as JWK)) === wanted) method = m;
      if (!method) throw refuse('holder-binding', `jwk is not an authentication key of ${holderDid}, the DID this application was made for`, '.jwk');
    }
    if (!method.publicKeyJwk) throw refuse('key-format', `the key ${method.id} is not published as publicKeyJwk, which this issuer needs to check proofs`, '.kid');

    let payloadBytes: Uint8Array;
    try {
      if (alg === 'ES256K') {
        // jose has no secp256k1 (see PROOF_ALGS); did-jwt checks this one signature.
        if ((method.publicKeyJwk as JWK).crv !== 'secp256k1') throw new Error('alg ES256K needs a secp256k1 key');
        verifyJWS(jwt, [method]);
        payloadBytes = Buffer.from(jwt.split('.')[1], 'base64url');
      } else {
        const key = await importJWK(method.publicKeyJwk as JWK, alg);
        payloadBytes = (await compactVerify(jwt, key, { algorithms: [alg] })).payload;
      }
    } catch (err) {
      throw refuse('proof-signature', `the signature does not verify with ${method.id} (${(err as Error).message})`);
    }
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8')) as Record<string, unknown>;
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new Error('not an object');
    } catch {
      throw refuse('proof-payload', 'the payload must be a JSON object');
    }
    const aud = payload.aud;
    if (!(aud === this.issuerUrl || (Array.isArray(aud) && aud.includes(this.issuerUrl)))) {
      throw refuse('proof-aud', `aud must be the credential issuer identifier "${this.issuerUrl}", got ${JSON.stringify(aud ?? null).slice(0, 120)}`, '.aud');
    }
    const nowSeconds = Math.floor(now / 1000);
    const iat = payload.iat;
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw refuse('proof-iat', 'iat (seconds) is required', '.iat');
    if (iat > nowSeconds + IAT_FUTURE_SKEW_SECONDS || iat < nowSeconds - this.deps.config.nonceTtlSeconds) {
      throw refuse('proof-iat', `iat must be within the last ${this.deps.config.nonceTtlSeconds} s (and at most ${IAT_FUTURE_SKEW_SECONDS} s ahead); sign a fresh proof`, '.iat');
    }
    if (payload.exp !== undefined && (typeof payload.exp !== 'number' || payload.exp <= nowSeconds)) throw refuse('proof-exp', 'the proof has expired', '.exp');
    if (typeof payload.nonce !== 'string' || payload.nonce.length === 0 || payload.nonce.length > 200) {
      throw new Oid4vciError(400, 'invalid_nonce', 'the proof must carry the c_nonce from the nonce endpoint', `${field}.nonce`, 'c-nonce');
    }
    return { nonce: payload.nonce };
  }

  private async holderDocument(holderDid: string, refuse: (rule: string, message: string) => Oid4vciError): Promise<DIDDocument> {
    let document: DIDDocument | null = null;
    try {
      const resolved = await this.deps.holderDids.resolver.resolve(holderDid);
      document = resolved.didResolutionMetadata?.error ? null : resolved.didDocument;
    } catch {
      document = null;
    }
    if (!document) throw refuse('did-resolution', `the holder DID ${holderDid} could not be resolved to check the proof`);
    return document;
  }

  /** Refuses a credential that is revoked or past its expiry date (`make` builds the error). */
  private assertDeliverable(credential: CredentialRecord, make: (code: string, message: string) => Error): void {
    if (credential.status !== 'active') throw make('credential_not_active', `the credential is ${credential.status}; there is nothing to deliver`);
    const today = new Date(this.deps.clock.now()).toISOString().slice(0, 10);
    if (credential.expiryDate < today) throw make('credential_expired', `the credential expired on ${credential.expiryDate}`);
  }

  /**
   * Deletes codes, tokens and nonces that expired more than a day ago, at most once a minute (kept
   * a day so a late attempt hears "expired" rather than "unknown"; either way it is refused).
   */
  private async pruneNow(now: number): Promise<void> {
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    await this.deps.store.pruneOid4vci(now - PRUNE_AFTER_MS);
  }
}

/** The one proof JWT in a credential request: `proofs.jwt[0]` (1.0) or `proof.jwt` (earlier drafts), and where it was. */
function proofJwtOf(body: CredentialRequestBody): { jwt: string; field: string } {
  if (body.proof !== undefined && body.proofs !== undefined) {
    throw new Oid4vciError(400, 'invalid_credential_request', 'send proofs or proof, not both', 'proofs', 'one-proof');
  }
  if (body.proofs !== undefined) {
    const proofs = body.proofs as Record<string, unknown>;
    const keys = proofs && typeof proofs === 'object' && !Array.isArray(proofs) ? Object.keys(proofs) : [];
    if (keys.length !== 1 || keys[0] !== 'jwt') throw new Oid4vciError(400, 'invalid_proof', 'must be { "jwt": [<one proof JWT>] } (the only proof type supported)', 'proofs', 'proof-type');
    const list = proofs.jwt;
    if (!Array.isArray(list) || list.length !== 1 || typeof list[0] !== 'string') {
      throw new Oid4vciError(400, 'invalid_proof', 'must hold exactly one proof JWT (one credential per offer)', 'proofs.jwt', 'batch-size');
    }
    return { jwt: list[0], field: 'proofs.jwt[0]' };
  }
  if (body.proof !== undefined) {
    const proof = body.proof as Record<string, unknown>;
    if (!proof || typeof proof !== 'object' || proof.proof_type !== 'jwt' || typeof proof.jwt !== 'string') {
      throw new Oid4vciError(400, 'invalid_proof', 'must be { "proof_type": "jwt", "jwt": <proof JWT> }', 'proof', 'proof-type');
    }
    return { jwt: proof.jwt, field: 'proof.jwt' };
  }
  throw new Oid4vciError(400, 'invalid_proof', 'required: a proof of possession of the holder key, { "jwt": [<proof JWT>] }', 'proofs', 'required');
}

/** The verification methods the DID document lists under `authentication` (by reference or embedded). */
function authenticationMethods(document: DIDDocument): VerificationMethod[] {
  const all = document.verificationMethod ?? [];
  const out: VerificationMethod[] = [];
  for (const entry of document.authentication ?? []) {
    if (typeof entry !== 'string') out.push(entry);
    else {
      const found = all.find((m) => m.id === entry || `${document.id}${m.id}` === entry || m.id === `${document.id}${entry}`);
      if (found) out.push(found);
    }
  }
  return out;
}

async function thumbprint(jwk: JWK): Promise<string | null> {
  try {
    return await calculateJwkThumbprint(jwk, 'sha256');
  } catch {
    return null;
  }
}

/** The transaction code is hashed with its code: six digits alone would fall to a table of a million hashes. */
function txCodeHash(code: string, txCode: string): string {
  return createHash('sha256').update(`${code}\n${txCode}`, 'utf8').digest('hex');
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
