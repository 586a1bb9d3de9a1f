// The rows of one batch, stored for the garbage collector's sake: encoded lines are joined into flat
// chunks of a few hundred rows, and the original key and value bytes (needed only if ClickHouse refuses
// a row and it must be dead-lettered) are copied into one growing buffer. A 50,000-row batch is then a
// few hundred heap objects instead of hundreds of thousands, and kafkajs' fetch buffers are not kept
// alive by it. Measured with bench:ingest -- --cpu-prof (BENCHMARKS.md).

/** Rows joined per chunk: large enough to make objects rare, small enough to keep joins cheap. */
const CHUNK_ROWS = 512;

/** Byte strings (or nulls) stored back to back in one buffer that doubles when full. */
class ByteLog {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private used = 0;
  private readonly starts: number[] = [];
  /** -1 marks a null. */
  private readonly lengths: number[] = [];

  push(bytes: Buffer | null): void {
    if (bytes === null) {
      this.starts.push(0);
      this.lengths.push(-1);
      return;
    }
    if (this.used + bytes.length > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + bytes.length));
      this.buffer.copy(grown, 0, 0, this.used);
      this.buffer = grown;
    }
    bytes.copy(this.buffer, this.used);
    this.starts.push(this.used);
    this.lengths.push(bytes.length);
    this.used += bytes.length;
  }

  get(index: number): Buffer | null {
    const length = this.lengths[index];
    if (length === undefined) throw new RangeError(`no entry ${index}`);
    if (length < 0) return null;
    const start = this.starts[index]!;
    // A copy: the caller may hold it after this log (and its buffer) is gone.
    return Buffer.from(this.buffer.subarray(start, start + length));
  }
}

export class RowSet {
  private readonly chunks: string[] = [];
  private pending: string[] = [];
  private readonly offsets: number[] = [];
  private readonly keys = new ByteLog();
  private readonly values = new ByteLog();
  private split: string[] | undefined;

  get count(): number {
    return this.offsets.length;
  }

  /** Adds a row: `line` is its encoded text, ending in a newline that the encoding never puts inside. */
  add(line: string, offset: number, key: Buffer | null, value: Buffer | null): void {
    this.pending.push(line);
    if (this.pending.length === CHUNK_ROWS) this.flushPending();
    this.offsets.push(offset);
    this.keys.push(key);
    this.values.push(value);
    this.split = undefined;
  }

  /** Every row's text, as a few large pieces to concatenate: the body of one INSERT of all rows. */
  text(): readonly string[] {
    this.flushPending();
    return this.chunks;
  }

  /** The lines of rows [start, end), for an INSERT of part of the batch (rare: isolating refused rows). */
  lines(start: number, end: number): readonly string[] {
    if (this.split === undefined) {
      this.split = this.text()
        .join('')
        .split('\n')
        .slice(0, -1)
        .map((line) => `${line}\n`);
    }
    return this.split.slice(start, end);
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

  private flushPending(): void {
    if (this.pending.length === 0) return;
    // join() builds one flat string; the per-row strings (and their concatenation trees) become garbage young.
    this.chunks.push(this.pending.join(''));
    this.pending = [];
  }
}
