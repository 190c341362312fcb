import type { OpenedCredential } from '../credentials/received-credential.js';
import type { WalletSession } from '../wallet-session.js';
import { byId, el, focusResult, say, showNotice } from './dom.js';
import { explainIssuerError } from './issuer-errors.js';
import { countryName, daysFromNow, investorClassLabel, statusInWords } from './plain-words.js';

function issuerHost(c: OpenedCredential): string {
  try {
    return new URL(c.stored.issuerUrl).host;
  } catch {
    return 'your issuer';
  }
}

/**
 * Section 3: the credentials in the wallet, in plain words, with the issuer's current view of
 * each (active, revoked or expired).
 */
export function mountCredentialPanel(getSession: () => WalletSession | null, onStatusChanged: () => void): { render(): void; refreshStatus(id: string): Promise<string | undefined>; lock(): void } {
  const list = byId('credential-list');
  const status = byId('credential-status');

  async function refreshStatus(id: string): Promise<string | undefined> {
    const session = getSession();
    const opened = session?.opened.get(id);
    if (!session || !opened) return undefined;
    try {
      const result = await session.issuer(opened.stored.issuerUrl).credentialStatus(id);
      if (session.isLocked) return undefined;
      showNotice(null);
      session.credentialStatus.set(id, result.status);
      say(
        status,
        `Your credential from ${issuerHost(opened)} is ${statusInWords(result.status)}${result.revokedAt ? ` (since ${result.revokedAt.slice(0, 10)})` : ''}.`,
        result.status === 'active' ? 'ok' : 'error',
      );
      focusResult(status);
      return result.status;
    } catch (err) {
      if (!session.isLocked) say(status, explainIssuerError(err), 'error');
      return undefined;
    } finally {
      render();
      onStatusChanged();
    }
  }

  function item(c: OpenedCredential, credentialStatus: string | undefined): HTMLLIElement {
    const a = c.attributes;
    const expired = a.expiryDate < new Date().toISOString().slice(0, 10);
    const shown = expired ? 'expired' : (credentialStatus ?? 'unknown');
    const check = el('button', { type: 'button', class: 'secondary', 'aria-label': `Check status of the credential from ${issuerHost(c)}: still valid, or withdrawn by the issuer` }, 'Check status');
    check.addEventListener('click', () => void refreshStatus(c.stored.id));
    return el(
      'li',
      { 'data-credential-id': c.stored.id, 'data-status': shown },
      el('strong', {}, `KYC credential from ${issuerHost(c)} `),
      el('span', { class: `badge ${shown}` }, statusInWords(shown)),
      el(
        'dl',
        {},
        el('dt', {}, 'Country of residence'),
        el('dd', {}, countryName(a.jurisdiction)),
        el('dt', {}, 'Born'),
        el('dd', {}, a.birthDate),
        el('dt', {}, 'Investor status'),
        el('dd', {}, a.investorClasses.map(investorClassLabel).join(', ') || 'none'),
        el('dt', {}, 'Identity check'),
        el('dd', {}, `level ${a.kycLevel}, set by the issuer`),
        el('dt', {}, 'Valid until'),
        el('dd', {}, `${a.expiryDate} (${daysFromNow(a.expiryDate)})`),
        el('dt', {}, 'Signature'),
        el('dd', {}, 'checked: the issuer signed it for you'),
      ),
      // Identifiers a holder rarely needs, but may want to compare with what the issuer shows.
      el(
        'details',
        {},
        el('summary', {}, 'Technical details'),
        el(
          'dl',
          {},
          el('dt', {}, 'Issuer DID'),
          el('dd', { class: 'mono' }, c.issuerDid),
          el('dt', {}, 'Issuer list'),
          el('dd', {}, `issuer #${c.stored.treeId}, position ${c.stored.leafIndex}`),
          el('dt', {}, 'Credential id'),
          el('dd', { class: 'mono' }, c.stored.id),
          el('dt', {}, 'Checks'),
          el('dd', {}, 'JWT signed by the issuer’s did:key; the VC and its leaf agree'),
        ),
      ),
      check,
    );
  }

  function render(): void {
    const session = getSession();
    list.replaceChildren();
    if (!session) return;
    if (session.opened.size === 0) list.append(el('li', {}, 'No credentials yet: apply to the issuer above (step 2).'));
    for (const c of session.opened.values()) list.append(item(c, session.credentialStatus.get(c.stored.id)));
  }

  /** The wallet locked: the credentials (birth date, country, investor status, ids) leave the page. */
  function lock(): void {
    list.replaceChildren();
    say(status, '');
  }

  return { render, refreshStatus, lock };
}
