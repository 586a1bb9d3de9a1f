import { describe, expect, it } from 'vitest';
import { createRateMeter, createStatusLine, formatCount } from '../../lib/status-line.js';

function output(isTTY: boolean) {
  let text = '';
  return { isTTY, columns: 40, write: (s: string) => ((text += s), true), text: () => text };
}

describe('createStatusLine', () => {
  it('redraws one line in place on a terminal and keeps printed lines above it', () => {
    const out = output(true);
    const status = createStatusLine(out);
    status.update('1 sent');
    status.update('2 sent');
    status.print('note');
    status.done();
    expect(out.text()).toBe('\r\x1b[2K1 sent\r\x1b[2K2 sent\r\x1b[2Knote\n2 sent\n');
  });

  it('shortens a status longer than the terminal is wide', () => {
    const out = output(true);
    createStatusLine(out).update('x'.repeat(100));
    expect(out.text()).toBe(`\r\x1b[2K${'x'.repeat(38)}…`);
  });

  it('prints plain lines at most every interval elsewhere, and the final state at the end', () => {
    const out = output(false);
    let now = 0;
    const status = createStatusLine(out, { plainEveryMs: 10_000, now: () => now });
    status.update('a');
    now = 5_000;
    status.update('b');
    now = 10_000;
    status.update('c');
    now = 11_000;
    status.update('d');
    status.done();
    expect(out.text()).toBe('a\nc\nd\n');
  });
});

describe('createRateMeter', () => {
  it('measures the rate over the recent window', () => {
    const meter = createRateMeter(5_000);
    expect(meter(0, 0)).toBe(0);
    expect(meter(100, 1_000)).toBe(100);
    expect(meter(1100, 6_000)).toBeCloseTo(1000 / 5, 5);
  });
});

describe('formatCount', () => {
  it('groups thousands', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(999.6)).toBe('1,000');
  });
});
