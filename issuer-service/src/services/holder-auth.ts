import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { verifyJWT } from 'did-jwt';
import type { Resolvable } from 'did-resolver';
import { ApiError } from '../api-error.js';

/**
 * How a holder proves it controls the DID it applies with, and how it reads back what it was issued.
 *
 * 1. `POST /challenges {did}` returns a random nonce, bound to that DID, single-use, expiring.
 * 2. The holder signs a JWT with its DID key: `iss` = the DID, payload `{ nonce }` (an `aud`, if
 *    present, must be the issuer DID). It sends it as `signature` with the application.
 * 3. The service resolves the DID (did:key, did:web, or did:ethr on the configured chain — see
 *    holder-did-methods.ts), checks the signature (authentication key), `iss` and nonce,
 *    and consumes the nonce in the same transaction that stores the application.
 * 4. The application response carries a random bearer token (stored only as its SHA-256). The holder
 *    presents it as `Authorization: Bearer …` to read its application, credential and Merkle path —
 *    simpler for a wallet than a fresh challenge per read, and it never leaves holder and issuer.
 */

/**
 * Verifies the holder's signed challenge. Returns normally only when `jwt` is signed by a key in
 * `did`'s authentication section, was issued by `did`, and carries `nonce`.
 */
export async function verifyChallengeSignature(args: { jwt: string; did: string; nonce: string; issuerDid: string; resolver: Resolvable }): Promise<void> {
  let payload: Record<string, unknown>;
  try {
    const verified = await verifyJWT(args.jwt, { resolver: args.resolver, audience: args.issuerDid, proofPurpose: 'authentication' });
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
