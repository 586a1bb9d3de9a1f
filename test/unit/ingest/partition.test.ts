// A partition with its outside world replaced by recorders: the order of commits, inserts and
// dead-letter sends is the exactly-once protocol (protocol/write-batch.ts), so it is pinned here step by step.
import type { KafkaMessage } from 'kafkajs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.js';
import type { RejectedMessage } from '../../../services/ingest/batch/batcher.js';
import type { InsertRows } from '../../../services/ingest/sinks/clickhouse.js';
import { readEventRows } from '../../support/row-binary.js';
import type { PartitionControls } from '../../../services/ingest/sources/kafka.js';
import { ingestMetrics, Tally } from '../../../services/ingest/metrics.js';
import { encodeInFlight } from '../../../services/ingest/protocol/commit-metadata.js';
import { Partition } from '../../../services/ingest/partition.js';
import { Readiness } from '../../../services/ingest/readiness.js';
import { createTransforms } from '../../../services/ingest/transforms/index.js';
import { waitFor } from '../../support/kafka.js';

const NOW = Date.now();
const event = (appId: string, timestamp: number | string = NOW - 1_000) => JSON.stringify({ timestamp, appId, region: 'us', code: 'ERR_UID_NOT_FOUND' });

function message(offset: number, value: string | null): KafkaMessage {
  return { offset: String(offset), key: Buffer.from('k'), value: value === null ? null : Buffer.from(value), timestamp: '0', attributes: 0, headers: {} } as KafkaMessage;
}

/** Rows in an INSERT body: one newline-terminated line each. */
const rowsIn = (pieces: readonly Buffer[]) => readEventRows(pieces).length;

type Step = ['commit', number, string] | ['insert', string, number] | ['dlq', number[], string[]];

function setup(opts: { maxRows?: number; insert?: InsertRows; owned?: () => boolean; eventIdWindow?: number } = {}) {
  const steps: Step[] = [];
  const controls = { resolved: [] as number[], pauses: 0, resumes: 0 };
  const metrics = ingestMetrics(new Registry());
  const tally = new Tally(metrics);
  const counters = tally.totals;
  /** Every readiness the partition reported, ready or not, in order, repeats left out. */
  const readinessChanges: boolean[] = [];
  const readiness = new Readiness();
  const set = readiness.set.bind(readiness);
  readiness.set = (part, problem) => {
    set(part, problem);
    const { ready } = readiness.state();
    if (readinessChanges[readinessChanges.length - 1] !== ready) readinessChanges.push(ready);
  };
  const insert: InsertRows =
    opts.insert ??
    (async (pieces, token) => {
      steps.push(['insert', token, rowsIn(pieces)]);
    });
  const flow = new Partition({
    topic: 't',
    owned: {
      partition: 0,
      epoch: 1,
      commit: async (offset, metadata) => {
        if (opts.owned && !opts.owned()) return false;
        steps.push(['commit', offset, metadata]);
        return true;
      },
      pause: () => void controls.pauses++,
      resume: () => void controls.resumes++,
    },
    limits: { maxRows: opts.maxRows ?? 3, maxBytes: 1 << 20, maxAgeMs: 60_000 },
    retryMaxMs: 20,
    eventIdWindow: opts.eventIdWindow ?? 100,
    transforms: createTransforms({ rawRetentionDays: 30 }),
    insert,
    deadLetters: {
      connect: async () => {},
      disconnect: async () => {},
      send: async (_source, rejected: readonly RejectedMessage[]) => {
        steps.push(['dlq', rejected.map((r) => r.offset), rejected.map((r) => r.reason)]);
      },
    },
    metrics,
    tally,
    readiness,
    logger: createLogger('silent', 'test'),
  });
  const kafkaControls: PartitionControls = {
    resolveOffset: (o) => void controls.resolved.push(Number(o)),
    pause: () => void controls.pauses++,
    isRunning: () => true,
  };
  const accept = (messages: KafkaMessage[]) => flow.accept(messages, '1000', kafkaControls);
  return { flow, steps, controls, accept, readiness, readinessChanges, metrics, counters };
}

const inFlight = (from: number, to: number, at: number) => encodeInFlight({ from, to, referenceTimeMs: at, split: false });

