import { ApiError, type Application, type Proposal, type ScreeningMatch } from './api.js';
import { announce, badge, clearErrorsOnInput, el, facts, field, shortId, time, valueOf } from './dom.js';
import { CONTROL_FOR_FIELD, DOCUMENT_TYPES, STATUS_WORDS, WORDS, actionInWords, attributeNames, investorClassList, levelLabel } from './plain-words.js';
import { errorText, type Session } from './session.js';
import { INVESTOR_CLASSES } from '../../../packages/credentials/src/investor-classes.js';
import { KYC_LEVELS } from '../../src/services/kyc-levels.js';

/** Today plus `days`, YYYY-MM-DD (UTC), as the service compares expiry dates. */
const dateAfterDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/**
 * Shows a refused request next to the form that sent it, marks the control the API named as
 * invalid, and moves focus to the message (the message names the field and the rule).
 */
function refusal(form: HTMLFormElement, out: HTMLElement, err: unknown): void {
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
  const fieldName = err instanceof ApiError ? err.problem.field : undefined;
  const control = fieldName ? form.querySelector<HTMLElement>(`[name="${CONTROL_FOR_FIELD[fieldName] ?? ''}"]`) : null;
  control?.setAttribute('aria-invalid', 'true');
  // An earlier success line above the view no longer describes the page.
  document.getElementById('status')?.replaceChildren();
  announce(out, errorText(err), 'error');
}

/** A form's own check before sending: the first missing required value, named. */
function missing(form: HTMLFormElement, out: HTMLElement, checks: Array<[string, string]>): boolean {
  for (const [name, what] of checks) {
    if (!valueOf(form, name)) {
      const control = form.querySelector<HTMLElement>(`[name="${name}"]`);
      control?.setAttribute('aria-invalid', 'true');
      announce(out, WORDS.required(what), 'error');
      return true;
    }
  }
  return false;
}

function declaredSection(a: Application): HTMLElement {
  return el(
    'section',
    { 'aria-labelledby': 'declared-title', class: 'card' },
    el('h3', { id: 'declared-title' }, 'What the applicant declared'),
    el('p', { class: 'hint' }, WORDS.declaredIntro),
    facts([
      ['Jurisdiction', a.attributes.jurisdiction],
      ['Birth date', a.attributes.birthDate],
      ['Investor classes', investorClassList(a.attributes.investorClasses)],
      ['KYC level', a.attributes.kycLevel === undefined ? 'not declared (the reviewer sets it)' : WORDS.askedLevel(a.attributes.kycLevel)],
    ]),
  );
}

function evidenceSection(a: Application, matches: ScreeningMatch[] | null): HTMLElement {
  const decisions = a.decisions.length
    ? el('ul', {}, ...a.decisions.map((d) => el('li', {}, `${time(d.decidedAt)}: ${actionInWords(d.action)} by ${d.reviewer}${d.reason ? ` — ${d.reason}` : ''}`)))
    : 'none yet';
  let screening: string | HTMLElement | null = null;
  if (a.credentialId && matches) {
    screening = matches.length
      ? el('ul', {}, ...matches.map((m) => el('li', {}, `${m.source} list: ${m.entryName} (matched ${m.matchedName}, score ${m.score.toFixed(2)}) — ${m.status}`)))
      : 'no screening match for this credential';
  } else if (a.credentialId) screening = 'your key cannot read screening matches';
  return el(
    'section',
    { 'aria-labelledby': 'evidence-title', class: 'card' },
    el('h3', { id: 'evidence-title' }, 'Evidence this service holds'),
    el('p', { class: 'hint' }, WORDS.evidenceIntro),
    facts([
      ['Holder DID', el('code', {}, a.did)],
      ['Holder proved control of it', "yes: the application is signed with this DID's key over a one-time challenge"],
      ['Identity commitment', shortId(a.identityCommitment, 10)],
      ['Submitted', time(a.createdAt)],
      ['Decisions', decisions],
      ['Credential', a.credentialId ? `${a.credentialId} (${STATUS_WORDS[a.credentialStatus ?? 'active']}, expires ${a.credentialExpiryDate})` : null],
      ['Sanctions screening', screening],
    ]),
  );
}

function proposalSection(p: Proposal, pending: boolean): HTMLElement {
  return el(
    'section',
    { 'aria-labelledby': 'proposal-title', class: 'card' },
    el('h3', { id: 'proposal-title' }, `Proposal ${p.id}`),
    facts([
      ['Proposed by', `${p.reviewer}, ${time(p.proposedAt)}`],
      ['Jurisdiction', p.attributes.jurisdiction],
      ['Birth date', p.attributes.birthDate],
      ['Investor classes', investorClassList(p.attributes.investorClasses)],
      ['KYC level', levelLabel(p.attributes.kycLevel)],
      ['Differs from the declaration', p.changedAttributes.length ? attributeNames(p.changedAttributes) : 'nothing'],
      ['Reason', p.reason],
      ['Identity document', 'verified by the proposer; kept sealed, never shown here'],
    ]),
    // Once approved, the person's active credential is this application's own: nothing to warn about.
    pending && p.replacesCredentialId ? el('p', { class: 'warning' }, WORDS.replacesWarning(p.replacesCredentialId)) : null,
  );
}

