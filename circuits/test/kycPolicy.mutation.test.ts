// Mutation check of the kycPolicy R1CS: starting from a valid witness, every
// wire the prover computes (the nullifier output and every intermediate
// signal) is changed on its own, by adding 1, and the constraints must no
// longer hold. A wire that can change freely is a signal no constraint pins
// down — the way under-constrained circuits let a prover pick values (an
// unconstrained `<--`, an output that is never used). Each such wire is
// reported by its signal name.
//
// This does not prove uniqueness (a coordinated change of several wires is not
// tried); the soundness tests cover the rules themselves.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { inputWires, loadCircuit, type CircuitHarness } from './circuit-harness.js';
import type { Evaluation } from './r1cs.js';
import { statementInput, validStatement } from './statement-input.js';
import { wireName } from './symbols.js';
import type { CircuitName } from './built-circuit.js';

const INPUT_NAME =
  /^main\.(root|policyHash|context|identitySecret|jurisdiction|birthDate|investorClass|kycLevel|expiryDate|salt|leafIndex|siblings\[\d+\]\[\d+\]|scope|jurisdictionMask|minAge|investorClassMask|minKycLevel|wallet|today|validUntil)$/;

describe.each<CircuitName>(['kycPolicy20', 'kycPolicy32'])('%s', (name) => {
  let h: CircuitHarness;
  let evaluation: Evaluation;
  let inputs: Set<number>;

  beforeAll(async () => {
    h = await loadCircuit(name);
    const witness = await h.witnesses.checked(statementInput(validStatement(), h.depth));
    evaluation = h.r1cs.evaluate(witness);
    inputs = inputWires(h);
  });

  /** Wires whose value can grow by one without breaking any constraint, by name. */
  function freeWires(wires: number[]): string[] {
    return wires.filter((w) => h.r1cs.recheck(evaluation, w, evaluation.witness[w] + 1n).ok).map((w) => wireName(h.symbols, w));
  }

  it('starts from a witness that satisfies every constraint', () => {
    expect(evaluation.failing).toEqual([]);
  });

  it('rechecks a one-wire change exactly as a full check of the changed witness would', () => {
    const step = Math.floor(h.r1cs.nVars / 25);
    for (let wire = 1; wire < h.r1cs.nVars; wire += step) {
      const changed = [...evaluation.witness];
      changed[wire] += 1n;
      expect(h.r1cs.recheck(evaluation, wire, changed[wire])).toEqual(h.r1cs.check(changed));
    }
  });

  it('knows which wires are inputs: exactly the declared input signals, after the nullifier', () => {
    expect(h.symbols.namesOfWire[1]).toContain('main.nullifier');
    const names = [...inputs].map((w) => wireName(h.symbols, w));
    expect(names.filter((n) => !INPUT_NAME.test(n))).toEqual([]);
    // --O2 may substitute away a private input that appears only linearly.
    expect(inputs.size).toBeGreaterThanOrEqual(h.r1cs.nPubInputs + h.r1cs.nPrvInputs - 2);
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
