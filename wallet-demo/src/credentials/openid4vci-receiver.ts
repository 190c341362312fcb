import { createJWS, ES256KSigner } from 'did-jwt';
import { getBytes } from 'ethers';

/**
 * Receiving a credential the standard way, OpenID4VCI 1.0 with a pre-authorized code: the offer
 * (pasted, linked, or asked for by the wallet itself after approval) names the issuer and the
 * code; the wallet trades code + transaction code for an access token, fetches a nonce, and proves
 * it holds its DID key with a proof JWT (`openid4vci-proof+jwt`, ES256K — the wallet's key is
 * secp256k1, signed by did-jwt as the application's challenge is) before the issuer hands over the
 * credential. The issuer binds the credential to the DID it was applied for, so only this wallet's
 * key can collect it.
 */

const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
const OFFER_SCHEME = 'openid-credential-offer://';

/** What the wallet needs from a credential offer. */
export interface ParsedOffer {
  credentialIssuer: string;
  configurationId: string;
  preAuthorizedCode: string;
  /** Digits of the transaction code the issuer showed with the offer, when it asks for one. */
  txCodeLength?: number;
}

/** The issuer refused a step, in OAuth's words (`error`, `error_description`). */
export class OfferReceiveError extends Error {
  constructor(
    readonly step: 'offer' | 'metadata' | 'token' | 'nonce' | 'credential',
    readonly code: string,
    message: string,
  ) {
    super(`${step}: ${message}`);
    this.name = 'OfferReceiveError';
  }
}

/** What the credential endpoint answered: the VC and the leaf opening the zk proofs need. */
export interface ReceivedThroughOffer {
  vcJwt: string;
  issuerUrl: string;
  credentialId: string;
  applicationId: string;
  issuerDid: string;
  treeId: string;
  leafIndex: number;
  leaf: string;
  salt: string;
  status: string;
}

// The shapes of the issuer's JSON answers as far as this file reads them. Every value is unknown
// until it is checked where it is used: the answers come from outside the wallet.
interface OfferJson {
  credential_issuer?: unknown;
  credential_configuration_ids?: unknown[];
  grants?: Record<string, { 'pre-authorized_code'?: unknown; tx_code?: { length?: unknown } } | undefined>;
}
interface IssuerMetadataJson {
  credential_issuer?: unknown;
  credential_configurations_supported?: Record<string, { proof_types_supported?: { jwt?: { proof_signing_alg_values_supported?: unknown[] } } } | undefined>;
  nonce_endpoint?: unknown;
  credential_endpoint?: unknown;
}
interface CredentialAnswerJson {
  credentials?: { credential?: unknown }[];
  zkkyc?: Record<string, unknown>;
}
interface OAuthErrorJson {
  error?: string | { message?: string };
  error_description?: string;
}

/**
 * Reads an offer given by value (`openid-credential-offer://?credential_offer=…`) or by reference
 * (`…?credential_offer_uri=https://…`, fetched). Throws an OfferReceiveError naming what is wrong.
 */
export async function parseCredentialOffer(text: string): Promise<ParsedOffer> {
  const trimmed = text.trim();
  let query: URLSearchParams;
  try {
    const url = new URL(trimmed.startsWith(OFFER_SCHEME) ? `https://offer.invalid/${trimmed.slice(OFFER_SCHEME.length)}` : trimmed);
    query = url.searchParams;
  } catch {
    throw new OfferReceiveError('offer', 'invalid_offer', 'this is not a credential offer link (it starts with openid-credential-offer://)');
  }
  let offer: OfferJson | null;
  try {
    if (query.has('credential_offer')) offer = JSON.parse(query.get('credential_offer')!) as OfferJson | null;
    else if (query.has('credential_offer_uri')) offer = await getJson<OfferJson | null>(query.get('credential_offer_uri')!, 'offer');
    else throw new Error('missing');
  } catch (err) {
    if (err instanceof OfferReceiveError) throw err;
    throw new OfferReceiveError('offer', 'invalid_offer', 'the link carries no readable credential_offer');
  }
  const grant = offer?.grants?.[PRE_AUTHORIZED_GRANT];
  const configurationId = offer?.credential_configuration_ids?.[0];
  if (typeof offer?.credential_issuer !== 'string' || typeof configurationId !== 'string') {
    throw new OfferReceiveError('offer', 'invalid_offer', 'the offer names no issuer or credential');
  }
  if (typeof grant?.['pre-authorized_code'] !== 'string') {
    throw new OfferReceiveError('offer', 'invalid_offer', 'the offer has no pre-authorized code (this wallet does not run the authorization code flow)');
  }
  return {
    credentialIssuer: offer.credential_issuer,
    configurationId,
    preAuthorizedCode: grant['pre-authorized_code'],
    txCodeLength: grant.tx_code ? Number(grant.tx_code.length ?? 0) || undefined : undefined,
  };
}

