// The test stack provider (vitest globalSetup of the integration tests): one Kafka and one ClickHouse
// for the whole run, handed to the tests with `inject('kafkaBrokers')` / `inject('clickhouseUrl')`.
//
// Where they come from, first match wins, separately for each:
//   1. KAFKA_BROKERS / CLICKHOUSE_URL from the environment (CI services, a developer's own cluster);
//   2. containers, when a Docker engine answers within a second (apache/kafka, clickhouse-server);
//   3. errpulse's own local broker (lib/kafka/local-broker.ts) on free ports in a temp folder, and
//      embedded ClickHouse (chdb), whose tests create their own data folders: clickhouseUrl is undefined.
// ERRPULSE_TEST_STACK=local skips the Docker probe; =docker makes a missing engine an error.
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { fetchJars, waitUntilReady, randomClusterId, startLocalBroker, stopLocalBroker } from '../../lib/kafka/local-broker.js';
import { loadConfig } from '../../lib/config.js';
import { freePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    /** undefined: tests use embedded ClickHouse (chdb) in a folder of their own. */
    clickhouseUrl: string | undefined;
  }
}

const KAFKA_IMAGE = 'apache/kafka:4.1.1';
const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:25.8';

type Stop = () => Promise<void>;

interface Provided<T> {
  value: T;
  source: string;
  stop?: Stop;
}

export default async function setup(project: TestProject): Promise<Stop> {
  const stops: Stop[] = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('test stack: teardown failed:', err));
  };
  try {
    const mode = process.env.ERRPULSE_TEST_STACK ?? 'auto';
    const envBrokers = nonEmpty(process.env.KAFKA_BROKERS);
    const envClickhouse = nonEmpty(process.env.CLICKHOUSE_URL);
    const needDocker = mode !== 'local' && (envBrokers === undefined || envClickhouse === undefined);
    const docker = needDocker ? await dockerEndpoint() : undefined;
    if (mode === 'docker' && docker === undefined) throw new Error('ERRPULSE_TEST_STACK=docker but no Docker engine answers');

    const [kafkaResult, clickhouseResult] = await Promise.allSettled([
      envBrokers !== undefined
        ? Promise.resolve<Provided<string[]>>({ value: envBrokers.split(','), source: 'KAFKA_BROKERS' })
        : docker !== undefined
          ? kafkaContainer(docker)
          : localBroker(),
      envClickhouse !== undefined
        ? Promise.resolve<Provided<string | undefined>>({ value: envClickhouse, source: 'CLICKHOUSE_URL' })
        : docker !== undefined
          ? clickhouseContainer(docker)
          : Promise.resolve<Provided<string | undefined>>({ value: undefined, source: 'embedded chdb' }),
    ]);
    // Whichever started is stopped by teardown, even when the other failed.
    for (const r of [kafkaResult, clickhouseResult]) if (r.status === 'fulfilled' && r.value.stop) stops.push(r.value.stop);
    if (kafkaResult.status === 'rejected') throw kafkaResult.reason;
    if (clickhouseResult.status === 'rejected') throw clickhouseResult.reason;
    const [kafka, clickhouse] = [kafkaResult.value, clickhouseResult.value];
    // Also for brokers from the environment: a fresh CI service has not created __consumer_offsets yet.
    await waitUntilReady(kafka.value, { timeoutMs: 60_000 });

    project.provide('kafkaBrokers', kafka.value);
    project.provide('clickhouseUrl', clickhouse.value);
    console.log(
      `test stack: Kafka ${kafka.value.join(',')} (${kafka.source}); ClickHouse ${clickhouse.value ? redact(clickhouse.value) : 'embedded'} (${clickhouse.source})`,
    );
    return teardown;
  } catch (err) {
    await teardown();
    throw err;
  }
}

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
const redact = (url: string) => url.replace(/\/\/[^@/]*@/, '//');

// ---------------------------------------------------------------------------------------------
// Local broker

