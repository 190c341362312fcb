/**
 * The one error shape every route answers with: `{ error: { code, message, field?, rule? } }`
 * (@zkkyc/service-kit). Services throw `ApiError`; the app's error handler (http-errors.ts) turns it
 * (and fastify's own validation and body-size errors) into that JSON, so clients can branch on
 * `code` and point at `field`.
 */
import { ApiError } from '@zkkyc/service-kit';

export { ApiError, invalidField } from '@zkkyc/service-kit';

export function notFound(what: string, field = 'id'): ApiError {
  return new ApiError(404, 'not_found', `${what} not found`, field);
}
