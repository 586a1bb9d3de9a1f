// Shutdown of the query API in the order services/api/main.ts (and `errpulse start`) uses: app.close(),
// then ClickHouse. A client that hangs up leaves its handler running and the server's own close does
// not wait for it, so without the QueryRunner's drain the engine was closed under queued queries, which
// then failed with the native binding's "Usage: connection, sql, format, [params]" as a 500.
import http from 'node:http';
import { dirname } from 'node:path';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../services/api/errors.js';
import { classifyClickHouseError, createQueryRunner } from '../../services/api/query/run.js';
import { waitFor } from '../support/kafka.js';
import { openApiFixture } from './api-seed.js';

const RATES = '/v1/rates?from=now-24h&to=now&interval=1m&groupBy=category';

describe('API shutdown', () => {
  it('waits for the queries of requests whose clients hung up, then ClickHouse closes under none; later queries are 503s', async () => {
    const api = await openApiFixture();
    const { ch, app } = api;
    try {
      // Counts the API's queries from the call until the engine answered.
      let running = 0;
      const query = ch.client.query.bind(ch.client);
      const exec = ch.client.exec.bind(ch.client);
      ch.client.query = ((params: Parameters<typeof query>[0]) => {
        running++;
        return query(params).finally(() => running--);
      }) as typeof ch.client.query;
      ch.client.exec = ((params: Parameters<typeof exec>[0]) => {
        running++;
        return exec(params).finally(() => running--);
      }) as typeof ch.client.exec;

      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      // The embedded engine runs parameterized queries one at a time; a sleeping one ahead of them keeps
      // the API's queries waiting while their clients give up.
      const blocker = query({ query: 'SELECT sleep({s:Float64}) AS slept', query_params: { s: 1.5 }, format: 'JSONEachRow' }).then((r) => r.json());
      const clients = Array.from({ length: 4 }, () => {
        const request = http.get({ host: '127.0.0.1', port, path: RATES, headers: { authorization: `Bearer ${api.token}` } });
        request.on('error', () => undefined);
        return request;
      });
      await waitFor(() => running === clients.length, { timeoutMs: 10_000 });
      for (const request of clients) request.destroy();

      await app.close();
      expect(running).toBe(0);
      await blocker;

      // The runner the app used is closed: a query now is a 503 that says why, and is never sent.
      const runner = createQueryRunner(ch, 5);
      await runner.close();
      await expect(runner.rows('SELECT 1 AS one', {})).rejects.toMatchObject({ statusCode: 503, message: expect.stringContaining('shutting down') });
    } finally {
      await ch.close();
      rmSync(dirname(api.tokensFile), { recursive: true, force: true });
    }
  });

  it('answers a query that reaches a closed embedded engine with a 503, never a 500 with a native usage line', async () => {
    const api = await openApiFixture();
    const { ch } = api;
    const query = (sql: string, params: Record<string, unknown> = {}) =>
      ch.client.query({ query: sql, query_params: params, format: 'JSONEachRow' }).then(
        (r) => r.json(),
        (err: unknown) => err,
      );
    try {
      // Queued behind a sleeping parameterized query when the engine closes: with the embedded engine
      // this is the binding's "Usage: …" error; against a server the query simply runs.
      const blocker = query('SELECT sleep({s:Float64}) AS slept', { s: 0.5 });
      const queued = query('SELECT {n:UInt8} AS n', { n: 1 });
      await ch.close();
      await blocker;
      const queuedOutcome = await queued;
      if (ch.mode === 'embedded') expect(queuedOutcome).toMatchObject({ message: expect.stringMatching(/^Usage: connection/) });
      if (queuedOutcome instanceof Error) {
        expect(classifyClickHouseError(queuedOutcome, 5)).toMatchObject({ statusCode: 503, message: expect.stringContaining('closed') });
      }
      // After close, refused before any call reaches the engine.
      const late = await query('SELECT 1 AS one');
      expect(late).toBeInstanceOf(Error);
      const mapped = classifyClickHouseError(late, 5);
      expect(mapped).toBeInstanceOf(ApiError);
      expect(mapped).toMatchObject({ statusCode: 503, code: 'ERR_OPERATION_FAILED' });
    } finally {
      await api.app.close();
      rmSync(dirname(api.tokensFile), { recursive: true, force: true });
    }
  });
});
