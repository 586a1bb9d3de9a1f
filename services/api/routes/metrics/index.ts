// GET /metrics: the process's shared prom-client Registry (API and, in `errpulse start`, ingest metrics).
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { ERROR_RESPONSES } from '../../errors.js';

export const metricsRoutes: FastifyPluginAsync<{ registry: Registry }> = async (app, { registry }) => {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        tags: ['operations'],
        response: {
          200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
          500: ERROR_RESPONSES[500],
        },
      },
    },
    async (_request, reply) => {
      const body = await registry.metrics();
      return reply.header('content-type', registry.contentType).send(body);
    },
  );
};
