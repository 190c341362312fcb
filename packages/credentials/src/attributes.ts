import { ValidationError } from './errors.js';
import { jurisdictionCode, jurisdictionIndex, JURISDICTIONS } from './jurisdictions.js';
import { investorClassIds, investorClassMask, INVESTOR_CLASS_MASK_BITS } from './investor-classes.js';
import { dateToInt, intToDate, isValidDateInt } from './dates.js';

/** What an issuer attests about a holder, in the form people and the VC read. */
export interface CredentialAttributes {
  /** ISO 3166-1 alpha-2, upper case. */
  jurisdiction: string;
  /** YYYY-MM-DD. */
  birthDate: string;
  /** Ids from INVESTOR_CLASSES. */
  investorClasses: string[];
  /** 0..255, the issuer's own scale of how thoroughly the holder was checked. */
  kycLevel: number;
  /** YYYY-MM-DD: the last day the credential is valid. */
  expiryDate: string;
}

/** The same attributes as the small integers the leaf hashes and the circuit compares. */
export interface EncodedAttributes {
  jurisdiction: number;
  birthDate: number;
  investorClass: number;
  kycLevel: number;
  expiryDate: number;
}

/** Salts are 31 bytes so they stay below the field order without reduction. */
export const SALT_BYTES = 31;

function assertKycLevel(level: unknown): asserts level is number {
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > 255) {
    throw new ValidationError('kycLevel', 'uint8', `${String(level)} is not an integer in 0..255`);
  }
}

function assertExpiryAfterBirth(birthDate: number, expiryDate: number): void {
  if (expiryDate <= birthDate) {
    throw new ValidationError('expiryDate', 'after-birthDate', `${intToDate(expiryDate)} is not after the birth date ${intToDate(birthDate)}`);
  }
}

/**
 * Turns attributes into the integers of docs/protocol.md, rejecting anything the circuit could not
 * represent: an unknown country or investor class, an impossible date, an expiry not after the birth
 * date, a KYC level outside 0..255. Each error names the field.
 */
export function encodeAttributes(a: CredentialAttributes): EncodedAttributes {
  if (a === null || typeof a !== 'object') throw new ValidationError('attributes', 'object', 'must be an object');
  const jurisdiction = jurisdictionIndex(a.jurisdiction);
  const birthDate = dateToInt(a.birthDate, 'birthDate');
  const investorClass = investorClassMask(a.investorClasses, 'investorClasses');
  assertKycLevel(a.kycLevel);
  const expiryDate = dateToInt(a.expiryDate, 'expiryDate');
  assertExpiryAfterBirth(birthDate, expiryDate);
  return { jurisdiction, birthDate, investorClass, kycLevel: a.kycLevel, expiryDate };
}

/**
 * Checks encoded attributes are in the ranges the circuit range-checks, so a leaf computed here can
 * always be proven. Throws a ValidationError naming the first bad field.
 */
export function assertEncodedAttributes(e: EncodedAttributes): void {
  if (e === null || typeof e !== 'object') throw new ValidationError('attributes', 'object', 'must be an object');
  if (!Number.isInteger(e.jurisdiction) || e.jurisdiction < 0 || e.jurisdiction >= JURISDICTIONS.length) {
    throw new ValidationError('jurisdiction', 'iso3166-index', `${e.jurisdiction} is not in 0..${JURISDICTIONS.length - 1}`);
  }
  if (!isValidDateInt(e.birthDate)) throw new ValidationError('birthDate', 'date', `${e.birthDate} is not a real YYYYMMDD date`);
  if (!Number.isInteger(e.investorClass) || e.investorClass < 0 || e.investorClass >= 2 ** INVESTOR_CLASS_MASK_BITS) {
    throw new ValidationError('investorClass', 'uint16', `${e.investorClass} is not a 16-bit mask`);
  }
  assertKycLevel(e.kycLevel);
  if (!isValidDateInt(e.expiryDate)) throw new ValidationError('expiryDate', 'date', `${e.expiryDate} is not a real YYYYMMDD date`);
  assertExpiryAfterBirth(e.birthDate, e.expiryDate);
}

/** The inverse of encodeAttributes. Throws for values no credential could encode to. */
export function decodeAttributes(e: EncodedAttributes): CredentialAttributes {
  assertEncodedAttributes(e);
  return {
    jurisdiction: jurisdictionCode(e.jurisdiction),
    birthDate: intToDate(e.birthDate, 'birthDate'),
    investorClasses: investorClassIds(e.investorClass, 'investorClass'),
    kycLevel: e.kycLevel,
    expiryDate: intToDate(e.expiryDate, 'expiryDate'),
  };
}

/** A fresh credential salt: 31 random bytes (below 2^248), from the platform CSPRNG (Web Crypto, so browsers work too). */
export function randomSalt(): bigint {
  return randomBigInt(SALT_BYTES);
}

/** `bytes` random bytes as a big-endian bigint, from globalThis.crypto. */
export function randomBigInt(bytes: number): bigint {
  const webCrypto = globalThis.crypto;
  if (!webCrypto?.getRandomValues) throw new Error('no Web Crypto: globalThis.crypto.getRandomValues is required');
  const buf = webCrypto.getRandomValues(new Uint8Array(bytes));
  let value = 0n;
  for (const byte of buf) value = (value << 8n) | BigInt(byte);
  return value;
}
