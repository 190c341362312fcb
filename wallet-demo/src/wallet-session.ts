import { IssuerClient } from '@zkkyc/sdk';
import { getBytes, type Signer } from 'ethers';
import type { LoadedConfig } from './app-config.js';
import { connectChain, type ChainConnection } from './chain/chain-connection.js';
import { openCredential, type OpenedCredential } from './credentials/received-credential.js';
import { accountAddresses, holderIdentityFromKey, type HolderIdentity, type KeyScheme } from './identity/holder-identity.js';
import { backupFileKeyFromRootKey, keysFromRecoveryPhrase } from './identity/recovery-phrase.js';
import { BackupFileError, openBackup, sealBackup } from './storage/backup-file.js';
import { browserVaultStore, newVaultKey, openVault, saveWallet, type VaultKey, type VaultStore } from './storage/vault.js';
import { emptyWalletState, keyOriginOf, keySchemeOf, zeroSecrets, type KeyOrigin, type WalletSecrets, type WalletState } from './storage/wallet-state.js';

/** Where a wallet being created or restored gets its root key. */
export type KeySource =
  | { kind: 'recovery-phrase'; phrase: string }
  /** A hex backup key (wallets made before the phrase); `scheme` is read from the backup file when one is given. */
  | { kind: 'backup-key'; key: string; scheme: KeyScheme };

/** The session was locked: nothing more is read or written through it. */
export class WalletLockedError extends Error {
  constructor() {
    super('the wallet is locked: unlock it to continue');
    this.name = 'WalletLockedError';
  }
}

/**
 * An unlocked wallet: the decrypted state, the identity derived from its key, and connections to
 * the issuer and the chain. Every change goes back to IndexedDB encrypted under the vault key made
 * from the passphrase at unlock (a non-extractable Web Crypto key; the passphrase is not kept).
 *
 * {@link lock} overwrites the root key and backup file key bytes and drops everything else. What it
 * cannot wipe: JavaScript strings and bigints are immutable and freed only by the garbage collector
 * — the hex forms of keys handed to ethers and the SDK, the private key strings inside ethers'
 * Wallet objects (the active account, the DID keys), the identity secret. The session lets go of
 * them all, so they become unreachable, but their memory is reused when the engine decides.
 */
export class WalletSession {
  private chainConnection: Promise<ChainConnection> | undefined;
  /** Credentials that passed openCredential, by id. */
  readonly opened = new Map<string, OpenedCredential>();
  /** Last known status from the issuer (active / revoked / expired), by credential id. */
  readonly credentialStatus = new Map<string, string>();
  private locked = false;
  /** A browser wallet's account (EIP-1193) standing in for the active account: see {@link useExternalAccount}. */
  private external: { address: string; signer: Signer } | undefined;

  private constructor(
    readonly loaded: LoadedConfig,
    public state: WalletState,
    private readonly secrets: WalletSecrets,
    private vaultKey: VaultKey | null,
    /** The identity with the active account; replaced by {@link useWallet}. */
    public identity: HolderIdentity,
    private readonly store: VaultStore,
  ) {}

  /**
   * Creates a wallet from a new recovery phrase, or restores one from a phrase or a hex backup key,
   * and stores it encrypted with `passphrase`. With `backupFile` (the text of a downloaded backup)
   * the file must open with the phrase's (or key's) backup file key, and every credential in it
   * must verify for the restored identity (openCredential); otherwise this throws and nothing is
   * stored. A hex key takes the key scheme the file names.
   */
  static async create(loaded: LoadedConfig, source: KeySource, passphrase: string, backupFile?: string, store: VaultStore = browserVaultStore): Promise<WalletSession> {
    let secrets: WalletSecrets;
    let scheme: KeyScheme;
    let origin: KeyOrigin;
    if (source.kind === 'recovery-phrase') {
      secrets = await keysFromRecoveryPhrase(source.phrase);
      scheme = 'derived-v1';
      origin = 'recovery-phrase';
    } else {
      await holderIdentityFromKey(source.key, source.scheme); // refuses, naming it, what is not a key
      const rootKey = getBytes(source.key.trim());
      secrets = { rootKey, backupFileKey: await backupFileKeyFromRootKey(rootKey) };
      scheme = source.scheme;
      origin = 'backup-key';
    }
    try {
      const state = emptyWalletState(scheme, origin);
      const restored = backupFile === undefined ? undefined : await openBackup(backupFile, secrets.backupFileKey);
      if (restored) {
        if (restored.header.keyOrigin !== origin)
          throw new BackupFileError('key', `was made by a wallet restored from a ${restored.header.keyOrigin === 'recovery-phrase' ? 'recovery phrase' : 'hex backup key'}; restore it the same way`);
        state.keyScheme = restored.contents.keyScheme;
        state.walletCount = restored.contents.walletCount;
        state.applications = restored.contents.applications;
        state.credentials = restored.contents.credentials;
      }
      const identity = await holderIdentityFromKey(secrets.rootKey, keySchemeOf(state), 0);
      const session = new WalletSession(loaded, state, secrets, await newVaultKey(passphrase), identity, store);
      for (const stored of state.credentials) {
        try {
          session.opened.set(stored.id, await openCredential(stored, await session.holderFor(stored.issuerDid)));
        } catch (err) {
          throw new BackupFileError('contents', `credential ${stored.id} does not belong to this identity (${(err as Error).message}); nothing was restored`);
        }
      }
      await session.save();
      return session;
    } catch (err) {
      zeroSecrets(secrets);
      throw err;
    }
  }

