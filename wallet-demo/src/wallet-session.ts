import { Wallet } from 'ethers';
import { IssuerClient } from '@zkkyc/sdk';
import type { LoadedConfig } from './app-config.js';
import { connectChain, type ChainConnection } from './chain/chain-connection.js';
import { openCredential, type OpenedCredential } from './credentials/received-credential.js';
import { accountAddresses, holderIdentityFromKey, type HolderIdentity, type KeyScheme } from './identity/holder-identity.js';
import { loadWallet, saveWallet } from './storage/vault.js';
import { emptyWalletState, keySchemeOf, type WalletState } from './storage/wallet-state.js';

/**
 * An unlocked wallet: the decrypted state, the identity derived from its key, and connections to
 * the issuer and the chain. Every change goes back to IndexedDB encrypted with the passphrase the
 * holder unlocked with (kept only in this page's memory).
 */
export class WalletSession {
  private chainConnection: Promise<ChainConnection> | undefined;
  /** Credentials that passed openCredential, by id. */
  readonly opened = new Map<string, OpenedCredential>();
  /** Last known status from the issuer (active / revoked / expired), by credential id. */
  readonly credentialStatus = new Map<string, string>();

  private constructor(
    readonly loaded: LoadedConfig,
    public state: WalletState,
    private readonly passphrase: string,
    /** The identity with the active account; replaced by {@link useWallet}. */
    public identity: HolderIdentity,
  ) {}

  /**
   * Creates (or restores from a backup key) a wallet and stores it encrypted. `scheme`
   * `single-key` restores a backup made before derived keys (its DID and first account are the
   * key's own).
   */
  static async create(loaded: LoadedConfig, privateKey: string, passphrase: string, scheme: KeyScheme = 'derived-v1'): Promise<WalletSession> {
    const identity = await holderIdentityFromKey(privateKey, scheme);
    const session = new WalletSession(loaded, emptyWalletState(new Wallet(privateKey.trim()).privateKey, scheme), passphrase, identity);
    await session.save();
    return session;
  }

  /** Opens the stored wallet; throws WrongPassphraseError when the passphrase does not decrypt it. */
  static async unlock(loaded: LoadedConfig, passphrase: string): Promise<WalletSession> {
    const state = await loadWallet(passphrase);
    const session = new WalletSession(loaded, state, passphrase, await holderIdentityFromKey(state.privateKey, keySchemeOf(state), state.activeWallet ?? 0));
    for (const stored of state.credentials) {
      try {
        session.opened.set(stored.id, await openCredential(stored, await session.holderFor(stored.issuerDid)));
      } catch {
        // A credential that no longer verifies is kept on disk but not offered for proving.
      }
    }
    return session;
  }

  save(): Promise<void> {
    return saveWallet(this.state, this.passphrase);
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
    return accountAddresses(this.state.privateKey, keySchemeOf(this.state), this.state.walletCount ?? 1);
  }

  /**
   * Makes account `index` the active one (registering and transferring use it); `index` equal to
   * the number of accounts adds a new one. Nothing is sent anywhere: the account is derived from
   * the root key, and the credentials (same identity) prove for it as they are.
   */
  async useWallet(index: number): Promise<void> {
    const count = this.state.walletCount ?? 1;
    if (!Number.isInteger(index) || index < 0 || index > count) throw new Error(`account: must be one of this wallet's ${count} accounts, or ${count} to add one`);
    this.identity = await holderIdentityFromKey(this.state.privateKey, keySchemeOf(this.state), index);
    this.state.walletCount = Math.max(count, index + 1);
    this.state.activeWallet = index;
    this.close();
    await this.save();
  }

  issuer(url = this.loaded.config.issuerUrl): IssuerClient {
    return new IssuerClient(url);
  }

  /** The chain connection, made on first use; a failed attempt is retried next time. */
  chain(): Promise<ChainConnection> {
    if (!this.chainConnection) {
      const { config, deployment } = this.loaded;
      this.chainConnection = connectChain(config.rpcUrl, deployment, this.identity.wallet);
      this.chainConnection.catch(() => (this.chainConnection = undefined));
    }
    return this.chainConnection;
  }

  close(): void {
    void this.chainConnection?.then((c) => c.provider.destroy(), () => undefined);
    this.chainConnection = undefined;
  }
}
