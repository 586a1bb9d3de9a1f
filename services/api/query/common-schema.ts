// Query-string parameters several endpoints share beyond the filters: the time range.
import { Type } from '@fastify/type-provider-typebox';
import type { Config } from '../../../lib/config.js';
import { INSTANT_MAX_LENGTH, INSTANT_PATTERN, INSTANT_SYNTAX } from './time-range.js';

// The pattern is the parser's own (time-range.ts), so every value matching it is read and nothing else is.
// The examples go together (from's first with to's first), so a client trying them gets an answer.
export const instantParameter = (what: string, defaultText: string, examples: string[] = ['now', 'now-1h/h']) =>
  Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: INSTANT_MAX_LENGTH,
      pattern: INSTANT_PATTERN,
      // Syntax first: a refused value's 400 reads "parameter 'from' must be <description>".
      description: `${INSTANT_SYNTAX}. ${what}; default ${defaultText}.`,
      examples,
    }),
  );

export type RangeLimits = Pick<Config['api'], 'maxRangeDays'>;

/**
 * `from` and `to`, stating this server's longest range (API_MAX_RANGE_DAYS): OpenAPI cannot express a
 * limit on the distance between two parameters, so the description says it, with the configured value.
 */
export const rangeQuerySchema = (defaults: { from: string; to: string }, maxRangeDays: number) => ({
  from: instantParameter(`Start of the range (inclusive), at most ${maxRangeDays} days before \`to\` (API_MAX_RANGE_DAYS)`, defaults.from, ['now-6h', 'now-1d/d']),
  to: instantParameter('End of the range (exclusive)', defaults.to, ['now', 'now/d']),
});
