// The query API as a Fastify app, built from its dependencies and not listening: main.ts (or
// `errpulse start`) listens, tests call app.inject(). Plugins and routes are registered explicitly, in
// order: errors and metrics first, the OpenAPI collector before any route, then the open operations
// routes, the web console's static files, and the /v1 scope, where every route is authenticated and
// rate-limited.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ClickHouse } from '../../lib/clickhouse/client.js';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/log.js';
import type { Registry } from '../../lib/metrics.js';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { addBearerAuth, watchTokenFile } from './plugins/auth.js';
import { consolePlugin } from './plugins/console.js';
import { formatSchemaErrors, handleFrameworkError, registerErrorHandling } from './plugins/error-handler.js';
import { registerMethodNotAllowed } from './plugins/method-not-allowed.js';
import { addRequestMetrics } from './plugins/metrics.js';
import { registerOpenApi } from './plugins/openapi.js';
import { registerRateLimit } from './plugins/rate-limit.js';
import { parseQueryString } from './query/filters.js';
import { createQueryRunner } from './query/run.js';
import { catalogRoutes } from './routes/catalog/index.js';
import { eventsRoutes } from './routes/events/index.js';
import { healthRoutes } from './routes/health/index.js';
import { metricsRoutes } from './routes/metrics/index.js';
import { quotaRoutes } from './routes/quota/index.js';
import { ratesRoutes } from './routes/rates/index.js';
import { spikesRoutes } from './routes/spikes/index.js';
import { topRoutes } from './routes/top/index.js';

export interface ApiDeps {
  config: Config;
  clickhouse: ClickHouse;
  logger: Logger;
  registry: Registry;
  /** Readiness of whatever else runs in the process (the ingest worker in `errpulse start`). */
  readiness?: () => { ready: boolean; reason?: string };
}

const VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const api = deps.config.api;
  const app = Fastify({
    // pino's Logger type is wider than Fastify's logger interface; the instance is the same.
    loggerInstance: deps.logger as FastifyBaseLogger,
    routerOptions: { querystringParser: parseQueryString },
    ajv: {
      customOptions: {
        // Unknown parameters are refused, not silently dropped: a typo (grupBy) must not look like a
        // valid query without its grouping. `verbose` lets error messages quote the schema and value.
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        allErrors: false,
        verbose: true,
      },
    },
    schemaErrorFormatter: formatSchemaErrors,
    frameworkErrors: handleFrameworkError,
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandling(app);
  addRequestMetrics(app, deps.registry);
  registerMethodNotAllowed(app);
  await registerOpenApi(app, { version: VERSION });

  const runner = createQueryRunner(deps.clickhouse, api.queryTimeoutS);
  // Fastify's own onClose step (stop accepting, wait for open connections) runs before hooks added
  // here; a handler whose client hung up is not waited for there, so close() also waits for the
  // queries still running and refuses new ones. Whoever closes ClickHouse after app.close() (main.ts,
  // `errpulse start`) then never pulls the engine from under a query.
  app.addHook('onClose', async () => runner.close());
  const tokens = await watchTokenFile(api.tokensFile, deps.logger);
  app.addHook('onClose', async () => tokens.close());

  await app.register(healthRoutes, { clickhouse: deps.clickhouse, readiness: deps.readiness });
  await app.register(metricsRoutes, { registry: deps.registry });
  await app.register(consolePlugin, {});
  await app.register(
    async (v1) => {
      addBearerAuth(v1, tokens);
      await registerRateLimit(v1, { perMinute: api.rateLimitPerMinute });
      await v1.register(catalogRoutes, { prefix: '/catalog' });
      await v1.register(ratesRoutes, { prefix: '/rates', config: api, runner });
      await v1.register(topRoutes, { prefix: '/top', config: api, runner });
      await v1.register(spikesRoutes, { prefix: '/spikes', config: api, runner });
      await v1.register(quotaRoutes, { prefix: '/quota', config: api, runner });
      await v1.register(eventsRoutes, { prefix: '/events', config: api, runner });
    },
    { prefix: '/v1' },
  );
  return app;
}
