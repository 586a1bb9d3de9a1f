// The dead-letter producer's thread (started by createDeadLetterQueue in dead-letter.ts): one kafkajs
// producer, requests answered by id. Sends run concurrently, as they did on the main thread: each
// partition's writer waits only for its own dead letters. kafkajs' log entries go back to the main
// thread's logger.
import { parentPort, workerData } from 'node:worker_threads';
import { Partitioners, type Message } from 'kafkajs';
import { createKafka, pinoLevelOf } from '../../../lib/kafka/client.js';
import { unpackDeadLetters, type ThreadData, type ThreadReply, type ThreadRequest } from './dead-letter.js';

/** One send stays well under a broker's per-request record batch limit. */
const MAX_SEND_BYTES = 512 * 1024;

const port = parentPort!;
const data = workerData as ThreadData;
const post = (reply: ThreadReply) => port.postMessage(reply);

const kafka = createKafka(data.kafka, undefined, {
  logLevel: data.logLevel,
  logCreator: () => (entry) => {
    const level = pinoLevelOf(entry);
    if (level === undefined) return;
    const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry.log;
    // kafkajs' extras are plain values; one that cannot be cloned is sent as text.
    let safe: Record<string, unknown>;
    try {
      safe = structuredClone({ ns: entry.namespace, ...extra });
    } catch {
      safe = { ns: entry.namespace, extra: String(extra) };
    }
    post({ log: { level, message: String(message), extra: safe } });
  },
});
// Kafka's own (Java-compatible) partitioner: a dead letter lands where any client would put its key.
const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
let connected: Promise<void> | undefined;
const connect = () =>
  (connected ??= producer.connect().catch((err: unknown) => {
    connected = undefined;
    throw err;
  }));

async function send(messages: Message[]): Promise<void> {
  let chunk: Message[] = [];
  let bytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    await producer.send({ topic: data.topic, acks: -1, messages: chunk });
    chunk = [];
    bytes = 0;
  };
  for (const message of messages) {
    const size = (message.value as Buffer | null)?.length ?? 0;
    if (bytes + size > MAX_SEND_BYTES) await flush();
    chunk.push(message);
    bytes += size;
  }
  await flush();
}

async function handle(request: ThreadRequest): Promise<void> {
  switch (request.op) {
    case 'connect':
      return connect();
    case 'send':
      await connect();
      return send(unpackDeadLetters(request.letters));
    case 'disconnect':
      connected = undefined;
      return producer.disconnect();
  }
}

port.on('message', (request: ThreadRequest) => {
  handle(request).then(
    () => post({ id: request.id }),
    (err: unknown) => post({ id: request.id, error: { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) } }),
  );
});
