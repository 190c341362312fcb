// The circuits compile with circom's --inspect and it finds nothing: no
// signal that takes part in no constraint, no unused output, no `<--` left
// unconstrained that the compiler can see. compile() already refuses to
// finish when --inspect warns; this keeps the finding visible as a test, and
// reads the log of the build the other circuit tests use instead of compiling
// again. The constraint count is held to the budget of DESIGN §7, and every
// constraint is attributed to a part of the cost table in docs/circuits.md.
import { describe, expect, it } from '@jest/globals';
import { CIRCUITS, inspectFindings } from '../scripts/circom.mjs';
import { builtCircuit } from './built-circuit.js';
import { loadCircuit } from './circuit-harness.js';
import { constraintCosts } from './constraint-costs.js';

/** DESIGN §7: kycPolicy at depth 32 must stay at or below 11,000 constraints. */
const DEPTH_32_BUDGET = 11_000;

describe.each(CIRCUITS.map((c) => c.name))('%s', (name) => {
  it("compiles with --inspect reporting no warnings but circomlib's listed ones", async () => {
    const { compileLog } = await builtCircuit(name);
    expect(compileLog).toMatch(/Everything went okay/);
    const [stdout, stderr] = compileLog.split(/^--- stderr ---$/m);
    expect(inspectFindings(stdout, stderr)).toEqual([]);
  });

  it('has every constraint in a part of the cost table, within the budget', async () => {
    const h = await loadCircuit(name);
    const rows = constraintCosts(h);
    expect(rows.reduce((sum, row) => sum + row.constraints, 0)).toBe(h.r1cs.nConstraints);
    expect(rows.every((row) => row.constraints > 0)).toBe(true);
    expect(h.r1cs.nConstraints).toBeLessThanOrEqual(DEPTH_32_BUDGET);
  });
});