  /** Opens the stored wallet; throws WrongPassphraseError when the passphrase does not decrypt it. */
  static async unlock(loaded: LoadedConfig, passphrase: string, store: VaultStore = browserVaultStore): Promise<WalletSession> {
    const { state, secrets, vaultKey } = await openVault(passphrase, store);
    // A record from before the vault kept a backup file key: this is a hex-key wallet.
    if (secrets.backupFileKey.length === 0) secrets.backupFileKey = await backupFileKeyFromRootKey(secrets.rootKey);
    const identity = await holderIdentityFromKey(secrets.rootKey, keySchemeOf(state), state.activeWallet ?? 0);
    const session = new WalletSession(loaded, state, secrets, vaultKey, identity, store);
    for (const stored of state.credentials) {
      try {
        session.opened.set(stored.id, await openCredential(stored, await session.holderFor(stored.issuerDid)));
      } catch {
        // A credential that no longer verifies is kept on disk but not offered for proving.
      }
    }
    return session;
  }

  get isLocked(): boolean {
    return this.locked;
  }

  /**
   * Throws WalletLockedError once the session is locked. A flow (register, transfer, apply) may
   * resume after a lock — an await that was in progress returns — so it calls this right before
   * each signature or send: a locked session signs nothing, through its own keys or a browser wallet.
   */
  assertUnlocked(): void {
    if (this.locked) throw new WalletLockedError();
  }

  save(): Promise<void> {
    if (this.locked || !this.vaultKey) return Promise.reject(new WalletLockedError());
    return saveWallet(this.vaultKey, this.state, this.secrets, this.store);
  }

  /**
   * Locks: zeroes the root key and backup file key, drops the vault key, the identity's keys, the
   * opened credentials and the chain connection. The session is unusable afterwards (save throws
   * WalletLockedError); unlocking makes a new one.
   */
  lock(): void {
    if (this.locked) return;
    this.locked = true;
    zeroSecrets(this.secrets);
    this.vaultKey = null;
    this.external = undefined;
    this.close();
    this.opened.clear();
    this.credentialStatus.clear();
    this.identity = lockedIdentity(this.identity);
  }

  /** Where the root key came from: it decides what the holder backs up (the phrase, or the hex key). */
  get keyOrigin(): KeyOrigin {
    return keyOriginOf(this.state);
  }

