// npm run bench:ingest [-- --events 1000000 --partitions 3 --freshness-rate 5000 --freshness-seconds 30
//                         --malformed-share 0.1 --malformed-rounds 3 --malformed-reasons not_json,too_large,…
//                         --only consume,insert,e2e,peer,freshness,malformed --cpu-prof]
//
// Pre-produces realistic events, then measures, each phase in a process of its own (bench/ingest-phases.ts):
//   consume   the raw kafkajs ceiling: a consumer group reading the topic and doing nothing else;
//   insert    the raw ClickHouse ceiling: the same rows inserted with the worker's batch size and one
//             writer per partition, as TabSeparated (what the worker sends) and as JSONEachRow;
//   e2e       the ingest worker draining the topic until ClickHouse has acknowledged every row;
//   peer      ClickHouse's own Kafka table engine draining the same topic into error_events through a
//             materialized view (its best configuration), the rate the worker is compared with;
//   freshness the worker while this process produces at a steady rate: produce → queryable, per event;
//   malformed a stream of --events messages, --malformed-share of them bad (every rejection reason a message
//             can have, in equal numbers, spread evenly), drained by the worker; checked: every bad one in
//             the dead-letter topic with its reason, every good one stored once. Its rate on the good ones
//             is compared with the worker draining a clean stream of the same good events, alternately,
//             --malformed-rounds times each, in this run.
// Kafka: KAFKA_BROKERS, or a local broker started here. ClickHouse: CLICKHOUSE_URL, or the embedded
// engine in a temp folder per phase. Results print as a table and as Markdown for BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Partitioners, type Kafka } from 'kafkajs';
import { loadConfigOrExit, type Config } from '../lib/config.js';
import { createKafka, ensureTopics } from '../lib/kafka/client.js';
import { startLocalBroker, stopLocalBroker } from '../lib/kafka/local-broker.js';
import { createLogger } from '../lib/log.js';
import { PROJECT_ROOT } from '../lib/paths.js';
import { BENCH_LOG_LEVEL, benchEvents, pastStart } from './ingest-events.js';
import type { ConsumeResult, DrainResult, EndToEndResult, FreshnessResult, InsertResult, PeerResult, PhaseOptions, VisibilityPoint } from './ingest-phases.js';
import { malformedStream, tallyDeadLetters, type MalformedStream } from './ingest-malformed.js';
import { freePort } from '../test/support/ports.js';
import { summarizeCpuProfile } from './ingest-profile.js';
import { cpuSecondsOf } from './proc-cpu.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '3' },
    seed: { type: 'string', default: '7' },
    'freshness-rate': { type: 'string', default: '5000' },
    'freshness-seconds': { type: 'string', default: '30' },
    'cpu-prof': { type: 'boolean', default: false },
    'malformed-share': { type: 'string', default: '0.1' },
    'malformed-rounds': { type: 'string', default: '3' },
    'malformed-reasons': { type: 'string' },
    only: { type: 'string' },
  },
});
const EVENTS = Number(args.events);
const PARTITIONS = Number(args.partitions);
const SEED = Number(args.seed);
const FRESH_RATE = Number(args['freshness-rate']);
const FRESH_SECONDS = Number(args['freshness-seconds']);
const MALFORMED_SHARE = Number(args['malformed-share']);
const MALFORMED_ROUNDS = Number(args['malformed-rounds']);
/** Undefined: every reason; a list narrows the bad ones to some reasons, to see what each costs. */
const MALFORMED_REASONS = args['malformed-reasons']?.split(',');
const only = new Set((args.only ?? 'consume,insert,e2e,peer,freshness,malformed').split(','));

const log = createLogger(BENCH_LOG_LEVEL, 'bench-ingest', 2);
const say = (line: string) => process.stderr.write(`${line}\n`);
const base = loadConfigOrExit();
const runId = `bench_${Date.now().toString(36)}`;
const cleanups: (() => Promise<void> | void)[] = [];

/** The local broker's process, to account for its CPU (Linux /proc only). */
let brokerPid: number | undefined;

const brokerCpuSeconds = () => (brokerPid === undefined ? undefined : cpuSecondsOf(`/proc/${brokerPid}/stat`));

