import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateText } from '@zkkyc/escrow';
import { createSarDraft, editSarDraft, fileSarDraft, type GoamlCodes, type ReportingEntity, type SarCaseInput, type SarDraft, type SarEdit, type SarReportCode, type SarStatus } from './draft.js';
import { SarError } from './errors.js';
import { goamlXml } from './goaml.js';
import { sarHtml } from './html.js';

/**
 * Where SAR drafts live. The operations are the officer's: make a draft from a case, change it,
 * mark it filed, look drafts up. The rules (what a draft holds, what may change, that filing is
 * final) are the pure functions of draft.ts, so that every implementation — this in-memory one,
 * the service's SQL one — applies the same ones: read the draft, apply the function, write it back
 * in one transaction.
 *
 * Nothing here sends a report anywhere. A draft leaves the service only as the files
 * {@link writeSarFiles} writes where the officer asks, or over the monitor's own API.
 */
export interface SarStore {
  /** A new draft for the case, status `draft`, created by `by`. */
  create(input: SarCaseInput, by: string): Promise<SarDraft>;
  /** The draft, or null. */
  get(id: string): Promise<SarDraft | null>;
  /** Applies an officer's edit; refuses (SarError) an unknown id or a filed draft. */
  edit(id: string, edit: SarEdit, by: string): Promise<SarDraft>;
  /** Marks the draft filed (after the officer submitted it to the FIU); refuses an unknown id or a second filing. */
  file(id: string, by: string, fiuReference?: string): Promise<SarDraft>;
  /** Drafts, newest first, optionally of one case or status. */
  list(filter?: { caseId?: string; status?: SarStatus }): Promise<SarDraftSummary[]>;
}

/** What a list shows of a draft. */
export interface SarDraftSummary {
  id: string;
  caseId: string;
  status: SarStatus;
  reportCode: SarReportCode;
  subject: string;
  transfers: number;
  createdAt: number;
  updatedAt: number;
  filed: SarDraft['filed'];
}

export function summaryOf(d: SarDraft): SarDraftSummary {
  return {
    id: d.id,
    caseId: d.caseId,
    status: d.status,
    reportCode: d.reportCode,
    subject: d.subject.identified ? [d.subject.firstName, d.subject.lastName].filter(Boolean).join(' ') : `Unidentified investor ${d.subject.investorTag ?? ''}`.trim(),
    transfers: d.transactions.length,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    filed: d.filed,
  };
}

/** The settings every draft is made with. */
export interface SarSettings {
  reportingEntity: ReportingEntity;
  codes?: Partial<GoamlCodes>;
  reportCode?: SarReportCode;
  narrativeTemplate?: string;
}

/** Unix seconds now; a test passes its own. */
export type Clock = () => number;
const systemClock: Clock = () => Math.floor(Date.now() / 1000);

/** Drafts in memory (tests, the demo); copies in and out, so a caller never holds the stored object. */
export class MemorySarStore implements SarStore {
  private readonly drafts = new Map<string, SarDraft>();
  private counter = 0;

  constructor(
    private readonly settings: SarSettings,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(input: SarCaseInput, by: string): Promise<SarDraft> {
    this.counter += 1;
    const id = `sar-${String(this.counter).padStart(6, '0')}`;
    const draft = createSarDraft(input, { ...this.settings, id, createdBy: by, at: this.clock() });
    this.drafts.set(id, draft);
    return structuredClone(draft);
  }

  async get(id: string): Promise<SarDraft | null> {
    const d = this.drafts.get(id);
    return d ? structuredClone(d) : null;
  }

  async edit(id: string, edit: SarEdit, by: string): Promise<SarDraft> {
    const next = editSarDraft(this.existing(id), edit, by, this.clock());
    this.drafts.set(id, next);
    return structuredClone(next);
  }

  async file(id: string, by: string, fiuReference?: string): Promise<SarDraft> {
    const next = fileSarDraft(this.existing(id), by, this.clock(), fiuReference);
    this.drafts.set(id, next);
    return structuredClone(next);
  }

  async list(filter: { caseId?: string; status?: SarStatus } = {}): Promise<SarDraftSummary[]> {
    return [...this.drafts.values()]
      .filter((d) => (filter.caseId === undefined || d.caseId === filter.caseId) && (filter.status === undefined || d.status === filter.status))
      .sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id))
      .map(summaryOf);
  }

  private existing(id: string): SarDraft {
    const d = this.drafts.get(id);
    if (!d) throw new SarError('id', 'exists', `no SAR draft ${JSON.stringify(id).slice(0, 80)}`);
    return d;
  }
}

/**
 * Writes the draft's goAML XML and printable HTML into `directory` (created if missing) as
 * `<id>.goaml.xml` and `<id>.html`, and returns their paths. This — or the service's API — is the
 * only way a draft leaves the monitor; uploading it to the FIU is the officer's act. A draft names
 * people, so each file is written as the escrow package writes personal data (writePrivateText):
 * a new owner-only (0600) file renamed over the path, never written through a symbolic link planted
 * there (refused) nor into a file someone prepared.
 */
export async function writeSarFiles(draft: SarDraft, directory: string): Promise<{ xml: string; html: string }> {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(draft.id) || draft.id.startsWith('.')) throw new SarError('id', 'file-name', 'a draft id used as a file name must be letters, digits, dot, dash or underscore');
  await mkdir(directory, { recursive: true });
  const xml = join(directory, `${draft.id}.goaml.xml`);
  const html = join(directory, `${draft.id}.html`);
  writePrivateText(xml, goamlXml(draft));
  writePrivateText(html, sarHtml(draft));
  return { xml, html };
}
