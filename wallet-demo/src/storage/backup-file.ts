import type { KeyScheme } from '../identity/holder-identity.js';
import type { KeyOrigin, StoredApplication, StoredCredential } from './wallet-state.js';

/**
 * The encrypted backup file ("Download backup"): what the recovery phrase alone cannot bring back —
 * the credentials, the applications with their access tokens, how many accounts were made.
 *
 *   { format: "zkkyc-wallet-backup", version: 2, keyOrigin, cipher: "AES-256-GCM",
 *     iv: base64(12 bytes), ciphertext: base64(AES-256-GCM(contents JSON)) }
 *
 * The key is the wallet's backup file key (identity/recovery-phrase.ts: from the phrase's seed, or
 * from the root key for a wallet restored from a hex key), so the file alone reveals nothing but its
 * header and size, and only the phrase (or that key) opens it. The header is the GCM additional
 * data, so changing it fails authentication like changing the ciphertext does.
 *
 * The header keeps `keyOrigin` in the clear because it picks the key (the phrase's, or the hex
 * key's) and so must be read before anything is decrypted. The key scheme is not needed for that,
 * and in the clear `single-key` would mark a wallet whose issuer can compute its first account: it
 * is inside the ciphertext only. Version 1 files, which carried `keyScheme` in the header too (and
 * in their additional data), still open; their header and contents must agree.
 */
export const BACKUP_FORMAT = 'zkkyc-wallet-backup';
export const BACKUP_VERSION = 2;
/** Versions this wallet opens: 1 (key scheme also in the header) and the current one. */
const READABLE_VERSIONS = [1, BACKUP_VERSION] as const;
const CIPHER = 'AES-256-GCM';

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: (typeof READABLE_VERSIONS)[number];
  keyOrigin: KeyOrigin;
  /** Version 1 files only. */
  keyScheme?: KeyScheme;
  cipher: typeof CIPHER;
}

export interface BackupFile extends BackupHeader {
  iv: string;
  ciphertext: string;
}

/** What the file carries, encrypted. */
export interface BackupContents {
  keyScheme: KeyScheme;
  walletCount: number;
  applications: StoredApplication[];
  credentials: StoredCredential[];
  createdAt: string;
}

/** A backup file that cannot be used; `rule` says why (`format`, `key`, `contents`). Nothing is restored from it. */
export class BackupFileError extends Error {
  readonly field = 'backup file';
  constructor(
    readonly rule: 'format' | 'key' | 'contents',
    detail: string,
  ) {
    super(`backup file: ${detail}`);
    this.name = 'BackupFileError';
  }
}

const KEY_SCHEMES: readonly KeyScheme[] = ['derived-v1', 'single-key'];
const KEY_ORIGINS: readonly KeyOrigin[] = ['recovery-phrase', 'backup-key'];

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function unbase64(text: unknown, field: string): Uint8Array {
  try {
    if (typeof text !== 'string') throw new Error();
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    throw new BackupFileError('format', `${field} must be base64`);
  }
}

/** The additional data GCM authenticates: the header's fields in a fixed order (version 1 had the key scheme too). */
function additionalData(header: BackupHeader): Uint8Array {
  const fields = header.version === 1 ? [header.format, header.version, header.keyOrigin, header.keyScheme, header.cipher] : [header.format, header.version, header.keyOrigin, header.cipher];
  return new TextEncoder().encode(JSON.stringify(fields));
}

function importKey(backupFileKey: Uint8Array, use: KeyUsage): Promise<CryptoKey> {
  if (backupFileKey.length !== 32) throw new Error('backup file key: must be 32 bytes');
  return crypto.subtle.importKey('raw', backupFileKey as BufferSource, 'AES-GCM', false, [use]);
}

