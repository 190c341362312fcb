import { ApiError as KitApiError, errorBody, errorHandlerFor, errorSchema as errorSchemaFor, type ErrorAnswers, type NullableErrorBody } from '@zkkyc/service-kit';

/**
 * The one error shape of the monitor's HTTP API: `{ error: { code, field, rule, message } }`.
 * `field` names what was wrong (a query parameter, a body property, a header, `id`) and `rule` the
 * rule it broke (a JSON-schema keyword such as `pattern`, or ours: `officer-key`, `exists`,
 * `transition`); both are null only for failures that are nobody's input (500).
 */
export class ApiError extends KitApiError {
  constructor(
    statusCode: number,
    code: string,
    message: string,
    field: string | null,
    rule: string | null,
    /** 429 and 503: seconds to wait, sent as Retry-After. */
    retryAfterSeconds?: number,
  ) {
    super(statusCode, code, message, field ?? undefined, rule ?? undefined, retryAfterSeconds);
  }

  override toJSON(): NullableErrorBody {
    return errorBody(this, 'null-absent') as NullableErrorBody;
  }
}

export function notFound(what: string, field = 'id'): ApiError {
  return new ApiError(404, 'not_found', `${what} not found`, field, 'exists');
}

/**
 * Schema failures name the field (`limit`, `text`) and the keyword; a bad Content-Length and a 429
 * from a plugin keep fastify's generic 400 / `bad_request` answers.
 */
const ANSWERS: ErrorAnswers = { shape: 'null-absent', namesSchemaField: true, mediaTypeRule: 'json', contentLengthIsBody: false, rateLimited: false };

export const errorHandler = errorHandlerFor(ANSWERS);

/** OpenAPI schema of the error body (`$ref: 'MonitorError#'`). */
export const errorSchema = errorSchemaFor('MonitorError', 'null-absent');
