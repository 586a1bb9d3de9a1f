// The malformed-input stream of bench/ingest.ts: the bench's good events with bad messages spread
// evenly among them, every rejection reason a message can carry in equal numbers (the cases of
// test/fixtures/messages, cycled), and the dead-letter topic counted by reason afterwards.
// `rejected_by_clickhouse` is left out: no message causes it while the schema matches the contract.
import type { Kafka } from 'kafkajs';
import { DLQ_HEADERS } from '../services/ingest/sinks/dead-letter.js';
import { loadMessageFixtures, type MessageFixture } from '../test/fixtures/messages/load.js';
import { benchEvents, pastStart } from './ingest-events.js';

export interface MalformedStream {
  good: number;
  bad: number;
  badBytes: number;
  /** Bad messages by the reason the worker must dead-letter them with. */
  badByReason: Record<string, number>;
  /** The stream in order; without the bad ones, the same good events in the same order. */
  messages(opts: { withBad: boolean }): Generator<{ key: string; value: string | Buffer }>;
}

/**
 * `total` messages, `share` of them bad, of every reason or of `onlyReasons`; the bad ones' timestamps
 * are relative to `referenceTimeMs`.
 */
export function malformedStream(total: number, share: number, seed: number, referenceTimeMs: number, onlyReasons?: readonly string[]): MalformedStream {
  if (!(share >= 0 && share < 1)) throw new Error(`--malformed-share must be at least 0 and below 1, got ${share}`);
  const bad = Math.round(total * share);
  const good = total - bad;
  const byReason = new Map<string, MessageFixture[]>();
  for (const f of loadMessageFixtures(referenceTimeMs)) {
    if (f.expect !== 'ok') byReason.set(f.expect, [...(byReason.get(f.expect) ?? []), f]);
  }
  const unknown = onlyReasons?.filter((r) => !byReason.has(r)) ?? [];
  if (unknown.length > 0) throw new Error(`--malformed-reasons: no message case for ${unknown.join(', ')}; known: ${[...byReason.keys()].join(', ')}`);
  const reasons = onlyReasons ? [...new Set(onlyReasons)] : [...byReason.keys()];
  const badMessage = (j: number): MessageFixture => {
    const cases = byReason.get(reasons[j % reasons.length]!)!;
    return cases[Math.floor(j / reasons.length) % cases.length]!;
  };
  const badByReason: Record<string, number> = {};
  let badBytes = 0;
  for (let j = 0; j < bad; j++) {
    const f = badMessage(j);
    badByReason[f.expect] = (badByReason[f.expect] ?? 0) + 1;
    badBytes += f.value.length;
  }
  const startMs = pastStart(good);
  return {
    good,
    bad,
    badBytes,
    badByReason,
    *messages({ withBad }) {
      const events = benchEvents(good, seed, { startMs });
      let j = 0;
      for (let i = 0; i < total; i++) {
        // Bad ones at evenly spaced positions: message i is bad when the running share crosses a whole one.
        if (Math.floor(((i + 1) * bad) / total) > Math.floor((i * bad) / total)) {
          if (withBad) yield { key: `malformed-${j}`, value: badMessage(j).value };
          j++;
        } else {
          const { key, value } = events.next().value!;
          yield { key, value };
        }
      }
    },
  };
}

/** Every message of a dead-letter topic, counted by its reason header. */
export async function tallyDeadLetters(kafka: Kafka, topic: string, groupId: string): Promise<Record<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  const total = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  await admin.disconnect();
  const tally: Record<string, number> = {};
  if (total === 0) return tally;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${seen} of ${total} dead letters of ${topic} in 120 s`)), 120_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const reason = m.headers?.[DLQ_HEADERS.reason]?.toString() ?? '(no reason header)';
          tally[reason] = (tally[reason] ?? 0) + 1;
        }
        seen += batch.messages.length;
        if (seen >= total) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return tally;
}
