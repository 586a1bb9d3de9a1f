import { Type, type Static } from '@fastify/type-provider-typebox';
import { DETECTOR_TESTS } from '../../../../lib/detector/parameters.js';
import { LOCATION_LEVELS, SIGNAL_LEVELS } from '../../../../lib/detector/query.js';
import { ERROR_RESPONSES } from '../../errors.js';
import { instantParameter } from '../../query/common-schema.js';
import { StringEnum, filterQuerySchema } from '../../query/filters.js';

const TEST_NAMES = DETECTOR_TESTS.map((t) => t.name);

export const SpikesQuery = Type.Object(
  {
    level: Type.Optional(
      StringEnum(SIGNAL_LEVELS, {
        default: 'code',
        description: 'The finest signal scored: kind only, kind × category, or down to the code (every level above it is scored too)',
      }),
    ),
    at: instantParameter('Evaluation time; the windows end at its minute', 'now (the windows end at the last complete minute)'),
    scopes: Type.Optional(
      StringEnum(['reported', 'all'] as const, {
        default: 'reported',
        description: 'reported: one scope per incident, the one that explains it (what the alert rules page on); all: every significant scope',
      }),
    ),
    kind: filterQuerySchema.kind,
    code: filterQuerySchema.code,
    category: filterQuerySchema.category,
    app: filterQuerySchema.app,
    region: filterQuerySchema.region,
  },
  { additionalProperties: false },
);
export type SpikesQueryValues = Static<typeof SpikesQuery>;

const Test = Type.Object({
  name: StringEnum(TEST_NAMES),
  minutes: Type.Integer({ description: 'Length of its window' }),
  alpha: Type.Number({ description: 'Per-test significance level (docs/alerts.md)' }),
  threshold: Type.Number({ description: 'The same as a surprise: −log10 alpha' }),
});

const TestResult = Type.Object({
  name: StringEnum(TEST_NAMES),
  observed: Type.Number({ description: 'Events in the window (the trend test: recency-weighted, as equivalent events)' }),
  expected: Type.Number({ description: 'Expected events: trailing level × daily rhythm × window' }),
  surprise: Type.Number({ description: '−log10 of the upper-tail p-value' }),
  dispersion: Type.Number({ description: 'Variance of the count over the Poisson variance, 1 + c²·expected' }),
});

export const SpikesResponse = Type.Object({
  at: Type.String({ description: 'The windows end here (exclusive): the start of the evaluation minute' }),
  level: StringEnum(SIGNAL_LEVELS),
  scopes: StringEnum(['reported', 'all'] as const),
  tests: Type.Array(Test),
  spikes: Type.Array(
    Type.Object({
      location: StringEnum(LOCATION_LEVELS, { description: 'global, region, app or region_app' }),
      region: Type.Union([Type.String(), Type.Null()], { description: 'null: every region' }),
      app: Type.Union([Type.String(), Type.Null()], { description: 'null: every app' }),
      kind: Type.String({ description: 'Catalog kind (unknown: not in the catalog)' }),
      category: Type.Union([Type.String(), Type.Null()], { description: 'null: every category of the kind' }),
      code: Type.Union([Type.String(), Type.Null()], { description: 'null: every code of the scope' }),
      scope: Type.String({ description: 'The scope in words, as the alert annotations say it' }),
      score: Type.Number({ description: 'Best test surprise over its threshold; 1 or more is significant' }),
      test: StringEnum(TEST_NAMES, { description: 'The test with the highest score' }),
      observed: Type.Number({ description: 'Events of the best test' }),
      expected: Type.Number({ description: 'Expected events of the best test' }),
      rhythm: Type.Number({ description: 'Daily-rhythm factor on the trailing level (1 without history)' }),
      reported: Type.Boolean({ description: 'Whether this scope is the one reported for its incident' }),
      meaning: Type.String({ description: "The catalog's description of the code, or of the kind for a scope without a code" }),
      tests: Type.Array(TestResult),
    }),
  ),
});

export const spikesSchema = {
  summary: 'Scopes far above their expected level now or at a given time',
  description:
    'Scores every scope (all apps, a region, an app, an app in a region; each by kind, kind × category and code) against its ' +
    'trailing level shaped by the daily rhythm, with three Poisson tests (fast, patient, trend) at a false-alert budget of one a day, and reports ' +
    'each incident once at the scope that explains it. The same detector (lib/detector) drives the alert rules; docs/alerts.md explains it.',
  tags: ['analytics'],
  querystring: SpikesQuery,
  response: { 200: SpikesResponse, ...ERROR_RESPONSES },
};
