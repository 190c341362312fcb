import { AbiCoder, isAddress, keccak256 } from 'ethers';
import { poseidon2, poseidon5 } from 'poseidon-lite';
import { assertEncodedAttributes, type EncodedAttributes } from './attributes.js';
import { intToDate, isValidDateInt } from './dates.js';
import { ValidationError } from './errors.js';
import { assertFieldElement } from './field.js';
import { investorClassIds, investorClassMask, INVESTOR_CLASSES, INVESTOR_CLASS_MASK_BITS } from './investor-classes.js';
import { jurisdictionCode, jurisdictionMask, jurisdictionsInMask, JURISDICTIONS } from './jurisdictions.js';

/**
 * A token's admission rule, as its operator writes it. A holder satisfies it when their
 * jurisdiction is listed, they are at least `minAge` years old, they hold at least one of
 * `investorClasses` (an empty list accepts any class) and their KYC level is at least `minKycLevel`.
 */
export interface Policy {
  jurisdictions: string[];
  minAge: number;
  investorClasses: string[];
  minKycLevel: number;
}

/** The same policy as the numbers hashed into `policyHash` and stored by ComplianceGate. */
export interface EncodedPolicy {
  jurisdictionMask: bigint;
  minAge: number;
  investorClassMask: number;
  minKycLevel: number;
}

/** One reason a credential does not meet a policy. */
export interface PolicyFailure {
  rule: 'jurisdiction' | 'age' | 'investorClass' | 'kycLevel' | 'expired' | 'validUntil';
  message: string;
}

function assertUint8(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 255) {
    throw new ValidationError(field, 'uint8', `${String(value)} is not an integer in 0..255`);
  }
}

/** Throws unless an encoded policy is within the ranges the circuit and contract accept. */
export function assertEncodedPolicy(e: EncodedPolicy): void {
  if (e === null || typeof e !== 'object') throw new ValidationError('policy', 'object', 'must be an object');
  if (typeof e.jurisdictionMask !== 'bigint' || e.jurisdictionMask <= 0n || e.jurisdictionMask >> BigInt(JURISDICTIONS.length) !== 0n) {
    throw new ValidationError('jurisdictionMask', 'range', `must be a bigint in [1, 2^${JURISDICTIONS.length}) — at least one jurisdiction allowed`);
  }
  assertUint8(e.minAge, 'minAge');
  if (!Number.isInteger(e.investorClassMask) || e.investorClassMask < 0 || e.investorClassMask >= 2 ** INVESTOR_CLASS_MASK_BITS) {
    throw new ValidationError('investorClassMask', 'uint16', `${e.investorClassMask} is not a 16-bit mask`);
  }
  assertUint8(e.minKycLevel, 'minKycLevel');
}

/**
 * Encodes a policy. Rejects an empty jurisdiction list (nobody could ever satisfy it — to allow
 * everyone, pass all of JURISDICTIONS), unknown codes or classes, and ages or levels outside 0..255.
 */
export function encodePolicy(p: Policy): EncodedPolicy {
  if (p === null || typeof p !== 'object') throw new ValidationError('policy', 'object', 'must be an object');
  if (!Array.isArray(p.jurisdictions) || p.jurisdictions.length === 0) {
    throw new ValidationError('jurisdictions', 'non-empty', 'must list at least one allowed jurisdiction');
  }
  const encoded: EncodedPolicy = {
    jurisdictionMask: jurisdictionMask(p.jurisdictions, 'jurisdictions'),
    minAge: p.minAge,
    investorClassMask: investorClassMask(p.investorClasses, 'investorClasses'),
    minKycLevel: p.minKycLevel,
  };
  assertEncodedPolicy(encoded);
  return encoded;
}

/** The inverse of encodePolicy. */
export function decodePolicy(e: EncodedPolicy): Policy {
  assertEncodedPolicy(e);
  return {
    jurisdictions: jurisdictionsInMask(e.jurisdictionMask),
    minAge: e.minAge,
    investorClasses: investorClassIds(e.investorClassMask, 'investorClassMask'),
    minKycLevel: e.minKycLevel,
  };
}

/**
 * The scope a policy's proofs and nullifiers live in:
 * `uint256(keccak256(abi.encode(uint256 chainId, address gate, uint256 policyId))) >> 8`.
 * Binding the chain and the gate contract means a proof or nullifier never carries over to another
 * deployment; the shift keeps it below the field order.
 */
