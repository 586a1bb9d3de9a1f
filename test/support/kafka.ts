// Helpers for tests that talk to the Kafka (and ClickHouse) of the test stack (test/support/stack.ts).
// Test files run in parallel against one broker, so every topic, group and database is unique to its test.
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { inject } from 'vitest';
import { createKafka, ensureTopics } from '../../lib/kafka/client.js';
import { createLogger } from '../../lib/log.js';

/**
 * A name no other test uses, valid as a Kafka topic or group and as a ClickHouse identifier
 * (letters, digits and underscores, starting with a letter, at most 63 characters).
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.replace(/[^A-Za-z0-9_]/g, '_').replace(/^[^A-Za-z]+/, '');
  const suffix = `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  return `${(clean || 't').slice(0, 63 - suffix.length - 1)}_${suffix}`;
}

/** The stack's brokers as the tests were given them. */
export function testBrokers(): string[] {
  return inject('kafkaBrokers');
}

/** A kafkajs client of the test stack; kafkajs logs only errors (LOG_LEVEL=debug shows more). */
export function testKafka(clientId = uniqueName('test')): Kafka {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'error', 'test', 2);
  return createKafka({ brokers: testBrokers(), clientId }, logger);
}

/** Creates a fresh topic (named from `prefix`) and resolves once its partitions are served. */
export async function createTopic(kafka: Kafka, opts: { prefix?: string; numPartitions?: number } = {}): Promise<string> {
  const topic = uniqueName(opts.prefix ?? 'topic');
  await ensureTopics(kafka, [{ topic, numPartitions: opts.numPartitions ?? 1 }]);
  return topic;
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What was awaited, for the timeout error. */
  message?: string;
}

/**
 * Polls `fn` until it returns something other than undefined, null or false, and returns that.
 * A throwing `fn` counts as "not yet"; its last error is reported if time runs out. Tests use this
 * instead of sleeping, so they take as long as the system needs and no longer.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitForOptions = {}): Promise<Exclude<T, undefined | null | false>> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = opts.message ?? 'condition';
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms${cause}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
