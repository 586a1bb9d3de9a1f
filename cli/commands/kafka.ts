// `errpulse kafka fetch|start|stop|status`: the local development broker (lib/kafka/local-broker.ts).
import { relative } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadConfigOrExit } from '../../lib/config.js';
import {
  DEFAULT_DATA_DIR,
  LocalBrokerError,
  fetchJars,
  jarsCached,
  localBrokerStatus,
  startLocalBroker,
  stopLocalBroker,
} from '../../lib/kafka/local-broker.js';

// `errpulse kafka status` follows the LSB convention that scripts already know.
const EXIT_NOT_ANSWERING = 1;
const EXIT_NOT_RUNNING = 3;

const show = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || rel === '' ? path : rel;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('must be an integer port between 1 and 65535');
  return port;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const dataDirOption = (description: string) =>
  new Option('-d, --data-dir <dir>', description).default(DEFAULT_DATA_DIR, show(DEFAULT_DATA_DIR));

/** Expected failures (no Java, port taken, broker crashed) print one message; anything else is a bug and keeps its stack. */
async function guarded(action: () => Promise<number | void>): Promise<void> {
  try {
    const code = await action();
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    if (!(err instanceof LocalBrokerError)) throw err;
    process.stderr.write(`errpulse kafka: ${err.message}\n`);
    process.exitCode = 1;
  }
}

export function registerKafkaCommand(program: Command): void {
  const kafka = program
    .command('kafka')
    .description('Run a local single-node Kafka broker for development (Java 17+; jars fetched once with Maven)');

  kafka
    .command('fetch')
    .description('Fetch the Kafka jars into .cache/kafka/libs (start does this too; needs Maven and network only once)')
    .action(() =>
      guarded(async () => {
        if (!jarsCached()) process.stdout.write('kafka: fetching jars with Maven ...\n');
        const result = await fetchJars();
        process.stdout.write(
          result.fetched ? `kafka: jars fetched into ${show(result.libsDir)} in ${seconds(result.ms)}\n` : `kafka: jars already in ${show(result.libsDir)}\n`,
        );
      }),
    );

  kafka
    .command('start')
    .description('Start the broker in the background and wait until it answers; does nothing if it is already running')
    .option('-p, --port <port>', 'client port (default: KAFKA_LOCAL_PORT, 9092)', parsePort)
    .option('--controller-port <port>', 'KRaft controller port (default: port + 1)', parsePort)
    .addOption(dataDirOption('folder of the broker data, pid file and log'))
    .option('--log-file <file>', 'broker log (default: <data-dir>/broker.log)')
    .option('--timeout <ms>', 'how long to wait for the broker to answer', parsePositive, 60_000)
    .addHelpText('after', '\nExit status: 0 when the broker answers (started or already running), 1 otherwise.')
    .action((opts: { port?: number; controllerPort?: number; dataDir: string; logFile?: string; timeout: number }) =>
      guarded(async () => {
        const config = loadConfigOrExit();
        if (!jarsCached()) process.stdout.write('kafka: fetching jars with Maven (first start only) ...\n');
        const info = await startLocalBroker({
          port: opts.port ?? config.kafka.localPort,
          ...(opts.controllerPort === undefined ? {} : { controllerPort: opts.controllerPort }),
          dataDir: opts.dataDir,
          ...(opts.logFile === undefined ? {} : { logFile: opts.logFile }),
          startTimeoutMs: opts.timeout,
          javaHome: config.kafka.javaHome,
        });
        const where = `${info.brokers.join(',')} (pid ${info.pid})`;
        process.stdout.write(
          info.alreadyRunning
            ? `kafka: already running on ${where}\n`
            : `kafka: started on ${where} in ${seconds(info.startMs)}; log ${show(info.logFile)}\n`,
        );
        if (!config.kafka.localBroker) {
          process.stderr.write(`kafka: note: KAFKA_BROKERS is set (${config.kafka.brokers.join(',')}), so errpulse uses those brokers, not this one\n`);
        }
      }),
    );

  kafka
    .command('stop')
    .description('Stop the broker started by `errpulse kafka start` (SIGTERM, then SIGKILL after the timeout)')
    .addOption(dataDirOption('folder the broker was started with'))
    .option('--timeout <ms>', 'how long to wait for a clean shutdown before killing it', parsePositive, 30_000)
    .addHelpText('after', '\nExit status: 0 when no broker of that folder runs any more (also when none was running).')
    .action((opts: { dataDir: string; timeout: number }) =>
      guarded(async () => {
        const result = await stopLocalBroker({ dataDir: opts.dataDir, timeoutMs: opts.timeout });
        if (!result.wasRunning) process.stdout.write('kafka: not running\n');
        else process.stdout.write(`kafka: stopped (pid ${result.pid}${result.killed ? ', killed after the timeout' : ''})\n`);
      }),
    );

  kafka
    .command('status')
    .description('Tell whether the broker runs and answers')
    .addOption(dataDirOption('folder the broker was started with'))
    .addHelpText('after', `\nExit status: 0 running and answering, ${EXIT_NOT_ANSWERING} running but not answering, ${EXIT_NOT_RUNNING} not running.`)
    .action((opts: { dataDir: string }) =>
      guarded(async () => {
        const status = await localBrokerStatus({ dataDir: opts.dataDir });
        if (!status.running) {
          process.stdout.write(`kafka: not running (data ${show(status.dataDir)})\n`);
          return EXIT_NOT_RUNNING;
        }
        const where = `127.0.0.1:${status.port ?? '?'} (pid ${status.pid})`;
        if (!status.answering) {
          process.stdout.write(`kafka: running on ${where} but not answering; see ${show(status.logFile)}\n`);
          return EXIT_NOT_ANSWERING;
        }
        process.stdout.write(`kafka: running on ${where}; log ${show(status.logFile)}\n`);
        return 0;
      }),
    );
}
