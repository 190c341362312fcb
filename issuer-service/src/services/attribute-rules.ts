import { SNARK_FIELD, dateToInt, encodeAttributes, todayInt, type EncodedAttributes } from '@zkkyc/credentials';
import { invalidField } from '../api-error.js';
import type { IssuedAttributes, RequestedAttributes } from '../store/issuer-store.js';

/**
 * Attribute checks at the HTTP boundary. The encoding rules themselves live in
 * `@zkkyc/credentials` (one owner, docs/protocol.md); this module only adds the issuer's own
 * rules (a birth date in the past, an expiry in the future) and re-labels errors with the path of
 * the request field, e.g. `attributes.jurisdiction`.
 */

interface ValidationErrorLike {
  name: string;
  field: string;
  rule: string;
  message: string;
}

export function isValidationError(err: unknown): err is ValidationErrorLike {
  const e = err as Partial<ValidationErrorLike> | null;
  return !!e && e.name === 'ValidationError' && typeof e.field === 'string' && typeof e.rule === 'string';
}

/** Runs `fn`, turning a credentials ValidationError into a 400 whose field is prefixed. */
function relabel<T>(prefix: (field: string) => string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isValidationError(err)) throw invalidField(prefix(err.field), err.rule, err.message);
    throw err;
  }
}

// Placeholders used only to validate an application, which has no expiry (and maybe no level) yet.
const FAR_EXPIRY = '2999-12-31';

/** Validates what a holder applies with. Throws 400 naming `attributes.<field>`. */
export function checkRequestedAttributes(a: RequestedAttributes, now: Date): void {
  relabel(
    (f) => `attributes.${f}`,
    () => encodeAttributes({ ...a, kycLevel: a.kycLevel ?? 0, expiryDate: FAR_EXPIRY }),
  );
  if (dateToInt(a.birthDate) > todayInt(now)) throw invalidField('attributes.birthDate', 'past', `${a.birthDate} is in the future`);
}

/** Validates the reviewer's final values. Throws 400 naming `attributes.<field>` or `expiryDate`. */
export function checkIssuedAttributes(a: IssuedAttributes, now: Date): EncodedAttributes {
  const encoded = relabel(
    (f) => (f === 'expiryDate' ? 'expiryDate' : `attributes.${f}`),
    () => encodeAttributes(a),
  );
  if (encoded.birthDate > todayInt(now)) throw invalidField('attributes.birthDate', 'past', `${a.birthDate} is in the future`);
  if (encoded.expiryDate <= todayInt(now)) throw invalidField('expiryDate', 'future', `${a.expiryDate} is not after today`);
  return encoded;
}

/** Parses the identity commitment (a decimal field element). Throws 400 `identityCommitment`. */
export function parseIdentityCommitment(value: string): bigint {
  if (!/^(0|[1-9]\d{0,76})$/.test(value)) throw invalidField('identityCommitment', 'decimal', 'must be a decimal integer without leading zeros');
  const idc = BigInt(value);
  if (idc >= SNARK_FIELD) throw invalidField('identityCommitment', 'field-element', 'must be below the BN254 scalar field order');
  if (idc === 0n) throw invalidField('identityCommitment', 'nonzero', 'must not be 0 (0 marks an empty leaf)');
  return idc;
}

/** Today plus `days`, as YYYY-MM-DD (UTC). */
export function dateAfterDays(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}
