// The single way errpulse reaches ClickHouse: @clickhouse/client over HTTP when CLICKHOUSE_URL is set,
// otherwise the same client on top of the embedded engine (chdb). Callers never see the difference.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClickHouseLogLevel, createClient, parseError, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type * as ChdbModule from 'chdb';
import type * as ChdbConnectionModule from 'chdb/connection';
import type { Config } from '../config.js';
import { embeddedBlockInserter, serverBlockInserter, withFileInserts, type EngineSession, type InsertBlockFn } from './insert.js';

export type { ClickHouseClient };

type CreateChdbConnection = typeof ChdbConnectionModule.createChdbConnection;
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

export type ClickHouseMode = 'server' | 'embedded';

export interface ClickHouse {
  client: ClickHouseClient;
  mode: ClickHouseMode;
  database: string;
  /** Where the data lives: the server URL or the embedded data folder. */
  location: string;
  /**
   * Inserts one block of encoded rows as one statement with its own settings (lib/clickhouse/insert.ts).
   * Bulk writers use this instead of `client.insert`: nothing leaks between requests, the embedded
   * engine never reads stdin, and embedded inserts run in parallel on separate sessions.
   */
  insertBlock: InsertBlockFn;
  close(): Promise<void>;
}

export class EmbeddedEngineLockedError extends Error {
  constructor(dataDir: string) {
    super(
      `the embedded ClickHouse data folder ${dataDir} is in use by another process. ` +
        'The embedded engine serves one process only: run ingest and API together with `errpulse start`, ' +
        'or set CLICKHOUSE_URL to a ClickHouse server so several processes can share it.',
    );
    this.name = 'EmbeddedEngineLockedError';
  }
}

/**
 * Settings sent with every request. The embedded engine applies per-request settings as session-wide
 * `SET`s, so a setting one request needs would otherwise leak into the next: an insert without its own
 * deduplication token would inherit the previous batch's token and be silently dropped as a duplicate.
 * Naming the defaults on every request makes both backends behave alike.
 */
function baseSettings(queryTimeoutS: number): ClickHouseSettings {
  return {
    insert_deduplication_token: '',
    max_execution_time: queryTimeoutS,
    // A server quotes 64-bit integers in JSON by default and the embedded engine does not; counts fit
    // in a double, so both answer plain numbers.
    output_format_json_quote_64bit_integers: 0,
  };
}

// The client's own logger writes unstructured text to the console; every failure reaches the caller as
// an error and is logged there, through pino.
const QUIET = { level: ClickHouseLogLevel.OFF };

export interface ConnectOptions {
  /** Create the database when missing (migrations do; services expect it to exist). */
  createDatabase?: boolean;
  /** Default max_execution_time for every request, in seconds. */
  queryTimeoutS?: number;
  /**
   * Embedded engine: inserts that may run at once through `insertBlock`, each on its own session (a
   * session runs one statement at a time; separate sessions on the same folder do not wait for each
   * other). A server takes concurrent requests anyway.
   */
  insertSessions?: number;
}

export async function connectClickHouse(cfg: Config['clickhouse'], opts: ConnectOptions = {}): Promise<ClickHouse> {
  const settings = baseSettings(opts.queryTimeoutS ?? 300);
  if (cfg.url) {
    if (opts.createDatabase) {
      const bootstrap = createClient({ url: cfg.url, username: cfg.user, password: cfg.password, log: QUIET });
      try {
        const onCluster = cfg.cluster ? ` ON CLUSTER ${cfg.cluster}` : '';
        await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.database}${onCluster}` });
      } finally {
        await bootstrap.close();
      }
    }
    const client = createClient({
      url: cfg.url,
      username: cfg.user,
      password: cfg.password,
      database: cfg.database,
      clickhouse_settings: settings,
      request_timeout: (opts.queryTimeoutS ?? 300) * 1000 + 5000,
      // Insert bodies are megabytes of text or binary rows that compress several-fold; answers are
      // left uncompressed (the API compresses for its own clients).
      compression: { request: true },
      log: QUIET,
    });
    return {
      client,
      mode: 'server',
      database: cfg.database,
      location: cfg.url,
      insertBlock: serverBlockInserter(client),
      close: () => client.close(),
    };
  }

  const dataDir = resolve(cfg.dataDir);
  mkdirSync(dataDir, { recursive: true });
  // chdb is loaded lazily so that server deployments never load the native addon (the container image
  // leaves it out), and a missing engine is explained instead of surfacing as a module-loader stack.
  let createChdbConnection: CreateChdbConnection;
  let Session: typeof ChdbModule.Session;
  let drainPending: typeof ChdbModule.drainPending;
  try {
    ({ createChdbConnection } = await import('chdb/connection'));
    ({ Session, drainPending } = await import('chdb'));
  } catch (err) {
    throw new Error(
      `CLICKHOUSE_URL is unset, so errpulse uses the embedded ClickHouse engine (npm package chdb), but it does not load here: ` +
        `${(err as Error).message.split('\n')[0]}. Set CLICKHOUSE_URL to a ClickHouse server, or install the optional chdb engine.`,
      { cause: err },
    );
  }
  let connection;
  try {
    connection = createChdbConnection({ path: dataDir });
  } catch (err) {
    if (isLockedByAnotherProcess(dataDir, err)) throw new EmbeddedEngineLockedError(dataDir);
    throw err;
  }
  const inserter = embeddedBlockInserter({
    database: cfg.database,
    openSession: (): EngineSession => new Session(dataDir),
    sessions: opts.insertSessions ?? 3,
    // The same error shape the client gives (ClickHouse's error name in `type`), so callers classify
    // failures alike on both paths.
    mapError: (err) => {
      const mapped = parseError(err instanceof Error ? err.message : String(err));
      if (mapped !== err) (mapped as Error).cause = err;
      return mapped;
    },
  });
  // chdb types its connection against @clickhouse/client-common, which the client package now bundles
  // as its own copy; the two declare the same interface but TypeScript sees them as unrelated types.
  // Its inserts go through the inserter: inline rows would be read together with the process's stdin.
  const client = createClient({
    connection: withFileInserts(connection, inserter) as unknown as ClientConnection,
    clickhouse_settings: settings,
  });
  // The embedded connection ignores the client's `database` option; a session-level USE gives every
  // unqualified table name the same meaning it has against a server.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.database}` });
  await client.command({ query: `USE ${cfg.database}` });
  return {
    client,
    mode: 'embedded',
    database: cfg.database,
    location: dataDir,
    insertBlock: inserter.insert,
    close: async () => {
      inserter.close();
      await client.close();
      // An aborted query (a stopping alert evaluator's) rejected at once but the engine cannot interrupt
      // it, and close() only defers the teardown behind it: exiting now would tear the engine down under
      // a running query (the process dies with SIGSEGV). Closed means nothing native is left running.
      await drainPending();
    },
  };
}

/**
 * The engine prints the lock failure on stderr and throws a generic "Failed to create connection", so the
 * cause is read from the engine's own `status` file, which names the process that holds the folder.
 * Without an error, says whether another live process holds the folder (before removing it, say).
 */
export function isLockedByAnotherProcess(dataDir: string, err?: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (/Cannot lock file|Another server instance/i.test(e.message)) return true;
  }
  let status: string;
  try {
    status = readFileSync(join(dataDir, 'status'), 'utf8');
  } catch {
    return false;
  }
  const pid = Number(/PID:\s*(\d+)/.exec(status)?.[1]);
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
