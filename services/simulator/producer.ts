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
  /** When a batch could not be sent because the broker is unreachable, before it is tried again. */
  onRetry?: (error: Error, attempt: number, waitMs: number) => void;
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

/** Waits between attempts at a batch while the broker is unreachable: doubling from the first, capped. */
export const SEND_RETRY_MS = { first: 250, max: 5_000 } as const;

// kafkajs gives up on a request after its own retries (about 20 s); a broker restart takes longer than
// that. These errors mean the broker could not be reached, not that the messages were refused.
const UNREACHABLE = new Set(['KafkaJSNumberOfRetriesExceeded', 'KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound']);

function brokerUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (UNREACHABLE.has(err.name) || (err as { retriable?: unknown }).retriable === true) return true;
  // kafkajs reports exhausted retries as a KafkaJSNonRetriableError whose cause is the connection error.
  return err.cause !== undefined && err.cause !== err && brokerUnreachable(err.cause);
}

/**
 * Sends one batch, again and again while the broker is unreachable, until it is acknowledged or the
 * signal stops the stream: a producer outlives a broker restart instead of exiting in the middle of it.
 * Anything else (a refused message, a missing topic) reaches the caller. Returns false when stopped.
 */
async function sendUntilAcknowledged(producer: Pick<Producer, 'send'>, record: { topic: string; messages: Message[] }, opts: ProduceOptions): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await producer.send(record);
      return true;
    } catch (err) {
      if (!brokerUnreachable(err)) throw err;
      // Stopped while the broker is away: the batch stays unsent (and uncounted) rather than failing the stop.
      if (opts.signal?.aborted) return false;
      const waitMs = Math.min(SEND_RETRY_MS.max, SEND_RETRY_MS.first * 2 ** (attempt - 1));
      opts.onRetry?.(err as Error, attempt, waitMs);
      await sleep(waitMs, opts.signal);
      if (opts.signal?.aborted) return false;
    }
  }
}

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
    if (!(await sendUntilAcknowledged(producer, { topic: opts.topic, messages }, opts))) return;
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
