import { formatAmount, type DisclosedRecord } from '@zkkyc/escrow';
import type { CaseSummary, ChainEvent, EventRef, RuleHit } from '../model.js';
import { SarError } from './errors.js';
import { DEFAULT_NARRATIVE_TEMPLATE, fillNarrative, narrativeFacts } from './narrative.js';

/**
 * A suspicious-activity report draft: everything a compliance officer needs to report a case to a
 * financial intelligence unit (FIU), gathered once from the case and then edited by hand.
 *
 * A draft is made from a case (its hits, the chain events those hits cite, and — when the case led
 * to an escrow disclosure — the person the issuer disclosed). It is a snapshot: the facts are
 * copied in, so the goAML XML and the printable page made from it are the same every time, whatever
 * happens to the case afterwards. The officer then edits the narrative and the fields an FIU asks
 * for, and marks it filed once it has been submitted through the FIU's own portal. Filing is the
 * end: a filed draft is the record of what was reported and is never changed again.
 *
 * Nothing here sends anything anywhere: a draft leaves the service only as a file an officer
 * downloads or writes, or over the monitor's own API (docs/compliance-monitor.md, "SAR drafts").
 */

// ── the model ──────────────────────────────────────────────────────────────────────────────────

export type SarStatus = 'draft' | 'edited' | 'filed';

/** goAML's report kinds this module writes: a suspicious transaction or a suspicious activity report. */
export type SarReportCode = 'STR' | 'SAR';

/** A postal address, in goAML's `t_address` terms. */
export interface SarAddress {
  /** The FIU's contact-type code (e.g. B business). */
  addressType: string;
  address: string;
  city: string;
  /** ISO 3166-1 alpha-2. */
  countryCode: string;
  town?: string;
  zip?: string;
  state?: string;
}

/** Who files: the reporting entity as the FIU registered it, and the officer who signs the report. */
export interface ReportingEntity {
  /** The id the FIU gave the reporting entity in goAML (`rentity_id`). */
  rentityId: string;
  rentityBranch?: string;
  name: string;
  /** ISO 3166-1 alpha-2 of the reporting entity; also the goAML `from_country`/`to_country` (a chain has none). */
  countryCode: string;
  reportingPerson: { firstName: string; lastName: string; title?: string; email?: string; occupation?: string };
  location?: SarAddress;
}

/**
 * The codes an FIU defines itself. goAML fixes the element names and order; the code lists
 * (conduction types, funds types, identifier types, report indicators) are each FIU's. The defaults
 * are placeholders to replace with the FIU's lookup values (docs/compliance-monitor.md, "SAR drafts").
 */
export interface GoamlCodes {
  /** Local currency, ISO 4217 (`currency_code_local`). */
  currencyCodeLocal: string;
  /** `submission_code`: E electronic (the default), M manual. */
  submissionCode: string;
  /** `transmode_code` for a token transfer; the FIU's "other" conduction type. */
  transmodeCode: string;
  /** `from_funds_code` / `to_funds_code` for tokens; the FIU's "other" funds type. */
  fundsCode: string;
  /** Price of one whole token in the local currency (decimal string); without it `amount_local` carries token units. */
  unitPriceLocal?: string;
  /** Identity-document type (issuer-service `documentType`) → the FIU's identifier-type code. */
  identifierTypes: Record<string, string>;
  /** Rule id → the FIU's report-indicator codes. */
  indicators: Record<string, string[]>;
}

export const DEFAULT_GOAML_CODES: GoamlCodes = {
  currencyCodeLocal: 'EUR',
  submissionCode: 'E',
  transmodeCode: 'O',
  fundsCode: 'O',
  identifierTypes: {},
  indicators: {},
};

/** The identity document the issuer verified. */
export interface SarIdentification {
  /** As the issuer recorded it (`passport`, `national-id`, …); the FIU code comes from {@link GoamlCodes.identifierTypes}. */
  type: string;
  number: string;
  /** ISO 3166-1 alpha-2 of the issuing state. */
  issueCountry?: string;
  expiryDate?: string;
}