function text(name: string, attrs: Record<string, string> = {}): HTMLInputElement {
  return el('input', { name, type: 'text', autocomplete: 'off', ...attrs });
}

/** The reviewer's findings: the identity document and the verified attributes; "Propose" records them. */
function proposeForm(session: Session, a: Application, latest: Proposal | null): HTMLElement {
  const base = latest?.attributes ?? a.attributes;
  const out = el('div', { class: 'form-result', 'aria-live': 'polite' });
  const docType = el('select', { name: 'document-type', required: '' }, ...DOCUMENT_TYPES.map(([v, l]) => el('option', { value: v }, l)));
  // Nothing pre-selected, not even a level the applicant requested: the reviewer chooses (finding H1).
  const level = el(
    'select',
    { name: 'kyc-level', required: '' },
    el('option', { value: '' }, 'Choose the level you verified'),
    ...KYC_LEVELS.map((l) => el('option', { value: String(l.level) }, `${l.name} (${l.level}): ${l.checks}`)),
  );
  const classes = el(
    'fieldset',
    { class: 'choices' },
    el('legend', {}, 'Investor classes verified'),
    ...INVESTOR_CLASSES.map((c) => {
      const box = el('input', { type: 'checkbox', name: 'investor-classes', value: c.id, id: `class-${c.id}` });
      box.checked = base.investorClasses.includes(c.id);
      return el('div', { class: 'choice' }, box, el('label', { for: `class-${c.id}` }, c.label));
    }),
  );
  const form = el(
    'form',
    { 'aria-labelledby': 'propose-title', novalidate: '' },
    el(
      'fieldset',
      {},
      el('legend', {}, 'Identity document'),
      field('document-type', 'Document type', docType),
      field('issuing-country', 'Issuing country', text('issuing-country', { maxlength: '2', required: '', value: '' }), 'Two letters, ISO 3166-1, e.g. FR'),
      field('document-number', 'Document number', text('document-number', { maxlength: '64', required: '' }), 'As in the machine-readable zone'),
      field('family-name', 'Family name', text('family-name', { maxlength: '200', required: '' })),
      field('given-names', 'Given names', text('given-names', { maxlength: '200' })),
      field('birth-date', 'Birth date on the document', el('input', { name: 'birth-date', type: 'date', required: '', value: base.birthDate }), 'The credential carries this birth date'),
    ),
    el(
      'fieldset',
      {},
      el('legend', {}, 'Verified attributes'),
      field('jurisdiction', 'Jurisdiction', text('jurisdiction', { maxlength: '2', required: '', value: base.jurisdiction }), 'Two letters, ISO 3166-1'),
      classes,
      field('kyc-level', 'KYC level', level, 'The level your checks support; the applicant does not choose it'),
    ),
    field('propose-reason', 'Note for the approver (optional)', el('textarea', { name: 'propose-reason', maxlength: '2000', rows: '2' })),
    el('button', { type: 'submit' }, 'Propose'),
    out,
  );
  clearErrorsOnInput(form, out);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const required: Array<[string, string]> = [
      ['issuing-country', 'issuing country'],
      ['document-number', 'document number'],
      ['family-name', 'family name'],
      ['birth-date', 'birth date'],
      ['jurisdiction', 'jurisdiction'],
    ];
    if (missing(form, out, required)) return;
    if (!level.value) {
      level.setAttribute('aria-invalid', 'true');
      announce(out, WORDS.chooseLevel, 'error');
      return;
    }
    const birthDate = valueOf(form, 'birth-date');
    const reason = valueOf(form, 'propose-reason');
    const body = {
      person: {
        documentType: docType.value,
        issuingCountry: valueOf(form, 'issuing-country').toUpperCase(),
        documentNumber: valueOf(form, 'document-number'),
        familyName: valueOf(form, 'family-name'),
        givenNames: valueOf(form, 'given-names'),
        birthDate,
      },
      attributes: {
        jurisdiction: valueOf(form, 'jurisdiction').toUpperCase(),
        birthDate,
        investorClasses: [...form.querySelectorAll<HTMLInputElement>('input[name="investor-classes"]:checked')].map((b) => b.value),
        kycLevel: Number(level.value),
      },
      ...(reason ? { reason } : {}),
    };
    void session.api.post<Proposal>(`/applications/${a.id}/proposal`, body).then(
      async (p) => {
        await session.refresh();
        session.report(WORDS.proposed(p.id), 'ok');
      },
      (err) => refusal(form, out, err),
    );
  });
  return el('section', { 'aria-labelledby': 'propose-title', class: 'card' }, el('h3', { id: 'propose-title' }, 'Your verified values'), el('p', { class: 'hint' }, WORDS.verifyIntro), form);
}

