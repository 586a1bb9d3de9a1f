// Sends a stream of messages to Kafka in batches. With pacing, a message is never sent before it is
// due, so a simulation whose virtual clock runs into the future plays out in real time, while the part
// of it that lies in the past (a backfill) goes out as fast as the broker takes it.
import type { Message, Producer } from 'kafkajs';

export interface OutgoingMessage {
  key: string | null;
  value: string | Buffer;
  /** When the message may be sent (epoch ms); undefined: at once. */
  dueMs?: number | undefined;
  /** What produced the message, for the caller's own counting; not sent. */
  source?: string;
}

export interface ProduceOptions {
  topic: string;
  /** Hold every message back until its dueMs. */
  pace: boolean;
  /** Messages per request to the broker. */
  maxBatch?: number;
  /** Stops the stream; what is already batched is still sent. */
  signal?: AbortSignal;
  now?: () => number;
  /** After every acknowledged batch, with that batch and the total sent so far. */
  onSent?: (batch: readonly OutgoingMessage[], sent: number) => void;
}

export interface ProduceResult {
  sent: number;
  /** True when the signal stopped the stream before it ended. */
  aborted: boolean;
}

export const DEFAULT_MAX_BATCH = 1000;
/**
 * When the next message is not due yet, wait at least this long, so that at high rates messages go out
 * in batches of this many milliseconds rather than one request per message. Messages are late by at
 * most this much, never early.
 */
export const PACE_TICK_MS = 100;

export async function produceMessages(
  producer: Pick<Producer, 'send'>,
  messages: Iterable<OutgoingMessage> | AsyncIterable<OutgoingMessage>,
  opts: ProduceOptions,
): Promise<ProduceResult> {
  const now = opts.now ?? Date.now;
  const maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH;
  let batch: OutgoingMessage[] = [];
  let sent = 0;

  const flush = async () => {
    if (batch.length === 0) return;
    const messages: Message[] = batch.map((m) => ({ key: m.key, value: m.value }));
    // acks -1 (the default): a message counts as sent only once every in-sync replica has it.
    await producer.send({ topic: opts.topic, messages });
    sent += batch.length;
    const done = batch;
    batch = [];
    opts.onSent?.(done, sent);
  };

  for await (const message of messages) {
    if (opts.signal?.aborted) break;
    if (opts.pace && message.dueMs !== undefined && message.dueMs > now()) {
      await flush();
      await sleep(Math.max(PACE_TICK_MS, message.dueMs - now()), opts.signal);
      if (opts.signal?.aborted) break;
    }
    batch.push(message);
    if (batch.length >= maxBatch) await flush();
  }
  await flush();
  return { sent, aborted: opts.signal?.aborted ?? false };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
