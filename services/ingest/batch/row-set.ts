// The rows of one batch, stored for the garbage collector's sake: rows are written in RowBinary straight
// into a few megabyte-sized blocks (lib/clickhouse/row-binary.ts), and the original key and value bytes
// (needed only if ClickHouse refuses a row and it must be dead-lettered) are copied into blocks too. A
// 50,000-row batch is then a few dozen heap objects instead of hundreds of thousands, and kafkajs' fetch
// buffers are not kept alive by it. Measured with bench:ingest (BENCHMARKS.md).
import { RowBinaryWriter } from '../../../lib/clickhouse/row-binary.js';

/** Writes one row's columns (the row set ends the row). */
export type RowBytes = (w: RowBinaryWriter) => void;

/** Size of the blocks byte strings are copied into: a few per batch, never reallocated. */
const BLOCK_BYTES = 1024 * 1024;

/**
 * Byte strings (or nulls) copied back to back into fixed blocks. Copying releases the caller's buffers
 * (kafkajs slices of whole fetch responses); blocks are never grown, so nothing is copied twice.
 */
class ByteLog {
  private readonly blocks: Buffer[] = [];
  private current = Buffer.allocUnsafe(0);
  private used = 0;
  /** Per entry: block number, start, length (-1 marks a null), flattened. */
  private readonly index: number[] = [];

  push(bytes: Buffer | null): void {
    if (bytes === null) {
      this.index.push(0, 0, -1);
      return;
    }
    if (this.used + bytes.length > this.current.length) {
      this.current = Buffer.allocUnsafe(Math.max(BLOCK_BYTES, bytes.length));
      this.blocks.push(this.current);
      this.used = 0;
    }
    this.current.set(bytes, this.used);
    this.index.push(this.blocks.length - 1, this.used, bytes.length);
    this.used += bytes.length;
  }

  get(entry: number): Buffer | null {
    const at = entry * 3;
    const length = this.index[at + 2];
    if (length === undefined) throw new RangeError(`no entry ${entry}`);
    if (length < 0) return null;
    const start = this.index[at + 1]!;
    // A copy: the caller may hold it after this log (and its blocks) are gone.
    return Buffer.from(this.blocks[this.index[at]!]!.subarray(start, start + length));
  }
}

export class RowSet {
  private readonly rows = new RowBinaryWriter();
  private readonly offsets: number[] = [];
  private readonly keys = new ByteLog();
  private readonly values = new ByteLog();

  get count(): number {
    return this.offsets.length;
  }

  /** Adds a row: `write` writes its columns in RowBinary. */
  add(write: RowBytes, offset: number, key: Buffer | null, value: Buffer | null): void {
    write(this.rows);
    this.rows.endRow();
    this.offsets.push(offset);
    this.keys.push(key);
    this.values.push(value);
  }

  /** Every row, as a few large pieces to concatenate: the body of one INSERT of all rows. */
  data(): readonly Buffer[] {
    return this.rows.bytes();
  }

  /** Rows [start, end), for an INSERT of part of the batch (rare: isolating refused rows). */
  slice(start: number, end: number): readonly Buffer[] {
    return this.rows.slice(start, end);
  }

  offset(index: number): number {
    const offset = this.offsets[index];
    if (offset === undefined) throw new RangeError(`no row ${index}`);
    return offset;
  }

  key(index: number): Buffer | null {
    return this.keys.get(index);
  }

  value(index: number): Buffer | null {
    return this.values.get(index);
  }

}
