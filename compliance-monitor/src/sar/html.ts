import { escapeHtml, formatAmount as formatUnits } from '@zkkyc/escrow';
import type { SarDraft, SarTransaction } from './draft.js';
import { goamlGaps, transactionNumber } from './goaml.js';

/**
 * A SAR draft as one printable HTML page, for the officer to read, annotate and keep with the case.
 * It holds personal data, so it is written like the register of holders (packages/escrow,
 * register-writers.ts): every text escaped, no script, no external resource, no link, a
 * Content-Security-Policy that forbids anything but the inline stylesheet, and print rules (A4,
 * table rows not split across pages).
 */

const STYLE = `
  body { font: 10.5pt/1.45 "Helvetica Neue", Arial, sans-serif; color: #111; margin: 2em; }
  h1 { font-size: 16pt; margin: 0 0 .3em; }
  h2 { font-size: 12pt; margin: 1.4em 0 .4em; border-bottom: 1px solid #999; }
  table { border-collapse: collapse; width: 100%; margin: .3em 0 .8em; }
  th, td { border: 1px solid #bbb; padding: .2em .4em; text-align: left; vertical-align: top; }
  th { background: #eee; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  td.amount, th.amount { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .mono { font-family: "SFMono-Regular", Consolas, monospace; font-size: 9pt; word-break: break-all; }
  dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; margin: .5em 0 1em; }
  dl.meta dt { font-weight: bold; }
  dl.meta dd { margin: 0; white-space: pre-line; }
  .narrative { white-space: pre-wrap; border: 1px solid #bbb; padding: .6em; }
  .status { border: 2px solid #a60; padding: .5em; margin: 1em 0; }
  .status.filed { border-color: #060; }
  .gaps { color: #a00; }
  @page { size: A4; margin: 14mm; }
  @media print { body { margin: 0; } h2 { break-after: avoid; page-break-after: avoid; } }
`;

const e = escapeHtml;
const utc = (t: number | null | undefined) =>
  t
    ? new Date(t * 1000)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, ' UTC')
    : '';

function definitionList(pairs: readonly [string, string | undefined][]): string {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '');
  return `<dl class="meta">${shown.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>`;
}

