// Mutation check of the escrow variant's R1CS, as kycPolicy.mutation.test.ts
// does for kycPolicy: from a valid witness, every wire except the constant is
// increased by one on its own, and some constraint must fail. A wire that can
// change freely (an unconstrained `<--` such as the escrow template's rInverse
// or the Montgomery ladders' lambdas, an output nothing pins) is reported by
// its signal name.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { inputWires, loadCircuit, type CircuitHarness } from './circuit-harness.js';
import { escrowStatementInput, TEST_ESCROW_KEY, TEST_R } from './escrow-input.js';
import type { Evaluation } from './r1cs.js';
import { validStatement } from './statement-input.js';
import { wireName } from './symbols.js';

const INPUT_NAME =
  /^main\.(root|policyHash|context|identitySecret|jurisdiction|birthDate|investorClass|kycLevel|expiryDate|salt|leafIndex|siblings\[\d+\]\[\d+\]|scope|jurisdictionMask|minAge|investorClassMask|minKycLevel|wallet|today|validUntil|escrowKey\[[01]\]|escrowRandomness|rulesHash)$/;

describe('kycPolicyEscrow32', () => {
  let h: CircuitHarness;
  let evaluation: Evaluation;
  let inputs: Set<number>;

  beforeAll(async () => {
    h = await loadCircuit('kycPolicyEscrow32');
    const witness = await h.witnesses.checked(escrowStatementInput(validStatement(), 32, { key: TEST_ESCROW_KEY, r: TEST_R }));
    evaluation = h.r1cs.evaluate(witness);
    inputs = inputWires(h);
  });

  const freeWires = (wires: number[]): string[] => wires.filter((w) => h.r1cs.recheck(evaluation, w, evaluation.witness[w] + 1n).ok).map((w) => wireName(h.symbols, w));

  it('starts from a witness that satisfies every constraint', () => {
    expect(evaluation.failing).toEqual([]);
  });

  it('knows which wires are inputs: exactly the declared input signals, after the three outputs', () => {
    expect(h.symbols.namesOfWire[1]).toContain('main.nullifier');
    expect(h.symbols.namesOfWire[2]).toContain('main.escrowX');
    expect(h.symbols.namesOfWire[3]).toContain('main.escrowC');
    const names = [...inputs].map((w) => wireName(h.symbols, w));
    expect(names.filter((n) => !INPUT_NAME.test(n))).toEqual([]);
    // --O2 substitutes away private inputs that appear only linearly (validUntil, rulesHash).
    expect(inputs.size).toBeGreaterThanOrEqual(h.r1cs.nPubInputs + h.r1cs.nPrvInputs - 3);
  });

  it('adding 1 to any computed wire (output or intermediate) breaks a constraint', () => {
    const computed = Array.from({ length: h.r1cs.nVars - 1 }, (_, i) => i + 1).filter((w) => !inputs.has(w));
    expect(computed.length).toBeGreaterThan(h.r1cs.nVars / 2);
    expect(freeWires(computed)).toEqual([]);
  });

  it('adding 1 to any input wire breaks a constraint too: no input is left unused', () => {
    expect(freeWires([...inputs])).toEqual([]);
  });
});
