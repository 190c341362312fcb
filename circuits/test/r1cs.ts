// An independent check of a witness against a circuit's R1CS: each constraint
// is (A·w) * (B·w) = (C·w) mod r, evaluated here with BigInt rather than by
// the prover. Soundness tests feed it witnesses an adversary could build, and
// mutation tests change one wire at a time, so constraints are indexed by the
// wires they touch and a single-wire change is rechecked from cached sums.
import { readR1cs } from 'r1csfile';

/** One side of a constraint: Σ coefficients[k] · w[wires[k]]. */
interface LinearCombination {
  wires: number[];
  coefficients: bigint[];
}

export interface R1csCheck {
  ok: boolean;
  /** Indices of the constraints the witness violates, ascending. */
  failing: number[];
}

/** A witness with every constraint's three sums cached, for cheap rechecks of small changes. */
export interface Evaluation {
  witness: readonly bigint[];
  a: bigint[];
  b: bigint[];
  c: bigint[];
  failing: number[];
}

export class R1cs {
  private constructor(
    readonly prime: bigint,
    readonly nVars: number,
    readonly nOutputs: number,
    readonly nPubInputs: number,
    readonly nPrvInputs: number,
    readonly constraints: [LinearCombination, LinearCombination, LinearCombination][],
    /** For each wire, the constraints it appears in (with a non-zero coefficient). */
    readonly constraintsOfWire: number[][],
  ) {}

  /** Reads an .r1cs file (circom's binary format) and converts its coefficients out of Montgomery form. */
  static async load(path: string): Promise<R1cs> {
    const file = await readR1cs(path, { loadConstraints: true, loadMap: false });
    try {
      const toBigInt = (coefficient: Uint8Array): bigint => BigInt(file.F.toObject(coefficient));
      const side = (terms: Record<string, Uint8Array>): LinearCombination => {
        const lc: LinearCombination = { wires: [], coefficients: [] };
        for (const [wire, coefficient] of Object.entries(terms)) {
          const value = toBigInt(coefficient);
          if (value === 0n) continue;
          lc.wires.push(Number(wire));
          lc.coefficients.push(value);
        }
        return lc;
      };
      const constraints = (file.constraints as Record<string, Uint8Array>[][]).map(([a, b, c]) => [side(a), side(b), side(c)] as [LinearCombination, LinearCombination, LinearCombination]);
      const constraintsOfWire: number[][] = Array.from({ length: file.nVars }, () => []);
      constraints.forEach((constraint, index) => {
        const wires = new Set(constraint.flatMap((lc) => lc.wires));
        for (const wire of wires) constraintsOfWire[wire].push(index);
      });
      return new R1cs(BigInt(file.prime), file.nVars, file.nOutputs, file.nPubInputs, file.nPrvInputs, constraints, constraintsOfWire);
    } finally {
      await file.curve.terminate();
    }
  }

  get nConstraints(): number {
    return this.constraints.length;
  }

  /** Whether `witness` (one value per wire, wire 0 = 1) satisfies every constraint, and which it violates. */
  check(witness: readonly bigint[]): R1csCheck {
    const { failing } = this.evaluate(witness);
    return { ok: failing.length === 0, failing };
  }

  /** Evaluates every constraint of `witness` and keeps the sums for `recheck`. */
  evaluate(witness: readonly bigint[]): Evaluation {
    if (witness.length !== this.nVars) throw new Error(`witness has ${witness.length} wires, the circuit ${this.nVars}`);
    if (witness[0] !== 1n) throw new Error('wire 0 of a witness is the constant 1');
    const dot = (lc: LinearCombination) => {
      let sum = 0n;
      for (let k = 0; k < lc.wires.length; k++) sum += lc.coefficients[k] * witness[lc.wires[k]];
      return this.mod(sum);
    };
    const a: bigint[] = [];
    const b: bigint[] = [];
    const c: bigint[] = [];
    const failing: number[] = [];
    this.constraints.forEach(([la, lb, lc], index) => {
      a.push(dot(la));
      b.push(dot(lb));
      c.push(dot(lc));
      if (!this.holds(a[index], b[index], c[index])) failing.push(index);
    });
    return { witness, a, b, c, failing };
  }

  /**
   * The check of the evaluated witness with wire `wire` set to `value`: only
   * the constraints that wire appears in are recomputed, from the cached sums
   * plus coefficient · (value − old value).
   */
  recheck(evaluation: Evaluation, wire: number, value: bigint): R1csCheck {
    if (wire === 0) throw new Error('wire 0 is the constant 1');
    const delta = this.mod(value - evaluation.witness[wire]);
    const touched = this.constraintsOfWire[wire];
    const failing = new Set(evaluation.failing.filter((index) => !touched.includes(index)));
    const shifted = (lc: LinearCombination, sum: bigint) => {
      const k = lc.wires.indexOf(wire);
      return k < 0 ? sum : this.mod(sum + lc.coefficients[k] * delta);
    };
    for (const index of touched) {
      const [la, lb, lc] = this.constraints[index];
      const a = shifted(la, evaluation.a[index]);
      const b = shifted(lb, evaluation.b[index]);
      const c = shifted(lc, evaluation.c[index]);
      if (!this.holds(a, b, c)) failing.add(index);
    }
    const sorted = [...failing].sort((x, y) => x - y);
    return { ok: sorted.length === 0, failing: sorted };
  }

  /** The wires a constraint mentions, for naming a failure. */
  wiresOf(constraint: number): number[] {
    return [...new Set(this.constraints[constraint].flatMap((lc) => lc.wires))].sort((x, y) => x - y);
  }

  private holds(a: bigint, b: bigint, c: bigint): boolean {
    return this.mod(a * b - c) === 0n;
  }

  private mod(x: bigint): bigint {
    const m = x % this.prime;
    return m < 0n ? m + this.prime : m;
  }
}
