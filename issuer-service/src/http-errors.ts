import type { FastifyError } from 'fastify';
import { errorHandlerFor, toApiError as kitToApiError, type ErrorAnswers } from '@zkkyc/service-kit';
import { ApiError } from './api-error.js';
import { PublishError } from './publisher.js';
import { isValidationError } from './services/attribute-rules.js';

/**
 * How the issuer answers what a route throws (`{ error: { code, message, field?, rule? } }`): our
 * ApiErrors as they are, a broken attribute rule as 400 `invalid_field`, an anchor that could not
 * be published as 502, schema failures naming the field, body problems as 400/413/415, a rate
 * limit as 429 `rate_limited`, anything unexpected as a 500 that reveals nothing internal.
 */
const ANSWERS: ErrorAnswers = {
  shape: 'omit-absent',
  translate: (err) => {
    if (isValidationError(err)) return new ApiError(400, 'invalid_field', err.message, err.field, err.rule);
    if (err instanceof PublishError) return new ApiError(502, 'anchor_unavailable', err.message);
    return undefined;
  },
  namesSchemaField: true,
  contentLengthIsBody: true,
  rateLimited: true,
};

export function toApiError(err: FastifyError | Error): ApiError {
  return kitToApiError(err, ANSWERS);
}

export const errorHandler = errorHandlerFor(ANSWERS);
