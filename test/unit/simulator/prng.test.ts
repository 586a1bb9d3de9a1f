import { describe, expect, it } from 'vitest';
import { createPrng, MAX_SEED, WeightedPicker } from '../../../services/simulator/prng.js';

const draw = (seed: number, stream = 0, n = 5) => {
  const rng = createPrng(seed, stream);
  return Array.from({ length: n }, () => rng.next());
};

describe('createPrng', () => {
  it('gives the same sequence for the same seed and stream', () => {
    expect(draw(42)).toEqual(draw(42));
    expect(draw(MAX_SEED, 3)).toEqual(draw(MAX_SEED, 3));
  });

  it('gives different sequences for different seeds and for different streams of one seed', () => {
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42, 0)).not.toEqual(draw(42, 1));
  });

  it('draws uniformly in [0, 1)', () => {
    const rng = createPrng(1);
    const n = 100_000;
    const buckets = new Array<number>(10).fill(0);
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.next();
      min = Math.min(min, x);
      max = Math.max(max, x);
      buckets[Math.floor(x * 10)]!++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // Each bucket expects 10 000 with a standard deviation of ~95; 6σ bounds.
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(600);
  });

  it('draws exponential waits with the asked mean and normals with mean 0 and variance 1', () => {
    const rng = createPrng(9);
    const n = 50_000;
    let sumExp = 0;
    let sumN = 0;
    let sumN2 = 0;
    for (let i = 0; i < n; i++) {
      sumExp += rng.exponential(4);
      const z = rng.normal();
      sumN += z;
      sumN2 += z * z;
    }
    expect(sumExp / n).toBeCloseTo(0.25, 2);
    expect(sumN / n).toBeCloseTo(0, 1);
    expect(sumN2 / n).toBeCloseTo(1, 1);
  });

  it('makes hex strings of the asked length', () => {
    const rng = createPrng(5);
    expect(rng.hex(3)).toMatch(/^[0-9a-f]{6}$/);
    expect(rng.hex(16)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses seeds that are not unsigned 32-bit integers', () => {
    for (const bad of [-1, 1.5, MAX_SEED + 1, Number.NaN]) expect(() => createPrng(bad)).toThrow(RangeError);
  });
});

describe('WeightedPicker', () => {
  it('picks in proportion to the weights and never picks a zero weight', () => {
    const picker = new WeightedPicker([
      ['a', 1],
      ['never', 0],
      ['b', 3],
    ] as const);
    expect(picker.items).toEqual(['a', 'b']);
    expect(picker.probabilities()).toEqual([0.25, 0.75]);
    const rng = createPrng(3);
    let b = 0;
    const n = 40_000;
    for (let i = 0; i < n; i++) if (picker.pick(rng) === 'b') b++;
    expect(b / n).toBeCloseTo(0.75, 2);
  });

  it('refuses an empty choice and non-finite weights', () => {
    expect(() => new WeightedPicker([['a', 0]])).toThrow(/positive weight/);
    expect(() => new WeightedPicker([['a', Infinity]])).toThrow(/finite/);
  });
});
