import type { RegisterHolder, RegisterOfHolders, RegisterWallet, WalletStatus } from './register-of-holders.js';

/**
 * The register of holders on paper: a CSV file (one row per wallet) for spreadsheets and other
 * programs, and a self-contained printable HTML page (one section per holder) for people.
 *
 * Both hold personal data the issuer disclosed, and both are opened in programs that interpret
 * their content, so every value is neutralised on the way out. CSV follows RFC 4180 (every field
 * quoted, quotes doubled, CRLF line ends) and a cell that starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return gets a leading apostrophe, so that a spreadsheet shows it as text instead of
 * running it as a formula (a name like `=HYPERLINK(…)` must stay a name). In HTML every text is
 * escaped (`& < > " '`), the page has no script, no external resource and no link, and its
 * stylesheet includes print rules (A4 landscape, a holder's section not split across pages).
 */

// ── values ─────────────────────────────────────────────────────────────────────────────────────

/** An amount in the token's smallest unit as a decimal with `decimals` places, trailing zeros dropped. */
export function formatAmount(value: bigint, decimals: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = decimals > 0 ? digits.slice(digits.length - decimals).replace(/0+$/, '') : '';
  return (negative ? '-' : '') + whole + (fraction ? '.' + fraction : '');
}

/** A unix time as `YYYY-MM-DD HH:MM:SS UTC`, or '' for 0. */
export function formatTime(seconds: number): string {
  if (!seconds) return '';
  return new Date(seconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}

const STATUS_WORDS: Record<WalletStatus, string> = {
  current: 'registered',
  expired: 'registration expired',
  revoked: 'registration revoked',
  unregistered: 'not registered',
};

/** Labels for the person fields issuer-service is known to send, in the order they are shown. */
const PERSON_LABELS: [string, string][] = [
  ['familyName', 'Family name'],
  ['givenNames', 'Given names'],
  ['birthDate', 'Date of birth'],
  ['nationality', 'Nationality'],
  ['documentType', 'Document type'],
  ['documentCountry', 'Document country'],
  ['issuingCountry', 'Issuing country'],
  ['documentNumber', 'Document number'],
  ['documentExpiry', 'Document expiry'],
  ['address', 'Address'],
  ['email', 'Email'],
  ['personId', 'Person id'],
];
const ATTRIBUTE_LABELS: [string, string][] = [
  ['jurisdiction', 'Jurisdiction'],
  ['investorClass', 'Investor class'],
  ['investorClasses', 'Investor classes'],
  ['kycLevel', 'KYC level'],
  ['expiryDate', 'Credential expiry'],
];

/** `camelCase` → `Camel case`, for fields without a known label. */
function labelOf(field: string, known: readonly [string, string][]): string {
  const found = known.find(([k]) => k === field);
  if (found) return found[1];
  const words = field
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The fields of some records in display order: known ones first (in their order), then the rest alphabetically. */
function fieldOrder(objects: readonly (Record<string, unknown> | undefined)[], known: readonly [string, string][]): string[] {
  const present = new Set(objects.flatMap((o) => (o ? Object.keys(o).filter((k) => o[k] !== undefined && o[k] !== null) : [])));
  const first = known.map(([k]) => k).filter((k) => present.has(k));
  const rest = [...present].filter((k) => !first.includes(k)).sort();
  return [...first, ...rest];
}

/** A value as text: strings as they are, numbers and booleans printed, arrays joined, objects as JSON. */
function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return value.map(textOf).join(', ');
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}

const hexTag = (tag: bigint) => '0x' + tag.toString(16).padStart(48, '0');

// ── CSV ────────────────────────────────────────────────────────────────────────────────────────

/** One CSV field: formula-looking text gets a leading apostrophe, then the field is quoted (RFC 4180). */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** Rows of text as RFC 4180 CSV: every field quoted, CRLF after every row. */
export function csvOf(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => row.map(csvField).join(',') + '\r\n').join('');
}

