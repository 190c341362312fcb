import type { LoadedConfig } from '../app-config.js';
import { newHolderKey } from '../identity/holder-identity.js';
import { forgetWallet, hasStoredWallet, WrongPassphraseError } from '../storage/vault.js';
import { WalletSession } from '../wallet-session.js';
import { byId, el, say, shortHex } from './dom.js';
import { ACCOUNTS_IN_WORDS } from './plain-words.js';

/**
 * Section 1: create, restore or unlock the wallet, and show what the key stands for (the active
 * wallet address, the DID the issuer sees, the zk identity commitment) with a way to reveal the
 * backup key and to add another wallet under the same identity.
 */
export async function mountIdentityPanel(loaded: LoadedConfig, onUnlocked: (session: WalletSession) => void, onLocked: () => void): Promise<void> {
  const status = byId('identity-status');
  const unlockForm = byId<HTMLFormElement>('unlock-form');
  const createForm = byId<HTMLFormElement>('create-form');
  const view = byId('identity-view');
  const restoreField = byId('restore-key-field');
  const backup = byId('backup-key');
  const showBackup = byId<HTMLButtonElement>('show-backup');
  let session: WalletSession | null = null;

  const showForms = async () => {
    const stored = await hasStoredWallet();
    unlockForm.hidden = !stored;
    createForm.hidden = stored;
    view.hidden = true;
    (stored ? byId('unlock-passphrase') : byId('new-passphrase')).focus();
  };

  const accountSelect = byId<HTMLSelectElement>('wallet-account');

  /** The active wallet, the list of wallets, and the DID the configured issuer sees. */
  const showAccounts = async (s: WalletSession) => {
    byId('identity-address').textContent = s.identity.address;
    const accounts = await s.accounts();
    accountSelect.replaceChildren(...accounts.map((address, i) => el('option', { value: String(i) }, `Wallet ${i + 1}: ${address}`)));
    accountSelect.value = String(s.identity.walletIndex);
    byId('wallet-account-note').textContent = accounts.length > 1 ? ACCOUNTS_IN_WORDS : '';
  };

  const showIdentity = async (s: WalletSession) => {
    session = s;
    byId('identity-commitment').textContent = shortHex(s.identity.identityCommitment.toString(), 16);
    await showAccounts(s);
    // The DID depends on the issuer (one per issuer), so the issuer is asked for its own DID first.
    const did = await s.didForConfiguredIssuer().catch(() => undefined);
    byId('identity-did').textContent = did ?? 'made for each issuer when you apply (the issuer is not reachable now)';
    // Shown only when filled in, so what a reader (or a test) sees at once is complete.
    unlockForm.hidden = true;
    createForm.hidden = true;
    view.hidden = false;
    backup.hidden = true;
    showBackup.setAttribute('aria-expanded', 'false');
    showBackup.textContent = 'Show backup key';
    onUnlocked(s);
  };

  accountSelect.addEventListener('change', async () => {
    if (!session) return;
    await session.useWallet(Number(accountSelect.value));
    await showAccounts(session);
    say(status, `Wallet ${session.identity.walletIndex + 1} is now the one that registers and transfers.`, 'ok');
    onUnlocked(session);
  });

  byId('add-wallet').addEventListener('click', async () => {
    if (!session) return;
    try {
      await session.useWallet(session.state.walletCount ?? 1);
      await showAccounts(session);
      say(status, `Wallet ${session.identity.walletIndex + 1} added: register it for a token with the credential you already have. The issuer is not told.`, 'ok');
      onUnlocked(session);
    } catch (err) {
      say(status, (err as Error).message, 'error');
    }
  });

  for (const radio of createForm.querySelectorAll<HTMLInputElement>('input[name="create-mode"]')) {
    radio.addEventListener('change', () => {
      const restoring = radio.value === 'restore' && radio.checked;
      restoreField.hidden = !restoring;
      byId<HTMLInputElement>('restore-key').required = restoring;
      createForm.querySelector('button[type="submit"]')!.textContent = restoring ? 'Restore wallet' : 'Create wallet';
    });
  }

  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const passphrase = byId<HTMLInputElement>('new-passphrase').value;
    if (passphrase !== byId<HTMLInputElement>('new-passphrase-again').value) {
      return say(status, 'The two passphrases differ.', 'error');
    }
    const restoring = createForm.querySelector<HTMLInputElement>('input[name="create-mode"]:checked')?.value === 'restore';
    const key = restoring ? byId<HTMLInputElement>('restore-key').value.trim() : newHolderKey();
    try {
      say(status, restoring ? 'Restoring…' : 'Creating your key…');
      const singleKey = restoring && byId<HTMLInputElement>('restore-single-key').checked;
      const s = await WalletSession.create(loaded, key, passphrase, singleKey ? 'single-key' : 'derived-v1');
      createForm.reset();
      restoreField.hidden = true;
      say(status, restoring ? 'Wallet restored. Your identity is the same as before.' : 'Wallet created. Back up your key (Show backup key) before you rely on it.', 'ok');
      await showIdentity(s);
    } catch (err) {
      say(status, (err as Error).message, 'error');
    }
  });

  unlockForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('unlock-passphrase');
    try {
      say(status, 'Unlocking…');
      const s = await WalletSession.unlock(loaded, input.value);
      input.value = '';
      say(status, `Unlocked: ${s.state.credentials.length} credential(s).`, 'ok');
      await showIdentity(s);
    } catch (err) {
      if (err instanceof WrongPassphraseError) {
        say(status, 'Wrong passphrase: the wallet stays locked. Try again, or restore from your backup key.', 'error');
        input.select();
      } else {
        say(status, (err as Error).message, 'error');
      }
    }
  });

  byId('forget-wallet').addEventListener('click', async () => {
    if (!window.confirm('Delete the wallet stored in this browser? You can restore it only with your backup key.')) return;
    await forgetWallet();
    say(status, 'Stored wallet deleted.');
    await showForms();
  });

  showBackup.addEventListener('click', () => {
    if (!session) return;
    const reveal = backup.hidden;
    backup.hidden = !reveal;
    backup.textContent = reveal ? `Backup key — keep it secret, it controls your wallets and identity: ${session.state.privateKey}` : '';
    showBackup.setAttribute('aria-expanded', String(reveal));
    showBackup.textContent = reveal ? 'Hide backup key' : 'Show backup key';
  });

  byId('lock-wallet').addEventListener('click', async () => {
    session?.close();
    session = null;
    onLocked();
    say(status, 'Locked.');
    await showForms();
  });

  await showForms();
}
