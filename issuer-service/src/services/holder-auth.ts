import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { verifyJWT } from 'did-jwt';
import { Resolver } from 'did-resolver';
import { getDidKeyResolver } from '@veramo/did-provider-key';
import { ApiError, invalidField } from '../api-error.js';

/**
 * How a holder proves it controls the DID it applies with, and how it reads back what it was issued.
 *
 * 1. `POST /challenges {did}` returns a random nonce, bound to that DID, single-use, expiring.
 * 2. The holder signs a JWT with its DID key: `iss` = the DID, payload `{ nonce }` (an `aud`, if
 *    present, must be the issuer DID). It sends it as `signature` with the application.
 * 3. The service resolves the did:key, checks the signature (authentication key), `iss` and nonce,
 *    and consumes the nonce in the same transaction that stores the application.
 * 4. The application response carries a random bearer token (stored only as its SHA-256). The holder
 *    presents it as `Authorization: Bearer …` to read its application, credential and Merkle path —
 *    simpler for a wallet than a fresh challenge per read, and it never leaves holder and issuer.
 */

// did:key with a base58btc multibase key; length bounds cover Ed25519 through P-384 keys.
const DID_KEY = /^did:key:z[1-9A-HJ-NP-Za-km-z]{40,200}$/;
const DID_ANY = /^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$/;

/** Throws a 400 naming `field` unless `did` is a did:key (the only method we can verify offline). */
export function assertHolderDid(did: unknown, field = 'did'): asserts did is string {
  if (typeof did !== 'string' || did.length > 256 || !DID_ANY.test(did)) {
    throw invalidField(field, 'did-syntax', 'must be a DID (did:<method>:<id>)');
  }
  if (!DID_KEY.test(did)) throw invalidField(field, 'did-key', 'only did:key holders are supported');
}

const resolver = new Resolver(getDidKeyResolver());

/**
 * Verifies the holder's signed challenge. Returns normally only when `jwt` is signed by a key in
 * `did`'s authentication section, was issued by `did`, and carries `nonce`.
 */
export async function verifyChallengeSignature(args: { jwt: string; did: string; nonce: string; issuerDid: string }): Promise<void> {
  let payload: Record<string, unknown>;
  try {
    const verified = await verifyJWT(args.jwt, { resolver, audience: args.issuerDid, proofPurpose: 'authentication' });
    payload = verified.payload as Record<string, unknown>;
    if (verified.issuer !== args.did) throw new Error(`signed by ${verified.issuer}, not the applying DID`);
  } catch (err) {
    throw new ApiError(401, 'bad_signature', `signature does not prove control of the DID: ${(err as Error).message}`, 'signature', 'did-jwt');
  }
  if (payload.nonce !== args.nonce) throw new ApiError(401, 'bad_signature', 'signature is over a different nonce', 'signature', 'nonce');
}

/** A fresh random token (challenge nonce or bearer token): 32 bytes, base64url. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares a presented token with a stored hash in constant time. */
export function tokenMatches(token: string | undefined, storedHash: string): boolean {
  if (!token) return false;
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Extracts the token from an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+([A-Za-z0-9_-]{20,100})$/.exec(header) : null;
  return match?.[1];
}