/**
 * The register as CSV, one row per wallet: the holder's key and the person's fields (a column per
 * field any record has), the attributes, the credential, the investor tag, then the wallet, its
 * balance (in token units), status, verified-until and the registration and request it was
 * disclosed under, and the problem if it was not.
 */
export function registerCsv(register: RegisterOfHolders): string {
  const personFields = fieldOrder(
    register.holders.map((h) => h.person),
    PERSON_LABELS,
  );
  const attributeFields = fieldOrder(
    register.holders.map((h) => h.attributes),
    ATTRIBUTE_LABELS,
  );
  const header = [
    'holder',
    ...personFields,
    // The credential's attributes, prefixed: the person's birthDate and the credential's are two
    // columns that must not read as one.
    ...attributeFields.map((f) => `credential.${f}`),
    'credentialId',
    'credentialStatus',
    'credentialValidUntil',
    'investorTag',
    'wallet',
    `balance (${register.token.symbol})`,
    'status',
    'verifiedUntil',
    'registrationTx',
    'registrationLogIndex',
    'leafIndex',
    'disclosureRequest',
    'problem',
  ];
  const rows: string[][] = [header];
  for (const holder of register.holders) {
    for (const wallet of holder.wallets) {
      const r = wallet.registration;
      const credential = holder.credentials[0];
      rows.push([
        holder.key,
        ...personFields.map((f) => textOf(holder.person?.[f])),
        ...attributeFields.map((f) => textOf(holder.attributes?.[f])),
        textOf(holder.credentials.map((c) => c.id).filter(Boolean)),
        textOf(credential?.status),
        textOf(credential?.validUntil),
        r ? hexTag(r.investorTag) : '',
        wallet.address,
        formatAmount(wallet.balance, register.token.decimals),
        STATUS_WORDS[wallet.status],
        formatTime(wallet.verifiedUntil),
        r?.transaction ?? '',
        r ? String(r.logIndex) : '',
        r?.leafIndex === undefined ? '' : String(r.leafIndex),
        r?.request?.reference ?? '',
        wallet.problem ?? '',
      ]);
    }
  }
  return csvOf(rows);
}

