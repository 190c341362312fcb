import type { SarDraft } from '../../src/sar/draft.js';
import type { SarDraftSummary } from '../../src/sar/store.js';
import { ApiError, type MonitorApi } from './api.js';
import { badge, el, hex, message, table, time } from './dom.js';
import { WORDS } from './plain-words.js';

/** SAR drafts, newest first. */
export async function renderSarList(api: MonitorApi, view: HTMLElement): Promise<void> {
  const { drafts } = await api.get<{ drafts: SarDraftSummary[] }>('/sar');
  view.replaceChildren(
    el('h2', {}, 'SAR drafts'),
    drafts.length === 0
      ? el('p', {}, WORDS.noDrafts)
      : table(
          ['Draft', 'Case', 'Subject', 'Transfers', 'Updated', 'Status'],
          drafts.map((d) => [
            el('a', { href: `#sar/${encodeURIComponent(d.id)}` }, d.id),
            el('a', { href: `#case/${encodeURIComponent(d.caseId)}` }, d.caseId),
            d.subject,
            String(d.transfers),
            time(d.updatedAt),
            badge(d.status),
          ]),
          { id: 'sar-list' },
        ),
  );
}

/** One draft: its facts, the narrative to edit, marking it filed, and the downloads. */
export async function renderSar(api: MonitorApi, view: HTMLElement, id: string, notice?: string): Promise<void> {
  const path = `/sar/${encodeURIComponent(id)}`;
  const draft = await api.get<SarDraft>(path);
  const status = el('div', { id: 'sar-status-line', 'aria-live': 'polite' }, notice ? message(notice, 'ok') : null);
  const act = async (what: () => Promise<string>) => {
    try {
      const done = await what();
      await renderSar(api, view, id, done);
    } catch (err) {
      status.replaceChildren(message(err instanceof ApiError ? err.message : String(err), 'error'));
    }
  };
  const filed = draft.status === 'filed';

  const narrative = el('textarea', { id: 'sar-narrative' }) as HTMLTextAreaElement;
  narrative.value = draft.narrative;
  narrative.readOnly = filed;
  const narrativeForm = el('form', { id: 'narrative-form' }, el('label', { for: 'sar-narrative' }, 'Narrative'), narrative, filed ? null : el('button', { type: 'submit' }, 'Save narrative'));
  narrativeForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void act(async () => {
      await api.patch(path, { narrative: narrative.value });
      return WORDS.narrativeSaved;
    });
  });

  const reference = el('input', { id: 'fiu-reference', type: 'text' }) as HTMLInputElement;
  const fileForm = el('form', { id: 'file-form' }, el('p', {}, WORDS.fileWarning), el('label', {}, 'FIU reference (optional)', reference), el('button', { type: 'submit' }, 'Mark filed'));
  fileForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void act(async () => {
      await api.post(`${path}/file`, reference.value.trim() ? { fiuReference: reference.value.trim() } : {});
      return WORDS.filed(id);
    });
  });

  // The downloads need the officer's key, which a plain link cannot send: fetch them, link the blobs.
  const [xmlUrl, htmlUrl] = await Promise.all([api.blobUrl(`${path}.xml`), api.blobUrl(`${path}.html`)]);
  const s = draft.subject;
  view.replaceChildren(
    el('p', {}, el('a', { href: '#sar' }, '← All SAR drafts')),
    el('h2', { id: 'sar-title' }, `SAR draft ${draft.id} `, badge(draft.status)),
    status,
    el(
      'dl',
      {},
      el('dt', {}, 'Case'),
      el('dd', {}, el('a', { href: `#case/${encodeURIComponent(draft.caseId)}` }, draft.caseId)),
      el('dt', {}, 'Report'),
      el('dd', {}, draft.reportCode),
      el('dt', {}, 'Subject'),
      el('dd', {}, s.identified ? `${s.firstName} ${s.lastName}` : `${s.firstName} ${s.lastName} (${WORDS.unidentified})`, ' — ', s.source),
      el('dt', {}, 'Wallets'),
      el('dd', {}, ...draft.wallets.flatMap((w) => [hex(w), ' '])),
      el('dt', {}, 'Transfers'),
      el('dd', {}, `${draft.totals.transfers} · sent ${draft.totals.sent} · received ${draft.totals.received} ${draft.token.symbol} (base units)`),
      el('dt', {}, 'Rule hits'),
      el('dd', {}, draft.hits.map((h) => `${h.ruleId} (${h.severity})`).join(', ') || '—'),
      el('dt', {}, 'Created'),
      el('dd', {}, `${time(draft.createdAt)} by ${draft.createdBy}`),
      el('dt', {}, 'Filed'),
      el('dd', { id: 'sar-filed' }, draft.filed ? `${time(draft.filed.at)} by ${draft.filed.by}${draft.filed.fiuReference ? ` · FIU reference ${draft.filed.fiuReference}` : ''}` : 'not yet'),
    ),
    el(
      'div',
      { class: 'links' },
      el('a', { id: 'download-xml', href: xmlUrl, download: `${draft.id}.goaml.xml` }, 'Download goAML XML'),
      el('a', { id: 'download-html', href: htmlUrl, download: `${draft.id}.html` }, 'Download printable report'),
    ),
    narrativeForm,
    ...(filed ? [] : [fileForm]),
  );
}
