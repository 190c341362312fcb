import type { SarDraft, SarSubject, SarTransaction } from './draft.js';

/**
 * A SAR draft as a goAML report: the XML format of UNODC's goAML, which many financial intelligence
 * units (FIUs) take reports in. goAML fixes the element names and their order; each FIU publishes
 * its own schema on top, with its own code lists (conduction types, funds types, identifier types,
 * report indicators) and its own required fields. So this writer follows the standard order and
 * takes every code from the draft's {@link GoamlCodes}; the FIU's portal validates the upload.
 *
 * The report is a transaction report (`<transaction>` per token transfer), in the bi-party form:
 * `t_from` and `t_to`, each holding an account — the wallet. A token is not money, so the mapping
 * makes choices an FIU may want made otherwise (docs/compliance-monitor.md, "SAR drafts"):
 *
 * - conduction (`transmode_code`) and funds type are the configured "other" codes, with a comment
 *   saying it is a tokenized-security transfer on a blockchain;
 * - the "institution" of a wallet account is the token's register (a non-bank institution), and the
 *   account number is the wallet address; the subject is the signatory of their own wallets;
 * - `amount_local` is the value at the configured unit price, or — with none — the number of token
 *   units, which the description then says in words;
 * - `transactionnumber` holds at most 50 characters: the transaction hash cut to fit, then `-` and
 *   the log index (one transaction can move tokens more than once); the full hash is in `comments`;
 * - from/to country (a chain has none) is the reporting entity's country;
 * - `t_from`/`t_to`, not the `_my_client` forms, whose extra required fields (account opening dates,
 *   addresses…) a token register does not hold.
 *
 * Output is deterministic: the same draft gives the same bytes (the submission date is the filing
 * time, or the last change of a draft not yet filed). Every text is escaped, and characters XML 1.0
 * cannot carry at all (NUL, most control characters, lone surrogates) become U+FFFD.
 */

/** goAML's element order for the types written here (UNODC schema; an FIU's schema keeps it). */
export const GOAML_ORDER = {
  report: [
    'rentity_id',
    'rentity_branch',
    'submission_code',
    'report_code',
    'entity_reference',
    'fiu_ref_number',
    'submission_date',
    'currency_code_local',
    'reporting_person',
    'location',
    'reason',
    'action',
    'transaction',
    'activity',
    'report_indicators',
  ],
  transaction: [
    'transactionnumber',
    'internal_ref_number',
    'transaction_location',
    'transaction_description',
    'date_transaction',
    'teller',
    'authorized',
    'late_deposit',
    'date_posting',
    'value_date',
    'transmode_code',
    'transmode_comment',
    'amount_local',
    'involved_parties',
    't_from_my_client',
    't_from',
    't_to_my_client',
    't_to',
    'goods_services',
    'comments',
  ],
  t_from: ['from_funds_code', 'from_funds_comment', 'from_foreign_currency', 't_conductor', 'from_account', 'from_person', 'from_entity', 'from_country'],
  t_to: ['to_funds_code', 'to_funds_comment', 'to_foreign_currency', 'to_account', 'to_person', 'to_entity', 'to_country'],
  t_account: [
    'institution_name',
    'institution_code',
    'swift',
    'non_bank_institution',
    'branch',
    'account',
    'currency_code',
    'account_name',
    'iban',
    'client_number',
    'personal_account_type',
    't_entity',
    'signatory',
    'opened',
    'closed',
    'balance',
    'date_balance',
    'status_code',
    'beneficiary',
    'beneficiary_comment',
    'comments',
  ],
  signatory: ['is_primary', 't_person', 'role'],
  t_person: [
    'gender',
    'title',
    'first_name',
    'middle_name',
    'prefix',
    'last_name',
    'birthdate',
    'birth_place',
    'mothers_name',
    'alias',
    'ssn',
    'passport_number',
    'passport_country',
    'id_number',
    'nationality1',
    'nationality2',
    'nationality3',
    'residence',
    'phones',
    'addresses',
    'email',
    'occupation',
    'employer_name',
    'employer_address_id',
    'employer_phone_id',
    'identification',
    'deceased',
    'date_deceased',
    'tax_number',
    'tax_reg_number',
    'source_of_wealth',
    'comments',
  ],
  t_person_identification: ['type', 'number', 'issue_date', 'expiry_date', 'issued_by', 'issue_country', 'comments'],
  t_address: ['address_type', 'address', 'town', 'city', 'zip', 'country_code', 'state', 'comments'],
} as const;

/** goAML's longest `transactionnumber`. */
export const TRANSACTION_NUMBER_MAX = 50;
/** goAML's longest free text (`reason`, `action`, descriptions, comments). */
const TEXT_MAX = 4000;

// ── a small element tree ───────────────────────────────────────────────────────────────────────

interface Element {
  name: string;
  text?: string;
  children?: Element[];
}

type Content = string | number | boolean | undefined | null | (Element | null)[];

