/**
 * Suspicious-activity report drafts (issue 11, item 5; docs/compliance-monitor.md, "SAR drafts"):
 * a draft made from a case, written as goAML XML and as a printable page, edited by an officer and
 * marked filed. Nothing in this module sends anything: no network code.
 */
export { SarError } from './errors.js';
export {
  createSarDraft,
  DEFAULT_GOAML_CODES,
  editSarDraft,
  fileSarDraft,
  isoTime,
  MAX_NARRATIVE_CHARS,
  subjectOf,
  type GoamlCodes,
  type ReportingEntity,
  type SarAddress,
  type SarCaseInput,
  type SarDraft,
  type SarDraftOptions,
  type SarEdit,
  type SarEditRecord,
  type SarIdentification,
  type SarReportCode,
  type SarRuleHit,
  type SarStatus,
  type SarSubject,
  type SarTimelineEntry,
  type SarToken,
  type SarTransaction,
} from './draft.js';
export { DEFAULT_NARRATIVE_TEMPLATE, fillNarrative, NARRATIVE_PLACEHOLDERS, narrativeFacts, type NarrativeFacts } from './narrative.js';
export { escapeXml, GOAML_ORDER, goamlDateTime, goamlGaps, goamlXml, localValue, TRANSACTION_NUMBER_MAX, transactionNumber } from './goaml.js';
export { sarHtml } from './html.js';
export { MemorySarStore, summaryOf, writeSarFiles, type Clock, type SarDraftSummary, type SarSettings, type SarStore } from './store.js';
