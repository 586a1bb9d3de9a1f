// GET /v1/spikes: spikes active now (or at `at`), by the shared detector definition.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SPIKE_DEFAULTS, SPIKE_SCORE_THRESHOLD, spikeQuery, spikeQueryParams, type SpikeLevel, type SpikeRow } from '../../../../lib/spike-detector.js';
import { badParameter } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { BEARER_SECURITY } from '../../plugins/openapi.js';
import { resolveFilters } from '../../query/filters.js';
import { parseInstant } from '../../query/time-range.js';
import type { QueryRouteOptions } from '../options.js';
import { spikesSchema } from './schema.js';

const MINUTE_MS = 60_000;

export const spikesRoutes: FastifyPluginAsyncTypebox<QueryRouteOptions> = async (app, { config, runner }) => {
  app.get('', { schema: { ...spikesSchema, security: BEARER_SECURITY } }, async (request) => {
    const query = request.query;
    const level: SpikeLevel = query.level ?? 'family';
    const windowMinutes = query.window ?? SPIKE_DEFAULTS.windowMinutes;
    const baselineMinutes = query.baseline ?? SPIKE_DEFAULTS.baselineMinutes;
    const minCount = query.minCount ?? SPIKE_DEFAULTS.minCount;
    if (baselineMinutes % windowMinutes !== 0 || baselineMinutes < 2 * windowMinutes) {
      throw badParameter('querystring', 'baseline', `must be a multiple of window (${windowMinutes}) and at least two windows long (got ${baselineMinutes})`);
    }
    if ((baselineMinutes + windowMinutes) * MINUTE_MS > config.maxRangeDays * 86_400_000) {
      throw badParameter('querystring', 'baseline', `plus window spans more than ${config.maxRangeDays} days (API_MAX_RANGE_DAYS)`);
    }
    const now = new Date();
    let end: Date;
    if (query.at === undefined) {
      // Like the alert rules: the window ends after the current minute, which is still filling.
      end = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
    } else {
      const at = parseInstant(query.at, now);
      if (!at.ok) throw badParameter('querystring', 'at', at.error);
      end = new Date(Math.ceil(at.value.getTime() / MINUTE_MS) * MINUTE_MS);
    }
    const filters = resolveFilters(query, principalOf(request));
    const rows = await runner.rows<SpikeRow>(
      spikeQuery(level),
      spikeQueryParams({
        level,
        end,
        windowMinutes,
        baselineMinutes,
        minCount,
        families: filters.families,
        codes: filters.codes,
        codePrefixes: filters.codePrefixes,
        regions: filters.regions,
        apps: filters.apps,
        faults: filters.faults,
      }),
    );
    const windowStart = new Date(end.getTime() - windowMinutes * MINUTE_MS);
    return {
      level,
      window: { from: windowStart.toISOString(), to: end.toISOString() },
      baseline: { from: new Date(windowStart.getTime() - baselineMinutes * MINUTE_MS).toISOString(), to: windowStart.toISOString() },
      threshold: SPIKE_SCORE_THRESHOLD,
      minCount,
      spikes: rows.map((r) => ({
        scope: r.scope,
        region: r.region,
        app: r.app_id,
        observed: r.observed,
        expected: r.expected,
        mad: r.mad,
        score: r.score,
        topCode: r.top_code,
        description: r.description,
        fault: r.fault,
        severity: r.severity,
      })),
    };
  });
};