/** The subject: a person the issuer disclosed, or an investor known only by tag and wallets. */
export interface SarSubject {
  identified: boolean;
  /** The gate's investor tag, when known: all the wallets below belong to it under the token's policy. */
  investorTag: string | null;
  firstName: string;
  lastName: string;
  /** YYYY-MM-DD. */
  birthDate?: string;
  /** ISO 3166-1 alpha-2. */
  nationality?: string;
  /** The credential's jurisdiction (ISO alpha-2), reported as country of residence. */
  residence?: string;
  identification?: SarIdentification;
  /** Where the identity came from, or why there is none. */
  source: string;
}

/** The token the case is about. */
export interface SarToken {
  chainId: number;
  address: string;
  name: string;
  symbol: string;
  decimals: number;
}

/** One token transfer from the case's evidence. */
export interface SarTransaction extends EventRef {
  /** Block time, unix seconds. */
  time: number;
  from: string;
  to: string;
  /** Base units, decimal string. */
  value: string;
  /** `value` in whole tokens, with the token's decimals (e.g. `1250.5`). */
  amount: string;
  /** Which side is the subject's: `out` (subject sends), `in`, `own` (between its wallets), `none`. */
  direction: 'out' | 'in' | 'own' | 'none';
  kind: 'transfer' | 'mint' | 'burn';
}

/** One line of the timeline: an event or a rule hit, in time order. */
export interface SarTimelineEntry {
  time: number;
  kind: 'event' | 'hit';
  what: string;
  ref?: EventRef;
}

/** A rule hit as the draft keeps it. */
export interface SarRuleHit {
  ruleId: string;
  rulesVersion: string;
  severity: RuleHit['severity'];
  score: number;
  summary: string;
  at: number;
  evidence: { events: EventRef[]; amounts: string[]; times: number[]; details: Record<string, unknown> };
}

/** A change an officer made. */
export interface SarEditRecord {
  by: string;
  at: number;
  fields: string[];
}

export interface SarDraft {
  id: string;
  caseId: string;
  status: SarStatus;
  reportCode: SarReportCode;
  reportingEntity: ReportingEntity;
  codes: GoamlCodes;
  token: SarToken;
  subject: SarSubject;
  /** The subject's wallets (lower-case), in the order the case lists them. */
  wallets: string[];
  transactions: SarTransaction[];
  timeline: SarTimelineEntry[];
  hits: SarRuleHit[];
  totals: { transfers: number; sent: string; received: string; volume: string; first: number | null; last: number | null };
  /** goAML `reason`: why the activity is suspicious (the hits' summaries, editable). */
  reason: string;
  /** goAML `action`: what the reporting entity did (freezes, holds…), editable. */
  action: string;
  /** Report-indicator codes (from the rules' mapping, editable). */
  indicators: string[];
  /** The narrative: a template filled with the case's facts, then the officer's text. */
  narrative: string;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  edits: SarEditRecord[];
  /** Set once, when filed: who marked it filed, when, and the FIU's reference if they gave one. */
  filed: { by: string; at: number; fiuReference?: string } | null;
}

/** What a draft is made from. */
export interface SarCaseInput {
  case: CaseSummary;
  /** The case's hits. */
  hits: readonly RuleHit[];
  /** The events the hits cite, and any other events of the case to report: every `Transfer` of the token among them becomes a transaction, all of them timeline entries. */
  events: readonly ChainEvent[];
  token: SarToken;
  /** The record an escrow disclosure returned for the case's subject, if there was one. */
  disclosure?: DisclosedRecord | null;
  /** What was done (freezes, holds, revocations), one sentence each. */
  actionsTaken?: readonly string[];
}

export interface SarDraftOptions {
  id: string;
  reportingEntity: ReportingEntity;
  codes?: Partial<GoamlCodes>;
  reportCode?: SarReportCode;
  narrativeTemplate?: string;
  createdBy: string;
  at: number;
}

// ── making a draft ─────────────────────────────────────────────────────────────────────────────

