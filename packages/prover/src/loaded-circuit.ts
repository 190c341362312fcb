import { WitnessCalculatorBuilder } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import type { Groth16Proof } from './calldata.js';

/** The built circuit a prover needs: its witness generator, proving key and verification key. */
export interface KycArtifacts {
  /** Issuer-tree depth the circuit was built for (20 or 32). */
  depth: number;
  wasm: Uint8Array;
  zkey: Uint8Array;
  verificationKey: object;
}

/** Where time went in the last proof, for progress displays and benchmarks. */
export interface ProofTiming {
  witnessMs: number;
  proveMs: number;
}

type WitnessCalculator = { calculateWTNSBin(input: object, sanityCheck: boolean): Promise<Uint8Array> };

/**
 * One circuit held ready for proving. A wallet or relayer proves many times, so the witness
 * generator is compiled once and the proving key stays in memory: only the first proof pays for
 * loading. The statement-specific provers (KycProver, KycEscrowProver) build the input and name the
 * public signals; this does the Groth16 part they share.
 */
export class LoadedCircuit {
  /** Timing of the most recent `prove`. */
  lastTiming: ProofTiming = { witnessMs: 0, proveMs: 0 };

  private constructor(
    readonly artifacts: KycArtifacts,
    private readonly witnessCalculator: WitnessCalculator,
  ) {}

  static async load(artifacts: KycArtifacts): Promise<LoadedCircuit> {
    // The default asks for 2 GiB of wasm memory up front; these circuits need a few MiB.
    const witnessCalculator = (await WitnessCalculatorBuilder(artifacts.wasm, { memorySize: 256 })) as WitnessCalculator;
    return new LoadedCircuit(artifacts, witnessCalculator);
  }

  /** Computes the witness (with the circuit's own asserts on) and proves. */
  async prove(input: object): Promise<{ proof: Groth16Proof; publicSignals: string[] }> {
    const started = globalThis.performance.now();
    const witness = await this.witnessCalculator.calculateWTNSBin(input, true);
    const witnessDone = globalThis.performance.now();
    const { proof, publicSignals } = await snarkjs.groth16.prove(this.artifacts.zkey, witness);
    this.lastTiming = { witnessMs: witnessDone - started, proveMs: globalThis.performance.now() - witnessDone };
    return { proof: proof as Groth16Proof, publicSignals };
  }

  /** Checks a proof against this circuit's verification key (off-chain). */
  verify(proof: { proof: Groth16Proof; publicSignals: string[] }): Promise<boolean> {
    return snarkjs.groth16.verify(this.artifacts.verificationKey, proof.publicSignals, proof.proof);
  }
}
