import type { Application } from './api.js';
import { announce, badge, clearErrorsOnInput, el, field, message, shortId, table, time } from './dom.js';
import { STATUS_WORDS, WORDS, investorClassList } from './plain-words.js';
import { errorText, type Session } from './session.js';

/**
 * Asks for the reason and a confirmation in a modal dialog, then revokes. The dialog stays open
 * with the refusal (in words, focused) when the service refuses; it closes on success.
 */
function openRevokeDialog(session: Session, credentialId: string, opener: HTMLElement): void {
  const out = el('div', { class: 'form-result', 'aria-live': 'polite' });
  const reason = el('textarea', { name: 'reason', maxlength: '2000', rows: '3', required: '' });
  const cancel = el('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = el(
    'form',
    { novalidate: '' },
    field('revoke-reason', 'Reason for revoking (required)', reason),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'danger' }, 'Revoke credential'), cancel),
    out,
  );
  const dialog = el(
    'dialog',
    { 'aria-labelledby': 'revoke-title', 'aria-describedby': 'revoke-text' },
    el('h2', { id: 'revoke-title' }, WORDS.revokeDialogTitle),
    el('p', { id: 'revoke-text' }, WORDS.revokeDialogText(credentialId)),
    form,
  );
  const close = () => {
    dialog.close();
    dialog.remove();
    opener.focus();
  };
  cancel.addEventListener('click', close);
  dialog.addEventListener('cancel', (ev) => {
    ev.preventDefault();
    close();
  });
  clearErrorsOnInput(form, out);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!reason.value.trim()) {
      reason.setAttribute('aria-invalid', 'true');
      announce(out, WORDS.required('reason for revoking'), 'error');
      return;
    }
    void session.api.post(`/credentials/${credentialId}/revoke`, { reason: reason.value.trim() }).then(
      async () => {
        dialog.close();
        dialog.remove();
        await session.refresh();
        session.report(WORDS.revoked(credentialId), 'ok');
      },
      (err) => {
        reason.setAttribute('aria-invalid', 'true');
        announce(out, errorText(err), 'error');
      },
    );
  });
  // Inside <main>, so the dialog's content sits in a landmark like the rest of the page.
  document.getElementById('view')!.append(dialog);
  dialog.showModal();
  reason.focus();
}

/** Issued credentials (from the approved applications), newest state first read from the service, with "Revoke". */
export async function renderCredentials(session: Session, view: HTMLElement): Promise<void> {
  const items = (await session.api.get<{ items: Application[] }>('/applications?status=approved&limit=1000')).items.filter((a) => a.credentialId);
  const canRevoke = session.has('revoker');
  const body = items.length
    ? table(
        'Issued credentials',
        ['Credential', 'Holder', 'Attributes', 'State', 'Issued', 'Action'],
        items.map((a) => {
          const id = a.credentialId!;
          let action: HTMLElement | string = a.credentialStatus === 'active' ? 'revoking needs the revoker role' : 'none';
          if (canRevoke && a.credentialStatus === 'active') {
            const button = el('button', { type: 'button', class: 'danger', 'aria-label': `Revoke credential ${id.slice(0, 8)}` }, 'Revoke');
            button.addEventListener('click', () => openRevokeDialog(session, id, button));
            action = button;
          }
          return [
            shortId(id),
            shortId(a.did, 14),
            `${a.attributes.jurisdiction}, ${investorClassList(a.attributes.investorClasses)}; valid until ${a.credentialExpiryDate}`,
            badge(a.credentialStatus ?? 'active', STATUS_WORDS[a.credentialStatus ?? 'active']),
            el('span', {}, time(a.updatedAt), ' ', el('a', { href: `#application/${a.id}`, 'aria-label': `Application of credential ${id.slice(0, 8)}` }, 'Application')),
            action,
          ];
        }),
      )
    : message(WORDS.noCredentials, 'info');
  view.replaceChildren(el('h2', { tabindex: '-1' }, 'Credentials'), body);
}
