// The Kafka of `errpulse start`: the configured brokers, or, when KAFKA_BROKERS is unset, the local
// development broker. A broker this run started is stopped with it (Ctrl-C leaves nothing behind unless
// --keep-broker asks for fast restarts); one that was already running (`errpulse kafka start`, or an
// earlier --keep-broker) belongs to someone else and is left running.
import type { Config } from '../../lib/config.js';
import { DEFAULT_DATA_DIR, jarsCached, startLocalBroker, stopLocalBroker } from '../../lib/kafka/local-broker.js';

export interface StartBroker {
  brokers: string[];
  /** How the broker came to be, for the banner. */
  description: string;
  /** Stops the broker when this run started it and it should not be kept; otherwise does nothing. */
  stop(): Promise<void>;
  /** Whether stop() will stop a broker. */
  stopsBroker: boolean;
  /** Whether the broker is the local development broker (rather than KAFKA_BROKERS). */
  local: boolean;
}

export const LOCAL_BROKER_STOP_TIMEOUT_MS = 30_000;

export async function ensureBroker(config: Config, opts: { keep: boolean; say: (line: string) => void }): Promise<StartBroker> {
  if (!config.kafka.localBroker) {
    return { brokers: config.kafka.brokers, description: `Kafka ${config.kafka.brokers.join(',')} (KAFKA_BROKERS)`, stop: async () => {}, stopsBroker: false, local: false };
  }
  if (!jarsCached()) opts.say('Kafka: first start, fetching the broker jars with Maven (once; needs network and Java 17+) ...');
  else opts.say(`Kafka: local broker on 127.0.0.1:${config.kafka.localPort} (starting it unless it runs already) ...`);
  const info = await startLocalBroker({ port: config.kafka.localPort, dataDir: DEFAULT_DATA_DIR, javaHome: config.kafka.javaHome });
  const stopsBroker = !info.alreadyRunning && !opts.keep;
  const how = info.alreadyRunning
    ? 'already running, left running on exit'
    : stopsBroker
      ? `started in ${(info.startMs / 1000).toFixed(1)} s, stopped on exit`
      : `started in ${(info.startMs / 1000).toFixed(1)} s, kept running on exit (errpulse kafka stop)`;
  return {
    brokers: info.brokers,
    description: `Kafka ${info.brokers.join(',')} (local broker, ${how}; log ${info.logFile})`,
    stopsBroker,
    local: true,
    stop: async () => {
      if (stopsBroker) await stopLocalBroker({ dataDir: DEFAULT_DATA_DIR, timeoutMs: LOCAL_BROKER_STOP_TIMEOUT_MS });
    },
  };
}
