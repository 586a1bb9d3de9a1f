// The rows of one batch, stored for the garbage collector's sake: encoded lines are joined into flat
// chunks of a few hundred rows, and the original key and value bytes (needed only if ClickHouse refuses
// a row and it must be dead-lettered) are copied into one growing buffer. A 50,000-row batch is then a
// few hundred heap objects instead of hundreds of thousands, and kafkajs' fetch buffers are not kept
// alive by it. Measured with bench:ingest -- --cpu-prof (BENCHMARKS.md).

/** Rows joined per chunk: large enough to make objects rare, small enough to keep joins cheap. */
const CHUNK_ROWS = 512;

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
