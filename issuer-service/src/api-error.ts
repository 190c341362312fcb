/**
 * The one error shape every route answers with: `{ error: { code, message, field?, rule? } }`.
 * Services throw `ApiError`; the app's error handler turns it (and fastify's own validation and
 * body-size errors) into that JSON, so clients can branch on `code` and point at `field`.
 */
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

/** 400 for a value that breaks a rule; `field` is a dotted path into the request body. */
export function invalidField(field: string, rule: string, message: string): ApiError {
  return new ApiError(400, 'invalid_field', message, field, rule);
}

export function notFound(what: string, field = 'id'): ApiError {
  return new ApiError(404, 'not_found', `${what} not found`, field);
}
