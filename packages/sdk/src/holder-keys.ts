import { ValidationError } from '@zkkyc/credentials';
import { Wallet, getBytes, hexlify, isHexString, toUtf8Bytes } from 'ethers';
import { holderDidFromPrivateKey } from './holder-did.js';

/**
 * Holder keys: one root secret, many independent keys.
 *
 * The holder backs up one 32-byte root secret. Everything the holder shows to anyone is derived from
 * it, each for one audience, so that what one audience learns says nothing about what another sees:
 *
 * - the **holder DID key** an issuer knows (did:key of a secp256k1 key), one per issuer
 *   (pairwise): `HKDF(root, info = "zkkyc/holder-did/v1" ‖ 0x00 ‖ issuer DID)`;
 * - the **wallet keys** (Ethereum accounts) the chain sees, any number of them:
 *   `HKDF(root, info = "zkkyc/wallet/v1" ‖ 0x00 ‖ uint32be(index))`;
 * - the **zk identity secret**, unchanged from before this scheme: from the root key's signature of
 *   `IDENTITY_MESSAGE` (protocol.md, "Holder identity"). It leaves the wallet only as Poseidon(s).
 *
 * HKDF outputs for different `info` are independent pseudorandom values, so an issuer that knows a
 * holder DID's public key cannot compute any wallet's key or address from it, and a wallet's
 * address says nothing about the DID. The root key itself is never used as a wallet or a DID: its
 * public key is shown to nobody.
 *
 * Why HKDF-SHA-256 through Web Crypto: it is built into Node (≥ 19, `globalThis.crypto`) and every
 * browser the wallet runs in, so the SDK and the wallet derive the same keys with the same,
 * platform-maintained primitive and no extra dependency.
 *
 * A holder whose DID was the did:key of its wallet key (before this scheme) keeps that DID: see
 * `Holder.fromWallet` (one key for everything) — its issuer can link that DID to that one wallet,
 * but not to wallets it derives with {@link deriveWalletKey}.
 */

/** HKDF salt: names the scheme, so keys derived here never collide with another use of the same root. */
export const HOLDER_KEYS_SALT = 'zkkyc/holder-keys/v1';
/** HKDF info prefix of a holder DID key; the issuer's DID follows after a 0x00 byte. */
export const HOLDER_DID_INFO = 'zkkyc/holder-did/v1';
/** HKDF info prefix of a wallet key; the wallet index (uint32, big-endian) follows after a 0x00 byte. */
export const WALLET_KEY_INFO = 'zkkyc/wallet/v1';
/** Largest wallet index (uint32). */
export const MAX_WALLET_INDEX = 0xffff_ffff;

// secp256k1's group order (SEC 2, §2.4.1): a private key is an integer in [1, n − 1].
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
// 48 bytes of HKDF output reduced mod n − 1: the bias of the reduction is below 2^-128
// (the FIPS 186-5 A.2.1 "extra random bits" method), and + 1 keeps the key non-zero.
const OKM_BYTES = 48;

/** Checks a root secret (0x + 64 hex digits, a valid secp256k1 key) and returns its bytes. */
export function parseRootKey(rootKey: string, field = 'rootKey'): Uint8Array {
  const trimmed = typeof rootKey === 'string' ? rootKey.trim() : rootKey;
  if (typeof trimmed !== 'string' || !isHexString(trimmed, 32)) {
    throw new ValidationError(field, 'hex32', 'must be 0x followed by 64 hex digits');
  }
  const value = BigInt(trimmed);
  // The root also signs IDENTITY_MESSAGE (the zk identity), so it must itself be a secp256k1 key.
  if (value === 0n || value >= SECP256K1_ORDER) throw new ValidationError(field, 'secp256k1-range', 'must be in [1, n − 1] of secp256k1');
  return getBytes(trimmed);
}

/** A new random root secret (a valid secp256k1 key, from the platform's CSPRNG through ethers). */
export function newRootKey(): string {
  return Wallet.createRandom().privateKey;
}

function subtleCrypto(): SubtleCrypto {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('holder keys need Web Crypto (crypto.subtle): Node ≥ 19, or a browser page served over https or from localhost');
  return subtle;
}

/** HKDF-SHA-256(root, salt = HOLDER_KEYS_SALT, info) → a secp256k1 private key, 0x-hex. */
async function deriveSecp256k1Key(root: Uint8Array, info: Uint8Array): Promise<string> {
  const subtle = subtleCrypto();
  const ikm = await subtle.importKey('raw', root as BufferSource, 'HKDF', false, ['deriveBits']);
  const okm = new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: toUtf8Bytes(HOLDER_KEYS_SALT) as BufferSource, info: info as BufferSource }, ikm, OKM_BYTES * 8));
  const scalar = (BigInt(hexlify(okm)) % (SECP256K1_ORDER - 1n)) + 1n;
  return `0x${scalar.toString(16).padStart(64, '0')}`;
}

function labelled(prefix: string, context: Uint8Array): Uint8Array {
  const label = toUtf8Bytes(prefix);
  const info = new Uint8Array(label.length + 1 + context.length);
  info.set(label, 0);
  // 0x00 cannot occur in the UTF-8 label, so (label, context) pairs never run into each other.
  info[label.length] = 0;
  info.set(context, label.length + 1);
  return info;
}

/** Checks an issuer DID the way DID Core spells one: `did:<method>:<id>`, no whitespace. */
export function checkIssuerDid(issuerDid: string, field = 'issuerDid'): string {
  if (typeof issuerDid !== 'string' || !/^did:[a-z0-9]+:\S+$/.test(issuerDid)) {
    throw new ValidationError(field, 'did', 'must be a DID (did:<method>:<id>, method in lower case, no spaces)');
  }
  return issuerDid;
}

/**
 * The private key of the holder's DID for one issuer (pairwise): two issuers see two unrelated
 * DIDs, and neither DID is related to any wallet. The DID itself is `holderDidFromPrivateKey` of it.
 */
export async function deriveHolderDidKey(rootKey: string, issuerDid: string): Promise<string> {
  const root = parseRootKey(rootKey);
  checkIssuerDid(issuerDid);
  return deriveSecp256k1Key(root, labelled(HOLDER_DID_INFO, toUtf8Bytes(issuerDid)));
}

/** The private key of the holder's wallet number `index` (0 is the first wallet). */
export async function deriveWalletKey(rootKey: string, index: number): Promise<string> {
  const root = parseRootKey(rootKey);
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_WALLET_INDEX) {
    throw new ValidationError('walletIndex', 'uint32', `must be an integer from 0 to ${MAX_WALLET_INDEX}`);
  }
  const context = new Uint8Array(4);
  new DataView(context.buffer).setUint32(0, index, false);
  return deriveSecp256k1Key(root, labelled(WALLET_KEY_INFO, context));
}

/** The holder's DID for one issuer and the key that signs its challenges (see {@link deriveHolderDidKey}). */
export async function holderDidForIssuer(rootKey: string, issuerDid: string): Promise<{ did: string; privateKey: string }> {
  const privateKey = await deriveHolderDidKey(rootKey, issuerDid);
  return { did: holderDidFromPrivateKey(privateKey), privateKey };
}
