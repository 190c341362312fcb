import { keepCredential } from '../credentials/keep-credential.js';
import { OfferReceiveError, parseCredentialOffer, receiveThroughOffer } from '../credentials/openid4vci-receiver.js';
import { CredentialMismatchError } from '../credentials/received-credential.js';
import type { WalletSession } from '../wallet-session.js';
import { byId, el, focusResult, say } from './dom.js';
import { offerRefusalInWords } from './plain-words.js';

/**
 * Section 3's "Receive from a credential offer": the holder pastes the offer link an issuer showed
 * (or opens the wallet through one: `?credential_offer=…` fills it in) and the code shown with it;
 * the wallet collects the credential through OpenID4VCI with its own key (openid4vci-receiver.ts).
 */
export function mountOfferPanel(getSession: () => WalletSession | null, onCredentialsChanged: () => void): { lock(): void } {
  const offerField = el('textarea', { id: 'offer-link', rows: '3', spellcheck: 'false', required: '' });
  const codeField = el('input', { id: 'offer-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '16' });
  const status = el('output', { id: 'offer-status', 'aria-live': 'polite' });
  const form = el(
    'form',
    { id: 'offer-form' },
    el('h3', {}, 'Receive from a credential offer'),
    el('label', { for: 'offer-link' }, 'Credential offer link (openid-credential-offer://…)'),
    offerField,
    el('label', { for: 'offer-code' }, 'Code shown with the offer'),
    codeField,
    el('button', { type: 'submit' }, 'Receive credential'),
    status,
  );
  byId('credential-section').append(form);

  // A link that opened the wallet with an offer fills the field in.
  const query = new URLSearchParams(window.location.search);
  for (const name of ['credential_offer', 'credential_offer_uri']) {
    const value = query.get(name);
    if (value) offerField.value = `openid-credential-offer://?${new URLSearchParams({ [name]: value })}`;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const session = getSession();
    if (!session) return;
    const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    submit.disabled = true;
    try {
      say(status, 'Reading the offer…');
      const offer = await parseCredentialOffer(offerField.value);
      say(status, `Proving to ${new URL(offer.credentialIssuer).host} that you hold your key…`);
      session.assertUnlocked();
      const received = await receiveThroughOffer(offer, codeField.value || undefined, await session.didAt(offer.credentialIssuer));
      const { vcJwt, salt, leaf, leafIndex, treeId, issuerDid, issuerUrl, applicationId } = received;
      const kept = await keepCredential(
        session,
        { id: received.credentialId, applicationId, issuerUrl, issuerDid, vcJwt, salt, leaf, leafIndex, treeId, receivedAt: new Date().toISOString() },
        received.status,
      );
      form.reset();
      say(status, kept ? 'Received: the credential is in your wallet.' : 'This credential was already in your wallet.', 'ok');
      onCredentialsChanged();
    } catch (err) {
      if (session.isLocked) return;
      if (err instanceof OfferReceiveError) say(status, offerRefusalInWords(err.code, err.message), 'error');
      else if (err instanceof CredentialMismatchError) say(status, `The issuer sent a credential that is not yours: ${err.message}. Nothing was kept.`, 'error');
      else say(status, (err as Error).message, 'error');
    } finally {
      submit.disabled = false;
      if (!session.isLocked) focusResult(status);
    }
  });

  return {
    /** The wallet locked: the offer link and its code (they collect a credential) leave the page. */
    lock(): void {
      form.reset();
      say(status, '');
    },
  };
}
