// GET /healthz and /readyz: open (no token), and about the process, never the data.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ClickHouse } from '../../../../lib/clickhouse/client.js';
import { within } from '../../../../lib/timeout.js';
import { healthzSchema, readyzSchema } from './schema.js';

export interface HealthOptions {
  clickhouse: ClickHouse;
  /** Readiness of the process's other parts (the ingest worker in `errpulse start`). */
  readiness?: (() => { ready: boolean; reason?: string }) | undefined;
}

/** A ping that does not answer within this long counts as ClickHouse being down. */
const PING_TIMEOUT_MS = 2000;

/** Why ClickHouse cannot serve, or undefined when it answers a ping in time. */
function pingClickHouse(clickhouse: ClickHouse): Promise<string | undefined> {
  const ping = clickhouse.client.ping().then(
    (r) => (r.success ? undefined : `ClickHouse ping failed: ${r.error.message}`),
    (err: unknown) => `ClickHouse ping failed: ${err instanceof Error ? err.message : String(err)}`,
  );
  return within(ping, PING_TIMEOUT_MS, `ClickHouse did not answer a ping within ${PING_TIMEOUT_MS} ms`);
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, { clickhouse, readiness }) => {
  app.get('/healthz', { schema: healthzSchema }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: readyzSchema }, async (_request, reply) => {
    const own = readiness?.() ?? { ready: true };
    const reason = own.ready ? await pingClickHouse(clickhouse) : (own.reason ?? 'not ready');
    if (reason !== undefined) return reply.code(503).send({ ready: false, reason });
    return { ready: true };
  });
};
