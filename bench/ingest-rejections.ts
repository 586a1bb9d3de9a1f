// What one rejected message costs the ingest worker's process outside the broker, by reason, against a
// valid event measured in the same run: (1) the transforms deciding it (decode, validate, …) plus
// building its dead letter (sinks/dead-letter.ts), (2) kafkajs encoding that dead letter into a produce
// request (record, five or six headers, record batch with its CRC-32C), the same work the worker's
// dead-letter producer does per message. No broker, no ClickHouse: CPU time of this process only, so
// it is steadier than the malformed phase of bench:ingest on a busy machine.
// Usage: npx tsx bench/ingest-rejections.ts [--rounds 5] [--messages 20000]
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import type { Message } from 'kafkajs';
import { deadLetterMessage, recordBytes } from '../services/ingest/sinks/dead-letter.js';
import { createTransforms } from '../services/ingest/transforms/index.js';
import { loadMessageFixtures } from '../test/fixtures/messages/load.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, messages: { type: 'string', default: '20000' } } });
const ROUNDS = Number(args.rounds);
const MESSAGES = Number(args.messages);

// kafkajs' own produce request (v3, what it sends to Kafka ≥ 0.11), so the encoding measured is the
// worker's; it is not part of kafkajs' public API, hence the path.
const require = createRequire(import.meta.url);
type ProduceRequest = (o: unknown) => { encode(): Promise<Buffer> };
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as ProduceRequest;

const now = Date.now();
const transforms = createTransforms({ rawRetentionDays: 30 });
const byReason = new Map<string, Buffer[]>();
for (const f of loadMessageFixtures(now)) byReason.set(f.expect, [...(byReason.get(f.expect) ?? []), f.value]);

/** CPU microseconds per message of `work` over `n` messages, after a warm-up. */
function cpuPerMessage(n: number, work: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 2000); i++) work(i);
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) work(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

function decideAndBuild(values: Buffer[]): (i: number) => Message | undefined {
  return (i) => {
    const value = values[i % values.length]!;
    const outcome = transforms(value, { topic: 'api-errors', partition: 0, offset: i }, now);
    if (outcome.ok || outcome.error.reason === 'duplicate') return undefined;
    return deadLetterMessage({ topic: 'api-errors', partition: 0 }, { offset: i, key: Buffer.from(`k-${i}`), value, reason: outcome.error.reason, detail: outcome.error.detail });
  };
}

/** CPU per dead letter for kafkajs to encode produce requests of up to 512 KiB of records (the worker's chunks). */
async function encodePerMessage(letters: Message[]): Promise<number> {
  const chunks: Message[][] = [];
  let chunk: Message[] = [];
  let bytes = 0;
  for (const m of letters) {
    const size = recordBytes(m);
    if (chunk.length > 0 && bytes + size > 512 * 1024) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  const encodeAll = async () => {
    for (const messages of chunks) {
      await produceRequest({ acks: -1, timeout: 30_000, compression: 0, topicData: [{ topic: 'api-errors.dlq', partitions: [{ partition: 0, firstSequence: 0, messages }] }] }).encode();
    }
  };
  await encodeAll();
  const before = process.cpuUsage();
  await encodeAll();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / letters.length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = new Map<string, { decide: number[]; encode: number[] }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [reason, values] of byReason) {
    const n = reason === 'too_large' ? Math.ceil(MESSAGES / 10) : MESSAGES;
    const build = decideAndBuild(values);
    const decide = cpuPerMessage(n, build);
    // A valid event has no dead letter: its encode column is left empty.
    const letters = reason === 'ok' ? [] : Array.from({ length: Math.min(n, 2000) }, (_, i) => build(i)!);
    const encode = letters.length > 0 ? await encodePerMessage(letters) : NaN;
    const r = results.get(reason) ?? { decide: [], encode: [] };
    r.decide.push(decide);
    r.encode.push(encode);
    results.set(reason, r);
  }
}

const valid = median(results.get('ok')!.decide);
console.log(`CPU per message, median of ${ROUNDS} rounds (load ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')})`);
console.log('| message | transforms + dead letter built | × a valid event | kafkajs encoding of the dead letter |');
console.log('| --- | --- | --- | --- |');
for (const [reason, r] of results) {
  const decide = median(r.decide);
  const encode = median(r.encode);
  console.log(`| ${reason === 'ok' ? 'valid event (baseline)' : reason} | ${decide.toFixed(1)} µs | ${(decide / valid).toFixed(2)} | ${Number.isNaN(encode) ? '—' : `${encode.toFixed(1)} µs`} |`);
}
