import { Type, type Static } from '@fastify/type-provider-typebox';
import { SPIKE_DEFAULTS, SPIKE_LEVELS, SPIKE_SCORE_THRESHOLD } from '../../../../lib/spike-detector.js';
import { ERROR_RESPONSES } from '../../errors.js';
import { instantParameter } from '../../query/common-schema.js';
import { StringEnum, filterQuerySchema } from '../../query/filters.js';

/** Longest baseline one request may ask for: a week of minutes. */
export const MAX_BASELINE_MINUTES = 7 * 24 * 60;

export const SpikesQuery = Type.Object(
  {
    level: Type.Optional(StringEnum(SPIKE_LEVELS, { default: 'family', description: 'Compare per code family or per code' })),
    at: instantParameter('End of the recent window, rounded up to a whole minute', 'now (the current minute included)'),
    window: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1440, default: SPIKE_DEFAULTS.windowMinutes, description: 'Length of the recent window, in minutes' }),
    ),
    baseline: Type.Optional(
      Type.Integer({
        minimum: 2,
        maximum: MAX_BASELINE_MINUTES,
        default: SPIKE_DEFAULTS.baselineMinutes,
        description: 'Length of the trailing baseline before the window, in minutes: a multiple of window, at least two windows',
      }),
    ),
    minCount: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: SPIKE_DEFAULTS.minCount, description: 'Fewest events in the window for a spike' }),
    ),
    code: filterQuerySchema.code,
    family: filterQuerySchema.family,
    app: filterQuerySchema.app,
    region: filterQuerySchema.region,
    fault: filterQuerySchema.fault,
  },
  { additionalProperties: false },
);
export type SpikesQueryValues = Static<typeof SpikesQuery>;

export const SpikesResponse = Type.Object({
  level: Type.String(),
  window: Type.Object({ from: Type.String(), to: Type.String() }),
  baseline: Type.Object({ from: Type.String(), to: Type.String() }),
  threshold: Type.Number({ description: `A spike scores at least this (${SPIKE_SCORE_THRESHOLD})` }),
  minCount: Type.Integer(),
  spikes: Type.Array(
    Type.Object({
      scope: Type.String({ description: 'The family or code' }),
      region: Type.String(),
      app: Type.String(),
      observed: Type.Integer({ description: 'Events in the window' }),
      expected: Type.Number({ description: 'Median events per window over the baseline' }),
      mad: Type.Number({ description: 'Median absolute deviation of the baseline windows' }),
      score: Type.Number({ description: '(observed − expected) / max(1.4826 · mad, √expected, 1)' }),
      topCode: Type.String({ description: 'The most frequent code in the window' }),
      description: Type.String({ description: 'Catalog description of topCode' }),
      fault: Type.String(),
      severity: Type.String(),
    }),
  ),
});

export const spikesSchema = {
  summary: 'Spikes active now or at a given time',
  description:
    'For each family (or code) × region × app, compares the recent window with the trailing baseline cut into windows of the same length: ' +
    'a robust score, the observed and expected counts, the catalog description and the fault kind. ' +
    'The same detector (lib/spike-detector.ts) drives the generated Grafana alert rules.',
  tags: ['analytics'],
  querystring: SpikesQuery,
  response: { 200: SpikesResponse, ...ERROR_RESPONSES },
};
