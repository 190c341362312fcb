// Soundness of the escrow variant (kycPolicyEscrow32, circuits/src/kycPolicyEscrow.circom):
// the public (R.x, c) is an encryption to the policy's escrow key E of the
// leaf index the proof opens, with the holder's randomness r (docs/escrow.md
// §3, docs/protocol.md "Escrow"). As in kycPolicy.soundness.test.ts, each
// escrow constraint is broken alone, the witness an adversary would submit is
// computed past the generator's asserts (witness-calculator.ts), and the
// independent R1CS check (r1cs.ts) must reject it in the constraints of that
// rule and no other. Where one input cannot express the attack (R or K for
// another scalar or key than the circuit's own), the adversary's witness is
// spliced together from two witnesses, each honest for its own input, so that
// only the gadget under test sees inconsistent wires. The round trip proves
// with the real prover and decrypts with @zkkyc/escrow.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { computeLeaf, encodeAttributes, encodePolicy, identityCommitment, ValidationError } from '@zkkyc/credentials';
import { decryptLeafIndex, multiply, multiplyBase, SUBGROUP_ORDER, type Point } from '@zkkyc/escrow';
import { escrowCircuitInput, releaseProverThreads, type KycEscrowProofRequest } from '@zkkyc/prover';
import { nodeEscrowProver } from '@zkkyc/prover/node';
import { IssuerTree } from '@zkkyc/tree';
import { componentCreatedAt, escrowStatementComponent, loadCircuit, ownerPath, type CircuitHarness } from './circuit-harness.js';
import { escrowConstraintCosts } from './constraint-costs.js';
import { ciphertextOf, escrowPolicyHashOf, escrowStatementInput, pointFromX, TEST_ESCROW_KEY, TEST_ESCROW_SECRET, TEST_R, type EscrowValues } from './escrow-input.js';
import { contextOf, emptyPath, FIELD, leafOf, nullifierOf, policyHashOf, rootOf, validStatement, type CircuitInput, type StatementValues } from './statement-input.js';

/** DESIGN §7: with escrow, kycPolicy at depth 32 stays at or below 10,400 constraints. */
const ESCROW_BUDGET = 10_400;
const KYC_POLICY_32 = 6_884;

const base = validStatement();
const with_ = (changes: Partial<StatementValues>): StatementValues => ({ ...base, ...changes });
const honest: EscrowValues = { key: TEST_ESCROW_KEY, r: TEST_R };
const OTHER_KEY = multiplyBase(777n);

/** Public wires, as snarkjs numbers them: outputs first, then public inputs. */
const WIRE = { nullifier: 1, escrowX: 2, escrowC: 3, root: 4, policyHash: 5, context: 6 } as const;