export function computeScope(chainId: bigint | number, gate: string, policyId: bigint | number): bigint {
  for (const [field, value] of [
    ['chainId', chainId],
    ['policyId', policyId],
  ] as const) {
    const ok = (typeof value === 'bigint' && value >= 0n && value < 2n ** 256n) || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);
    if (!ok) throw new ValidationError(field, 'uint256', `${String(value)} is not a uint256`);
  }
  if (typeof gate !== 'string' || !isAddress(gate)) throw new ValidationError('gate', 'address', `${String(gate)} is not an address`);
  const encoded = AbiCoder.defaultAbiCoder().encode(['uint256', 'address', 'uint256'], [chainId, gate, policyId]);
  return BigInt(keccak256(encoded)) >> 8n;
}

/** `policyHash = Poseidon5(scope, jurisdictionMask, minAge, investorClassMask, minKycLevel)`: the public signal a proof is bound to. */
export function computePolicyHash(scope: bigint, e: EncodedPolicy): bigint {
  assertFieldElement(scope, 'scope');
  assertEncodedPolicy(e);
  return poseidon5([scope, e.jurisdictionMask, e.minAge, e.investorClassMask, e.minKycLevel]);
}

/** `nullifier = Poseidon2(s, scope)`: the same for one person across re-issued credentials, different per scope. */
export function computeNullifier(s: bigint, scope: bigint): bigint {
  assertFieldElement(s, 'identitySecret');
  assertFieldElement(scope, 'scope');
  return poseidon2([s, scope]);
}

/** Class ids for display; unassigned bits show as `bit N` instead of throwing. */
function describeClasses(mask: number): string[] {
  const names: string[] = [];
  for (let bit = 0; bit < INVESTOR_CLASS_MASK_BITS; bit++) {
    if (mask & (1 << bit)) names.push(INVESTOR_CLASSES.find((c) => c.bit === bit)?.id ?? `bit ${bit}`);
  }
  return names;
}

function listOf(items: string[], max = 12): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, … (${items.length - max} more)`;
}

function assertDate(value: number, field: string): void {
  if (!isValidDateInt(value)) throw new ValidationError(field, 'date', `${value} is not a real YYYYMMDD date`);
}

/**
 * Whether a credential meets a policy on `today`, checked exactly as the circuit does, with a
 * plain-language reason for every rule that fails — so a wallet can tell the holder why before
 * spending seconds on a proof that cannot exist. `validUntil` (YYYYMMDD) is the bound the holder
 * intends to prove; when omitted, only expiry is checked (the holder can pick any date up to it).
 */
export function checkPolicy(attrs: EncodedAttributes, policy: EncodedPolicy, today: number, validUntil?: number): { ok: boolean; failures: PolicyFailure[] } {
  assertEncodedAttributes(attrs);
  assertEncodedPolicy(policy);
  assertDate(today, 'today');
  if (validUntil !== undefined) assertDate(validUntil, 'validUntil');

  const failures: PolicyFailure[] = [];
  if (((policy.jurisdictionMask >> BigInt(attrs.jurisdiction)) & 1n) === 0n) {
    const allowed = jurisdictionsInMask(policy.jurisdictionMask);
    failures.push({
      rule: 'jurisdiction',
      message: `jurisdiction ${jurisdictionCode(attrs.jurisdiction)} is not among the ${allowed.length} allowed: ${listOf(allowed)}`,
    });
  }
  if (attrs.birthDate + policy.minAge * 10000 > today) {
    failures.push({
      rule: 'age',
      message: `born ${intToDate(attrs.birthDate)}, the holder is not yet ${policy.minAge} on ${intToDate(today)}`,
    });
  }
  if (policy.investorClassMask !== 0 && (attrs.investorClass & policy.investorClassMask) === 0) {
    const held = describeClasses(attrs.investorClass);
    failures.push({
      rule: 'investorClass',
      message: `investor classes [${held.join(', ') || 'none'}] include none of the required: ${describeClasses(policy.investorClassMask).join(', ')}`,
    });
  }
  if (attrs.kycLevel < policy.minKycLevel) {
    failures.push({ rule: 'kycLevel', message: `KYC level ${attrs.kycLevel} is below the required ${policy.minKycLevel}` });
  }
  if (attrs.expiryDate < today) {
    failures.push({ rule: 'expired', message: `the credential expired on ${intToDate(attrs.expiryDate)}, before ${intToDate(today)}` });
  } else if (validUntil !== undefined && (validUntil < today || validUntil > attrs.expiryDate)) {
    failures.push({
      rule: 'validUntil',
      message: `validUntil ${intToDate(validUntil)} must be between today ${intToDate(today)} and the credential's expiry ${intToDate(attrs.expiryDate)}`,
    });
  }
  return { ok: failures.length === 0, failures };
}
