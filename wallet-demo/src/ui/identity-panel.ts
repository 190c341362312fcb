import { autoLockMinutesOf, DEFAULT_AUTO_LOCK_MINUTES, type LoadedConfig } from '../app-config.js';
import { checkRecoveryPhrase, newRecoveryPhrase } from '../identity/recovery-phrase.js';
import { forgetWallet, hasStoredWallet, WrongPassphraseError } from '../storage/vault.js';
import { WalletSession, type KeySource } from '../wallet-session.js';
import { watchInactivity } from './auto-lock.js';
import { byId, el, say, shortHex } from './dom.js';
import { mismatchedPositions, ordinal, positionsToConfirm, WORDS_TO_CONFIRM } from './phrase-confirmation.js';
import { loadStrengthChecker, passphraseStrength, strengthInWords, strengthRefusal } from './passphrase-strength.js';
import { ACCOUNTS_IN_WORDS } from './plain-words.js';
import './identity.css';

const PHRASE_BACKUP_NOTE =
  'Your recovery phrase restores your identity. Your credentials come back from a backup file, which only your phrase opens: download a new one after each credential you receive.';
const KEY_BACKUP_NOTE = 'This wallet was restored from a backup key, so that key (Show backup key) is what restores it. Its backup file, for your credentials, opens only with that key.';

/**
 * Section 1: create (with a recovery phrase the holder confirms), restore (from the phrase, or from
 * a hex backup key for wallets made before, each optionally with a backup file) or unlock the
 * wallet; show what the key stands for (the active wallet address, the DID the issuer sees, the zk
 * identity commitment); add wallets under the same identity; download the encrypted backup; lock,
 * by hand or after `autoLockMinutes` without activity.
 */
