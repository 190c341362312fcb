import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { verifyJWT } from 'did-jwt';
import type { DIDResolutionResult, Resolvable } from 'did-resolver';
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
 * A DID whose document could not be had. The client learns only that (400 `did_unresolvable`,
 * field `did`, rule `did-resolution`); `detail` — an address, a network error, a status — is for
 * the server log (the holder routes log it), never for the response.
 */
export class DidResolutionError extends ApiError {
  constructor(
    readonly did: string,
    readonly detail: string,
  ) {
    super(400, 'did_unresolvable', 'the DID document could not be retrieved; check that it is published where the DID method says', 'did', 'did-resolution');
  }
}

/** What a signed challenge is for: applying, or recovering the access token of an application. */
export type ChallengePurpose = 'apply' | 'access-token-recovery';

/**
 * Verifies the holder's signed challenge. Returns normally only when `jwt` is signed by a key in
 * `did`'s authentication section, was issued by `did` (compared after `normalise`, so a JWT may
 * spell the DID in any accepted case variant), and carries `nonce` — and, for a token recovery,
 * `purpose: "access-token-recovery"` (an application JWT carries no purpose, so neither can stand
 * in for the other).
 *
 * The DID is resolved first, on its own: a failure there is a `DidResolutionError` whose details
 * stay in the log. The signature check then reuses that one resolution.
 */
export async function verifyChallengeSignature(args: {
  jwt: string;
  did: string;
  nonce: string;
  issuerDid: string;
  resolver: Resolvable;
  normalise?: (did: string) => string;
  purpose?: ChallengePurpose;
}): Promise<void> {
  const normalise = args.normalise ?? ((d: string) => d);
  let resolved: DIDResolutionResult;
  try {
    resolved = await args.resolver.resolve(args.did);
  } catch (err) {
    throw new DidResolutionError(args.did, (err as Error)?.message ?? String(err));
  }
  if (resolved.didResolutionMetadata?.error || !resolved.didDocument) {
    const meta = resolved.didResolutionMetadata ?? {};
    throw new DidResolutionError(args.did, [meta.error, meta.message, meta.detail].filter(Boolean).join(': ') || 'no document');
  }
  // Answers only for the DID resolved above: a JWT naming any other issuer fails here.
  const once: Resolvable = {
    resolve: async (did: string) => {
      if (normalise(did.split('#')[0]) !== args.did) {
        return { didDocument: null, didDocumentMetadata: {}, didResolutionMetadata: { error: 'notFound', message: 'not the applying DID' } };
      }
      return resolved;
    },
  };
  let payload: Record<string, unknown>;
  try {
    const verified = await verifyJWT(args.jwt, { resolver: once, audience: args.issuerDid, proofPurpose: 'authentication' });
    payload = verified.payload as Record<string, unknown>;
    if (normalise(verified.issuer) !== args.did) throw new Error('signed by another DID than the applying one');
  } catch (err) {
    throw new ApiError(401, 'bad_signature', `signature does not prove control of the DID: ${(err as Error).message}`, 'signature', 'did-jwt');
  }
  if (payload.nonce !== args.nonce) throw new ApiError(401, 'bad_signature', 'signature is over a different nonce', 'signature', 'nonce');
  const purpose = args.purpose ?? 'apply';
  const claimed = payload.purpose ?? 'apply';
  if (claimed !== purpose) {
    throw new ApiError(401, 'bad_signature', `the signed challenge is for "${String(claimed).slice(0, 40)}", not "${purpose}"`, 'signature', 'purpose');
  }
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
