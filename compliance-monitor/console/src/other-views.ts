import type { WalletFreeze } from '../../src/routes/console-routes.js';
import type { PendingTransferView } from '../../src/routes/transfer-routes.js';
import type { ImportRecord } from '../../src/sanctions/store.js';
import { ApiError, type MonitorApi } from './api.js';
import { badge, el, hex, message, table, time } from './dom.js';
import { WORDS } from './plain-words.js';

/** Transfers waiting in the token's TransferApproval rule; approve or reject each with a reason. */
export async function renderTransfers(api: MonitorApi, view: HTMLElement, notice?: string): Promise<void> {
  view.replaceChildren(el('h2', {}, 'Pending transfers'));
  let answer: { canDecide: boolean; transfers: PendingTransferView[] };
  try {
    answer = await api.get('/pending-transfers');
  } catch (err) {
    view.append(message(err instanceof ApiError ? err.message : String(err), 'error'));
    return;
  }
  const status = el('div', { id: 'transfer-status-line', 'aria-live': 'polite' }, notice ? message(notice, 'ok') : null);
  const decide = (id: string, decision: 'approve' | 'reject', reason: string) =>
    void (async () => {
      try {
        const r = await api.post<{ txHash: string }>(`/pending-transfers/${id}/${decision}`, reason ? { reason } : {});
        await renderTransfers(api, view, decision === 'approve' ? WORDS.approved(id, r.txHash) : WORDS.rejected(id, r.txHash));
      } catch (err) {
        status.replaceChildren(message(err instanceof ApiError ? err.message : String(err), 'error'));
      }
    })();
  const controls = (t: PendingTransferView) => {
    const reason = el('input', { type: 'text', 'aria-label': `Reason for transfer ${t.id}` }) as HTMLInputElement;
    const approve = el('button', { type: 'button' }, 'Approve');
    const reject = el('button', { type: 'button', class: 'secondary' }, 'Reject');
    approve.addEventListener('click', () => decide(t.id, 'approve', reason.value.trim()));
    reject.addEventListener('click', () => decide(t.id, 'reject', reason.value.trim()));
    return el('span', {}, reason, ' ', approve, ' ', reject);
  };
  view.append(
    status,
    ...(answer.canDecide ? [] : [el('p', {}, WORDS.transfersReadOnly)]),
    answer.transfers.length === 0
      ? el('p', {}, WORDS.noTransfers)
      : table(
          ['Id', 'From', 'To', 'Amount (base units)', 'Expires', answer.canDecide ? 'Decision' : ''],
          answer.transfers.map((t) => [t.id, hex(t.from), hex(t.to), t.amount, time(t.expiresAt), answer.canDecide ? controls(t) : null]),
          { id: 'transfer-list' },
        ),
  );
}

/** Wallets frozen in part or as a whole, from the token's events. */
export async function renderFreezes(api: MonitorApi, view: HTMLElement): Promise<void> {
  const { wallets } = await api.get<{ wallets: WalletFreeze[] }>('/frozen');
  view.replaceChildren(
    el('h2', {}, 'Freezes'),
    wallets.length === 0
      ? el('p', {}, WORDS.noFreezes)
      : table(
          ['Wallet', 'Frozen tokens (base units)', 'Whole wallet', 'Since'],
          wallets.map((f) => [hex(f.wallet), f.frozenAmount, f.fullyFrozen ? badge('frozen') : 'no', time(f.since)]),
          { id: 'freeze-list' },
        ),
  );
}

function diffList(title: string, items: string[]): HTMLElement | null {
  if (items.length === 0) return null;
  return el('div', {}, el('strong', {}, `${title} (${items.length})`), el('ul', {}, ...items.map((i) => el('li', {}, i))));
}

/** The history of accepted sanctions-list imports, each with what it changed. */
export async function renderSanctions(api: MonitorApi, view: HTMLElement): Promise<void> {
  view.replaceChildren(el('h2', {}, 'Sanctions imports'));
  let imports: ImportRecord[];
  try {
    ({ imports } = await api.get<{ imports: ImportRecord[] }>('/sanctions/imports'));
  } catch (err) {
    view.append(message(err instanceof ApiError ? err.message : String(err), 'error'));
    return;
  }
  if (imports.length === 0) {
    view.append(el('p', {}, WORDS.noImports));
    return;
  }
  view.append(
    el(
      'div',
      { id: 'import-list' },
      ...imports.map((i) => {
        const d = i.diff;
        return el(
          'article',
          { class: 'card', 'data-import-id': String(i.id) },
          el('h3', {}, `${i.source.toUpperCase()} · ${i.fileName}`),
          el(
            'dl',
            {},
            el('dt', {}, 'Imported'),
            el('dd', {}, time(i.importedAt)),
            el('dt', {}, 'Published'),
            el('dd', {}, i.publishedAt ?? 'not stated'),
            el('dt', {}, 'Entries / wallets'),
            el('dd', {}, `${i.entryCount} / ${i.walletCount}`),
            el('dt', {}, 'SHA-256'),
            el('dd', {}, hex(i.sha256)),
            i.confirmedRemovals === null ? null : el('dt', {}, 'Confirmed removals'),
            i.confirmedRemovals === null ? null : el('dd', {}, String(i.confirmedRemovals)),
          ),
          diffList(
            'Wallets added',
            d.walletsAdded.map((w) => `${w.currency} ${w.address} (entry ${w.entryUid})`),
          ),
          diffList(
            'Wallets removed',
            d.walletsRemoved.map((w) => `${w.currency} ${w.address} (entry ${w.entryUid})`),
          ),
          diffList(
            'Entries added',
            d.entriesAdded.map((e) => `${e.uid} ${e.name}`),
          ),
          diffList(
            'Entries removed',
            d.entriesRemoved.map((e) => `${e.uid} ${e.name}`),
          ),
          diffList(
            'Entries changed',
            d.entriesChanged.map((e) => `${e.uid} ${e.name}: ${(e.changed ?? []).join(', ')}`),
          ),
        );
      }),
    ),
  );
}
