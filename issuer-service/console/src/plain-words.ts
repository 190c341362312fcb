/**
 * Every sentence the console shows that is not data from the issuer, in one place, so no internal
 * name (a route, an error code, a JSON path) reaches the screen unexplained.
 */
import type { ApiProblem } from './api.js';
import { INVESTOR_CLASSES } from '../../../packages/credentials/src/investor-classes.js';
import { kycLevelLabel } from '../../src/services/kyc-levels.js';

const BY_CODE: Record<string, string> = {
  missing_api_key: 'Enter your reviewer key.',
  invalid_api_key: 'This reviewer key was not accepted. Check it with whoever runs the issuer service.',
  missing_role: 'Your key does not hold the role this needs.',
  four_eyes: 'Four-eyes rule: the key that proposed these values cannot also approve them. Another approver must approve.',
  proposal_required: 'Four-eyes rule: changing what the applicant declared needs a proposal by a reviewer first, then another key approves it.',
  kyc_level_unset: 'The KYC level is your finding: choose the level your checks support. The level an applicant asked for is never issued.',
  proposal_mismatch: 'The approval differs from the proposal. Approve the proposal as it is, or record a new one.',
  proposal_unconfirmed: 'This application has a proposal: review it and approve it by its number.',
  proposal_changed: 'A newer proposal was recorded after you opened this page. Reload and review it.',
  replacement_unconfirmed: 'This person already holds an active credential. Approving replaces (revokes) it, so confirm that first.',
  application_not_pending: 'This application was already decided.',
  credential_not_active: 'This credential is not active any more.',
  application_pending: 'This holder already has a pending application.',
  not_found: 'That record does not exist (any more).',
  invalid_field: 'A value was not accepted.',
  rate_limited: 'Too many requests. Wait a minute and try again.',
  tree_full: "The issuer's tree is full: no credential can be issued into it.",
  no_anchor: 'This issuer service runs without a chain anchor, so it cannot publish roots.',
  anchor_unavailable: 'The chain did not accept the publication. It will be retried.',
  person_has_active_credential: 'This person already holds an active credential.',
  unreachable: 'The issuer service does not answer. Check that it is running.',
  internal_error: 'The issuer service failed on this request. Its log has the details.',
};

const FIELD_NAMES: Record<string, string> = {
  'x-api-key': 'reviewer key',
  reason: 'reason',
  expiryDate: 'expiry date',
  proposalId: 'proposal',
  replaces: 'credential replaced',
  proposal: 'proposal',
  attributes: 'verified attributes',
  'attributes.jurisdiction': 'jurisdiction',
  'attributes.birthDate': 'birth date',
  'attributes.investorClasses': 'investor classes',
  'attributes.kycLevel': 'KYC level',
  person: 'identity document',
  'person.documentType': 'document type',
  'person.issuingCountry': 'issuing country',
  'person.documentNumber': 'document number',
  'person.familyName': 'family name',
  'person.givenNames': 'given names',
  'person.birthDate': 'birth date on the document',
  id: 'identifier',
};

/** The form control each API field is typed into, so an error can point the reviewer at it. */
export const CONTROL_FOR_FIELD: Record<string, string> = {
  reason: 'reason',
  expiryDate: 'expiry',
  'attributes.jurisdiction': 'jurisdiction',
  'attributes.birthDate': 'birth-date',
  'person.birthDate': 'birth-date',
  'attributes.investorClasses': 'investor-classes',
  'attributes.kycLevel': 'kyc-level',
  'person.documentType': 'document-type',
  'person.issuingCountry': 'issuing-country',
  'person.documentNumber': 'document-number',
  'person.familyName': 'family-name',
  'person.givenNames': 'given-names',
  replaces: 'confirm-replacement',
};

/** A refusal in words: what happened, which field and rule, and the issuer's own explanation. */
export function problemInWords(status: number, p: ApiProblem): string {
  const lead = BY_CODE[p.code] ?? `The issuer service refused the request (${status}).`;
  const field = p.field ? ` Field: ${FIELD_NAMES[p.field] ?? p.field}${p.rule ? ` (rule: ${p.rule})` : ''}.` : '';
  return `${lead}${field} The service says: ${p.message}.`;
}

export function fieldName(field: string): string {
  return FIELD_NAMES[field] ?? field;
}

const ATTRIBUTE_NAMES: Record<string, string> = {
  jurisdiction: 'jurisdiction',
  birthDate: 'birth date',
  investorClasses: 'investor classes',
  kycLevel: 'KYC level',
};

export const attributeNames = (names: string[]): string => names.map((n) => ATTRIBUTE_NAMES[n] ?? n).join(', ');

export function investorClassLabel(id: string): string {
  return INVESTOR_CLASSES.find((c) => c.id === id)?.label ?? id;
}

