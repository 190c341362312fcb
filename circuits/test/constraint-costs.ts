// What each part of the kycPolicy statement costs, in R1CS constraints, as
// compiled (with --O2): every constraint is attributed to the component that
// owns its intermediate wires (see owners() in circuit-harness.ts), and the
// components are grouped into the nine parts of the statement. The parts add
// up to the circuit's total. docs/circuits.md quotes this table.
//
//   npx tsx circuits/test/constraint-costs.ts
import { componentCreatedAt as createdAt, componentNamed as named, loadCircuit, owners, type CircuitHarness } from './circuit-harness.js';
import type { CircuitName } from './built-circuit.js';

type Matcher = (owner: string) => boolean;

/** The statement's parts, in the order of the circuit's comment, and the components that make each one. */
export const PARTS: { part: string; components: Record<string, Matcher> }[] = [
  {
    part: '1. membership',
    components: {
      'leaf = Poseidon(7)': createdAt(/signal leaf <== Poseidon\(7\)/),
      'Merkle walk: Poseidon(4) + 7 to place the node per level': createdAt(/MerkleRoot4\(levels\)\(leaf/),
      'leaf index bits (Num2Bits(depth))': named('main'),
    },
  },
  { part: '2. holder binding', components: { 'idc = Poseidon(1)': createdAt(/identityCommitment <== Poseidon\(1\)/) } },
  { part: '3. jurisdiction', components: { 'JurisdictionAllowed (8-bit index, 249-bit mask, 2 one-hot picks)': named('jurisdictionAllowed') } },
  {
    part: '4. age',
    components: {
      'AtMost(33)': createdAt(/AtMost\(\d+\)\(birthDate \+ minAge/),
      'birthDate 32-bit range': createdAt(/Num2Bits\(32\)\(birthDate\)/),
      'minAge 8-bit range': createdAt(/Num2Bits\(8\)\(minAge\)/),
    },
  },
  { part: '5. investor class', components: { 'InvestorClassAllowed (two 16-bit masks)': named('classAllowed') } },
  {
    part: '6. KYC level',
    components: {
      'AtMost(8)': createdAt(/AtMost\(\d+\)\(minKycLevel, kycLevel\)/),
      'kycLevel, minKycLevel 8-bit ranges': createdAt(/Num2Bits\(8\)\((kycLevel|minKycLevel)\)/),
    },
  },
  {
    part: '7. validity dates',
    components: {
      'two AtMost(32)': createdAt(/AtMost\(\d+\)\((today, validUntil|validUntil, expiryDate)\)/),
      'today, validUntil, expiryDate 32-bit ranges': createdAt(/Num2Bits\(32\)\((today|validUntil|expiryDate)\)/),
    },
  },
  {
    part: '8. policy hash, nullifier',
    components: {
      'policyHash = Poseidon(5)': createdAt(/computedPolicyHash <== Poseidon\(5\)/),
      'nullifier = Poseidon(2)': createdAt(/nullifier <== Poseidon\(2\)/),
    },
  },
  { part: '9. wallet binding', components: { 'wallet 160-bit range (the packing itself is linear: 0)': createdAt(/Num2Bits\(160\)\(wallet\)/) } },
];

export interface CostRow {
  part: string;
  component: string;
  constraints: number;
}

/**
 * Constraints per part of `h`'s statement. A constraint shared by two
 * components (the Merkle swap uses main's index bits) counts for the first
 * non-main one. Throws if a constraint belongs to no listed part.
 */
export function constraintCosts(h: CircuitHarness): CostRow[] {
  const rows: CostRow[] = PARTS.flatMap(({ part, components }) => Object.keys(components).map((component) => ({ part, component, constraints: 0 })));
  const matchers = PARTS.flatMap(({ components }) => Object.values(components));
  for (let constraint = 0; constraint < h.r1cs.nConstraints; constraint++) {
    const found = owners(h, [constraint]);
    const owner = found.find((o) => o !== 'main') ?? found[0];
    const index = matchers.findIndex((matches) => matches(owner));
    if (index < 0) throw new Error(`constraint ${constraint} (component ${owner}) belongs to no part of the cost table`);
    rows[index].constraints++;
  }
  return rows;
}

async function main(): Promise<void> {
  const names: CircuitName[] = ['kycPolicy20', 'kycPolicy32'];
  const costs = await Promise.all(names.map(async (name) => constraintCosts(await loadCircuit(name))));
  console.log(`| part | component | ${names.map((n) => `depth ${n.slice(-2)}`).join(' | ')} |`);
  console.log(`| --- | --- | ${names.map(() => '---:').join(' | ')} |`);
  costs[0].forEach((row, i) => {
    console.log(`| ${row.part} | ${row.component} | ${costs.map((c) => c[i].constraints.toLocaleString('en')).join(' | ')} |`);
  });
  const totals = costs.map((c) => c.reduce((sum, row) => sum + row.constraints, 0).toLocaleString('en'));
  console.log(`| **total** | | ${totals.map((t) => `**${t}**`).join(' | ')} |`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  await main();
}
