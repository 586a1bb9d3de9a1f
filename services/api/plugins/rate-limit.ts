// Per-token rate limit on /v1 (API_RATE_LIMIT_PER_MINUTE). Keyed by the token's name, which the auth hook
// has set by the time this runs (its hook is added to each route after the scope's own hooks), so
// several scripts sharing one token share one budget, and callers behind one address do not.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';

export async function registerRateLimit(scope: FastifyInstance, opts: { perMinute: number }): Promise<void> {
  await scope.register(rateLimit, {
    global: true,
    max: opts.perMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => (request.principal ? `token:${request.principal.name}` : `ip:${request.ip}`),
    errorResponseBuilder: (request, context) =>
      new ApiError(
        429,
        'ERR_TOO_MANY_REQUESTS',
        `${request.principal ? `token '${request.principal.name}'` : 'this client'} made more than ${context.max} requests in a minute (API_RATE_LIMIT_PER_MINUTE); retry in ${context.after}`,
      ),
  });
}
