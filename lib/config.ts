// The one place that reads the environment. Every service and command gets a typed, validated Config
// from here; a bad value stops the process with a single line that names the variable.
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

interface VarSpec {
  schema: TSchema;
  expected: string;
  default?: string;
  doc: string;
}

const port = (doc: string, def?: string): VarSpec => ({
  schema: Type.Integer({ minimum: 1, maximum: 65535 }),
  expected: 'an integer port between 1 and 65535',
  ...(def === undefined ? {} : { default: def }),
  doc,
});
const positiveInt = (doc: string, def: string, max = 2 ** 31 - 1): VarSpec => ({
  schema: Type.Integer({ minimum: 1, maximum: max }),
  expected: `an integer between 1 and ${max}`,
  default: def,
  doc,
});
const token = (doc: string, def?: string): VarSpec => ({
  schema: Type.String({ pattern: '^[A-Za-z0-9._-]{1,249}$' }),
  expected: 'a name of 1–249 characters from [A-Za-z0-9._-]',
  ...(def === undefined ? {} : { default: def }),
  doc,
});
const identifier = (doc: string, def?: string): VarSpec => ({
  schema: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$' }),
  expected: 'a ClickHouse identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters)',
  ...(def === undefined ? {} : { default: def }),
  doc,
});
const text = (doc: string, def?: string): VarSpec => ({
  schema: Type.String({ minLength: 1 }),
  expected: 'a non-empty string',
  ...(def === undefined ? {} : { default: def }),
  doc,
});

/**
 * Every environment variable errpulse reads, with its default and meaning. `.env.example`,
 * the compose file check and `errpulse doctor` are all derived from this table.
 */
