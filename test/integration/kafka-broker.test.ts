// What errpulse relies on from Kafka, checked against the real broker of the test stack with the
// kafkajs version the services use: explicit topic creation, producing, consuming in a group without
// auto-commit, and committing offsets with metadata that the admin API reads back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partitioners, type Kafka } from 'kafkajs';
import { ensureTopics } from '../../lib/kafka/client.js';
import { createTopic, testKafka, uniqueName, waitFor } from '../support/kafka.js';

describe('Kafka broker of the test stack', () => {
  let kafka: Kafka;
  const disconnect: (() => Promise<void>)[] = [];

  beforeAll(() => {
    kafka = testKafka();
  });

  afterAll(async () => {
    for (const d of disconnect.reverse()) await d();
  });

  it('creates missing topics, leaves existing ones alone, and serves them at once', async () => {
    const topic = uniqueName('ensure');
    const first = await ensureTopics(kafka, [{ topic, numPartitions: 3 }]);
    expect(first).toEqual({ created: [topic], existing: [] });

    // A different partition count must not alter the existing topic.
    const second = await ensureTopics(kafka, [{ topic, numPartitions: 5 }]);
    expect(second).toEqual({ created: [], existing: [topic] });

    const admin = kafka.admin();
    await admin.connect();
    disconnect.push(() => admin.disconnect());
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((o) => o.high).sort()).toEqual(['0', '0', '0']);
  });

  it('delivers produced messages to a consumer group and keeps committed offsets with their metadata', async () => {
    const N = 60;
    const partitions = 3;
    const topic = await createTopic(kafka, { prefix: 'roundtrip', numPartitions: partitions });
    const groupId = uniqueName('group');

    const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    disconnect.push(() => producer.disconnect());
    const sent = Array.from({ length: N }, (_, i) => ({ key: `key-${i % 7}`, value: JSON.stringify({ i }) }));
    const records = await producer.send({ topic, messages: sent, acks: -1 });
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.errorCode === 0)).toBe(true);

    // A short fetch wait, so that disconnecting does not wait out the default 5 s long poll.
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
    await consumer.connect();
    disconnect.push(() => consumer.disconnect());
    await consumer.subscribe({ topics: [topic], fromBeginning: true });

    const received: { partition: number; offset: string; key: string; value: string }[] = [];
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        received.push({ partition, offset: message.offset, key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
      },
    });
    await waitFor(() => received.length >= N, { timeoutMs: 60_000, message: `${N} messages consumed` });

    expect(received).toHaveLength(N);
    expect(received.map((r) => JSON.parse(r.value).i).sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
    // Keys decide partitions: every key lands on exactly one partition.
    const partitionsOfKey = new Map<string, Set<number>>();
    for (const r of received) partitionsOfKey.set(r.key, (partitionsOfKey.get(r.key) ?? new Set()).add(r.partition));
    for (const set of partitionsOfKey.values()) expect(set.size).toBe(1);

    const nextOffset = new Map<number, number>();
    for (const r of received) nextOffset.set(r.partition, Math.max(nextOffset.get(r.partition) ?? 0, Number(r.offset) + 1));
    const commits = [...nextOffset].map(([partition, offset]) => ({
      topic,
      partition,
      offset: String(offset),
      metadata: JSON.stringify({ committedBy: 'kafka-broker.test', partition }),
    }));
    await consumer.commitOffsets(commits);

    const admin = kafka.admin();
    await admin.connect();
    disconnect.push(() => admin.disconnect());
    const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(fetched?.topic).toBe(topic);
    const byPartition = new Map(fetched?.partitions.map((p) => [p.partition, p]));
    for (const c of commits) {
      expect(byPartition.get(c.partition)).toMatchObject({ offset: c.offset, metadata: c.metadata });
    }
    // The committed offsets sum to everything that was produced: nothing is skipped or counted twice.
    const high = await admin.fetchTopicOffsets(topic);
    expect(high.reduce((sum, p) => sum + Number(p.high), 0)).toBe(N);
    expect(commits.reduce((sum, c) => sum + Number(c.offset), 0)).toBe(N);
  });
});
