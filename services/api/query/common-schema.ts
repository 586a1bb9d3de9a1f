// Query-string parameters several endpoints share beyond the filters: the time range.
import { Type } from '@fastify/type-provider-typebox';
import { INSTANT_SYNTAX } from './time-range.js';

export const instantParameter = (what: string, defaultText: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: `${what}: ${INSTANT_SYNTAX}. Default ${defaultText}.` }));

export const rangeQuerySchema = (defaults: { from: string; to: string }) => ({
  from: instantParameter('Start of the range (inclusive)', defaults.from),
  to: instantParameter('End of the range (exclusive)', defaults.to),
});
