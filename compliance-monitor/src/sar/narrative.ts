import type { SarDraft } from './draft.js';
import { SarError } from './errors.js';

/**
 * The narrative an officer starts from: a template whose `{{placeholders}}` are filled with the
 * case's facts when the draft is made. The result is plain text the officer then rewrites freely;
 * the template only saves typing the facts and keeps them exact (amounts with the token's decimals,
 * UTC times, full addresses).
 *
 * A template may use the placeholders listed in {@link NARRATIVE_PLACEHOLDERS}; any other
 * `{{name}}` is refused, so that a typo does not reach an FIU as literal braces.
 */

export const NARRATIVE_PLACEHOLDERS = [
  'reportingEntity',
  'caseId',
  'subject',
  'investorTag',
  'wallets',
  'walletCount',
  'token',
  'transferCount',
  'period',
  'sent',
  'received',
  'volume',
  'rules',
  'actions',
] as const;

export type NarrativeFacts = Record<(typeof NARRATIVE_PLACEHOLDERS)[number], string>;

export const DEFAULT_NARRATIVE_TEMPLATE = [
  '{{reportingEntity}} reports suspicious activity found by its transaction monitoring (case {{caseId}}).',
  '',
  'Subject: {{subject}} (investor tag {{investorTag}}), holding {{walletCount}} wallet(s) of {{token}}: {{wallets}}.',
  '',
  'The evidence holds {{transferCount}} token transfer(s) between {{period}}: the subject sent {{sent}} and received {{received}}; {{volume}} moved in all.',
  '',
  'Monitoring rules that matched:',
  '{{rules}}',
  '',
  'Actions taken: {{actions}}',
  '',
  '[Officer: describe why the activity is suspicious in the context of what is known about the investor, and any contact with them.]',
].join('\n');

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** The facts a template can name, read from a draft. */
export function narrativeFacts(draft: SarDraft): NarrativeFacts {
  const { subject, token, totals } = draft;
  const day = (t: number | null) =>
    t === null
      ? ''
      : new Date(t * 1000)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d{3}Z$/, ' UTC');
  const name = subject.identified ? [subject.firstName, subject.lastName].filter(Boolean).join(' ') : 'an unidentified investor (identity held in escrow, not disclosed)';
  return {
    reportingEntity: draft.reportingEntity.name,
    caseId: draft.caseId,
    subject: name + (subject.identified && subject.birthDate ? `, born ${subject.birthDate}` : ''),
    investorTag: subject.investorTag ?? 'unknown',
    wallets: draft.wallets.join(', ') || 'none listed',
    walletCount: String(draft.wallets.length),
    token: `${token.name} (${token.symbol}, ${token.address} on chain ${token.chainId})`,
    transferCount: String(totals.transfers),
    period: totals.first === null ? 'no recorded dates' : `${day(totals.first)} and ${day(totals.last)}`,
    sent: `${totals.sent} ${token.symbol}`,
    received: `${totals.received} ${token.symbol}`,
    volume: `${totals.volume} ${token.symbol}`,
    rules: draft.hits.length ? draft.hits.map((h) => `- ${h.ruleId} (${h.severity}, ${day(h.at)}): ${h.summary}`).join('\n') : '- none recorded',
    actions: draft.action,
  };
}

/** The template with every placeholder replaced; refuses unknown placeholders (the error names them). */
export function fillNarrative(template: string, facts: NarrativeFacts): string {
  const unknown = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((n) => !(n in facts));
  if (unknown.length) {
    throw new SarError('narrativeTemplate', 'placeholders', `unknown placeholder(s) ${[...new Set(unknown)].map((n) => `{{${n}}}`).join(', ')}; known: ${NARRATIVE_PLACEHOLDERS.join(', ')}`);
  }
  return template.replace(PLACEHOLDER, (_, n: keyof NarrativeFacts) => facts[n]);
}
