import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The one error shape of the monitor's HTTP API: `{ error: { code, field, rule, message } }`.
 * `field` names what was wrong (a query parameter, a body property, a header, `id`) and `rule` the
 * rule it broke (a JSON-schema keyword such as `pattern`, or ours: `officer-key`, `exists`,
 * `transition`); both are null only for failures that are nobody's input (500).
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field: string | null,
    readonly rule: string | null,
    /** 429 and 503: seconds to wait, sent as Retry-After. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON(): { error: { code: string; field: string | null; rule: string | null; message: string } } {
    return { error: { code: this.code, field: this.field, rule: this.rule, message: this.message } };
  }
}

export function notFound(what: string, field = 'id'): ApiError {
  return new ApiError(404, 'not_found', `${what} not found`, field, 'exists');
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Anything a route throws, as an ApiError: schema failures name the field (`limit`, `text`) and the keyword. */
export function toApiError(err: FastifyError | Error): ApiError {
  if (err instanceof ApiError) return err;
  const fe = err as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (fe.validation && fe.validation.length > 0) {
    const issue = fe.validation[0];
    const parts = issue.instancePath.split('/').filter(Boolean);
    const extra = issue.params.missingProperty ?? issue.params.additionalProperty;
    if (typeof extra === 'string') parts.push(extra);
    const field = parts.length > 0 ? parts.join('.') : (fe.validationContext ?? 'body');
    return new ApiError(400, 'invalid_field', `${field} ${issue.message ?? 'is invalid'}`, field, issue.keyword);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'body_too_large', 'request body is larger than the limit', 'body', 'max-size');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'unsupported_media_type', 'send application/json', 'content-type', 'json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError(400, 'invalid_body', fe.message, 'body', 'json');
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new ApiError(fe.statusCode, 'bad_request', fe.message, null, null);
  return new ApiError(500, 'internal_error', 'internal error', null, null);
}

export function errorHandler(this: unknown, err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(err);
  if (apiError.statusCode >= 500) req.log.error({ err }, 'request failed');
  if (apiError.retryAfterSeconds !== undefined) void reply.header('retry-after', String(apiError.retryAfterSeconds));
  void reply.code(apiError.statusCode).send(apiError.toJSON());
}

/** OpenAPI schema of the error body (`$ref: 'MonitorError#'`). */
export const errorSchema = {
  $id: 'MonitorError',
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        field: { type: ['string', 'null'] },
        rule: { type: ['string', 'null'] },
        message: { type: 'string' },
      },
      required: ['code', 'field', 'rule', 'message'],
    },
  },
  required: ['error'],
} as const;
