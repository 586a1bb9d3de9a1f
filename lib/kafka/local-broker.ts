// errpulse's own single-node Kafka for development and tests: Kafka's jars fetched once with Maven,
// run as a detached `java kafka.Kafka` in KRaft mode. No Docker needed (see
// docs/decisions/0002-local-kafka-broker.md). Every broker lives in one data folder holding its
// server.properties, KRaft storage, pid file and (by default) log, so any number can coexist as long
// as their folders and ports differ.
import { spawn, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, openSync, closeSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile, mkdtemp, open } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { PROJECT_ROOT } from '../paths.js';

export const POM_FILE = join(PROJECT_ROOT, 'infra', 'kafka', 'pom.xml');
export const LOG4J2_CONFIG = join(PROJECT_ROOT, 'infra', 'kafka', 'log4j2.properties');
export const DEFAULT_CACHE_DIR = join(PROJECT_ROOT, '.cache', 'kafka');
export const DEFAULT_DATA_DIR = join(PROJECT_ROOT, '.data', 'kafka');
export const DEFAULT_HEAP = '512m';

const PID_FILE = 'broker.pid';
// What `status` and a second `start` report about the running broker: its port and log file.
const STATE_FILE = 'broker.json';
const PROPERTIES_FILE = 'server.properties';
const STORAGE_DIR = 'kraft';
const COMPLETE_MARKER = '.complete';

export class LocalBrokerError extends Error {
  override name = 'LocalBrokerError';
}

// ---------------------------------------------------------------------------------------------
// Jars

export const libsDir = (cacheDir = DEFAULT_CACHE_DIR): string => join(cacheDir, 'libs');

/** The pom's hash: a cache fetched for another pom (another Kafka version) is not complete. */
function pomDigest(): string {
  return createHash('sha256').update(readFileSync(POM_FILE)).digest('hex');
}

/** True when the jars for the current pom are all in the cache, so starting a broker needs no network. */
export function jarsCached(cacheDir = DEFAULT_CACHE_DIR): boolean {
  try {
    return readFileSync(join(libsDir(cacheDir), COMPLETE_MARKER), 'utf8').trim() === pomDigest();
  } catch {
    return false;
  }
}

export interface FetchResult {
  libsDir: string;
  /** False when the cache was already complete and nothing was run. */
  fetched: boolean;
  ms: number;
}

/**
 * Copies Kafka's jars into `<cacheDir>/libs` with Maven. Maven fetches into a fresh folder that is
 * renamed into place only once complete, so an interrupted fetch never looks like a usable cache
 * and two concurrent fetches (a test run and a CLI call) cannot mix their files.
 */
