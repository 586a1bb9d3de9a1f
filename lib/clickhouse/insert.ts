// One INSERT of pre-encoded rows, as ONE statement that carries its own settings, on either backend.
//
// Why not `client.insert` on the embedded engine: chdb/connection turns every request setting into a
// session-wide `SET …;` ahead of the statement (so a setting leaks into later requests unless each one
// restates it), and it sends the rows inline after `INSERT … FORMAT X`, which the engine's client layer
// concatenates with the process's standard input whenever stdin is a pipe with data: a service started
// as `producer | errpulse ingest` failed every batch. `FROM INFILE` and chdb's raw insert read stdin the
// same way. Reading the rows with the `file()` table function from a RAM-backed temporary file never
// touches stdin, keeps the settings in the statement (`INSERT … SETTINGS … SELECT * FROM file(…)`), and
// is the fastest embedded path measured (BENCHMARKS.md, "insert ceiling by method").
//
// Against a server the body goes over HTTP (compressed when the client is configured so), with the
// settings as parameters of that one request.
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { sqlStringLiteral } from './literal.js';

/** Row formats the ingest path sends; both stream row by row and need no header. */
export type InsertFormat = 'TabSeparated' | 'RowBinary';

export interface InsertBlock {
  /** Table name from the code's own constants (never user input). */
  table: string;
  /** Columns in the order the rows are encoded, with their ClickHouse types (the embedded path reads the rows with them). */
  columns: readonly (readonly [name: string, type: string])[];
  format: InsertFormat;
  /** The encoded rows, as pieces to concatenate. */
  data: readonly (Buffer | string)[];
  /** Settings of this statement only. */
  settings: Readonly<Record<string, string | number>>;
  signal?: AbortSignal;
}

/** Inserts one block of encoded rows; throws what ClickHouse threw (with its error `type`). */
export type InsertBlockFn = (block: InsertBlock) => Promise<void>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain identifier: ${JSON.stringify(name)}`);
  return name;
}

function settingsClause(settings: InsertBlock['settings']): string {
  const parts = Object.entries(settings).map(
    ([k, v]) => `${identifier(k)} = ${typeof v === 'number' ? String(v) : sqlStringLiteral(v)}`,
  );
  return parts.length > 0 ? ` SETTINGS ${parts.join(', ')}` : '';
}

/** Server: one HTTP request per block; settings are that request's URL parameters and end with it. */
export function serverBlockInserter(client: ClickHouseClient): InsertBlockFn {
  return async (block) => {
    const columns = block.columns.map(([name]) => identifier(name)).join(', ');
    const result = await client.exec({
      query: `INSERT INTO ${identifier(block.table)} (${columns}) FORMAT ${block.format}`,
      values: Readable.from(block.data.map((d) => (typeof d === 'string' ? Buffer.from(d) : d))),
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

/** Embedded engine: the rows go to a temporary file and one statement reads them with `file()`. */
export function embeddedBlockInserter(opts: EmbeddedInserterOptions): EmbeddedInserter {
  const dir = opts.tempDir ?? ramTempDir();
  const prefix = `errpulse-insert-${process.pid}-${randomBytes(4).toString('hex')}`;
  let sequence = 0;
  const idle: EngineSession[] = [];
  const all: EngineSession[] = [];
  const waiting: ((s: EngineSession) => void)[] = [];
  let closed = false;

  const acquire = async (): Promise<EngineSession> => {
    if (closed) throw new Error('the ClickHouse connection is closed');
    const free = idle.pop();
    if (free) return free;
    if (all.length < Math.max(1, opts.sessions)) {
      const session = opts.openSession();
      all.push(session);
      return session;
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (session: EngineSession): void => {
    const next = waiting.shift();
    if (next) next(session);
    else idle.push(session);
  };

  const insert: InsertBlockFn = async (block) => {
    const session = await acquire();
    const path = join(dir, `${prefix}-${sequence++}.${block.format === 'RowBinary' ? 'bin' : 'tsv'}`);
    try {
      const structure = block.columns.map(([name, type]) => `${identifier(name)} ${type}`).join(', ');
      const file = await open(path, 'w', 0o600);
      try {
        const buffers = block.data.map((d) => (typeof d === 'string' ? Buffer.from(d) : d));
        await file.writev(buffers);
      } finally {
        await file.close();
      }
      const sql =
        `INSERT INTO ${identifier(opts.database)}.${identifier(block.table)} (${block.columns.map(([name]) => identifier(name)).join(', ')})` +
        `${settingsClause(block.settings)} ` +
        `SELECT * FROM file(${sqlStringLiteral(path)}, ${block.format}, ${sqlStringLiteral(structure)})`;
      try {
        await session.queryAsync(sql, block.signal ? { signal: block.signal } : {});
      } catch (err) {
        throw opts.mapError(err);
      }
    } finally {
      await unlink(path).catch(() => {});
      release(session);
    }
  };

  return {
    insert,
    close() {
      closed = true;
      for (const s of all) s.close();
      all.length = 0;
      idle.length = 0;
    },
  };
}