// ── HTML ───────────────────────────────────────────────────────────────────────────────────────

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
  body { font: 10.5pt/1.4 "Helvetica Neue", Arial, sans-serif; color: #111; margin: 2em; }
  h1 { font-size: 16pt; margin: 0 0 .3em; }
  h2 { font-size: 12pt; margin: 1.4em 0 .4em; border-bottom: 1px solid #999; }
  table { border-collapse: collapse; width: 100%; margin: .3em 0 .8em; }
  th, td { border: 1px solid #bbb; padding: .2em .4em; text-align: left; vertical-align: top; }
  th { background: #eee; }
  td.amount, th.amount { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .mono { font-family: "SFMono-Regular", Consolas, monospace; font-size: 9pt; word-break: break-all; }
  dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; margin: .5em 0 1em; }
  dl.meta dt { font-weight: bold; }
  dl.meta dd { margin: 0; white-space: pre-line; }
  section.holder { break-inside: avoid; page-break-inside: avoid; }
  .problem { color: #a00; }
  .notice { border: 2px solid #a00; padding: .5em; margin: 1em 0; }
  @page { size: A4 landscape; margin: 12mm; }
  @media print { body { margin: 0; } h2 { break-after: avoid; page-break-after: avoid; } }
`;

function definitionList(pairs: readonly [string, string][], className = 'meta'): string {
  return `<dl class="${className}">${pairs.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

function walletTable(wallets: readonly RegisterWallet[], register: RegisterOfHolders): string {
  const symbol = escapeHtml(register.token.symbol);
  const rows = wallets.map((w) => {
    const r = w.registration;
    const cells = [
      `<td class="mono">${escapeHtml(w.address)}</td>`,
      `<td class="amount">${escapeHtml(formatAmount(w.balance, register.token.decimals))}</td>`,
      `<td>${escapeHtml(STATUS_WORDS[w.status])}</td>`,
      `<td>${escapeHtml(formatTime(w.verifiedUntil))}</td>`,
      `<td class="mono">${escapeHtml(r ? hexTag(r.investorTag) : '')}</td>`,
      `<td class="mono">${escapeHtml(r?.request ? `request ${r.request.id}` : '')}${r?.leafIndex === undefined ? '' : escapeHtml(`, leaf ${r.leafIndex}`)}</td>`,
    ];
    const problem = w.problem ? `<tr><td colspan="6" class="problem">${escapeHtml(w.problem)}</td></tr>` : '';
    return `<tr>${cells.join('')}</tr>${problem}`;
  });
  return `<table><thead><tr><th>Wallet</th><th class="amount">Balance (${symbol})</th><th>Status</th><th>Verified until</th><th>Investor tag</th><th>Disclosure</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function holderSection(holder: RegisterHolder, index: number, register: RegisterOfHolders): string {
  const person = holder.person;
  const name = person ? [textOf(person.givenNames ?? person.firstName), textOf(person.familyName ?? person.lastName)].filter(Boolean).join(' ') || holder.key : 'Not identified';
  const details: [string, string][] = [];
  if (person) for (const f of fieldOrder([person], PERSON_LABELS)) details.push([labelOf(f, PERSON_LABELS), textOf(person[f])]);
  if (holder.attributes) for (const f of fieldOrder([holder.attributes], ATTRIBUTE_LABELS)) details.push([labelOf(f, ATTRIBUTE_LABELS), textOf(holder.attributes[f])]);
  for (const c of holder.credentials) {
    details.push(['Credential', [c.id, c.status, c.issuedAt && `issued ${c.issuedAt}`, c.validUntil && `valid until ${c.validUntil}`].filter(Boolean).map(textOf).join(', ')]);
  }
  details.push(['Holder key', holder.key]);
  details.push(['Total balance', `${formatAmount(holder.balance, register.token.decimals)} ${register.token.symbol}`]);
  return `<section class="holder"><h2>${index}. ${escapeHtml(name)}</h2>${definitionList(details)}${walletTable(holder.wallets, register)}</section>`;
}

/** The register as one printable HTML page (no script, no external resource, every text escaped). */
export function registerHtml(register: RegisterOfHolders): string {
  const { token } = register;
  const title = `Register of holders — ${token.name} (${token.symbol}), policy ${register.policyId}`;
  const meta: [string, string][] = [
    ['Token', `${token.name} (${token.symbol}), ${token.address}`],
    ['Policy', `${register.policyId} on the gate ${register.gate}`],
    ['Chain', String(register.chainId)],
    ['As of', `block ${register.asOf.block}, ${formatTime(register.asOf.timestamp)}`],
    ['Disclosure log', register.log],
    ['Case', `${register.case.reference} (case hash ${register.case.hash})`],
    ['Holders', `${register.totals.holders} (${register.totals.identified} identified), ${register.totals.wallets} wallet(s)`],
    ['Total held', `${formatAmount(register.totals.balance, token.decimals)} ${token.symbol} of a supply of ${formatAmount(token.totalSupply, token.decimals)} ${token.symbol}`],
  ];
  if (register.totals.unidentifiedBalance > 0n) meta.push(['Held by unidentified wallets', `${formatAmount(register.totals.unidentifiedBalance, token.decimals)} ${token.symbol}`]);
  const notice =
    register.problems.length > 0
      ? `<div class="notice"><strong>${escapeHtml(`Incomplete: ${register.problems.length} wallet(s) could not be tied to a person.`)}</strong><ul>${register.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul></div>`
      : '';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    '<p>Confidential: personal data disclosed under the disclosure log requests named below.</p>',
    definitionList(meta),
    notice,
    ...register.holders.map((h, i) => holderSection(h, i + 1, register)),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
