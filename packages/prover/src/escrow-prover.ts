import type { Groth16Proof } from './calldata.js';
import { escrowCircuitInput, type KycEscrowProofRequest } from './escrow-request.js';
import { LoadedCircuit, type KycArtifacts, type ProofTiming } from './loaded-circuit.js';

/** The arguments of the generated KycPolicyEscrowVerifier32's `verifyProof`: six public signals. */
export interface EscrowSolidityCalldata {
  pA: [bigint, bigint];
  pB: [[bigint, bigint], [bigint, bigint]];
  pC: [bigint, bigint];
  pubSignals: [bigint, bigint, bigint, bigint, bigint, bigint];
}

/** A kycPolicyEscrow proof with its public signals decoded. */
export interface KycEscrowProof {
  proof: Groth16Proof;
  /** As snarkjs orders them: [nullifier, escrowX, escrowC, root, policyHash, context], decimal strings. */
  publicSignals: string[];
  nullifier: bigint;
  /**
   * The escrow ciphertext as published: `R.x` and `c`. `R` is the one point of the prime-order
   * subgroup with this x (docs/protocol.md, "Escrow"); an auditor recovers it before decrypting.
   */
  escrow: { x: bigint; c: bigint };
  root: bigint;
  /** The escrow policy hash, Poseidon3(rulesHash, E.x, E.y). */
  policyHash: bigint;
  context: bigint;
  solidityCalldata: EscrowSolidityCalldata;
}

/**
 * Proves kycPolicyEscrow statements: a kycPolicy proof for a policy with an escrow key, whose public
 * signals also carry the holder credential's leaf index encrypted to that key. Like KycProver, it
 * compiles the witness generator once and keeps the proving key in memory.
 */
export class KycEscrowProver {
  private constructor(private readonly circuit: LoadedCircuit) {}

  static async load(artifacts: KycArtifacts): Promise<KycEscrowProver> {
    return new KycEscrowProver(await LoadedCircuit.load(artifacts));
  }

  get artifacts(): KycArtifacts {
    return this.circuit.artifacts;
  }

  get depth(): number {
    return this.circuit.artifacts.depth;
  }

  get lastTiming(): ProofTiming {
    return this.circuit.lastTiming;
  }

  /** Validates the request (escrowCircuitInput), draws a fresh `r` unless given, and proves. */
  async prove(request: KycEscrowProofRequest): Promise<KycEscrowProof> {
    const { proof, publicSignals } = await this.circuit.prove(escrowCircuitInput(request, this.depth));
    return decodeEscrowProof(proof, publicSignals);
  }

  verify(proof: Pick<KycEscrowProof, 'proof' | 'publicSignals'>): Promise<boolean> {
    return this.circuit.verify(proof);
  }
}

/** Names the six public signals of a kycPolicyEscrow proof and adds the Solidity calldata. */
export function decodeEscrowProof(proof: Groth16Proof, publicSignals: string[]): KycEscrowProof {
  if (publicSignals.length !== 6) throw new Error(`expected 6 public signals, got ${publicSignals.length}`);
  const [nullifier, x, c, root, policyHash, context] = publicSignals.map(BigInt);
  const b = (i: number): [bigint, bigint] => [BigInt(proof.pi_b[i][1]), BigInt(proof.pi_b[i][0])];
  return {
    proof,
    publicSignals,
    nullifier,
    escrow: { x, c },
    root,
    policyHash,
    context,
    solidityCalldata: {
      pA: [BigInt(proof.pi_a[0]), BigInt(proof.pi_a[1])],
      pB: [b(0), b(1)],
      pC: [BigInt(proof.pi_c[0]), BigInt(proof.pi_c[1])],
      pubSignals: [nullifier, x, c, root, policyHash, context],
    },
  };
}
