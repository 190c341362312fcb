import type { MonitorStore } from '../store/monitor-store.js';
import { createSarDraft, editSarDraft, fileSarDraft, type SarCaseInput, type SarDraft, type SarEdit, type SarStatus } from './draft.js';
import { SarError } from './errors.js';
import { summaryOf, type Clock, type SarDraftSummary, type SarSettings, type SarStore } from './store.js';

/**
 * SAR drafts kept in the monitor's own database, so they survive restarts and live (and are backed
 * up) with the cases they report on. Each draft is one `monitor_state` row (`sar:<id>`) and the list
 * of ids is one more (`sar:index`): no table of its own, so no migration, on SQLite and Postgres
 * alike. Every operation reads, applies draft.ts's pure function and writes back in one
 * transaction, so two officers editing at once cannot lose each other's change or file twice.
 *
 * A draft holds what an escrow disclosure revealed about its subject; it stays until deleted by
 * hand (the retention purge does not touch `monitor_state`): a filed report is the record of what
 * was reported.
 */
export class SqlSarStore implements SarStore {
  constructor(
    private readonly store: MonitorStore,
    private readonly settings: SarSettings,
    private readonly clock: Clock = () => Math.floor(Date.now() / 1000),
  ) {}

  async create(input: SarCaseInput, by: string): Promise<SarDraft> {
    return this.store.transaction(async (tx) => {
      const ids = (await tx.loadState<string[]>(INDEX_KEY))?.value ?? [];
      const id = `sar-${String(ids.length + 1).padStart(6, '0')}`;
      const draft = createSarDraft(input, { ...this.settings, id, createdBy: by, at: this.clock() });
      await tx.saveState(draftKey(id), draft, 0);
      await tx.saveState(INDEX_KEY, [...ids, id], 0);
      await tx.audit(by, 'sar-created', 'sar', id, { caseId: draft.caseId });
      return draft;
    });
  }

  async get(id: string): Promise<SarDraft | null> {
    if (!SAR_ID.test(id)) return null;
    return (await this.store.loadState<SarDraft>(draftKey(id)))?.value ?? null;
  }

  async edit(id: string, edit: SarEdit, by: string): Promise<SarDraft> {
    return this.update(id, by, 'sar-edited', (d, at) => editSarDraft(d, edit, by, at));
  }

  async file(id: string, by: string, fiuReference?: string): Promise<SarDraft> {
    return this.update(id, by, 'sar-filed', (d, at) => fileSarDraft(d, by, at, fiuReference));
  }

  async list(filter: { caseId?: string; status?: SarStatus } = {}): Promise<SarDraftSummary[]> {
    const ids = (await this.store.loadState<string[]>(INDEX_KEY))?.value ?? [];
    const drafts: SarDraft[] = [];
    for (const id of ids) {
      const d = await this.get(id);
      if (d && (filter.caseId === undefined || d.caseId === filter.caseId) && (filter.status === undefined || d.status === filter.status)) drafts.push(d);
    }
    return drafts.sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id)).map(summaryOf);
  }

  private update(id: string, by: string, action: string, change: (d: SarDraft, at: number) => SarDraft): Promise<SarDraft> {
    return this.store.transaction(async (tx) => {
      const current = SAR_ID.test(id) ? (await tx.loadState<SarDraft>(draftKey(id)))?.value : undefined;
      if (!current) throw new SarError('id', 'exists', `no SAR draft ${JSON.stringify(id).slice(0, 80)}`);
      const next = change(current, this.clock());
      await tx.saveState(draftKey(id), next, 0);
      await tx.audit(by, action, 'sar', id, action === 'sar-edited' ? { fields: next.edits.at(-1)?.fields } : { fiuReference: next.filed?.fiuReference ?? null });
      return next;
    });
  }
}

const INDEX_KEY = 'sar:index';
const SAR_ID = /^sar-[0-9]{6,}$/;
const draftKey = (id: string) => `sar:${id}`;
