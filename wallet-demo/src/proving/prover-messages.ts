import type { KycProofRequest, SolidityCalldata } from '@zkkyc/prover';
import type { PolicyFailure } from '@zkkyc/credentials';

/** Main thread → worker. BigInts and the Merkle path's nested sibling arrays survive structured cloning, so the request goes as is. */
export interface ProveCommand {
  type: 'prove';
  request: KycProofRequest;
  /** Base URL of the circuit artifacts (wasm, zkey, verification key). */
  artifactsUrl: string;
  circuit: string;
  depth: number;
}

/** Worker → main thread. */
export type ProverEvent =
  | { type: 'progress'; stage: 'loading'; loadedBytes: number; totalBytes: number }
  | { type: 'progress'; stage: 'proving' }
  | { type: 'done'; nullifier: bigint; solidityCalldata: SolidityCalldata; witnessMs: number; proveMs: number; loadMs: number }
  | { type: 'not-eligible'; failures: PolicyFailure[] }
  | { type: 'error'; message: string };
