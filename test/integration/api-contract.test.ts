// The query API's contract with its callers, on a seeded ClickHouse: authentication, the error envelope,
// parameter validation that names the parameter, hostile input in every parameter, the OpenAPI document,
// the limits (rate, series, range, query time) and token changes picked up while running.
import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Ajv } from 'ajv';
import { pino } from 'pino';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPI } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { createMetricsRegistry } from '../../lib/metrics.js';
import { buildApp } from '../../services/api/app.js';
import { createToken, revokeToken } from '../../services/api/auth/token-store.js';
import { watchTokenFile } from '../../services/api/plugins/auth.js';
import { ApiError } from '../../services/api/errors.js';
import { createQueryRunner } from '../../services/api/query/run.js';
import { waitFor } from '../support/kafka.js';
import { RANGE, SEEDED_EVENTS, get, iso, openApiFixture, type ApiFixture } from './api-seed.js';

let api: ApiFixture;
const extraApps: Array<{ close(): Promise<unknown> }> = [];

beforeAll(async () => {
  api = await openApiFixture();
});
afterAll(async () => {
  for (const app of extraApps) await app.close();
  await api?.close();
});

/** Another app on the same ClickHouse and token file, with some API_* variables changed. */
async function appWith(env: Record<string, string>, readiness?: () => { ready: boolean; reason?: string }) {
  const config = { ...loadConfig({ API_TOKENS_FILE: api.tokensFile, ...env }), clickhouse: api.ch.config };
  const app = await buildApp({
    config,
    clickhouse: api.ch,
    logger: createLogger('silent', 'api-test', 2),
    registry: createMetricsRegistry(),
    ...(readiness ? { readiness } : {}),
  });
  extraApps.push(app);
  return { app };
}

const QUERY_ENDPOINTS = ['/v1/catalog', '/v1/catalog/ERR_UID_NOT_FOUND', '/v1/rates', '/v1/top', '/v1/spikes', '/v1/quota', '/v1/events'];

describe('authentication', () => {
  it('answers 401 AUTH_ERR_EMPTY_AUTH_TOKEN without a token and AUTH_ERR_AUTH_TOKEN_NOT_FOUND for an unknown one, on every /v1 endpoint', async () => {
    for (const url of QUERY_ENDPOINTS) {
      const missing = await get(api, url, null);
      expect([url, missing.status, missing.body.error?.code]).toEqual([url, 401, 'AUTH_ERR_EMPTY_AUTH_TOKEN']);
      expect(missing.headers['www-authenticate']).toContain('Bearer');
      const unknown = await get(api, url, 'ep_not-a-real-token');
      expect([url, unknown.status, unknown.body.error?.code]).toEqual([url, 401, 'AUTH_ERR_AUTH_TOKEN_NOT_FOUND']);
      const basic = await api.app.inject({ url, headers: { authorization: `Basic ${api.token}` } });
      expect([url, basic.statusCode, basic.json().error.code]).toEqual([url, 401, 'AUTH_ERR_EMPTY_AUTH_TOKEN']);
    }
  });

  it('keeps health, readiness and metrics open, and they say nothing about the data', async () => {
    expect((await get(api, '/healthz', null)).body).toEqual({ status: 'ok' });
    expect((await get(api, '/readyz', null)).body).toEqual({ ready: true });
    await get(api, `/v1/rates?app=app-a&from=${iso(RANGE.from)}`, api.token);
    const metrics = await api.app.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toMatch(/errpulse_api_requests_total\{route="\/v1\/rates",method="GET",status="200"\} \d+/);
    expect(metrics.body).toContain('errpulse_api_request_duration_seconds_bucket{le="0.005",route="/v1/rates"}');
    for (const app of ['app-a', 'app-b', 'app-c']) expect(metrics.body).not.toContain(app);
  });

  it('is not ready while the process says so, naming the reason', async () => {
    const { app } = await appWith({}, () => ({ ready: false, reason: 'ingest worker: ClickHouse inserts failing' }));
    const res = await app.inject({ url: '/readyz' });
    expect([res.statusCode, res.json()]).toEqual([503, { ready: false, reason: 'ingest worker: ClickHouse inserts failing' }]);
  });

  it('takes tokens created and revoked while running within the reload interval', async () => {
    const { token } = await createToken(api.tokensFile, { name: 'late-comer', apps: ['app-b'] });
    await waitFor(async () => (await get(api, '/v1/catalog', token)).status === 200, { timeoutMs: 10_000, message: 'new token accepted' });
    expect((await get(api, '/v1/events?app=app-a', token)).body.error?.code).toBe('AUTH_ERR_NO_ACCESS');
    expect(await revokeToken(api.tokensFile, 'late-comer')).toBe(true);
    await waitFor(async () => (await get(api, '/v1/catalog', token)).status === 401, { timeoutMs: 10_000, message: 'revoked token refused' });
    expect((await get(api, '/v1/catalog', api.token)).status).toBe(200);
  });

  it('keeps the last good token list when the file turns unreadable', async () => {
    const file = `${api.tokensFile}.watch-test.json`;
    await createToken(file, { name: 'first' });
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const index = await watchTokenFile(file, logger);
    try {
      expect(index.records().map((r) => r.name)).toEqual(['first']);
      writeFileSync(file, '{"version": 1, "tokens": [ half a file');
      await waitFor(() => lines.some((l) => l.includes('API token file unreadable')), { timeoutMs: 10_000, message: 'reload of the broken file' });
      expect(index.records().map((r) => r.name)).toEqual(['first']);
      // A good file again is picked up again.
      await revokeToken(file, 'first').catch(() => undefined);
      writeFileSync(file, JSON.stringify({ version: 1, tokens: [] }));
      await waitFor(() => index.records().length === 0, { timeoutMs: 10_000, message: 'reload of the repaired file' });
    } finally {
      index.close();
    }
  });
});

