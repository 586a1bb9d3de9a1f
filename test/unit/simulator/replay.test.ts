import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newestTimestamp, readLines, replayMessages, ReplayError } from '../../../services/simulator/replay.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'errpulse-replay-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe('readLines', () => {
  it('splits on LF, drops CR and blank lines, keeps the last line without a newline', async () => {
    const path = await file('lines.jsonl', 'a\r\n\n  \nb\nc');
    const lines = await collect(readLines(path));
    expect(lines.map((l) => [l.lineNo, l.bytes.toString()])).toEqual([
      [1, 'a'],
      [4, 'b'],
      [5, 'c'],
    ]);
  });

  it('keeps bytes as they are, invalid UTF-8 included', async () => {
    const bad = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const path = await file('bytes.jsonl', Buffer.concat([bad, Buffer.from('\n')]));
    const [line] = await collect(readLines(path));
    expect(line!.bytes.equals(bad)).toBe(true);
  });

  it('names the file when it cannot be read', async () => {
    await expect(collect(readLines(join(dir, 'missing.jsonl')))).rejects.toThrow(ReplayError);
    await expect(collect(readLines(join(dir, 'missing.jsonl')))).rejects.toThrow(/missing\.jsonl \(ENOENT\)/);
  });
});

describe('replayMessages', () => {
  const events = [
    { appId: 'app-a', region: 'us', code: 'ERR_UID_NOT_FOUND', timestamp: '2025-06-01T00:00:00.000Z' },
    { appId: 'app-b', region: 'eu', code: 'ERR_UID_NOT_FOUND', timestamp: Date.parse('2025-06-01T00:10:00.000Z') },
  ];
  const content = `${events.map((e) => JSON.stringify(e)).join('\n')}\nnot json\n[1,2]\n`;

  it('sends each line as it is, keyed by its appId when it has one', async () => {
    const path = await file('replay.jsonl', content);
    const messages = await collect(replayMessages(path));
    expect(messages.map((m) => m.key)).toEqual(['app-a', 'app-b', null, null]);
    expect(messages.map((m) => m.value.toString())).toEqual(content.trimEnd().split('\n'));
    expect(messages.every((m) => m.dueMs === undefined)).toBe(true);
  });

  it('with retime, moves every timestamp by the same amount so the newest is now, keeping its form', async () => {
    const path = await file('retime.jsonl', content);
    expect(await newestTimestamp(path)).toBe(Date.parse('2025-06-01T00:10:00.000Z'));
    const now = Date.parse('2026-01-01T12:00:00.000Z');
    const [a, b, garbage] = await collect(replayMessages(path, { retimeTo: now }));
    expect(JSON.parse(a!.value.toString()).timestamp).toBe('2026-01-01T11:50:00.000Z');
    expect(JSON.parse(b!.value.toString()).timestamp).toBe(now);
    expect(garbage!.value.toString()).toBe('not json');
  });

  it('spaces messages at the given rate', async () => {
    const path = await file('rate.jsonl', content);
    const messages = await collect(replayMessages(path, { ratePerSecond: 4, startMs: 1000 }));
    expect(messages.map((m) => m.dueMs)).toEqual([1000, 1250, 1500, 1750]);
  });
});
