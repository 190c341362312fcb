import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-error.js';
import { errorBody, type ErrorBodyShape } from './error-body.js';

/**
 * How one service answers what its routes throw. The services grew apart in small ways that
 * their clients and tests now rely on; each difference is a named choice here rather than a copy.
 */
export interface ErrorAnswers {
  shape: ErrorBodyShape;
  /** The service's own errors, tried first (the issuer's attribute rules, its anchor publisher). */
  translate?: (err: Error) => ApiError | undefined;
  /** Schema failures as 400 `invalid_field` naming the field and keyword; off, fastify's 400 text as `bad_request`. */
  namesSchemaField: boolean;
  /** The `rule` of a 415 (unset: none). */
  mediaTypeRule?: string;
  /** A bad Content-Length as 400 `invalid_body` on `body`; off, fastify's 400 as `bad_request`. */
  contentLengthIsBody: boolean;
  /** A 429 from a plugin as `rate_limited`; off, as `bad_request`. */
  rateLimited: boolean;
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/attributes/kycLevel` + a missing or extra property → `attributes.kycLevel`; nothing → the context (`querystring`) or `body`. */
function ajvField(issue: AjvIssue, context: string | undefined): string {
  const parts = issue.instancePath.split('/').filter(Boolean);
  const extra = issue.params.missingProperty ?? issue.params.additionalProperty;
  if (typeof extra === 'string') parts.push(extra);
  return parts.length > 0 ? parts.join('.') : (context ?? 'body');
}

/**
 * Anything a route throws, as an ApiError with the right status: ours as they are, schema and body
 * problems as 400/413/415 naming what was wrong, and anything unexpected as a 500 that reveals
 * nothing internal.
 */
export function toApiError(err: FastifyError | Error, answers: ErrorAnswers): ApiError {
  if (err instanceof ApiError) return err;
  const own = answers.translate?.(err);
  if (own) return own;
  const fe = err as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (answers.namesSchemaField && fe.validation && fe.validation.length > 0) {
    const issue = fe.validation[0];
    const field = ajvField(issue, fe.validationContext);
    return new ApiError(400, 'invalid_field', `${field} ${issue.message ?? 'is invalid'}`, field, issue.keyword);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'body_too_large', 'request body is larger than the limit', 'body', 'max-size');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'unsupported_media_type', 'send application/json', 'content-type', answers.mediaTypeRule);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      if (!answers.contentLengthIsBody) break;
    // falls through
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError(400, 'invalid_body', fe.message, 'body', 'json');
  }
  if (answers.rateLimited && fe.statusCode === 429) return new ApiError(429, 'rate_limited', fe.message || 'too many requests');
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new ApiError(fe.statusCode, 'bad_request', fe.message);
  return new ApiError(500, 'internal_error', 'internal error');
}

/** The fastify error handler answering as `answers` says; 5xx are logged with the cause, which the client never sees. */
export function errorHandlerFor(answers: ErrorAnswers) {
  return function errorHandler(this: unknown, err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
    const apiError = toApiError(err, answers);
    if (apiError.statusCode >= 500) req.log.error({ err }, 'request failed');
    if (apiError.retryAfterSeconds !== undefined) void reply.header('retry-after', String(apiError.retryAfterSeconds));
    void reply.code(apiError.statusCode).send(errorBody(apiError, answers.shape));
  };
}