describe('errors', () => {
  it('answers unknown routes with ERR_API_NOT_FOUND in the envelope', async () => {
    const res = await get(api, '/v1/nothing-here', api.token);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'ERR_API_NOT_FOUND', message: expect.stringContaining('/v1/nothing-here') } });
    const code = await get(api, '/v1/catalog/ERR_NOT_IN_GUIDE', api.token);
    expect([code.status, code.body.error?.code]).toEqual([404, 'ERR_API_NOT_FOUND']);
  });

  it('answers URLs the router cannot read in the envelope too', async () => {
    const badEncoding = await get(api, '/v1/catalog/%E0%A4%A', api.token);
    expect([badEncoding.status, badEncoding.body.error?.code]).toEqual([400, 'ERR_BAD_REQUEST']);
    const longSegment = await get(api, `/v1/catalog/${'A'.repeat(150)}`, api.token);
    expect([longSegment.status, longSegment.body.error?.code]).toEqual([414, 'ERR_BAD_REQUEST']);
  });

  const badRequests: Array<[string, string, RegExp?]> = [
    ['/v1/rates?interval=2m', 'interval', /one of auto, 1m, 5m, 1h, 1d/],
    ['/v1/rates?groupBy=country', 'groupBy', /one of code, category, kind, family, app, region, fault/],
    ['/v1/rates?groupBy=code,app,region', 'groupBy', /at most 2/],
    ['/v1/rates?top=0', 'top', /at least 1/],
    ['/v1/rates?top=many', 'top', /integer/],
    ['/v1/rates?from=yesterday', 'from', /ISO-8601/],
    ['/v1/rates?from=2026-02-30T00:00:00Z', 'from', /real calendar date/],
    ['/v1/rates?from=now&to=now-1h', 'from', /earlier than 'to'/],
    ['/v1/rates?from=now-32d', 'from', /31 days \(API_MAX_RANGE_DAYS\)/],
    ['/v1/rates?interval=1m&from=now-7d', 'interval', /API_MAX_POINTS/],
    ['/v1/rates?code=err_lowercase', 'code', /error code/],
    ['/v1/rates?code=ERR_*_FAILED', 'code', /prefix pattern/],
    ['/v1/rates?category=Nope', 'category', /one of/],
    ['/v1/rates?app=has%20space', 'app', /app ID/],
    ['/v1/rates?region=EU', 'region', /region/],
    ['/v1/rates?fault=maybe', 'fault', /client, server, unknown/],
    ['/v1/rates?httpStatus=99', 'httpStatus', /at least 100/],
    ['/v1/rates?grupBy=code', 'grupBy', /not recognised/],
    ['/v1/top?dimension=uid', 'dimension', /one of/],
    ['/v1/top?limit=1001', 'limit', /at most 1000/],
    ['/v1/top?sort=random', 'sort', /count, increase, decrease/],
    ['/v1/spikes?window=5', 'window', /not recognised/],
    ['/v1/spikes?scopes=some', 'scopes', /reported, all/],
    ['/v1/spikes?level=family', 'level', /kind, category, code/],
    ['/v1/spikes?kind=broken', 'kind', /not_found/],
    ['/v1/spikes?at=tomorrow', 'at', /ISO-8601/],
    ['/v1/quota?limit=0', 'limit', /at least 1/],
    ['/v1/events?limit=1001', 'limit', /at most 1000/],
    ['/v1/events?cursor=bm90LWEtY3Vyc29y', 'cursor', /not a cursor/],
    ['/v1/events?cursor=%24%24', 'cursor', /cursor/],
    ['/v1/catalog/err_x', 'code', /error code/],
  ];

  it.each(badRequests)('answers %s with 400 naming %s', async (url, parameter, why) => {
    const res = await get(api, url, api.token);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('ERR_BAD_REQUEST');
    expect(res.body.error?.message).toContain(`'${parameter}'`);
    if (why) expect(res.body.error?.message).toMatch(why);
  });

  it('stops a query at API_QUERY_TIMEOUT_S with a 504 that names the limit', async () => {
    const runner = createQueryRunner(api.ch, 1);
    const failure = await runner.rows('SELECT count() FROM numbers_mt(1000000000000)', {}).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ statusCode: 504, code: 'ERR_OPERATION_FAILED', message: expect.stringContaining('API_QUERY_TIMEOUT_S') });
    // The embedded engine passes output a failed query had written on to the next query; the runner's
    // row format leaves none behind, so the next answer is its own.
    expect(await runner.rows('SELECT 41 + 1 AS answer', {})).toEqual([{ answer: 42 }]);
  });
});

