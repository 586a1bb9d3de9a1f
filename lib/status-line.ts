// A live status line for long-running commands: redrawn in place on a terminal, printed as a plain
// line every so often when the output is a file or a pipe (CI logs, `| tee`), so neither fills up
// with carriage returns nor stays silent.

export interface StatusLine {
  /** The current status; shown now on a terminal, at most every `plainEveryMs` otherwise. */
  update(text: string): void;
  /** A permanent line printed above the status line. */
  print(line: string): void;
  /** Ends the status line (a terminal keeps its last state on screen). */
  done(): void;
}

export interface StatusLineOptions {
  /** Interval of plain lines when not on a terminal (ms). */
  plainEveryMs?: number;
  now?: () => number;
}

type Output = Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean; columns?: number };

export function createStatusLine(out: Output, opts: StatusLineOptions = {}): StatusLine {
  const now = opts.now ?? Date.now;
  const plainEveryMs = opts.plainEveryMs ?? 10_000;
  if (out.isTTY) {
    let shown = '';
    const fit = (text: string) => (out.columns && text.length >= out.columns ? `${text.slice(0, out.columns - 2)}…` : text);
    return {
      update(text) {
        shown = fit(text);
        out.write(`\r\x1b[2K${shown}`);
      },
      print(line) {
        out.write(`\r\x1b[2K${line}\n${shown}`);
      },
      done() {
        if (shown !== '') out.write('\n');
        shown = '';
      },
    };
  }
  let lastPrinted = -Infinity;
  let pending: string | undefined;
  return {
    update(text) {
      pending = text;
      if (now() - lastPrinted < plainEveryMs) return;
      out.write(`${text}\n`);
      lastPrinted = now();
      pending = undefined;
    },
    print(line) {
      out.write(`${line}\n`);
    },
    done() {
      // The final state is worth a line even when the last one was printed a moment ago.
      if (pending !== undefined) out.write(`${pending}\n`);
      pending = undefined;
    },
  };
}

/** Events per second over the last `windowMs`, from a running total sampled now and then. */
export function createRateMeter(windowMs = 5_000): (total: number, nowMs: number) => number {
  const samples: Array<[number, number]> = [];
  return (total, nowMs) => {
    samples.push([nowMs, total]);
    while (samples.length > 2 && samples[0]![0] < nowMs - windowMs) samples.shift();
    const [t0, n0] = samples[0]!;
    return nowMs > t0 ? ((total - n0) * 1000) / (nowMs - t0) : 0;
  };
}

/** 12345 → "12,345" (stable across locales, for logs that get compared). */
export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