async function localBroker(): Promise<Provided<string[]>> {
  const fetched = await fetchJars();
  // On a failed start the folder is kept: the error names the broker log inside it.
  const dataDir = await mkdtemp(join(tmpdir(), 'errpulse-test-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const info = await startLocalBroker({ port, controllerPort, dataDir, startTimeoutMs: 90_000, javaHome: loadConfig().kafka.javaHome });
  const fetchNote = fetched.fetched ? `, jars fetched in ${(fetched.ms / 1000).toFixed(1)} s` : '';
  return {
    value: info.brokers,
    source: `local broker, started in ${(info.startMs / 1000).toFixed(1)} s${fetchNote}`,
    stop: async () => {
      await stopLocalBroker({ dataDir });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Docker

interface DockerEndpoint {
  socketPath?: string;
  host?: string;
  port?: number;
}

/**
 * The Docker engine that answers `/_ping` within a second, if any. Asked before testcontainers is
 * loaded because its own detection tries every strategy in turn and can take long to give up.
 */
async function dockerEndpoint(): Promise<DockerEndpoint | undefined> {
  const candidates: DockerEndpoint[] = [];
  const dockerHost = nonEmpty(process.env.DOCKER_HOST);
  if (dockerHost?.startsWith('unix://')) candidates.push({ socketPath: dockerHost.slice('unix://'.length) });
  else if (dockerHost?.startsWith('tcp://')) {
    const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
    // With TLS the ping would need the client certificates; let testcontainers find out.
    if (process.env.DOCKER_TLS_VERIFY) return { host: url.hostname, port: Number(url.port || 2376) };
    candidates.push({ host: url.hostname, port: Number(url.port || 2375) });
  } else {
    candidates.push({ socketPath: '/var/run/docker.sock' }, { socketPath: join(homedir(), '.docker', 'run', 'docker.sock') });
    if (process.env.XDG_RUNTIME_DIR) {
      candidates.push({ socketPath: join(process.env.XDG_RUNTIME_DIR, 'docker.sock') }, { socketPath: join(process.env.XDG_RUNTIME_DIR, 'podman', 'podman.sock') });
    }
  }
  for (const candidate of candidates) if (await pings(candidate)) return candidate;
  return undefined;
}

function pings(endpoint: DockerEndpoint): Promise<boolean> {
  return new Promise((ok) => {
    const req = request({ ...endpoint, path: '/_ping', method: 'GET', timeout: 1_000 }, (res) => {
      res.resume();
      ok(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => ok(false));
    req.end();
  });
}

/** testcontainers reads DOCKER_HOST; point it at the engine that answered. */
function useEndpoint(endpoint: DockerEndpoint): void {
  if (endpoint.socketPath && !process.env.DOCKER_HOST) process.env.DOCKER_HOST = `unix://${endpoint.socketPath}`;
}

/**
 * apache/kafka in KRaft mode. Clients outside Docker must be told the mapped port in the advertised
 * listener, which is known only once the container runs, so the container waits for a start script
 * that is copied in after it started; the broker itself talks to itself on an internal listener.
 */
async function kafkaContainer(endpoint: DockerEndpoint): Promise<Provided<string[]>> {
  useEndpoint(endpoint);
  const { GenericContainer, Wait } = await import('testcontainers');
  const startScript = '/tmp/errpulse-start.sh';
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts(9092)
    .withEnvironment({
      CLUSTER_ID: randomClusterId(),
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9094',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '10',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_HEAP_OPTS: '-Xmx512m -Xms128m',
    })
    .withEntrypoint(['sh'])
    .withCommand(['-c', `echo waiting-for-start-script; while [ ! -x ${startScript} ]; do sleep 0.1; done; exec ${startScript}`])
    .withWaitStrategy(Wait.forLogMessage('waiting-for-start-script'))
    .start();
  const stop = async () => {
    await container.stop();
  };
  try {
    const port = container.getMappedPort(9092);
    const host = container.getHost();
    await container.copyContentToContainer([
      {
        content: `#!/bin/sh\nexport KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://${host}:${port},BROKER://localhost:9093\nexec /etc/kafka/docker/run\n`,
        target: startScript,
        mode: 0o755,
      },
    ]);
    await waitUntilReady([`${host}:${port}`], { timeoutMs: 120_000 });
    return { value: [`${host}:${port}`], source: `container ${KAFKA_IMAGE}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function clickhouseContainer(endpoint: DockerEndpoint): Promise<Provided<string | undefined>> {
  useEndpoint(endpoint);
  const { ClickHouseContainer } = await import('@testcontainers/clickhouse');
  const container = await new ClickHouseContainer(CLICKHOUSE_IMAGE).start();
  const url = new URL(container.getHttpUrl());
  url.username = container.getUsername();
  url.password = container.getPassword();
  return {
    // No database in the URL: every test creates its own (test/support/kafka.ts uniqueName).
    value: url.toString().replace(/\/$/, ''),
    source: `container ${CLICKHOUSE_IMAGE}`,
    stop: async () => {
      await container.stop();
    },
  };
}