async function brokers(): Promise<string[]> {
  if (!base.kafka.localBroker) return base.kafka.brokers;
  const dataDir = mkdtempSync(join(tmpdir(), 'errpulse-bench-kafka-'));
  const info = await startLocalBroker({ port: await freePort(), controllerPort: await freePort(), dataDir, startTimeoutMs: 120_000 });
  cleanups.push(async () => {
    await stopLocalBroker({ dataDir });
    rmSync(dataDir, { recursive: true, force: true });
  });
  brokerPid = info.pid;
  say(`local broker on ${info.brokers.join(',')} (started in ${(info.startMs / 1000).toFixed(1)} s)`);
  return info.brokers;
}

/** A config for one phase: its own group, topic and ClickHouse (database on a server, or folder). */
function phaseConfig(kafkaBrokers: string[], name: string, topic: string): Config {
  const dataDir = base.clickhouse.url ? base.clickhouse.dataDir : mkdtempSync(join(tmpdir(), `errpulse-bench-ch-${name}-`));
  if (!base.clickhouse.url) cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  return {
    ...base,
    kafka: { ...base.kafka, brokers: kafkaBrokers, localBroker: false, topic, dlqTopic: `${runId}_dlq`, groupId: `${runId}_${name}`, clientId: `${runId}_${name}` },
    clickhouse: { ...base.clickhouse, dataDir, database: `${runId}_${name}` },
    logLevel: BENCH_LOG_LEVEL,
  };
}

interface PhaseRun<T> {
  result: Promise<T>;
  ready: Promise<void>;
}

function runPhase<T>(phase: string, options: PhaseOptions, cpuProfDir?: string): PhaseRun<T> {
  const nodeArgs = [...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []), '--import', 'tsx', join(PROJECT_ROOT, 'bench/ingest-phases.ts'), phase, JSON.stringify(options)];
  const child = spawn(process.execPath, nodeArgs, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let signalReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (signalReady = r));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.includes('READY\n')) signalReady();
  });
  const result = new Promise<T>((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('RESULT '.length)) as T);
      else reject(new Error(`bench phase ${phase} exited with ${code}`));
    });
  });
  return { result, ready };
}

async function preProduce(kafka: Kafka, topic: string, messages: Iterable<{ key: string; value: string | Buffer }> = benchEvents(EVENTS, SEED, { startMs: pastStart(EVENTS) })): Promise<{ ms: number; bytes: number }> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  let bytes = 0;
  let batch: { key: string; value: string | Buffer }[] = [];
  let batchBytes = 0;
  const send = async () => {
    await producer.send({ topic, messages: batch });
    batch = [];
    batchBytes = 0;
  };
  for (const { key, value } of messages) {
    bytes += value.length;
    // Bounded in bytes too: a record batch of over-size messages must stay under the broker's default
    // message.max.bytes (1 MiB), whichever partition they all land in.
    if (batch.length === 2_000 || (batch.length > 0 && batchBytes + value.length > 768 * 1024)) await send();
    batch.push({ key, value });
    batchBytes += value.length;
  }
  if (batch.length > 0) await send();
  const ms = performance.now() - started;
  await producer.disconnect();
  return { ms, bytes };
}

interface SendRecord {
  partition: number;
  baseOffset: number;
  count: number;
  sentAt: number;
}