describe('Partition', () => {
  it('commits the range as in flight, inserts under its token, dead-letters, then commits past it', async () => {
    const { flow, steps, accept } = setup();
    flow.init({ offset: 0, inFlight: undefined });
    accept([message(0, event('a')), message(1, 'not json'), message(2, event('b')), message(3, event('c')), message(4, event('d')), message(5, event('e'))]);
    await flow.drain();
    const referenceOf = (i: number) => (JSON.parse((steps[i] as ['commit', number, string])[2]) as { at: number }).at;
    expect(steps).toEqual([
      ['commit', 0, inFlight(0, 2, referenceOf(0))],
      ['insert', 't:0:0-2', 2],
      ['dlq', [1], ['not_json']],
      // The next batch was already full, so its in-flight commit also marks [0, 2] done.
      ['commit', 3, inFlight(3, 5, referenceOf(3))],
      ['insert', 't:0:3-5', 3],
      ['commit', 6, ''],
    ]);
  });

  it('re-sends a range found in flight with its recorded token and clock, without committing it again', async () => {
    const { flow, steps, accept } = setup({ maxRows: 100 });
    const recordedAt = NOW - 3 * 3_600_000;
    flow.init({ offset: 10, inFlight: { from: 10, to: 12, referenceTimeMs: recordedAt, split: false } });
    // Offset 11 is 1 minute old now, but more than 1 h ahead of the recorded clock: rejected as it was then.
    accept([message(10, event('a', recordedAt)), message(11, event('b', NOW - 60_000)), message(12, event('c', recordedAt)), message(13, event('d'))]);
    await flow.drain();
    expect(steps).toEqual([
      ['insert', 't:0:10-12', 2],
      ['dlq', [11], ['timestamp_future']],
      ['commit', 13, expect.stringContaining('"from":13,"to":13')],
      ['insert', 't:0:13-13', 1],
      ['commit', 14, ''],
    ]);
  });

  it('commits a batch of only rejected messages without an in-flight step', async () => {
    const { flow, steps, accept } = setup();
    flow.init({ offset: undefined, inFlight: undefined });
    accept([message(0, '[]'), message(1, null)]);
    await flow.drain();
    expect(steps).toEqual([
      ['dlq', [0, 1], ['not_object', 'not_json']],
      ['commit', 2, ''],
    ]);
  });

  it('retries a failing insert with the same token, reports not ready meanwhile, and recovers by itself', async () => {
    let clickhouseUp = false;
    const tokens: string[] = [];
    const { flow, steps, accept, controls, readiness, readinessChanges } = setup({
      insert: async (_lines, token) => {
        tokens.push(token);
        if (!clickhouseUp) throw Object.assign(new Error('Table x.error_events does not exist'), { type: 'UNKNOWN_TABLE' });
      },
    });
    flow.init({ offset: 0, inFlight: undefined });
    accept([0, 1, 2].map((o) => message(o, event('a'))));
    await waitFor(() => tokens.length >= 3, { message: 'three failed attempts' });
    expect(readiness.state().reason).toContain('ClickHouse insert failing on partition 0');
    clickhouseUp = true;
    await flow.drain();
    expect(new Set(tokens)).toEqual(new Set(['t:0:0-2']));
    expect(readiness.state()).toEqual({ ready: true });
    expect(readinessChanges).toEqual([false, true]);
    expect(controls.pauses).toBeGreaterThanOrEqual(1);
    expect(steps.filter((s) => s[0] === 'commit').map((s) => s[1])).toEqual([0, 3]);
  });

  it('pauses instead of buffering a second full batch while a write is stuck, and resumes after', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { flow, accept, controls } = setup({ insert: () => gate });
    flow.init({ offset: 0, inFlight: undefined });
    accept([0, 1, 2, 3, 4, 5, 6, 7].map((o) => message(o, event('a'))));
    // Batch [0, 2] is being written, [3, 5] is full: 6 and 7 are left for kafkajs to fetch again.
    expect(controls.resolved).toEqual([0, 1, 2, 3, 4, 5]);
    expect(controls.pauses).toBe(1);
    release();
    await waitFor(() => controls.resumes === 1, { message: 'resume after the stuck write' });
  });

  it('stops, without committing, when ownership ends during a retry', async () => {
    let owned = true;
    const { flow, steps, accept, readiness } = setup({
      owned: () => owned,
      insert: async () => {
        throw new Error('socket hang up');
      },
    });
    flow.init({ offset: 0, inFlight: undefined });
    accept([0, 1, 2].map((o) => message(o, event('a'))));
    await waitFor(() => !readiness.state().ready);
    owned = false;
    flow.revoke();
    await flow.settled();
    expect(steps).toEqual([['commit', 0, expect.stringContaining('"from":0,"to":2')]]);
    expect(readiness.state()).toEqual({ ready: true });
  });

  it('stops for good when a commit is refused because the partition moved', async () => {
    const { flow, steps, accept, controls } = setup({ owned: () => false });
    flow.init({ offset: 0, inFlight: undefined });
    accept([0, 1, 2].map((o) => message(o, event('a'))));
    await flow.settled();
    expect(steps).toEqual([]);
    // kafkajs fetches the partition again from its committed offset for the next owner; this flow
    // must not go on with later offsets it would skip the abandoned batch for.
    expect(flow.revoked).toBe(true);
    accept([message(3, event('b'))]);
    expect(controls.resolved).toEqual([0, 1, 2]);
  });

  it('writes a partial batch on drain and takes nothing after', async () => {
    const { flow, steps, accept, controls } = setup({ maxRows: 100 });
    flow.init({ offset: 0, inFlight: undefined });
    accept([message(0, event('a'))]);
    expect(steps).toEqual([]);
    await flow.drain();
    expect(steps.map((s) => s[0])).toEqual(['commit', 'insert', 'commit']);
    accept([message(1, event('b'))]);
    expect(controls.resolved).toEqual([0]);
  });

  it('sends rows ClickHouse refuses to the dead-letter topic and keeps the rest', async () => {
    const stored: string[] = [];
    const { flow, steps, accept } = setup({
      maxRows: 4,
      insert: async (pieces, token) => {
        if (readEventRows(pieces).some((r) => r.app_id === 'poison')) throw Object.assign(new Error('Cannot parse input'), { type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED' });
        for (let i = 0; i < rowsIn(pieces); i++) stored.push(token);
      },
    });
    flow.init({ offset: 0, inFlight: undefined });
    accept([message(0, event('a')), message(1, event('poison')), message(2, event('c')), message(3, event('d'))]);
    await flow.drain();
    expect(stored).toHaveLength(3);
    const commits = steps.filter((s) => s[0] === 'commit');
    expect(commits[1]).toEqual(['commit', 0, expect.stringContaining('"split":true')]);
    expect(steps).toContainEqual(['dlq', [1], ['rejected_by_clickhouse']]);
    expect(commits.at(-1)).toEqual(['commit', 4, '']);
  });

  describe('duplicate eventIds', () => {
    const withId = (eventId: string | undefined, appId: string) => JSON.stringify({ eventId, timestamp: NOW - 1_000, appId, region: 'us', code: 'ERR_UID_NOT_FOUND' });
    // Offsets 0-2 and 3-5 are two batches: a@2 repeats a@0 in its batch, b@4 repeats b@1 across batches.
    const stream = () => [
      message(0, withId('a', 'x0')),
      message(1, withId('b', 'x1')),
      message(2, withId('a', 'x2')),
      message(3, withId('c', 'x3')),
      message(4, withId('b', 'x4')),
      message(5, withId(undefined, 'x5')),
    ];
    /** The offsets (last column) of the rows each INSERT carried, by token. */
    const recordingInsert = (inserted: [string, number[]][]): InsertRows => async (pieces, token) => {
      inserted.push([token, readEventRows(pieces).map((r) => r.kafka_offset)]);
    };

    it('stores the first copy only, within and across batches, and still commits past the dropped ones', async () => {
      const inserted: [string, number[]][] = [];
      const { flow, steps, accept, metrics, counters } = setup({ insert: recordingInsert(inserted) });
      flow.init({ offset: 0, inFlight: undefined });
      accept(stream());
      await flow.drain();
      expect(inserted).toEqual([
        ['t:0:0-2', [0, 1]],
        ['t:0:3-5', [3, 5]],
      ]);
      expect(steps.filter((s) => s[0] === 'dlq')).toEqual([]);
      expect(steps.at(-1)).toEqual(['commit', 6, '']);
      expect(counters.duplicates).toBe(2);
      expect(await metrics.duplicates.get()).toMatchObject({ values: [{ value: 2 }] });
    });

    it('rebuilds an in-flight range with the same rows when seeded with what was stored below it', async () => {
      const first: [string, number[]][] = [];
      const { flow, accept } = setup({ insert: recordingInsert(first) });
      flow.init({ offset: 0, inFlight: undefined });
      accept(stream());
      await flow.drain();

      // A new owner finds [3, 5] in flight: the window is rebuilt from the rows stored in [3 - window, 3).
      const replayed: [string, number[]][] = [];
      const next = setup({ insert: recordingInsert(replayed) });
      const recordedAt = NOW;
      next.flow.init({ offset: 3, inFlight: { from: 3, to: 5, referenceTimeMs: recordedAt, split: false } }, [
        { eventId: 'a', offset: 0 },
        { eventId: 'b', offset: 1 },
      ]);
      next.accept(stream().slice(3));
      await next.flow.drain();
      expect(replayed).toEqual([first[1]]);
    });

    it('forgets an id more than INGEST_EVENT_ID_WINDOW offsets after its stored copy', async () => {
      const inserted: [string, number[]][] = [];
      const { flow, accept } = setup({ insert: recordingInsert(inserted), maxRows: 100, eventIdWindow: 2 });
      flow.init({ offset: 0, inFlight: undefined });
      accept([message(0, withId('a', 'x0')), message(1, withId('b', 'x1')), message(2, withId('a', 'x2')), message(3, withId('a', 'x3'))]);
      await flow.drain();
      // a@2 is 2 offsets after a@0 (dropped); a@3 is 3 after it (stored).
      expect(inserted).toEqual([['t:0:0-3', [0, 1, 3]]]);
    });
  });
});