/** Encrypts the contents under the backup file key; returns the file's text (JSON). */
export async function sealBackup(contents: BackupContents, backupFileKey: Uint8Array, keyOrigin: KeyOrigin): Promise<string> {
  const header: BackupHeader = { format: BACKUP_FORMAT, version: BACKUP_VERSION, keyOrigin, cipher: CIPHER };
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plaintext = new TextEncoder().encode(JSON.stringify(contents));
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(header) as BufferSource }, await importKey(backupFileKey, 'encrypt'), plaintext);
  const file: BackupFile = { ...header, iv: base64(iv), ciphertext: base64(new Uint8Array(ciphertext)) };
  return JSON.stringify(file, null, 2);
}

/** Reads a file's header, refusing what is not a backup file of a version this wallet knows. */
export function readBackupHeader(text: string): BackupFile {
  let file: Partial<BackupFile>;
  try {
    file = JSON.parse(text) as Partial<BackupFile>;
  } catch {
    throw new BackupFileError('format', 'is not JSON (choose the .json file the wallet downloaded)');
  }
  if (file?.format !== BACKUP_FORMAT) throw new BackupFileError('format', `is not a zkkyc wallet backup (format must be "${BACKUP_FORMAT}")`);
  if (!READABLE_VERSIONS.includes(file.version as BackupHeader['version'])) {
    throw new BackupFileError('format', `version ${String(file.version)} is not one this wallet reads (${READABLE_VERSIONS.join(' or ')})`);
  }
  if (file.cipher !== CIPHER) throw new BackupFileError('format', `cipher must be ${CIPHER}`);
  if (file.version === 1 && !KEY_SCHEMES.includes(file.keyScheme as KeyScheme)) throw new BackupFileError('format', `keyScheme must be one of ${KEY_SCHEMES.join(', ')}`);
  if (file.version !== 1 && 'keyScheme' in file) throw new BackupFileError('format', `keyScheme belongs inside the ciphertext from version ${BACKUP_VERSION} on`);
  if (!KEY_ORIGINS.includes(file.keyOrigin as KeyOrigin)) throw new BackupFileError('format', `keyOrigin must be one of ${KEY_ORIGINS.join(', ')}`);
  return file as BackupFile;
}

/**
 * Decrypts a backup file with the backup file key of the phrase (or key) being restored. A file
 * made by another phrase, or changed since, fails authentication: BackupFileError `key`.
 */
export async function openBackup(text: string, backupFileKey: Uint8Array): Promise<{ header: BackupHeader; contents: BackupContents }> {
  const file = readBackupHeader(text);
  const header: BackupHeader =
    file.version === 1
      ? { format: file.format, version: 1, keyOrigin: file.keyOrigin, keyScheme: file.keyScheme, cipher: file.cipher }
      : { format: file.format, version: file.version, keyOrigin: file.keyOrigin, cipher: file.cipher };
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: unbase64(file.iv, 'iv') as BufferSource, additionalData: additionalData(header) as BufferSource },
      await importKey(backupFileKey, 'decrypt'),
      unbase64(file.ciphertext, 'ciphertext') as BufferSource,
    );
  } catch (err) {
    if (err instanceof BackupFileError) throw err;
    throw new BackupFileError('key', 'was made by another recovery phrase or key, or has been changed since; nothing was restored');
  }
  const contents = JSON.parse(new TextDecoder().decode(plaintext)) as BackupContents;
  if (!KEY_SCHEMES.includes(contents.keyScheme)) throw new BackupFileError('contents', `keyScheme must be one of ${KEY_SCHEMES.join(', ')}`);
  if (header.version === 1 && contents.keyScheme !== header.keyScheme) throw new BackupFileError('contents', 'the key scheme inside differs from its header');
  if (!Number.isInteger(contents.walletCount) || contents.walletCount < 1) throw new BackupFileError('contents', 'walletCount must be a whole number of at least 1');
  if (!Array.isArray(contents.applications) || !Array.isArray(contents.credentials)) throw new BackupFileError('contents', 'applications and credentials must be lists');
  return { header, contents };
}
