import { EscrowError } from './errors.js';
import { assertScalar, assertSubgroupPoint, SNARK_FIELD, type Point } from './group.js';

/**
 * How escrow values are written down, in JSON files and in hashed transcripts.
 *
 * JSON: every number — coordinate, scalar, field element — is a canonical **decimal string**: digits
 * only, no sign, no leading zero (`"0"` is zero), no `0x`. That is how snarkjs writes public signals
 * and circuit inputs and how an event's `uint256` reads, so a prover can hand `R` and `c` to the
 * circuit and compare them with the contract's event without conversion; and one value has exactly
 * one string, so files can be compared and hashed as text. A point is the pair `["x", "y"]` (the
 * order of circomlib's `R[2]` inputs). Decoding re-validates everything: a point read from a file is
 * a subgroup point, a scalar is in `[1, l)`.
 *
 * Transcripts (hashed bytes): a field element or coordinate is 32 bytes big-endian, a point is
 * `x ‖ y` (64 bytes), a small integer is 4 bytes big-endian, a string is its 4-byte big-endian
 * UTF-8 length followed by the UTF-8 bytes.
 */

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** A bigint as a canonical decimal string. */
export function encodeInteger(value: bigint): string {
  return value.toString(10);
}

/** Reads a canonical decimal string; throws an EscrowError naming `field` for anything else. */
export function decodeInteger(value: unknown, field: string): bigint {
  if (typeof value !== 'string' || !DECIMAL.test(value) || value.length > 100) {
    throw new EscrowError(field, 'decimal', 'must be a canonical decimal string (digits only, no leading zero)');
  }
  return BigInt(value);
}

/** Reads a field element `0 ≤ v < p` from a canonical decimal string. */
export function decodeFieldElement(value: unknown, field: string): bigint {
  const v = decodeInteger(value, field);
  if (v >= SNARK_FIELD) throw new EscrowError(field, 'field-element', 'must be below p, the BN254 scalar field order');
  return v;
}

/** Reads a secret or public scalar `1 ≤ s < l` from a canonical decimal string. */
export function decodeScalar(value: unknown, field: string): bigint {
  const s = decodeInteger(value, field);
  assertScalar(s, field);
  return s;
}

/** A point as `["x", "y"]`. */
export function encodePoint(p: Point): [string, string] {
  return [encodeInteger(p[0]), encodeInteger(p[1])];
}

/** Reads `["x", "y"]` and checks it is a subgroup point other than the identity (group.ts). */
export function decodePoint(value: unknown, field: string): Point {
  if (!Array.isArray(value) || value.length !== 2) throw new EscrowError(field, 'point', 'must be a pair ["x", "y"] of decimal strings');
  const p: Point = [decodeInteger(value[0], `${field}.x`), decodeInteger(value[1], `${field}.y`)];
  assertSubgroupPoint(p, field);
  return p;
}

/** Reads a participant index: an integer in `[1, max]`. */
export function decodeIndex(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new EscrowError(field, 'index', `must be an integer in [1, ${max}]`);
  }
  return value;
}

// ── transcript bytes ────────────────────────────────────────────────────────────────────────────

/** 32 bytes big-endian; `value` must be in `[0, 2^256)`. */
export function bytes32(value: bigint): Buffer {
  if (value < 0n || value >= 1n << 256n) throw new RangeError('bytes32: value out of range');
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

/** A point as `x ‖ y`, 64 bytes. */
export function pointBytes(p: Point): Buffer {
  return Buffer.concat([bytes32(p[0]), bytes32(p[1])]);
}

/** 4 bytes big-endian. */
export function uint32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

/** A string as its 4-byte big-endian UTF-8 length, then its UTF-8 bytes. */
export function lengthPrefixed(text: string): Buffer {
  const utf8 = Buffer.from(text, 'utf8');
  return Buffer.concat([uint32(utf8.length), utf8]);
}

/** A domain tag: its ASCII bytes followed by one zero byte. */
export function domainTag(tag: string): Buffer {
  return Buffer.concat([Buffer.from(tag, 'ascii'), Buffer.from([0])]);
}
