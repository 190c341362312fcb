import { concat, getBytes, isHexString, keccak256, toUtf8Bytes } from 'ethers';
import { poseidon1 } from 'poseidon-lite';
import { ValidationError } from './errors.js';
import { assertFieldElement } from './field.js';

/**
 * The holder's zk identity is a secret field element `s`. Only its commitment `idc = Poseidon1(s)`
 * leaves the wallet (it goes into the credential); `s` itself is a private input to every proof and,
 * hashed with a policy's scope, gives the holder's nullifier for that policy.
 *
 * `s` is derived from a 32-byte seed. The seed can be random, or the keccak256 of the holder's wallet
 * signature over IDENTITY_MESSAGE — then the identity is recoverable from the key the holder already
 * backs up, with no new secret to store.
 */

/** The fixed message a wallet signs (EIP-191 personal_sign) to derive its zk identity. */
export const IDENTITY_MESSAGE = 'zkkyc identity v1';

/** Domain separator so the same seed used elsewhere never yields the same secret. */
const SECRET_DOMAIN = toUtf8Bytes('zkkyc/identity-secret/v1');
const SEED_BYTES = 32;
const SIGNATURE_BYTES = 65;

/** `s = keccak256("zkkyc/identity-secret/v1" ‖ seed) >> 8`: 248 bits, so always below the field order. */
export function identitySecretFromSeed(seed: Uint8Array): bigint {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
    throw new ValidationError('seed', 'bytes32', `must be a Uint8Array of ${SEED_BYTES} bytes`);
  }
  return BigInt(keccak256(concat([SECRET_DOMAIN, seed]))) >> 8n;
}

/**
 * The identity secret recovered from a wallet's personal_sign signature of IDENTITY_MESSAGE
 * (65 bytes, 0x-hex). Wallets sign deterministically (RFC 6979), so the same key always gives the
 * same identity.
 */
export function identitySecretFromSignature(signatureHex: string): bigint {
  if (!isHexString(signatureHex, SIGNATURE_BYTES)) {
    throw new ValidationError('signature', 'hex65', `must be a 0x-prefixed ${SIGNATURE_BYTES}-byte hex signature`);
  }
  return identitySecretFromSeed(getBytes(keccak256(signatureHex)));
}

/** A fresh identity secret from a random seed (Web Crypto). The holder must back it up. */
export function randomIdentitySecret(): bigint {
  const webCrypto = globalThis.crypto;
  if (!webCrypto?.getRandomValues) throw new Error('no Web Crypto: globalThis.crypto.getRandomValues is required');
  return identitySecretFromSeed(webCrypto.getRandomValues(new Uint8Array(SEED_BYTES)));
}

/** `idc = Poseidon1(s)`, the public half of the identity that the issuer puts in the credential. */
export function identityCommitment(s: bigint): bigint {
  assertFieldElement(s, 'identitySecret');
  return poseidon1([s]);
}
