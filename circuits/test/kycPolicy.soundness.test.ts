// Soundness of the kycPolicy statement (DESIGN §4, §8): every rule is broken
// on its own, by an input that is otherwise valid, and the witness such an
// input produces must not satisfy the R1CS. The witness is computed past the
// generator's asserts (witness-calculator.ts), the way a cheating prover would,
// and checked by an independent BigInt evaluation of the constraints (r1cs.ts).
// The failing constraints are attributed to the components that own them, so
// each test also shows that the rule it meant to break is the one that caught
// it, and that nothing else failed.
//
// Rules a prover alone cannot break (a credential with attributes the issuer
// never signed) are modelled with a malicious issuer: the tree holds the
// adversarial leaf, so membership holds and only the rule under test fails.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encodeAttributes, encodePolicy, computeNullifier, computePolicyHash, identityCommitment, computeLeaf } from '@zkkyc/credentials';
import { IssuerTree } from '@zkkyc/tree';
import { circuitInput, type KycProofRequest } from '@zkkyc/prover';
import { nodeProver, releaseProverThreads } from '@zkkyc/prover/node';
import { componentCreatedAt, componentNamed, loadCircuit, owners, type CircuitHarness } from './circuit-harness.js';
import {
  ALL_JURISDICTIONS,
  FIELD,
  contextOf,
  emptyPath,
  leafOf,
  nullifierOf,
  policyHashOf,
  rootOf,
  statementInput,
  validStatement,
  type CircuitInput,
  type StatementValues,
} from './statement-input.js';

/**
 * Each rule of the statement, as the component that enforces it in the R1CS:
 * an anonymous component is found by the statement line that creates it, a
 * named one by its name. A refused witness must fail constraints of exactly
 * the rules a test expects, and of no other component.
 */