  /** The hex root key, for a wallet restored from one (it has no phrase). Shown on request only. */
  backupKeyHex(): string {
    if (this.locked) throw new WalletLockedError();
    if (this.keyOrigin !== 'backup-key') throw new Error('backup key: this wallet is backed up by its recovery phrase');
    return `0x${Array.from(this.secrets.rootKey, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  }

  /** The encrypted backup file (text) of what the phrase alone does not restore: credentials, applications, accounts. */
  backupFile(now = new Date()): Promise<string> {
    if (this.locked) return Promise.reject(new WalletLockedError());
    return sealBackup(
      { keyScheme: keySchemeOf(this.state), walletCount: this.state.walletCount ?? 1, applications: this.state.applications, credentials: this.state.credentials, createdAt: now.toISOString() },
      this.secrets.backupFileKey,
      this.keyOrigin,
    );
  }

  /** What a credential from `issuerDid` must name: this wallet's DID for that issuer and its identity. */
  async holderFor(issuerDid: string): Promise<{ did: string; identityCommitment: bigint }> {
    return { did: (await this.identity.didFor(issuerDid)).did, identityCommitment: this.identity.identityCommitment };
  }

  /**
   * The DID (and its key) this wallet shows the issuer at `url`: the DID is derived for the issuer's
   * own DID, which its /health names. Throws, in words, if it does not.
   */
  async didAt(url = this.loaded.config.issuerUrl): Promise<{ did: string; privateKey: string; issuerDid: string }> {
    const { issuerDid } = await this.issuer(url).health();
    if (!issuerDid) throw new Error(`the issuer at ${new URL(url).host} does not say which DID it has, and this wallet shows each issuer its own DID`);
    return { ...(await this.identity.didFor(issuerDid)), issuerDid };
  }

  /** The DID this wallet shows the configured issuer (asks the issuer for its DID; undefined if it does not say). */
  async didForConfiguredIssuer(): Promise<string | undefined> {
    const { issuerDid } = await this.issuer().health();
    return issuerDid ? (await this.identity.didFor(issuerDid)).did : undefined;
  }

  /** The addresses of every account of this identity, in order. */
  accounts(): Promise<string[]> {
    if (this.locked) return Promise.reject(new WalletLockedError());
    return accountAddresses(this.secrets.rootKey, keySchemeOf(this.state), this.state.walletCount ?? 1);
  }

  /**
   * Makes account `index` the active one (registering and transferring use it); `index` equal to
   * the number of accounts adds a new one. Nothing is sent anywhere: the account is derived from
   * the root key, and the credentials (same identity) prove for it as they are.
   */
  async useWallet(index: number): Promise<void> {
    const count = this.state.walletCount ?? 1;
    if (!Number.isInteger(index) || index < 0 || index > count) throw new Error(`account: must be one of this wallet's ${count} accounts, or ${count} to add one`);
    if (this.locked) throw new WalletLockedError();
    this.identity = await holderIdentityFromKey(this.secrets.rootKey, keySchemeOf(this.state), index);
    this.external = undefined;
    this.state.walletCount = Math.max(count, index + 1);
    this.state.activeWallet = index;
    this.close();
    await this.save();
  }

  issuer(url = this.loaded.config.issuerUrl): IssuerClient {
    return new IssuerClient(url);
  }

  /**
   * Makes a browser wallet's account (chain/injected-wallet.ts) the one that registers and transfers
   * — `identity.address` becomes it, so proofs name it, and it signs through its own wallet — or,
   * with undefined, this wallet's own active account again. The zk identity stays this wallet's.
   */
  async useExternalAccount(account: { address: string; signer: Signer } | undefined): Promise<void> {
    if (this.locked) throw new WalletLockedError();
    const own = await holderIdentityFromKey(this.secrets.rootKey, keySchemeOf(this.state), this.state.activeWallet ?? 0);
    this.identity = account ? { ...own, address: account.address } : own;
    this.external = account;
    this.close();
  }

  /** Whether a browser wallet's account is the active one (it pays its own gas; the dev operator does not fund it). */
  get usesExternalAccount(): boolean {
    return this.external !== undefined;
  }

  /** The chain connection, made on first use; a failed attempt is retried next time. */
  chain(): Promise<ChainConnection> {
    if (this.locked) return Promise.reject(new WalletLockedError());
    if (!this.chainConnection) {
      const { config, deployment } = this.loaded;
      this.chainConnection = connectChain(config.rpcUrl, deployment, this.external?.signer ?? this.identity.wallet);
      this.chainConnection.catch(() => (this.chainConnection = undefined));
    }
    return this.chainConnection;
  }

  close(): void {
    void this.chainConnection?.then(
      (c) => c.provider.destroy(),
      () => undefined,
    );
    this.chainConnection = undefined;
  }
}

/** The identity a locked session keeps: its public parts, and nothing that signs or proves. */
function lockedIdentity(identity: HolderIdentity): HolderIdentity {
  const refuse = () => {
    throw new WalletLockedError();
  };
  return {
    scheme: identity.scheme,
    walletIndex: identity.walletIndex,
    address: identity.address,
    identityCommitment: identity.identityCommitment,
    get wallet(): never {
      return refuse();
    },
    get identitySecret(): never {
      return refuse();
    },
    didFor: async () => refuse(),
  };
}
