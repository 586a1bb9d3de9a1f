// Query-string parameters several endpoints share beyond the filters: the time range.
import { Type } from '@fastify/type-provider-typebox';
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

export const rangeQuerySchema = (defaults: { from: string; to: string }) => ({
  from: instantParameter('Start of the range (inclusive)', defaults.from, ['now-6h', 'now-1d/d']),
  to: instantParameter('End of the range (exclusive)', defaults.to, ['now', 'now/d']),
});