const ZERO = '0x0000000000000000000000000000000000000000';
const ADDRESS = /^0x[0-9a-f]{40}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const country = (v: unknown): string | undefined => {
  const t = text(v)?.toUpperCase();
  return t && /^[A-Z]{2}$/.test(t) ? t : undefined;
};

/** The subject from an escrow disclosure's record, or an unidentified investor known by its tag. */
export function subjectOf(investorTag: string | null, disclosure: DisclosedRecord | null | undefined): SarSubject {
  const person = disclosure?.person ?? {};
  const lastName = text(person.familyName) ?? text(person.lastName);
  if (!disclosure || !lastName) {
    return {
      identified: false,
      investorTag,
      firstName: 'Unidentified',
      lastName: 'investor',
      source: investorTag ? `Not disclosed: identity held in escrow under investor tag ${investorTag}` : 'Not disclosed: the wallets are not registered to an investor',
    };
  }
  const birthDate = text(person.birthDate) ?? text(disclosure.attributes?.birthDate);
  const documentNumber = text(person.documentNumber);
  const credentialId = text(disclosure.credential?.id);
  return {
    identified: true,
    investorTag,
    firstName: text(person.givenNames) ?? text(person.firstName) ?? '',
    lastName,
    birthDate: birthDate && ISO_DATE.test(birthDate) ? birthDate : undefined,
    nationality: country(person.nationality),
    residence: country(disclosure.attributes?.jurisdiction),
    identification: documentNumber
      ? {
          type: text(person.documentType) ?? 'unknown',
          number: documentNumber,
          issueCountry: country(person.issuingCountry) ?? country(person.documentCountry),
          expiryDate: text(person.documentExpiry),
        }
      : undefined,
    source: `Escrow disclosure${credentialId ? ` of credential ${credentialId}` : ''}`,
  };
}

const eventKey = (e: EventRef) => `${e.txHash.toLowerCase()}:${e.logIndex}`;
const byChainOrder = (a: EventRef, b: EventRef) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex;

function checkInput(input: SarCaseInput, options: SarDraftOptions): void {
  if (!input.case?.id) throw new SarError('case.id', 'required', 'the case has no id');
  const { token } = input;
  if (!token || !ADDRESS.test(token.address.toLowerCase())) throw new SarError('token.address', 'address', 'must be a 0x-prefixed 20-byte address');
  if (!Number.isInteger(token.decimals) || token.decimals < 0 || token.decimals > 77) throw new SarError('token.decimals', 'integer', 'must be a whole number from 0 to 77');
  if (!options.id) throw new SarError('id', 'required', 'a draft needs an id');
  if (!options.createdBy) throw new SarError('createdBy', 'required', 'name the officer who creates the draft');
  if (!options.reportingEntity?.rentityId) throw new SarError('reportingEntity.rentityId', 'required', "the reporting entity's goAML id is not configured");
  const price = options.codes?.unitPriceLocal;
  if (price !== undefined && !/^\d+(\.\d+)?$/.test(price)) throw new SarError('codes.unitPriceLocal', 'decimal', `must be a non-negative decimal such as 12.50, got "${String(price).slice(0, 30)}"`);
}

/**
 * A new draft for a case: the subject (from the disclosure when there is one), the subject's
 * wallets, every token transfer among the evidence, the timeline, totals, the rule hits and a
 * narrative filled from the template. Refuses (SarError) a case without id, a malformed token or a
 * reporting entity without its goAML id.
 */
