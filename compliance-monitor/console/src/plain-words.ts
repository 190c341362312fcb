/**
 * Every sentence the console shows that is not data from the monitor, in one place, so that no
 * internal name (a route, a JSON-schema keyword) reaches the screen unexplained.
 */
import type { ApiProblem } from './api.js';

const BY_CODE: Record<string, string> = {
  missing_key: 'Enter your officer key.',
  unknown_key: 'This officer key was not accepted. Check it with whoever runs the monitor.',
  not_found: 'That record does not exist (any more).',
  invalid_field: 'A value was not accepted.',
  no_change: 'Nothing changed: the case already has that status.',
  sar_filed: 'This report was already filed; a filed report cannot change. Start a new draft for a follow-up.',
  not_configured: 'This monitor is not set up for this.',
  disclosure_refused: "This disclosure is not about this case: it must name an escrow registration, indexed by the monitor, of one of the case's wallets.",
  case_closed: 'The case is closed. Reopen it first.',
  no_agent_key: 'This monitor has no agent key, so it cannot approve or reject transfers. Decide with an agent wallet instead.',
  chain_refused: 'The chain refused or did not answer.',
  unreachable: 'The monitor does not answer. Check that it is running.',
  internal_error: 'The monitor failed on this request. Its log has the details.',
};

const FIELD_NAMES: Record<string, string> = {
  'x-api-key': 'officer key',
  text: 'note',
  reason: 'reason',
  status: 'status',
  narrative: 'narrative',
  id: 'identifier',
  ref: 'report',
  'disclosure.registrationTx': 'registration transaction',
  'disclosure.policyId': 'policy',
};

/** A refusal in words: what happened, which field, and the monitor's own explanation. */
export function problemInWords(status: number, p: ApiProblem): string {
  const lead = BY_CODE[p.code] ?? `The monitor refused the request (${status}).`;
  const field = p.field ? ` Field: ${FIELD_NAMES[p.field] ?? p.field}.` : '';
  return `${lead}${field} (${p.message})`;
}

export const WORDS = {
  signedIn: (name: string) => `Signed in. Key kept for this tab only.${name}`,
  checkingKey: 'Checking the key…',
  loading: 'Loading…',
  noCases: 'No cases.',
  noTransfers: 'No transfers are waiting for approval.',
  transfersReadOnly: 'This monitor has no agent key: you can see the transfers, but approving or rejecting needs an agent wallet.',
  noFreezes: 'No wallet is frozen.',
  noImports: 'No sanctions list has been imported yet.',
  noDrafts: 'No SAR drafts yet. Open a case and choose "Draft SAR".',
  noteAdded: 'Note added.',
  statusChanged: (s: string) => `Status changed to ${s}.`,
  sarCreated: (id: string) => `SAR draft ${id} created.`,
  narrativeSaved: 'Narrative saved.',
  filed: (id: string) => `${id} is marked filed. It can no longer be changed.`,
  approved: (id: string, tx: string) => `Transfer ${id} approved (transaction ${tx}).`,
  rejected: (id: string, tx: string) => `Transfer ${id} rejected (transaction ${tx}).`,
  fileWarning: 'Marking filed records that you submitted this report to the financial intelligence unit yourself. The monitor never sends it.',
  unidentified: 'not disclosed',
  missingEvent: 'event no longer stored (retention)',
  noDisclosure: 'No disclosure attached: the investor is known by tag and wallets only. A SAR drafted now names an unidentified investor.',
  noPersonInDisclosure: 'the issuer holds no verified person for this credential',
  registrationsHeading: 'Escrow registrations a disclosure request can name',
  noEscrowRegistrations: 'None indexed: these wallets registered without escrow, so no disclosure is possible.',
  attachDisclosureLabel: "The issuer's answer to the disclosure (its JSON, as received)",
  disclosurePlaceholder: '{"disclosure": {…}, "record": {…}}',
  disclosureNotJson: "That is not JSON. Paste the issuer's answer exactly as it was received.",
  disclosureAttached: 'Disclosure attached. A SAR drafted from now on names this person.',
};