/** Sends `rate` events per second for `seconds`, spread evenly over partitions, recording when each went out. */
async function producePaced(kafka: Kafka, topic: string, rate: number, seconds: number): Promise<SendRecord[]> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const total = rate * seconds;
  const records: SendRecord[] = [];
  const events = benchEvents(total, SEED + 1, { startMs: pastStart(total) });
  const started = Date.now();
  let sent = 0;
  while (sent < total) {
    // At most 1,000 per request: a producer that fell behind (a busy machine) must not build a request
    // larger than the broker accepts.
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate) + 1, sent + 1_000);
    if (due > sent) {
      const messages = [];
      for (; sent < due; sent++) {
        const m = events.next().value!;
        messages.push({ key: m.key, value: m.value, partition: sent % PARTITIONS });
      }
      const sentAt = Date.now();
      const metadata = await producer.send({ topic, messages });
      for (const md of metadata) {
        const count = messages.filter((m) => m.partition === md.partition).length;
        records.push({ partition: md.partition, baseOffset: Number(md.baseOffset), count, sentAt });
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await producer.disconnect();
  return records;
}

/** Produce → queryable per event: the first poll at which its partition had more rows than its offset. */
function freshnessLatencies(records: SendRecord[], visibility: VisibilityPoint[]): number[] {
  const latencies: number[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    let v = 0;
    for (const r of records.filter((x) => x.partition === p).sort((a, b) => a.baseOffset - b.baseOffset)) {
      for (let o = r.baseOffset; o < r.baseOffset + r.count; o++) {
        while (v < visibility.length && visibility[v]!.counts[p]! <= o) v++;
        if (v === visibility.length) throw new Error(`offset ${o} of partition ${p} never became visible`);
        latencies.push(visibility[v]!.t - r.sentAt);
      }
    }
  }
  return latencies.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const k = (n: number) => `${Math.round(n / 1000).toLocaleString('en')}k`;
const mib = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;
const pct = (n: number) => `${Math.round(n * 100)} %`;

async function main(): Promise<void> {
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  say(`errpulse ingest benchmark: ${EVENTS.toLocaleString('en')} events, ${PARTITIONS} partitions, ${cpus().length} cores, ${mib(totalmem())}, load ${load()}`);
  const kafkaBrokers = await brokers();
  const kafka = createKafka({ brokers: kafkaBrokers, clientId: runId }, log);
  const topic = `${runId}_events`;
  const freshTopic = `${runId}_fresh`;
  await ensureTopics(kafka, [
    { topic, numPartitions: PARTITIONS },
    { topic: freshTopic, numPartitions: PARTITIONS },
    { topic: `${runId}_dlq`, numPartitions: 1 },
  ]);
  const startMs = pastStart(EVENTS);
  const options = (name: string, t = topic): PhaseOptions => ({ config: phaseConfig(kafkaBrokers, name, t), events: EVENTS, seed: SEED, startMs, partitions: PARTITIONS });

  say('pre-producing…');
  const produced = await preProduce(kafka, topic);
  const admin = kafka.admin();
  await admin.connect();
  const perPartition = (await admin.fetchTopicOffsets(topic)).map((o) => Number(o.high));
  await admin.disconnect();
  say(`  ${EVENTS.toLocaleString('en')} events (${mib(produced.bytes)}) in ${(produced.ms / 1000).toFixed(1)} s; per partition ${perPartition.join(' / ')}`);

  const results: Results = {};
  if (only.has('consume')) {
    say('ceiling 1: raw kafkajs consume…');
    results.consume = await runPhase<ConsumeResult>('consume', options('raw_consume')).result;
    say(`  ${k(results.consume.perSecond)} messages/s`);
  }
  if (only.has('insert')) {
    say('ceiling 2: raw ClickHouse insert of the same rows…');
    results.insert = await runPhase<InsertResult>('insert', options('raw_insert')).result;
    for (const m of results.insert.methods) say(`  ${m.method}: ${k(m.perSecond)} rows/s`);
  }
  let profileDir: string | undefined;
  if (only.has('e2e')) {
    say('end to end: the ingest worker…');
    if (args['cpu-prof']) profileDir = mkdtempSync(join(tmpdir(), 'errpulse-bench-prof-'));
    const brokerCpuBefore = brokerCpuSeconds();
    const started = performance.now();
    results.e2e = await runPhase<EndToEndResult>('e2e', options('ingest'), profileDir).result;
    const brokerCpuAfter = brokerCpuSeconds();
    // The whole phase, start-up included, so this is a lower bound of the broker's share while draining.
    if (brokerCpuBefore !== undefined && brokerCpuAfter !== undefined) results.brokerCores = (brokerCpuAfter - brokerCpuBefore) / ((performance.now() - started) / 1000);
    say(`  ${k(results.e2e.perSecond)} events/s, peak RSS ${mib(results.e2e.peakRssBytes)}`);
  }
  if (only.has('peer')) {
    say(`peer: ClickHouse's Kafka table engine (${PARTITIONS} consumers, large blocks, materialized view into error_events)…`);
    results.peer = await runPhase<PeerResult>('peer', options('kafka_engine')).result;
    say(`  ${k(results.peer.perSecond)} events/s after its first block (${k(results.peer.overallPerSecond)} events/s from start), peak RSS ${mib(results.peer.peakRssBytes)}`);
    if (results.e2e) say(`  worker / peer: ${(results.e2e.stored.perSecond / results.peer.perSecond).toFixed(2)}×`);
  }
  if (only.has('freshness')) {
    say(`freshness: ${FRESH_RATE} events/s for ${FRESH_SECONDS} s…`);
    const phase = runPhase<FreshnessResult>('freshness', { ...options('fresh', freshTopic), expected: FRESH_RATE * FRESH_SECONDS });
    await Promise.race([phase.ready, phase.result]);
    const records = await producePaced(kafka, freshTopic, FRESH_RATE, FRESH_SECONDS);
    results.freshness = freshnessLatencies(records, (await phase.result).visibility);
    say(`  p50 ${quantile(results.freshness, 0.5)} ms, p99 ${quantile(results.freshness, 0.99)} ms`);
  }
  if (only.has('malformed')) results.malformed = await malformedPhase(kafka, kafkaBrokers);
  say(`load after: ${load()}`);
  report(results, produced, perPartition);
  if (profileDir) say(summarizeCpuProfile(profileDir, 25));
}

interface MalformedResults {
  stream: MalformedStream;
  /** Alternating rounds: the clean stream, then the mixed one. */
  rounds: { clean: DrainResult; mixed: DrainResult }[];
  /** CPU seconds the local broker used during each drain (reading the topic, storing the dead letters), when the bench started it. */
  brokerCpu: { clean: number; mixed: number }[];
  /** Messages in the dead-letter topic, by reason, per mixed round. */
  deadLetters: Record<string, number>[];
}

/**
 * The malformed-input phase: a clean topic of the good events and a mixed topic of the same good events
 * with the bad ones spread among them, each drained by a fresh worker (own group, own ClickHouse, own
 * dead-letter topic), alternately, so machine noise falls on both alike.
 */
async function malformedPhase(kafka: Kafka, kafkaBrokers: string[]): Promise<MalformedResults> {
  // Timestamps of the bad ones are relative to a reference 10 minutes ahead, so "61 minutes in the
  // future" stays in the future however long the run takes (the validator allows 60).
  const stream = malformedStream(EVENTS, MALFORMED_SHARE, SEED, Date.now() + 10 * 60_000, MALFORMED_REASONS);
  const cleanTopic = `${runId}_clean`;
  const mixedTopic = `${runId}_mixed`;
  const dlqTopics = Array.from({ length: MALFORMED_ROUNDS }, (_, i) => `${runId}_mixed_dlq_${i}`);
  await ensureTopics(kafka, [
    { topic: cleanTopic, numPartitions: PARTITIONS },
    { topic: mixedTopic, numPartitions: PARTITIONS },
    { topic: `${runId}_clean_dlq`, numPartitions: 1 },
    ...dlqTopics.map((topic) => ({ topic, numPartitions: 1 })),
  ]);
  say(`malformed: ${stream.good.toLocaleString('en')} good + ${stream.bad.toLocaleString('en')} bad messages (${Object.entries(stream.badByReason).map(([r, n]) => `${r} ${n}`).join(', ')})…`);
  await preProduce(kafka, cleanTopic, stream.messages({ withBad: false }));
  await preProduce(kafka, mixedTopic, stream.messages({ withBad: true }));
  const drainOptions = (name: string, topic: string, dlqTopic: string, rejected: number): PhaseOptions => {
    const config = phaseConfig(kafkaBrokers, name, topic);
    return { config: { ...config, kafka: { ...config.kafka, dlqTopic } }, events: stream.good, seed: SEED, startMs: 0, partitions: PARTITIONS, rejected };
  };
  const rounds: MalformedResults['rounds'] = [];
  const brokerCpu: MalformedResults['brokerCpu'] = [];
  const deadLetters: MalformedResults['deadLetters'] = [];
  // --cpu-prof: the first round's two drains, to compare where the worker's time goes.
  const profiles = args['cpu-prof'] ? { clean: mkdtempSync(join(tmpdir(), 'errpulse-bench-prof-clean-')), mixed: mkdtempSync(join(tmpdir(), 'errpulse-bench-prof-mixed-')) } : undefined;
  for (let i = 0; i < MALFORMED_ROUNDS; i++) {
    const profile = (which: 'clean' | 'mixed') => (i === 0 ? profiles?.[which] : undefined);
    const brokerBefore = brokerCpuSeconds();
    const clean = await runPhase<DrainResult>('drain', drainOptions(`clean_${i}`, cleanTopic, `${runId}_clean_dlq`, 0), profile('clean')).result;
    const brokerBetween = brokerCpuSeconds();
    const mixed = await runPhase<DrainResult>('drain', drainOptions(`mixed_${i}`, mixedTopic, dlqTopics[i]!, stream.bad), profile('mixed')).result;
    const brokerAfter = brokerCpuSeconds();
    rounds.push({ clean, mixed });
    if (brokerBefore !== undefined && brokerBetween !== undefined && brokerAfter !== undefined) brokerCpu.push({ clean: brokerBetween - brokerBefore, mixed: brokerAfter - brokerBetween });
    deadLetters.push(await tallyDeadLetters(kafka, dlqTopics[i]!, `${runId}_dlq_reader_${i}`));
    say(`  round ${i + 1}: clean ${k(clean.goodPerSecond)} good events/s, mixed ${k(mixed.goodPerSecond)} good events/s (${pct(mixed.goodPerSecond / clean.goodPerSecond)}); drain ${(clean.ms / 1000).toFixed(2)} s / ${(mixed.ms / 1000).toFixed(2)} s, of it to the last good row ${(clean.goodStoredMs / 1000).toFixed(2)} s / ${(mixed.goodStoredMs / 1000).toFixed(2)} s`);
  }
  const cleanDlq = await tallyDeadLetters(kafka, `${runId}_clean_dlq`, `${runId}_dlq_reader_clean`);
  checkMalformed(stream, rounds, deadLetters, cleanDlq);
  if (profiles) say(`clean stream, round 1:\n${summarizeCpuProfile(profiles.clean, 15)}\nmixed stream, round 1:\n${summarizeCpuProfile(profiles.mixed, 15)}`);
  return { stream, rounds, brokerCpu, deadLetters };
}

/** Throws unless every good event was stored once and every bad one dead-lettered with its reason, in every round. */
function checkMalformed(stream: MalformedStream, rounds: MalformedResults['rounds'], deadLetters: MalformedResults['deadLetters'], cleanDlq: Record<string, number>): void {
  const problems: string[] = [];
  const expectStored = (what: string, r: DrainResult) => {
    for (const [measure, value] of [['rows', r.rows], ['distinct (partition, offset)', r.distinctOffsets], ['distinct eventIds', r.distinctEventIds], ['inserted', r.insertedTotal]] as const) {
      if (value !== stream.good) problems.push(`${what}: ${measure} ${value}, expected ${stream.good}`);
    }
  };
  rounds.forEach(({ clean, mixed }, i) => {
    expectStored(`clean round ${i + 1}`, clean);
    expectStored(`mixed round ${i + 1}`, mixed);
    if (mixed.rejectedTotal !== stream.bad) problems.push(`mixed round ${i + 1}: worker dead-lettered ${mixed.rejectedTotal}, expected ${stream.bad}`);
    const got = JSON.stringify(sortedTally(deadLetters[i]!));
    const want = JSON.stringify(sortedTally(stream.badByReason));
    if (got !== want) problems.push(`mixed round ${i + 1}: dead-letter topic by reason ${got}, expected ${want}`);
  });
  if (Object.keys(cleanDlq).length > 0) problems.push(`the clean stream dead-lettered ${JSON.stringify(cleanDlq)}`);
  if (problems.length > 0) throw new Error(`malformed-input check failed:\n  ${problems.join('\n  ')}`);
}

const sortedTally = (t: Record<string, number>) => Object.fromEntries(Object.entries(t).sort(([a], [b]) => a.localeCompare(b)));

interface Results {
  malformed?: MalformedResults;
  consume?: ConsumeResult;
  insert?: InsertResult;
  e2e?: EndToEndResult;
  peer?: PeerResult;
  brokerCores?: number;
  freshness?: number[];
}

function report(r: Results, produced: { ms: number; bytes: number }, perPartition: number[]): void {
  const lines: string[] = [];
  const add = (what: string, value: string, note = '') => lines.push(`| ${what} | ${value} | ${note} |`);
  lines.push('| measure | result | notes |', '| --- | --- | --- |');
  add('pre-produce', `${k((EVENTS / produced.ms) * 1000)} events/s`, `${EVENTS.toLocaleString('en')} events, ${mib(produced.bytes)}, ${PARTITIONS} partitions (${perPartition.join(' / ')})`);
  if (r.consume) add('ceiling: raw kafkajs consume', `${k(r.consume.perSecond)} msg/s`, `${(r.consume.ms / 1000).toFixed(1)} s, no processing`);
  const ceiling = r.insert?.methods.at(-1);
  if (r.insert) {
    const i = r.insert;
    for (const m of i.methods) {
      add(`ceiling: insert, ${m.method}`, `${k(m.perSecond)} rows/s`, `${m.cpuMicrosPerRow.toFixed(1)} µs CPU per row`);
    }
    add(
      '… batches',
      `${i.batchRows.toLocaleString('en')} rows`,
      `${i.concurrency} at a time, into error_events + rollup views; building the bodies not included: ` +
        `TabSeparated ${((i.encodeTsvMs * 1000) / i.rows).toFixed(2)} µs per row, RowBinary ${((i.encodeRowBinaryMs * 1000) / i.rows).toFixed(2)} µs per row`,
    );
  }
  if (r.e2e) {
    add('**end to end (ingest worker)**', `**${k(r.e2e.perSecond)} events/s**`, `${(r.e2e.ms / 1000).toFixed(1)} s from first message to last row acknowledged`);
    if (r.consume) add('… ratio to raw consume', pct(r.e2e.perSecond / r.consume.perSecond), 'target ≥ 70 %');
    if (ceiling) add('… ratio to the insert ceiling of its path', pct(r.e2e.perSecond / ceiling.perSecond));
    add(
      '… peak RSS',
      mib(r.e2e.peakRssBytes),
      `worker process${base.clickhouse.url ? '' : ' incl. the embedded ClickHouse engine'}; JS heap ${mib(r.e2e.peakHeapBytes)} + Buffers ${mib(r.e2e.peakExternalBytes)} at that moment`,
    );
    add(
      '… CPU',
      `${((r.e2e.cpuUserMs + r.e2e.cpuSystemMs) / r.e2e.ms).toFixed(2)} cores`,
      `worker process (JavaScript and engine threads): ${(((r.e2e.cpuUserMs + r.e2e.cpuSystemMs) * 1000) / r.e2e.events).toFixed(1)} µs per event` +
        (r.brokerCores === undefined ? '' : `; the broker ${r.brokerCores.toFixed(2)} cores meanwhile`),
    );
    add('… inserts', `${r.e2e.inserts}`, `${r.e2e.insertSeconds.toFixed(1)} s inside INSERTs (summed over partitions); event-loop delay p99 ${r.e2e.eventLoopDelayP99Ms.toFixed(0)} ms`);
  }
  if (r.e2e && r.peer) {
    const w = r.e2e.stored;
    const p = r.peer;
    add('worker, rows stored per second after its first insert', `${k(w.perSecond)} events/s`, `${k(w.overallPerSecond)} events/s from start, group join included`);
    add(
      `peer: ClickHouse Kafka engine (${p.consumers} consumers, ${p.blockRows.toLocaleString('en')}-row blocks)`,
      `${k(p.perSecond)} events/s`,
      `same measure, same topic, same run; ${k(p.overallPerSecond)} events/s from start; peak RSS ${mib(p.peakRssBytes)}; ` +
        `${(((p.cpuUserMs + p.cpuSystemMs) * 1000) / p.events).toFixed(1)} µs CPU per event`,
    );
    add('**worker / peer**', `**${(w.perSecond / p.perSecond).toFixed(2)}×**`, `from start: ${(w.overallPerSecond / p.overallPerSecond).toFixed(2)}×; target ≥ 1.0×`);
  }
  if (r.freshness) {
    const f = r.freshness;
    add(`freshness at ${FRESH_RATE.toLocaleString('en')} events/s`, `p99 ${quantile(f, 0.99)} ms`, `p50 ${quantile(f, 0.5)} ms, max ${f.at(-1)} ms over ${f.length.toLocaleString('en')} events (${FRESH_SECONDS} s); produce call → visible to a query polled every 25 ms`);
  }
  if (r.malformed) {
    const m = r.malformed;
    const rate = (which: 'clean' | 'mixed') => median(m.rounds.map((x) => x[which].goodPerSecond));
    const each = (which: 'clean' | 'mixed') => m.rounds.map((x) => k(x[which].goodPerSecond)).join(', ');
    // CPU of the worker process per good event stored: less shaken than wall time by a busy machine.
    const cpuPerGood = (which: 'clean' | 'mixed') => median(m.rounds.map((x) => ((x[which].cpuUserMs + x[which].cpuSystemMs) * 1000) / x[which].events));
    add('malformed input: clean stream (baseline)', `${k(rate('clean'))} good events/s`, `${m.stream.good.toLocaleString('en')} good events; worker drain, first message to last row; median of ${m.rounds.length}: ${each('clean')}`);
    add(
      `malformed input: mixed stream, ${pct(m.stream.bad / (m.stream.good + m.stream.bad))} bad`,
      `${k(rate('mixed'))} good events/s`,
      `the same good events + ${m.stream.bad.toLocaleString('en')} bad (${mib(m.stream.badBytes)}), until every bad one is dead-lettered too; median of ${m.rounds.length}: ${each('mixed')}`,
    );
    add('**… mixed / clean**', `**${pct(rate('mixed') / rate('clean'))}**`, `target ≥ 80 %; per round ${m.rounds.map((x) => pct(x.mixed.goodPerSecond / x.clean.goodPerSecond)).join(', ')}`);
    add(
      '… worker CPU per good event',
      `${cpuPerGood('clean').toFixed(1)} / ${cpuPerGood('mixed').toFixed(1)} µs`,
      `clean / mixed (median): the clean stream's cost is ${pct(cpuPerGood('clean') / cpuPerGood('mixed'))} of the mixed one's`,
    );
    const mainThreadPerGood = (which: 'clean' | 'mixed') => median(m.rounds.map((x) => ((x[which].mainThreadCpuMs ?? NaN) * 1000) / x[which].events));
    if (!Number.isNaN(mainThreadPerGood('clean'))) {
      add(
        '… of it the main thread',
        `${mainThreadPerGood('clean').toFixed(1)} / ${mainThreadPerGood('mixed').toFixed(1)} µs`,
        `clean / mixed (median): JavaScript (kafkajs fetch and dead-letter produce, the transforms), without the engine's threads; ${(((mainThreadPerGood('mixed') - mainThreadPerGood('clean')) * m.stream.good) / m.stream.bad).toFixed(0)} µs more per bad message`,
      );
    }
    if (m.brokerCpu.length > 0) {
      const brokerOf = (which: 'clean' | 'mixed') => median(m.brokerCpu.map((b) => b[which]));
      add(
        '… the local broker\'s CPU per drain',
        `${brokerOf('clean').toFixed(2)} / ${brokerOf('mixed').toFixed(2)} s`,
        `clean / mixed (median; each drain's worker process, its start and stop included, is apart): serving the fetches, storing the dead letters; per round ${m.brokerCpu.map((b) => `${b.clean.toFixed(2)} / ${b.mixed.toFixed(2)}`).join(', ')}`,
      );
    }
    add(
      '… checked, every round',
      'exact',
      `stored ${m.stream.good.toLocaleString('en')} once (rows = distinct offsets = distinct eventIds); dead-letter topic by reason: ${Object.entries(sortedTally(m.stream.badByReason)).map(([reason, n]) => `${reason} ${n}`).join(', ')}`,
    );
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

try {
  await main();
} finally {
  for (const c of cleanups.reverse()) await c();
}
