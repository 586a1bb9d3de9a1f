// Replays a JSONL file of events: one message per line, byte for byte (so a file of broken messages
// exercises the dead-letter path exactly), keyed by the line's appId when it has one. With retime,
// every timestamp moves by the same amount so that the newest event lands on "now" and the stream
// keeps its shape but is not rejected as too old.
import { createReadStream } from 'node:fs';
import type { OutgoingMessage } from './producer.js';

/** Longer lines are refused: Kafka's default message size limit is 1 MB. */
export const MAX_REPLAY_LINE_BYTES = 1024 * 1024;

export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

export interface ReplayOptions {
  /** Shift timestamps so the newest one is `nowMs`. */
  retimeTo?: number;
  /** Space messages at this many per second (dueMs); undefined: no spacing. */
  ratePerSecond?: number;
  startMs?: number;
}

/** The lines of a file as raw bytes, without their line ends; blank lines skipped. */
export async function* readLines(file: string): AsyncGenerator<{ lineNo: number; bytes: Buffer }> {
  let pending: Buffer = Buffer.alloc(0);
  let lineNo = 0;
  try {
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let at: number;
      while ((at = pending.indexOf(0x0a)) !== -1) {
        lineNo++;
        const line = trimLine(pending.subarray(0, at));
        pending = pending.subarray(at + 1);
        if (line.length > 0) yield { lineNo, bytes: line };
      }
      if (pending.length > MAX_REPLAY_LINE_BYTES) throw new ReplayError(`${file}:${lineNo + 1}: line longer than ${MAX_REPLAY_LINE_BYTES} bytes`);
    }
  } catch (err) {
    if (err instanceof ReplayError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReplayError(`cannot read ${file}${code ? ` (${code})` : ''}: ${(err as Error).message}`);
  }
  const last = trimLine(pending);
  if (last.length > 0) yield { lineNo: lineNo + 1, bytes: last };
}

function trimLine(bytes: Buffer): Buffer {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
  for (let i = 0; i < end; i++) if (bytes[i] !== 0x20 && bytes[i] !== 0x09) return bytes.subarray(0, end);
  return bytes.subarray(0, 0);
}

function parseObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function timestampMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** The newest timestamp in the file, or undefined when no line has one. */
export async function newestTimestamp(file: string): Promise<number | undefined> {
  let newest: number | undefined;
  for await (const { bytes } of readLines(file)) {
    const ms = timestampMs(parseObject(bytes)?.timestamp);
    if (ms !== undefined && (newest === undefined || ms > newest)) newest = ms;
  }
  return newest;
}

export async function* replayMessages(file: string, opts: ReplayOptions = {}): AsyncGenerator<OutgoingMessage> {
  const shiftMs = opts.retimeTo === undefined ? 0 : opts.retimeTo - ((await newestTimestamp(file)) ?? opts.retimeTo);
  const startMs = opts.startMs ?? Date.now();
  let index = 0;
  for await (const { bytes } of readLines(file)) {
    const object = parseObject(bytes);
    let value: string | Buffer = bytes;
    const ms = timestampMs(object?.timestamp);
    if (object && shiftMs !== 0 && ms !== undefined) {
      // Keep the form the producer used: epoch milliseconds stay numbers, ISO strings stay strings.
      const shifted = Math.round(ms + shiftMs);
      value = JSON.stringify({ ...object, timestamp: typeof object.timestamp === 'number' ? shifted : new Date(shifted).toISOString() });
    }
    yield {
      key: typeof object?.appId === 'string' ? object.appId : null,
      value,
      dueMs: opts.ratePerSecond === undefined ? undefined : startMs + (index * 1000) / opts.ratePerSecond,
    };
    index++;
  }
}