export function createSarDraft(input: SarCaseInput, options: SarDraftOptions): SarDraft {
  checkInput(input, options);
  const token: SarToken = { ...input.token, address: input.token.address.toLowerCase() };
  const wallets = [...new Set(input.case.subject.wallets.map((w) => w.toLowerCase()))];
  const own = new Set(wallets);

  // Events, once each, in chain order.
  const seen = new Map<string, ChainEvent>();
  for (const e of input.events) if (!seen.has(eventKey(e))) seen.set(eventKey(e), e);
  const events = [...seen.values()].sort(byChainOrder);

  // Token transfers become the report's transactions.
  const transactions: SarTransaction[] = [];
  for (const e of events) {
    if (e.source !== 'token' || e.name !== 'Transfer') continue;
    if (e.address.toLowerCase() !== token.address) continue;
    const from = (e.args.from ?? '').toLowerCase();
    const to = (e.args.to ?? '').toLowerCase();
    const value = e.args.value ?? '';
    if (!ADDRESS.test(from) || !ADDRESS.test(to) || !/^\d+$/.test(value)) {
      throw new SarError(`events[${e.txHash}:${e.logIndex}]`, 'transfer', 'a Transfer event needs from, to (addresses) and value (decimal)');
    }
    const fromOwn = own.has(from);
    const toOwn = own.has(to);
    transactions.push({
      txHash: e.txHash.toLowerCase(),
      logIndex: e.logIndex,
      blockNumber: e.blockNumber,
      time: e.blockTime,
      from,
      to,
      value,
      amount: formatAmount(BigInt(value), token.decimals),
      direction: fromOwn && toOwn ? 'own' : fromOwn ? 'out' : toOwn ? 'in' : 'none',
      kind: from === ZERO ? 'mint' : to === ZERO ? 'burn' : 'transfer',
    });
  }

  // Totals (base units, then formatted).
  let sent = 0n;
  let received = 0n;
  let volume = 0n;
  for (const t of transactions) {
    const v = BigInt(t.value);
    volume += v;
    if (t.direction === 'out') sent += v;
    if (t.direction === 'in') received += v;
  }
  const times = transactions.map((t) => t.time);

  const hits: SarRuleHit[] = [...input.hits]
    .sort((a, b) => a.at - b.at || a.ruleId.localeCompare(b.ruleId))
    .map((h) => ({
      ruleId: h.ruleId,
      rulesVersion: h.rulesVersion,
      severity: h.severity,
      score: h.score,
      summary: h.summary,
      at: h.at,
      evidence: { events: [...h.evidence.events], amounts: [...h.evidence.amounts], times: [...h.evidence.times], details: { ...h.evidence.details } },
    }));

  const entries: SarTimelineEntry[] = [
    ...events.map((e): SarTimelineEntry => ({
      time: e.blockTime,
      kind: 'event',
      what: describeEvent(e, token, own),
      ref: { txHash: e.txHash.toLowerCase(), logIndex: e.logIndex, blockNumber: e.blockNumber },
    })),
    ...hits.map((h): SarTimelineEntry => ({ time: h.at, kind: 'hit', what: `Rule ${h.ruleId} (${h.severity}): ${h.summary}` })),
  ];
  // Events before the hit they complete at the same second; events in chain order.
  const timeline = entries.sort((a, b) => a.time - b.time || (a.kind === b.kind ? 0 : a.kind === 'event' ? -1 : 1) || (a.ref && b.ref ? byChainOrder(a.ref, b.ref) : 0));

  const codes: GoamlCodes = {
    ...DEFAULT_GOAML_CODES,
    ...options.codes,
    identifierTypes: { ...DEFAULT_GOAML_CODES.identifierTypes, ...options.codes?.identifierTypes },
    indicators: { ...DEFAULT_GOAML_CODES.indicators, ...options.codes?.indicators },
  };
  const indicators = [...new Set(hits.flatMap((h) => codes.indicators[h.ruleId] ?? []))];

  const draft: SarDraft = {
    id: options.id,
    caseId: input.case.id,
    status: 'draft',
    reportCode: options.reportCode ?? 'STR',
    reportingEntity: structuredClone(options.reportingEntity),
    codes,
    token,
    subject: subjectOf(input.case.subject.investorTag, input.disclosure),
    wallets,
    transactions,
    timeline,
    hits,
    totals: {
      transfers: transactions.length,
      sent: formatAmount(sent, token.decimals),
      received: formatAmount(received, token.decimals),
      volume: formatAmount(volume, token.decimals),
      first: times.length ? Math.min(...times) : null,
      last: times.length ? Math.max(...times) : null,
    },
    reason: hits.length ? hits.map((h) => `${h.ruleId}: ${h.summary}`).join('\n') : `Case ${input.case.id} opened by the compliance team.`,
    action: input.actionsTaken?.length ? input.actionsTaken.join('\n') : 'No action recorded in the case.',
    indicators,
    narrative: '',
    createdAt: options.at,
    createdBy: options.createdBy,
    updatedAt: options.at,
    edits: [],
    filed: null,
  };
  draft.narrative = fillNarrative(options.narrativeTemplate ?? DEFAULT_NARRATIVE_TEMPLATE, narrativeFacts(draft));
  return draft;
}

