// The OpenAPI document (GET /openapi.json) is generated from the same route schemas that validate the
// requests and serialize the answers, so it cannot drift from what the API does; /docs renders it.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const BEARER_SECURITY = [{ bearerAuth: [] as string[] }];

export const OPENAPI_TAGS = [
  { name: 'catalog', description: 'The error guide: codes, categories, families, fault and severity' },
  { name: 'analytics', description: 'Counts, rates, movers, spikes and quota hits, from ClickHouse' },
  { name: 'events', description: 'Raw events, newest first' },
  { name: 'operations', description: 'Health, readiness and Prometheus metrics (no token, no data)' },
];

/** Must be registered before the routes: the document is collected as routes are added. */
export async function registerOpenApi(app: FastifyInstance, opts: { version: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'errpulse query API',
        version: opts.version,
        description:
          'Error analytics for API platforms. Every /v1 endpoint needs `Authorization: Bearer <token>` (tokens come from `errpulse token create`). ' +
          'Errors use one envelope: `{"error":{"code":"ERR_BAD_REQUEST","message":"…"}}`, with the codes of the error guide.',
        license: { name: 'Apache-2.0' },
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'A token printed by `errpulse token create`' },
        },
      },
      tags: OPENAPI_TAGS,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
