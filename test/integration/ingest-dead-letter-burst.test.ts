// A burst of small bad messages in one batch: their dead letters weigh more in headers than in values,
// and the broker refuses a record batch over message.max.bytes (1 MiB by default), so the dead-letter
// producer must size its sends by whole records. Before it did, this batch's send was refused forever
// and the partition stopped.
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.js';
import { createIngestWorker } from '../../services/ingest/worker.js';
import { createTopic, testBrokers, uniqueName, waitFor } from '../support/kafka.js';
import { fullyCommitted, ingestTotals, produce, simulatedStream, useIngestTestStack, workerConfig } from '../support/ingest.js';

const BAD = 12_000;
const GOOD = 200;

describe('dead letters of a burst of bad messages', () => {
  const stack = useIngestTestStack();
  const cleanup: (() => Promise<void>)[] = [];

  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('sends every one, in sends the broker accepts, and commits past the batch', async () => {
    const { kafka, admin, ch } = stack;
    const topic = await createTopic(kafka, { prefix: 'burst' });
    const dlqTopic = await createTopic(kafka, { prefix: 'burst_dlq' });
    const groupId = uniqueName('burst');
    // Bad messages first, then good ones: all in one batch under the default 50,000-row limit.
    const bad = Array.from({ length: BAD }, (_, i) => ({ key: `app-${i % 20}`, value: `not json ${i}` }));
    await produce(kafka, topic, [...bad, ...simulatedStream(GOOD, 15).messages]);

    const config = workerConfig({ brokers: testBrokers(), topic, dlqTopic, groupId, clickhouse: ch.config });
    const worker = createIngestWorker({ config, clickhouse: ch, kafka, logger: createLogger(config.logLevel, 'ingest-test'), registry: new Registry() });
    await worker.start();
    cleanup.push(() => worker.stop());

    await waitFor(async () => worker.stats().rejectedTotal >= BAD && (await fullyCommitted(admin, groupId, topic)), {
      timeoutMs: 90_000,
      message: `${BAD} dead letters acknowledged and the batch committed`,
    });
    const dlqOffsets = await admin.fetchTopicOffsets(dlqTopic);
    expect(dlqOffsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(BAD);
    expect(worker.stats()).toMatchObject({ insertedTotal: GOOD, rejectedTotal: BAD });
    expect((await ingestTotals(ch)).raw).toBe(GOOD);
  });
});
