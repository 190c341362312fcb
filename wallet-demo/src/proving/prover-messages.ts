import type { EscrowSolidityCalldata, KycEscrowProofRequest, KycProofRequest, SolidityCalldata } from '@zkkyc/prover';
import type { PolicyFailure } from '@zkkyc/credentials';

/** What is to be proven: a kycPolicy statement, or its escrow variant for a policy that names an escrow key. */
export type ProveStatement = { kind: 'kyc'; request: KycProofRequest } | { kind: 'escrow'; request: KycEscrowProofRequest };

/**
 * Main thread → worker. BigInts and the Merkle path's nested sibling arrays survive structured
 * cloning, so the request goes as is. `circuit` names the artifacts to load (kycPolicy32,
 * kycPolicyEscrow32); the worker keeps each circuit it loaded for later proofs.
 */
export type ProveCommand = ProveStatement & {
  type: 'prove';
  /** Base URL of the circuit artifacts (wasm, zkey, verification key). */
  artifactsUrl: string;
  circuit: string;
  depth: number;
};

/** A finished proof: the kycPolicy calldata (4 public signals), or the escrow variant's (6) with its ciphertext. */
export type ProvenStatement = { kind: 'kyc'; solidityCalldata: SolidityCalldata } | { kind: 'escrow'; solidityCalldata: EscrowSolidityCalldata; escrow: { x: bigint; c: bigint } };

/** Worker → main thread. */
export type ProverEvent =
  | { type: 'progress'; stage: 'loading'; loadedBytes: number; totalBytes: number }
  | { type: 'progress'; stage: 'proving' }
  | ({ type: 'done'; nullifier: bigint; witnessMs: number; proveMs: number; loadMs: number } & ProvenStatement)
  | { type: 'not-eligible'; failures: PolicyFailure[] }
  | { type: 'error'; message: string };
