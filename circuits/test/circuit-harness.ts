// Everything a circuit test needs about one compiled circuit: its R1CS, the
// names of its wires, and its witness generator, loaded once per test file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIRCUITS_DIR } from '../scripts/circom.mjs';
import { builtCircuit, type BuiltCircuit, type CircuitName } from './built-circuit.js';
import { R1cs } from './r1cs.js';
import { readSymbols, type Symbols } from './symbols.js';
import { WitnessCalculator } from './witness-calculator.js';

export interface CircuitHarness {
  name: CircuitName;
  depth: number;
  built: BuiltCircuit;
  r1cs: R1cs;
  symbols: Symbols;
  witnesses: WitnessCalculator;
}

/** Builds (if needed) and loads `name`. */
export async function loadCircuit(name: CircuitName): Promise<CircuitHarness> {
  const built = await builtCircuit(name);
  const r1cs = await R1cs.load(built.r1csPath);
  const symbols = readSymbols(built.symPath, r1cs.nVars);
  const witnesses = await WitnessCalculator.load(built.wasmPath);
  return { name, depth: built.spec.depth, built, r1cs, symbols, witnesses };
}

/**
 * The wires that carry input signals. snarkjs numbers wires as: 0 the
 * constant 1, then outputs, public inputs, private inputs (labels in the same
 * order), then intermediate signals; --O2 may have removed some input wires.
 */
export function inputWires(h: CircuitHarness): Set<number> {
  const { nOutputs, nPubInputs, nPrvInputs } = h.r1cs;
  const wires = new Set<number>();
  for (let label = 1 + nOutputs; label <= nOutputs + nPubInputs + nPrvInputs; label++) {
    const wire = h.symbols.wireOf.get(h.symbols.labels[label]);
    if (wire !== undefined && wire >= 0) wires.add(wire);
  }
  return wires;
}

const STATEMENT_SOURCE = join(CIRCUITS_DIR, 'src', 'kycPolicy.circom');

/**
 * The lines of the statement's source (circuits/src/kycPolicy.circom) that
 * match `pattern`: how the tests name "the constraint of rule X" in a way
 * that survives edits elsewhere in the file. circom names an anonymous
 * component after the line that creates it (AtMost_107_4645), so a line
 * identifies the component that enforces a rule.
 */
export function statementLines(pattern: RegExp): number[] {
  const lines = readFileSync(STATEMENT_SOURCE, 'utf8').split('\n');
  const found = lines.flatMap((text, i) => (pattern.test(text) && !text.trim().startsWith('//') ? [i + 1] : []));
  if (found.length === 0) throw new Error(`no line of kycPolicy.circom matches ${pattern}: update the test's rule table`);
  return found;
}

/**
 * The components a set of constraints belongs to: for each constraint, the
 * top-level component (below main) of the intermediate wires it mentions,
 * e.g. "AtMost_107_4645" (an anonymous component created at statement line
 * 107) or "jurisdictionAllowed"; "main" when it mentions only input wires.
 */
export function owners(h: CircuitHarness, constraints: number[]): string[] {
  const inputs = inputWires(h);
  const found = new Set<string>();
  for (const constraint of constraints) {
    const local = h.r1cs.wiresOf(constraint).filter((w) => w !== 0 && !inputs.has(w));
    const components = local.map((w) => {
      const names = h.symbols.namesOfWire[w];
      const name = names.reduce((best, n) => (n.length < best.length ? n : best));
      const parts = name.split('.');
      return parts.length > 2 ? parts[1] : 'main';
    });
    if (components.length === 0) found.add('main');
    components.forEach((c) => found.add(c));
  }
  return [...found].sort();
}

/** Matches the anonymous component created at the statement line matching `pattern` (circom names it Template_line_column). */
export function componentCreatedAt(pattern: RegExp): (owner: string) => boolean {
  const lines = statementLines(pattern);
  return (owner) => lines.some((line) => new RegExp(`^[A-Za-z0-9]+_${line}_\\d+$`).test(owner));
}

/** Matches a named component of the statement ("main" for main's own signals). */
export function componentNamed(name: string): (owner: string) => boolean {
  return (owner) => owner === name;
}

/**
 * The component path of one constraint, two levels below main, for circuits
 * that nest the statement in a component (kycPolicyEscrow: `policy` is the
 * whole KycPolicy, `escrow` the encryption): e.g. "policy.AtMost_107_4645",
 * "escrow.EscalarMulAny_55_2429", "escrow" for the escrow template's own
 * signals, "Poseidon_82_3252" for a component of main, "main" when the
 * constraint mentions only inputs and outputs. When the wires of a constraint
 * belong to several components, the most specific path wins.
 */
export function ownerPath(h: CircuitHarness, constraint: number): string {
  const inputs = inputWires(h);
  const local = h.r1cs.wiresOf(constraint).filter((w) => w !== 0 && !inputs.has(w));
  const paths = local.map((w) => {
    const names = h.symbols.namesOfWire[w];
    const parts = names.reduce((best, n) => (n.length < best.length ? n : best)).split('.');
    if (parts.length <= 2) return 'main';
    if (parts.length === 3 || (parts[1] !== 'policy' && parts[1] !== 'escrow')) return parts[1];
    return `${parts[1]}.${parts[2]}`;
  });
  const rank = (p: string) => (p === 'main' ? 0 : p.includes('.') ? 2 : 1);
  return paths.reduce((best, p) => (rank(p) > rank(best) ? p : best), 'main');
}

const ESCROW_SOURCE = join(CIRCUITS_DIR, 'src', 'kycPolicyEscrow.circom');

/** Matches a component of main created at the line of kycPolicyEscrow.circom matching `pattern`. */
export function escrowStatementComponent(pattern: RegExp): (owner: string) => boolean {
  const lines = readFileSync(ESCROW_SOURCE, 'utf8')
    .split('\n')
    .flatMap((text, i) => (pattern.test(text) && !text.trim().startsWith('//') ? [i + 1] : []));
  if (lines.length === 0) throw new Error(`no line of kycPolicyEscrow.circom matches ${pattern}`);
  return (owner) => lines.some((line) => new RegExp(`^[A-Za-z0-9]+_${line}_\\d+$`).test(owner));
}
