import { gunzipSync, gzipSync } from 'node:zlib';
import { base64url } from 'jose';
import { ValidationError } from './errors.js';
import { VC2_CONTEXT, xsdDateTime, type BitstringStatusListEntry } from './vc2-jose.js';

/**
 * W3C Bitstring Status List v1.0: an issuer publishes one credential per list whose `encodedList`
 * is the bitstring, GZIP-compressed, base64url-encoded with the multibase prefix `u`. A credential's
 * `credentialStatus` names the list and its bit; bit 0 is the left-most (most significant) bit of
 * the first byte. The list is at least 131,072 bits (16 KiB) so that a bit says little about which
 * credential it belongs to (herd privacy). Node-only (node:zlib).
 */

/** The smallest list the spec allows, and the size of every list this issuer publishes. */
export const STATUS_LIST_BITS = 131_072;
export const STATUS_LIST_BYTES = STATUS_LIST_BITS / 8;

function checkIndex(index: number, bits: Uint8Array): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= bits.length * 8) {
    throw new ValidationError('statusListIndex', 'in-list', `${index} is not in 0..${bits.length * 8 - 1}`);
  }
}

/** Whether bit `index` is set (left-most bit of the first byte is 0). */
export function statusBit(bits: Uint8Array, index: number): boolean {
  checkIndex(index, bits);
  return (bits[index >> 3] & (0x80 >> (index & 7))) !== 0;
}

/** Sets (or clears) bit `index` in place. */
export function setStatusBit(bits: Uint8Array, index: number, value = true): void {
  checkIndex(index, bits);
  const mask = 0x80 >> (index & 7);
  bits[index >> 3] = value ? bits[index >> 3] | mask : bits[index >> 3] & ~mask;
}

/** `encodedList`: multibase base64url (`u`) of the GZIP of the bitstring. */
export function encodeStatusList(bits: Uint8Array): string {
  if (bits.length * 8 < STATUS_LIST_BITS) throw new ValidationError('bitstring', 'min-131072-bits', `${bits.length * 8} bits is below ${STATUS_LIST_BITS}`);
  return 'u' + base64url.encode(gzipSync(bits));
}

/** The bitstring of an `encodedList`. Throws naming `encodedList` when it is not one. */
export function decodeStatusList(encodedList: string): Uint8Array {
  if (typeof encodedList !== 'string' || !encodedList.startsWith('u')) throw new ValidationError('encodedList', 'multibase-base64url', 'must start with the multibase prefix u');
  try {
    return new Uint8Array(gunzipSync(base64url.decode(encodedList.slice(1))));
  } catch (err) {
    throw new ValidationError('encodedList', 'gzip', `is not GZIP data: ${(err as Error).message}`);
  }
}

/** The `credentialStatus` entry of a credential whose status is bit `index` of the list at `listUrl`. */
export function bitstringStatusEntry(listUrl: string, index: number, statusPurpose: BitstringStatusListEntry['statusPurpose'] = 'revocation'): BitstringStatusListEntry {
  if (!Number.isSafeInteger(index) || index < 0 || index >= STATUS_LIST_BITS) throw new ValidationError('statusListIndex', 'in-list', `${index} is not in 0..${STATUS_LIST_BITS - 1}`);
  return { id: `${listUrl}#${index}`, type: 'BitstringStatusListEntry', statusPurpose, statusListIndex: String(index), statusListCredential: listUrl };
}

/** A BitstringStatusListCredential (unsecured; sign it with signCredentialJose). */
export interface BitstringStatusListCredential {
  '@context': string[];
  id: string;
  type: ['VerifiableCredential', 'BitstringStatusListCredential'];
  issuer: string;
  validFrom: string;
  validUntil?: string;
  credentialSubject: { id: string; type: 'BitstringStatusList'; statusPurpose: BitstringStatusListEntry['statusPurpose']; encodedList: string; ttl?: number };
  [key: string]: unknown;
}

/**
 * The list's `ttl` (Bitstring Status List v1.0: milliseconds a verifier may cache it): a minute, as
 * the HTTP `Cache-Control` says, so that a verifier caching by the credential's own validity does
 * not keep a revoked credential's old bit for the day the list credential is valid.
 */
export const STATUS_LIST_TTL_MS = 60_000;

export function buildStatusListCredential(args: {
  issuerDid: string;
  listUrl: string;
  bits: Uint8Array;
  statusPurpose?: BitstringStatusListEntry['statusPurpose'];
  validFrom: Date;
  validUntil?: Date;
}): BitstringStatusListCredential {
  return {
    '@context': [VC2_CONTEXT],
    id: args.listUrl,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: args.issuerDid,
    validFrom: xsdDateTime(args.validFrom),
    ...(args.validUntil ? { validUntil: xsdDateTime(args.validUntil) } : {}),
    credentialSubject: {
      id: `${args.listUrl}#list`,
      type: 'BitstringStatusList',
      statusPurpose: args.statusPurpose ?? 'revocation',
      encodedList: encodeStatusList(args.bits),
      ttl: STATUS_LIST_TTL_MS,
    },
  };
}
