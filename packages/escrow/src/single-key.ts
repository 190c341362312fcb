import { assertScalar, multiplyBase, randomScalar, type Point } from './group.js';

/**
 * Single-holder mode: one party — the transfer agent, who must keep the register of holders anyway —
 * holds the whole escrow secret `e` and publishes `E = e·Base8`. It decrypts alone
 * ({@link decryptLeafIndex}). For a key that nobody holds alone, run the DKG (dkg.ts) instead.
 */
export interface EscrowKeyPair {
  /** `e`, in `[1, l)`. Secret. */
  secretKey: bigint;
  /** `E = e·Base8`. Public: goes into the policy. */
  publicKey: Point;
}

/** A fresh key pair from node:crypto randomness. */
export function generateSingleKey(): EscrowKeyPair {
  const secretKey = randomScalar();
  return { secretKey, publicKey: multiplyBase(secretKey) };
}

/** `E = e·Base8`, after checking `1 ≤ e < l`. */
export function publicKeyOf(secretKey: bigint): Point {
  assertScalar(secretKey, 'e');
  return multiplyBase(secretKey);
}
