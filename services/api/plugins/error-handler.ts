// One error envelope for every failure: validation, auth, rate limit, unknown routes, ClickHouse and bugs.
// Validation messages are rewritten to name the parameter and say what it must be, because ajv's own
// ("must match pattern ^[A-Z]…") tells a caller neither.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { ApiError, envelope, type ErrorEnvelopeBody } from '../errors.js';

type SchemaLocation = 'querystring' | 'params' | 'body' | 'headers' | string;

const LOCATION_NAMES: Record<string, string> = {
  querystring: 'querystring parameter',
  params: 'path parameter',
  body: 'body field',
  headers: 'header',
};

// Only the fields of an ajv error this module reads; with `verbose` ajv adds the schema and the value.
interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string | undefined;
  parentSchema?: { description?: string; properties?: Record<string, unknown> } | undefined;
  data?: unknown;
}

function quoted(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `'${(text ?? '').slice(0, 80)}${(text ?? '').length > 80 ? '…' : ''}'`;
}

function withArticle(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** One sentence for the first validation issue, naming where and which parameter. */
export function describeValidationIssue(issue: ValidationIssue, location: SchemaLocation): string {
  const where = LOCATION_NAMES[location] ?? `${location} field`;
  const path = issue.instancePath.split('/').filter(Boolean);
  const name = path[0] ?? '';
  const got = issue.data !== undefined && typeof issue.data !== 'object' ? ` (got ${quoted(issue.data)})` : '';
  const p = issue.params;
  switch (issue.keyword) {
    case 'required':
      return `${where} '${String(p.missingProperty)}' is required`;
    case 'additionalProperties': {
      const accepted = Object.keys(issue.parentSchema?.properties ?? {});
      const hint = accepted.length > 0 ? `; accepted: ${accepted.join(', ')}` : '';
      return `${where} '${String(p.additionalProperty)}' is not recognised${hint}`;
    }
    case 'enum':
      return `${where} '${name}' must be one of ${(p.allowedValues as unknown[]).join(', ')}${got}`;
    case 'pattern':
    case 'format':
      return `${where} '${name}' must be ${issue.parentSchema?.description ?? `in format ${String(p.pattern ?? p.format)}`}${got}`;
    case 'type': {
      const type = String(p.type);
      return `${where} '${name}' must be ${withArticle(type === 'integer' ? 'integer' : type)}${got}`;
    }
    case 'minimum':
      return `${where} '${name}' must be at least ${String(p.limit)}${got}`;
    case 'maximum':
      return `${where} '${name}' must be at most ${String(p.limit)}${got}`;
    case 'maxItems':
      return `${where} '${name}' may be given at most ${String(p.limit)} times`;
    case 'minLength':
      return `${where} '${name}' must not be empty`;
    case 'maxLength':
      return `${where} '${name}' must be at most ${String(p.limit)} characters long`;
    default:
      return `${where} '${name}' ${issue.message ?? 'is invalid'}${got}`;
  }
}

/** Fastify's schemaErrorFormatter: the Error it returns becomes the 400's message. */
export function formatSchemaErrors(errors: FastifySchemaValidationError[], location: SchemaLocation): Error {
  const first = errors[0] as unknown as ValidationIssue | undefined;
  return new Error(first ? describeValidationIssue(first, location) : `the ${location} is invalid`);
}

export interface ErrorResponse {
  statusCode: number;
  body: ErrorEnvelopeBody;
  /** 5xx answers are logged with the original error; 4xx are the caller's business. */
  log: boolean;
}

/** Maps any error that reaches Fastify's error handler to a status and the envelope. */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof ApiError) {
    return { statusCode: error.statusCode, body: envelope(error.code, error.message), log: error.statusCode >= 500 };
  }
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown };
  if (fastifyError.validation) {
    return { statusCode: 400, body: envelope('ERR_BAD_REQUEST', String(fastifyError.message)), log: false };
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = status === 404 ? 'ERR_API_NOT_FOUND' : status === 429 ? 'ERR_TOO_MANY_REQUESTS' : 'ERR_BAD_REQUEST';
    return { statusCode: status, body: envelope(code, String(fastifyError.message)), log: false };
  }
  return { statusCode: 500, body: envelope('ERR_OPERATION_FAILED', 'an unexpected error occurred; the server log has the details'), log: true };
}

/**
 * Fastify's `frameworkErrors`: the router's own refusals (a malformed URL, a path segment longer than
 * maxParamLength) happen before any route, so they would bypass the error handler and its envelope.
 */
export function handleFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path segment is longer than the router accepts (100 characters)'
      : error.code === 'FST_ERR_BAD_URL'
        ? 'the URL is malformed (bad percent-encoding?)'
        : 'the request could not be routed';
  void reply.code(error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400).send(envelope('ERR_BAD_REQUEST', message));
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const response = toErrorResponse(error);
    if (response.log) request.log.error({ err: (error as { cause?: unknown }).cause ?? error }, response.body.error.message);
    return reply.code(response.statusCode).send(response.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? request.url;
    return reply
      .code(404)
      .send(envelope('ERR_API_NOT_FOUND', `there is no ${request.method} ${path.slice(0, 200)}; see /docs for the endpoints`));
  });
}
