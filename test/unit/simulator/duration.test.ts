import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../../../services/simulator/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90', 90_000],
    ['1.5', 1_500],
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['250ms', 250],
    [' 5m ', 300_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'm', '10 minutes', '-5m', '5x', '1h-30m'])('refuses %j with an example of what works', (text) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
    expect(() => parseDuration(text)).toThrow(/e\.g\. 90s, 10m/);
  });
});

describe('formatDuration', () => {
  it('writes the largest units first and leaves out zeros', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(3_900_000)).toBe('1h 5m');
    expect(formatDuration(90_061_000)).toBe('1d 1h 1m 1s');
  });
});