function table(head: readonly string[], rows: readonly string[][], amountColumns: readonly number[] = []): string {
  const th = head.map((h, i) => `<th${amountColumns.includes(i) ? ' class="amount"' : ''}>${e(h)}</th>`).join('');
  const body = rows.length ? rows.map((r) => `<tr>${r.join('')}</tr>`).join('') : `<tr><td colspan="${head.length}">None.</td></tr>`;
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

const td = (text: string, cls?: string) => `<td${cls ? ` class="${cls}"` : ''}>${e(text)}</td>`;

const DIRECTION: Record<SarTransaction['direction'], string> = {
  out: 'sent by the subject',
  in: 'received by the subject',
  own: "between the subject's wallets",
  none: 'not the subject',
};

/** The draft as a self-contained printable page: status, subject, wallets, amounts, timeline, transfers, rule hits, narrative. */
export function sarHtml(draft: SarDraft): string {
  const { token, subject, totals } = draft;
  const title = `Suspicious activity report draft ${draft.id} — case ${draft.caseId}`;
  const symbol = token.symbol;

  const statusWords =
    draft.status === 'filed' && draft.filed
      ? `Filed by ${draft.filed.by} on ${utc(draft.filed.at)}${draft.filed.fiuReference ? `, FIU reference ${draft.filed.fiuReference}` : ''}. This report is final.`
      : draft.status === 'edited'
        ? `Draft, edited (last by ${draft.edits.at(-1)?.by ?? '?'} on ${utc(draft.updatedAt)}). Not filed: nothing has been sent to any authority.`
        : `Draft, as generated on ${utc(draft.createdAt)}. Not filed: nothing has been sent to any authority.`;
  const gaps = draft.status === 'filed' ? [] : goamlGaps(draft);
  const status = `<section><div class="status${draft.status === 'filed' ? ' filed' : ''}"><strong>${e(statusWords)}</strong></div>${
    gaps.length ? `<p>Before filing:</p><ul class="gaps">${gaps.map((g) => `<li>${e(g)}</li>`).join('')}</ul>` : ''
  }</section>`;

  const report = definitionList([
    ['Reporting entity', `${draft.reportingEntity.name} (goAML id ${draft.reportingEntity.rentityId}${draft.reportingEntity.rentityBranch ? `, branch ${draft.reportingEntity.rentityBranch}` : ''})`],
    ['Reporting person', [draft.reportingEntity.reportingPerson.title, draft.reportingEntity.reportingPerson.firstName, draft.reportingEntity.reportingPerson.lastName].filter(Boolean).join(' ')],
    ['Report type', draft.reportCode === 'STR' ? 'STR (suspicious transaction report)' : 'SAR (suspicious activity report)'],
    ['Case', draft.caseId],
    ['Token', `${token.name} (${symbol}), ${token.address} on chain ${token.chainId}, ${token.decimals} decimals`],
    ['Created', `${utc(draft.createdAt)} by ${draft.createdBy}`],
  ]);

  const id = subject.identification;
  const subjectSection = definitionList([
    ['Name', subject.identified ? [subject.firstName, subject.lastName].filter(Boolean).join(' ') : 'Unidentified investor'],
    ['Investor tag', subject.investorTag ?? 'unknown (wallets not registered)'],
    ['Date of birth', subject.birthDate],
    ['Nationality', subject.nationality],
    ['Country of residence (credential jurisdiction)', subject.residence],
    ['Identity document', id ? [id.type, id.number, id.issueCountry && `issued by ${id.issueCountry}`, id.expiryDate && `expires ${id.expiryDate}`].filter(Boolean).join(', ') : undefined],
    ['Source', subject.source],
  ]);

  const wallets = table(
    ['Wallet', `Sent (${symbol})`, `Received (${symbol})`],
    draft.wallets.map((w) => {
      let sent = 0n;
      let received = 0n;
      for (const t of draft.transactions) {
        if (t.from === w) sent += BigInt(t.value);
        if (t.to === w) received += BigInt(t.value);
      }
      return [td(w, 'mono'), td(formatUnits(sent, token.decimals), 'amount'), td(formatUnits(received, token.decimals), 'amount')];
    }),
    [1, 2],
  );

  const amounts = definitionList([
    ['Transfers', String(totals.transfers)],
    ['Sent by the subject', `${totals.sent} ${symbol}`],
    ['Received by the subject', `${totals.received} ${symbol}`],
    ['Total moved in these transfers', `${totals.volume} ${symbol}`],
    ['Unit price', draft.codes.unitPriceLocal === undefined ? 'not configured (amounts in token units only)' : `${draft.codes.unitPriceLocal} ${draft.codes.currencyCodeLocal} per ${symbol}`],
    ['First transfer', utc(totals.first)],
    ['Last transfer', utc(totals.last)],
  ]);

  const timeline = table(
    ['Time (UTC)', 'What', 'Where'],
    draft.timeline.map((t) => [td(utc(t.time)), td(t.what), td(t.ref ? `${t.ref.txHash} #${t.ref.logIndex}, block ${t.ref.blockNumber}` : 'rule engine', 'mono')]),
  );

  const transfers = table(
    ['Time (UTC)', 'From', 'To', `Amount (${symbol})`, 'Subject', 'Transaction'],
    draft.transactions.map((t) => [
      td(utc(t.time)),
      td(t.from, 'mono'),
      td(t.to, 'mono'),
      td(t.amount, 'amount'),
      td(DIRECTION[t.direction]),
      td(`${t.txHash} #${t.logIndex} (goAML ${transactionNumber(t)})`, 'mono'),
    ]),
    [3],
  );

  const hits = draft.hits.length
    ? draft.hits
        .map((h) => {
          const evidence = definitionList([
            ['Severity, score', `${h.severity}, ${h.score}`],
            ['At', utc(h.at)],
            ['Rules version', h.rulesVersion],
            ['Events', h.evidence.events.map((ref) => `${ref.txHash} #${ref.logIndex} (block ${ref.blockNumber})`).join('\n')],
            ['Amounts', h.evidence.amounts.map((a) => (/^\d+$/.test(a) ? `${formatUnits(BigInt(a), token.decimals)} ${symbol}` : a)).join(', ')],
            ['Times', h.evidence.times.map((t) => utc(t)).join(', ')],
            ...Object.keys(h.evidence.details)
              .sort()
              .map((k): [string, string] => [k, detailText(h.evidence.details[k])]),
          ]);
          return `<h3>${e(`${h.ruleId}: ${h.summary}`)}</h3>${evidence}`;
        })
        .join('')
    : '<p>No rule hit recorded.</p>';

  const edits = draft.edits.length
    ? table(
        ['When (UTC)', 'Officer', 'Fields'],
        draft.edits.map((x) => [td(utc(x.at)), td(x.by), td(x.fields.join(', '))]),
      )
    : '<p>Not edited.</p>';

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'none'; form-action 'none'; base-uri 'none'">`,
    '<meta name="robots" content="noindex">',
    `<title>${e(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${e(title)}</h1>`,
    '<p>Confidential: a suspicious-activity report and the personal data in it must not be shown to the subject (tipping-off).</p>',
    status,
    report,
    `<section><h2>Subject</h2>${subjectSection}</section>`,
    `<section><h2>Wallets</h2>${wallets}</section>`,
    `<section><h2>Amounts</h2>${amounts}</section>`,
    `<section><h2>Timeline</h2>${timeline}</section>`,
    `<section><h2>Transfers</h2>${transfers}</section>`,
    `<section><h2>Rule hits and evidence</h2>${hits}</section>`,
    `<section><h2>Reason</h2><div class="narrative">${e(draft.reason)}</div><h2>Action taken</h2><div class="narrative">${e(draft.action)}</div></section>`,
    `<section><h2>Narrative</h2><div class="narrative">${e(draft.narrative)}</div></section>`,
    `<section><h2>Status and history</h2>${definitionList([
      ['Status', draft.status],
      ['Indicators', draft.indicators.join(', ') || 'none'],
    ])}${edits}</section>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function detailText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
}
