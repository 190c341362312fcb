import { poseidon2 } from 'poseidon-lite';
import { EscrowError } from './errors.js';
import { assertScalar, assertSubgroupPoint, multiply, multiplyBase, randomScalar, SNARK_FIELD, type Point } from './group.js';

/**
 * The escrow ciphertext: the holder credential's leaf index, encrypted to the policy's escrow key.
 *
 * A registration proof outputs `(R, c)` and the circuit checks that they were made honestly:
 *
 *     R = r·Base8                           (circomlib escalarmulfix)
 *     K = r·E                               (escalarmulany)
 *     c = leafIndex + Poseidon(K.x, K.y)   mod p   (Poseidon(2))
 *
 * with `r` fresh per proof in `[1, l)`. Whoever knows the escrow secret `e` (with `E = e·Base8`)
 * recomputes `K = e·R = r·E` and subtracts the mask; with a k-of-n key, k auditors together produce
 * `K` without anyone learning `e` (combine.ts). To everybody else `(R, c)` is a fresh random-looking
 * pair: it reveals neither the leaf index nor whether two registrations share a credential.
 *
 * This is hashed ElGamal with Poseidon as the key derivation, chosen because the circuit computes all
 * of it natively. `c` is not authenticated — the proof that carries it is what stops tampering — so a
 * ciphertext taken from anywhere but a verified registration proves nothing.
 */

/** The issuer tree holds 2^32 leaves, so a leaf index is below 2^32. */
export const LEAF_INDEX_BOUND = 1n << 32n;

/** An escrow ciphertext `(R, c)`: `R` a subgroup point, `c` a field element. */
export interface Ciphertext {
  R: Point;
  c: bigint;
}

/** What {@link encryptLeafIndex} returns: the public ciphertext, and the `r` the prover feeds the circuit. */
export interface LeafIndexEncryption {
  ciphertext: Ciphertext;
  /** The randomness: a private circuit input. Keep it with the witness; never publish it (it decrypts). */
  r: bigint;
}

/** `Poseidon(K.x, K.y)`: the mask that hides the leaf index. */
export function maskFromSharedPoint(K: Point): bigint {
  return poseidon2([K[0], K[1]]);
}

/** Throws an EscrowError naming `field` unless `leafIndex` is an integer in `[0, 2^32)`. */
export function assertLeafIndex(leafIndex: unknown, field = 'leafIndex'): asserts leafIndex is number | bigint {
  const ok = (typeof leafIndex === 'number' && Number.isSafeInteger(leafIndex)) || typeof leafIndex === 'bigint';
  if (!ok) throw new EscrowError(field, 'integer', 'must be an integer');
  const v = BigInt(leafIndex as number | bigint);
  if (v < 0n || v >= LEAF_INDEX_BOUND) throw new EscrowError(field, 'leaf-index-range', 'must be in [0, 2^32)');
}

/** Throws an EscrowError unless `ciphertext` has a subgroup point `R` and a field element `c`. */
export function assertCiphertext(ciphertext: unknown, field = 'ciphertext'): asserts ciphertext is Ciphertext {
  if (typeof ciphertext !== 'object' || ciphertext === null) throw new EscrowError(field, 'ciphertext', 'must be an object { R, c }');
  const { R, c } = ciphertext as Partial<Ciphertext>;
  assertSubgroupPoint(R, 'R');
  if (typeof c !== 'bigint' || c < 0n || c >= SNARK_FIELD) throw new EscrowError('c', 'field-element', 'must be a bigint in [0, p)');
}

/**
 * Encrypts `leafIndex` to the escrow public key `E`. `r` is drawn fresh unless given (a prover that
 * already chose it, or a test vector); a given `r` must be in `[1, l)`. Never reuse `r`: two
 * ciphertexts with the same `r` under the same key give away the difference of their leaf indices.
 */
export function encryptLeafIndex(E: Point, leafIndex: number | bigint, r?: bigint): LeafIndexEncryption {
  assertSubgroupPoint(E, 'E');
  assertLeafIndex(leafIndex);
  const randomness = r ?? randomScalar();
  assertScalar(randomness, 'r');
  const R = multiplyBase(randomness);
  const K = multiply(E, randomness);
  const c = (BigInt(leafIndex) + maskFromSharedPoint(K)) % SNARK_FIELD;
  return { ciphertext: { R, c }, r: randomness };
}

/**
 * The leaf index from the shared point `K = r·E` (however it was obtained: `e·R` by a single key
 * holder, or combined from partial decryptions). Throws `ciphertext is not for this key (or
 * corrupted)` when the result is not below 2^32: a wrong `K` gives a uniformly random field element,
 * which lands below 2^32 with probability 2^-222.
 */
export function leafIndexFromSharedPoint(K: Point, ciphertext: Ciphertext): number {
  const m = (ciphertext.c - maskFromSharedPoint(K) + SNARK_FIELD) % SNARK_FIELD;
  if (m >= LEAF_INDEX_BOUND) {
    throw new EscrowError('ciphertext', 'decrypts-to-leaf-index', 'is not for this key (or corrupted)');
  }
  return Number(m);
}

/** Decrypts with the whole secret `e` (single-holder mode: the transfer agent). */
export function decryptLeafIndex(e: bigint, ciphertext: Ciphertext): number {
  assertScalar(e, 'e');
  assertCiphertext(ciphertext);
  return leafIndexFromSharedPoint(multiply(ciphertext.R, e), ciphertext);
}
