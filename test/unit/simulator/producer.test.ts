import { PassThrough } from 'node:stream';
import type { Producer } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSimulation } from '../../../services/simulator/generator.js';
import { PACE_TICK_MS, produceMessages, type OutgoingMessage } from '../../../services/simulator/producer.js';
import { jsonlSink, runSimulation } from '../../../services/simulator/run.js';

type SendArgs = Parameters<Producer['send']>[0];

function recordingProducer(now: () => number = Date.now) {
  const sends: Array<{ at: number; messages: SendArgs['messages']; topic: string }> = [];
  return {
    sends,
    send: async (args: SendArgs) => {
      sends.push({ at: now(), messages: args.messages, topic: args.topic });
      return [];
    },
  };
}

const messages = (n: number, dueMs?: (i: number) => number): OutgoingMessage[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i % 3}`, value: `v${i}`, dueMs: dueMs?.(i), source: i % 2 ? 'odd' : 'even' }));

afterEach(() => {
  vi.useRealTimers();
});

describe('produceMessages', () => {
  it('sends everything, in order, in batches of at most maxBatch, with keys', async () => {
    const producer = recordingProducer();
    const result = await produceMessages(producer, messages(2500), { topic: 't', pace: false, maxBatch: 1000 });
    expect(result).toEqual({ sent: 2500, aborted: false });
    expect(producer.sends.map((s) => s.messages.length)).toEqual([1000, 1000, 500]);
    const all = producer.sends.flatMap((s) => s.messages);
    expect(all.map((m) => m.value)).toEqual(messages(2500).map((m) => m.value));
    expect(all[4]).toEqual({ key: 'k1', value: 'v4' });
    expect(producer.sends.every((s) => s.topic === 't')).toBe(true);
  });

  it('sends messages that are due already at once, even when pacing', async () => {
    const producer = recordingProducer();
    const past = Date.now() - 60_000;
    await produceMessages(producer, messages(50, (i) => past + i), { topic: 't', pace: true });
    expect(producer.sends).toHaveLength(1);
  });

  it('when pacing, never sends a message before it is due, and batches what falls due within a tick', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const producer = recordingProducer();
    // 10 messages due every 10 ms starting 500 ms from now.
    const due = (i: number) => 1_000_500 + i * 10;
    const done = produceMessages(producer, messages(10, due), { topic: 't', pace: true });
    await vi.advanceTimersByTimeAsync(499);
    expect(producer.sends).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2_000);
    await done;
    const sentAt = producer.sends.flatMap((s) => s.messages.map(() => s.at));
    sentAt.forEach((at, i) => expect(at).toBeGreaterThanOrEqual(due(i)));
    // One request per tick, not one per message.
    expect(producer.sends.length).toBeLessThanOrEqual(Math.ceil(100 / PACE_TICK_MS) + 1);
  });

  it('stops at the signal, still sending what it had batched', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const producer = recordingProducer();
    const controller = new AbortController();
    const due = (i: number) => (i < 5 ? 0 : 1_000_000 + 60_000 * i);
    const done = produceMessages(producer, messages(10, due), { topic: 't', pace: true, signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    const result = await done;
    expect(result).toEqual({ sent: 5, aborted: true });
  });

  it('sends a batch again while the broker is unreachable, and counts it once', async () => {
    // What kafkajs throws once its own retries are spent: a non-retriable error caused by the connection error.
    const unreachable = Object.assign(new Error('Connection error', { cause: Object.assign(new Error('connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' }) }), {
      name: 'KafkaJSNonRetriableError',
    });
    let calls = 0;
    const flaky = { send: async () => (++calls <= 2 ? Promise.reject(unreachable) : Promise.resolve([])) };
    const retries: number[] = [];
    const result = await produceMessages(flaky, messages(3), { topic: 't', pace: false, onRetry: (_err, attempt) => retries.push(attempt) });
    expect(result).toEqual({ sent: 3, aborted: false });
    expect([calls, retries]).toEqual([3, [1, 2]]);
  });

  it('lets a failed send reach the caller', async () => {
    const failing = { send: async () => Promise.reject(new Error('broker gone')) };
    await expect(produceMessages(failing, messages(3), { topic: 't', pace: false })).rejects.toThrow('broker gone');
  });

  it('reports each acknowledged batch with its sources', async () => {
    const seen: string[] = [];
    await produceMessages(recordingProducer(), messages(4), { topic: 't', pace: false, onSent: (batch) => seen.push(...batch.map((m) => m.source!)) });
    expect(seen).toEqual(['even', 'odd', 'even', 'odd']);
  });
});

describe('runSimulation', () => {
  const sim = createSimulation({
    seed: 3,
    ratePerSecond: 50,
    startMs: Date.parse('2025-06-01T00:00:00Z'),
    durationMs: 5 * 60_000,
    appCount: 20,
    scenarios: ['broken-api-keys'],
    incidentOffsetMs: 60_000,
    incidentLengthMs: 60_000,
  });

  it('counts what the sink acknowledged, by source, and ends at the planned end', async () => {
    const producer = recordingProducer();
    const run = runSimulation(producer, sim, { topic: 'events', pace: false });
    const result = await run.done;
    const sent = producer.sends.flatMap((s) => s.messages);
    expect(result.sent).toBe(sent.length);
    expect((result.counts.baseline ?? 0) + (result.counts['broken-api-keys'] ?? 0)).toBe(sent.length);
    expect(result.counts['broken-api-keys']).toBeGreaterThan(0);
    expect(result.endMs).toBe(sim.spec.startMs + sim.spec.durationMs!);
    const first = JSON.parse(String(sent[0]!.value)) as { appId: string };
    expect(sent[0]!.key).toBe(first.appId);
    expect(run.progress()).toMatchObject({ sent: sent.length, activeIncidents: [] });
  });

  it('writes JSONL through the file sink, one event per line', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const result = await runSimulation(jsonlSink(out), sim, { topic: 'unused', pace: false }).done;
    const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(result.sent);
    expect(JSON.parse(lines[0]!)).toMatchObject({ schemaVersion: 1, timestamp: expect.stringMatching(/^2025-06-01T00:00/) });
  });
});
