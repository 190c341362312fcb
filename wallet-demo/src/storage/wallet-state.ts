import type { KeyScheme } from '../identity/holder-identity.js';

/** What the wallet keeps between visits; the whole object is encrypted at rest (see vault.ts). */
export interface WalletState {
  version: 1;
  /** The holder's root key (the backup key): accounts, DIDs and zk identity all derive from it. */
  privateKey: string;
  /**
   * How accounts and DIDs derive from the root key (identity/holder-identity.ts). Absent in states
   * written before derived keys: those are `single-key`, so their DID and first account stay.
   */
  keyScheme?: KeyScheme;
  /** How many accounts the holder has made (absent: 1). */
  walletCount?: number;
  /** Which account registers and transfers now (absent: 0). */
  activeWallet?: number;
  applications: StoredApplication[];
  credentials: StoredCredential[];
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

export function emptyWalletState(privateKey: string, keyScheme: KeyScheme = 'derived-v1'): WalletState {
  return { version: 1, privateKey, keyScheme, walletCount: 1, activeWallet: 0, applications: [], credentials: [] };
}

/** The key scheme of a stored state: states from before derived keys are `single-key`. */
export function keySchemeOf(state: WalletState): KeyScheme {
  return state.keyScheme ?? 'single-key';
}
