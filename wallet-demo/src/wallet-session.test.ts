/**
 * The session's keys: a phrase gives the same identity every time, locking overwrites the key
 * bytes the session owns and refuses everything after, a backup file from another phrase stores
 * nothing, and a vault record written before format 2 (root key as hex in the JSON) still opens.
 * The vault runs on a small in-memory store instead of IndexedDB; the crypto is the real Web Crypto.
 */
import { describe, expect, it } from '@jest/globals';
import { hexlify } from 'ethers';
import type { LoadedConfig } from './app-config.js';
import { holderIdentityFromKey } from './identity/holder-identity.js';
import { backupFileKeyFromRootKey, keysFromRecoveryPhrase, newRecoveryPhrase } from './identity/recovery-phrase.js';
import { BackupFileError, openBackup } from './storage/backup-file.js';
import { newVaultKey, type SealedRecord, type VaultStore, WrongPassphraseError } from './storage/vault.js';
import type { WalletSecrets } from './storage/wallet-state.js';
import { WalletLockedError, WalletSession } from './wallet-session.js';

const loaded = { config: { rpcUrl: 'http://127.0.0.1:1', issuerUrl: 'http://127.0.0.1:2', deploymentUrl: 'deployment.json' }, deployment: {} } as unknown as LoadedConfig;
const PASSPHRASE = 'correct horse battery staple';

function memoryStore(): VaultStore & { record?: SealedRecord } {
  const store: VaultStore & { record?: SealedRecord } = {
    get: async () => store.record,
    put: async (record) => void (store.record = record),
    delete: async () => void (store.record = undefined),
  };
  return store;
}

const secretsOf = (session: WalletSession) => (session as unknown as { secrets: WalletSecrets }).secrets;

describe('wallet session keys', () => {
  it('a phrase restores the same identity; the passphrase reopens it', async () => {
    const phrase = newRecoveryPhrase();
    const store = memoryStore();
    const created = await WalletSession.create(loaded, { kind: 'recovery-phrase', phrase }, PASSPHRASE, undefined, store);
    const expected = await holderIdentityFromKey((await keysFromRecoveryPhrase(phrase)).rootKey);
    expect(created.identity.address).toBe(expected.address);
    expect(created.keyOrigin).toBe('recovery-phrase');
    expect(() => created.backupKeyHex()).toThrow(/^backup key: this wallet is backed up by its recovery phrase/);

    const again = await WalletSession.unlock(loaded, PASSPHRASE, store);
    expect(again.identity.address).toBe(expected.address);
    expect(again.identity.identityCommitment).toBe(expected.identityCommitment);
    await expect(WalletSession.unlock(loaded, 'not the passphrase', store)).rejects.toBeInstanceOf(WrongPassphraseError);
    // The stored plaintext layout keeps the keys out of JSON: nothing readable in the record.
    expect(Object.keys(store.record!)).toEqual(['format', 'kdf', 'iterations', 'salt', 'iv', 'ciphertext']);
  });

  it('lock zeroes the root key and backup file key and refuses every use after', async () => {
    const session = await WalletSession.create(loaded, { kind: 'recovery-phrase', phrase: newRecoveryPhrase() }, PASSPHRASE, undefined, memoryStore());
    const { rootKey, backupFileKey } = secretsOf(session);
    expect(rootKey.some((b) => b !== 0)).toBe(true);
    const address = session.identity.address;
    expect(() => session.assertUnlocked()).not.toThrow();
    session.lock();
    expect(session.isLocked).toBe(true);
    expect(() => session.assertUnlocked()).toThrow(WalletLockedError);
    expect([...rootKey].every((b) => b === 0)).toBe(true);
    expect([...backupFileKey].every((b) => b === 0)).toBe(true);
    await expect(session.save()).rejects.toBeInstanceOf(WalletLockedError);
    await expect(session.backupFile()).rejects.toBeInstanceOf(WalletLockedError);
    await expect(session.accounts()).rejects.toBeInstanceOf(WalletLockedError);
    await expect(session.chain()).rejects.toBeInstanceOf(WalletLockedError);
    // Only public parts of the identity remain; nothing that signs or proves.
    expect(session.identity.address).toBe(address);
    expect(() => session.identity.wallet).toThrow(WalletLockedError);
    expect(() => session.identity.identitySecret).toThrow(WalletLockedError);
    await expect(session.identity.didFor('did:web:kyc.example.com')).rejects.toBeInstanceOf(WalletLockedError);
  });

  it('restores accounts from the backup file; a file from another phrase stores nothing', async () => {
    const phrase = newRecoveryPhrase();
    const original = await WalletSession.create(loaded, { kind: 'recovery-phrase', phrase }, PASSPHRASE, undefined, memoryStore());
    await original.useWallet(1);
    const file = await original.backupFile();
    await expect(openBackup(file, (await keysFromRecoveryPhrase(phrase)).backupFileKey)).resolves.toMatchObject({ contents: { walletCount: 2 } });

    const fresh = memoryStore();
    const restored = await WalletSession.create(loaded, { kind: 'recovery-phrase', phrase }, PASSPHRASE, file, fresh);
    expect(await restored.accounts()).toEqual(await original.accounts());

    const elsewhere = memoryStore();
    const refused = WalletSession.create(loaded, { kind: 'recovery-phrase', phrase: newRecoveryPhrase() }, PASSPHRASE, file, elsewhere);
    await expect(refused).rejects.toBeInstanceOf(BackupFileError);
    await expect(refused).rejects.toThrow(/^backup file: was made by another recovery phrase or key/);
    expect(elsewhere.record).toBeUndefined();
  });

  it('opens a record written before format 2 (hex root key in the JSON) as a hex-key wallet', async () => {
    const rootKey = (await keysFromRecoveryPhrase(newRecoveryPhrase())).rootKey;
    const privateKey = hexlify(rootKey);
    const vaultKey = await newVaultKey(PASSPHRASE);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const legacy = { version: 1, privateKey, applications: [], credentials: [] };
    const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, vaultKey.key, new TextEncoder().encode(JSON.stringify(legacy)));
    const store = memoryStore();
    store.record = { kdf: 'PBKDF2-SHA256', iterations: vaultKey.iterations, salt: vaultKey.salt, iv, ciphertext };

    const session = await WalletSession.unlock(loaded, PASSPHRASE, store);
    expect(session.identity.scheme).toBe('single-key');
    expect(session.keyOrigin).toBe('backup-key');
    expect(session.backupKeyHex()).toBe(privateKey);
    // Its backup file opens with the key derived from the root key.
    await expect(openBackup(await session.backupFile(), await backupFileKeyFromRootKey(rootKey))).resolves.toMatchObject({
      header: { keyOrigin: 'backup-key' },
      contents: { keyScheme: 'single-key' },
    });
  });
});
