import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../services/ingest/batch/batcher.js';
import { RowSet } from '../../../services/ingest/batch/row-set.js';
import { decodeInFlight, deduplicationToken, doneCommit, encodeInFlight, inFlightCommit, readCommitted } from '../../../services/ingest/protocol/commit-metadata.js';

const batch = (fields: Partial<Batch> = {}): Batch => ({
  topic: 'api-errors',
  partition: 1,
  from: 100,
  to: 199,
  rows: new RowSet(),
  rejected: [],
  duplicates: 0,
  referenceTimeMs: 1_780_000_000_000,
  replay: false,
  split: false,
  ...fields,
});

describe('in-flight commit metadata', () => {
  it('round-trips a range with its reference time and split flag', () => {
    const metadata = encodeInFlight(batch({ split: true }));
    expect(metadata).toBe('{"v":1,"from":100,"to":199,"at":1780000000000,"split":true}');
    expect(Buffer.byteLength(metadata)).toBeLessThan(4096);
    expect(decodeInFlight(metadata)).toEqual({ kind: 'in-flight', range: { from: 100, to: 199, referenceTimeMs: 1_780_000_000_000, split: true } });
    expect(decodeInFlight(encodeInFlight(batch()))).toMatchObject({ kind: 'in-flight', range: { split: false } });
  });

  it.each([[null], [undefined], ['']])('reads %j as nothing in flight', (metadata) => {
    expect(decodeInFlight(metadata)).toEqual({ kind: 'none' });
  });

  it.each([['not json'], ['{"v":2,"from":1,"to":2,"at":3}'], ['{"v":1,"from":5,"to":2,"at":3}'], ['{"v":1,"from":-1,"to":2,"at":3}'], ['[1,2]'], ['null']])(
    'treats foreign metadata %s as nothing in flight',
    (metadata) => {
      expect(decodeInFlight(metadata)).toEqual({ kind: 'foreign', metadata });
    },
  );

  it('commits the first offset before writing and the next offset after', () => {
    expect(inFlightCommit(batch())).toEqual({ offset: 100, metadata: encodeInFlight(batch()) });
    expect(doneCommit(batch())).toEqual({ offset: 200, metadata: '' });
  });

  it('derives the deduplication token from topic, partition and range only', () => {
    expect(deduplicationToken('api-errors', 1, { from: 100, to: 199 })).toBe('api-errors:1:100-199');
  });
});

describe('readCommitted', () => {
  const admin = (partitions: { partition: number; offset: string; metadata: string | null }[]) =>
    ({ fetchOffsets: async () => [{ topic: 'api-errors', partitions }] }) as unknown as Admin;

  it('returns offsets and in-flight ranges per partition', async () => {
    const positions = await readCommitted(
      admin([
        { partition: 0, offset: '-1', metadata: null },
        { partition: 1, offset: '100', metadata: encodeInFlight(batch()) },
        { partition: 2, offset: '500', metadata: '' },
        { partition: 3, offset: '7', metadata: encodeInFlight(batch()) },
        { partition: 4, offset: '9', metadata: 'set by a tool' },
      ]),
      'g',
      'api-errors',
    );
    expect(positions.get(0)).toEqual({ offset: undefined, inFlight: undefined });
    expect(positions.get(1)).toEqual({ offset: 100, inFlight: { from: 100, to: 199, referenceTimeMs: 1_780_000_000_000, split: false } });
    expect(positions.get(2)).toEqual({ offset: 500, inFlight: undefined });
    // A range whose start is not the committed offset was not written by this protocol's commit order.
    expect(positions.get(3)).toMatchObject({ offset: 7, inFlight: undefined, foreign: encodeInFlight(batch()) });
    expect(positions.get(4)).toEqual({ offset: 9, inFlight: undefined, foreign: 'set by a tool' });
  });
});
