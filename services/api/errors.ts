// The API's one error shape, in the error guide's own style: {"error":{"code":"ERR_BAD_REQUEST","message":"…"}}.
// Handlers throw ApiError for expected failures; plugins/error-handler.ts turns everything else into the
// same envelope, so a client never has to parse two kinds of error body.
import { Type, type Static } from '@fastify/type-provider-typebox';
import { findEntry } from '../../lib/catalog/index.js';

export const API_ERROR_CODES = [
  'AUTH_ERR_EMPTY_AUTH_TOKEN',
  'AUTH_ERR_AUTH_TOKEN_NOT_FOUND',
  'AUTH_ERR_NO_ACCESS',
  'ERR_BAD_REQUEST',
  'ERR_API_NOT_FOUND',
  'ERR_TOO_MANY_REQUESTS',
  'ERR_OPERATION_FAILED',
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

// The envelope promises the guide's codes; a catalog regeneration that dropped one must fail loudly here.
for (const code of API_ERROR_CODES) {
  if (!findEntry(code)) throw new Error(`the error catalog lacks ${code}, which the API answers with`);
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 400 that names the parameter, so the caller knows what to fix without reading the docs. */
export function badParameter(location: 'querystring' | 'params', name: string, why: string): ApiError {
  return new ApiError(400, 'ERR_BAD_REQUEST', `${location} parameter '${name}' ${why}`);
}

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'A code of the error guide, e.g. ERR_BAD_REQUEST', examples: ['ERR_BAD_REQUEST'] }),
      message: Type.String({ description: 'What went wrong and, where it helps, what to change' }),
    }),
  },
  { title: 'Error' },
);

export type ErrorEnvelopeBody = Static<typeof ErrorEnvelope>;

export function envelope(code: string, message: string): ErrorEnvelopeBody {
  return { error: { code, message } };
}

// Inlined rather than shared by $ref: the schema is tiny, and inlining keeps the OpenAPI document free of
// the $id-to-component renaming that would make its refs depend on plugin internals.
function errorResponse(description: string) {
  return { ...ErrorEnvelope, description };
}

/**
 * The API's error responses by status, for response schemas and the OpenAPI document. An authenticated
 * query route can give them all; other routes (health, metrics, catalog) pick the ones they can give.
 */
export const ERROR_RESPONSES = {
  400: errorResponse('ERR_BAD_REQUEST: a parameter is missing, malformed or out of range; the message names it'),
  401: errorResponse('AUTH_ERR_EMPTY_AUTH_TOKEN (no bearer token) or AUTH_ERR_AUTH_TOKEN_NOT_FOUND (unknown or revoked token)'),
  403: errorResponse('AUTH_ERR_NO_ACCESS: the token is scoped to other apps than the ones asked for'),
  429: errorResponse('ERR_TOO_MANY_REQUESTS: the token used up its requests for this minute'),
  500: errorResponse('ERR_OPERATION_FAILED: an unexpected failure (logged)'),
  503: errorResponse('ERR_OPERATION_FAILED: ClickHouse is unreachable or refused the query'),
  504: errorResponse('ERR_OPERATION_FAILED: the query ran longer than API_QUERY_TIMEOUT_S'),
} as const;
