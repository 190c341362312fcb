import type { Application } from './api.js';
import { badge, el, field, message, shortId, table, time } from './dom.js';
import { WORDS, investorClassList, STATUS_WORDS } from './plain-words.js';
import type { Session } from './session.js';

const STATUSES = ['pending', 'approved', 'rejected'] as const;

/** What the filter looks at: the holder DID, the declared jurisdiction, the application id, the proposer. */
function matches(a: Application, text: string): boolean {
  if (!text) return true;
  const t = text.toLowerCase();
  return [a.id, a.did, a.attributes.jurisdiction, a.proposal?.reviewer ?? ''].some((v) => v.toLowerCase().includes(t));
}

/** The queue: applications of one status (pending by default), oldest first, with a text filter. */
export async function renderQueue(session: Session, view: HTMLElement, status: (typeof STATUSES)[number] = 'pending', text = ''): Promise<void> {
  const items = (await session.api.get<{ items: Application[] }>(`/applications?status=${status}&limit=200`)).items;
  const shown = items.filter((a) => matches(a, text));

  const statusSelect = el('select', { name: 'status' }, ...STATUSES.map((s) => el('option', s === status ? { value: s, selected: '' } : { value: s }, STATUS_WORDS[s])));
  const textInput = el('input', { name: 'text', type: 'search', value: text, autocomplete: 'off' });
  const form = el(
    'form',
    { class: 'filter', role: 'search', 'aria-label': 'Filter applications' },
    field('queue-status', 'Status', statusSelect),
    field('queue-text', 'Applicant DID, jurisdiction or reviewer contains', textInput),
    el('button', { type: 'submit' }, 'Filter'),
  );
  const results = el('div', { id: 'queue-results', 'aria-live': 'polite' });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void renderQueue(session, view, statusSelect.value as (typeof STATUSES)[number], textInput.value.trim()).then(() => {
      view.querySelector<HTMLElement>('#queue-results p')?.focus();
    });
  });

  if (items.length === 0) results.append(message(WORDS.queueEmpty(STATUS_WORDS[status]), 'info'));
  else if (shown.length === 0) results.append(message(WORDS.queueFilteredEmpty, 'info'));
  else {
    results.append(
      message(WORDS.queueCount(shown.length, items.length), 'info'),
      table(
        `${STATUS_WORDS[status][0].toUpperCase()}${STATUS_WORDS[status].slice(1)} applications`,
        ['Submitted', 'Applicant', 'Declared', 'Review', 'Action'],
        shown.map((a) => [
          time(a.createdAt),
          shortId(a.did, 14),
          `${a.attributes.jurisdiction}, born ${a.attributes.birthDate}, ${investorClassList(a.attributes.investorClasses)}`,
          a.status === 'pending' ? (a.proposal ? WORDS.proposalBy(a.proposal.reviewer, a.proposal.changedAttributes) : WORDS.noProposal) : badge(a.status, STATUS_WORDS[a.status]),
          el('a', { href: `#application/${encodeURIComponent(a.id)}`, 'aria-label': `Open application ${a.id.slice(0, 8)}` }, 'Open'),
        ]),
      ),
    );
  }
  view.replaceChildren(el('h2', { tabindex: '-1' }, 'Queue'), form, results);
}
