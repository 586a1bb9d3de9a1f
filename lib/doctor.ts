// `errpulse doctor`: checks what the current configuration needs, one line per check. Each check
// names what is missing and how to get it, because this is what a new user runs when start fails.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { connectClickHouse, EmbeddedEngineLockedError } from './clickhouse/client.js';
import type { Config } from './config.js';
import { brokerAnswers, jarsCached, javaCommand, localBrokerStatus } from './kafka/local-broker.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
}

const MIN_NODE_MAJOR = 20;

function run(cmd: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((done) =>
    execFile(cmd, args, { timeout: 10_000 }, (err, stdout, stderr) => done({ ok: !err, output: `${stdout}${stderr}`.trim() })),
  );
}

function checkNode(): CheckResult {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= MIN_NODE_MAJOR
    ? { name: 'node', status: 'ok', detail: `Node.js ${process.versions.node}` }
    : { name: 'node', status: 'fail', detail: `Node.js ${process.versions.node}; errpulse needs ${MIN_NODE_MAJOR} or newer` };
}

async function checkJava(javaHome: string | undefined): Promise<CheckResult> {
  // The same java the broker will run with.
  const java = await run(javaCommand(javaHome), ['-version']);
  if (!java.ok) return { name: 'java', status: 'fail', detail: `${javaCommand(javaHome)} not found${javaHome ? ' (JAVA_HOME)' : ' on PATH'}; the local Kafka broker needs Java 17 or newer (or set KAFKA_BROKERS)` };
  const version = /version "([^"]+)"/.exec(java.output)?.[1] ?? java.output.split('\n')[0] ?? '';
  const major = Number(version.startsWith('1.') ? version.split('.')[1] : version.split('.')[0]);
  return major >= 17
    ? { name: 'java', status: 'ok', detail: `Java ${version}` }
    : { name: 'java', status: 'fail', detail: `Java ${version}; the local Kafka broker needs Java 17 or newer` };
}

async function checkKafkaJars(): Promise<CheckResult> {
  if (jarsCached()) return { name: 'kafka jars', status: 'ok', detail: 'cached in .cache/kafka (no network needed to start the broker)' };
  const mvn = await run('mvn', ['-v']);
  return mvn.ok
    ? { name: 'kafka jars', status: 'warn', detail: 'not cached yet; `errpulse kafka start` fetches them once with Maven' }
    : { name: 'kafka jars', status: 'fail', detail: 'not cached and mvn not found on PATH; install Maven or set KAFKA_BROKERS' };
}

async function checkBroker(cfg: Config['kafka']): Promise<CheckResult> {
  if (await brokerAnswers(cfg.brokers, 3_000)) return { name: 'kafka broker', status: 'ok', detail: `${cfg.brokers.join(', ')} answers` };
  if (!cfg.localBroker) return { name: 'kafka broker', status: 'fail', detail: `${cfg.brokers.join(', ')} (KAFKA_BROKERS) does not answer` };
  const status = await localBrokerStatus();
  const hint =
    status.running && status.port === cfg.localPort
      ? `the local broker (pid ${status.pid}) is running but not answering yet; see ${status.logFile}`
      : status.running
        ? `the local broker runs on port ${status.port}, not KAFKA_LOCAL_PORT=${cfg.localPort}`
        : 'the local broker is not running; start it with `errpulse kafka start` (npm start does this too)';
  return { name: 'kafka broker', status: 'fail', detail: `${cfg.brokers[0]} does not answer: ${hint}` };
}

async function checkClickHouse(cfg: Config['clickhouse']): Promise<CheckResult> {
  const where = cfg.url ? `server ${cfg.url.replace(/\/\/[^@/]*@/, '//')}` : `embedded engine in ${resolve(cfg.dataDir)}`;
  if (!cfg.url && !existsSync(resolve(cfg.dataDir))) {
    // Do not create the data folder as a side effect of a check; loading the engine is the real test.
    try {
      await import('chdb');
      return { name: 'clickhouse', status: 'ok', detail: `embedded engine loads; data folder ${cfg.dataDir} will be created on first start` };
    } catch (err) {
      return { name: 'clickhouse', status: 'fail', detail: `embedded engine (npm package chdb) does not load: ${(err as Error).message}` };
    }
  }
  let ch;
  try {
    ch = await connectClickHouse(cfg, { queryTimeoutS: 5 });
    const ping = await ch.client.ping();
    if (!ping.success) return { name: 'clickhouse', status: 'fail', detail: `${where} does not answer: ${ping.error.message}` };
    const rows = await ch.client
      .query({ query: 'SELECT version() AS v, (SELECT count() FROM system.tables WHERE database = currentDatabase()) AS tables', format: 'JSONEachRow' })
      .then((r) => r.json<{ v: string; tables: number }>());
    const { v, tables } = rows[0] ?? { v: '?', tables: 0 };
    const schema = tables > 0 ? `${tables} tables in ${cfg.database}` : `database ${cfg.database} has no tables yet (run errpulse migrate)`;
    return { name: 'clickhouse', status: 'ok', detail: `${where}, ClickHouse ${v}, ${schema}` };
  } catch (err) {
    if (err instanceof EmbeddedEngineLockedError) {
      return { name: 'clickhouse', status: 'warn', detail: `${where} is in use by another process (fine if that is errpulse start; other processes need CLICKHOUSE_URL)` };
    }
    return { name: 'clickhouse', status: 'fail', detail: `${where}: ${(err as Error).message}` };
  } finally {
    await ch?.close();
  }
}

/** Every check the configuration calls for, in the order a user would fix them. */
export async function runDoctor(config: Config): Promise<CheckResult[]> {
  const results: CheckResult[] = [checkNode()];
  if (config.kafka.localBroker) results.push(await checkJava(config.kafka.javaHome), await checkKafkaJars());
  results.push(await checkBroker(config.kafka));
  results.push(await checkClickHouse(config.clickhouse));
  return results;
}
