// The dead-letter topic: every message the pipeline or ClickHouse refused, as its original bytes and
// key, with headers saying why and where it came from. Sent before the batch's offsets are committed,
// so a crash re-sends it: delivery here is at least once (deduplicate on the source headers).
//
// The producer runs on a thread of its own (dead-letter-thread.ts): kafkajs encodes every record, its
// headers and the record batch's CRC-32C in JavaScript, which cost the main thread, where every good
// event is decoded and validated, more than deciding the bad message did (BENCHMARKS.md, issue 15).
// The main thread builds each dead letter and lays the batch's keys and values end to end in one
// buffer that is moved, not copied, to the thread; send() resolves when the broker acknowledged all.
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import type { Message } from 'kafkajs';
import type { KafkaClientConfig } from '../../../lib/kafka/client.js';
import { kafkajsLevelFor } from '../../../lib/kafka/client.js';
import type { Logger } from '../../../lib/log.js';
import { startSiblingThread } from '../../../lib/thread.js';
import type { RejectedMessage } from '../batch/batcher.js';

export const DLQ_HEADERS = {
  reason: 'errpulse-reason',
  detail: 'errpulse-detail',
  sourceTopic: 'errpulse-source-topic',
  sourcePartition: 'errpulse-source-partition',
  sourceOffset: 'errpulse-source-offset',
  /** Set when the original was cut to fit the broker's message size limit; holds the original size. */
  truncatedFrom: 'errpulse-truncated-from',
} as const;

/** Values above this are cut: Kafka's default max.message.bytes is 1 MiB including headers. */
export const DLQ_MAX_VALUE_BYTES = 900 * 1024;
const MAX_DETAIL_CHARS = 1024;

export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export function deadLetterMessage(source: { topic: string; partition: number }, rejected: RejectedMessage): DeadLetter {
  const headers: Record<string, string> = {
    [DLQ_HEADERS.reason]: rejected.reason,
    [DLQ_HEADERS.detail]: rejected.detail.slice(0, MAX_DETAIL_CHARS),
    [DLQ_HEADERS.sourceTopic]: source.topic,
    [DLQ_HEADERS.sourcePartition]: String(source.partition),
    [DLQ_HEADERS.sourceOffset]: String(rejected.offset),
  };
  let value = rejected.value;
  if (value !== null && value.length > DLQ_MAX_VALUE_BYTES) {
    headers[DLQ_HEADERS.truncatedFrom] = String(value.length);
    value = value.subarray(0, DLQ_MAX_VALUE_BYTES);
  }
  return { key: rejected.key, value, headers };
}

/**
 * Dead letters as they cross to the producer thread. Keys and values are views into the fetched
 * responses, and posting a view would clone the whole response behind it, so their bytes are copied
 * once into `bytes` (transferred) and `lengths` says where each ends: key then value per dead letter,
 * -1 for null.
 */
export interface PackedDeadLetters {
  bytes: ArrayBuffer;
  lengths: Int32Array;
  headers: Record<string, string>[];
}

export function packDeadLetters(letters: readonly DeadLetter[]): PackedDeadLetters {
  let size = 0;
  for (const l of letters) size += (l.key?.length ?? 0) + (l.value?.length ?? 0);
  const bytes = Buffer.allocUnsafeSlow(size);
  const lengths = new Int32Array(letters.length * 2);
  let at = 0;
  letters.forEach((l, i) => {
    for (const [j, part] of [l.key, l.value].entries()) {
      lengths[i * 2 + j] = part === null ? -1 : part.length;
      if (part !== null) at += part.copy(bytes, at);
    }
  });
  return { bytes: bytes.buffer as ArrayBuffer, lengths, headers: letters.map((l) => l.headers) };
}

/** The producer thread's side of packDeadLetters: kafkajs messages whose key and value are views of `bytes`. */
export function unpackDeadLetters(packed: PackedDeadLetters): Message[] {
  const messages: Message[] = [];
  let at = 0;
  const take = (length: number): Buffer | null => {
    if (length < 0) return null;
    const part = Buffer.from(packed.bytes, at, length);
    at += length;
    return part;
  };
  packed.headers.forEach((headers, i) => {
    const key = take(packed.lengths[i * 2]!);
    const value = take(packed.lengths[i * 2 + 1]!);
    messages.push({ key, value, headers });
  });
  return messages;
}

/** What the main thread asks the producer thread, and what it answers. */
export type ThreadCall = { op: 'connect' } | { op: 'disconnect' } | { op: 'send'; letters: PackedDeadLetters };
export type ThreadRequest = ThreadCall & { id: number };
export type ThreadReply =
  | { id: number; error?: { name: string; message: string } }
  | { log: { level: 'error' | 'warn' | 'info' | 'debug'; message: string; extra: Record<string, unknown> } };
export interface ThreadData {
  kafka: KafkaClientConfig;
  topic: string;
  logLevel: number;
}

export interface DeadLetterQueue {
  connect(): Promise<void>;
  /** Resolves once the broker acknowledged every message (acks from all in-sync replicas). */
  send(source: { topic: string; partition: number }, rejected: readonly RejectedMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * The dead-letter queue of `topic`, its producer on a thread of its own. A thread that died (it should
 * not) fails the requests it held, and the next request starts a new one; the write protocol retries.
 */
export function createDeadLetterQueue(kafka: KafkaClientConfig, topic: string, logger: Logger): DeadLetterQueue {
  const log = logger.child({ component: 'kafkajs', producer: 'dead-letter' });
  const data: ThreadData = { kafka: { brokers: kafka.brokers, clientId: kafka.clientId }, topic, logLevel: kafkajsLevelFor(log) };
  let thread: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  const start = (): Worker => {
    const started = startSiblingThread(import.meta.url, 'dead-letter-thread', { workerData: data });
    const fail = (err: Error) => {
      if (thread === started) thread = undefined;
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    started.on('message', (reply: ThreadReply) => {
      if ('log' in reply) {
        log[reply.log.level](reply.log.extra, reply.log.message);
        return;
      }
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (pending.size === 0) started.unref();
      if (reply.error) p.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
      else p.resolve();
    });
    started.on('error', fail);
    started.on('exit', (code) => fail(new Error(`the dead-letter producer thread exited (code ${code})`)));
    // Only a request under way keeps the process alive, as a socket of the producer would.
    started.unref();
    return started;
  };

  const request = (body: ThreadCall, transfer: ArrayBuffer[] = []): Promise<void> => {
    thread ??= start();
    const id = nextId++;
    const answered = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }));
    thread.ref();
    thread.postMessage({ ...body, id }, transfer);
    return answered;
  };

  return {
    connect: () => request({ op: 'connect' }),
    async send(source, rejected) {
      if (rejected.length === 0) return;
      const letters = packDeadLetters(rejected.map((r) => deadLetterMessage(source, r)));
      await request({ op: 'send', letters }, [letters.bytes]);
    },
    async disconnect() {
      const stopping = thread;
      if (!stopping) return;
      try {
        await request({ op: 'disconnect' });
      } finally {
        thread = undefined;
        const exited = once(stopping, 'exit');
        await stopping.terminate();
        await exited;
      }
    },
  };
}
