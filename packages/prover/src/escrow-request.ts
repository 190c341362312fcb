import { assertEscrowKey, computeEscrowPolicyHash, computePolicyHash, ValidationError, type EscrowKey } from '@zkkyc/credentials';
import { circuitInput, type KycProofRequest } from './request.js';

/**
 * The escrow circuit (kycPolicyEscrow) draws the encryption randomness `r` from `[1, 2^246)`:
 * 246 bits is what it range-checks, below the subgroup order `l` (docs/protocol.md, "Escrow").
 */
export const ESCROW_RANDOMNESS_BITS = 246;

/** A proof request for a policy that names an escrow key. */
export interface KycEscrowProofRequest extends KycProofRequest {
  /** The policy's escrow public key `E` (as the gate stores it); checked to be a subgroup point. */
  escrowKey: EscrowKey;
  /**
   * The encryption randomness `r`, in `[1, 2^246)`. Leave it out: a fresh one is drawn for every
   * proof, as it must be (two ciphertexts with one `r` under one key reveal the difference of their
   * leaf indices). Given only by tests and test vectors. Never published: it decrypts.
   */
  escrowRandomness?: bigint;
}

/** A uniformly random `r` in `[1, 2^246)` from the platform's CSPRNG (Web Crypto: browser and Node). */
export function randomEscrowRandomness(): bigint {
  const bytes = new Uint8Array(32);
  for (;;) {
    globalThis.crypto.getRandomValues(bytes);
    const r = BigInt('0x' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')) & ((1n << BigInt(ESCROW_RANDOMNESS_BITS)) - 1n);
    if (r !== 0n) return r;
  }
}

type CircuitSignal = string | string[] | string[][];

/**
 * The kycPolicyEscrow circuit's input for a request: everything circuitInput checks and builds, with
 * the public `policyHash` replaced by the escrow policy hash
 * `Poseidon3(rulesHash, E.x, E.y)` and the escrow inputs added (`rulesHash`, the rules' Poseidon5,
 * `escrowKey`, `escrowRandomness`). Refuses, with the field named, a key that is not a point of the
 * prime-order subgroup (with a low-order key anybody could decrypt the ciphertext) and a given
 * randomness outside `[1, 2^246)`.
 */
export function escrowCircuitInput(request: KycEscrowProofRequest, depth: number): Record<string, CircuitSignal> {
  assertEscrowKey(request.escrowKey, 'escrowKey');
  const r = request.escrowRandomness ?? randomEscrowRandomness();
  if (typeof r !== 'bigint' || r < 1n || r >= 1n << BigInt(ESCROW_RANDOMNESS_BITS)) {
    throw new ValidationError('escrowRandomness', 'range', `must be a bigint in [1, 2^${ESCROW_RANDOMNESS_BITS})`);
  }
  const input = circuitInput(request, depth);
  const { scope, ...rules } = request.policy;
  return {
    ...input,
    policyHash: computeEscrowPolicyHash(scope, rules, request.escrowKey).toString(),
    escrowKey: request.escrowKey.map(String),
    escrowRandomness: r.toString(),
    rulesHash: computePolicyHash(scope, rules).toString(),
  };
}
