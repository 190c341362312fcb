import { proveEqualLogs, verifyEqualLogs, type EqualLogProof, type EqualLogStatement } from './chaum-pedersen.js';
import type { KeyShare } from './dkg.js';
import { EscrowError } from './errors.js';
import { bytes32, lengthPrefixed, pointBytes, uint32 } from './encoding.js';
import { assertScalar, assertSubgroupPoint, BASE8, multiply, multiplyBase, type Point } from './group.js';
import { assertCiphertext, type Ciphertext } from './leaf-index-encryption.js';

/**
 * An auditor's contribution to a disclosure: `d_j = s_j·R`, its share of the shared point `K = r·E`,
 * with a Chaum–Pedersen proof that it used the same `s_j` as its public verification key
 * `P_j = s_j·Base8`. A wrong `d_j` would silently poison the combination; the proof lets the combiner
 * reject it and name the auditor instead.
 *
 * The proof is bound to the escrow key `E`, the ciphertext `(R, c)`, the auditor's index and the
 * disclosure request reference — the transcript context is
 *
 *     index (4 bytes) ‖ E ‖ R ‖ c (32 bytes) ‖ len(request) (4 bytes) ‖ request (UTF-8)
 *
 * under the tag `zkkyc/escrow/partial-decryption/v1` (chaum-pedersen.ts has the rest) — so a partial
 * made for one request is refused for any other, even for the same ciphertext: every disclosure
 * needs its own request, which the auditors check against the on-chain disclosure log
 * (disclosure-log.ts) before they act.
 */

/** A partial decryption as an auditor hands it to the combiner. */
export interface PartialDecryption {
  /** The auditor's index j. */
  index: number;
  /** The disclosure request reference it was made for. */
  request: string;
  /** `d_j = s_j·R`. */
  d: Point;
  proof: EqualLogProof;
}

const PARTIAL_TAG = 'zkkyc/escrow/partial-decryption/v1';

/** Request references are 1..256 bytes of UTF-8 without control characters. */
export const MAX_REQUEST_BYTES = 256;

/** Throws an EscrowError (field `request`) unless `request` is a usable request reference. */
export function assertRequestReference(request: unknown): asserts request is string {
  if (typeof request !== 'string' || request.length === 0) {
    throw new EscrowError('request', 'required', 'must name the disclosure request (a non-empty reference)');
  }
  if (Buffer.byteLength(request, 'utf8') > MAX_REQUEST_BYTES) throw new EscrowError('request', 'length', `must be at most ${MAX_REQUEST_BYTES} bytes of UTF-8`);
  if (/[\u0000-\u001f\u007f]/.test(request)) throw new EscrowError('request', 'printable', 'must not contain control characters');
}

/** The statement a partial proves: `log_Base8(P_j) = log_R(d_j)`, bound to (j, E, R, c, request). */
export function partialStatement(index: number, E: Point, ciphertext: Ciphertext, request: string, Pj: Point, d: Point): EqualLogStatement {
  return {
    tag: PARTIAL_TAG,
    context: Buffer.concat([uint32(index), pointBytes(E), pointBytes(ciphertext.R), bytes32(ciphertext.c), lengthPrefixed(request)]),
    G1: BASE8,
    H1: Pj,
    G2: ciphertext.R,
    H2: d,
  };
}

/**
 * Auditor j's partial decryption of `ciphertext` for disclosure request `request`. The caller must
 * already have checked that the request is in the disclosure log (the CLI does, through a
 * DisclosureLogCheck).
 */
export function createPartialDecryption(keyShare: KeyShare, ciphertext: Ciphertext, request: string): PartialDecryption {
  assertScalar(keyShare.secretShare, 'secretShare');
  assertSubgroupPoint(keyShare.publicKey, 'E');
  assertCiphertext(ciphertext);
  assertRequestReference(request);
  const d = multiply(ciphertext.R, keyShare.secretShare);
  const Pj = multiplyBase(keyShare.secretShare);
  const proof = proveEqualLogs(partialStatement(keyShare.index, keyShare.publicKey, ciphertext, request, Pj, d), keyShare.secretShare);
  return { index: keyShare.index, request, d, proof };
}

/**
 * Whether `partial` is auditor `partial.index`'s correct share of `K` for this key, ciphertext and
 * request: `d` is a subgroup point and the proof holds against `Pj`. Validate `E`, `Pj` and the
 * ciphertext first (they come from the public key file and the chain).
 */
export function verifyPartialDecryption(partial: PartialDecryption, E: Point, Pj: Point, ciphertext: Ciphertext, request: string): boolean {
  try {
    assertSubgroupPoint(partial.d, 'd');
  } catch {
    return false;
  }
  return verifyEqualLogs(partialStatement(partial.index, E, ciphertext, request, Pj, partial.d), partial.proof);
}
