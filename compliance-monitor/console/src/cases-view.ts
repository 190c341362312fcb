import type { CaseSummary, ChainEvent, RuleHit } from '../../src/model.js';
import type { CaseDetail, CaseDisclosure } from '../../src/store/monitor-store.js';
import type { SarDraft } from '../../src/sar/draft.js';
import { ApiError, type MonitorApi } from './api.js';
import { badge, el, hex, message, table, time } from './dom.js';
import { WORDS } from './plain-words.js';

interface Evidence {
  caseId: string;
  hits: Array<{ hit: RuleHit & { id: string }; events: ChainEvent[]; missing: Array<{ txHash: string; logIndex: number; blockNumber: number }> }>;
}

/** Cases, newest first: subject, rules, score, status. */
export async function renderCases(api: MonitorApi, view: HTMLElement): Promise<void> {
  const { cases } = await api.get<{ cases: CaseSummary[] }>('/cases');
  view.replaceChildren(
    el('h2', {}, 'Cases'),
    cases.length === 0
      ? el('p', {}, WORDS.noCases)
      : table(
          ['Case', 'Opened', 'Subject', 'Rules', 'Score', 'Status'],
          cases.map((c) => [
            el('a', { href: `#case/${encodeURIComponent(c.id)}`, 'data-case-id': c.id }, c.id),
            time(c.openedAt),
            c.subject.investorTag ? hex(c.subject.investorTag) : el('span', {}, ...c.subject.wallets.map(hex)),
            c.rules.join(', '),
            String(c.score),
            badge(c.status),
          ]),
          { id: 'case-list' },
        ),
  );
}

interface CaseDisclosures {
  disclosures: CaseDisclosure[];
  registrations: Array<{ wallet: string; policyId: string; registrationTx: string; registrationLogIndex: number; blockTime: number }>;
}

/** The disclosed person in one line: name, birth date, document; or why there is none. */
function personLine(d: CaseDisclosure): string {
  const p = (d.record.person ?? {}) as Record<string, string>;
  if (!p.familyName) return WORDS.noPersonInDisclosure;
  const doc = p.documentNumber ? ` · ${p.documentType ?? 'document'} ${p.documentNumber}${p.issuingCountry ? ` (${p.issuingCountry})` : ''}` : '';
  return `${[p.givenNames, p.familyName].filter(Boolean).join(' ')}${p.birthDate ? `, born ${p.birthDate}` : ''}${doc}`;
}

/**
 * Who the investor is, when an escrow disclosure said so: the attached answers, the registrations a
 * disclosure request can name, and a form to attach the issuer's answer (its JSON, as received).
 */
function identitySection(id: string, found: CaseDisclosures, attach: (answer: unknown) => void, fail: (text: string) => void): HTMLElement {
  const answer = el('textarea', { id: 'disclosure-answer', rows: '4', placeholder: WORDS.disclosurePlaceholder }) as HTMLTextAreaElement;
  answer.style.minHeight = '5rem';
  const form = el('form', { id: 'disclosure-form' }, el('label', { for: 'disclosure-answer' }, WORDS.attachDisclosureLabel), answer, el('button', { type: 'submit' }, 'Attach disclosure'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.value);
    } catch {
      fail(WORDS.disclosureNotJson);
      return;
    }
    attach(parsed);
  });
  return el(
    'section',
    { id: 'case-identity', 'data-case-id': id },
    el('h3', {}, 'Identity (escrow disclosure)'),
    found.disclosures.length === 0
      ? el('p', { id: 'no-disclosure' }, WORDS.noDisclosure)
      : table(
          ['Person', 'Wallet', 'Credential', 'Attached'],
          found.disclosures.map((d) => [personLine(d), hex(d.wallet), String((d.record.credential as { id?: string } | undefined)?.id ?? '—'), `${time(d.attachedAt)} by ${d.attachedBy}`]),
          { id: 'disclosure-list' },
        ),
    el('h4', {}, WORDS.registrationsHeading),
    found.registrations.length === 0
      ? el('p', {}, WORDS.noEscrowRegistrations)
      : table(
          ['Wallet', 'Policy', 'Registration transaction', 'Log index', 'Registered'],
          // The whole hash: the officer copies it into the disclosure request.
          found.registrations.map((r) => [hex(r.wallet), r.policyId, el('code', { class: 'hex' }, r.registrationTx), String(r.registrationLogIndex), time(r.blockTime)]),
          { id: 'escrow-registrations' },
        ),
    form,
  );
}