/** An element, or null when it has nothing in it (goAML wants optional elements left out, not empty). */
function el(name: string, content: Content): Element | null {
  if (content === undefined || content === null) return null;
  if (Array.isArray(content)) {
    const children = content.filter((c): c is Element => c !== null);
    return children.length ? { name, children } : null;
  }
  const text = String(content);
  return text === '' ? null : { name, text };
}

/** Characters XML 1.0 cannot hold, escaped or not. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text for XML content or a quoted attribute value. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/[&<>"'\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' })[c]!);
}

function write(e: Element, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  if (e.children) {
    out.push(`${pad}<${e.name}>`);
    for (const c of e.children) write(c, depth + 1, out);
    out.push(`${pad}</${e.name}>`);
  } else {
    out.push(`${pad}<${e.name}>${escapeXml(e.text ?? '')}</${e.name}>`);
  }
}

// ── values ─────────────────────────────────────────────────────────────────────────────────────

/** goAML's dateTime: `YYYY-MM-DDTHH:MM:SS`, here always UTC. */
export function goamlDateTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
}

const dateOnly = (date: string | undefined) => (date && /^\d{4}-\d{2}-\d{2}$/.test(date) ? `${date}T00:00:00` : undefined);
const cut = (text: string, max = TEXT_MAX) => (text.length > max ? text.slice(0, max - 1) + '…' : text);

/** The transaction number: the hash, cut to leave room for `-<log index>` within 50 characters. */
export function transactionNumber(t: Pick<SarTransaction, 'txHash' | 'logIndex'>): string {
  const suffix = `-${t.logIndex}`;
  return t.txHash.slice(0, TRANSACTION_NUMBER_MAX - suffix.length) + suffix;
}

