// The pure parts of the local broker and the kafkajs client: the generated broker configuration, the
// cluster ids, and where kafkajs logs end up. The broker itself is exercised by
// test/integration/kafka-broker.test.ts.
import { describe, expect, it } from 'vitest';
import { logLevel } from 'kafkajs';
import { randomClusterId, renderServerProperties } from '../../lib/kafka/local-broker.js';
import { kafkajsLevelFor, pinoLevelOf } from '../../lib/kafka/client.js';
import { createLogger } from '../../lib/log.js';
import { uniqueName } from '../support/kafka.js';

function parse(text: string): Map<string, string> {
  const entries = text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const eq = l.indexOf('=');
      return [l.slice(0, eq), l.slice(eq + 1)] as const;
    });
  const map = new Map(entries);
  expect(map.size, 'no key is written twice').toBe(entries.length);
  return map;
}

describe('renderServerProperties', () => {
  const props = parse(renderServerProperties({ port: 29092, controllerPort: 29093, storageDir: '/tmp/x/kraft' }));

  it('is one KRaft node that is its own controller, reachable on loopback only', () => {
    expect(props.get('process.roles')).toBe('broker,controller');
    expect(props.get('controller.quorum.voters')).toBe(`${props.get('node.id')}@127.0.0.1:29093`);
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093');
    expect(props.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:29092');
    for (const listener of props.get('listeners')!.split(',')) expect(listener).toMatch(/^[A-Z]+:\/\/127\.0\.0\.1:\d+$/);
    expect(props.get('controller.listener.names')).toBe('CONTROLLER');
    expect(props.get('log.dirs')).toBe('/tmp/x/kraft');
  });

  it('lets a single broker host the internal topics and start groups without delay', () => {
    expect(props.get('offsets.topic.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.min.isr')).toBe('1');
    expect(props.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(props.get('auto.create.topics.enable')).toBe('false');
  });

  it('uses the given default partition count', () => {
    const p = parse(renderServerProperties({ port: 1, controllerPort: 2, storageDir: '/d', numPartitions: 6 }));
    expect(p.get('num.partitions')).toBe('6');
  });
});

describe('randomClusterId', () => {
  it('is a 16-byte base64url id that cannot be mistaken for a command-line flag', () => {
    const ids = Array.from({ length: 500 }, randomClusterId);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('kafkajs logging', () => {
  it('enables kafkajs levels one pino level lower than their names', () => {
    expect(kafkajsLevelFor(createLogger('silent', 't'))).toBe(logLevel.NOTHING);
    expect(kafkajsLevelFor(createLogger('error', 't'))).toBe(logLevel.ERROR);
    expect(kafkajsLevelFor(createLogger('info', 't'))).toBe(logLevel.WARN);
    expect(kafkajsLevelFor(createLogger('debug', 't'))).toBe(logLevel.INFO);
    expect(kafkajsLevelFor(createLogger('trace', 't'))).toBe(logLevel.DEBUG);
  });

  it('keeps protocol error responses that kafkajs handles itself out of the error log', () => {
    const entry = (namespace: string, level: logLevel, message: string) => ({ namespace, level, log: { message, timestamp: '' } });
    expect(pinoLevelOf(entry('Connection', logLevel.ERROR, 'Response GroupCoordinator(key: 10, version: 2)'))).toBe('debug');
    expect(pinoLevelOf(entry('Connection', logLevel.ERROR, 'Connection error: ECONNREFUSED'))).toBe('error');
    expect(pinoLevelOf(entry('Consumer', logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded'))).toBe('error');
    expect(pinoLevelOf(entry('Consumer', logLevel.WARN, 'x'))).toBe('warn');
    expect(pinoLevelOf(entry('Consumer', logLevel.INFO, 'x'))).toBe('info');
    expect(pinoLevelOf(entry('Consumer', logLevel.DEBUG, 'x'))).toBe('debug');
  });
});

describe('uniqueName', () => {
  it('is valid as a topic, a group and a ClickHouse identifier, and never repeats', () => {
    const names = Array.from({ length: 200 }, () => uniqueName('9 my-test.topic'));
    for (const name of names) {
      expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/);
      expect(name.startsWith('my_test_topic_')).toBe(true);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(uniqueName('x'.repeat(100)).length).toBeLessThanOrEqual(63);
  });
});