/** "Approve": the approver sets the expiry and approves the latest proposal by its id. */
function approveForm(session: Session, a: Application, p: Proposal): HTMLElement {
  const out = el('div', { class: 'form-result', 'aria-live': 'polite' });
  const expiry = el('input', { name: 'expiry', type: 'date', required: '', value: dateAfterDays(365), min: dateAfterDays(1) });
  const confirm = p.replacesCredentialId ? el('input', { type: 'checkbox', name: 'confirm-replacement', id: 'confirm-replacement' }) : null;
  const form = el(
    'form',
    { 'aria-labelledby': 'approve-title', novalidate: '' },
    field('expiry', 'Credential valid until', expiry, 'After today; at most the lifetime the service allows'),
    confirm ? el('div', { class: 'choice' }, confirm, el('label', { for: 'confirm-replacement' }, WORDS.confirmReplacement(p.replacesCredentialId!))) : null,
    el('button', { type: 'submit' }, `Approve proposal ${p.id}`),
    out,
  );
  clearErrorsOnInput(form, out);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (missing(form, out, [['expiry', 'expiry date']])) return;
    const body = { proposalId: p.id, expiryDate: expiry.value, ...(confirm?.checked ? { replaces: p.replacesCredentialId } : {}) };
    void session.api.post<Application & { credentialId: string }>(`/applications/${a.id}/approve`, body).then(
      async (approved) => {
        await session.refresh();
        session.report(WORDS.approved(approved.credentialId), 'ok');
      },
      (err) => refusal(form, out, err),
    );
  });
  return el('section', { 'aria-labelledby': 'approve-title', class: 'card' }, el('h3', { id: 'approve-title' }, 'Approve'), el('p', { class: 'hint' }, WORDS.approveIntro(p.reviewer)), form);
}

/** "Reject", with the reason required (the service keeps it in the decision and the audit trail). */
function rejectForm(session: Session, a: Application): HTMLElement {
  const out = el('div', { class: 'form-result', 'aria-live': 'polite' });
  const form = el(
    'form',
    { 'aria-labelledby': 'reject-title', novalidate: '' },
    field('reject-reason', 'Reason for rejecting (required)', el('textarea', { name: 'reason', maxlength: '2000', rows: '3', required: '' })),
    el('button', { type: 'submit', class: 'danger' }, 'Reject application'),
    out,
  );
  clearErrorsOnInput(form, out);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (missing(form, out, [['reason', 'reason for rejecting']])) return;
    void session.api.post(`/applications/${a.id}/reject`, { reason: valueOf(form, 'reason') }).then(
      async () => {
        await session.refresh();
        session.report(WORDS.rejected, 'ok');
      },
      (err) => refusal(form, out, err),
    );
  });
  return el('section', { 'aria-labelledby': 'reject-title', class: 'card' }, el('h3', { id: 'reject-title' }, 'Reject'), el('p', { class: 'hint' }, WORDS.rejectIntro), form);
}

/** One application: what was declared, the evidence held, the latest proposal, and the decisions the key may take. */
export async function renderApplication(session: Session, view: HTMLElement, id: string): Promise<void> {
  const a = await session.api.get<Application>(`/applications/${encodeURIComponent(id)}`);
  let proposal: Proposal | null = null;
  try {
    proposal = await session.api.get<Proposal>(`/applications/${encodeURIComponent(id)}/proposal`);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
  let matches: ScreeningMatch[] | null = null;
  if (a.credentialId && session.has('reviewer', 'revoker', 'admin')) {
    const all = (await session.api.get<{ items: ScreeningMatch[] }>('/screening/matches?limit=1000')).items;
    matches = all.filter((m) => m.credentialId === a.credentialId);
  }
  const parts: HTMLElement[] = [
    el('h2', { tabindex: '-1' }, `Application ${a.id.slice(0, 8)} `, badge(a.status, STATUS_WORDS[a.status])),
    el('p', {}, el('a', { href: '#queue' }, 'Back to the queue')),
    declaredSection(a),
    evidenceSection(a, matches),
  ];
  if (proposal) parts.push(proposalSection(proposal, a.status === 'pending'));
  if (a.status === 'pending') {
    if (session.has('reviewer')) parts.push(proposeForm(session, a, proposal));
    if (session.has('approver')) {
      parts.push(
        proposal
          ? approveForm(session, a, proposal)
          : el('section', { class: 'card', 'aria-labelledby': 'approve-title' }, el('h3', { id: 'approve-title' }, 'Approve'), el('p', {}, WORDS.approveNothing)),
      );
    }
    if (session.has('reviewer', 'approver')) parts.push(rejectForm(session, a));
  }
  view.replaceChildren(...parts);
}
