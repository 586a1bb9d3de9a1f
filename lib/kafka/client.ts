// The one way errpulse makes a kafkajs client, and the one way it makes sure its topics exist.
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type logCreator, type Admin } from 'kafkajs';
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';

export type KafkaClientConfig = Pick<Config['kafka'], 'brokers' | 'clientId'>;

/**
 * A kafkajs client whose logs go to `logger` (by default a pino logger at warn on stderr).
 * `overrides` are passed to kafkajs as they are, e.g. a shorter `retry` in tests.
 */
export function createKafka(config: KafkaClientConfig, logger?: Logger, overrides: Partial<KafkaConfig> = {}): Kafka {
  const log = (logger ?? createLogger('warn', 'errpulse', 2)).child({ component: 'kafkajs' });
  return new Kafka({
    brokers: config.brokers,
    clientId: config.clientId,
    logLevel: kafkajsLevelFor(log),
    logCreator: pinoLogCreator(log),
    ...overrides,
  });
}

/**
 * kafkajs' own levels are one step chattier than their names suggest: its INFO reports every group
 * join with the full assignment and its DEBUG every request, so each is enabled one pino level lower.
 */
export function kafkajsLevelFor(logger: Pick<Logger, 'isLevelEnabled' | 'level'>): logLevel {
  if (logger.level === 'silent') return logLevel.NOTHING;
  if (logger.isLevelEnabled('trace')) return logLevel.DEBUG;
  if (logger.isLevelEnabled('debug')) return logLevel.INFO;
  if (logger.isLevelEnabled('warn')) return logLevel.WARN;
  return logLevel.ERROR;
}

type PinoLevel = 'error' | 'warn' | 'info' | 'debug';

/** Where a kafkajs log entry goes in pino. */
export function pinoLevelOf(entry: Pick<LogEntry, 'namespace' | 'level' | 'log'>): PinoLevel | undefined {
  // kafkajs logs every error response of the protocol at ERROR, including the retriable ones it
  // handles itself (a coordinator still loading, a leader moving) and TOPIC_ALREADY_EXISTS. Whatever
  // is not handled reaches the caller as a thrown error, which the caller logs once.
  if (entry.level === logLevel.ERROR && entry.namespace === 'Connection' && String(entry.log.message).startsWith('Response ')) return 'debug';
  switch (entry.level) {
    case logLevel.ERROR:
      return 'error';
    case logLevel.WARN:
      return 'warn';
    case logLevel.INFO:
      return 'info';
    case logLevel.DEBUG:
      return 'debug';
    default:
      return undefined;
  }
}

function pinoLogCreator(logger: Logger): logCreator {
  return () => (entry) => {
    const level = pinoLevelOf(entry);
    if (level === undefined || !logger.isLevelEnabled(level)) return;
    const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry.log;
    logger[level]({ ns: entry.namespace, ...extra }, String(message));
  };
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
}

/**
 * Creates the topics that do not exist yet and waits until every partition of every listed topic is
 * served by its leader. Existing topics are never altered, even when their partition count differs
 * from the spec: repartitioning moves keys between partitions and is an operator's decision.
 *
 * Topics are always created explicitly: a topic auto-created by a produce request answers "This
 * server does not host this topic-partition" until its leader is ready, and gets broker defaults.
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: TopicSpec[],
  opts: { timeoutMs?: number; logger?: Logger } = {},
): Promise<EnsureTopicsResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existingNow = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existingNow.has(s.topic));
    if (missing.length > 0) {
      // Returns false when some topic was created by another client meanwhile; waiting below covers both.
      await admin.createTopics({
        topics: missing.map((s) => ({ topic: s.topic, numPartitions: s.numPartitions })),
        waitForLeaders: true,
        timeout: timeoutMs,
      });
    }
    await waitUntilServed(admin, specs, timeoutMs, opts.logger);
    const created = new Set(missing.map((s) => s.topic));
    return {
      created: [...created],
      existing: specs.map((s) => s.topic).filter((t) => !created.has(t)),
    };
  } finally {
    await admin.disconnect();
  }
}

/**
 * Metadata can list a new topic before its leader serves it; a ListOffsets request goes to each
 * partition's leader, so its success is the moment producers and consumers will succeed too.
 */
async function waitUntilServed(admin: Admin, specs: TopicSpec[], timeoutMs: number, logger?: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Map(specs.map((s) => [s.topic, s]));
  let lastError: unknown;
  while (pending.size > 0) {
    for (const [topic, spec] of pending) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        if (offsets.length !== spec.numPartitions) {
          logger?.warn(
            { topic, partitions: offsets.length, wanted: spec.numPartitions },
            'topic exists with a different partition count; leaving it as it is',
          );
        }
        pending.delete(topic);
      } catch (err) {
        lastError = err;
      }
    }
    if (pending.size === 0) return;
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`Kafka topics not ready after ${timeoutMs} ms: ${[...pending.keys()].join(', ')}${reason}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