/** One line of the evidence timeline: an event or a rule hit, in time order. */
function timeline(evidence: Evidence): HTMLOListElement {
  const lines: Array<{ at: number; order: number; node: HTMLElement }> = [];
  const seen = new Set<string>();
  for (const { hit, events, missing } of evidence.hits) {
    for (const e of events) {
      const key = `${e.txHash}:${e.logIndex}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const args = Object.entries(e.args)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      lines.push({
        at: e.blockTime,
        order: e.blockNumber * 10_000 + e.logIndex,
        node: el('li', { 'data-kind': 'event' }, `${time(e.blockTime)} · block ${e.blockNumber} · ${e.name}: ${args} `, hex(e.txHash)),
      });
    }
    for (const m of missing)
      lines.push({ at: 0, order: m.blockNumber * 10_000 + m.logIndex, node: el('li', { 'data-kind': 'missing' }, `block ${m.blockNumber} · ${WORDS.missingEvent} `, hex(m.txHash)) });
    lines.push({
      at: hit.at,
      order: Number.MAX_SAFE_INTEGER,
      node: el('li', { 'data-kind': 'hit' }, el('strong', {}, `${time(hit.at)} · rule ${hit.ruleId} `), badge(hit.severity), ` +${hit.score} · ${hit.summary}`),
    });
  }
  lines.sort((a, b) => a.at - b.at || a.order - b.order);
  return el('ol', { class: 'timeline', id: 'evidence-timeline' }, ...lines.map((l) => l.node));
}

/** A case: who, what the rules found (the evidence timeline), its history, and the officer's actions. */
export async function renderCase(api: MonitorApi, view: HTMLElement, id: string): Promise<void> {
  const [kase, evidence, disclosures] = await Promise.all([
    api.get<CaseDetail>(`/cases/${encodeURIComponent(id)}`),
    api.get<Evidence>(`/cases/${encodeURIComponent(id)}/evidence`),
    api.get<CaseDisclosures>(`/cases/${encodeURIComponent(id)}/disclosures`),
  ]);
  const status = el('div', { id: 'case-status-line', 'aria-live': 'polite' });
  const run = async (what: () => Promise<string>) => {
    try {
      const done = await what();
      await renderCase(api, view, id);
      document.getElementById('case-status-line')?.replaceChildren(message(done, 'ok'));
    } catch (err) {
      status.replaceChildren(message(err instanceof ApiError ? err.message : String(err), 'error'));
    }
  };

  const note = el('textarea', { id: 'note-text', rows: '3' }) as HTMLTextAreaElement;
  note.style.minHeight = '4rem';
  const noteForm = el('form', { id: 'note-form' }, el('label', { for: 'note-text' }, 'Note'), note, el('button', { type: 'submit' }, 'Add note'));
  noteForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void run(async () => {
      await api.post(`/cases/${encodeURIComponent(id)}/notes`, { text: note.value });
      return WORDS.noteAdded;
    });
  });

  const select = el('select', { id: 'new-status' }, ...['open', 'escalated', 'closed'].map((s) => el('option', s === kase.status ? { value: s, selected: '' } : { value: s }, s)));
  const reason = el('input', { id: 'status-reason', type: 'text' }) as HTMLInputElement;
  const statusForm = el('form', { id: 'status-form' }, el('label', {}, 'New status', select), el('label', {}, 'Reason', reason), el('button', { type: 'submit' }, 'Change status'));
  statusForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void run(async () => {
      await api.post(`/cases/${encodeURIComponent(id)}/status`, { status: select.value, reason: reason.value });
      return WORDS.statusChanged(select.value);
    });
  });

  const draftButton = el('button', { type: 'button', id: 'draft-sar' }, 'Draft SAR');
  draftButton.addEventListener('click', () => {
    void (async () => {
      try {
        const draft = await api.post<SarDraft>(`/cases/${encodeURIComponent(id)}/sar`);
        location.hash = `#sar/${encodeURIComponent(draft.id)}`;
      } catch (err) {
        status.replaceChildren(message(err instanceof ApiError ? err.message : String(err), 'error'));
      }
    })();
  });

  view.replaceChildren(
    el('p', {}, el('a', { href: '#cases' }, '← All cases')),
    el('h2', { id: 'case-title' }, `Case ${kase.id} `, badge(kase.status)),
    el(
      'dl',
      {},
      el('dt', {}, 'Investor'),
      el('dd', {}, kase.subject.investorTag ? hex(kase.subject.investorTag) : 'not registered'),
      el('dt', {}, 'Wallets'),
      el('dd', {}, ...kase.subject.wallets.flatMap((w) => [hex(w), ' '])),
      el('dt', {}, 'Opened'),
      el('dd', {}, time(kase.openedAt)),
      el('dt', {}, 'Score'),
      el('dd', {}, String(kase.score)),
      el('dt', {}, 'Rules'),
      el('dd', {}, kase.rules.join(', ') || '—'),
    ),
    status,
    el('div', { class: 'links' }, draftButton),
    identitySection(
      id,
      disclosures,
      (answer) =>
        void run(async () => {
          await api.post(`/cases/${encodeURIComponent(id)}/disclosures`, answer);
          return WORDS.disclosureAttached;
        }),
      (text) => status.replaceChildren(message(text, 'error')),
    ),
    el('h3', {}, 'Evidence'),
    timeline(evidence),
    el('h3', {}, 'Case log'),
    el('ol', { class: 'timeline', id: 'case-log' }, ...kase.log.map((l) => el('li', { 'data-kind': l.kind }, el('strong', {}, `${time(l.at)} · ${l.kind} · ${l.actor}: `), l.text))),
    el('h3', {}, 'Work the case'),
    noteForm,
    statusForm,
  );
}
