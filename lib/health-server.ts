// /metrics, /healthz and /readyz for a service that runs alone without the API (`errpulse ingest`,
// `errpulse alerts`). In `errpulse start` the API serves the same registry and readiness instead.
import { createServer, type Server } from 'node:http';
import type { Registry } from './metrics.js';

/** What /readyz answers: ready, or the first problem that stops it. */
export interface ReadinessState {
  ready: boolean;
  /** The first problem, when not ready. */
  reason?: string;
}

export interface HealthServer {
  server: Server;
  listen(port: number, host?: string): Promise<void>;
  stop(): Promise<void>;
}

export function createHealthServer(deps: { registry: Registry; readiness: () => ReadinessState }): HealthServer {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'method not allowed' });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      const readiness = deps.readiness();
      return json(readiness.ready ? 200 : 503, readiness);
    }
    if (path === '/metrics') {
      deps.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': deps.registry.contentType }).end(text),
        (err: unknown) => json(500, { error: err instanceof Error ? err.message : String(err) }),
      );
      return;
    }
    json(404, { error: 'not found', routes: ['/metrics', '/healthz', '/readyz'] });
  });
  return {
    server,
    listen: (port, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    stop: () =>
      new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
