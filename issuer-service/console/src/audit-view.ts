import type { AuditEvent } from './api.js';
import { el, field, message, shortId, table, time } from './dom.js';
import { WORDS, actionInWords, attributeNames } from './plain-words.js';
import type { Session } from './session.js';

const PAGE = 20;

/** The parts of an event's detail a reviewer reads: the reason, what changed, the credential. */
function detailInWords(e: AuditEvent): string {
  const d = e.detail ?? {};
  const parts: string[] = [];
  if (typeof d.reason === 'string') parts.push(`reason: ${d.reason}`);
  if (Array.isArray(d.changedAttributes) && d.changedAttributes.length) parts.push(`sets ${attributeNames(d.changedAttributes as string[])}`);
  if (typeof d.proposalId === 'number') parts.push(`proposal ${d.proposalId}`);
  if (typeof d.proposedBy === 'string') parts.push(`proposed by ${d.proposedBy}`);
  if (typeof d.credentialId === 'string') parts.push(`credential ${d.credentialId}`);
  if (typeof d.replacedBy === 'string') parts.push(`replaced by ${d.replacedBy}`);
  if (typeof d.status === 'string') parts.push(`outcome: ${d.status}`);
  return parts.join('; ') || '—';
}

/** The audit trail (`GET /audit`, role admin), oldest first, a page at a time, optionally about one subject. */
export async function renderAudit(session: Session, view: HTMLElement, offset = 0, subject = ''): Promise<void> {
  const query = `offset=${offset}&limit=${PAGE}${subject ? `&subjectId=${encodeURIComponent(subject)}` : ''}`;
  const items = (await session.api.get<{ items: AuditEvent[] }>(`/audit?${query}`)).items;

  const subjectInput = el('input', { name: 'subject', type: 'search', value: subject, autocomplete: 'off' });
  const filter = el(
    'form',
    { class: 'filter', role: 'search', 'aria-label': 'Filter the audit trail' },
    field('audit-subject', 'Only events about application or credential id', subjectInput),
    el('button', { type: 'submit' }, 'Show'),
  );
  const go = (to: number, s: string) => void renderAudit(session, view, to, s).then(() => view.querySelector<HTMLElement>('#audit-range')?.focus());
  filter.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go(0, subjectInput.value.trim());
  });
  const previous = el('button', { type: 'button', class: 'secondary' }, 'Previous page');
  const next = el('button', { type: 'button', class: 'secondary' }, 'Next page');
  previous.disabled = offset === 0;
  next.disabled = items.length < PAGE;
  previous.addEventListener('click', () => go(Math.max(0, offset - PAGE), subject));
  next.addEventListener('click', () => go(offset + PAGE, subject));

  const range = items.length ? message(WORDS.auditRange(offset + 1, offset + items.length), 'info') : message(WORDS.auditEmpty, 'info');
  range.id = 'audit-range';
  view.replaceChildren(
    el('h2', { tabindex: '-1' }, 'Audit trail'),
    filter,
    range,
    ...(items.length
      ? [
          table(
            'Audit events',
            ['When', 'Who', 'Role', 'What', 'About', 'Detail'],
            items.map((e) => [time(e.at), e.actor, e.role, actionInWords(e.action), e.subjectId ? el('span', {}, `${e.subjectType} `, shortId(e.subjectId)) : e.subjectType, detailInWords(e)]),
          ),
        ]
      : []),
    el('nav', { class: 'pager', 'aria-label': 'Audit pages' }, previous, next),
  );
}
