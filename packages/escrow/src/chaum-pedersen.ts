import { createHash } from 'node:crypto';
import { EscrowError } from './errors.js';
import { domainTag, pointBytes } from './encoding.js';
import { addPoints, modOrder, multiply, randomScalar, SUBGROUP_ORDER, type Point } from './group.js';

/**
 * A Chaum–Pedersen proof that two points have the same discrete logarithm: knowing `s`, prove that
 * `H1 = s·G1` and `H2 = s·G2` without revealing `s`. An auditor uses it to show that its partial
 * decryption `d = s_j·R` was made with the same share `s_j` as its public verification key
 * `P_j = s_j·Base8`; a DKG participant uses it to show that a complaint reveals the true ECDH secret.
 *
 * The protocol is the classic sigma protocol made non-interactive with Fiat–Shamir:
 *
 *     prover:   w random in [1, l),  A1 = w·G1,  A2 = w·G2
 *               ch = SHA-512(transcript) mod l
 *               z  = w + ch·s mod l               proof = (ch, z)
 *     verifier: A1 = z·G1 − ch·H1,  A2 = z·G2 − ch·H2,  accept iff SHA-512(transcript) mod l = ch
 *
 * where `transcript = tag ‖ 0x00 ‖ context ‖ G1 ‖ H1 ‖ G2 ‖ H2 ‖ A1 ‖ A2` (points as `x ‖ y`,
 * 32-byte big-endian coordinates). The `tag` names the use and the `context` carries everything the
 * proof must be bound to (the escrow key, the ciphertext, the auditor, the disclosure request), so a
 * proof made for one statement is worthless for any other.
 *
 * Why SHA-512 and not Poseidon: these proofs are checked by auditors and combiners in ordinary code,
 * never inside a circuit or a contract, so the hash should be the one every language has in its
 * standard library and whose security as a random oracle is least in doubt. SHA-512 rather than
 * SHA-256 because 512 bits reduced modulo the 251-bit `l` give a challenge with bias below 2^-260.
 * `−ch·H` is computed as `(l − ch)·H`, valid because `H` is in the subgroup of order `l`.
 *
 * Points passed here must already be validated subgroup points (group.ts); this module only proves
 * and checks the equation.
 */

/** A non-interactive Chaum–Pedersen proof: the challenge and the response, both in `[0, l)`. */
export interface EqualLogProof {
  challenge: bigint;
  response: bigint;
}

/** The statement: `log_G1(H1) = log_G2(H2)`, bound to a domain tag and a context. */
export interface EqualLogStatement {
  /** ASCII domain tag naming the use, e.g. `zkkyc/escrow/partial-decryption/v1`. */
  tag: string;
  /** The bytes the proof is bound to, laid out by the caller. */
  context: Uint8Array;
  G1: Point;
  H1: Point;
  G2: Point;
  H2: Point;
}

/** `SHA-512(tag ‖ 0x00 ‖ context ‖ G1 ‖ H1 ‖ G2 ‖ H2 ‖ A1 ‖ A2) mod l`. */
export function equalLogChallenge(statement: EqualLogStatement, A1: Point, A2: Point): bigint {
  const digest = createHash('sha512')
    .update(domainTag(statement.tag))
    .update(statement.context)
    .update(pointBytes(statement.G1))
    .update(pointBytes(statement.H1))
    .update(pointBytes(statement.G2))
    .update(pointBytes(statement.H2))
    .update(pointBytes(A1))
    .update(pointBytes(A2))
    .digest('hex');
  return BigInt('0x' + digest) % SUBGROUP_ORDER;
}

/** Proves `log_G1(H1) = log_G2(H2) = secret`. The caller guarantees `H1 = secret·G1`, `H2 = secret·G2`. */
export function proveEqualLogs(statement: EqualLogStatement, secret: bigint): EqualLogProof {
  const w = randomScalar();
  const challenge = equalLogChallenge(statement, multiply(statement.G1, w), multiply(statement.G2, w));
  return { challenge, response: modOrder(w + challenge * secret) };
}

/** Whether `proof` shows `log_G1(H1) = log_G2(H2)` for this statement (tag and context included). */
export function verifyEqualLogs(statement: EqualLogStatement, proof: EqualLogProof): boolean {
  const { challenge, response } = proof;
  if (typeof challenge !== 'bigint' || typeof response !== 'bigint') return false;
  if (challenge < 0n || challenge >= SUBGROUP_ORDER || response < 0n || response >= SUBGROUP_ORDER) return false;
  const minus = SUBGROUP_ORDER - challenge;
  const A1 = addPoints(multiply(statement.G1, response), multiply(statement.H1, minus));
  const A2 = addPoints(multiply(statement.G2, response), multiply(statement.H2, minus));
  return equalLogChallenge(statement, A1, A2) === challenge;
}

/** Throws an EscrowError naming `field` unless the proof's two scalars are bigints in `[0, l)`. */
export function assertProofShape(proof: unknown, field: string): asserts proof is EqualLogProof {
  const p = proof as Partial<EqualLogProof> | null;
  const inRange = (v: unknown) => typeof v === 'bigint' && v >= 0n && v < SUBGROUP_ORDER;
  if (typeof p !== 'object' || p === null || !inRange(p.challenge) || !inRange(p.response)) {
    throw new EscrowError(field, 'proof', 'must have a challenge and a response in [0, l)');
  }
}
