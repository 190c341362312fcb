import { IssuerApiError, IssuerUnreachableError } from '@zkkyc/sdk';
import { showNotice } from './dom.js';

/** The issuer's field names as the form labels them. */
const FIELD_WORDS: Record<string, string> = {
  'attributes.jurisdiction': 'country of residence',
  'attributes.birthDate': 'date of birth',
  'attributes.investorClasses': 'investor status',
  'attributes.kycLevel': 'identity check level',
  did: 'your identity for this issuer',
  identityCommitment: 'your identity',
  challenge: 'the sign-in challenge',
  signature: 'the signed challenge',
};

/**
 * Turns an issuer failure into a sentence. An unreachable issuer also raises the page notice,
 * since nothing that needs the issuer can work until it is back.
 */
export function explainIssuerError(err: unknown): string {
  if (err instanceof IssuerUnreachableError) {
    showNotice(`Issuer unreachable: ${err.url} does not answer. Your wallet and credentials are safe; try again when it is back.`);
    return 'The issuer cannot be reached right now.';
  }
  if (err instanceof IssuerApiError) {
    const field = err.field ? ` (${FIELD_WORDS[err.field] ?? err.field})` : '';
    return `The issuer refused: ${err.message.replace(/^[a-z_]+(\s\([^)]*\))?: /, '')}${field}`;
  }
  return (err as Error)?.message ?? String(err);
}