let h: CircuitHarness;
let rInverseWire: number;
const membership = componentCreatedAt(/MerkleRoot4\(levels\)\(leaf/);
const innerPolicyHash = componentCreatedAt(/computedPolicyHash <== Poseidon/);
const escrowPolicyHash = escrowStatementComponent(/escrowPolicyHash <== Poseidon\(3\)/);

/** The rule a failing constraint belongs to. */
function ruleOf(constraint: number): string {
  if (h.r1cs.wiresOf(constraint).includes(rInverseWire)) return 'rNonZero';
  const owner = ownerPath(h, constraint);
  if (owner === 'escrow' || /^escrow\.Num2Bits_/.test(owner)) return 'rRange';
  if (/^escrow\.EscalarMulFix_/.test(owner)) return 'R';
  if (/^escrow\.EscalarMulAny_/.test(owner)) return 'K';
  if (/^escrow\.BabyCheck_/.test(owner)) return 'keyOnCurve';
  if (/^escrow\.Poseidon_/.test(owner)) return 'c';
  if (escrowPolicyHash(owner)) return 'escrowPolicyHash';
  if (owner === 'policy') return 'leafIndexBits';
  if (owner.startsWith('policy.')) {
    const inner = owner.slice('policy.'.length);
    if (membership(inner)) return 'membership';
    if (innerPolicyHash(inner)) return 'rulesHash';
    return `policy:${inner}`;
  }
  return `unattributed:${owner}`;
}

function brokenRules(witness: readonly bigint[]): string[] {
  const check = h.r1cs.check(witness);
  expect(check.ok).toBe(false);
  return [...new Set(check.failing.map(ruleOf))].sort();
}

/** `input` is refused: its adversarial witness breaks exactly `rules`, and the checked generator throws. */
async function expectRefused(input: CircuitInput, rules: string[]): Promise<void> {
  const { witness, failedAsserts } = await h.witnesses.unchecked(input);
  expect(failedAsserts.length).toBeGreaterThan(0);
  expect(brokenRules(witness)).toEqual([...rules].sort());
  await expect(h.witnesses.checked(input)).rejects.toThrow(/Assert Failed/);
}

async function expectAccepted(input: CircuitInput): Promise<bigint[]> {
  const { witness, failedAsserts } = await h.witnesses.unchecked(input);
  expect(failedAsserts).toEqual([]);
  expect(h.r1cs.check(witness)).toEqual({ ok: true, failing: [] });
  await expect(h.witnesses.checked(input)).resolves.toEqual(witness);
  return witness;
}

/** Wires of the components whose path (ownerPath's form) matches `pattern`, e.g. /^escrow\.EscalarMulFix/. */
function wiresOf(pattern: RegExp): number[] {
  const wires: number[] = [];
  h.symbols.namesOfWire.forEach((names, wire) => {
    if (names.some((n) => pattern.test(n.split('.').slice(1, 3).join('.')))) wires.push(wire);
  });
  expect(wires.length).toBeGreaterThan(0);
  return wires;
}

/** `target` with the values of `wires` taken from `donor`. */
function splice(target: readonly bigint[], donor: readonly bigint[], wires: number[]): bigint[] {
  const out = [...target];
  for (const w of wires) out[w] = donor[w];
  return out;
}

const signalWire = (name: string) => {
  const wire = h.symbols.wireOf.get(name);
  if (wire === undefined || wire < 0) throw new Error(`no wire for ${name}`);
  return wire;
};

beforeAll(async () => {
  h = await loadCircuit('kycPolicyEscrow32');
  rInverseWire = signalWire('main.escrow.rInverse');
});

afterAll(async () => {
  await releaseProverThreads();
});

describe('kycPolicyEscrow32: a valid witness', () => {
  it('costs at most 3,500 constraints on top of kycPolicy32 (10,400 in all), and parts 1-9 are exactly kycPolicy32', () => {
    const rows = escrowConstraintCosts(h);
    const total = rows.reduce((sum, row) => sum + row.constraints, 0);
    expect(total).toBe(h.r1cs.nConstraints);
    expect(total).toBeLessThanOrEqual(ESCROW_BUDGET);
    expect(rows.filter((row) => !row.part.startsWith('10.')).reduce((sum, row) => sum + row.constraints, 0)).toBe(KYC_POLICY_32);
    expect(rows.every((row) => row.constraints > 0)).toBe(true);
  });

  it('satisfies every constraint and outputs the documented public signals: nullifier, R.x, c, root, policyHash, context', async () => {
    const witness = await expectAccepted(escrowStatementInput(base, 32, honest));
    expect(h.r1cs.nOutputs + h.r1cs.nPubInputs).toBe(6);
    const { R, c } = ciphertextOf(base.leafIndex, honest);
    expect(witness.slice(1, 7)).toEqual([nullifierOf(base), R[0], c, rootOf(leafOf(base), base.leafIndex, emptyPath(32)), escrowPolicyHashOf(base, TEST_ESCROW_KEY), contextOf(base)]);
  });

  it("matches docs/escrow.md's test vector for leaf index 42 (same e, r)", async () => {
    const v = with_({ leafIndex: 42n });
    const witness = await expectAccepted(escrowStatementInput(v, 32, honest));
    expect(TEST_ESCROW_KEY).toEqual([6921140157146341856952207703800109194198222041584329850188192674304805134065n, 19315036694604867924412484447665190374303888916962616112358246501479826895183n]);
    expect(witness[WIRE.escrowX]).toBe(11233779823827025333124745391473272996298223301003553909582395956573732389204n);
    expect(witness[WIRE.escrowC]).toBe(19720681205613410680251485499982234029570213727205370986174402074401809770209n);
    // The auditor recovers R from its x alone and decrypts.
    expect(pointFromX(witness[WIRE.escrowX])[1]).toBe(12372795718610595677933506946398358506934555046145787008498045001673471964333n);
    expect(decryptLeafIndex(TEST_ESCROW_SECRET, { R: pointFromX(witness[WIRE.escrowX]), c: witness[WIRE.escrowC] })).toBe(42);
  });

  it('is the input @zkkyc/prover builds (escrowCircuitInput) for the same credential, policy, key and r', () => {
    const attributes = { jurisdiction: 74, birthDate: 19900312, investorClass: 0b0010, kycLevel: 3, expiryDate: 20270101 };
    const siblings = emptyPath(32);
    const leaf = leafOf(base);
    const request: KycEscrowProofRequest = {
      identitySecret: base.identitySecret,
      attributes,
      salt: base.salt,
      merkleProof: { root: rootOf(leaf, base.leafIndex, siblings), leaf, index: Number(base.leafIndex), siblings },
      policy: { jurisdictionMask: base.jurisdictionMask, minAge: 18, investorClassMask: 0b0110, minKycLevel: 2, scope: base.scope },
      wallet: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      today: Number(base.today),
      validUntil: Number(base.validUntil),
      escrowKey: TEST_ESCROW_KEY,
      escrowRandomness: TEST_R,
    };
    expect(escrowCircuitInput(request, 32)).toEqual(escrowStatementInput(base, 32, honest, { siblings }));
  });
});

describe('kycPolicyEscrow32: each escrow rule refuses a witness that breaks only that rule', () => {
  it('r = 0 (R and K the identity, c the leaf index in the clear)', async () => {
    await expectRefused(escrowStatementInput(base, 32, { ...honest, r: 0n }), ['rNonZero']);
  });

  it.each([
    ['2^246 (one bit too many)', 1n << 246n],
    ['2^246 + r (the honest low bits)', (1n << 246n) + TEST_R],
    ['l, the subgroup order (R would be the identity)', SUBGROUP_ORDER],
    ['l + r (the same R as r)', SUBGROUP_ORDER + TEST_R],
    ['p − 1, "minus one"', FIELD - 1n],
  ])('r = %s is out of range', async (_name, r) => {
    // --O2 solves the decomposition's linear equation for the top bit (rBits[245] has no wire of
    // its own: it is (r − Σ lower bits·2^i) / 2^245), so an r that has no 246-bit decomposition
    // makes that "bit" a non-bit, which fails its booleanity (the range rule) and, where both
    // multiplications select with it, their constraints too.
    expect(h.symbols.wireOf.get('main.escrow.rBits[245]')).toBe(-1);
    await expectRefused(escrowStatementInput(base, 32, { ...honest, r }), ['K', 'R', 'rRange']);
  });

  it('R not made from r: the public R.x replaced by that of (r + 1)·Base8', async () => {
    const { witness } = await h.witnesses.unchecked(escrowStatementInput(base, 32, honest));
    const evaluation = h.r1cs.evaluate(witness);
    expect(evaluation.failing).toEqual([]);
    const forged = multiplyBase(TEST_R + 1n)[0];
    expect(h.r1cs.recheck(evaluation, WIRE.escrowX, forged).ok).toBe(false);
    const tampered = [...witness];
    tampered[WIRE.escrowX] = forged;
    expect(brokenRules(tampered)).toEqual(['R']);
  });

  it('R not made from r: the whole fixed-base multiplication computed for r + 1, the bits of r kept', async () => {
    const { witness: mine } = await h.witnesses.unchecked(escrowStatementInput(base, 32, honest));
    const { witness: other } = await h.witnesses.unchecked(escrowStatementInput(base, 32, { ...honest, r: TEST_R + 1n }));
    const forged = splice(mine, other, [WIRE.escrowX, ...wiresOf(/^escrow\.EscalarMulFix_/)]);
    expect(forged[WIRE.escrowX]).toBe(multiplyBase(TEST_R + 1n)[0]);
    expect(brokenRules(forged)).toEqual(['R']);
  });

  it.each([
    ['c + 1', 1n],
    ['c − 1', FIELD - 1n],
  ])('c off by one (%s)', async (_name, delta) => {
    const { witness } = await h.witnesses.unchecked(escrowStatementInput(base, 32, honest));
    const tampered = [...witness];
    tampered[WIRE.escrowC] = (witness[WIRE.escrowC] + delta) % FIELD;
    expect(brokenRules(tampered)).toEqual(['c']);
  });

  it('c for another leaf index than the proven one (the output replaced)', async () => {
    const { witness } = await h.witnesses.unchecked(escrowStatementInput(base, 32, honest));
    const tampered = [...witness];
    tampered[WIRE.escrowC] = ciphertextOf(base.leafIndex + 1n, honest).c;
    expect(brokenRules(tampered)).toEqual(['c']);
  });

  it('c for another leaf index than the proven one (the input changed: the path no longer opens)', async () => {
    // The tree proves index 5; the adversary feeds index 6 so that c encrypts 6.
    const root = rootOf(leafOf(base), base.leafIndex, emptyPath(32));
    await expectRefused(escrowStatementInput(with_({ leafIndex: base.leafIndex + 1n }), 32, honest, { root }), ['membership']);
  });

  it("K from another key: encrypted to the adversary's own key, the policy's hash claimed", async () => {
    await expectRefused(escrowStatementInput(base, 32, { ...honest, key: OTHER_KEY }, { escrowPolicyHash: escrowPolicyHashOf(base, TEST_ESCROW_KEY) }), ['escrowPolicyHash']);
  });

  it("K from another key: the policy's key committed, the variable-base multiplication computed for another", async () => {
    const { witness: mine } = await h.witnesses.unchecked(escrowStatementInput(base, 32, honest));
    const adversary = escrowStatementInput(base, 32, { ...honest, key: OTHER_KEY }, { escrowPolicyHash: escrowPolicyHashOf(base, TEST_ESCROW_KEY) });
    const { witness: other } = await h.witnesses.unchecked(adversary);
    // The key inputs and the escrow policy hash from the honest witness: the hash holds, and the
    // ladder, the curve check and c come from the other key.
    const forged = splice(other, mine, [signalWire('main.escrowKey[0]'), signalWire('main.escrowKey[1]'), ...wiresOf(/^Poseidon_\d+_\d+\./)]);
    const K = multiply(OTHER_KEY, TEST_R);
    expect(forged[WIRE.escrowC]).toBe(ciphertextOf(base.leafIndex, { key: OTHER_KEY, r: TEST_R }).c);
    expect(K).not.toEqual(multiply(TEST_ESCROW_KEY, TEST_R));
    expect(brokenRules(forged)).toEqual(['K', 'keyOnCurve']);
  });

  it("a laxer policy's rules behind the escrow policy hash, with their own rules hash", async () => {
    // The credential has KYC level 1; the policy needs 2.
    const holder = with_({ kycLevel: 1n, minKycLevel: 1n });
    await expectRefused(escrowStatementInput(holder, 32, honest, { escrowPolicyHash: escrowPolicyHashOf(base, TEST_ESCROW_KEY) }), ['escrowPolicyHash']);
  });

  it("a laxer policy's rules behind the escrow policy hash, with the real rules hash", async () => {
    const holder = with_({ kycLevel: 1n, minKycLevel: 1n });
    await expectRefused(escrowStatementInput(holder, 32, honest, { escrowPolicyHash: escrowPolicyHashOf(base, TEST_ESCROW_KEY), rulesHash: policyHashOf(base) }), ['rulesHash']);
  });

  it('a key that is not on the curve, committed in the policy hash', async () => {
    const offCurve: Point = [TEST_ESCROW_KEY[0], TEST_ESCROW_KEY[1] + 1n];
    const input = escrowStatementInput(base, 32, { ...honest, key: offCurve });
    const { witness } = await h.witnesses.unchecked(input);
    expect(brokenRules(witness)).toContain('keyOnCurve');
    await expect(h.witnesses.checked(input)).rejects.toThrow(/Assert Failed/);
  });

  it('the public policyHash of the policy without escrow (the rules hash itself) is refused', async () => {
    await expectRefused(escrowStatementInput(base, 32, honest, { escrowPolicyHash: policyHashOf(base) }), ['escrowPolicyHash']);
  });
});

describe('kycPolicyEscrow32: the kycPolicy rules still hold inside', () => {
  it("another identity secret than the leaf's", async () => {
    await expectRefused(escrowStatementInput(with_({ identitySecret: base.identitySecret + 1n }), 32, honest, { leafInTree: leafOf(base) }), ['membership']);
  });

  it("another wallet's context", async () => {
    const other = with_({ wallet: 0x3c44cdddb6a900fa2b585dd299e03d12fa4293bcn });
    const { witness } = await h.witnesses.unchecked(escrowStatementInput(base, 32, honest, { context: contextOf(other) }));
    expect(h.r1cs.check(witness).ok).toBe(false);
  });

  it('a leaf index of 2^32 (only its low bits would be walked, but c would encrypt 2^32)', async () => {
    const v = with_({ leafIndex: 1n << 32n });
    const root = rootOf(leafOf(base), 0n, emptyPath(32));
    const { witness } = await h.witnesses.unchecked(escrowStatementInput(v, 32, honest, { root }));
    expect(brokenRules(witness)).toContain('leafIndexBits');
  });
});

describe('kycPolicyEscrow32: boundaries that are accepted', () => {
  it.each([
    ['r = 1', 1n],
    ['r = 2^246 − 1', (1n << 246n) - 1n],
  ])('%s', async (_name, r) => {
    await expectAccepted(escrowStatementInput(base, 32, { ...honest, r }));
  });

  it.each([0n, (1n << 32n) - 1n])('leaf index %s is encrypted and decrypts', async (leafIndex) => {
    const v = with_({ leafIndex });
    const witness = await expectAccepted(escrowStatementInput(v, 32, honest));
    expect(decryptLeafIndex(TEST_ESCROW_SECRET, { R: pointFromX(witness[WIRE.escrowX]), c: witness[WIRE.escrowC] })).toBe(Number(leafIndex));
  });

  it('E = Base8 (secret 1)', async () => {
    await expectAccepted(escrowStatementInput(base, 32, { key: multiplyBase(1n), r: TEST_R }));
  });
});

describe("kycPolicyEscrow32: a low-order escrow key is the policy's fault, caught off-circuit", () => {
  // The circuit assumes E is in the prime-order subgroup (checking it would cost a 251-bit scalar
  // multiplication). E is public through the policy: the holder's prover refuses a bad one before
  // proving, and the policy admin's tooling before setting it. This is what happens without them.
  const ORDER_2: Point = [0n, FIELD - 1n];

  it('E = (0, −1) of order 2: the circuit accepts, and K is the identity, so anybody can decrypt', async () => {
    const witness = await expectAccepted(escrowStatementInput(base, 32, { key: ORDER_2, r: TEST_R }));
    const publicMask = ciphertextOf(0n, { key: [0n, 1n], r: 1n }).c; // Poseidon(0, 1)
    expect((witness[WIRE.escrowC] - publicMask + FIELD) % FIELD).toBe(base.leafIndex);
  });

  it('the prover refuses a low-order or off-subgroup key, naming the rule', () => {
    const request = { escrowKey: ORDER_2 } as unknown as KycEscrowProofRequest;
    expect(() => escrowCircuitInput(request, 32)).toThrow(ValidationError);
    expect(() => escrowCircuitInput(request, 32)).toThrow(/rule: subgroup/);
    const mixed = multiply(TEST_ESCROW_KEY, 1n);
    // E + (0, −1) = (−E.x, −E.y): on the curve, order 2l.
    const withTorsion = { escrowKey: [(FIELD - mixed[0]) % FIELD, (FIELD - mixed[1]) % FIELD] } as unknown as KycEscrowProofRequest;
    expect(() => escrowCircuitInput(withTorsion, 32)).toThrow(/rule: subgroup/);
  });
});

describe('kycPolicyEscrow32: round trip with the real prover and @zkkyc/escrow', () => {
  function request(escrowKey: Point): { request: KycEscrowProofRequest; index: number } {
    const attributes = encodeAttributes({ jurisdiction: 'FR', birthDate: '1990-03-12', investorClasses: ['accredited'], kycLevel: 3, expiryDate: '2027-01-01' });
    const policy = {
      ...encodePolicy({ jurisdictions: ['AD', 'FR', 'ZW'], minAge: 18, investorClasses: ['accredited', 'qualified-purchaser'], minKycLevel: 2 }),
      scope: base.scope,
    };
    const tree = new IssuerTree(32);
    for (let i = 1n; i <= 6n; i++) tree.append(i * 1000003n);
    const index = tree.append(computeLeaf(identityCommitment(base.identitySecret), attributes, base.salt));
    return {
      index,
      request: {
        identitySecret: base.identitySecret,
        attributes,
        salt: base.salt,
        merkleProof: tree.proof(index),
        policy,
        wallet: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        today: Number(base.today),
        validUntil: Number(base.validUntil),
        escrowKey,
      },
    };
  }

  it('proves, verifies, and the escrow key holder decrypts the proven leaf index; a fresh r per proof', async () => {
    const e = 0x0badc0ffee0ddf00dn;
    const E = multiplyBase(e);
    const { request: req, index } = request(E);
    const prover = await nodeEscrowProver('kycPolicyEscrow32');
    const first = await prover.prove(req);
    const second = await prover.prove(req);
    expect(await prover.verify(first)).toBe(true);
    expect(await prover.verify(second)).toBe(true);
    expect(first.publicSignals).toHaveLength(6);
    expect(first.nullifier).toBe(second.nullifier);
    expect(first.escrow.x).not.toBe(second.escrow.x);
    expect(first.escrow.c).not.toBe(second.escrow.c);
    for (const proof of [first, second]) {
      const R = pointFromX(proof.escrow.x);
      expect(decryptLeafIndex(e, { R, c: proof.escrow.c })).toBe(index);
      // Another key cannot.
      expect(() => decryptLeafIndex(e + 1n, { R, c: proof.escrow.c })).toThrow(/decrypts-to-leaf-index/);
    }
    expect(first.policyHash).toBe(escrowPolicyHashOf(with_({ minAge: 18n, investorClassMask: 0b0110n, minKycLevel: 2n, jurisdictionMask: req.policy.jurisdictionMask }), E));
    expect(first.solidityCalldata.pubSignals).toEqual(first.publicSignals.map(BigInt));

    // A tampered ciphertext in the public signals does not verify.
    for (const wire of [WIRE.escrowX, WIRE.escrowC]) {
      const tampered = [...first.publicSignals];
      tampered[wire - 1] = (BigInt(tampered[wire - 1]) + 1n).toString();
      expect(await prover.verify({ proof: first.proof, publicSignals: tampered })).toBe(false);
    }
  });
});