const createdAt = componentCreatedAt;
const named = componentNamed;
const RULES = {
  // The root comparison is merged into the last hash of the Merkle walk.
  membership: createdAt(/MerkleRoot4\(levels\)\(leaf/),
  jurisdiction: named('jurisdictionAllowed'),
  age: createdAt(/AtMost\(\d+\)\(birthDate \+ minAge/),
  investorClass: named('classAllowed'),
  kycLevel: createdAt(/AtMost\(\d+\)\(minKycLevel, kycLevel\)/),
  todayNotAfterValidUntil: createdAt(/AtMost\(\d+\)\(today, validUntil\)/),
  validUntilNotAfterExpiry: createdAt(/AtMost\(\d+\)\(validUntil, expiryDate\)/),
  policyHash: createdAt(/computedPolicyHash <== Poseidon/),
  birthDateRange: createdAt(/Num2Bits\(32\)\(birthDate\)/),
  expiryDateRange: createdAt(/Num2Bits\(32\)\(expiryDate\)/),
  todayRange: createdAt(/Num2Bits\(32\)\(today\)/),
  validUntilRange: createdAt(/Num2Bits\(32\)\(validUntil\)/),
  kycLevelRange: createdAt(/Num2Bits\(8\)\(kycLevel\)/),
  minKycLevelRange: createdAt(/Num2Bits\(8\)\(minKycLevel\)/),
  minAgeRange: createdAt(/Num2Bits\(8\)\(minAge\)/),
  walletRange: createdAt(/Num2Bits\(160\)\(wallet\)/),
  // indexBits is a signal of main; --O2 folds one bit into the Merkle walk.
  leafIndexBits: named('main'),
} as const;
type Rule = keyof typeof RULES;

const base = validStatement();
const TODAY = base.today;
const with_ = (changes: Partial<StatementValues>): StatementValues => ({ ...base, ...changes });

let c20: CircuitHarness;
let c32: CircuitHarness;

beforeAll(async () => {
  c20 = await loadCircuit('kycPolicy20');
  c32 = await loadCircuit('kycPolicy32');
});

afterAll(async () => {
  await releaseProverThreads();
});

/**
 * Asserts `input` is refused: its adversarial witness breaks the R1CS in the
 * components of exactly `rules`, and the real (checked) generator throws.
 */
async function expectRefused(h: CircuitHarness, input: CircuitInput, rules: Rule[]): Promise<void> {
  const { witness, failedAsserts } = await h.witnesses.unchecked(input);
  expect(failedAsserts.length).toBeGreaterThan(0);
  const check = h.r1cs.check(witness);
  expect(check.ok).toBe(false);

  const components = owners(h, check.failing);
  const rulesOf = (owner: string) => (Object.keys(RULES) as Rule[]).filter((rule) => RULES[rule](owner));
  expect({
    brokenRules: [...new Set(components.flatMap(rulesOf))].sort(),
    unattributed: components.filter((owner) => rulesOf(owner).length === 0),
  }).toEqual({ brokenRules: [...rules].sort(), unattributed: [] });

  await expect(h.witnesses.checked(input)).rejects.toThrow(/Assert Failed/);
}

/** Asserts `input` is accepted: no assert fails, the witness satisfies the R1CS, the checked generator agrees. */
async function expectAccepted(h: CircuitHarness, input: CircuitInput): Promise<bigint[]> {
  const { witness, failedAsserts } = await h.witnesses.unchecked(input);
  expect(failedAsserts).toEqual([]);
  expect(h.r1cs.check(witness)).toEqual({ ok: true, failing: [] });
  await expect(h.witnesses.checked(input)).resolves.toEqual(witness);
  return witness;
}

describe('a valid witness', () => {
  // The same credential through the real packages: encoded attributes, a leaf
  // in an issuer tree among others, and the prover's own input builder.
  const attributes = encodeAttributes({
    jurisdiction: 'FR',
    birthDate: '1990-03-12',
    investorClasses: ['accredited'],
    kycLevel: 3,
    expiryDate: '2027-01-01',
  });
  const policy = {
    ...encodePolicy({ jurisdictions: ['AD', 'FR', 'ZW'], minAge: 18, investorClasses: ['accredited', 'qualified-purchaser'], minKycLevel: 2 }),
    scope: base.scope,
  };
  const wallet = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

  function request(): KycProofRequest {
    const tree = new IssuerTree(20);
    for (let i = 1n; i <= 5n; i++) tree.append(i * 1000003n);
    const index = tree.append(computeLeaf(identityCommitment(base.identitySecret), attributes, base.salt));
    return {
      identitySecret: base.identitySecret,
      attributes,
      salt: base.salt,
      merkleProof: tree.proof(index),
      policy,
      wallet,
      today: Number(TODAY),
      validUntil: Number(base.validUntil),
    };
  }

  it('is the input @zkkyc/prover builds for the same credential, tree path and policy', () => {
    const req = request();
    expect(statementInput(base, 20, { siblings: req.merkleProof.siblings })).toEqual(circuitInput(req, 20));
  });

  it('satisfies every constraint, with the public signals in the documented order', async () => {
    const input = circuitInput(request(), 20);
    const witness = await expectAccepted(c20, input);
    expect(c20.r1cs.nOutputs + c20.r1cs.nPubInputs).toBe(4);
    expect(witness.slice(1, 5)).toEqual([computeNullifier(base.identitySecret, base.scope), BigInt(input.root as string), computePolicyHash(base.scope, policy), contextOf(base)]);
  });

  it('is proven and verified by the real prover, and a tampered public signal does not verify', async () => {
    const prover = await nodeProver('kycPolicy20');
    const proof = await prover.prove(request());
    expect(await prover.verify(proof)).toBe(true);
    expect(proof.nullifier).toBe(nullifierOf(base));
    const otherWallet = contextOf(with_({ wallet: 0x3c44cdddb6a900fa2b585dd299e03d12fa4293bcn }));
    const replayed = [...proof.publicSignals];
    replayed[3] = otherWallet.toString();
    expect(await prover.verify({ proof: proof.proof, publicSignals: replayed })).toBe(false);
  });
});

describe('each rule refuses a witness that breaks only that rule', () => {
  const otherSiblings = Array.from({ length: 10 }, (_, i) => [1n, 2n, 3n].map((k) => BigInt(i + 1) * 7919n * k));

  it('the adversarial generator reports the asserts it skips', () => {
    expect(c20.witnesses.assertSites).toBeGreaterThan(0);
  });

  it('1. membership: the root of another tree', async () => {
    await expectRefused(c20, statementInput(base, 20, { root: rootOf(leafOf(base), base.leafIndex, otherSiblings) }), ['membership']);
  });

  it('1. membership: a forged sibling on the path', async () => {
    const siblings = emptyPath(20);
    const root = rootOf(leafOf(base), base.leafIndex, siblings);
    siblings[3][1] += 1n;
    await expectRefused(c20, statementInput(base, 20, { siblings, root }), ['membership']);
  });

  it('1. membership: the path of the leaf at another index', async () => {
    const root = rootOf(leafOf(base), base.leafIndex, otherSiblings);
    await expectRefused(c20, statementInput(with_({ leafIndex: base.leafIndex - 1n }), 20, { siblings: otherSiblings, root }), ['membership']);
  });

  it('1. membership: attributes the issuer never signed (a higher KYC level than the leaf holds)', async () => {
    await expectRefused(c20, statementInput(with_({ kycLevel: 9n }), 20, { leafInTree: leafOf(base) }), ['membership']);
  });

  it('1. membership: a revoked credential (its leaf is 0)', async () => {
    await expectRefused(c20, statementInput(base, 20, { leafInTree: 0n }), ['membership']);
  });

  it('2. holder binding: another identity secret than the one committed in the leaf', async () => {
    const thief = with_({ identitySecret: base.identitySecret + 1n });
    await expectRefused(c20, statementInput(thief, 20, { leafInTree: leafOf(base) }), ['membership']);
  });

  it('3. jurisdiction: not in the allowed mask', async () => {
    await expectRefused(c20, statementInput(with_({ jurisdiction: 42n }), 20), ['jurisdiction']);
  });

  it('4. age: one day too young', async () => {
    await expectRefused(c20, statementInput(with_({ birthDate: TODAY - 18n * 10000n + 1n }), 20), ['age']);
  });

  it('5. investor class: no class in common with a non-zero required mask', async () => {
    await expectRefused(c20, statementInput(with_({ investorClass: 0b1001n, investorClassMask: 0b0110n }), 20), ['investorClass']);
  });

  it('6. KYC level: one below the minimum', async () => {
    await expectRefused(c20, statementInput(with_({ kycLevel: base.minKycLevel - 1n }), 20), ['kycLevel']);
  });

  it('7. dates: today after validUntil', async () => {
    await expectRefused(c20, statementInput(with_({ validUntil: TODAY - 1n }), 20), ['todayNotAfterValidUntil']);
  });

  it('7. dates: validUntil after the expiry', async () => {
    await expectRefused(c20, statementInput(with_({ expiryDate: base.validUntil - 1n }), 20), ['validUntilNotAfterExpiry']);
  });

  it('7. dates: an expired credential (expiry yesterday, validUntil today)', async () => {
    await expectRefused(c20, statementInput(with_({ expiryDate: TODAY - 1n, validUntil: TODAY }), 20), ['validUntilNotAfterExpiry']);
  });

  it("8. policy hash: a laxer policy's parameters behind the public hash of the real one", async () => {
    // The credential has KYC level 1; the gate's policy needs 2. The prover
    // proves against minKycLevel 1 but claims the gate's policyHash.
    const holder = with_({ kycLevel: 1n, minKycLevel: 1n });
    await expectRefused(c20, statementInput(holder, 20, { policyHash: policyHashOf(base) }), ['policyHash']);
  });

  it("8. policy hash and nullifier: another policy's scope, for a fresh nullifier", async () => {
    const otherScope = with_({ scope: base.scope + 1n });
    await expectRefused(c20, statementInput(otherScope, 20, { policyHash: policyHashOf(base) }), ['policyHash']);
  });

  it("8. nullifier: the output replaced by another identity's or another scope's nullifier", async () => {
    const { witness } = await c20.witnesses.unchecked(statementInput(base, 20));
    const evaluation = c20.r1cs.evaluate(witness);
    expect(evaluation.failing).toEqual([]);
    const NULLIFIER_WIRE = 1;
    for (const forged of [nullifierOf(with_({ identitySecret: 12345n })), nullifierOf(with_({ scope: base.scope + 1n }))]) {
      expect(c20.r1cs.recheck(evaluation, NULLIFIER_WIRE, forged).ok).toBe(false);
      const tampered = [...witness];
      tampered[NULLIFIER_WIRE] = forged;
      expect(c20.r1cs.check(tampered).ok).toBe(false);
    }
  });

  it('9. wallet binding: the public context of another wallet', async () => {
    const other = with_({ wallet: 0x3c44cdddb6a900fa2b585dd299e03d12fa4293bcn });
    // --O2 solved the linear packing equation for validUntil, so a context
    // that does not match the private parts surfaces as a validUntil that
    // fails its range check and both date comparisons.
    await expectRefused(c20, statementInput(base, 20, { context: contextOf(other) }), ['validUntilRange', 'todayNotAfterValidUntil', 'validUntilNotAfterExpiry']);
  });

  it("9. wallet binding: a valid witness replayed with another wallet's context", async () => {
    const { witness } = await c20.witnesses.unchecked(statementInput(base, 20));
    const CONTEXT_WIRE = 4;
    const replay = [...witness];
    replay[CONTEXT_WIRE] = contextOf(with_({ wallet: base.wallet + 1n }));
    expect(c20.r1cs.check(replay).ok).toBe(false);
  });

  it('9. wallet binding: a wallet of 2^160 or more that packs to the honest context', async () => {
    // wallet + 2^160 and today − 1 pack to the same context as (wallet, today):
    // without the 160-bit range check the circuit would check a different day
    // than the contract unpacks.
    const shifted = with_({ wallet: base.wallet + (1n << 160n), today: TODAY - 1n });
    expect(contextOf(shifted)).toBe(contextOf(base));
    await expectRefused(c20, statementInput(shifted, 20), ['walletRange']);
  });
});

describe('field wrap-around and out-of-range values are refused', () => {
  it('birthDate = r − 1, a "negative" date that passes the age check modulo r', async () => {
    await expectRefused(c20, statementInput(with_({ birthDate: FIELD - 1n }), 20), ['birthDateRange']);
  });

  it('kycLevel = minKycLevel − 1 as a field element (r − 1, minimum 0)', async () => {
    await expectRefused(c20, statementInput(with_({ kycLevel: FIELD - 1n, minKycLevel: 0n }), 20), ['kycLevelRange', 'kycLevel']);
  });

  it('kycLevel 256, which would pass the comparison against minimum 2', async () => {
    await expectRefused(c20, statementInput(with_({ kycLevel: 256n }), 20), ['kycLevelRange']);
  });

  it('minKycLevel = r − 1, a "negative" minimum', async () => {
    await expectRefused(c20, statementInput(with_({ minKycLevel: FIELD - 1n }), 20), ['minKycLevelRange']);
  });

  it('investorClass 2^16 (a 17th class) with the "any class" mask', async () => {
    await expectRefused(c20, statementInput(with_({ investorClass: 1n << 16n, investorClassMask: 0n }), 20), ['investorClass']);
  });

  it('investorClassMask 2^16 + 2 (a 17th required class)', async () => {
    await expectRefused(c20, statementInput(with_({ investorClassMask: (1n << 16n) + 2n }), 20), ['investorClass']);
  });

  it.each([249n, 255n])('jurisdiction %s (past the last code) with every jurisdiction allowed', async (jurisdiction) => {
    await expectRefused(c20, statementInput(with_({ jurisdiction, jurisdictionMask: ALL_JURISDICTIONS }), 20), ['jurisdiction']);
  });

  it.each([256n, 256n + 74n, FIELD - 1n])('jurisdiction %s (not 8 bits)', async (jurisdiction) => {
    await expectRefused(c20, statementInput(with_({ jurisdiction, jurisdictionMask: ALL_JURISDICTIONS }), 20), ['jurisdiction']);
  });

  it('a jurisdiction mask of 250 bits', async () => {
    await expectRefused(c20, statementInput(with_({ jurisdictionMask: base.jurisdictionMask | (1n << 249n) }), 20), ['jurisdiction']);
  });

  it('today ≥ 2^32 that packs to the honest context (with validUntil − 1)', async () => {
    const shifted = with_({ today: TODAY + (1n << 32n), validUntil: base.validUntil - 1n });
    expect(contextOf(shifted)).toBe(contextOf(base));
    await expectRefused(c20, statementInput(shifted, 20), ['todayRange', 'todayNotAfterValidUntil']);
  });

  it('validUntil ≥ 2^32', async () => {
    const v = with_({ validUntil: base.validUntil + (1n << 32n), expiryDate: base.expiryDate + (1n << 32n) });
    await expectRefused(c20, statementInput(v, 20), ['validUntilRange', 'expiryDateRange', 'todayNotAfterValidUntil']);
  });

  it('expiryDate ≥ 2^32', async () => {
    await expectRefused(c20, statementInput(with_({ expiryDate: base.expiryDate + (1n << 32n) }), 20), ['expiryDateRange', 'validUntilNotAfterExpiry']);
  });

  it('minAge 256, which a 1700 birth date would meet', async () => {
    await expectRefused(c20, statementInput(with_({ minAge: 256n, birthDate: 17000101n }), 20), ['minAgeRange']);
  });

  it('minAge = r − 1, a "negative" age a two-week-old would meet', async () => {
    await expectRefused(c20, statementInput(with_({ minAge: FIELD - 1n, birthDate: 20260101n }), 20), ['minAgeRange']);
  });

  it('a leaf index of 2^depth + 5 (the path uses only the low bits)', async () => {
    await expectRefused(c20, statementInput(with_({ leafIndex: (1n << 20n) + base.leafIndex }), 20), ['leafIndexBits', 'membership']);
  });
});

describe('boundaries that are accepted', () => {
  const cases: [string, Partial<StatementValues>][] = [
    ['the 18th birthday is today', { birthDate: TODAY - 18n * 10000n }],
    ['born today with minAge 0', { birthDate: TODAY, minAge: 0n }],
    ['minAge 255, born exactly 255 years ago', { minAge: 255n, birthDate: TODAY - 255n * 10000n }],
    ['expiry = validUntil = today', { expiryDate: TODAY, validUntil: TODAY }],
    ['all 249 jurisdictions allowed, jurisdiction 0', { jurisdiction: 0n, jurisdictionMask: ALL_JURISDICTIONS }],
    ['all 249 jurisdictions allowed, jurisdiction 248', { jurisdiction: 248n, jurisdictionMask: ALL_JURISDICTIONS }],
    ['only jurisdiction 0 allowed', { jurisdiction: 0n, jurisdictionMask: 1n }],
    ['only jurisdiction 74 allowed', { jurisdiction: 74n, jurisdictionMask: 1n << 74n }],
    ['only jurisdiction 248 allowed', { jurisdiction: 248n, jurisdictionMask: 1n << 248n }],
    ['investor-class mask 0 (any) with class 0', { investorClass: 0n, investorClassMask: 0n }],
    ['investor-class mask 0 (any) with class 0xffff', { investorClass: 0xffffn, investorClassMask: 0n }],
    ['investor class 0xffff against mask 0x8000', { investorClass: 0xffffn, investorClassMask: 0x8000n }],
    ['investor class 0x8000 against mask 0xffff', { investorClass: 0x8000n, investorClassMask: 0xffffn }],
    ['kycLevel = minKycLevel = 255', { kycLevel: 255n, minKycLevel: 255n }],
    ['kycLevel = minKycLevel = 0', { kycLevel: 0n, minKycLevel: 0n }],
    ['leaf index 0', { leafIndex: 0n }],
    ['leaf index 2^20 − 1', { leafIndex: (1n << 20n) - 1n }],
    ['the largest wallet address, 2^160 − 1', { wallet: (1n << 160n) - 1n }],
  ];
  it.each(cases)('depth 20: %s', async (_name, changes) => {
    await expectAccepted(c20, statementInput(with_(changes), 20));
  });

  it('depth 32: leaf index 0', async () => {
    await expectAccepted(c32, statementInput(with_({ leafIndex: 0n }), 32));
  });

  it('depth 32: leaf index 2^32 − 1, the last slot, is proven and verified', async () => {
    // IssuerTree cannot append 2^32 leaves; the path of the last slot of an
    // otherwise empty tree is the empty subtrees on the left.
    const v = with_({ leafIndex: (1n << 32n) - 1n });
    const siblings = emptyPath(32);
    const witness = await expectAccepted(c32, statementInput(v, 32, { siblings }));

    const leaf = leafOf(v);
    const attributes = { jurisdiction: 74, birthDate: 19900312, investorClass: 0b0010, kycLevel: 3, expiryDate: 20270101 };
    const prover = await nodeProver('kycPolicy32');
    const proof = await prover.prove({
      identitySecret: v.identitySecret,
      attributes,
      salt: v.salt,
      merkleProof: { root: rootOf(leaf, v.leafIndex, siblings), leaf, index: 2 ** 32 - 1, siblings },
      policy: { jurisdictionMask: v.jurisdictionMask, minAge: 18, investorClassMask: 0b0110, minKycLevel: 2, scope: v.scope },
      wallet: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      today: Number(TODAY),
      validUntil: Number(v.validUntil),
    });
    expect(await prover.verify(proof)).toBe(true);
    expect(proof.publicSignals).toEqual(witness.slice(1, 5).map(String));
  });

  it('depth 32: a leaf index of 2^32 is refused', async () => {
    await expectRefused(c32, statementInput(with_({ leafIndex: 1n << 32n }), 32), ['leafIndexBits', 'membership']);
  });
});
