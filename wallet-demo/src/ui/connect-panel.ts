import { connectInjectedWallet, InjectedWalletError, type InjectedAccount } from '../chain/injected-wallet.js';
import type { WalletSession } from '../wallet-session.js';
import { byId, say } from './dom.js';

/**
 * "Use a browser wallet": connects an account of a browser wallet the holder already has (EIP-1193,
 * chain/injected-wallet.ts), which then registers and transfers in place of this wallet's own
 * account — the proof names it, and it signs in the browser wallet. "Disconnect" goes back to this
 * wallet's own accounts. With a relayer configured, the section also offers to let the relayer pay
 * the registration fee (automatic for an account holding no ETH).
 */
export function mountConnectPanel(getSession: () => WalletSession | null, onAccountChanged: () => void) {
  const connectButton = byId<HTMLButtonElement>('connect-wallet');
  const disconnectButton = byId<HTMLButtonElement>('disconnect-wallet');
  const connected = byId('connected-account');
  const status = byId('connect-status');
  const relayerChoice = byId('relayer-choice');
  let account: InjectedAccount | undefined;

  function show(): void {
    // Choosing one of the wallet's own accounts (identity panel) ends the connection.
    if (account && !getSession()?.usesExternalAccount) {
      account.release();
      account = undefined;
    }
    connected.hidden = !account;
    byId('connected-address').textContent = account?.address ?? '';
    connectButton.hidden = account !== undefined;
    disconnectButton.hidden = account === undefined;
    relayerChoice.hidden = !getSession()?.loaded.config.relayerUrl;
  }

  /** Back to the wallet's own account; `why` says what happened, when it was not the holder's click. */
  async function disconnect(why?: string): Promise<void> {
    account?.release();
    account = undefined;
    const session = getSession();
    if (session && !session.isLocked) await session.useExternalAccount(undefined);
    show();
    say(status, why ?? 'Disconnected: this wallet’s own account registers and transfers again.', why ? 'error' : 'info');
    onAccountChanged();
  }

  connectButton.addEventListener('click', async () => {
    const session = getSession();
    if (!session) return;
    connectButton.disabled = true;
    say(status, 'Asking the browser wallet for an account…');
    try {
      const expected = session.loaded.deployment.chainId;
      const next = await connectInjectedWallet(Number(expected), {
        accountsChanged: (accounts) => {
          if (!account) return;
          if (accounts[0]?.toLowerCase() !== account.address.toLowerCase()) {
            void disconnect(accounts.length ? 'The browser wallet switched accounts: connect again to use the new one.' : 'The browser wallet disconnected this site.');
          }
        },
        chainChanged: (chainId) => {
          if (account && Number.parseInt(chainId, 16) !== Number(expected))
            void disconnect(`The browser wallet moved to chain ${Number.parseInt(chainId, 16)}; this token is on chain ${expected}. Switch back and connect again.`);
        },
      });
      account = next;
      await session.useExternalAccount({ address: next.address, signer: next.signer });
      show();
      say(status, `Connected ${next.address}: it now registers and transfers, and your proofs name it. Your credentials stay in this wallet.`, 'ok');
      onAccountChanged();
    } catch (err) {
      say(status, err instanceof InjectedWalletError ? err.message : `The browser wallet could not be connected: ${(err as Error).message}`, 'error');
      status.dataset.problem = err instanceof InjectedWalletError ? err.problem : 'error';
    } finally {
      connectButton.disabled = false;
    }
  });
  disconnectButton.addEventListener('click', () => void disconnect());

  return {
    /** Shows the section's state for the current session (after unlock). */
    render: show,
    /** Forgets the connection (the session was locked). */
    reset(): void {
      account?.release();
      account = undefined;
      show();
      say(status, '');
    },
  };
}

/** Whether the holder ticked "Let the relayer pay the fee". */
export function relayerAsked(): boolean {
  const box = document.getElementById('relayer-pays') as HTMLInputElement | null;
  return Boolean(box && !box.closest('[hidden]') && box.checked);
}