export const ENV_VARS = {
  KAFKA_BROKERS: {
    schema: Type.String({ pattern: '^[^,\\s]+:\\d{1,5}(,[^,\\s]+:\\d{1,5})*$' }),
    expected: 'a comma-separated list of host:port',
    doc: 'Kafka bootstrap brokers. Unset: the local broker started by `errpulse kafka start` on 127.0.0.1:KAFKA_LOCAL_PORT.',
  },
  KAFKA_LOCAL_PORT: port('Port of the local development broker (used only when KAFKA_BROKERS is unset).', '9092'),
  KAFKA_TOPIC: token('Topic the ingest worker consumes API error events from.', 'api-errors'),
  KAFKA_DLQ_TOPIC: token('Dead-letter topic for messages that fail validation (original bytes plus reason headers).', 'api-errors.dlq'),
  KAFKA_GROUP_ID: token('Consumer group of the ingest workers; workers in one group share the partitions.', 'errpulse-ingest'),
  KAFKA_CLIENT_ID: token('Client id errpulse reports to the broker.', 'errpulse'),
  JAVA_HOME: text('Java installation the local Kafka broker runs with (its bin/java); unset: java on PATH.'),
  KAFKA_TOPIC_PARTITIONS: positiveInt('Partitions used when errpulse creates the topic itself (it never changes an existing topic).', '3', 10_000),
  CLICKHOUSE_URL: {
    schema: Type.String({ pattern: '^https?://[^\\s]+$' }),
    expected: 'an http:// or https:// URL',
    doc: 'ClickHouse server HTTP endpoint. Unset: the embedded engine (chdb) in CLICKHOUSE_DATA_DIR, one process only.',
  },
  CLICKHOUSE_DATA_DIR: text('Data folder of the embedded engine (ignored when CLICKHOUSE_URL is set).', '.data/clickhouse'),
  CLICKHOUSE_DATABASE: identifier('Database holding the errpulse tables.', 'errpulse'),
  CLICKHOUSE_USER: text('ClickHouse user (server mode).'),
  CLICKHOUSE_PASSWORD: { schema: Type.String(), expected: 'a string', doc: 'ClickHouse password (server mode).' },
  CLICKHOUSE_CLUSTER: identifier('When set, DDL runs ON CLUSTER with Replicated engines and Distributed tables.'),
  RAW_RETENTION_DAYS: positiveInt('Days raw events are kept (TTL on error_events).', '30', 3650),
  ROLLUP_RETENTION_DAYS: positiveInt('Days the per-minute and hourly rollups are kept.', '400', 3650),
  INGEST_BATCH_MAX_ROWS: positiveInt('A batch closes when it holds this many rows ...', '50000', 1_000_000),
  INGEST_BATCH_MAX_MS: positiveInt('... or when its oldest row is this old (ms).', '500', 600_000),
  INGEST_BATCH_MAX_BYTES: positiveInt('... or when its messages add up to this many bytes (bounds memory per partition).', '67108864', 1_073_741_824),
  INGEST_RETRY_MAX_MS: positiveInt('Cap of the exponential backoff between failed ClickHouse inserts (ms).', '30000', 600_000),
  INGEST_SESSION_TIMEOUT_MS: {
    schema: Type.Integer({ minimum: 6_000, maximum: 300_000 }),
    expected: 'an integer between 6000 and 300000 (the broker default group.min.session.timeout.ms is 6000)',
    default: '30000',
    doc: 'Kafka consumer session timeout (ms): how long a worker that died without leaving keeps its partitions.',
  },
  INGEST_SHUTDOWN_TIMEOUT_MS: positiveInt('Time allowed to flush, commit and leave the group on SIGTERM (ms).', '15000', 600_000),
  INGEST_EVENT_ID_WINDOW: positiveInt(
    'A message whose eventId a stored message of the same partition carried at most this many offsets earlier is dropped as a duplicate (ids kept in memory per partition).',
    '100000',
    10_000_000,
  ),
  INGEST_METRICS_PORT: port('Port of /metrics, /healthz and /readyz when the ingest worker runs alone (`errpulse ingest`).', '9464'),
  API_HOST: text('Address the query API listens on.', '127.0.0.1'),
  API_PORT: port('Port the query API listens on.', '8080'),
  API_TOKENS_FILE: text('File of API token hashes, managed by `errpulse token`.', '.data/api-tokens.json'),
  API_RATE_LIMIT_PER_MINUTE: positiveInt('Requests per minute allowed per API token.', '600', 1_000_000),
  API_MAX_RANGE_DAYS: positiveInt('Longest time range one API query may cover (days).', '31', 3650),
  API_MAX_SERIES: positiveInt('Most series one /v1/rates answer may hold.', '500', 100_000),
  API_MAX_POINTS: positiveInt('Most points per series one /v1/rates answer may hold (24 h at 1 m is 1440).', '5000', 1_000_000),
  API_QUERY_TIMEOUT_S: positiveInt('ClickHouse max_execution_time for API queries (seconds).', '10', 3600),
  ALERTMANAGER_URL: {
    schema: Type.String({ pattern: '^https?://[^\\s]+$' }),
    expected: 'an http:// or https:// URL (Alertmanager\'s base URL, without /api/v2)',
    doc: 'Alertmanager the built-in alert evaluator sends firing and resolved alerts to (POST /api/v2/alerts). Unset: alerts only show in the log and the status line.',
  },
  ALERTS_EVALUATION_INTERVAL_S: positiveInt('How often the built-in evaluator runs every alert rule (seconds); the rules read per-minute rollups.', '60', 3600),
  ALERTS_RESEND_INTERVAL_S: positiveInt(
    'How often firing (and recently resolved) alerts are sent again to Alertmanager (seconds); each firing alert is valid for four of these, so Alertmanager resolves it itself if the evaluator dies.',
    '60',
    3600,
  ),
  ALERTS_METRICS_PORT: port('Port of /metrics, /healthz and /readyz when the alert evaluator runs alone (`errpulse alerts`).', '9465'),
  ALERTS_QUERY_TIMEOUT_S: positiveInt('ClickHouse max_execution_time of each alert rule query (seconds).', '30', 3600),
  ALERTS_LINK_URL: {
    schema: Type.String({ pattern: '^https?://[^\\s]+$' }),
    expected: 'an http:// or https:// URL',
    default: 'http://127.0.0.1:3000',
    doc: 'Base URL of the Grafana that serves the errpulse dashboards; alerts link to the rule\'s panel there (generatorURL and dashboard_url).',
  },
  ALERTS_DOCS_URL: {
    schema: Type.String({ pattern: '^https?://[^\\s]+$' }),
    expected: 'an http:// or https:// URL',
    doc: 'Where docs/ can be read; alerts link to their section of runbook.md there (runbook_url). Unset: the same default as `errpulse dashboards --docs-url`.',
  },
  LOG_LEVEL: {
    schema: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l))),
    expected: `one of ${LOG_LEVELS.join(', ')}`,
    default: 'info',
    doc: 'pino log level.',
  },
} satisfies Record<string, VarSpec>;

export type EnvVarName = keyof typeof ENV_VARS;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`${variable} must be ${expected} (got ${JSON.stringify(got)})`);
    this.name = 'ConfigError';
  }
}

function read(env: NodeJS.ProcessEnv, name: EnvVarName): unknown {
  const spec: VarSpec = ENV_VARS[name];
  const raw = env[name] === '' ? undefined : env[name];
  const value = raw ?? spec.default;
  if (value === undefined) return undefined;
  const converted = Value.Convert(spec.schema, value);
  if (!Value.Check(spec.schema, converted)) throw new ConfigError(name, spec.expected, value);
  return converted;
}