/** `value` (base units) at `price` (local currency per whole token), rounded half up to cents. */
export function localValue(value: string, decimals: number, price: string): string {
  const [whole, fraction = ''] = price.split('.');
  const priceUnits = BigInt(whole + fraction);
  const denominator = 10n ** BigInt(decimals + fraction.length);
  const numerator = BigInt(value) * priceUnits * 100n;
  const cents = (numerator * 2n + denominator) / (2n * denominator);
  const digits = cents.toString().padStart(3, '0');
  return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** `amount_local` and the words that say what it is. */
function amountOf(draft: SarDraft, t: SarTransaction): { amount: string; words: string } {
  const price = draft.codes.unitPriceLocal;
  if (price !== undefined) {
    const amount = localValue(t.value, draft.token.decimals, price);
    return { amount, words: `${amount} ${draft.codes.currencyCodeLocal} at ${price} ${draft.codes.currencyCodeLocal} per ${draft.token.symbol}` };
  }
  return { amount: t.amount, words: `amount_local holds the number of ${draft.token.symbol} token units (no local-currency valuation configured)` };
}

// ── the parts ──────────────────────────────────────────────────────────────────────────────────

function person(name: string, s: SarSubject, draft: SarDraft): Element | null {
  const id = s.identification;
  const comments = [s.investorTag ? `Investor tag ${s.investorTag} (all the subject's wallets under the token's policy).` : '', s.source].filter(Boolean).join(' ');
  return el(name, [
    el('first_name', s.firstName || (s.identified ? '-' : 'Unidentified')),
    el('last_name', s.lastName),
    el('birthdate', dateOnly(s.birthDate)),
    el('nationality1', s.nationality),
    el('residence', s.residence),
    // goAML requires the issuing country of an identification; without it the document is left out (goamlGaps says so).
    id?.issueCountry
      ? el('identification', [el('type', draft.codes.identifierTypes[id.type] ?? id.type), el('number', id.number), el('expiry_date', dateOnly(id.expiryDate)), el('issue_country', id.issueCountry)])
      : null,
    el('comments', cut(comments)),
  ]);
}

const ZERO = '0x0000000000000000000000000000000000000000';

function account(name: string, wallet: string, draft: SarDraft): Element | null {
  const subjects = draft.wallets.includes(wallet);
  const label = wallet === ZERO ? 'Zero address (token issuance or redemption, no holder)' : subjects ? "Subject's wallet" : 'Counterparty wallet';
  return el(name, [
    el('institution_name', cut(`${draft.token.name} (${draft.token.symbol}) token register ${draft.token.address}, chain ${draft.token.chainId}`, 255)),
    el('non_bank_institution', 'true'),
    el('account', wallet),
    el('account_name', label),
    subjects ? el('signatory', [el('is_primary', 'true'), person('t_person', draft.subject, draft)]) : null,
    el('comments', 'Blockchain wallet address; the account is a position in the token contract, not a bank account.'),
  ]);
}

function transaction(t: SarTransaction, draft: SarDraft): Element | null {
  const { token, codes } = draft;
  const { amount, words } = amountOf(draft, t);
  const kind = t.kind === 'mint' ? 'Issuance (mint)' : t.kind === 'burn' ? 'Redemption (burn)' : 'Transfer';
  const description = `${kind} of ${t.amount} ${token.symbol} of the tokenized security ${token.name} (permissioned token ${token.address}, chain ${token.chainId}) from ${t.from} to ${t.to}; ${words}.`;
  const fundsComment = `Tokenized security units (${token.symbol}), not cash or bank money`;
  return el('transaction', [
    el('transactionnumber', transactionNumber(t)),
    el('internal_ref_number', `${token.chainId}:${t.blockNumber}:${t.logIndex}`),
    el('transaction_location', `Blockchain (chain id ${token.chainId})`),
    el('transaction_description', cut(description)),
    el('date_transaction', goamlDateTime(t.time)),
    el('transmode_code', codes.transmodeCode),
    el('transmode_comment', 'Transfer of a tokenized security on a blockchain'),
    el('amount_local', amount),
    el('t_from', [el('from_funds_code', codes.fundsCode), el('from_funds_comment', fundsComment), account('from_account', t.from, draft), el('from_country', draft.reportingEntity.countryCode)]),
    el('t_to', [el('to_funds_code', codes.fundsCode), el('to_funds_comment', fundsComment), account('to_account', t.to, draft), el('to_country', draft.reportingEntity.countryCode)]),
    el('comments', `Transaction hash ${t.txHash}, log index ${t.logIndex}, block ${t.blockNumber}.`),
  ]);
}

/**
 * The draft as a goAML `<report>` document (UTF-8, with XML declaration): header (reporting entity,
 * codes, submission date, reporting person, location, reason, action), one `<transaction>` per
 * token transfer, the report indicators, and the narrative appended to `reason` (goAML has no
 * narrative element of its own; both are capped at goAML's 4000 characters — see {@link goamlGaps}).
 */
export function goamlXml(draft: SarDraft): string {
  const entity = draft.reportingEntity;
  const rp = entity.reportingPerson;
  const loc = entity.location;
  const reason = cut(`${draft.reason}\n\nNarrative:\n${draft.narrative}`);
  const root = el('report', [
    el('rentity_id', entity.rentityId),
    el('rentity_branch', entity.rentityBranch),
    el('submission_code', draft.codes.submissionCode),
    el('report_code', draft.reportCode),
    el('entity_reference', draft.id),
    el('fiu_ref_number', draft.filed?.fiuReference),
    el('submission_date', goamlDateTime(draft.filed?.at ?? draft.updatedAt)),
    el('currency_code_local', draft.codes.currencyCodeLocal),
    el('reporting_person', [el('title', rp.title), el('first_name', rp.firstName), el('last_name', rp.lastName), el('email', rp.email), el('occupation', rp.occupation)]),
    loc
      ? el('location', [
          el('address_type', loc.addressType),
          el('address', loc.address),
          el('town', loc.town),
          el('city', loc.city),
          el('zip', loc.zip),
          el('country_code', loc.countryCode),
          el('state', loc.state),
        ])
      : null,
    el('reason', reason),
    el('action', cut(draft.action)),
    ...draft.transactions.map((t) => transaction(t, draft)),
    el(
      'report_indicators',
      draft.indicators.map((code) => el('indicator', code)),
    ),
  ])!;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  write(root, 0, out);
  return out.join('\n') + '\n';
}

/**
 * What an FIU's schema or reviewer is likely to refuse or question in this draft's goAML report:
 * the officer reads these before uploading. Empty when nothing is known to be missing.
 */
export function goamlGaps(draft: SarDraft): string[] {
  const gaps: string[] = [];
  if (draft.transactions.length === 0) gaps.push('No token transfer among the evidence: a goAML transaction report needs at least one <transaction>.');
  if (draft.indicators.length === 0) gaps.push("No report indicator: map the rules to the FIU's indicator codes (codes.indicators) or add them by hand.");
  if (!draft.reportingEntity.location) gaps.push("No location: the reporting entity's address (<location>) is not configured.");
  if (!draft.subject.identified) gaps.push('The subject is not identified (no escrow disclosure for this case): the report names an unidentified investor by tag and wallets.');
  if (draft.subject.identified && !draft.subject.nationality) gaps.push("The subject's nationality is unknown (the disclosure has none): add it if the FIU requires it.");
  const id = draft.subject.identification;
  if (id && !id.issueCountry) gaps.push('The identity document has no issuing country, which goAML requires: it is left out of the XML (add subject.identification.issueCountry).');
  if (draft.subject.identified && !draft.subject.firstName) gaps.push('The subject has no given names: goAML requires first_name, written as "-".');
  if (id && draft.codes.identifierTypes[id.type] === undefined) gaps.push(`The document type "${id.type}" has no FIU identifier code (codes.identifierTypes); it is written as is.`);
  if (draft.codes.unitPriceLocal === undefined && draft.transactions.length) gaps.push(`No unit price: amount_local holds ${draft.token.symbol} token units, not ${draft.codes.currencyCodeLocal}.`);
  if (draft.codes.transmodeCode === 'O' || draft.codes.fundsCode === 'O') gaps.push('transmode_code / funds code are the placeholder "O": set the FIU\'s own codes for "other".');
  if (`${draft.reason}\n\nNarrative:\n${draft.narrative}`.length > TEXT_MAX) gaps.push(`Reason and narrative together exceed goAML's ${TEXT_MAX} characters: the <reason> element is cut.`);
  return gaps;
}
