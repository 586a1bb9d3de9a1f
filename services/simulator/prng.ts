// A small seeded PRNG (sfc32, seeded through splitmix32) so that a simulation is a pure function of its
// seed: Math.random cannot be seeded, and the same seed must give the same stream on every run.
import { randomInt } from 'node:crypto';

export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Exponentially distributed with the given rate (mean 1 / rate). */
  exponential(rate: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** `bytes` random bytes as lower-case hex. */
  hex(bytes: number): string;
}

/** Largest seed accepted: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffff_ffff;

/** A seed for a run that was given none (printed, so the run can be repeated). */
export function randomSeed(): number {
  return randomInt(0, MAX_SEED + 1);
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * A generator for `seed`. `stream` selects an independent sequence for the same seed, so that parts
 * of the simulation (arrivals, attributes, noise) do not shift each other when one of them draws more.
 */
export function createPrng(seed: number, stream = 0): Prng {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new RangeError(`seed must be an integer between 0 and ${MAX_SEED}`);
  const init = splitmix32((seed ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0);
  let a = init();
  let b = init();
  let c = init();
  let d = 1;
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // The first outputs of sfc32 are poorly mixed; the reference implementation discards them too.
  for (let i = 0; i < 12; i++) u32();

  const next = () => u32() / 0x1_0000_0000;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    exponential: (rate) => -Math.log(1 - next()) / rate,
    normal: () => {
      const u = 1 - next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    hex: (bytes) => {
      let out = '';
      for (let i = 0; i < bytes; i += 4) out += u32().toString(16).padStart(8, '0');
      return out.slice(0, bytes * 2);
    },
  };
}

/** Picks items in proportion to their weights (cumulative table + binary search). */
export class WeightedPicker<T> {
  readonly items: readonly T[];
  private readonly cumulative: Float64Array;
  readonly total: number;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    const kept = entries.filter(([, w]) => w > 0);
    if (kept.length === 0) throw new RangeError('a weighted choice needs at least one positive weight');
    for (const [, w] of kept) if (!Number.isFinite(w)) throw new RangeError('weights must be finite');
    this.items = kept.map(([item]) => item);
    this.cumulative = new Float64Array(kept.length);
    let sum = 0;
    kept.forEach(([, w], i) => (this.cumulative[i] = sum += w));
    this.total = sum;
  }

  pick(rng: Prng): T {
    const target = rng.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }

  /** The probability of each item, in order. */
  probabilities(): number[] {
    return Array.from(this.cumulative, (c, i) => (c - (i === 0 ? 0 : this.cumulative[i - 1]!)) / this.total);
  }
}
