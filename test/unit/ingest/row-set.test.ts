import { describe, expect, it } from 'vitest';
import { RowSet } from '../../../services/ingest/batch/row-set.js';

describe('RowSet', () => {
  it('keeps every row in order across chunks, as one text and as lines', () => {
    const rows = new RowSet();
    const n = 1_300; // more than two chunks
    for (let i = 0; i < n; i++) rows.add(`row ${i}\n`, 1_000 + i, i % 3 === 0 ? null : Buffer.from(`k${i}`), Buffer.from(`value ${i}`));
    expect(rows.count).toBe(n);
    const text = rows.text();
    expect(text.length).toBeLessThan(5);
    expect(text.join('')).toBe(Array.from({ length: n }, (_, i) => `row ${i}\n`).join(''));
    expect(rows.lines(599, 602)).toEqual(['row 599\n', 'row 600\n', 'row 601\n']);
    expect(rows.lines(0, n)).toHaveLength(n);
    expect(rows.offset(1_299)).toBe(2_299);
    expect(rows.key(0)).toBeNull();
    expect(rows.key(1)?.toString()).toBe('k1');
    expect(rows.value(777)?.toString()).toBe('value 777');
    expect(() => rows.offset(n)).toThrow(RangeError);
  });

  it('copies the bytes, so the source buffers can be reused or freed', () => {
    const rows = new RowSet();
    const source = Buffer.from('original');
    rows.add('x\n', 0, null, source);
    source.write('CHANGED!');
    expect(rows.value(0)?.toString()).toBe('original');
  });

  it('keeps bytes intact across its storage blocks, including one larger than a block', () => {
    const rows = new RowSet();
    const values = Array.from({ length: 40 }, (_, i) => Buffer.alloc(i === 20 ? 3 * 1024 * 1024 : 50_000, i));
    values.forEach((v, i) => rows.add('x\n', i, Buffer.from([i]), v));
    values.forEach((v, i) => {
      expect(rows.value(i)?.equals(v), `value ${i}`).toBe(true);
      expect(rows.key(i)?.[0]).toBe(i);
    });
  });

  it('sees rows added after its text was read', () => {
    const rows = new RowSet();
    rows.add('a\n', 0, null, null);
    expect(rows.lines(0, 1)).toEqual(['a\n']);
    rows.add('b\n', 1, null, null);
    expect(rows.lines(0, 2)).toEqual(['a\n', 'b\n']);
    expect(rows.text().join('')).toBe('a\nb\n');
  });
});
