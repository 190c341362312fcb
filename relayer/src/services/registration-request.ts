/**
 * A registration request as the relayer reads it off the wire: every field checked, with the field
 * and the rule named on refusal, before anything touches the chain.
 *
 *   { policyId, proof: { pA[2], pB[2][2], pC[2], pubSignals[4|6] }, consent: { deadline, signature } }
 *
 * Numbers are decimal strings (or 0x-hex strings; JSON numbers only when they are safe integers),
 * because field elements do not fit a JSON number.
 */
import { isHexString } from 'ethers';
import { SNARK_FIELD } from '@zkkyc/credentials';
import { invalidField } from '../api-error.js';

export interface RegistrationRequest {
  policyId: bigint;
  proof: {
    pA: [bigint, bigint];
    pB: [[bigint, bigint], [bigint, bigint]];
    pC: [bigint, bigint];
    /** 4 signals (kycPolicy) or 6 (kycPolicyEscrow). */
    pubSignals: bigint[];
  };
  consent: { deadline: bigint; signature: string };
}

const UINT256_MAX = (1n << 256n) - 1n;
/** An ECDSA signature (r, s, v), or EIP-2098's compact 64 bytes; a contract wallet's ERC-1271 signature may be longer. */
const MAX_SIGNATURE_BYTES = 4096;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, field: string, allowed: string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalidField(field ? `${field}.${key}` : key, 'unknown', `is not a field of this request (allowed: ${allowed.join(', ')})`);
  }
  for (const key of allowed) {
    if (value[key] === undefined) throw invalidField(field ? `${field}.${key}` : key, 'required', 'is required');
  }
}

/** An upper bound a number must not pass, with the rule it names. */
interface Bound {
  max: bigint;
  rule: string;
  message: string;
}

const UINT256: Bound = { max: UINT256_MAX, rule: 'uint256', message: 'must fit 256 bits' };
const FIELD: Bound = { max: SNARK_FIELD - 1n, rule: 'field', message: 'must be below the BN254 scalar field order' };
const UINT64: Bound = { max: (1n << 64n) - 1n, rule: 'uint64', message: 'must be a unix time in seconds (fits 64 bits)' };

function uint(value: unknown, field: string, bound: Bound = UINT256): bigint {
  let n: bigint;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) n = BigInt(value);
  else if (typeof value === 'string' && /^(0|[1-9]\d{0,77})$/.test(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^0x[0-9a-fA-F]{1,64}$/.test(value)) n = BigInt(value);
  else throw invalidField(field, 'uint', 'must be a whole number as a decimal or 0x-hex string');
  if (n > bound.max) throw invalidField(field, bound.rule, bound.message);
  return n;
}

function uintArray(value: unknown, field: string, lengths: number[], bound?: Bound): bigint[] {
  if (!Array.isArray(value) || !lengths.includes(value.length)) throw invalidField(field, 'length', `must be an array of ${lengths.join(' or ')} numbers`);
  return value.map((v, i) => uint(v, `${field}.${i}`, bound));
}

/** Checks `body` and returns it typed; throws a 400 ApiError naming the first field at fault. */
export function parseRegistrationRequest(body: unknown): RegistrationRequest {
  if (!isObject(body)) throw invalidField('body', 'object', 'must be a JSON object');
  onlyKeys(body, '', ['policyId', 'proof', 'consent']);
  const policyId = uint(body.policyId, 'policyId');

  if (!isObject(body.proof)) throw invalidField('proof', 'object', 'must be an object { pA, pB, pC, pubSignals }');
  const proof = body.proof;
  onlyKeys(proof, 'proof', ['pA', 'pB', 'pC', 'pubSignals']);
  const pA = uintArray(proof.pA, 'proof.pA', [2]) as [bigint, bigint];
  if (!Array.isArray(proof.pB) || proof.pB.length !== 2) throw invalidField('proof.pB', 'length', 'must be an array of 2 arrays of 2 numbers');
  const pB = proof.pB.map((row, i) => uintArray(row, `proof.pB.${i}`, [2])) as [[bigint, bigint], [bigint, bigint]];
  const pC = uintArray(proof.pC, 'proof.pC', [2]) as [bigint, bigint];
  const pubSignals = uintArray(proof.pubSignals, 'proof.pubSignals', [4, 6], FIELD);
  const context = pubSignals[pubSignals.length === 6 ? 5 : 3];
  if (context >> 224n !== 0n) throw invalidField(`proof.pubSignals.${pubSignals.length === 6 ? 5 : 3}`, 'context', 'the context signal (wallet, today, validUntil) has bits set above bit 224');
  if ((context & ((1n << 160n) - 1n)) === 0n) throw invalidField(`proof.pubSignals.${pubSignals.length === 6 ? 5 : 3}`, 'wallet', 'the context signal names the zero address');

  if (!isObject(body.consent)) throw invalidField('consent', 'object', 'must be an object { deadline, signature }');
  const consent = body.consent;
  onlyKeys(consent, 'consent', ['deadline', 'signature']);
  const deadline = uint(consent.deadline, 'consent.deadline', UINT64);
  const signature = consent.signature;
  if (typeof signature !== 'string' || !isHexString(signature) || signature.length < 2 + 2 * 64) {
    throw invalidField('consent.signature', 'hex', 'must be a 0x-hex signature of at least 64 bytes');
  }
  if ((signature.length - 2) / 2 > MAX_SIGNATURE_BYTES) throw invalidField('consent.signature', 'max-size', `must be at most ${MAX_SIGNATURE_BYTES} bytes`);
  return { policyId, proof: { pA, pB, pC, pubSignals }, consent: { deadline, signature: signature.toLowerCase() } };
}
