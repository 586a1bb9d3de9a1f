import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Readiness } from '../../../services/ingest/readiness.js';

describe('Readiness', () => {
  it('reports the problem of the part named first, and is ready when every part is', () => {
    const readiness = new Readiness();
    readiness.set('worker', 'starting');
    readiness.set('consumer', 'joining the consumer group');
    expect(readiness.state()).toEqual({ ready: false, reason: 'starting' });
    readiness.set('worker', undefined);
    expect(readiness.state()).toEqual({ ready: false, reason: 'joining the consumer group' });
    readiness.set('consumer', undefined);
    readiness.set('partition 0 epoch 1', 'ClickHouse insert failing');
    // A part keeps its rank when its problem comes back.
    readiness.set('worker', 'stopping');
    expect(readiness.state()).toEqual({ ready: false, reason: 'stopping' });
    readiness.set('worker', undefined);
    readiness.forget('partition 0 epoch 1');
    expect(readiness.state()).toEqual({ ready: true });
  });

  it('moves the gauge with every change; reading the state changes nothing', async () => {
    const registry = new Registry();
    const gauge = new Gauge({ name: 'ready', help: 'ready', registers: [registry] });
    const readiness = new Readiness(gauge);
    const value = async () => (await gauge.get()).values[0]?.value;
    readiness.set('worker', 'starting');
    expect(await value()).toBe(0);
    readiness.set('worker', undefined);
    expect(await value()).toBe(1);
    gauge.set(7);
    readiness.state();
    expect(await value()).toBe(7);
    readiness.set('partition 1 epoch 2', 'down');
    expect(await value()).toBe(0);
    readiness.forget('partition 1 epoch 2');
    expect(await value()).toBe(1);
  });
});
