import type { OpenedCredential } from '../credentials/received-credential.js';
import type { WalletSession } from '../wallet-session.js';
import { byId, el, say, shortHex, showNotice } from './dom.js';
import { explainIssuerError } from './issuer-errors.js';
import { countryName, daysFromNow, investorClassLabel } from './plain-words.js';

/**
 * Section 3: the credentials in the wallet, in plain words, with the issuer's current view of
 * each (active, revoked or expired).
 */
export function mountCredentialPanel(getSession: () => WalletSession | null, onStatusChanged: () => void): { render(): void; refreshStatus(id: string): Promise<string | undefined> } {
  const list = byId('credential-list');
  const status = byId('credential-status');

  async function refreshStatus(id: string): Promise<string | undefined> {
    const session = getSession();
    const opened = session?.opened.get(id);
    if (!session || !opened) return undefined;
    try {
      const result = await session.issuer(opened.stored.issuerUrl).credentialStatus(id);
      showNotice(null);
      session.credentialStatus.set(id, result.status);
      say(status, `Credential ${shortHex(id, 8)} is ${result.status}${result.revokedAt ? ` (revoked ${result.revokedAt.slice(0, 10)})` : ''}.`, result.status === 'active' ? 'ok' : 'error');
      return result.status;
    } catch (err) {
      say(status, explainIssuerError(err), 'error');
      return undefined;
    } finally {
      render();
      onStatusChanged();
    }
  }

  function item(c: OpenedCredential, credentialStatus: string | undefined): HTMLLIElement {
    const a = c.attributes;
    const expired = a.expiryDate < new Date().toISOString().slice(0, 10);
    const shown = expired ? 'expired' : credentialStatus ?? 'unknown';
    const check = el('button', { type: 'button', class: 'secondary', 'aria-label': `Check revocation status of credential ${c.stored.id.slice(0, 8)}` }, 'Check status');
    check.addEventListener('click', () => void refreshStatus(c.stored.id));
    return el(
      'li',
      { 'data-credential-id': c.stored.id, 'data-status': shown },
      el('strong', {}, 'KYC credential '),
      el('span', { class: `badge ${shown}` }, shown),
      el(
        'dl',
        {},
        el('dt', {}, 'Country'), el('dd', {}, countryName(a.jurisdiction)),
        el('dt', {}, 'Born'), el('dd', {}, a.birthDate),
        el('dt', {}, 'Investor classes'), el('dd', {}, a.investorClasses.map(investorClassLabel).join(', ') || 'none'),
        el('dt', {}, 'KYC level'), el('dd', {}, String(a.kycLevel)),
        el('dt', {}, 'Expires'), el('dd', {}, `${a.expiryDate} (${daysFromNow(a.expiryDate)})`),
        el('dt', {}, 'Issuer'), el('dd', { class: 'mono' }, c.issuerDid),
        el('dt', {}, 'Issuer tree'), el('dd', {}, `issuer #${c.stored.treeId}, leaf ${c.stored.leafIndex}`),
        el('dt', {}, 'Signature'), el('dd', {}, 'verified (JWT signed by the issuer’s did:key); VC and leaf agree'),
      ),
      check,
    );
  }

  function render(): void {
    const session = getSession();
    list.replaceChildren();
    if (!session) return;
    if (session.opened.size === 0) list.append(el('li', {}, 'No credentials yet: apply in section 2.'));
    for (const c of session.opened.values()) list.append(item(c, session.credentialStatus.get(c.stored.id)));
  }

  return { render, refreshStatus };
}
