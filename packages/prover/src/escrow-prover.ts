import { WitnessCalculatorBuilder } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import type { Groth16Proof } from './calldata.js';
import { escrowCircuitInput, type KycEscrowProofRequest } from './escrow-request.js';
import type { KycArtifacts, ProofTiming } from './kyc-prover.js';

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

type WitnessCalculator = { calculateWTNSBin(input: object, sanityCheck: boolean): Promise<Uint8Array> };

/**
 * Proves kycPolicyEscrow statements: a kycPolicy proof for a policy with an escrow key, whose public
 * signals also carry the holder credential's leaf index encrypted to that key. Like KycProver, it
 * compiles the witness generator once and keeps the proving key in memory.
 */
export class KycEscrowProver {
  lastTiming: ProofTiming = { witnessMs: 0, proveMs: 0 };

  private constructor(
    readonly artifacts: KycArtifacts,
    private readonly witnessCalculator: WitnessCalculator,
  ) {}

  static async load(artifacts: KycArtifacts): Promise<KycEscrowProver> {
    const witnessCalculator = (await WitnessCalculatorBuilder(artifacts.wasm, { memorySize: 256 })) as WitnessCalculator;
    return new KycEscrowProver(artifacts, witnessCalculator);
  }

  get depth(): number {
    return this.artifacts.depth;
  }

  /** Validates the request (escrowCircuitInput), draws a fresh `r` unless given, and proves. */
  async prove(request: KycEscrowProofRequest): Promise<KycEscrowProof> {
    const input = escrowCircuitInput(request, this.depth);
    const started = globalThis.performance.now();
    const witness = await this.witnessCalculator.calculateWTNSBin(input, true);
    const witnessDone = globalThis.performance.now();
    const { proof, publicSignals } = await snarkjs.groth16.prove(this.artifacts.zkey, witness);
    this.lastTiming = { witnessMs: witnessDone - started, proveMs: globalThis.performance.now() - witnessDone };
    return decodeEscrowProof(proof as Groth16Proof, publicSignals);
  }

  async verify(proof: Pick<KycEscrowProof, 'proof' | 'publicSignals'>): Promise<boolean> {
    return snarkjs.groth16.verify(this.artifacts.verificationKey, proof.publicSignals, proof.proof);
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
