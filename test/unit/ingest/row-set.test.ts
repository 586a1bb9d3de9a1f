import { describe, expect, it } from 'vitest';
import { RowSet, type RowBytes } from '../../../services/ingest/batch/row-set.js';

const line = (text: string): RowBytes => (w) => w.raw(text);
const joined = (pieces: readonly Buffer[]) => Buffer.concat(pieces).toString();

describe('RowSet', () => {
  it('keeps every row in order across blocks, all together and as any range', () => {
    const rows = new RowSet();
    const n = 300_000; // several blocks
    for (let i = 0; i < n; i++) rows.add(line(`row ${i}\n`), 1_000 + i, i % 3 === 0 ? null : Buffer.from(`k${i}`), Buffer.from(`value ${i}`));
    expect(rows.count).toBe(n);
    const all = Array.from({ length: n }, (_, i) => `row ${i}\n`);
    expect(rows.data().length).toBeGreaterThan(1);
    expect(rows.data().length).toBeLessThan(10);
    expect(joined(rows.data())).toBe(all.join(''));
    expect(joined(rows.slice(599, 602))).toBe('row 599\nrow 600\nrow 601\n');
    // Ranges across a block boundary, and the halves an isolating insert sends.
    expect(joined(rows.slice(100_000, 200_000))).toBe(all.slice(100_000, 200_000).join(''));
    expect(joined(rows.slice(0, n / 2)) + joined(rows.slice(n / 2, n))).toBe(all.join(''));
    expect(rows.offset(1_299)).toBe(2_299);
    expect(rows.key(0)).toBeNull();
    expect(rows.key(1)?.toString()).toBe('k1');
    expect(rows.value(777)?.toString()).toBe('value 777');
    expect(() => rows.offset(n)).toThrow(RangeError);
  });

  it('copies the bytes, so the source buffers can be reused or freed', () => {
    const rows = new RowSet();
    const source = Buffer.from('original');
    rows.add(line('x\n'), 0, null, source);
    source.write('CHANGED!');
    expect(rows.value(0)?.toString()).toBe('original');
  });

  it('keeps bytes intact across its storage blocks, including one larger than a block', () => {
    const rows = new RowSet();
    const values = Array.from({ length: 40 }, (_, i) => Buffer.alloc(i === 20 ? 3 * 1024 * 1024 : 50_000, i));
    values.forEach((v, i) => rows.add(line('x\n'), i, Buffer.from([i]), v));
    values.forEach((v, i) => {
      expect(rows.value(i)?.equals(v), `value ${i}`).toBe(true);
      expect(rows.key(i)?.[0]).toBe(i);
    });
  });

  it('sees rows added after its bytes were read', () => {
    const rows = new RowSet();
    rows.add(line('a\n'), 0, null, null);
    expect(joined(rows.slice(0, 1))).toBe('a\n');
    rows.add(line('b\n'), 1, null, null);
    expect(joined(rows.slice(0, 2))).toBe('a\nb\n');
    expect(joined(rows.slice(1, 2))).toBe('b\n');
    expect(joined(rows.data())).toBe('a\nb\n');
  });
});