export async function fetchJars(cacheDir = DEFAULT_CACHE_DIR): Promise<FetchResult> {
  const started = Date.now();
  const target = libsDir(cacheDir);
  if (jarsCached(cacheDir)) return { libsDir: target, fetched: false, ms: 0 };

  await mkdir(cacheDir, { recursive: true });
  const staging = await mkdtemp(join(cacheDir, 'libs.fetching-'));
  try {
    await run('mvn', ['-q', '-B', '-f', POM_FILE, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`], {
      missing: 'Maven (mvn) is needed once to fetch the Kafka jars; install it (Debian/Ubuntu: apt-get install maven)',
      failed: 'Maven could not fetch the Kafka jars',
    });
    await writeFile(join(staging, COMPLETE_MARKER), `${pomDigest()}\n`);
    if (jarsCached(cacheDir)) return { libsDir: target, fetched: true, ms: Date.now() - started };
    await rm(target, { recursive: true, force: true });
    try {
      await rename(staging, target);
    } catch (err) {
      // Another process renamed its complete copy into place between our rm and rename.
      if (!jarsCached(cacheDir)) throw err;
    }
    return { libsDir: target, fetched: true, ms: Date.now() - started };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], messages: { missing: string; failed: string }): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolvePromise(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new LocalBrokerError(messages.missing));
      const output = `${stdout}${stderr}`.trim().split('\n').slice(-30).join('\n');
      reject(new LocalBrokerError(`${messages.failed} (${cmd} exited with ${String(err.code)}):\n${output}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Configuration

export interface BrokerProperties {
  port: number;
  controllerPort: number;
  storageDir: string;
  /** Default partitions of topics created without a count. */
  numPartitions?: number;
}

/** server.properties of a one-node KRaft cluster that is its own controller, reachable on 127.0.0.1 only. */
export function renderServerProperties(p: BrokerProperties): string {
  const props: [string, string | number][] = [
    ['process.roles', 'broker,controller'],
    ['node.id', 1],
    // A static voter set: the quorum never changes, and it keeps working if the ports change between runs.
    ['controller.quorum.voters', `1@127.0.0.1:${p.controllerPort}`],
    ['listeners', `PLAINTEXT://127.0.0.1:${p.port},CONTROLLER://127.0.0.1:${p.controllerPort}`],
    ['advertised.listeners', `PLAINTEXT://127.0.0.1:${p.port}`],
    ['controller.listener.names', 'CONTROLLER'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['listener.security.protocol.map', 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT'],
    ['log.dirs', p.storageDir],
    ['num.partitions', p.numPartitions ?? 1],
    // Internal topics default to replication factor 3, which one node can never satisfy.
    ['offsets.topic.replication.factor', 1],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    ['share.coordinator.state.topic.replication.factor', 1],
    ['share.coordinator.state.topic.min.isr', 1],
    // __consumer_offsets is created on the first group join; 50 partitions make that first join slow
    // on a laptop for no benefit to a single developer.
    ['offsets.topic.num.partitions', 10],
    // Tests and the demo join a group and expect to start consuming at once.
    ['group.initial.rebalance.delay.ms', 0],
    // errpulse creates its topics explicitly; an auto-created topic would hide a missing ensureTopics
    // and answer "This server does not host this topic-partition" for its first requests.
    ['auto.create.topics.enable', 'false'],
    // Two cores host several brokers, ClickHouse and the tests: keep the thread pools small.
    ['num.network.threads', 2],
    ['num.io.threads', 2],
    ['background.threads', 2],
    ['num.recovery.threads.per.data.dir', 1],
    ['log.cleaner.threads', 1],
  ];
  return `# Written by errpulse (lib/kafka/local-broker.ts) on every start; edits are overwritten.\n${props
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** A Kafka cluster id: 16 random bytes, base64url without padding, like `kafka-storage random-uuid`. */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka's own generator avoids a leading '-' so the id cannot be mistaken for a CLI flag.
    if (!id.startsWith('-')) return id;
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

export interface StartOptions {
  port: number;
  /** Default: port + 1. */
  controllerPort?: number;
  dataDir?: string;
  /** Default: <dataDir>/broker.log. */
  logFile?: string;
  cacheDir?: string;
  heap?: string;
  startTimeoutMs?: number;
  /** config.kafka.javaHome; undefined: `java` on PATH. */
  javaHome?: string | undefined;
}

export interface BrokerInfo {
  pid: number;
  port: number;
  brokers: string[];
  dataDir: string;
  logFile: string;
  /** True when a broker of this data folder was already running and nothing was started. */
  alreadyRunning: boolean;
  /** Time from spawning the JVM until the broker answered (0 when already running). */
  startMs: number;
}

const paths = (dataDir: string, logFile?: string) => ({
  dataDir,
  pidFile: join(dataDir, PID_FILE),
  stateFile: join(dataDir, STATE_FILE),
  propertiesFile: join(dataDir, PROPERTIES_FILE),
  storageDir: join(dataDir, STORAGE_DIR),
  logFile: logFile ? resolve(logFile) : join(dataDir, 'broker.log'),
});

/** The java the broker runs with: JAVA_HOME's (config.kafka.javaHome) when set, else the one on PATH. */
export function javaCommand(javaHome: string | undefined): string {
  return javaHome ? join(javaHome, 'bin', 'java') : 'java';
}

/**
 * Starts the broker of `dataDir` in the background and resolves once it answers a metadata request.
 * Does nothing (but still waits until it answers) when that broker is already running.
 */
export async function startLocalBroker(opts: StartOptions): Promise<BrokerInfo> {
  const controllerPort = opts.controllerPort ?? opts.port + 1;
  const dataDir = resolve(opts.dataDir ?? DEFAULT_DATA_DIR);
  const p = paths(dataDir, opts.logFile);
  const timeoutMs = opts.startTimeoutMs ?? 60_000;

  const running = await runningPid(dataDir);
  if (running !== undefined) {
    const state = await readState(p.stateFile);
    const port = state?.port ?? opts.port;
    const logFile = state?.logFile ?? p.logFile;
    await waitUntilReady([`127.0.0.1:${port}`], { timeoutMs, logFile, alive: () => isAlive(running) });
    return { pid: running, port, brokers: [`127.0.0.1:${port}`], dataDir, logFile, alreadyRunning: true, startMs: 0 };
  }

  for (const port of [opts.port, controllerPort]) {
    if (await portAnswers(port)) {
      throw new LocalBrokerError(
        `port ${port} on 127.0.0.1 is already in use by another process (not the broker of ${dataDir}); ` +
          'stop it or choose other ports',
      );
    }
  }

  const { libsDir: libs } = await fetchJars(opts.cacheDir);
  await mkdir(p.storageDir, { recursive: true });
  await mkdir(dirname(p.logFile), { recursive: true });
  await writeFile(p.propertiesFile, renderServerProperties({ port: opts.port, controllerPort, storageDir: p.storageDir }));
  const classpath = `${libs}/*`;

  if (!existsSync(join(p.storageDir, 'meta.properties'))) {
    await run(javaCommand(opts.javaHome), ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', randomClusterId(), '-c', p.propertiesFile], {
      missing: 'Java 17 or newer is needed to run the local Kafka broker; install it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)',
      failed: `Kafka could not format its storage in ${p.storageDir}`,
    });
  }

  const logFd = openSync(p.logFile, 'a');
  const started = Date.now();
  let exited: string | undefined;
  try {
    const child = spawn(
      javaCommand(opts.javaHome),
      [
        `-Xmx${opts.heap ?? DEFAULT_HEAP}`,
        '-Xms128m',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${LOG4J2_CONFIG}`,
        '-cp',
        classpath,
        'kafka.Kafka',
        p.propertiesFile,
      ],
      // Its own process group, so a Ctrl-C in the shell that ran `errpulse kafka start` leaves it running.
      { detached: true, stdio: ['ignore', logFd, logFd], cwd: dataDir },
    );
    await new Promise<void>((ok, fail) => {
      child.once('spawn', ok);
      child.once('error', (err) =>
        fail(
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? new LocalBrokerError('Java 17 or newer is needed to run the local Kafka broker; install it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)')
            : err,
        ),
      );
    });
    child.once('exit', (code, signal) => (exited = signal ?? `exit code ${code}`));
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new LocalBrokerError('java did not start');
    await writeFile(p.pidFile, `${pid}\n`);
    const state: BrokerState = { pid, port: opts.port, controllerPort, logFile: p.logFile };
    await writeFile(p.stateFile, `${JSON.stringify(state, null, 2)}\n`);

    try {
      await waitUntilReady([`127.0.0.1:${opts.port}`], {
        timeoutMs,
        logFile: p.logFile,
        alive: () => exited === undefined,
        howItEnded: () => exited,
      });
    } catch (err) {
      // A broker that never became ready is not left behind half-started.
      await stopLocalBroker({ dataDir });
      throw err;
    }
    return { pid, port: opts.port, brokers: [`127.0.0.1:${opts.port}`], dataDir, logFile: p.logFile, alreadyRunning: false, startMs: Date.now() - started };
  } finally {
    closeSync(logFd);
  }
}

export interface StopResult {
  wasRunning: boolean;
  pid?: number;
  /** True when SIGTERM was not enough and the broker was killed. */
  killed: boolean;
}

/** Stops the broker of `dataDir` by its pid file: SIGTERM (a clean shutdown), then SIGKILL after `timeoutMs`. */
export async function stopLocalBroker(opts: { dataDir?: string; timeoutMs?: number } = {}): Promise<StopResult> {
  const dataDir = resolve(opts.dataDir ?? DEFAULT_DATA_DIR);
  const { pidFile, stateFile } = paths(dataDir);
  const pid = await runningPid(dataDir);
  const forget = () => Promise.all([rm(pidFile, { force: true }), rm(stateFile, { force: true })]);
  if (pid === undefined) {
    await forget();
    return { wasRunning: false, killed: false };
  }
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (isAlive(pid) && Date.now() < deadline) await delay(100);
  let killed = false;
  if (isAlive(pid)) {
    signal(pid, 'SIGKILL');
    killed = true;
    while (isAlive(pid)) await delay(50);
  }
  await forget();
  return { wasRunning: true, pid, killed };
}

export interface BrokerStatus {
  running: boolean;
  /** Running and answering metadata requests. */
  answering: boolean;
  pid?: number;
  port?: number;
  dataDir: string;
  logFile: string;
}

export async function localBrokerStatus(opts: { dataDir?: string } = {}): Promise<BrokerStatus> {
  const dataDir = resolve(opts.dataDir ?? DEFAULT_DATA_DIR);
  const p = paths(dataDir);
  const pid = await runningPid(dataDir);
  const state = await readState(p.stateFile);
  const logFile = state?.logFile ?? p.logFile;
  if (pid === undefined) return { running: false, answering: false, dataDir, logFile };
  const port = state?.port;
  const answering = port !== undefined && (await brokerAnswers([`127.0.0.1:${port}`], 3_000));
  return { running: true, answering, pid, ...(port === undefined ? {} : { port }), dataDir, logFile };
}

interface BrokerState {
  pid: number;
  port: number;
  controllerPort: number;
  logFile: string;
}

async function readState(file: string): Promise<BrokerState | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as BrokerState;
  } catch {
    return undefined;
  }
}

/**
 * The pid in `dataDir`'s pid file if that process is alive and is this folder's broker. The command
 * line is checked because after a reboot or a crash the pid may belong to an unrelated process, which
 * `stop` must never signal.
 */
async function runningPid(dataDir: string): Promise<number | undefined> {
  const { pidFile, propertiesFile } = paths(dataDir);
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  const cmdline = await commandLineOf(pid);
  if (cmdline === undefined) return pid; // no way to check on this system; trust the live pid
  return cmdline.includes('kafka.Kafka') && cmdline.includes(propertiesFile) ? pid : undefined;
}

async function commandLineOf(pid: number): Promise<string | undefined> {
  if (existsSync('/proc/self/cmdline')) {
    try {
      return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
    } catch {
      return '';
    }
  }
  return new Promise((ok) => execFile('ps', ['-p', String(pid), '-o', 'command='], (err, out) => ok(err ? undefined : out)));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Something accepts TCP connections on 127.0.0.1:port. */
function portAnswers(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (answer: boolean) => {
      socket.destroy();
      ok(answer);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

// kafkajs learns the cluster's brokers only from its first metadata refresh, which it does on a
// retry ("No brokers in the broker pool"): a probe with no retries at all could never reach the group
// coordinator. A few quick ones, bounded by the caller's polling.
const probeClient = (brokers: string[], timeoutMs: number) =>
  new Kafka({
    brokers,
    clientId: 'errpulse-broker-probe',
    connectionTimeout: Math.min(timeoutMs, 1_000),
    requestTimeout: timeoutMs,
    retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 500 },
    logLevel: logLevel.NOTHING,
  });

/**
 * The cluster answers a metadata request and lists a broker. A listening port alone is not enough:
 * in KRaft the broker accepts connections before it is unfenced, and clients then get empty metadata.
 */
export async function brokerAnswers(brokers: string[], timeoutMs = 2_000): Promise<boolean> {
  const admin = probeClient(brokers, timeoutMs).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The group coordinator answers an offset fetch. On a new cluster the first group request creates
 * __consumer_offsets and is refused while its partitions load; kafkajs consumers then "crash" and
 * restart with an error in the log. Waiting for this here keeps that out of every first consumer.
 */
export async function groupCoordinatorAnswers(brokers: string[], timeoutMs = 2_000): Promise<boolean> {
  const admin = probeClient(brokers, timeoutMs).admin();
  try {
    await admin.connect();
    await admin.fetchOffsets({ groupId: 'errpulse-readiness-probe' });
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Polls until the cluster answers metadata and group requests; a broker that died meanwhile fails at once. */
export async function waitUntilReady(
  brokers: string[],
  opts: { timeoutMs: number; logFile?: string; alive?: () => boolean; howItEnded?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const seeLog = async () => (opts.logFile ? `; see ${opts.logFile}:\n${await tail(opts.logFile, 15)}` : '');
  for (const [what, probe] of [
    ['answer', brokerAnswers],
    ['serve consumer groups', groupCoordinatorAnswers],
  ] as const) {
    for (;;) {
      if (opts.alive && !opts.alive()) {
        throw new LocalBrokerError(`the Kafka broker exited during start-up (${opts.howItEnded?.() ?? 'not running'})${await seeLog()}`);
      }
      if (await probe(brokers)) break;
      if (Date.now() >= deadline) {
        throw new LocalBrokerError(`Kafka at ${brokers.join(',')} did not ${what} within ${opts.timeoutMs} ms${await seeLog()}`);
      }
      await delay(200);
    }
  }
}

/** The last lines of a file that mention a problem, or its last lines. */
async function tail(file: string, lines: number): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, size - length);
      const all = buf.toString('utf8').split('\n').filter((l) => l.trim() !== '');
      const problems = all.filter((l) => /\b(ERROR|FATAL|Exception|Error:)/.test(l));
      return (problems.length > 0 ? problems : all).slice(-lines).map((l) => `  ${l}`).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '  (no log yet)';
  }
}
