// Request metrics on the process's shared Registry: errpulse_api_requests_total{route,method,status} and
// errpulse_api_request_duration_seconds{route}. The route label is the route pattern (/v1/catalog/:code),
// never the raw URL, so hostile URLs cannot grow the label set.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

const REQUESTS = 'errpulse_api_requests_total';
const DURATION = 'errpulse_api_request_duration_seconds';

/** A registry may already hold them: `errpulse start` or a test can build the app twice on one registry. */
function apiMetrics(registry: Registry) {
  const requests =
    (registry.getSingleMetric(REQUESTS) as Counter<'route' | 'method' | 'status'> | undefined) ??
    new Counter({ name: REQUESTS, help: 'API requests answered, by route pattern, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const duration =
    (registry.getSingleMetric(DURATION) as Histogram<'route'> | undefined) ??
    new Histogram({
      name: DURATION,
      help: 'Time from request to response, by route pattern',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  return { requests, duration };
}

export function addRequestMetrics(app: FastifyInstance, registry: Registry): void {
  const { requests, duration } = apiMetrics(registry);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    duration.observe({ route }, reply.elapsedTime / 1000);
  });
}
