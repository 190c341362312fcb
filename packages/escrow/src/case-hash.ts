import { createHmac, randomBytes } from 'node:crypto';
import { keccak256 } from 'ethers';
import { domainTag } from './encoding.js';
import { EscrowError } from './errors.js';

/**
 * The case hash a disclosure request records instead of the case (docs/disclosure-log.md §2):
 *
 *   caseRefHash = keccak256( "zkkyc/disclosure-case/v1" ‖ 0x00 ‖ salt (32 bytes) ‖ caseReference (UTF-8) )
 *
 * The salt, 32 random bytes per case, keeps a guessable reference (a docket number) from being found
 * by hashing candidates; the requester gives the auditors the reference and the salt off chain, and
 * whoever audits the log later checks the hash the same way. The reference is hashed as given (no
 * Unicode normalisation); it is non-empty, at most 1024 UTF-8 bytes, without control characters.
 */
export const CASE_HASH_TAG = 'zkkyc/disclosure-case/v1';
export const MAX_CASE_REFERENCE_BYTES = 1024;

const SALT = /^0x[0-9a-f]{64}$/;

/** Refuses a case reference that is empty, longer than 1024 UTF-8 bytes, or holds a control character. */
export function assertCaseReference(caseReference: unknown, field = '--case-ref'): asserts caseReference is string {
  if (typeof caseReference !== 'string' || caseReference === '') throw new EscrowError(field, 'required', 'must be a non-empty case reference');
  if (Buffer.byteLength(caseReference, 'utf8') > MAX_CASE_REFERENCE_BYTES) {
    throw new EscrowError(field, 'length', `must be at most ${MAX_CASE_REFERENCE_BYTES} UTF-8 bytes`);
  }
  if (/[\u0000-\u001f\u007f]/.test(caseReference)) throw new EscrowError(field, 'printable', 'must not contain control characters');
}

/** Refuses a salt that is not 0x and 64 lowercase hex digits. */
export function assertCaseSalt(salt: unknown, field = '--salt'): asserts salt is string {
  if (typeof salt !== 'string' || !SALT.test(salt)) throw new EscrowError(field, 'bytes32', 'must be 32 bytes: 0x and 64 lowercase hex digits');
}

/** A fresh salt: 32 bytes from node:crypto, as 0x-hex. */
export function randomCaseSalt(): string {
  return '0x' + randomBytes(32).toString('hex');
}

/** `caseRefHash` of a case reference and its salt (0x-hex, lowercase). */
export function caseRefHash(caseReference: string, salt: string): string {
  assertCaseReference(caseReference);
  assertCaseSalt(salt);
  return keccak256(Buffer.concat([domainTag(CASE_HASH_TAG), Buffer.from(salt.slice(2), 'hex'), Buffer.from(caseReference, 'utf8')]));
}

/**
 * A salt derived from a secret and the case reference: HMAC-SHA256(secret, "zkkyc/register-case-salt/v1"
 * ‖ 0x00 ‖ caseReference). The register of holders uses it with the escrow secret key so that a rerun
 * for the same case finds the same case hash (and the requests it already logged) without storing
 * state, while the salt stays unguessable to anyone without the key. The salt is printed with the
 * result, so it can be handed to whoever checks the log, like a random one.
 */
export function derivedCaseSalt(secret: bigint, caseReference: string): string {
  assertCaseReference(caseReference);
  const key = Buffer.from(secret.toString(16).padStart(64, '0'), 'hex');
  const mac = createHmac('sha256', key).update(Buffer.concat([domainTag('zkkyc/register-case-salt/v1'), Buffer.from(caseReference, 'utf8')]));
  return '0x' + mac.digest('hex');
}
