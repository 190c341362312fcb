// Circuit inputs built by hand from raw field elements, with none of the
// validation @zkkyc/prover applies: the tests need inputs an adversary would
// write (out-of-range attributes, a laxer policy behind a public hash, a
// context for another wallet). Every derived value (leaf, root, policyHash,
// context) is computed consistently from the raw values unless a test
// overrides it, so an input breaks exactly the rule the test means to break.
import { poseidon1, poseidon2, poseidon4, poseidon5, poseidon7 } from 'poseidon-lite';
import { zeroHashes } from '@zkkyc/tree';

/** The BN254 scalar field order r. */
export const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Every private value of the statement, and the three parts of the public context. */
export interface StatementValues {
  identitySecret: bigint;
  jurisdiction: bigint;
  birthDate: bigint;
  investorClass: bigint;
  kycLevel: bigint;
  expiryDate: bigint;
  salt: bigint;
  leafIndex: bigint;
  scope: bigint;
  jurisdictionMask: bigint;
  minAge: bigint;
  investorClassMask: bigint;
  minKycLevel: bigint;
  wallet: bigint;
  today: bigint;
  validUntil: bigint;
}

/** What an adversary can set apart from the honest derivation. */
export interface Tampering {
  /** The path's siblings, three per level; by default those of a tree holding only this leaf. */
  siblings?: bigint[][];
  /** The leaf the tree holds at leafIndex (to model a credential the issuer never issued). */
  leafInTree?: bigint;
  root?: bigint;
  policyHash?: bigint;
  context?: bigint;
}

export type CircuitInput = Record<string, string | string[] | string[][]>;

/** The all-jurisdictions mask: bits 0..248. */
export const ALL_JURISDICTIONS = (1n << 249n) - 1n;

/**
 * A holder that meets the policy with room to spare on every rule: an adult,
 * accredited, KYC level 3 resident of jurisdiction 74 (FR),
 * registering a wallet on 2026-01-15 until 2026-06-30.
 */
export function validStatement(): StatementValues {
  return {
    identitySecret: 0x1d2c3b4a5968778695a4b3c2d1e0f0e1d2c3b4a5968778695a4b3c2d1e0f0en,
    jurisdiction: 74n,
    birthDate: 19900312n,
    investorClass: 0b0010n,
    kycLevel: 3n,
    expiryDate: 20270101n,
    salt: 0xa5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5n,
    leafIndex: 5n,
    scope: 0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fn,
    jurisdictionMask: (1n << 74n) | (1n << 0n) | (1n << 248n),
    minAge: 18n,
    investorClassMask: 0b0110n,
    minKycLevel: 2n,
    wallet: 0x70997970c51812dc3a010c7d01b50e0d17dc79c8n,
    today: 20260115n,
    validUntil: 20260630n,
  };
}

export function leafOf(v: StatementValues): bigint {
  return poseidon7([poseidon1([v.identitySecret]), v.jurisdiction, v.birthDate, v.investorClass, v.kycLevel, v.expiryDate, v.salt]);
}

export function policyHashOf(v: Pick<StatementValues, 'scope' | 'jurisdictionMask' | 'minAge' | 'investorClassMask' | 'minKycLevel'>): bigint {
  return poseidon5([v.scope, v.jurisdictionMask, v.minAge, v.investorClassMask, v.minKycLevel]);
}

export function nullifierOf(v: Pick<StatementValues, 'identitySecret' | 'scope'>): bigint {
  return poseidon2([v.identitySecret, v.scope]);
}

/** wallet + today·2^160 + validUntil·2^192, reduced mod r, for any values (in range or not). */
export function contextOf(v: Pick<StatementValues, 'wallet' | 'today' | 'validUntil'>): bigint {
  return (v.wallet + (v.today << 160n) + (v.validUntil << 192n)) % FIELD;
}

/**
 * The root reached from `leaf` at `index` along `siblings` in the quaternary
 * tree: at level i the node takes position `(index >> 2i) & 3` among the three
 * siblings of that level.
 */
export function rootOf(leaf: bigint, index: bigint, siblings: bigint[][]): bigint {
  let node = leaf;
  siblings.forEach((others, level) => {
    const position = Number((index >> BigInt(2 * level)) & 3n);
    node = poseidon4([...others.slice(0, position), node, ...others.slice(position)]);
  });
  return node;
}

/** The path of any slot in an otherwise empty tree: every sibling is the empty subtree of its level. */
export function emptyPath(depth: number): bigint[][] {
  return zeroHashes(depth)
    .slice(0, depth / 2)
    .map((zero) => [zero, zero, zero]);
}

/** The circuit input for `v` in a tree of `depth`, with the public signals derived from it unless tampered. */
export function statementInput(v: StatementValues, depth: number, t: Tampering = {}): CircuitInput {
  const siblings = t.siblings ?? emptyPath(depth);
  if (siblings.length !== depth / 2) throw new Error(`need ${depth / 2} levels of siblings, got ${siblings.length}`);
  const root = t.root ?? rootOf(t.leafInTree ?? leafOf(v), v.leafIndex, siblings);
  const s = (x: bigint) => x.toString();
  return {
    root: s(root),
    policyHash: s(t.policyHash ?? policyHashOf(v)),
    context: s(t.context ?? contextOf(v)),
    identitySecret: s(v.identitySecret),
    jurisdiction: s(v.jurisdiction),
    birthDate: s(v.birthDate),
    investorClass: s(v.investorClass),
    kycLevel: s(v.kycLevel),
    expiryDate: s(v.expiryDate),
    salt: s(v.salt),
    leafIndex: s(v.leafIndex),
    siblings: siblings.map((level) => level.map(s)),
    scope: s(v.scope),
    jurisdictionMask: s(v.jurisdictionMask),
    minAge: s(v.minAge),
    investorClassMask: s(v.investorClassMask),
    minKycLevel: s(v.minKycLevel),
    wallet: s(v.wallet),
    today: s(v.today),
    validUntil: s(v.validUntil),
  };
}
