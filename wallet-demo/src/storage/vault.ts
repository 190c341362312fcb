import { getBytes } from 'ethers';
import type { LegacyStoredState, WalletSecrets, WalletState } from './wallet-state.js';

/**
 * The wallet's state in IndexedDB, encrypted with a key derived from the holder's passphrase
 * (PBKDF2-SHA-256 → AES-256-GCM). The store only ever sees ciphertext; the GCM tag is what tells a
 * wrong passphrase from a right one, so no password hash is kept beside the data.
 *
 * Format 2 (now): plaintext = root key (32 bytes) ‖ backup file key (32 bytes) ‖ UTF-8 JSON of the
 * state, so the keys never pass through a JSON string. Records without `format` (before) hold one
 * JSON with the root key as hex (`privateKey`); they still open, and are rewritten as format 2 on
 * the next save.
 *
 * An unlocked wallet keeps a {@link VaultKey} — a non-extractable AES key (page scripts cannot read
 * its bytes) and the salt it was made with — instead of the passphrase, and drops it on lock.
 */
const DB_NAME = 'zkkyc-wallet';
const STORE = 'vault';
const RECORD_KEY = 'state';
const PBKDF2_ITERATIONS = 310_000;
const MIN_PASSPHRASE = 8;
const FORMAT = 2;
const KEY_BYTES = 32;

export interface SealedRecord {
  format?: typeof FORMAT;
  kdf: 'PBKDF2-SHA256';
  iterations: number;
  salt: Uint8Array;
  iv: Uint8Array;
  ciphertext: ArrayBuffer;
}

/** The key the stored wallet is encrypted with, derived once per unlock. */
export interface VaultKey {
  key: CryptoKey;
  salt: Uint8Array;
  iterations: number;
}

/** The passphrase does not open the stored wallet (AES-GCM authentication failed). */
export class WrongPassphraseError extends Error {
  constructor() {
    super('wrong passphrase: the stored wallet could not be decrypted');
    this.name = 'WrongPassphraseError';
  }
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = run(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Where the sealed record lives: IndexedDB in the browser ({@link browserVaultStore}); tests pass a small in-memory one. */
export interface VaultStore {
  get(): Promise<SealedRecord | undefined>;
  put(record: SealedRecord): Promise<void>;
  delete(): Promise<void>;
}

export const browserVaultStore: VaultStore = {
  get: () => withStore<SealedRecord | undefined>('readonly', (s) => s.get(RECORD_KEY)),
  put: async (record) => void (await withStore('readwrite', (s) => s.put(record, RECORD_KEY))),
  delete: async () => void (await withStore('readwrite', (s) => s.delete(RECORD_KEY))),
};

async function deriveKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations }, material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** A new vault key for `passphrase` (fresh salt): for a wallet being created or restored. */
export async function newVaultKey(passphrase: string): Promise<VaultKey> {
  if (typeof passphrase !== 'string' || passphrase.length < MIN_PASSPHRASE) throw new Error(`passphrase: must be at least ${MIN_PASSPHRASE} characters`);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return { key: await deriveKey(passphrase, salt, PBKDF2_ITERATIONS), salt, iterations: PBKDF2_ITERATIONS };
}

/** Whether a wallet is stored in this browser. */
export async function hasStoredWallet(store: VaultStore = browserVaultStore): Promise<boolean> {
  return (await store.get()) !== undefined;
}

/** Encrypts and stores the wallet state and its keys, replacing what was there. A fresh IV every time. */
export async function saveWallet(vaultKey: VaultKey, state: WalletState, secrets: WalletSecrets, store: VaultStore = browserVaultStore): Promise<void> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  const plaintext = new Uint8Array(2 * KEY_BYTES + json.length);
  plaintext.set(secrets.rootKey, 0);
  plaintext.set(secrets.backupFileKey, KEY_BYTES);
  plaintext.set(json, 2 * KEY_BYTES);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  try {
    const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, vaultKey.key, plaintext);
    const record: SealedRecord = { format: FORMAT, kdf: 'PBKDF2-SHA256', iterations: vaultKey.iterations, salt: vaultKey.salt, iv, ciphertext };
    await store.put(record);
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Decrypts the stored wallet. Throws WrongPassphraseError when the passphrase does not open it. A
 * record from before format 2 has no backup file key (`backupFileKey` is then empty: the caller
 * derives it from the root key).
 */
export async function openVault(passphrase: string, store: VaultStore = browserVaultStore): Promise<{ state: WalletState; secrets: WalletSecrets; vaultKey: VaultKey }> {
  const record = await store.get();
  if (!record) throw new Error('no wallet is stored in this browser');
  const vaultKey: VaultKey = { key: await deriveKey(passphrase, record.salt, record.iterations), salt: record.salt, iterations: record.iterations };
  let plaintext: Uint8Array;
  try {
    plaintext = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: record.iv as BufferSource }, vaultKey.key, record.ciphertext));
  } catch {
    throw new WrongPassphraseError();
  }
  try {
    if (record.format === FORMAT) {
      const secrets = { rootKey: plaintext.slice(0, KEY_BYTES), backupFileKey: plaintext.slice(KEY_BYTES, 2 * KEY_BYTES) };
      const state = JSON.parse(new TextDecoder().decode(plaintext.subarray(2 * KEY_BYTES))) as WalletState;
      return { state, secrets, vaultKey };
    }
    const { privateKey, ...state } = JSON.parse(new TextDecoder().decode(plaintext)) as LegacyStoredState;
    return { state, secrets: { rootKey: getBytes(privateKey), backupFileKey: new Uint8Array(0) }, vaultKey };
  } finally {
    plaintext.fill(0);
  }
}

/** Deletes the stored wallet (the holder can restore it from the backed-up key). */
export async function forgetWallet(store: VaultStore = browserVaultStore): Promise<void> {
  await store.delete();
}
