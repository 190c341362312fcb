/**
 * The one error shape every route answers with: `{ error: { code, message, field?, rule? } }`, as
 * the project's other services do (@zkkyc/service-kit). The registration service throws ApiError;
 * the app's error handler turns it (and fastify's own body errors) into that JSON.
 */
import { ApiError, errorHandlerFor, errorSchema as errorSchemaFor, invalidField as kitInvalidField, type ErrorAnswers } from '@zkkyc/service-kit';

export { ApiError };

/** The relayer's routes check their bodies themselves, so fastify's schema errors stay generic. */
const ANSWERS: ErrorAnswers = { shape: 'omit-absent', namesSchemaField: false, mediaTypeRule: 'json', contentLengthIsBody: true, rateLimited: false };

/** 400 for a request value that breaks a rule; `field` is a dotted path into the body (`proof.pA.1`) and starts the message. */
export function invalidField(field: string, rule: string, message: string): ApiError {
  return kitInvalidField(field, rule, `${field}: ${message}`);
}

export const errorSchema = errorSchemaFor('Error', 'omit-absent');

export const errorHandler = errorHandlerFor(ANSWERS);
