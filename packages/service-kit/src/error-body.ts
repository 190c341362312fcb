import type { ApiError } from './api-error.js';

/**
 * The two published error shapes. `omit-absent` (issuer, relayer):
 * `{ error: { code, message, field?, rule? } }`. `null-absent` (compliance monitor):
 * `{ error: { code, field, rule, message } }` with null for a part that names nobody's input.
 */
export type ErrorBodyShape = 'omit-absent' | 'null-absent';

export interface NullableErrorBody {
  error: { code: string; field: string | null; rule: string | null; message: string };
}

export function errorBody(err: ApiError, shape: ErrorBodyShape): object {
  if (shape === 'omit-absent') return err.toJSON();
  const body: NullableErrorBody = { error: { code: err.code, field: err.field ?? null, rule: err.rule ?? null, message: err.message } };
  return body;
}

const text = { type: 'string' } as const;
const textOrNull = { type: ['string', 'null'] } as const;

/** The OpenAPI schema of an error body in `shape`, registered under `$id`. */
export function errorSchema<Id extends string>(id: Id, shape: ErrorBodyShape) {
  const error =
    shape === 'omit-absent'
      ? { type: 'object', properties: { code: text, message: text, field: text, rule: text }, required: ['code', 'message'] }
      : { type: 'object', properties: { code: text, field: textOrNull, rule: textOrNull, message: text }, required: ['code', 'field', 'rule', 'message'] };
  return { $id: id, type: 'object', properties: { error }, required: ['error'] } as const;
}
