import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthServer, type HealthServer, type ReadinessState } from '../../lib/health-server.js';


describe('ingest health server', () => {
  let health: HealthServer;
  let base: string;
  let readiness: ReadinessState = { ready: true };

  beforeAll(async () => {
    const registry = new Registry();
    new Counter({ name: 'errpulse_ingest_consumed_total', help: 'x', registers: [registry] }).inc(3);
    health = createHealthServer({ registry, readiness: () => readiness });
    await health.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(health.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await health.stop();
  });

  it('answers /healthz while the process runs', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when ready and 503 with the reason when not', async () => {
    readiness = { ready: true };
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    readiness = { ready: false, reason: 'ClickHouse insert failing on partition 1: UNKNOWN_TABLE' };
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual(readiness);
  });

  it('serves the registry in the Prometheus text format', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('errpulse_ingest_consumed_total 3');
  });

  it('refuses other paths and methods', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