describe('hostile input', () => {
  const HOSTILE = [
    "' OR 1=1 --",
    "app-a') OR ('1'='1",
    "x'; DROP TABLE error_events; --",
    '1; SELECT * FROM system.users',
    '{from:String}',
    '\\',
    '"',
    'ERR_WS_*\' UNION SELECT 1 --',
    '%00',
    'now-1h; DROP DATABASE default',
    '🙂'.repeat(40),
    'a'.repeat(5000),
  ];

  it('refuses every hostile value in every parameter of every endpoint, and the tables stay intact', async () => {
    const tables = async () =>
      (await api.ch.client.query({ query: 'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name', format: 'JSONEachRow' }).then((r) => r.json<{ name: string }>())).map((t) => t.name);
    const before = await tables();
    // Hundreds of requests from one token: this test is about input, not the rate limit.
    const { app } = await appWith({ API_RATE_LIMIT_PER_MINUTE: '1000000' });
    const document = (await app.inject({ url: '/openapi.json' })).json() as OpenApiDocument;
    let requests = 0;
    const statuses = new Set<number>();
    for (const [path, item] of Object.entries(document.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const parameter of item.get?.parameters ?? []) {
        for (const value of HOSTILE) {
          const url =
            parameter.in === 'path'
              ? path.replace(`{${parameter.name}}`, encodeURIComponent(value))
              : `${path}?${parameter.name}=${encodeURIComponent(value)}`;
          const res = await app.inject({ url, headers: { authorization: `Bearer ${api.token}` } });
          requests++;
          statuses.add(res.statusCode);
          expect([url.slice(0, 120), res.statusCode < 500], res.body.slice(0, 200)).toEqual([url.slice(0, 120), true]);
          expect(res.json()).toEqual({ error: { code: 'ERR_BAD_REQUEST', message: expect.any(String) } });
        }
      }
    }
    expect(requests).toBeGreaterThan(40 * HOSTILE.length);
    // 400 for a value the schema refuses, 414 for a path segment longer than the router accepts.
    expect([...statuses].sort()).toEqual([400, 414]);
    expect(await tables()).toEqual(before);
    const count = await api.ch.client.query({ query: 'SELECT count() AS n FROM error_events', format: 'JSONEachRow' }).then((r) => r.json<{ n: number }>());
    expect(Number(count[0]!.n)).toBe(SEEDED_EVENTS.length);
  });
});

