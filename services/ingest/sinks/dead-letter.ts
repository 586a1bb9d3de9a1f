// The dead-letter topic: every message the pipeline or ClickHouse refused, as its original bytes and
// key, with headers saying why and where it came from. Sent before the batch's offsets are committed,
// so a crash re-sends it: delivery here is at least once (deduplicate on the source headers).
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
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
/**
 * One send stays well under the broker's limit on a record batch (message.max.bytes, 1 MiB by default):
 * kafkajs puts a send's messages for one partition into one batch, so a chunk is bounded by what its
 * records weigh, headers and keys included, not by their values alone.
 */
const MAX_SEND_BYTES = 512 * 1024;
/** Per record and per header: the varints, attributes and deltas around the bytes (generously rounded up). */
const RECORD_OVERHEAD_BYTES = 32;
const HEADER_OVERHEAD_BYTES = 10;

/** An upper bound of what `message` adds to a record batch. */
export function recordBytes(message: Message): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value);
  for (const [key, values] of Object.entries(message.headers ?? {})) {
    for (const value of [values].flat()) bytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(key) + byteLength(value);
  }
  return bytes;
}

const byteLength = (v: Buffer | string | null | undefined): number => (v == null ? 0 : Buffer.byteLength(v));
const MAX_DETAIL_CHARS = 1024;

export function deadLetterMessage(source: { topic: string; partition: number }, rejected: RejectedMessage): Message {
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

export interface DeadLetterQueue {
  connect(): Promise<void>;
  /** Resolves once the broker acknowledged every message (acks from all in-sync replicas). */
  send(source: { topic: string; partition: number }, rejected: readonly RejectedMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export function createDeadLetterQueue(kafka: Kafka, topic: string): DeadLetterQueue {
  // Kafka's own (Java-compatible) partitioner: a dead letter lands where any client would put its key.
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async send(source, rejected) {
      let chunk: Message[] = [];
      let bytes = 0;
      const flush = async () => {
        if (chunk.length === 0) return;
        await producer.send({ topic, acks: -1, messages: chunk });
        chunk = [];
        bytes = 0;
      };
      for (const r of rejected) {
        const message = deadLetterMessage(source, r);
        const size = recordBytes(message);
        if (bytes + size > MAX_SEND_BYTES) await flush();
        chunk.push(message);
        bytes += size;
      }
      await flush();
    },
  };
}
