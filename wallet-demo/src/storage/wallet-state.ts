import type { KeyScheme } from '../identity/holder-identity.js';

/** Where the root key came from: a recovery phrase (every wallet made now) or a hex backup key (before). */
export type KeyOrigin = 'recovery-phrase' | 'backup-key';

/**
 * What the wallet keeps between visits besides its keys; encrypted at rest with the keys (vault.ts),
 * and, without the keys, in the backup file (backup-file.ts).
 */
export interface WalletState {
  version: 1;
  /**
   * How accounts and DIDs derive from the root key (identity/holder-identity.ts). Absent in states
   * written before derived keys: those are `single-key`, so their DID and first account stay.
   */
  keyScheme?: KeyScheme;
  /** Absent in states written before the recovery phrase: those came from a hex key. */
  keyOrigin?: KeyOrigin;
  /** How many accounts the holder has made (absent: 1). */
  walletCount?: number;
  /** Which account registers and transfers now (absent: 0). */
  activeWallet?: number;
  applications: StoredApplication[];
  credentials: StoredCredential[];
}

/**
 * The wallet's secrets, kept as bytes so that locking can overwrite them (see zeroSecrets). They are
 * never part of the JSON the wallet writes.
 */
export interface WalletSecrets {
  /** 32 bytes: accounts, DIDs and the zk identity all derive from it. */
  rootKey: Uint8Array;
  /** 32 bytes: the AES-256-GCM key of the backup file (from the phrase's seed, or from the root key). */
  backupFileKey: Uint8Array;
}

/** The stored form before the vault's format 2: the state and the root key, as hex, in one JSON. */
export interface LegacyStoredState extends WalletState {
  privateKey: string;
}

/** An application sent to an issuer, with the bearer token that reads its results. */
export interface StoredApplication {
  id: string;
  issuerUrl: string;
  accessToken: string;
  status: string;
  submittedAt: string;
}

/** A received credential: the VC plus the leaf opening the issuer released only to the holder. */
export interface StoredCredential {
  id: string;
  applicationId: string;
  issuerUrl: string;
  issuerDid: string;
  vcJwt: string;
  /** Decimal field elements. */
  salt: string;
  leaf: string;
  leafIndex: number;
  treeId: string;
  receivedAt: string;
}

export function emptyWalletState(keyScheme: KeyScheme = 'derived-v1', keyOrigin: KeyOrigin = 'recovery-phrase'): WalletState {
  return { version: 1, keyScheme, keyOrigin, walletCount: 1, activeWallet: 0, applications: [], credentials: [] };
}

/** Overwrites the secrets' bytes with zeros (the arrays stay, empty of meaning). */
export function zeroSecrets(secrets: WalletSecrets): void {
  secrets.rootKey.fill(0);
  secrets.backupFileKey.fill(0);
}

/** The key scheme of a stored state: states from before derived keys are `single-key`. */
export function keySchemeOf(state: WalletState): KeyScheme {
  return state.keyScheme ?? 'single-key';
}

/** Where a stored state's key came from: states from before the recovery phrase came from a hex key. */
export function keyOriginOf(state: WalletState): KeyOrigin {
  return state.keyOrigin ?? 'backup-key';
}