function describeEvent(e: ChainEvent, token: SarToken, own: Set<string>): string {
  const who = (a: string | undefined) => {
    const w = (a ?? '').toLowerCase();
    return w === ZERO ? 'nobody (zero address)' : own.has(w) ? `subject wallet ${w}` : w;
  };
  const units = (v: string | undefined) => (v && /^\d+$/.test(v) ? `${formatAmount(BigInt(v), token.decimals)} ${token.symbol}` : String(v ?? ''));
  if (e.name === 'Transfer') {
    if ((e.args.from ?? '').toLowerCase() === ZERO) return `Mint of ${units(e.args.value)} to ${who(e.args.to)}`;
    if ((e.args.to ?? '').toLowerCase() === ZERO) return `Burn of ${units(e.args.value)} from ${who(e.args.from)}`;
    return `Transfer of ${units(e.args.value)} from ${who(e.args.from)} to ${who(e.args.to)}`;
  }
  const args = Object.keys(e.args)
    .sort()
    .map((k) => `${k}=${e.args[k]}`)
    .join(', ');
  return `${e.name} (${e.source} ${e.address.toLowerCase()})${args ? `: ${args}` : ''}`;
}

// ── editing and filing ─────────────────────────────────────────────────────────────────────────

/** What an officer may change. Facts from the chain (transactions, hits, timeline) are not editable. */
export interface SarEdit {
  narrative?: string;
  reason?: string;
  action?: string;
  indicators?: string[];
  reportCode?: SarReportCode;
  /** Completes or corrects the subject (e.g. a nationality the disclosure lacked). */
  subject?: Partial<Omit<SarSubject, 'identified' | 'investorTag' | 'source'>>;
}

/** goAML's limits for the free-text elements this module fills. */
export const MAX_NARRATIVE_CHARS = 4000;

const EDITABLE = ['narrative', 'reason', 'action', 'indicators', 'reportCode', 'subject'] as const;

function refuseIfFiled(draft: SarDraft, what: string): void {
  if (draft.status === 'filed' || draft.filed) {
    throw new SarError(
      'status',
      'filed-is-final',
      `draft ${draft.id} was filed by ${draft.filed?.by ?? 'an officer'} at ${isoTime(draft.filed?.at ?? draft.updatedAt)}; a filed report is the record of what was reported and cannot be ${what} — start a new draft for a follow-up report`,
    );
  }
}

/**
 * The draft with an officer's changes, status `edited` and the change recorded (who, when, which
 * fields). Refuses a filed draft, unknown fields, empty officer names, a narrative, reason or action
 * over 4000 characters (goAML's limit) and an unknown report code.
 */
