import { generateMnemonic, mnemonicToSeedWebcrypto, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';

/**
 * The recovery phrase: 24 English BIP-39 words (256 bits of entropy and an 8-bit checksum) that
 * stand for the wallet's root key. The phrase's BIP-39 seed is *not* used the way an Ethereum wallet
 * uses it (BIP-32 path m/44'/60'/…): the root key comes from the seed through HKDF-SHA-256 under
 * zkkyc labels, so importing the phrase into another wallet gives accounts that have nothing to do
 * with this root key, and nothing this wallet derives is reachable by a BIP-32 path.
 *
 *   seed          = BIP-39 seed (PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic", no passphrase)
 *   rootKey       = (OS2IP(HKDF(seed, salt = RECOVERY_SALT, info = ROOT_KEY_INFO, 48 bytes)) mod (n − 1)) + 1
 *   backupFileKey = HKDF(seed, salt = RECOVERY_SALT, info = BACKUP_FILE_INFO, 32 bytes)  (AES-256-GCM)
 *
 * A wallet restored from a hex backup key (made before the phrase) has no seed: its backup file key
 * is HKDF(rootKey, salt = RECOVERY_SALT, info = BACKUP_FILE_FROM_KEY_INFO, 32 bytes).
 *
 * The 48-byte reduction mod n − 1 plus one is FIPS 186-5 A.2.1 (bias below 2^-128, never zero), the
 * same as `@zkkyc/sdk` holder-keys.ts and @noble/curves' `mapHashToField`. Everything runs on Web
 * Crypto (HKDF, PBKDF2), the same in Node and the browser.
 */
export const RECOVERY_WORDS = 24;
/** HKDF salt of every key derived from the phrase's seed (or, for hex-key wallets, from the root key). */
export const RECOVERY_SALT = 'zkkyc/recovery-phrase/v1';
/** HKDF info of the root key. */
export const ROOT_KEY_INFO = 'zkkyc/root-key/v1';
/** HKDF info of the key that encrypts the backup file (input: the phrase's seed). */
export const BACKUP_FILE_INFO = 'zkkyc/backup-file/v1';
/** HKDF info of the backup file key of a wallet restored from a hex key (input: the root key). */
export const BACKUP_FILE_FROM_KEY_INFO = 'zkkyc/backup-file-from-root-key/v1';

// secp256k1's group order (SEC 2, §2.4.1).
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** A recovery phrase that breaks a rule; `rule` names which (`word-count`, `word-list`, `checksum`). */
export class RecoveryPhraseError extends Error {
  readonly field = 'recovery phrase';
  constructor(
    readonly rule: 'word-count' | 'word-list' | 'checksum',
    detail: string,
  ) {
    super(`recovery phrase: ${detail}`);
    this.name = 'RecoveryPhraseError';
  }
}

/** The keys a phrase stands for. The caller owns the arrays and zeroes them when done. */
export interface PhraseKeys {
  /** 32 bytes, a valid secp256k1 private key. */
  rootKey: Uint8Array;
  /** 32 bytes, the AES-256-GCM key of the backup file. */
  backupFileKey: Uint8Array;
}

/** A new phrase of 24 words from 256 bits of the platform's CSPRNG. */
export function newRecoveryPhrase(): string {
  return generateMnemonic(wordlist, 256);
}

/** The words of a phrase as typed: any spacing or case, one word per position. */
export function phraseWords(text: string): string[] {
  return text.normalize('NFKD').toLowerCase().trim().split(/\s+/).filter(Boolean);
}

/**
 * Checks a typed phrase and returns it in canonical form (single spaces, lower case). Throws a
 * RecoveryPhraseError naming the rule: 24 words, each from the BIP-39 English list, and the
 * checksum the last word carries (a mistyped or swapped word almost always breaks it).
 */
export function checkRecoveryPhrase(text: string): string {
  const words = phraseWords(typeof text === 'string' ? text : '');
  if (words.length !== RECOVERY_WORDS) throw new RecoveryPhraseError('word-count', `must be ${RECOVERY_WORDS} words (this has ${words.length})`);
  const known = new Set(wordlist);
  const unknown = words.findIndex((w) => !known.has(w));
  if (unknown >= 0) throw new RecoveryPhraseError('word-list', `word ${unknown + 1} ("${words[unknown]}") is not in the BIP-39 English word list`);
  const phrase = words.join(' ');
  if (!validateMnemonic(phrase, wordlist)) {
    throw new RecoveryPhraseError('checksum', 'the checksum in the last word does not match: a word is wrong or out of order');
  }
  return phrase;
}

async function hkdf(ikm: Uint8Array, info: string, bytes: number): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('the recovery phrase needs Web Crypto (crypto.subtle): a browser page served over https or from localhost');
  const key = await subtle.importKey('raw', ikm as BufferSource, 'HKDF', false, ['deriveBits']);
  const encode = (s: string) => new TextEncoder().encode(s) as BufferSource;
  return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: encode(RECOVERY_SALT), info: encode(info) }, key, bytes * 8));
}

/** 48 uniformly random bytes → a secp256k1 private key (32 bytes, big-endian), FIPS 186-5 A.2.1. */
export function secp256k1KeyFromBytes(okm: Uint8Array): Uint8Array {
  if (okm.length < 48) throw new Error('secp256k1 key: needs at least 48 random bytes so the reduction is unbiased');
  let value = 0n;
  for (const byte of okm) value = (value << 8n) | BigInt(byte);
  let scalar = (value % (SECP256K1_ORDER - 1n)) + 1n;
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, scalar >>= 8n) out[i] = Number(scalar & 0xffn);
  return out;
}

/** The root key and backup file key a (checked) phrase stands for. Throws RecoveryPhraseError first if it is not one. */
export async function keysFromRecoveryPhrase(text: string): Promise<PhraseKeys> {
  const seed = await mnemonicToSeedWebcrypto(checkRecoveryPhrase(text));
  try {
    const okm = await hkdf(seed, ROOT_KEY_INFO, 48);
    const rootKey = secp256k1KeyFromBytes(okm);
    okm.fill(0);
    return { rootKey, backupFileKey: await hkdf(seed, BACKUP_FILE_INFO, 32) };
  } finally {
    seed.fill(0);
  }
}

/** The backup file key of a wallet restored from a hex root key (it has no phrase, so no seed). */
export function backupFileKeyFromRootKey(rootKey: Uint8Array): Promise<Uint8Array> {
  return hkdf(rootKey, BACKUP_FILE_FROM_KEY_INFO, 32);
}
