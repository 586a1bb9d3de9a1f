// GET /v1/spikes: the scopes the shared detector finds at `at` (default: now).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { KIND_DESCRIPTIONS, findEntry, isKind } from '../../../../lib/catalog/index.js';
import { DETECTOR_TESTS, alphaOf, surpriseThreshold } from '../../../../lib/detector/parameters.js';
import { locationOf, scopeWords } from '../../../../lib/detector/scope.js';
import { badParameter } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { BEARER_SECURITY } from '../../plugins/openapi.js';
import { resolveFilters } from '../../query/filters.js';
import { parseInstant } from '../../query/time-range.js';
import type { QueryRouteOptions } from '../options.js';
import { spikesQuery, type DetectorRow } from './queries.js';
import { spikesSchema } from './schema.js';

const MINUTE_MS = 60_000;

export const spikesRoutes: FastifyPluginAsyncTypebox<QueryRouteOptions> = async (app, { runner }) => {
  app.get('', { schema: { ...spikesSchema, security: BEARER_SECURITY } }, async (request) => {
    const query = request.query;
    const level = query.level ?? 'code';
    const scopes = query.scopes ?? 'reported';
    const now = new Date();
    let at = now;
    if (query.at !== undefined) {
      const parsed = parseInstant(query.at, now);
      if (!parsed.ok) throw badParameter('querystring', 'at', parsed.error);
      at = parsed.value;
    }
    // Like the alert rules: the windows end at the start of the evaluation minute, which is still filling.
    const end = new Date(Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS);
    const filters = resolveFilters({ code: query.code, category: query.category, kind: query.kind, app: query.app, region: query.region }, principalOf(request));
    const { sql, params } = spikesQuery({ end, signal: level, filters, all: scopes === 'all' });
    const rows = await runner.rows<DetectorRow>(sql, params);
    return {
      at: end.toISOString(),
      level,
      scopes,
      tests: DETECTOR_TESTS.map((t) => ({ name: t.name, minutes: t.minutes, alpha: alphaOf(t), threshold: surpriseThreshold(t) })),
      spikes: rows.map((r) => ({
        location: locationOf(r),
        region: r.region || null,
        app: r.app_id || null,
        kind: r.kind,
        category: r.category || null,
        code: r.code || null,
        scope: scopeWords(r),
        score: Number(r.score),
        test: r.test as (typeof DETECTOR_TESTS)[number]['name'],
        observed: Number(r.events),
        expected: Number(r.expected_events),
        rhythm: Number(r.rhythm),
        reported: Boolean(Number(r.reported)),
        meaning: r.code ? (findEntry(r.code)?.description.split('\n', 1)[0]!.trim() ?? 'Not in the error catalog.') : isKind(r.kind) ? KIND_DESCRIPTIONS[r.kind].meaning : 'Not in the error catalog.',
        tests: DETECTOR_TESTS.map((t, i) => ({
          name: t.name,
          observed: Number(r.observed[i]),
          expected: Number(r.expected[i]),
          surprise: Number(r.surprise[i]),
          dispersion: Number(r.dispersion[i]),
        })),
      })),
    };
  });
};