export function editSarDraft(draft: SarDraft, edit: SarEdit, by: string, at: number): SarDraft {
  refuseIfFiled(draft, 'edited');
  if (!by?.trim()) throw new SarError('by', 'required', 'name the officer who edits the draft');
  const unknown = Object.keys(edit).filter((k) => !(EDITABLE as readonly string[]).includes(k));
  if (unknown.length) throw new SarError(unknown[0], 'editable', `not an editable field; editable: ${EDITABLE.join(', ')}`);
  for (const field of ['narrative', 'reason', 'action'] as const) {
    const value = edit[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new SarError(field, 'string', 'must be text');
    if (value.length > MAX_NARRATIVE_CHARS) throw new SarError(field, 'max-length', `is ${value.length} characters; goAML accepts at most ${MAX_NARRATIVE_CHARS}`);
  }
  if (edit.reportCode !== undefined && edit.reportCode !== 'STR' && edit.reportCode !== 'SAR') throw new SarError('reportCode', 'enum', 'must be STR or SAR');
  if (edit.indicators !== undefined && (!Array.isArray(edit.indicators) || edit.indicators.some((i) => typeof i !== 'string' || !i.trim()))) {
    throw new SarError('indicators', 'codes', 'must be a list of non-empty indicator codes');
  }
  if (edit.subject !== undefined) checkSubjectEdit(edit.subject);
  const fields = Object.keys(edit).filter((k) => edit[k as keyof SarEdit] !== undefined);
  if (fields.length === 0) throw new SarError('edit', 'non-empty', 'nothing to change');
  const next: SarDraft = structuredClone(draft);
  if (edit.narrative !== undefined) next.narrative = edit.narrative;
  if (edit.reason !== undefined) next.reason = edit.reason;
  if (edit.action !== undefined) next.action = edit.action;
  if (edit.reportCode !== undefined) next.reportCode = edit.reportCode;
  if (edit.indicators !== undefined) next.indicators = [...new Set(edit.indicators.map((i) => i.trim()))];
  if (edit.subject !== undefined) next.subject = { ...next.subject, ...structuredClone(edit.subject) };
  next.status = 'edited';
  next.updatedAt = at;
  next.edits = [...next.edits, { by: by.trim(), at, fields }];
  return next;
}

const SUBJECT_FIELDS = ['firstName', 'lastName', 'birthDate', 'nationality', 'residence', 'identification'] as const;

function checkSubjectEdit(subject: NonNullable<SarEdit['subject']>): void {
  if (typeof subject !== 'object' || subject === null) throw new SarError('subject', 'object', 'must be an object of subject fields');
  for (const [key, value] of Object.entries(subject)) {
    const field = `subject.${key}`;
    if (!(SUBJECT_FIELDS as readonly string[]).includes(key)) throw new SarError(field, 'editable', `not an editable subject field; editable: ${SUBJECT_FIELDS.join(', ')}`);
    if (value === undefined) continue;
    if (key === 'identification') {
      const id = value as SarIdentification;
      if (typeof id !== 'object' || id === null || typeof id.type !== 'string' || typeof id.number !== 'string' || !id.type || !id.number) {
        throw new SarError(field, 'identification', 'needs a type and a number (text)');
      }
      if (id.issueCountry !== undefined && !/^[A-Z]{2}$/.test(id.issueCountry)) throw new SarError(`${field}.issueCountry`, 'iso3166-alpha2', 'must be two capital letters (ISO 3166-1 alpha-2)');
      if (id.expiryDate !== undefined && !ISO_DATE.test(id.expiryDate)) throw new SarError(`${field}.expiryDate`, 'date', 'must be YYYY-MM-DD');
      continue;
    }
    if (typeof value !== 'string') throw new SarError(field, 'string', 'must be text');
    if (value.length > 255) throw new SarError(field, 'max-length', 'is longer than goAML allows (255 characters)');
    if ((key === 'nationality' || key === 'residence') && !/^[A-Z]{2}$/.test(value)) throw new SarError(field, 'iso3166-alpha2', 'must be two capital letters (ISO 3166-1 alpha-2)');
    if (key === 'birthDate' && !ISO_DATE.test(value)) throw new SarError(field, 'date', 'must be YYYY-MM-DD');
    if (key === 'lastName' && !value.trim()) throw new SarError(field, 'required', 'goAML requires a last name');
  }
}

/**
 * The draft marked filed: the officer submitted it through the FIU's portal (this module never
 * does). Records who and when, and the FIU's reference when given. Filing twice is refused.
 */
export function fileSarDraft(draft: SarDraft, by: string, at: number, fiuReference?: string): SarDraft {
  refuseIfFiled(draft, 'filed again');
  if (!by?.trim()) throw new SarError('by', 'required', 'name the officer who filed the report');
  const next: SarDraft = structuredClone(draft);
  next.status = 'filed';
  next.updatedAt = at;
  next.filed = { by: by.trim(), at, ...(fiuReference?.trim() ? { fiuReference: fiuReference.trim() } : {}) };
  return next;
}

/** A unix time as ISO-8601 UTC without milliseconds. */
export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
