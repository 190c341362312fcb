/**
 * The holder's wallet, as a guided flow: identity → verify with an issuer (apply, receive the
 * credential) → choose a token (its rules checked against the credential) → register (prove in a
 * worker, review, send) → transfer. Each step is a panel module; this file wires them to one
 * session and keeps the step indicator on the step the holder is at.
 */
import { loadWalletConfig } from './app-config.js';
import { byId, enableCopyButtons, showNotice } from './ui/dom.js';
import { cancelOpenReviews } from './ui/review-dialog.js';
import { mountApplyPanel } from './ui/apply-panel.js';
import { mountConnectPanel } from './ui/connect-panel.js';
import { mountCredentialPanel } from './ui/credential-panel.js';
import { currentStep, mountGuidedFlow, type Progress } from './ui/guided-flow.js';
import { mountIdentityPanel } from './ui/identity-panel.js';
import { mountOfferPanel } from './ui/offer-panel.js';
import { mountTokenPanel } from './ui/token-panel.js';
import { mountTransferPanel } from './ui/transfer-panel.js';
import type { WalletSession } from './wallet-session.js';

async function start(): Promise<void> {
  const flow = mountGuidedFlow();
  flow.show(1);
  enableCopyButtons();
  let loaded;
  try {
    loaded = await loadWalletConfig();
  } catch (err) {
    showNotice(`The wallet's configuration could not be loaded: ${(err as Error).message}`);
    return;
  }
  let session: WalletSession | null = null;
  const getSession = () => session;
  const sections = ['connect-section', 'apply-section', 'credential-section', 'token-section'].map((id) => byId(id));
  const progress: Progress = { unlocked: false, hasCredential: false, tokenChosen: false, eligible: false, verified: false };
  const showStep = () => flow.show(currentStep({ ...progress, unlocked: session !== null, hasCredential: (session?.opened.size ?? 0) > 0 }));

  const credentials = mountCredentialPanel(getSession, () => void tokens.render());
  const apply = mountApplyPanel(getSession, () => {
    credentials.render();
    void tokens.render();
    showStep();
  });
  const offer = mountOfferPanel(getSession, () => {
    credentials.render();
    void tokens.render();
    showStep();
  });
  const transferSection = byId('transfer-section');
  const tokens = mountTokenPanel(getSession, {
    onRegistered: () => {
      transferSection.hidden = false;
      void transfer.refreshBalance();
    },
    onProgress: (p) => {
      Object.assign(progress, { tokenChosen: p.token !== undefined, eligible: p.eligible, verified: p.verified });
      showStep();
      // Transfers are for a wallet verified for the token, or one still holding some of it.
      if (p.verified) transferSection.hidden = false;
      void transfer.refreshBalance().then(() => {
        // Read again: a registration may have landed while the balance was being read.
        if (!progress.verified) transferSection.hidden = !p.token || (byId('token-balance').dataset.raw ?? '0') === '0';
      });
    },
  });
  const transfer = mountTransferPanel(getSession, () => tokens.selectedToken());
  // A connected browser wallet's account replaces the active account: re-read what depends on it.
  const connect = mountConnectPanel(getSession, () => {
    void tokens.render();
    void transfer.refreshBalance();
  });

  await mountIdentityPanel(
    loaded,
    (s) => {
      session = s;
      for (const section of sections) section.hidden = false;
      apply.render();
      credentials.render();
      connect.render();
      void tokens.render();
      showStep();
    },
    () => {
      session = null;
      // Nothing reviewed before the lock may be signed after it; a flow still running stops at its
      // next signature (WalletSession.assertUnlocked). Every panel is emptied, not just hidden: a
      // hidden element's text is still in the page, and the proving worker's memory holds the last
      // witness. Unlocking renders them again from the new session.
      cancelOpenReviews();
      tokens.lock();
      transfer.lock();
      credentials.lock();
      apply.lock();
      offer.lock();
      connect.reset();
      showNotice(null);
      Object.assign(progress, { tokenChosen: false, eligible: false, verified: false });
      for (const section of [...sections, transferSection]) section.hidden = true;
      showStep();
    },
  );
  document.body.dataset.ready = 'true';
}

void start();