/**
 * Runs token → nonce → credential for `offer` with the holder's key. `txCode` is the code the
 * issuer showed with the offer (required when the offer asks for one).
 */
export async function receiveThroughOffer(offer: ParsedOffer, txCode: string | undefined, holder: { did: string; privateKey: string }): Promise<ReceivedThroughOffer> {
  const issuer = offer.credentialIssuer;
  const metadata = await getJson<IssuerMetadataJson>(`${issuer}/.well-known/openid-credential-issuer`, 'metadata');
  if (metadata.credential_issuer !== issuer) throw new OfferReceiveError('metadata', 'issuer_mismatch', `the metadata names ${metadata.credential_issuer}, not ${issuer}`);
  const configuration = metadata.credential_configurations_supported?.[offer.configurationId];
  if (!configuration) throw new OfferReceiveError('metadata', 'unknown_configuration', `the issuer does not describe ${offer.configurationId}`);
  const algs: unknown[] = configuration.proof_types_supported?.jwt?.proof_signing_alg_values_supported ?? [];
  if (!algs.includes('ES256K')) throw new OfferReceiveError('metadata', 'unsupported_alg', 'the issuer does not accept ES256K proofs, the kind this wallet’s key makes');
  const server = await getJson<{ token_endpoint?: unknown }>(`${issuer}/.well-known/oauth-authorization-server`, 'metadata');

  if (offer.txCodeLength !== undefined && !txCode) throw new OfferReceiveError('token', 'tx_code_required', 'enter the code the issuer showed you with the offer');
  const form = new URLSearchParams({ grant_type: PRE_AUTHORIZED_GRANT, 'pre-authorized_code': offer.preAuthorizedCode, ...(txCode ? { tx_code: txCode.trim() } : {}) });
  const token = await postJson<{ access_token?: unknown }>(String(server.token_endpoint), 'token', { 'content-type': 'application/x-www-form-urlencoded' }, form.toString());

  const { c_nonce: nonce } = await postJson<{ c_nonce?: unknown }>(String(metadata.nonce_endpoint), 'nonce', {}, undefined);
  const signer = ES256KSigner(getBytes(holder.privateKey));
  const kid = `${holder.did}#${holder.did.slice('did:key:'.length)}`;
  // No `iss`: the token came from anonymous access to the token endpoint. (did-jwt types `typ` as "JWT" only.)
  const proof = await createJWS({ aud: issuer, iat: Math.floor(Date.now() / 1000), nonce }, signer, { typ: 'openid4vci-proof+jwt' as 'JWT', alg: 'ES256K', kid });
  const response = await postJson<CredentialAnswerJson>(
    String(metadata.credential_endpoint),
    'credential',
    { 'content-type': 'application/json', authorization: `Bearer ${token.access_token}` },
    JSON.stringify({ credential_configuration_id: offer.configurationId, proofs: { jwt: [proof] } }),
  );
  const vcJwt = response.credentials?.[0]?.credential;
  const opening = response.zkkyc;
  if (typeof vcJwt !== 'string' || !opening) {
    throw new OfferReceiveError('credential', 'no_leaf_opening', 'the issuer sent no credential with its leaf opening, which proving needs');
  }
  return {
    vcJwt,
    issuerUrl: issuer,
    credentialId: String(opening.credentialId),
    applicationId: String(opening.applicationId ?? ''),
    issuerDid: String(opening.issuerDid),
    treeId: String(opening.treeId),
    leafIndex: Number(opening.leafIndex),
    leaf: String(opening.leaf),
    salt: String(opening.salt),
    status: String(opening.status),
  };
}

async function getJson<T>(url: string, step: OfferReceiveError['step']): Promise<T> {
  return answer<T>(await reach(url, { method: 'GET' }, step), step);
}

async function postJson<T>(url: string, step: OfferReceiveError['step'], headers: Record<string, string>, body: string | undefined): Promise<T> {
  return answer<T>(await reach(url, { method: 'POST', headers, body }, step), step);
}

async function reach(url: string, init: RequestInit, step: OfferReceiveError['step']): Promise<Response> {
  try {
    return await fetch(url, { ...init, cache: 'no-store' });
  } catch {
    throw new OfferReceiveError(step, 'unreachable', `the issuer at ${new URL(url).origin} does not answer`);
  }
}

async function answer<T>(response: Response, step: OfferReceiveError['step']): Promise<T> {
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const refusal = (json ?? {}) as OAuthErrorJson;
    const code = typeof refusal.error === 'string' ? refusal.error : `http_${response.status}`;
    const message = refusal.error_description ?? (typeof refusal.error === 'object' ? refusal.error?.message : undefined) ?? `HTTP ${response.status}`;
    throw new OfferReceiveError(step, code, message);
  }
  return json as T;
}
