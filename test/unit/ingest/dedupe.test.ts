// The eventId window: which messages count as duplicates, and that its state can be rebuilt from what
// was stored (the property a restart and a replay rely on).
import { describe, expect, it } from 'vitest';
import { EventIdWindow, type SeenEventId } from '../../../services/ingest/transforms/dedupe.js';

/** Runs ids (one per offset, from `start`) through a window the way the pipeline does; returns what it stored. */
function consume(window: EventIdWindow, ids: readonly (string | undefined)[], start = 0): { stored: SeenEventId[]; dropped: number[] } {
  const stored: SeenEventId[] = [];
  const dropped: number[] = [];
  ids.forEach((eventId, i) => {
    const offset = start + i;
    if (eventId === undefined) return;
    if (window.firstOffset(eventId, offset) !== undefined) {
      dropped.push(offset);
      return;
    }
    window.record(eventId, offset);
    stored.push({ eventId, offset });
  });
  return { stored, dropped };
}

describe('EventIdWindow', () => {
  it('drops a later copy and keeps the first, within one call sequence', () => {
    const window = new EventIdWindow(10);
    expect(consume(window, ['a', 'b', 'a', undefined, 'b', 'c']).dropped).toEqual([2, 4]);
    expect(window.firstOffset('a', 6)).toBe(0);
  });

  it('forgets an id once its stored copy is more than `size` offsets back', () => {
    const window = new EventIdWindow(3);
    window.record('a', 10);
    expect(window.firstOffset('a', 13)).toBe(10);
    expect(window.firstOffset('a', 14)).toBeUndefined();
    expect(window.count).toBe(0);
  });

  it('is not refreshed by a dropped copy: the stored row alone decides how long the id stays', () => {
    const window = new EventIdWindow(5);
    // a@0 stored, a@4 dropped, a@6 is more than 5 after the stored copy: stored again.
    expect(consume(window, ['a', undefined, undefined, undefined, 'a', undefined, 'a'])).toEqual({
      stored: [
        { eventId: 'a', offset: 0 },
        { eventId: 'a', offset: 6 },
      ],
      dropped: [4],
    });
  });

  it('holds at most `size` + 1 ids (those of the last `size` offsets, and the one just recorded) however many pass through', () => {
    const window = new EventIdWindow(100);
    consume(window, Array.from({ length: 10_000 }, (_, i) => `id-${i}`));
    expect(window.count).toBe(101);
    expect(window.firstOffset('id-9950', 10_000)).toBe(9_950);
    expect(window.firstOffset('id-100', 10_000)).toBeUndefined();
  });

  it('refuses offsets that go back', () => {
    const window = new EventIdWindow(10);
    window.record('a', 5);
    expect(() => window.record('b', 5)).toThrow(/offset 5 recorded after 5/);
    expect(() => new EventIdWindow(0)).toThrow(RangeError);
  });

  it('seeded with the stored ids of [c - size, c), decides every later message as a window that never stopped', () => {
    // A stream with many near and far repeats, some messages without eventId.
    let s = 7;
    const random = () => (s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
    const ids = Array.from({ length: 3_000 }, () => (random() < 0.1 ? undefined : `e${Math.floor(random() * 400)}`));
    const size = 250;
    const continuous = consume(new EventIdWindow(size), ids);
    for (const restartAt of [0, 1, 100, 249, 250, 251, 1_234, 2_999]) {
      const seeded = new EventIdWindow(size);
      // What seedEventIdWindows() (assignment.ts) reads from ClickHouse: the rows stored in [restartAt - size, restartAt).
      for (const row of continuous.stored.filter((r) => r.offset >= restartAt - size && r.offset < restartAt)) seeded.record(row.eventId, row.offset);
      const after = consume(seeded, ids.slice(restartAt), restartAt);
      expect([restartAt, after.dropped]).toEqual([restartAt, continuous.dropped.filter((o) => o >= restartAt)]);
    }
    expect(continuous.dropped.length).toBeGreaterThan(100);
  });
});