export interface Config {
  kafka: {
    brokers: string[];
    /** True when KAFKA_BROKERS is unset and errpulse manages its own development broker. */
    localBroker: boolean;
    localPort: number;
    topic: string;
    dlqTopic: string;
    groupId: string;
    clientId: string;
    topicPartitions: number;
    /** JAVA_HOME for the local broker; undefined: `java` on PATH. */
    javaHome?: string | undefined;
  };
  clickhouse: {
    url?: string | undefined;
    dataDir: string;
    database: string;
    user?: string | undefined;
    password?: string | undefined;
    cluster?: string | undefined;
    rawRetentionDays: number;
    rollupRetentionDays: number;
  };
  ingest: {
    batchMaxRows: number;
    batchMaxMs: number;
    batchMaxBytes: number;
    retryMaxMs: number;
    sessionTimeoutMs: number;
    shutdownTimeoutMs: number;
    eventIdWindow: number;
    metricsPort: number;
  };
  api: {
    host: string;
    port: number;
    tokensFile: string;
    rateLimitPerMinute: number;
    maxRangeDays: number;
    maxSeries: number;
    maxPoints: number;
    queryTimeoutS: number;
  };
  alerts: {
    /** undefined: alerts are logged and shown, not sent. */
    alertmanagerUrl?: string | undefined;
    evaluationIntervalS: number;
    resendIntervalS: number;
    queryTimeoutS: number;
    metricsPort: number;
    linkUrl: string;
    docsUrl?: string | undefined;
  };
  logLevel: string;
}

/** Reads and validates every variable; throws ConfigError on the first bad one. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const v = <T>(name: EnvVarName) => read(env, name) as T;
  const localPort = v<number>('KAFKA_LOCAL_PORT');
  const brokers = v<string | undefined>('KAFKA_BROKERS');
  return {
    kafka: {
      brokers: brokers ? brokers.split(',') : [`127.0.0.1:${localPort}`],
      localBroker: brokers === undefined,
      localPort,
      topic: v('KAFKA_TOPIC'),
      dlqTopic: v('KAFKA_DLQ_TOPIC'),
      groupId: v('KAFKA_GROUP_ID'),
      clientId: v('KAFKA_CLIENT_ID'),
      topicPartitions: v('KAFKA_TOPIC_PARTITIONS'),
      javaHome: v('JAVA_HOME'),
    },
    clickhouse: {
      url: v('CLICKHOUSE_URL'),
      dataDir: v('CLICKHOUSE_DATA_DIR'),
      database: v('CLICKHOUSE_DATABASE'),
      user: v('CLICKHOUSE_USER'),
      password: v('CLICKHOUSE_PASSWORD'),
      cluster: v('CLICKHOUSE_CLUSTER'),
      rawRetentionDays: v('RAW_RETENTION_DAYS'),
      rollupRetentionDays: v('ROLLUP_RETENTION_DAYS'),
    },
    ingest: {
      batchMaxRows: v('INGEST_BATCH_MAX_ROWS'),
      batchMaxMs: v('INGEST_BATCH_MAX_MS'),
      batchMaxBytes: v('INGEST_BATCH_MAX_BYTES'),
      retryMaxMs: v('INGEST_RETRY_MAX_MS'),
      sessionTimeoutMs: v('INGEST_SESSION_TIMEOUT_MS'),
      shutdownTimeoutMs: v('INGEST_SHUTDOWN_TIMEOUT_MS'),
      eventIdWindow: v('INGEST_EVENT_ID_WINDOW'),
      metricsPort: v('INGEST_METRICS_PORT'),
    },
    api: {
      host: v('API_HOST'),
      port: v('API_PORT'),
      tokensFile: v('API_TOKENS_FILE'),
      rateLimitPerMinute: v('API_RATE_LIMIT_PER_MINUTE'),
      maxRangeDays: v('API_MAX_RANGE_DAYS'),
      maxSeries: v('API_MAX_SERIES'),
      maxPoints: v('API_MAX_POINTS'),
      queryTimeoutS: v('API_QUERY_TIMEOUT_S'),
    },
    alerts: {
      alertmanagerUrl: v<string | undefined>('ALERTMANAGER_URL')?.replace(/\/+$/, ''),
      evaluationIntervalS: v('ALERTS_EVALUATION_INTERVAL_S'),
      resendIntervalS: v('ALERTS_RESEND_INTERVAL_S'),
      queryTimeoutS: v('ALERTS_QUERY_TIMEOUT_S'),
      metricsPort: v('ALERTS_METRICS_PORT'),
      linkUrl: v<string>('ALERTS_LINK_URL').replace(/\/+$/, ''),
      docsUrl: v<string | undefined>('ALERTS_DOCS_URL')?.replace(/\/+$/, ''),
    },
    logLevel: v('LOG_LEVEL'),
  };
}

/**
 * For entry points: the config, or one line on stderr and exit code 2.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`errpulse: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
