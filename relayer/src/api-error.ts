/**
 * The one error shape every route answers with: `{ error: { code, message, field?, rule? } }`, as
 * the project's other services do. The registration service throws ApiError; the app's error
 * handler turns it (and fastify's own body errors) into that JSON.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly rule?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON(): { error: { code: string; message: string; field?: string; rule?: string } } {
    const body: { code: string; message: string; field?: string; rule?: string } = { code: this.code, message: this.message };
    if (this.field !== undefined) body.field = this.field;
    if (this.rule !== undefined) body.rule = this.rule;
    return { error: body };
  }
}

/** 400 for a request value that breaks a rule; `field` is a dotted path into the body (`proof.pA.1`). */
export function invalidField(field: string, rule: string, message: string): ApiError {
  return new ApiError(400, 'invalid_field', `${field}: ${message}`, field, rule);
}

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' }, rule: { type: 'string' } },
    },
  },
} as const;

export function toApiError(err: FastifyError | Error): ApiError {
  if (err instanceof ApiError) return err;
  const fe = err as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'body_too_large', 'request body is larger than the limit', 'body', 'max-size');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'unsupported_media_type', 'send application/json', 'content-type', 'json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'invalid_body', fe.message, 'body', 'json');
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new ApiError(fe.statusCode, 'bad_request', fe.message);
  return new ApiError(500, 'internal_error', 'internal error');
}

export function errorHandler(this: unknown, err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(err);
  if (apiError.statusCode >= 500) req.log.error({ err }, 'request failed');
  void reply.code(apiError.statusCode).send(apiError.toJSON());
}
