/**
 * The holder's wallet: identity → apply → credential → policy check → proof (in a worker) →
 * registration → transfer. Each section is a panel module; this file wires them to one session.
 */
import { loadWalletConfig } from './app-config.js';
import { byId, showNotice } from './ui/dom.js';
import { mountApplyPanel } from './ui/apply-panel.js';
import { mountCredentialPanel } from './ui/credential-panel.js';
import { mountIdentityPanel } from './ui/identity-panel.js';
import { mountOfferPanel } from './ui/offer-panel.js';
import { mountTokenPanel } from './ui/token-panel.js';
import { mountTransferPanel } from './ui/transfer-panel.js';
import type { WalletSession } from './wallet-session.js';

async function start(): Promise<void> {
  let loaded;
  try {
    loaded = await loadWalletConfig();
  } catch (err) {
    showNotice(`The wallet's configuration could not be loaded: ${(err as Error).message}`);
    return;
  }
  let session: WalletSession | null = null;
  const getSession = () => session;
  const sections = ['apply-section', 'credential-section', 'token-section'].map((id) => byId(id));

  const credentials = mountCredentialPanel(getSession, () => void tokens.render());
  const apply = mountApplyPanel(getSession, () => {
    credentials.render();
    void tokens.render();
  });
  mountOfferPanel(getSession, () => {
    credentials.render();
    void tokens.render();
  });
  const tokens = mountTokenPanel(getSession, {
    onRegistered: () => {
      byId('transfer-section').hidden = false;
      void transfer.refreshBalance();
    },
  });
  const transfer = mountTransferPanel(getSession, () => tokens.selectedToken());

  await mountIdentityPanel(
    loaded,
    (s) => {
      session = s;
      for (const section of sections) section.hidden = false;
      apply.render();
      credentials.render();
      void tokens.render();
      // A wallet registered in an earlier visit can transfer right away.
      void transfer.refreshBalance().then(() => {
        if ((byId('token-balance').dataset.raw ?? '0') !== '0') byId('transfer-section').hidden = false;
      });
    },
    () => {
      session = null;
      for (const section of [...sections, byId('transfer-section')]) section.hidden = true;
    },
  );
  document.body.dataset.ready = 'true';
}

void start();
