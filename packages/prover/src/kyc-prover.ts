import { toSolidityCalldata, type Groth16Proof, type SolidityCalldata } from './calldata.js';
import { LoadedCircuit, type KycArtifacts, type ProofTiming } from './loaded-circuit.js';
import { circuitInput, type KycProofRequest } from './request.js';

export type { KycArtifacts, ProofTiming } from './loaded-circuit.js';

/** A proof with its public signals decoded, and the calldata for ComplianceGate. */
export interface KycProof {
  proof: Groth16Proof;
  /** As snarkjs orders them: [nullifier, root, policyHash, context], decimal strings. */
  publicSignals: string[];
  nullifier: bigint;
  root: bigint;
  policyHash: bigint;
  context: bigint;
  solidityCalldata: SolidityCalldata;
}

/**
 * Proves kycPolicy statements. A wallet or relayer proves many times, so the
 * prover compiles the witness generator once and keeps the proving key in
 * memory: only the first proof pays for loading.
 */
export class KycProver {
  private constructor(private readonly circuit: LoadedCircuit) {}

  /** Compiles the circuit's witness generator and holds the artifacts for later proofs. */
  static async load(artifacts: KycArtifacts): Promise<KycProver> {
    return new KycProver(await LoadedCircuit.load(artifacts));
  }

  get artifacts(): KycArtifacts {
    return this.circuit.artifacts;
  }

  get depth(): number {
    return this.circuit.artifacts.depth;
  }

  /** Timing of the most recent `prove`. */
  get lastTiming(): ProofTiming {
    return this.circuit.lastTiming;
  }

  /**
   * Proves that the request's credential meets its policy for its wallet.
   * Validates the request first (see circuitInput), so a credential that
   * fails the policy is refused with the failing rules named, not with a
   * witness error.
   */
  async prove(request: KycProofRequest): Promise<KycProof> {
    const { proof, publicSignals } = await this.circuit.prove(circuitInput(request, this.depth));
    return decodeProof(proof, publicSignals);
  }

  /** Checks a proof against this circuit's verification key (off-chain). */
  verify(proof: Pick<KycProof, 'proof' | 'publicSignals'>): Promise<boolean> {
    return this.circuit.verify(proof);
  }
}

/** Names the public signals of a snarkjs proof and adds the Solidity calldata. */
export function decodeProof(proof: Groth16Proof, publicSignals: string[]): KycProof {
  const [nullifier, root, policyHash, context] = publicSignals.map(BigInt);
  return { proof, publicSignals, nullifier, root, policyHash, context, solidityCalldata: toSolidityCalldata(proof, publicSignals) };
}

/**
 * snarkjs keeps worker threads for its curve on a global; a Node process
 * does not exit while they live. Call once when done proving.
 */
export async function releaseProverThreads(): Promise<void> {
  const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128;
  if (curve) {
    await curve.terminate();
    delete (globalThis as { curve_bn128?: unknown }).curve_bn128;
  }
}
