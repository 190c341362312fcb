import { INVESTOR_CLASSES, JURISDICTIONS } from '@zkkyc/credentials';
import { IssuerApiError, signDidChallenge } from '@zkkyc/sdk';
import { keepCredential } from '../credentials/keep-credential.js';
import { parseCredentialOffer, receiveThroughOffer } from '../credentials/openid4vci-receiver.js';
import type { StoredApplication } from '../storage/wallet-state.js';
import type { WalletSession } from '../wallet-session.js';
import { byId, el, focusResult, say, showNotice } from './dom.js';
import { explainIssuerError } from './issuer-errors.js';
import { countryName, statusInWords } from './plain-words.js';

const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/**
 * Section 2: apply to the issuer (challenge → DID-signed JWT → application with the identity
 * commitment), follow the application, and collect the credential once it is approved.
 */
export function mountApplyPanel(getSession: () => WalletSession | null, onCredentialsChanged: () => void): { render(): void; lock(): void } {
  const form = byId<HTMLFormElement>('apply-form');
  const status = byId('apply-status');
  const list = byId('application-list');

  const select = byId<HTMLSelectElement>('apply-jurisdiction');
  const options = JURISDICTIONS.map((code) => ({ code, name: countryName(code) })).sort((a, b) => a.name.localeCompare(b.name));
  select.append(el('option', { value: '' }, 'Choose…'), ...options.map((o) => el('option', { value: o.code }, o.name)));
  const classes = byId('apply-classes');
  for (const c of INVESTOR_CLASSES) {
    const hintId = `investor-class-${c.id}-hint`;
    classes.append(
      el(
        'div',
        { class: 'choice' },
        el('label', { class: 'inline' }, el('input', { type: 'checkbox', name: 'investor-class', value: c.id, 'aria-describedby': hintId }), c.label),
        el('span', { id: hintId, class: 'hint' }, c.description),
      ),
    );
  }

  /**
   * Collects an approved application's credential, checks it, and keeps it: through OpenID4VCI
   * (the wallet asks for the offer with its application token, then proves its key to the
   * credential endpoint), or — from an issuer without OpenID4VCI — by reading it with the token.
   */
  async function receive(session: WalletSession, app: StoredApplication, credentialId: string): Promise<void> {
    if (session.state.credentials.some((c) => c.id === credentialId)) return;
    const issuer = session.issuer(app.issuerUrl).withAccessToken(app.accessToken);
    const receivedAt = new Date().toISOString();
    let offer;
    try {
      offer = await issuer.credentialOffer(app.id);
    } catch (err) {
      if (!(err instanceof IssuerApiError && err.code === 'route_not_found')) throw err;
      const issued = await issuer.credential(credentialId);
      const stored = {
        id: issued.id,
        applicationId: app.id,
        issuerUrl: app.issuerUrl,
        issuerDid: issued.issuerDid,
        vcJwt: issued.vc,
        salt: issued.salt,
        leaf: issued.leaf,
        leafIndex: issued.leafIndex,
        treeId: issued.treeId,
        receivedAt,
      };
      if (await keepCredential(session, stored, issued.status)) onCredentialsChanged();
      return;
    }
    const received = await receiveThroughOffer(await parseCredentialOffer(offer.credentialOfferUri), offer.txCode, await session.didAt(app.issuerUrl));
    const { vcJwt, salt, leaf, leafIndex, treeId, issuerDid } = received;
    const stored = { id: received.credentialId, applicationId: app.id, issuerUrl: app.issuerUrl, issuerDid, vcJwt, salt, leaf, leafIndex, treeId, receivedAt };
    if (await keepCredential(session, stored, received.status)) onCredentialsChanged();
  }

  async function refresh(session: WalletSession, app: StoredApplication): Promise<void> {
    try {
      const view = await session.issuer(app.issuerUrl).withAccessToken(app.accessToken).application(app.id);
      showNotice(null);
      app.status = view.status;
      await session.save();
      if (view.status === 'approved' && view.credentialId) {
        await receive(session, app, view.credentialId);
        say(status, 'Approved: your credential is in the wallet. Next, choose a token (step 3).', 'ok');
      } else if (view.status === 'rejected') {
        const reason = view.decisions?.find((d) => d.action === 'reject')?.reason;
        say(status, `The issuer rejected the application${reason ? `: ${reason}` : '.'}`, 'error');
      } else {
        say(status, 'Still pending review. Check again later.');
      }
    } catch (err) {
      if (session.isLocked) return render();
      say(status, explainIssuerError(err), 'error');
    }
    render();
    if (!session.isLocked) focusResult(status);
  }

  function render(): void {
    const session = getSession();
    list.replaceChildren();
    if (!session) return;
    for (const app of [...session.state.applications].reverse()) {
      const sent = `${app.submittedAt.slice(0, 16).replace('T', ' ')} UTC`;
      const button = el('button', { type: 'button', class: 'secondary', 'aria-label': `Check status of the application sent ${sent}` }, 'Check status');
      button.addEventListener('click', () => void refresh(session, app));
      list.append(
        el(
          'li',
          { 'data-application-id': app.id, 'data-status': app.status },
          el('strong', {}, `Application to ${hostOf(app.issuerUrl)}`),
          ' ',
          el('span', { class: `badge ${app.status}` }, statusInWords(app.status)),
          el('div', {}, `Sent ${sent}`),
          button,
        ),
      );
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const session = getSession();
    if (!session) return;
    const jurisdiction = select.value;
    const birthDate = byId<HTMLInputElement>('apply-birthdate').value;
    const investorClasses = [...form.querySelectorAll<HTMLInputElement>('input[name="investor-class"]:checked')].map((i) => i.value);
    if (!jurisdiction) return say(status, 'Choose your country of residence.', 'error');
    const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    submit.disabled = true;
    try {
      say(status, 'Signing the issuer’s challenge with your DID key…');
      const issuer = session.issuer();
      // The issuer sees a DID made for it alone, never the wallet's account (identity/holder-identity.ts).
      const holder = await session.didAt();
      const { nonce } = await issuer.createChallenge(holder.did);
      // Locked while the issuer answered: the DID key signs nothing, the details are not sent.
      session.assertUnlocked();
      const signature = await signDidChallenge(holder.privateKey, nonce, holder.issuerDid);
      say(status, 'Sending the application…');
      session.assertUnlocked();
      const result = await issuer.apply({
        did: holder.did,
        challenge: nonce,
        signature,
        identityCommitment: session.identity.identityCommitment.toString(),
        // No KYC level: how thoroughly the holder was checked is the issuer's finding, not a claim.
        attributes: { jurisdiction, birthDate, investorClasses },
      });
      showNotice(null);
      const app: StoredApplication = {
        id: result.id,
        issuerUrl: session.loaded.config.issuerUrl,
        accessToken: result.accessToken,
        status: result.status,
        submittedAt: new Date().toISOString(),
      };
      session.state.applications.push(app);
      await session.save();
      render();
      if (result.status === 'approved' && result.credentialId) {
        await receive(session, app, result.credentialId);
        say(status, 'Approved at once (the issuer auto-approves in dev mode): your credential is in the wallet. Next, choose a token (step 3).', 'ok');
      } else {
        say(status, `Application sent: the issuer is reviewing it (${statusInWords(result.status)}). Check its status later.`, 'ok');
      }
    } catch (err) {
      if (!session.isLocked) say(status, explainIssuerError(err), 'error');
    } finally {
      submit.disabled = false;
      render();
      if (!session.isLocked) focusResult(status);
    }
  });

  /** The wallet locked: the applications, the details typed into the form and the last outcome leave the page. */
  function lock(): void {
    form.reset();
    list.replaceChildren();
    say(status, '');
  }

  return { render, lock };
}
