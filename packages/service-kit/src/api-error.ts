/**
 * The error a service throws when it refuses a request: a status, a `code` clients branch on, a
 * sentence, and — when someone's input was wrong — the `field` it names and the `rule` it broke.
 * How it is written out (absent parts left out, or sent as null) is each service's published
 * shape; see error-body.ts.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly rule?: string,
    /** 429 and 503: seconds to wait, sent as Retry-After. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** `{ error: { code, message, field?, rule? } }`: the parts that are absent are left out (typed wide enough for a service whose shape sends them as null). */
  toJSON(): { error: { code: string; message: string; field?: string | null; rule?: string | null } } {
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
