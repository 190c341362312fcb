import { invalidField } from '../api-error.js';

/**
 * A decision's reason must say something: the schema admits any free text of 1..2000 characters,
 * and a reason of only spaces or line breaks would pass it while recording nothing an auditor can
 * read (review finding L3). Checked before anything is read or written.
 */
export function checkReason(reason: string, field = 'reason'): string {
  if (reason.trim() === '') {
    throw invalidField(field, 'not-blank', `${field} must contain at least one character that is not a space or a line break: say why`);
  }
  return reason;
}
