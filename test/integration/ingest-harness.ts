// Vitest-side helpers shared by the ingest integration tests (ingest-support.ts holds the ones child
// processes load too, so it stays free of vitest).
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, expect } from 'vitest';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse.js';
import { testKafka } from '../support/kafka.js';
import type { IngestTotals } from './ingest-support.js';

export interface IngestTestStack {
  kafka: Kafka;
  admin: Admin;
  ch: TestClickHouse;
}

/**
 * The test stack's broker (a client and a connected admin) and a ClickHouse of the file's own, opened
 * before its tests and closed after them. Read the fields inside tests, not at module level.
 */
export function useIngestTestStack(): IngestTestStack {
  const stack = useTestBroker() as IngestTestStack;
  beforeAll(async () => {
    stack.ch = await openTestClickHouse();
  });
  afterAll(async () => {
    await stack.ch?.close();
  });
  return stack;
}

/** The test stack's broker only, for files whose workers run in child processes that own ClickHouse. */
export function useTestBroker(): Pick<IngestTestStack, 'kafka' | 'admin'> {
  const stack = {} as Pick<IngestTestStack, 'kafka' | 'admin'>;
  beforeAll(async () => {
    stack.kafka = testKafka();
    stack.admin = stack.kafka.admin();
    await stack.admin.connect();
  });
  afterAll(async () => {
    await stack.admin?.disconnect();
  });
  return stack;
}

/** Exactly once: `events` rows, no (partition, offset) twice, and `events` counted in every rollup. */
export function expectEveryEventOnce(totals: IngestTotals, events: number): void {
  expect(totals.raw).toBe(events);
  expect(totals.distinctOffsets).toBe(events);
  expect(Object.keys(totals.rollups).length).toBeGreaterThanOrEqual(2);
  for (const [table, counted] of Object.entries(totals.rollups)) expect([table, counted]).toEqual([table, events]);
}
