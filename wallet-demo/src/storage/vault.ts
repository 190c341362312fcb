import type { WalletState } from './wallet-state.js';

/**
 * The wallet's state in IndexedDB, encrypted with a key derived from the holder's passphrase
 * (PBKDF2-SHA-256 → AES-256-GCM). The store only ever sees ciphertext; the GCM tag is what tells a
 * wrong passphrase from a right one, so no password hash is kept beside the data.
 */
const DB_NAME = 'zkkyc-wallet';
const STORE = 'vault';
const RECORD_KEY = 'state';
const PBKDF2_ITERATIONS = 310_000;
const MIN_PASSPHRASE = 8;

interface SealedRecord {
  kdf: 'PBKDF2-SHA256';
  iterations: number;
  salt: Uint8Array;
  iv: Uint8Array;
  ciphertext: ArrayBuffer;
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

async function deriveKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Whether a wallet is stored in this browser. */
export async function hasStoredWallet(): Promise<boolean> {
  return (await withStore('readonly', (s) => s.count(RECORD_KEY))) > 0;
}

/** Encrypts and stores the wallet state, replacing what was there. A fresh salt and IV every time. */
export async function saveWallet(state: WalletState, passphrase: string): Promise<void> {
  if (passphrase.length < MIN_PASSPHRASE) throw new Error(`passphrase: must be at least ${MIN_PASSPHRASE} characters`);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await deriveKey(passphrase, salt, PBKDF2_ITERATIONS);
  const plaintext = new TextEncoder().encode(JSON.stringify(state));
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plaintext);
  const record: SealedRecord = { kdf: 'PBKDF2-SHA256', iterations: PBKDF2_ITERATIONS, salt, iv, ciphertext };
  await withStore('readwrite', (s) => s.put(record, RECORD_KEY));
}

/** Decrypts the stored wallet. Throws WrongPassphraseError when the passphrase does not open it. */
export async function loadWallet(passphrase: string): Promise<WalletState> {
  const record = await withStore<SealedRecord | undefined>('readonly', (s) => s.get(RECORD_KEY));
  if (!record) throw new Error('no wallet is stored in this browser');
  const key = await deriveKey(passphrase, record.salt, record.iterations);
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: record.iv as BufferSource }, key, record.ciphertext);
  } catch {
    throw new WrongPassphraseError();
  }
  return JSON.parse(new TextDecoder().decode(plaintext)) as WalletState;
}

/** Deletes the stored wallet (the holder can restore it from the backed-up key). */
export async function forgetWallet(): Promise<void> {
  await withStore('readwrite', (s) => s.delete(RECORD_KEY));
}