describe('limits', () => {
  it('answers 429 ERR_TOO_MANY_REQUESTS past API_RATE_LIMIT_PER_MINUTE, per token', async () => {
    const { app } = await appWith({ API_RATE_LIMIT_PER_MINUTE: '3' });
    const call = (token: string) => app.inject({ url: '/v1/catalog/ERR_UID_NOT_FOUND', headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 3; i++) expect((await call(api.token)).statusCode).toBe(200);
    const limited = await call(api.token);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toEqual({ code: 'ERR_TOO_MANY_REQUESTS', message: expect.stringContaining("token 'everything'") });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another token has a budget of its own.
    expect((await call(api.scopedToken)).statusCode).toBe(200);
  });

  it('refuses more series than API_MAX_SERIES unless top folds them', async () => {
    const { app } = await appWith({ API_MAX_SERIES: '2' });
    const call = (query: string) => app.inject({ url: `/v1/rates?from=${iso(RANGE.from)}&to=${iso(RANGE.to)}&${query}`, headers: { authorization: `Bearer ${api.token}` } });
    const tooMany = await call('groupBy=app');
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.message).toMatch(/'groupBy' app gives 3 series, more than 2 \(API_MAX_SERIES\)/);
    const folded = await call('groupBy=app&top=2');
    expect(folded.statusCode).toBe(200);
    expect((folded.json().series as Array<{ key: string }>).map((s) => s.key)).toEqual(['app-a', 'app-b', 'other']);
    const topTooLarge = await call('groupBy=app&top=3');
    expect([topTooLarge.statusCode, topTooLarge.json().error]).toEqual([400, { code: 'ERR_BAD_REQUEST', message: expect.stringContaining("'top' must be at most 2") }]);
  });

  it('states the configured limits in the OpenAPI document: top\'s maximum, so it accepts nothing the server refuses, and the longest range', async () => {
    const topOf = (document: OpenApiDocument) => document.paths['/v1/rates']?.get?.parameters?.find((p) => p.name === 'top');
    const defaults = (await api.app.inject({ url: '/openapi.json' })).json() as OpenApiDocument;
    expect(topOf(defaults)?.schema).toMatchObject({ minimum: 1, maximum: api.config.api.maxSeries });
    const { app } = await appWith({ API_MAX_SERIES: '7' });
    const narrowed = (await app.inject({ url: '/openapi.json' })).json() as OpenApiDocument;
    expect(topOf(narrowed)).toMatchObject({ schema: { minimum: 1, maximum: 7 }, description: expect.stringContaining('at most 7 (API_MAX_SERIES)') });
    // The longest range cannot be a schema keyword (it ties two parameters); every range's description says this server's.
    const ranged = await appWith({ API_MAX_RANGE_DAYS: '9' });
    const ranges = (await ranged.app.inject({ url: '/openapi.json' })).json() as OpenApiDocument;
    for (const path of ['/v1/rates', '/v1/top', '/v1/quota', '/v1/events']) {
      const from = ranges.paths[path]?.get?.parameters?.find((p) => p.name === 'from');
      expect([path, from?.description]).toEqual([path, expect.stringContaining('at most 9 days before `to` (API_MAX_RANGE_DAYS)')]);
    }
  });
});

// The parts of OpenAPI 3.0 this check reads (https://spec.openapis.org/oas/v3.0.3).
interface OpenApiParameter {
  name: string;
  in: string;
  description?: string;
  required?: boolean;
  schema?: object;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, { get?: { parameters?: OpenApiParameter[]; responses: Record<string, { content?: Record<string, { schema?: object }> }>; security?: unknown[] } }>;
  components?: { securitySchemes?: Record<string, unknown> };
}

/**
 * The structure of an OpenAPI 3.0 document, transcribed from the specification's object definitions for
 * what this API uses (a full validator such as @apidevtools/swagger-parser is not among the dependencies).
 */
