// Runs the API's ClickHouse queries with the API's time limit, and turns ClickHouse failures into the
// API's error envelope: a timeout is a 504 that says which limit was hit, an unreachable or overloaded
// ClickHouse a 503, anything else a 500 that is logged. Nothing here builds SQL.
//
// The runner also knows which queries are running, so shutdown can wait for them before ClickHouse is
// closed: a client that hangs up leaves its handler running, and the server's close does not wait for
// a request whose connection is gone. A query asked for after close() is a 503, never sent.
import type { ClickHouse } from '../../../lib/clickhouse/client.js';
import { ApiError } from '../errors.js';

export interface QueryRunner {
  /** Rows as objects. */
  rows<T>(sql: string, params: Record<string, unknown>): Promise<T[]>;
  /** The answer's bytes as ClickHouse wrote them in TabSeparatedRaw, for answers it renders itself. */
  raw(sql: string, params: Record<string, unknown>): Promise<Buffer>;
  /** Refuses new queries (503) and resolves once every running one has ended. */
  close(): Promise<void>;
}

/**
 * A result stream's bytes as one Buffer. The embedded engine hands over the whole answer as one chunk,
 * which is returned as it is: copying a megabyte answer again costs time and garbage for nothing.
 */
export async function collectBytes(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

const SHUTTING_DOWN = 'the API is shutting down and takes no new queries; retry against another instance or after the restart';

// ClickHouse error codes (ErrorCodes.cpp) the API answers specifically.
const TIMEOUT_EXCEEDED = '159';
const UNKNOWN_TABLE = '60';
const OVERLOADED = new Set([
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '241', // MEMORY_LIMIT_EXCEEDED
  '396', // TOO_MANY_ROWS_OR_BYTES
]);
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);
// What the embedded engine says when its connection was closed: before the call ("ChdbConnection is
// closed", "No active connection available"), or, for a parameterized query queued behind others when
// the connection closed, the native binding's own usage line for a missing connection.
const CLOSED_CONNECTION = /ChdbConnection is closed|No active connection available|^Usage: connection, sql, format/;

export function createQueryRunner(clickhouse: ClickHouse, queryTimeoutS: number): QueryRunner {
  const settings = { max_execution_time: queryTimeoutS, timeout_overflow_mode: 'throw' } as const;
  let closed = false;
  const running = new Set<Promise<unknown>>();
  /** Runs one query unless closed, and keeps it in `running` until it has ended either way. */
  const track = <T>(query: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new ApiError(503, 'ERR_OPERATION_FAILED', SHUTTING_DOWN));
    const pending = query();
    const settled = pending.then(
      () => undefined,
      () => undefined,
    );
    running.add(settled);
    void settled.then(() => running.delete(settled));
    return pending;
  };
  return {
    raw: (sql: string, params: Record<string, unknown>): Promise<Buffer> =>
      track(async () => {
        try {
          // A row format, for the reason given below; the bytes are collected as they come, never decoded.
          const { stream } = await clickhouse.client.exec({ query: `${sql}\nFORMAT TabSeparatedRaw`, query_params: params, clickhouse_settings: settings });
          return await collectBytes(stream);
        } catch (err) {
          throw classifyClickHouseError(err, queryTimeoutS);
        }
      }),
    rows: <T>(sql: string, params: Record<string, unknown>): Promise<T[]> =>
      track(async () => {
        try {
          const result = await clickhouse.client.query({
            query: sql,
            query_params: params,
            // A row format, not JSON: the embedded engine hands the output a query produced before it
            // failed to the session's next query, and JSON writes its header before the first row. Row
            // formats write nothing until a row exists, and every API query aggregates or sorts first, so
            // a query stopped by the timeout leaves nothing behind. Answers are small (one row per series,
            // at most 1001 events), so parsing row by row costs little.
            format: 'JSONEachRow',
            // Stated on every request: the embedded engine keeps settings for the whole session.
            clickhouse_settings: settings,
          });
          return await result.json<T>();
        } catch (err) {
          throw classifyClickHouseError(err, queryTimeoutS);
        }
      }),
    async close(): Promise<void> {
      closed = true;
      while (running.size > 0) await Promise.all(running);
    },
  };
}

/** Maps a failed query to the error the API answers with. */
export function classifyClickHouseError(err: unknown, queryTimeoutS: number): ApiError {
  if (err instanceof ApiError) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  const message = err instanceof Error ? err.message : String(err);
  if (code === TIMEOUT_EXCEEDED || /^Timeout error/i.test(message)) {
    return new ApiError(
      504,
      'ERR_OPERATION_FAILED',
      `the query ran longer than ${queryTimeoutS} s (API_QUERY_TIMEOUT_S) and was stopped; narrow the time range or add filters`,
    );
  }
  if (OVERLOADED.has(code)) {
    return new ApiError(503, 'ERR_OPERATION_FAILED', `ClickHouse refused the query for lack of resources (${firstLine(message)}); retry later or narrow the query`);
  }
  if (CLOSED_CONNECTION.test(message)) {
    return new ApiError(503, 'ERR_OPERATION_FAILED', 'the connection to ClickHouse is closed (the server is shutting down); retry later');
  }
  if (NETWORK_ERRORS.has(code)) {
    return new ApiError(503, 'ERR_OPERATION_FAILED', `ClickHouse is unreachable (${code}); retry later`);
  }
  if (code === UNKNOWN_TABLE) {
    return new ApiError(503, 'ERR_OPERATION_FAILED', 'the ClickHouse schema is incomplete; run `errpulse migrate`');
  }
  const failure = new ApiError(500, 'ERR_OPERATION_FAILED', 'the query failed unexpectedly; the server log has the details');
  failure.cause = err;
  return failure;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]?.slice(0, 200) ?? '';
}
