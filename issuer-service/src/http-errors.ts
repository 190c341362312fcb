import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-error.js';
import { PublishError } from './publisher.js';
import { isValidationError } from './services/attribute-rules.js';

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/attributes/kycLevel` + a missing or extra property → `attributes.kycLevel`. */
function ajvField(issue: AjvIssue, context: string | undefined): string {
  const parts = issue.instancePath.split('/').filter(Boolean);
  const extra = issue.params.missingProperty ?? issue.params.additionalProperty;
  if (typeof extra === 'string') parts.push(extra);
  if (parts.length === 0) return context ?? 'body';
  return parts.join('.');
}

/**
 * Turns anything a route throws into `{ error: { code, message, field?, rule? } }` with the right
 * status: our ApiErrors as they are, schema failures as 400 `invalid_field` naming the field, body
 * problems as 400/413/415, and anything unexpected as a 500 that reveals nothing internal.
 */
export function toApiError(err: FastifyError | Error): ApiError {
  if (err instanceof ApiError) return err;
  if (isValidationError(err)) return new ApiError(400, 'invalid_field', err.message, err.field, err.rule);
  if (err instanceof PublishError) return new ApiError(502, 'anchor_unavailable', err.message);
  const fe = err as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (fe.validation && fe.validation.length > 0) {
    const issue = fe.validation[0];
    const field = ajvField(issue, fe.validationContext);
    return new ApiError(400, 'invalid_field', `${field} ${issue.message ?? 'is invalid'}`, field, issue.keyword);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'body_too_large', 'request body is larger than the limit', 'body', 'max-size');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'unsupported_media_type', 'send application/json', 'content-type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'invalid_body', fe.message, 'body', 'json');
  }
  if (fe.statusCode === 429) return new ApiError(429, 'rate_limited', fe.message || 'too many requests');
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new ApiError(fe.statusCode, 'bad_request', fe.message);
  return new ApiError(500, 'internal_error', 'internal error');
}

export function errorHandler(this: unknown, err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(err);
  if (apiError.statusCode >= 500) req.log.error({ err }, 'request failed');
  void reply.code(apiError.statusCode).send(apiError.toJSON());
}