const OPENAPI_3_0_STRUCTURE = {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.0\\.\\d+$' },
    info: {
      type: 'object',
      required: ['title', 'version'],
      properties: { title: { type: 'string' }, version: { type: 'string' }, description: { type: 'string' }, license: { type: 'object', required: ['name'] } },
    },
    paths: { type: 'object', propertyNames: { pattern: '^/' }, additionalProperties: { $ref: '#/definitions/pathItem' } },
    components: {
      type: 'object',
      properties: {
        schemas: { type: 'object' },
        securitySchemes: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['type'],
            properties: { type: { enum: ['apiKey', 'http', 'oauth2', 'openIdConnect'] }, scheme: { type: 'string' } },
          },
        },
      },
    },
    tags: { type: 'array', items: { type: 'object', required: ['name'] } },
    security: { type: 'array' },
    servers: { type: 'array' },
  },
  additionalProperties: false,
  definitions: {
    pathItem: {
      type: 'object',
      propertyNames: { enum: ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'parameters', 'summary', 'description', 'servers', '$ref'] },
      additionalProperties: { $ref: '#/definitions/operation' },
      properties: { parameters: { type: 'array' }, summary: { type: 'string' }, description: { type: 'string' } },
    },
    operation: {
      type: 'object',
      required: ['responses'],
      properties: {
        tags: { type: 'array', items: { type: 'string' } },
        summary: { type: 'string' },
        description: { type: 'string' },
        parameters: { type: 'array', items: { $ref: '#/definitions/parameter' } },
        responses: {
          type: 'object',
          minProperties: 1,
          propertyNames: { pattern: '^([1-5](\\d\\d|XX)|default)$' },
          additionalProperties: {
            type: 'object',
            required: ['description'],
            properties: {
              description: { type: 'string' },
              content: { type: 'object', additionalProperties: { type: 'object', properties: { schema: { type: 'object' } } } },
            },
          },
        },
        security: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
      },
    },
    parameter: {
      type: 'object',
      required: ['name', 'in'],
      properties: { name: { type: 'string' }, in: { enum: ['query', 'header', 'path', 'cookie'] }, required: { type: 'boolean' }, schema: { type: 'object' } },
      if: { properties: { in: { const: 'path' } } },
      then: { required: ['name', 'in', 'required'], properties: { required: { const: true } } },
    },
  },
};

describe('OpenAPI document', () => {
  const ROUTES = ['/healthz', '/readyz', '/metrics', '/v1/catalog', '/v1/catalog/{code}', '/v1/rates', '/v1/top', '/v1/spikes', '/v1/quota', '/v1/events'];

  it('is a valid OpenAPI 3.0 document whose schemas compile, listing every route with its errors and security', async () => {
    const res = await api.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const document = res.json() as OpenApiDocument;
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(OPENAPI_3_0_STRUCTURE);
    expect(validate(document), ajv.errorsText(validate.errors)).toBe(true);
    // And the full OpenAPI validator: the specification's own schema plus its semantic rules (unique
    // operation ids, resolvable references, path parameters declared). It mutates what it reads.
    await expect(SwaggerParser.validate(structuredClone(document) as unknown as OpenAPI.Document)).resolves.toBeDefined();

    expect(Object.keys(document.paths).sort()).toEqual([...ROUTES].sort());
    for (const route of ROUTES) expect(api.app.hasRoute({ method: 'GET', url: route.replace('{code}', ':code') }), route).toBe(true);

    // Every schema in the document is a schema ajv can compile (OpenAPI 3.0 schemas are JSON Schema with
    // `nullable`, which ajv knows), and no $ref points nowhere.
    const schemaValidator = new Ajv({ strict: false });
    const text = JSON.stringify(document);
    expect(text).not.toMatch(/"\$ref"/);
    for (const [path, item] of Object.entries(document.paths)) {
      const operation = item.get!;
      for (const parameter of operation.parameters ?? []) expect(() => schemaValidator.compile(parameter.schema ?? {}), `${path} ${parameter.name}`).not.toThrow();
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const media of Object.values(response.content ?? {})) expect(() => schemaValidator.compile(media.schema ?? {}), `${path} ${status}`).not.toThrow();
      }
      // Path parameters are declared for every {name} in the path.
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) expect(operation.parameters?.some((p) => p.in === 'path' && p.name === name)).toBe(true);
      if (path.startsWith('/v1/')) {
        expect(operation.security, path).toEqual([{ bearerAuth: [] }]);
        for (const status of ['200', '400', '401', '429']) expect(Object.keys(operation.responses), `${path} ${status}`).toContain(status);
      } else {
        expect(operation.security, path).toBeUndefined();
      }
    }
    expect(document.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('describes the query parameters the routes accept', async () => {
    const document = (await api.app.inject({ url: '/openapi.json' })).json() as OpenApiDocument;
    const names = (path: string) => (document.paths[path]?.get?.parameters ?? []).map((p) => p.name).sort();
    expect(names('/v1/rates')).toEqual(['app', 'category', 'code', 'family', 'fault', 'from', 'groupBy', 'httpStatus', 'interval', 'kind', 'region', 'to', 'top']);
    expect(names('/v1/events')).toContain('cursor');
    expect(names('/v1/spikes')).toEqual(['app', 'at', 'category', 'code', 'kind', 'level', 'region', 'scopes']);
  });

  it('renders at /docs', async () => {
    const res = await api.app.inject({ url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
  });
});
