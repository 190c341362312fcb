import { WitnessCalculatorBuilder } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import { toSolidityCalldata, type Groth16Proof, type SolidityCalldata } from './calldata.js';
import { circuitInput, type KycProofRequest } from './request.js';

/** The built circuit a prover needs: its witness generator, proving key and verification key. */
export interface KycArtifacts {
  /** Issuer-tree depth the circuit was built for (20 or 32). */
  depth: number;
  wasm: Uint8Array;
  zkey: Uint8Array;
  verificationKey: object;
}

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

/** Where time went in the last proof, for progress displays and benchmarks. */
export interface ProofTiming {
  witnessMs: number;
  proveMs: number;
}

type WitnessCalculator = { calculateWTNSBin(input: object, sanityCheck: boolean): Promise<Uint8Array> };

/**
 * Proves kycPolicy statements. A wallet or relayer proves many times, so the
 * prover compiles the witness generator once and keeps the proving key in
 * memory: only the first proof pays for loading.
 */
export class KycProver {
  /** Timing of the most recent `prove`. */
  lastTiming: ProofTiming = { witnessMs: 0, proveMs: 0 };

  private constructor(
    readonly artifacts: KycArtifacts,
    private readonly witnessCalculator: WitnessCalculator,
  ) {}

  /** Compiles the circuit's witness generator and holds the artifacts for later proofs. */
  static async load(artifacts: KycArtifacts): Promise<KycProver> {
    // The default asks for 2 GiB of wasm memory up front; this circuit needs a few MiB.
    const witnessCalculator = (await WitnessCalculatorBuilder(artifacts.wasm, { memorySize: 256 })) as WitnessCalculator;
    return new KycProver(artifacts, witnessCalculator);
  }

  get depth(): number {
    return this.artifacts.depth;
  }

  /**
   * Proves that the request's credential meets its policy for its wallet.
   * Validates the request first (see circuitInput), so a credential that
   * fails the policy is refused with the failing rules named, not with a
   * witness error.
   */
  async prove(request: KycProofRequest): Promise<KycProof> {
    const input = circuitInput(request, this.depth);
    const started = now();
    const witness = await this.witnessCalculator.calculateWTNSBin(input, true);
    const witnessDone = now();
    const { proof, publicSignals } = await snarkjs.groth16.prove(this.artifacts.zkey, witness);
    this.lastTiming = { witnessMs: witnessDone - started, proveMs: now() - witnessDone };
    return decodeProof(proof as Groth16Proof, publicSignals);
  }

  /** Checks a proof against this circuit's verification key (off-chain). */
  async verify(proof: Pick<KycProof, 'proof' | 'publicSignals'>): Promise<boolean> {
    return snarkjs.groth16.verify(this.artifacts.verificationKey, proof.publicSignals, proof.proof);
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

function now(): number {
  return globalThis.performance.now();
}