export async function mountIdentityPanel(loaded: LoadedConfig, onUnlocked: (session: WalletSession) => void, onLocked: () => void): Promise<void> {
  const status = byId('identity-status');
  const unlockForm = byId<HTMLFormElement>('unlock-form');
  const createForm = byId<HTMLFormElement>('create-form');
  const phraseView = byId('phrase-view');
  const confirmForm = byId<HTMLFormElement>('confirm-phrase-form');
  const view = byId('identity-view');
  const backup = byId('backup-key');
  const showBackup = byId<HTMLButtonElement>('show-backup');
  const accountSelect = byId<HTMLSelectElement>('wallet-account');
  let session: WalletSession | null = null;

  let autoLockMinutes = DEFAULT_AUTO_LOCK_MINUTES;
  try {
    autoLockMinutes = autoLockMinutesOf(loaded.config);
  } catch (err) {
    say(status, `${(err as Error).message}; locking after ${DEFAULT_AUTO_LOCK_MINUTES} minutes instead.`, 'error');
  }
  const inactivity = watchInactivity(autoLockMinutes, () => void lock(`Locked after ${autoLockMinutes} minutes without activity. Enter your passphrase to continue.`));

  const showOnly = (shown: HTMLElement | null) => {
    for (const part of [unlockForm, createForm, phraseView, confirmForm, view]) part.hidden = part !== shown;
  };

  const showForms = async () => {
    const stored = await hasStoredWallet();
    showOnly(stored ? unlockForm : createForm);
    (stored ? byId('unlock-passphrase') : byId('new-passphrase')).focus();
  };

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
    // Only a wallet restored from a hex key has a key to show; a phrase wallet's backup is its phrase.
    showBackup.hidden = s.keyOrigin !== 'backup-key';
    byId('backup-note').textContent = s.keyOrigin === 'backup-key' ? KEY_BACKUP_NOTE : PHRASE_BACKUP_NOTE;
    hideBackupKey();
    // Shown only when filled in, so what a reader (or a test) sees at once is complete.
    showOnly(view);
    inactivity.start();
    onUnlocked(s);
  };

  const hideBackupKey = () => {
    backup.hidden = true;
    backup.textContent = '';
    showBackup.setAttribute('aria-expanded', 'false');
    showBackup.textContent = 'Show backup key';
  };

  /** Locks: the session zeroes its keys and is dropped, every section but this one is hidden and emptied of the identity. */
  const lock = async (message: string) => {
    inactivity.stop();
    session?.lock();
    session = null;
    onLocked();
    for (const section of document.querySelectorAll<HTMLElement>('main > section:not(#identity-section)')) section.hidden = true;
    for (const id of ['identity-address', 'identity-did', 'identity-commitment', 'wallet-account-note']) byId(id).textContent = '';
    accountSelect.replaceChildren();
    hideBackupKey();
    await showForms();
    say(status, message);
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

  // ── Passphrase strength: the meter follows the typing; the dictionaries load on first focus. ──
  const passphraseInput = byId<HTMLInputElement>('new-passphrase');
  const meter = byId<HTMLMeterElement>('passphrase-meter');
  const feedback = byId('passphrase-feedback');
  const showStrength = async () => {
    const typed = passphraseInput.value;
    const strength = await passphraseStrength(typed);
    if (passphraseInput.value !== typed) return; // a later keystroke has its own answer
    meter.value = typed ? strength.score : 0;
    byId('passphrase-score').textContent = typed ? strengthInWords(strength.score) : '';
    meter.dataset.score = String(strength.score);
    feedback.textContent = typed ? [strength.warning, ...strength.suggestions].filter(Boolean).join(' ') || 'Hard to guess.' : '';
  };
  passphraseInput.addEventListener('focus', () => void loadStrengthChecker().catch(() => undefined), { once: true });
  passphraseInput.addEventListener('input', () => void showStrength().catch(() => undefined));

  // ── Create or restore ──
  const mode = () => createForm.querySelector<HTMLInputElement>('input[name="create-mode"]:checked')?.value ?? 'new';
  for (const radio of createForm.querySelectorAll<HTMLInputElement>('input[name="create-mode"]')) {
    radio.addEventListener('change', () => {
      const chosen = mode();
      byId('restore-phrase-field').hidden = chosen !== 'phrase';
      byId('restore-key-field').hidden = chosen !== 'restore';
      byId('restore-file-field').hidden = chosen === 'new';
      byId<HTMLTextAreaElement>('restore-phrase').required = chosen === 'phrase';
      byId<HTMLInputElement>('restore-key').required = chosen === 'restore';
      createForm.querySelector('button[type="submit"]')!.textContent = chosen === 'new' ? 'Create wallet' : 'Restore wallet';
    });
  }

  /** The new passphrase, if it is the same twice and strong enough; otherwise says why and returns null. */
  const acceptedPassphrase = async (): Promise<string | null> => {
    const passphrase = passphraseInput.value;
    if (passphrase !== byId<HTMLInputElement>('new-passphrase-again').value) {
      say(status, 'The two passphrases differ.', 'error');
      return null;
    }
    const refusal = strengthRefusal(await passphraseStrength(passphrase));
    if (refusal) {
      say(status, refusal, 'error');
      passphraseInput.focus();
      return null;
    }
    return passphrase;
  };

  /** A new phrase waiting for its confirmation; nothing is stored until it is confirmed. */
  let pending: { phrase: string; words: string[]; passphrase: string; positions: number[] } | null = null;

  const showPhrase = () => {
    if (!pending) return;
    byId('phrase-words').replaceChildren(...pending.words.map((word, i) => el('li', { 'data-position': String(i + 1) }, word)));
    showOnly(phraseView);
    byId('phrase-heading').focus();
  };

  const forgetPending = () => {
    pending = null;
    byId('phrase-words').replaceChildren();
    confirmForm.reset();
  };

  const restore = async (passphrase: string) => {
    const restoring = mode();
    const file = byId<HTMLInputElement>('restore-file').files?.[0];
    const source: KeySource =
      restoring === 'phrase'
        ? { kind: 'recovery-phrase', phrase: checkRecoveryPhrase(byId<HTMLTextAreaElement>('restore-phrase').value) }
        : { kind: 'backup-key', key: byId<HTMLInputElement>('restore-key').value.trim(), scheme: byId<HTMLInputElement>('restore-single-key').checked ? 'single-key' : 'derived-v1' };
    say(status, file ? 'Restoring your identity and the backup file…' : 'Restoring…');
    const s = await WalletSession.create(loaded, source, passphrase, file ? await file.text() : undefined);
    createForm.reset();
    byId('restore-phrase-field').hidden = byId('restore-key-field').hidden = byId('restore-file-field').hidden = true;
    createForm.querySelector('button[type="submit"]')!.textContent = 'Create wallet';
    const count = s.state.credentials.length;
    say(status, file ? `Wallet restored with ${count} credential${count === 1 ? '' : 's'} from the backup file, each checked again.` : 'Wallet restored. Your identity is the same as before.', 'ok');
    await showIdentity(s);
  };

  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const passphrase = await acceptedPassphrase();
      if (passphrase === null) return;
      if (mode() !== 'new') return await restore(passphrase);
      const phrase = newRecoveryPhrase();
      pending = { phrase, words: phrase.split(' '), passphrase, positions: positionsToConfirm(24) };
      createForm.reset();
      meter.value = 0;
      feedback.textContent = '';
      byId('passphrase-score').textContent = '';
      say(status, '');
      showPhrase();
    } catch (err) {
      say(status, (err as Error).message, 'error');
    }
  });

  byId('phrase-cancel').addEventListener('click', () => {
    forgetPending();
    say(status, 'Nothing was created.');
    showOnly(createForm);
  });

  byId('phrase-written').addEventListener('click', () => {
    if (!pending) return;
    byId('phrase-words').replaceChildren();
    pending.positions.forEach((position, i) => {
      byId(`confirm-word-${i}-label`).textContent = `Word ${position + 1}`;
      byId<HTMLInputElement>(`confirm-word-${i}`).value = '';
    });
    showOnly(confirmForm);
    byId('confirm-heading').focus();
  });

  byId('phrase-show-again').addEventListener('click', showPhrase);

  confirmForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!pending) return;
    const typed = new Map(pending.positions.slice(0, WORDS_TO_CONFIRM).map((position, i) => [position, byId<HTMLInputElement>(`confirm-word-${i}`).value]));
    const wrong = mismatchedPositions(pending.words, typed);
    if (wrong.length > 0) {
      say(
        status,
        `The ${wrong.map((i) => ordinal(i + 1)).join(' and ')} word${wrong.length > 1 ? 's do' : ' does'} not match your recovery phrase. Check your paper, or show the words again. Nothing was stored.`,
        'error',
      );
      byId<HTMLInputElement>(`confirm-word-${pending.positions.indexOf(wrong[0])}`).select();
      return;
    }
    try {
      say(status, 'Creating your wallet…');
      const s = await WalletSession.create(loaded, { kind: 'recovery-phrase', phrase: pending.phrase }, pending.passphrase);
      forgetPending();
      say(status, 'Wallet created. Keep your recovery phrase safe; download a backup file once you have credentials.', 'ok');
      await showIdentity(s);
    } catch (err) {
      say(status, (err as Error).message, 'error');
    }
  });

  // ── Unlock, forget, backup, lock ──
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
        say(status, 'Wrong passphrase: the wallet stays locked. Try again, or restore from your recovery phrase.', 'error');
        input.select();
      } else {
        say(status, (err as Error).message, 'error');
      }
    }
  });

  byId('forget-wallet').addEventListener('click', async () => {
    if (!window.confirm('Delete the wallet stored in this browser? You can restore it only with your recovery phrase (and your credentials only with a backup file).')) return;
    await forgetWallet();
    say(status, 'Stored wallet deleted.');
    await showForms();
  });

  byId('download-backup').addEventListener('click', async () => {
    if (!session) return;
    try {
      const text = await session.backupFile();
      const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      const link = el('a', { href: url, download: `zkkyc-wallet-backup-${new Date().toISOString().slice(0, 10)}.json` });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      const count = session.state.credentials.length;
      say(
        status,
        `Backup file downloaded (${count} credential${count === 1 ? '' : 's'}, encrypted: only your ${session.keyOrigin === 'backup-key' ? 'backup key' : 'recovery phrase'} opens it).`,
        'ok',
      );
    } catch (err) {
      say(status, (err as Error).message, 'error');
    }
  });

  showBackup.addEventListener('click', () => {
    if (!session) return;
    if (!backup.hidden) return hideBackupKey();
    backup.hidden = false;
    backup.textContent = `Backup key — keep it secret, it controls your wallets and identity: ${session.backupKeyHex()}`;
    showBackup.setAttribute('aria-expanded', 'true');
    showBackup.textContent = 'Hide backup key';
  });

  byId('lock-wallet').addEventListener('click', () => void lock('Locked. The wallet’s keys were cleared from this page.'));

  await showForms();
}
