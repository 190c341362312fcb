/** What the wallet keeps between visits; the whole object is encrypted at rest (see vault.ts). */
export interface WalletState {
  version: 1;
  /** The holder key: account, did:key and zk identity all derive from it. */
  privateKey: string;
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

export function emptyWalletState(privateKey: string): WalletState {
  return { version: 1, privateKey, applications: [], credentials: [] };
}
