export { ApiError, invalidField } from './api-error.js';
export { errorBody, errorSchema, type ErrorBodyShape, type NullableErrorBody } from './error-body.js';
export { errorHandlerFor, toApiError, type ErrorAnswers } from './http-errors.js';
export { ConfigError } from './config-error.js';
export { registerConsole, type ConsoleServing } from './serve-console.js';
