import { describe, expect, it } from 'vitest';
import { BatchBuilder, type EncodedRow } from '../../../services/ingest/batch/batcher.js';

function builder(limits: Partial<{ maxRows: number; maxBytes: number; maxAgeMs: number }> = {}) {
  const clock = { wall: 1_000_000, mono: 0 };
  const b = new BatchBuilder('t', 3, { maxRows: 3, maxBytes: 1_000_000, maxAgeMs: 500, ...limits }, { wallMs: () => clock.wall, monotonicMs: () => clock.mono });
  return { b, clock };
}
const row = (offset: number, bytes = 10): EncodedRow => ({ write: (w) => w.raw(`${offset}\n`), offset, key: null, value: Buffer.alloc(bytes) });

/** Adds the message at `offset` the way the partition flow does. */
function add(b: BatchBuilder, offset: number, bytes = 10) {
  b.referenceTimeFor(offset);
  b.addRow(row(offset, bytes));
}

describe('BatchBuilder', () => {
  it('covers a contiguous offset range and closes on rows', () => {
    const { b } = builder();
    for (const o of [10, 11]) add(b, o);
    expect(b.isFull()).toBe(false);
    b.referenceTimeFor(12);
    b.addRejected({ offset: 12, key: null, value: Buffer.from('x'), reason: 'not_json', detail: 'x' });
    expect(b.isFull()).toBe(true);
    expect(b.accepts(13)).toBe(false);
    const batch = b.seal();
    expect(batch).toMatchObject({ topic: 't', partition: 3, from: 10, to: 12, replay: false, split: false });
    expect([batch.rows.offset(0), batch.rows.offset(1)]).toEqual([10, 11]);
    expect(Buffer.concat(batch.rows.data()).toString()).toBe('10\n11\n');
    expect(batch.rejected.map((r) => r.offset)).toEqual([12]);
    expect(b.isEmpty()).toBe(true);
  });

  it('closes on bytes', () => {
    const { b } = builder({ maxRows: 100, maxBytes: 25 });
    add(b, 0, 10);
    add(b, 1, 10);
    expect(b.isFull()).toBe(false);
    add(b, 2, 10);
    expect(b.isFull()).toBe(true);
  });

  it('is due when its first message has waited the age limit', () => {
    const { b, clock } = builder();
    expect(b.isDue()).toBe(false);
    add(b, 0);
    clock.mono = 499;
    expect(b.isDue()).toBe(false);
    clock.mono = 500;
    expect(b.isDue()).toBe(true);
  });

  it('judges a whole batch with the wall clock of its first message', () => {
    const { b, clock } = builder();
    expect(b.referenceTimeFor(0)).toBe(1_000_000);
    b.addRow(row(0));
    clock.wall = 2_000_000;
    expect(b.referenceTimeFor(1)).toBe(1_000_000);
    b.addRow(row(1));
    expect(b.seal().referenceTimeMs).toBe(1_000_000);
    expect(b.referenceTimeFor(2)).toBe(2_000_000);
  });

  it('rebuilds a replayed range exactly, whatever the limits and the clock say now', () => {
    const { b, clock } = builder({ maxRows: 2 });
    b.replayRange({ from: 100, to: 104, referenceTimeMs: 42, split: true });
    expect(b.referenceTimeFor(100)).toBe(42);
    b.addRow(row(100));
    for (const o of [101, 102, 103]) {
      expect(b.accepts(o)).toBe(true);
      add(b, o);
    }
    clock.mono = 10_000;
    expect(b.isDue()).toBe(false);
    add(b, 104);
    expect(b.isFull()).toBe(true);
    expect(b.accepts(105)).toBe(false);
    expect(b.seal()).toMatchObject({ from: 100, to: 104, replay: true, split: true, referenceTimeMs: 42 });
    // The next batch is an ordinary one again.
    add(b, 105);
    expect(b.seal()).toMatchObject({ from: 105, to: 105, replay: false, referenceTimeMs: 1_000_000 });
  });

  it('closes a replayed range at its recorded end when its last offsets are gone', () => {
    const { b } = builder();
    b.replayRange({ from: 100, to: 104, referenceTimeMs: 42, split: false });
    add(b, 100);
    add(b, 102);
    expect(b.accepts(107)).toBe(false);
    b.markComplete();
    expect(b.isDue()).toBe(true);
    expect(b.seal()).toMatchObject({ from: 100, to: 104, replay: true });
  });

  it('drops a replay target when the log no longer has the range', () => {
    const { b } = builder();
    b.replayRange({ from: 100, to: 104, referenceTimeMs: 42, split: false });
    expect(b.referenceTimeFor(200)).toBe(1_000_000);
    b.addRow(row(200));
    expect(b.seal()).toMatchObject({ from: 200, to: 200, replay: false });
  });

  it('refuses offsets that go backwards', () => {
    const { b } = builder();
    add(b, 5);
    expect(() => add(b, 5)).toThrow(/offset order/);
  });
});
