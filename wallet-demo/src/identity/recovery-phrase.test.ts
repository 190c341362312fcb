/**
 * The recovery phrase → root key and backup file key derivation, checked against Node's own
 * PBKDF2 and HKDF (OpenSSL) written from the labels alone, and against what another wallet makes
 * of the same phrase (an Ethereum BIP-44 account), which must never be the root key.
 */
import { hkdfSync, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { mapHashToField } from '@noble/curves/abstract/modular';
import { HDNodeWallet, Wallet, hexlify } from 'ethers';
import {
  BACKUP_FILE_FROM_KEY_INFO,
  BACKUP_FILE_INFO,
  RECOVERY_SALT,
  ROOT_KEY_INFO,
  RecoveryPhraseError,
  backupFileKeyFromRootKey,
  checkRecoveryPhrase,
  keysFromRecoveryPhrase,
  newRecoveryPhrase,
  secp256k1KeyFromBytes,
} from './recovery-phrase.js';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
// BIP-39's own test vector (entropy 0x7f × 32, 24 words).
const VECTOR = 'legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title';

function referenceKeys(phrase: string): { rootKey: string; backupFileKey: string } {
  const seed = pbkdf2Sync(Buffer.from(phrase.normalize('NFKD'), 'utf8'), Buffer.from('mnemonic', 'utf8'), 2048, 64, 'sha512');
  const okm = Buffer.from(hkdfSync('sha256', seed, Buffer.from(RECOVERY_SALT), Buffer.from(ROOT_KEY_INFO), 48));
  const scalar = (BigInt(`0x${okm.toString('hex')}`) % (N - 1n)) + 1n;
  const fileKey = Buffer.from(hkdfSync('sha256', seed, Buffer.from(RECOVERY_SALT), Buffer.from(BACKUP_FILE_INFO), 32));
  return { rootKey: `0x${scalar.toString(16).padStart(64, '0')}`, backupFileKey: `0x${fileKey.toString('hex')}` };
}

describe('recovery phrase', () => {
  it('makes 24 English words that pass its own check', () => {
    const phrase = newRecoveryPhrase();
    expect(phrase.split(' ')).toHaveLength(24);
    expect(checkRecoveryPhrase(`  ${phrase.toUpperCase().replaceAll(' ', '\n ')} `)).toBe(phrase);
    expect(newRecoveryPhrase()).not.toBe(phrase);
  });

  it('derives the root key and backup file key exactly as the labels say (Node PBKDF2 + HKDF)', async () => {
    for (const phrase of [VECTOR, newRecoveryPhrase()]) {
      const keys = await keysFromRecoveryPhrase(phrase);
      expect({ rootKey: hexlify(keys.rootKey), backupFileKey: hexlify(keys.backupFileKey) }).toEqual(referenceKeys(phrase));
      expect(keys.rootKey).toHaveLength(32);
    }
  });

  it('maps to a secp256k1 key as @noble/curves mapHashToField does', () => {
    for (const fill of [0x00, 0x5a, 0xff]) {
      const okm = new Uint8Array(48).fill(fill);
      expect(hexlify(secp256k1KeyFromBytes(okm))).toBe(hexlify(mapHashToField(okm, N)));
    }
    expect(() => secp256k1KeyFromBytes(new Uint8Array(32))).toThrow(/48 random bytes/);
  });

  it("never gives the root key as an Ethereum account of the same phrase (BIP-44 m/44'/60'/0'/0/i)", async () => {
    const phrase = newRecoveryPhrase();
    const root = new Wallet(hexlify((await keysFromRecoveryPhrase(phrase)).rootKey));
    const accounts = Array.from({ length: 5 }, (_, i) => HDNodeWallet.fromPhrase(phrase, undefined, `m/44'/60'/0'/0/${i}`));
    expect(accounts.map((a) => a.privateKey)).not.toContain(root.privateKey);
    expect(accounts.map((a) => a.address)).not.toContain(root.address);
  });

  it("derives a hex-key wallet's backup file key from its root key, under its own label", async () => {
    const rootKey = (await keysFromRecoveryPhrase(VECTOR)).rootKey;
    const expected = Buffer.from(hkdfSync('sha256', rootKey, Buffer.from(RECOVERY_SALT), Buffer.from(BACKUP_FILE_FROM_KEY_INFO), 32));
    expect(hexlify(await backupFileKeyFromRootKey(rootKey))).toBe(`0x${expected.toString('hex')}`);
    expect(hexlify(await backupFileKeyFromRootKey(rootKey))).not.toBe(referenceKeys(VECTOR).backupFileKey);
  });

  it('refuses a phrase that breaks a rule, naming the rule', async () => {
    const words = VECTOR.split(' ');
    const refusal = (text: string) => {
      try {
        checkRecoveryPhrase(text);
      } catch (err) {
        expect(err).toBeInstanceOf(RecoveryPhraseError);
        return { rule: (err as RecoveryPhraseError).rule, message: (err as Error).message };
      }
      throw new Error('accepted');
    };
    expect(refusal(words.slice(0, 12).join(' '))).toEqual({ rule: 'word-count', message: 'recovery phrase: must be 24 words (this has 12)' });
    expect(refusal([...words.slice(0, 4), 'walletx', ...words.slice(5)].join(' '))).toMatchObject({ rule: 'word-list', message: expect.stringContaining('word 5 ("walletx")') });
    // Two words swapped: every word is valid, the checksum is not.
    const swapped = [...words];
    [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
    expect(refusal(swapped.join(' '))).toMatchObject({ rule: 'checksum', message: expect.stringMatching(/^recovery phrase: the checksum/) });
    await expect(keysFromRecoveryPhrase(swapped.join(' '))).rejects.toBeInstanceOf(RecoveryPhraseError);
  });
});
