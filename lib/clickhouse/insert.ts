// Inserts of pre-encoded rows, as ONE statement that carries its own settings, on either backend.
//
// Why the embedded engine needs this: chdb/connection turns every request setting into a session-wide
// `SET …;` ahead of the statement (a setting leaks into later requests unless each one restates it),
// and it sends the rows inline after `INSERT … FORMAT X`, which the engine's client layer concatenates
// with the process's standard input whenever stdin is a pipe with data: a service started as
// `producer | errpulse ingest` failed every batch. `FROM INFILE` and chdb's raw insert read stdin the
// same way. Reading the rows with the `file()` table function from a RAM-backed temporary file never
// touches stdin, keeps the settings in the statement (`INSERT … SETTINGS … SELECT * FROM file(…)`; the
// column types come from the insertion table), and is faster than inline rows (BENCHMARKS.md, "insert
// ceiling by method"). Every `client.insert` on the embedded engine goes this way too
// (`withFileInserts`), so migrations and seeds are as safe as the ingest path.
//
// Against a server the body goes over HTTP (compressed when the client is configured so), with the
// settings as parameters of that one request.
import { randomBytes, randomUUID } from 'node:crypto';
import { accessSync, readdirSync, rmSync, constants as fsConstants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { sqlStringLiteral } from './literal.js';

/** Row formats the ingest path sends; both stream row by row and need no header. */
export type InsertFormat = 'TabSeparated' | 'RowBinary';

type SettingValue = string | number | boolean;

export interface InsertBlock {
  /** Table name from the code's own constants (never user input). */
  table: string;
  /** Columns in the order the rows are encoded. */
  columns: readonly string[];
  format: InsertFormat;
  /** The encoded rows, as pieces to concatenate. */
  data: readonly (Buffer | string)[];
  /** Settings of this statement only. */
  settings: Readonly<Record<string, SettingValue>>;
  signal?: AbortSignal;
}

/** Inserts one block of encoded rows; throws what ClickHouse threw (with its error `type`). */
export type InsertBlockFn = (block: InsertBlock) => Promise<void>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain identifier: ${JSON.stringify(name)}`);
  return name;
}

function settingsClause(settings: Readonly<Record<string, SettingValue | undefined>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(settings)) {
    if (v === undefined || HTTP_ONLY_SETTINGS.has(k)) continue;
    const value = typeof v === 'string' ? sqlStringLiteral(v) : typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
    parts.push(`${identifier(k)} = ${value}`);
  }
  return parts.length > 0 ? ` SETTINGS ${parts.join(', ')}` : '';
}

/** Settings of ClickHouse's HTTP layer that the client may pass and the engine does not know. */
const HTTP_ONLY_SETTINGS: ReadonlySet<string> = new Set([
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
]);

const toBuffer = (d: Buffer | string | Uint8Array): Buffer =>
  typeof d === 'string' ? Buffer.from(d) : Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength);

/** Server: one HTTP request per block; settings are that request's URL parameters and end with it. */
export function serverBlockInserter(client: ClickHouseClient): InsertBlockFn {
  return async (block) => {
    const columns = block.columns.map(identifier).join(', ');
    const result = await client.exec({
      query: `INSERT INTO ${identifier(block.table)} (${columns}) FORMAT ${block.format}`,
      values: Readable.from(block.data.map(toBuffer)),
      clickhouse_settings: block.settings,
      ...(block.signal ? { abort_signal: block.signal } : {}),
    });
    // The answer to an INSERT is empty; draining it lets the socket go back to the pool.
    result.stream.resume();
    await new Promise<void>((resolve, reject) => {
      result.stream.once('end', resolve);
      result.stream.once('error', reject);
    });
  };
}

/** The part of a chdb Session the embedded inserter uses. */
export interface EngineSession {
  queryAsync(sql: string, opts?: { signal?: AbortSignal }): Promise<unknown>;
  close(): void;
}

export interface EmbeddedInserterOptions {
  database: string;
  /** Opens one more connection to the engine's data folder. */
  openSession: () => EngineSession;
  /** Inserts that may run at once, each on a session of its own (one session runs one at a time). */
  sessions: number;
  /** Turns an engine error into the shape callers classify (`type` = ClickHouse's error name). */
  mapError: (err: unknown) => unknown;
  /** Folder for the temporary row files; RAM-backed /dev/shm when it is writable. */
  tempDir?: string;
}

export interface EmbeddedInserter {
  insert: InsertBlockFn;
  /**
   * `INSERT INTO <target> FORMAT <format>` with `data`, the shape @clickhouse/client builds: `target` is
   * the table with its optional column list, as the client wrote it.
   */
  insertStatement(
    target: string,
    format: string,
    data: readonly Buffer[],
    settings: Readonly<Record<string, SettingValue | undefined>>,
    signal?: AbortSignal,
  ): Promise<void>;
  close(): void;
}

function ramTempDir(): string {
  try {
    accessSync('/dev/shm', fsConstants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

const FILE_PREFIX = 'errpulse-insert-';

/** Row files a killed process left behind (RAM, in /dev/shm): those of processes no longer running. */
function removeOrphanedRowFiles(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^errpulse-insert-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(dir, name), { force: true });
    }
  }
}

/** Embedded engine: the rows go to a temporary file and one statement reads them with `file()`. */
export function embeddedBlockInserter(opts: EmbeddedInserterOptions): EmbeddedInserter {
  const dir = opts.tempDir ?? ramTempDir();
  removeOrphanedRowFiles(dir);
  const prefix = `${FILE_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
  let sequence = 0;
  const idle: EngineSession[] = [];
  const all: EngineSession[] = [];
  const waiting: { resolve: (s: EngineSession) => void; reject: (e: Error) => void }[] = [];
  let closed = false;

  const acquire = async (): Promise<EngineSession> => {
    if (closed) throw new Error('the ClickHouse connection is closed');
    const free = idle.pop();
    if (free) return free;
    if (all.length < Math.max(1, opts.sessions)) {
      const session = opts.openSession();
      all.push(session);
      try {
        // Unqualified table names mean what they mean on the main connection.
        await session.queryAsync(`USE ${identifier(opts.database)}`);
      } catch (err) {
        all.splice(all.indexOf(session), 1);
        session.close();
        throw opts.mapError(err);
      }
      return session;
    }
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
  const release = (session: EngineSession): void => {
    const next = waiting.shift();
    if (next) next.resolve(session);
    else idle.push(session);
  };

  const insertStatement: EmbeddedInserter['insertStatement'] = async (target, format, data, settings, signal) => {
    if (!IDENTIFIER.test(format)) throw new Error(`not a format name: ${JSON.stringify(format)}`);
    const session = await acquire();
    const path = join(dir, `${prefix}-${sequence++}`);
    try {
      const file = await open(path, 'w', 0o600);
      try {
        await file.writev(data as Buffer[]);
      } finally {
        await file.close();
      }
      const sql = `INSERT INTO ${target}${settingsClause(settings)} SELECT * FROM file(${sqlStringLiteral(path)}, ${format})`;
      try {
        await session.queryAsync(sql, signal ? { signal } : {});
      } catch (err) {
        throw opts.mapError(err);
      }
    } finally {
      await unlink(path).catch(() => {});
      release(session);
    }
  };

  return {
    insert: (block) =>
      insertStatement(
        `${identifier(block.table)} (${block.columns.map(identifier).join(', ')})`,
        block.format,
        block.data.map(toBuffer),
        block.settings,
        block.signal,
      ),
    insertStatement,
    close() {
      closed = true;
      for (const w of waiting.splice(0)) w.reject(new Error('the ClickHouse connection is closed'));
      for (const s of all) s.close();
      all.length = 0;
      idle.length = 0;
    },
  };
}

/** What withFileInserts needs of a @clickhouse/client connection's `insert`. */
interface ConnectionInsert {
  insert(params: {
    query: string;
    values: string | AsyncIterable<unknown>;
    clickhouse_settings?: Record<string, unknown>;
    abort_signal?: AbortSignal;
    query_id?: string;
  }): Promise<unknown>;
}

const CLIENT_INSERT = /^INSERT INTO (.+) FORMAT ([A-Za-z]+)$/s;

/**
 * The embedded connection with its `insert` (what `client.insert` calls) replaced by the file path
 * above; every other method is the connection's own.
 */
export function withFileInserts<C extends object>(connection: C, inserter: EmbeddedInserter): C {
  const insert: ConnectionInsert['insert'] = async (params) => {
    const match = CLIENT_INSERT.exec(params.query.trim());
    if (!match) throw new Error(`unexpected insert statement from the client: ${params.query.slice(0, 200)}`);
    const data: Buffer[] = [];
    if (typeof params.values === 'string') data.push(Buffer.from(params.values));
    else for await (const chunk of params.values) data.push(toBuffer(chunk as Buffer | string | Uint8Array));
    const empty = data.every((d) => d.length === 0);
    if (!empty) {
      const settings = (params.clickhouse_settings ?? {}) as Record<string, SettingValue | undefined>;
      await inserter.insertStatement(match[1]!, match[2]!, data, settings, params.abort_signal);
    }
    return { query_id: params.query_id ?? randomUUID(), response_headers: {}, http_status_code: 200 };
  };
  return new Proxy(connection, {
    get(target, property) {
      if (property === 'insert') return insert;
      const value: unknown = Reflect.get(target, property, target);
      // The connection keeps its state in private fields, reachable only with itself as `this`.
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
