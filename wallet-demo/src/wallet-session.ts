import { IssuerClient } from '@zkkyc/sdk';
import type { LoadedConfig } from './app-config.js';
import { connectChain, type ChainConnection } from './chain/chain-connection.js';
import { openCredential, type OpenedCredential } from './credentials/received-credential.js';
import { holderIdentityFromKey, type HolderIdentity } from './identity/holder-identity.js';
import { loadWallet, saveWallet } from './storage/vault.js';
import { emptyWalletState, type WalletState } from './storage/wallet-state.js';

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
    readonly identity: HolderIdentity,
  ) {}

  /** Creates (or restores from a backup key) a wallet and stores it encrypted. */
  static async create(loaded: LoadedConfig, privateKey: string, passphrase: string): Promise<WalletSession> {
    const identity = await holderIdentityFromKey(privateKey);
    const session = new WalletSession(loaded, emptyWalletState(identity.wallet.privateKey), passphrase, identity);
    await session.save();
    return session;
  }

  /** Opens the stored wallet; throws WrongPassphraseError when the passphrase does not decrypt it. */
  static async unlock(loaded: LoadedConfig, passphrase: string): Promise<WalletSession> {
    const state = await loadWallet(passphrase);
    const session = new WalletSession(loaded, state, passphrase, await holderIdentityFromKey(state.privateKey));
    for (const stored of state.credentials) {
      try {
        session.opened.set(stored.id, await openCredential(stored, session.identity));
      } catch {
        // A credential that no longer verifies is kept on disk but not offered for proving.
      }
    }
    return session;
  }

  save(): Promise<void> {
    return saveWallet(this.state, this.passphrase);
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
