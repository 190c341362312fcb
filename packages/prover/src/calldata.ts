/** A Groth16 proof as snarkjs returns it. */
export interface Groth16Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

/** The arguments of the generated verifier's `verifyProof`, and of ComplianceGate.verify. */
export interface SolidityCalldata {
  pA: [bigint, bigint];
  pB: [[bigint, bigint], [bigint, bigint]];
  pC: [bigint, bigint];
  pubSignals: [bigint, bigint, bigint, bigint];
}

/**
 * Reshapes a snarkjs proof for the Solidity verifier. The EVM's pairing
 * precompile takes G2 coordinates as (imaginary, real), the reverse of
 * snarkjs's order, hence the swap inside pB.
 */
export function toSolidityCalldata(proof: Groth16Proof, publicSignals: string[]): SolidityCalldata {
  if (publicSignals.length !== 4) throw new Error(`expected 4 public signals, got ${publicSignals.length}`);
  const b = (i: number): [bigint, bigint] => [BigInt(proof.pi_b[i][1]), BigInt(proof.pi_b[i][0])];
  return {
    pA: [BigInt(proof.pi_a[0]), BigInt(proof.pi_a[1])],
    pB: [b(0), b(1)],
    pC: [BigInt(proof.pi_c[0]), BigInt(proof.pi_c[1])],
    pubSignals: publicSignals.map(BigInt) as SolidityCalldata['pubSignals'],
  };
}