export const investorClassList = (ids: string[]): string => (ids.length === 0 ? 'none declared' : ids.map(investorClassLabel).join(', '));

export const levelLabel = (level: number | undefined): string => (level === undefined ? 'not set' : kycLevelLabel(level));

export const DOCUMENT_TYPES: Array<[string, string]> = [
  ['passport', 'Passport'],
  ['national-id', 'National identity card'],
  ['driving-licence', 'Driving licence'],
  ['residence-permit', 'Residence permit'],
];

const ACTIONS: Record<string, string> = {
  propose: 'proposed verified values',
  approve: 'approved',
  reject: 'rejected',
  revoke: 'revoked',
  replace: 'replaced (revoked)',
  publish: 'published a root',
  disclose: 'disclosed an identity record',
  'purge-identity-record': 'purged an identity record',
  'screening-export': 'exported persons for screening',
  'screening-match': 'recorded a screening match',
  'screening-confirm': 'confirmed a screening match',
  'screening-dismiss': 'dismissed a screening match',
  'screening-moot': 'closed a screening match as moot',
  'oid4vci-offer': 'made a credential offer',
  'oid4vci-offer-void': 'voided a credential offer',
  'oid4vci-deliver': 'delivered a credential',
  'bulk-import': 'issued credentials from an import file',
};

export const actionInWords = (action: string): string => ACTIONS[action] ?? action;

export const STATUS_WORDS: Record<string, string> = {
  pending: 'pending',
  approved: 'approved',
  rejected: 'rejected',
  active: 'active',
  revoked: 'revoked',
  expired: 'expired',
};

export const WORDS = {
  checkingKey: 'Checking the key…',
  signedInAs: (name: string, roles: string[]) => `Signed in as ${name}. Roles: ${roles.join(', ') || 'none'}.`,
  signedOut: 'Signed out. The key was removed from this page.',
  loading: 'Loading…',
  queueEmpty: (status: string) => `No ${status} applications.`,
  queueFilteredEmpty: 'No application matches the filter.',
  queueCount: (shown: number, all: number) => `${shown} of ${all} shown, oldest first.`,
  noProposal: 'No proposal yet.',
  proposalBy: (who: string, changes: string[]) => (changes.length ? `proposed by ${who}; changes ${attributeNames(changes)}` : `proposed by ${who}; changes nothing declared`),
  declaredIntro: 'What the applicant declared when applying. Self-declared: nothing here is verified.',
  askedLevel: (level: number) => `${kycLevelLabel(level)} requested by an older app. A request only, never issued: you set the level.`,
  evidenceIntro:
    'What this service holds about the applicant. Identity documents are checked outside this service, in your KYC case file: the service keeps what you verified (sealed) and who decided.',
  verifyIntro:
    'Your findings from the identity document. The credential carries these values, not the declared ones, and the KYC level you choose. Proposing records them; an approver then approves — another key when you change a declared value (four eyes).',
  approveIntro: (who: string) =>
    `Approving issues the credential with exactly the values ${who} proposed. Approving needs a key other than the proposer's when the values differ from the declaration.`,
  approveNothing: 'Nothing to approve yet: a reviewer first proposes the verified values.',
  replacesWarning: (id: string) => `This person already holds active credential ${id}. Approving replaces it: that credential is revoked in the same step (needs the revoker role too).`,
  confirmReplacement: (id: string) => `I confirm that approving revokes credential ${id}`,
  rejectIntro: 'Rejecting closes the application; the holder sees the decision. The reason is kept in the audit trail.',
  proposed: (id: number) => `Proposal ${id} recorded. An approver can now approve it.`,
  approved: (credentialId: string) => `Approved. Credential ${credentialId} is issued.`,
  rejected: 'Application rejected. The reason is recorded.',
  revoked: (id: string) => `Credential ${id} revoked. The next published root drops it.`,
  revokeDialogTitle: 'Revoke this credential?',
  revokeDialogText: (id: string) => `Credential ${id} stops being valid at once for the issuer; on chain once the next root is published. This cannot be undone.`,
  noCredentials: 'No credentials issued yet.',
  published: (status: string, root: string) => `Publication: ${status}. Root ${root}.`,
  publicationPending: (count: number) => `Pending: the current root is not published yet (${count} ${count === 1 ? 'leaf' : 'leaves'} in the tree, revoked ones zeroed).`,
  publicationUpToDate: 'Up to date: the current root is the published one.',
  publicationEmpty: 'Nothing to publish: no credential has been issued.',
  noPublications: 'No root has been published yet.',
  auditEmpty: 'No events on this page.',
  auditRange: (from: number, to: number) => `Events ${from} to ${to}, oldest first.`,
  required: (what: string) => `Enter the ${what}.`,
  chooseLevel: 'Choose the KYC level you verified.',
};
