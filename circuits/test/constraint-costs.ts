// What each part of the kycPolicy statement costs, in R1CS constraints, as
// compiled (with --O2): every constraint is attributed to the component that
// owns its intermediate wires (see owners() in circuit-harness.ts), and the
// components are grouped into the nine parts of the statement. The parts add
// up to the circuit's total. docs/circuits.md quotes this table.
//
//   npx tsx circuits/test/constraint-costs.ts
import { componentCreatedAt as createdAt, componentNamed as named, escrowStatementComponent, loadCircuit, ownerPath, owners, type CircuitHarness } from './circuit-harness.js';
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

/**
 * The escrow part of kycPolicyEscrow (circuits/src/lib/escrow.circom and the
 * escrow policy hash), by component path below main (ownerPath).
 */
export const ESCROW_PARTS: { part: string; components: Record<string, Matcher> }[] = [
  {
    part: '10. escrow',
    components: {
      'r: 246-bit range, r ≠ 0': (o) => o === 'escrow' || /^escrow\.Num2Bits_/.test(o),
      'R = r·Base8 (EscalarMulFix, 246 bits)': (o) => /^escrow\.EscalarMulFix_/.test(o),
      'K = r·E (EscalarMulAny, 246 bits)': (o) => /^escrow\.EscalarMulAny_/.test(o),
      'E on the curve (BabyCheck)': (o) => /^escrow\.BabyCheck_/.test(o),
      'c = leafIndex + Poseidon(2)(K)': (o) => /^escrow\.Poseidon_/.test(o),
      'escrow policy hash = Poseidon(3)(rulesHash, E.x, E.y)': escrowStatementComponent(/escrowPolicyHash <== Poseidon\(3\)/),
    },
  },
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
  if (h.built.spec.escrow) return escrowConstraintCosts(h);
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

/**
 * Constraints per part of the escrow variant: parts 1-9 as in kycPolicy (the
 * nested `policy` component, whose components carry kycPolicy.circom's names),
 * then the escrow rows. Throws if a constraint belongs to no row.
 */
export function escrowConstraintCosts(h: CircuitHarness): CostRow[] {
  const all = [...PARTS, ...ESCROW_PARTS];
  const rows: CostRow[] = all.flatMap(({ part, components }) => Object.keys(components).map((component) => ({ part, component, constraints: 0 })));
  const policyMatchers = PARTS.flatMap(({ components }) => Object.values(components));
  const escrowMatchers = ESCROW_PARTS.flatMap(({ components }) => Object.values(components));
  for (let constraint = 0; constraint < h.r1cs.nConstraints; constraint++) {
    const owner = ownerPath(h, constraint);
    let index = -1;
    if (owner === 'policy' || owner.startsWith('policy.')) {
      // The nested KycPolicy: its own signals (the index bits) are "main" in kycPolicy's table.
      const inner = owner === 'policy' ? 'main' : owner.slice('policy.'.length);
      index = policyMatchers.findIndex((matches) => matches(inner));
    } else {
      const found = escrowMatchers.findIndex((matches) => matches(owner));
      if (found >= 0) index = policyMatchers.length + found;
    }
    if (index < 0) throw new Error(`constraint ${constraint} (component ${owner}) belongs to no part of the escrow cost table`);
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

  const escrow = escrowConstraintCosts(await loadCircuit('kycPolicyEscrow32'));
  console.log('\n| part | component | kycPolicyEscrow32 |\n| --- | --- | ---: |');
  for (const row of escrow) console.log(`| ${row.part} | ${row.component} | ${row.constraints.toLocaleString('en')} |`);
  const escrowOnly = escrow.filter((row) => row.part.startsWith('10.')).reduce((sum, row) => sum + row.constraints, 0);
  console.log(`| **total** | | **${escrow.reduce((sum, row) => sum + row.constraints, 0).toLocaleString('en')}** (escrow part ${escrowOnly.toLocaleString('en')}) |`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  await main();
}
