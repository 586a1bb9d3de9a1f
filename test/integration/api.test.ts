// The query API's numbers against counts computed here, in plain TypeScript, from the seeded events
// (api-seed.ts), on an embedded (or the stack's) ClickHouse filled through the ingest row path. Also
// the token scope: a token for app-a sees app-a only, on every endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS, codesOfKind, findEntry, kindOf, tagCode } from '../../lib/catalog/index.js';
import { RANGE, SEEDED_EVENTS, SPIKE, T0, get, iso, openApiFixture, type ApiFixture, type SeededEvent } from './api-seed.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let api: ApiFixture;

beforeAll(async () => {
  api = await openApiFixture();
});
afterAll(async () => {
  await api?.close();
});

interface Point {
  t: string;
  count: number;
  perMinute: number;
}
interface Series {
  key: string;
  dimensions: Record<string, string>;
  other: boolean;
  total: number;
  points: Point[];
}

const within = (e: SeededEvent, from: number, to: number) => e.timeMs >= from && e.timeMs < to;
const categoryOf = (e: SeededEvent) => tagCode(e.code).category;
const familyOf = (e: SeededEvent) => tagCode(e.code).family;
const kindOfEvent = (e: SeededEvent) => kindOf(e.code);

/** Expected series: events of [from, to) counted per bucket and key, largest total first, ties by key. */
function expectedSeries(events: readonly SeededEvent[], from: number, to: number, stepMs: number, keyOf: (e: SeededEvent) => string) {
  const buckets = (to - from) / stepMs;
  const byKey = new Map<string, number[]>();
  for (const e of events) {
    if (!within(e, from, to)) continue;
    const key = keyOf(e);
    const counts = byKey.get(key) ?? new Array<number>(buckets).fill(0);
    counts[Math.floor((e.timeMs - from) / stepMs)]! += 1;
    byKey.set(key, counts);
  }
  return [...byKey.entries()]
    .map(([key, counts]) => ({ key, counts, total: counts.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : 1));
}

function pointsOf(counts: number[], from: number, stepMs: number): Point[] {
  return counts.map((count, i) => ({ t: iso(from + i * stepMs), count, perMinute: count / (stepMs / MINUTE) }));
}

const rangeQuery = `from=${iso(RANGE.from)}&to=${iso(RANGE.to)}`;

describe('GET /v1/rates', () => {
  it('counts per 5-minute bucket and category from the narrow rollup, every bucket present', async () => {
    const res = await get(api, `/v1/rates?${rangeQuery}&interval=5m&groupBy=category`, api.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: iso(RANGE.from), to: iso(RANGE.to), interval: '5m', source: 'error_counts_1m_by_code', groupBy: ['category'] });
    const expected = expectedSeries(SEEDED_EVENTS, RANGE.from, RANGE.to, 5 * MINUTE, categoryOf);
    expect(expected.length).toBeGreaterThan(4);
    expect(res.body.series).toEqual(
      expected.map((s) => ({ key: s.key, dimensions: { category: s.key }, other: false, total: s.total, points: pointsOf(s.counts, RANGE.from, 5 * MINUTE) })),
    );
  });

  it('keeps the top N codes and folds the rest into "other", bucket by bucket', async () => {
    const res = await get(api, `/v1/rates?${rangeQuery}&interval=5m&groupBy=code&top=3`, api.token);
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('error_counts_1m_by_code');
    const expected = expectedSeries(SEEDED_EVENTS, RANGE.from, RANGE.to, 5 * MINUTE, (e) => e.code);
    const kept = expected.slice(0, 3);
    const rest = expected.slice(3).reduce((sum, s) => sum.map((n, i) => n + (s.counts[i] as number)), new Array<number>(24).fill(0));
    const series = res.body.series as Series[];
    expect(series.map((s) => s.key)).toEqual([...kept.map((s) => s.key), 'other']);
    kept.forEach((s, i) => expect(series[i]!.points).toEqual(pointsOf(s.counts, RANGE.from, 5 * MINUTE)));
    expect(series[3]).toEqual({ key: 'other', dimensions: {}, other: true, total: rest.reduce((a, b) => a + b, 0), points: pointsOf(rest, RANGE.from, 5 * MINUTE) });
  });

  it('reads the hourly rollup for hour buckets, grouped by two dimensions', async () => {
    const res = await get(api, `/v1/rates?${rangeQuery}&interval=1h&groupBy=app,region`, api.token);
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('error_counts_1h');
    const expected = expectedSeries(SEEDED_EVENTS, RANGE.from, RANGE.to, HOUR, (e) => `${e.app} / ${e.region}`);
    expect((res.body.series as Series[]).map((s) => [s.key, s.dimensions, s.points.map((p) => p.count)])).toEqual(
      expected.map((s) => [s.key, { app: s.key.split(' / ')[0], region: s.key.split(' / ')[1] }, s.counts]),
    );
    expect((res.body.series as Series[])[0]!.points[0]!.perMinute).toBe(expected[0]!.counts[0]! / 60);
  });

  it('reads the raw events for an httpStatus filter, with code prefix patterns', async () => {
    const res = await get(api, `/v1/rates?${rangeQuery}&interval=1h&groupBy=code&httpStatus=500&code=ERR_WS_*,ERR_OPERATION_FAILED`, api.token);
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('error_events');
    const matching = SEEDED_EVENTS.filter((e) => e.httpStatus === 500 && (e.code.startsWith('ERR_WS_') || e.code === 'ERR_OPERATION_FAILED'));
    const expected = expectedSeries(matching, RANGE.from, RANGE.to, HOUR, (e) => e.code);
    expect((res.body.series as Series[]).map((s) => [s.key, s.total])).toEqual(expected.map((s) => [s.key, s.total]));
  });

  it('answers one total series with interval=auto (1 m over two hours), filtered by the deprecated family and fault', async () => {
    const res = await get(api, `/v1/rates?${rangeQuery}&family=ERR_WS&fault=server`, api.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ interval: '1m', source: 'error_counts_1m' });
    const expected = expectedSeries(SEEDED_EVENTS.filter((e) => familyOf(e) === 'ERR_WS'), RANGE.from, RANGE.to, MINUTE, () => 'total');
    expect(res.body.series).toEqual([{ key: 'total', dimensions: {}, other: false, total: expected[0]!.total, points: pointsOf(expected[0]!.counts, RANGE.from, MINUTE) }]);
  });

  it('groups by kind from the rollup by code, every kind as the catalog reviews it, unknown for the uncatalogued code', async () => {
    const res = await get(api, `/v1/rates?${rangeQuery}&interval=5m&groupBy=kind`, api.token);
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('error_counts_1m_by_code');
    const expected = expectedSeries(SEEDED_EVENTS, RANGE.from, RANGE.to, 5 * MINUTE, kindOfEvent);
    expect(expected.map((s) => s.key).sort()).toEqual(['invalid_input', 'limit', 'not_found', 'permission', 'server_failure', 'unknown']);
    expect(res.body.series).toEqual(
      expected.map((s) => ({ key: s.key, dimensions: { kind: s.key }, other: false, total: s.total, points: pointsOf(s.counts, RANGE.from, 5 * MINUTE) })),
    );
  });

  it('filters by repeated kind= values, through the dictionary where the table stores only the code', async () => {
    const kinds = new Set(['limit', 'server_failure']);
    const matching = SEEDED_EVENTS.filter((e) => kinds.has(kindOfEvent(e)));
    // No app: the rollup by code, its stored kind column.
    const narrow = await get(api, `/v1/rates?${rangeQuery}&interval=5m&groupBy=region&kind=limit&kind=server_failure`, api.token);
    expect(narrow.status).toBe(200);
    expect(narrow.body.source).toBe('error_counts_1m_by_code');
    const byRegion = expectedSeries(matching, RANGE.from, RANGE.to, 5 * MINUTE, (e) => e.region);
    expect((narrow.body.series as Series[]).map((s) => [s.key, s.points.map((p) => p.count)])).toEqual(byRegion.map((s) => [s.key, s.counts]));
    // Per code in whole hours: the hourly rollup, the kind looked up by code.
    const all = await get(api, `/v1/rates?${rangeQuery}&interval=1h&groupBy=code&kind=limit&kind=server_failure`, api.token);
    expect(all.status).toBe(200);
    expect(all.body.source).toBe('error_counts_1h');
    const expected = expectedSeries(matching, RANGE.from, RANGE.to, HOUR, (e) => e.code);
    expect((all.body.series as Series[]).map((s) => [s.key, s.points.map((p) => p.count)])).toEqual(expected.map((s) => [s.key, s.counts]));
    // One app, per minute: error_counts_1m, the kind looked up by code; combined with a category filter.
    const oneApp = await get(api, `/v1/rates?${rangeQuery}&interval=5m&groupBy=kind&app=app-b&kind=limit,server_failure&category=general,websocket,subscription`, api.token);
    expect(oneApp.status).toBe(200);
    expect(oneApp.body.source).toBe('error_counts_1m');
    const appB = expectedSeries(
      matching.filter((e) => e.app === 'app-b' && ['General', 'Websocket', 'Subscription'].includes(categoryOf(e))),
      RANGE.from, RANGE.to, 5 * MINUTE, kindOfEvent,
    );
    expect((oneApp.body.series as Series[]).map((s) => [s.key, s.points.map((p) => p.count)])).toEqual(appB.map((s) => [s.key, s.counts]));
    // The raw table (httpStatus), the kind looked up per event.
    const raw = await get(api, `/v1/rates?${rangeQuery}&interval=1h&groupBy=kind&kind=unknown&httpStatus=500,429`, api.token);
    expect(raw.body.source).toBe('error_events');
    const unknown = SEEDED_EVENTS.filter((e) => kindOfEvent(e) === 'unknown' && (e.httpStatus === 500 || e.httpStatus === 429));
    expect((raw.body.series as Series[]).map((s) => [s.key, s.total])).toEqual(expectedSeries(unknown, RANGE.from, RANGE.to, HOUR, kindOfEvent).map((s) => [s.key, s.total]));
  });

  it('refuses a kind outside the vocabulary, naming the valid ones', async () => {
    const res = await get(api, `/v1/rates?${rangeQuery}&kind=quota`, api.token);
    expect(res.status).toBe(400);
    expect(res.body.error?.message).toMatch(/kind.*limit/);
  });

  it('widens a range to whole buckets', async () => {
    const res = await get(api, `/v1/rates?from=${iso(RANGE.from + 90_000)}&to=${iso(RANGE.from + 7 * MINUTE)}&interval=5m`, api.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: iso(RANGE.from), to: iso(RANGE.from + 10 * MINUTE) });
    const expected = expectedSeries(SEEDED_EVENTS, RANGE.from, RANGE.from + 10 * MINUTE, 5 * MINUTE, () => 'total');
    expect((res.body.series as Series[])[0]!.points.map((p) => p.count)).toEqual(expected[0]!.counts);
  });
});

describe('GET /v1/top', () => {
  const window = { from: RANGE.from + HOUR, to: RANGE.to };
  const topQuery = `from=${iso(window.from)}&to=${iso(window.to)}`;

  function expectedTop(keyOf: (e: SeededEvent) => string, events: readonly SeededEvent[] = SEEDED_EVENTS) {
    const counts = new Map<string, { count: number; previous: number }>();
    for (const e of events) {
      const inWindow = within(e, window.from, window.to);
      const inPrevious = within(e, window.from - HOUR, window.from);
      if (!inWindow && !inPrevious) continue;
      const c = counts.get(keyOf(e)) ?? { count: 0, previous: 0 };
      if (inWindow) c.count++;
      else c.previous++;
      counts.set(keyOf(e), c);
    }
    const total = [...counts.values()].reduce((n, c) => n + c.count, 0);
    return { counts, total, previousTotal: [...counts.values()].reduce((n, c) => n + c.previous, 0) };
  }

  it('ranks apps by count with the previous window, change, ratio and share', async () => {
    const res = await get(api, `/v1/top?dimension=app&${topQuery}`, api.token);
    expect(res.status).toBe(200);
    const { counts, total, previousTotal } = expectedTop((e) => e.app);
    expect(res.body).toMatchObject({
      dimension: 'app',
      window: { from: iso(window.from), to: iso(window.to) },
      previousWindow: { from: iso(window.from - HOUR), to: iso(window.from) },
      source: 'error_counts_1m',
      total,
      previousTotal,
    });
    const items = [...counts.entries()]
      .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
      .map(([value, c]) => ({ value, count: c.count, previous: c.previous, change: c.count - c.previous, ratio: c.previous > 0 ? c.count / c.previous : null, share: c.count / total, description: null }));
    expect(res.body.items).toEqual(items);
  });

  it('describes codes from the catalog, unknown codes as such, and sorts by increase', async () => {
    const res = await get(api, `/v1/top?dimension=code&sort=increase&limit=20&${topQuery}`, api.token);
    expect(res.status).toBe(200);
    const { counts } = expectedTop((e) => e.code);
    const expected = [...counts.entries()]
      .filter(([, c]) => c.count > 0)
      .sort((a, b) => b[1].count - b[1].previous - (a[1].count - a[1].previous) || b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
    const items = res.body.items as Array<{ value: string; count: number; previous: number; description: string }>;
    expect(items.map((i) => [i.value, i.count, i.previous])).toEqual(expected.map(([code, c]) => [code, c.count, c.previous]));
    for (const item of items) expect(item.description).toBe(findEntry(item.value)?.description ?? 'Not in the error catalog.');
    expect(items.some((i) => i.value === 'ERR_BRAND_NEW_THING')).toBe(true);
  });

  it('ranks kinds against the previous window', async () => {
    const res = await get(api, `/v1/top?dimension=kind&${topQuery}`, api.token);
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('error_counts_1m_by_code');
    const { counts } = expectedTop(kindOfEvent);
    const expected = [...counts.entries()].filter(([, c]) => c.count > 0).sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
    expect((res.body.items as Array<{ value: string; count: number; previous: number }>).map((i) => [i.value, i.count, i.previous])).toEqual(
      expected.map(([k, c]) => [k, c.count, c.previous]),
    );
  });

  it('limits the list and reads the narrow rollup for categories', async () => {
    const res = await get(api, `/v1/top?dimension=category&limit=2&${topQuery}`, api.token);
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('error_counts_1m_by_code');
    const { counts } = expectedTop(categoryOf);
    const expected = [...counts.entries()].filter(([, c]) => c.count > 0).sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
    expect((res.body.items as Array<{ value: string; count: number }>).map((i) => [i.value, i.count])).toEqual(expected.slice(0, 2).map(([k, c]) => [k, c.count]));
  });
});

describe('GET /v1/spikes', () => {
  const inMinutes = (from: number, to: number, e: SeededEvent) => e.timeMs >= SPIKE.end - to * MINUTE && e.timeMs < SPIKE.end - from * MINUTE;
  const ofSpike = (e: SeededEvent) => e.app === SPIKE.app && e.region === SPIKE.region && e.code === SPIKE.code;

  it('reports the seeded spike once, at its most specific scope, with the shared detector', async () => {
    const res = await get(api, `/v1/spikes?at=${iso(SPIKE.end)}`, api.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ at: iso(SPIKE.end), level: 'code', scopes: 'reported' });
    expect((res.body.tests as Array<{ name: string }>).map((t) => t.name)).toEqual(['fast', 'patient', 'trend']);
    const spikes = res.body.spikes as Array<Record<string, unknown>>;
    expect(spikes.map((s) => [s.region, s.app, s.kind, s.category, s.code])).toEqual([[SPIKE.region, SPIKE.app, 'server_failure', 'Websocket', SPIKE.code]]);
    const entry = findEntry(SPIKE.code)!;
    const tests = spikes[0]!.tests as Array<{ name: string; observed: number; expected: number }>;
    // The windows count the seeded events of the last 2 and 10 complete minutes, independently counted here.
    expect(tests[0]!.observed).toBe(SEEDED_EVENTS.filter((e) => ofSpike(e) && inMinutes(0, 2, e)).length);
    expect(tests[1]!.observed).toBe(SEEDED_EVENTS.filter((e) => ofSpike(e) && inMinutes(0, 10, e)).length);
    // Its expectation is the trailing hour (35 to 95 minutes back) plus half an event, per minute.
    const trailing = (SEEDED_EVENTS.filter((e) => ofSpike(e) && inMinutes(35, 95, e)).length + 0.5) / 60;
    expect(tests[1]!.expected).toBeCloseTo(10 * trailing * Number(spikes[0]!.rhythm), 9);
    expect(spikes[0]).toMatchObject({ location: 'region_app', reported: true, meaning: entry.description.split('\n', 1)[0]!.trim() });
    expect(spikes[0]!.score).toBeGreaterThan(1);
  });

  it('lists every significant scope on request, the coarser ones not reported', async () => {
    const all = await get(api, `/v1/spikes?scopes=all&at=${iso(SPIKE.end)}`, api.token);
    const spikes = all.body.spikes as Array<{ region: string | null; app: string | null; code: string | null; reported: boolean }>;
    expect(spikes.filter((s) => s.reported)).toHaveLength(1);
    expect(spikes.length).toBeGreaterThan(1);
    for (const s of spikes) {
      expect([null, SPIKE.region]).toContain(s.region);
      expect([null, SPIKE.app]).toContain(s.app);
    }
    const byKind = await get(api, `/v1/spikes?level=kind&at=${iso(SPIKE.end)}`, api.token);
    expect((byKind.body.spikes as Array<Record<string, unknown>>).map((s) => [s.region, s.app, s.kind, s.category, s.code])).toEqual([
      [SPIKE.region, SPIKE.app, 'server_failure', null, null],
    ]);
  });

  it('finds nothing an hour earlier, and nothing for another kind', async () => {
    const earlier = await get(api, `/v1/spikes?at=${iso(SPIKE.end - HOUR)}`, api.token);
    expect(earlier.body.spikes).toEqual([]);
    const other = await get(api, `/v1/spikes?kind=limit&at=${iso(SPIKE.end)}`, api.token);
    expect(other.body.spikes).toEqual([]);
  });
});

describe('GET /v1/quota', () => {
  function expectedQuota(events: readonly SeededEvent[] = SEEDED_EVENTS) {
    const previousFrom = RANGE.from - (RANGE.to - RANGE.from);
    const apps = new Map<string, Map<string, { count: number; previous: number; first: number; last: number }>>();
    for (const e of events) {
      if (!codesOfKind('limit').includes(e.code) || !within(e, previousFrom, RANGE.to)) continue;
      const codes = apps.get(e.app) ?? new Map();
      const c = codes.get(e.code) ?? { count: 0, previous: 0, first: Infinity, last: -Infinity };
      if (e.timeMs >= RANGE.from) {
        c.count++;
        c.first = Math.min(c.first, e.timeMs);
        c.last = Math.max(c.last, e.timeMs);
      } else c.previous++;
      codes.set(e.code, c);
      apps.set(e.app, codes);
    }
    return apps;
  }

  it('ranks apps by plan-limit errors with trend and first/last seen to the millisecond', async () => {
    const res = await get(api, `/v1/quota?${rangeQuery}`, api.token);
    expect(res.status).toBe(200);
    expect(res.body.codes).toEqual(codesOfKind('limit').map((code) => ({ code, description: findEntry(code)!.description })));
    const expected = [...expectedQuota().entries()]
      .map(([app, codes]) => {
        const list = [...codes.values()];
        const count = list.reduce((n, c) => n + c.count, 0);
        const previous = list.reduce((n, c) => n + c.previous, 0);
        const seen = list.filter((c) => c.count > 0);
        return {
          app,
          count,
          previous,
          change: count - previous,
          ratio: previous > 0 ? count / previous : null,
          firstSeen: seen.length ? iso(Math.min(...seen.map((c) => c.first))) : null,
          lastSeen: seen.length ? iso(Math.max(...seen.map((c) => c.last))) : null,
          codes: [...codes.entries()]
            .map(([code, c]) => ({
              code,
              count: c.count,
              previous: c.previous,
              change: c.count - c.previous,
              ratio: c.previous > 0 ? c.count / c.previous : null,
              firstSeen: c.count > 0 ? iso(c.first) : null,
              lastSeen: c.count > 0 ? iso(c.last) : null,
            }))
            .sort((a, b) => b.count - a.count || b.previous - a.previous || a.code.localeCompare(b.code)),
        };
      })
      .sort((a, b) => b.count - a.count || a.app.localeCompare(b.app));
    expect(res.body.apps).toEqual(expected);
    // The event exactly at RANGE.from counts; the one exactly at RANGE.to does not.
    const appB = (res.body.apps as Array<{ app: string; firstSeen: string }>).find((a) => a.app === 'app-b');
    expect(appB?.firstSeen).toBe(iso(RANGE.from));
  });

  it('limits the number of apps to the most affected', async () => {
    const res = await get(api, `/v1/quota?${rangeQuery}&limit=1`, api.token);
    const full = await get(api, `/v1/quota?${rangeQuery}`, api.token);
    expect(res.body.apps).toEqual((full.body.apps as unknown[]).slice(0, 1));
  });
});

describe('GET /v1/events', () => {
  const byNewest = (a: SeededEvent, b: SeededEvent) =>
    b.timeMs - a.timeMs ||
    (a.eventId === b.eventId ? 0 : a.eventId < b.eventId ? 1 : -1) ||
    (a.topic === b.topic ? 0 : a.topic < b.topic ? 1 : -1) ||
    b.partition - a.partition ||
    b.offset - a.offset;

  it('pages newest first through every matching event, exactly once, across timestamp ties', async () => {
    const expected = SEEDED_EVENTS.filter((e) => e.app === 'app-b' && within(e, RANGE.from, RANGE.to)).sort(byNewest);
    expect(expected.filter((e) => e.eventId === 'evt-retried')).toHaveLength(3);
    const seen: Array<{ eventId: string; kafka: { partition: number; offset: string } }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(api, `/v1/events?app=app-b&${rangeQuery}&limit=7${cursor ? `&cursor=${cursor}` : ''}`, api.token);
      expect(res.status).toBe(200);
      const events = res.body.events as typeof seen;
      expect(events.length).toBeLessThanOrEqual(7);
      seen.push(...events);
      cursor = res.body.nextCursor as string | null;
      pages++;
      expect(pages).toBeLessThanOrEqual(Math.ceil(expected.length / 7) + 1);
    } while (cursor !== null);
    expect(seen.map((e) => `${e.eventId}@${e.kafka.partition}:${e.kafka.offset}`)).toEqual(expected.map((e) => `${e.eventId}@${e.partition}:${e.offset}`));
  });

  it('filters events by kind through the catalog', async () => {
    const expected = SEEDED_EVENTS.filter((e) => kindOfEvent(e) === 'limit' && e.app === 'app-a' && within(e, RANGE.from, RANGE.to)).sort(byNewest);
    const res = await get(api, `/v1/events?app=app-a&kind=limit&${rangeQuery}&limit=1000`, api.token);
    expect(res.status).toBe(200);
    expect((res.body.events as Array<{ eventId: string; code: string }>).map((e) => `${e.eventId}/${e.code}`)).toEqual(expected.map((e) => `${e.eventId}/${e.code}`));
    expect(expected.length).toBeGreaterThan(0);
  });

  it('returns every stored field of an event', async () => {
    const newest = SEEDED_EVENTS.filter((e) => e.code === 'ERR_BRAND_NEW_THING' && within(e, RANGE.from, RANGE.to)).sort(byNewest)[0]!;
    const res = await get(api, `/v1/events?code=ERR_BRAND_NEW_THING&${rangeQuery}&limit=1`, api.token);
    expect((res.body.events as unknown[])[0]).toEqual({
      eventId: newest.eventId,
      time: iso(newest.timeMs),
      app: newest.app,
      region: newest.region,
      code: 'ERR_BRAND_NEW_THING',
      category: 'Unknown',
      family: 'ERR_BRAND',
      fault: 'unknown',
      known: false,
      httpStatus: newest.httpStatus,
      method: 'GET',
      route: '/v1/things',
      apiVersion: '',
      requestId: '',
      uid: '',
      sdk: '',
      message: 'seeded ERR_BRAND_NEW_THING',
      latencyMs: null,
      kafka: { topic: newest.topic, partition: newest.partition, offset: String(newest.offset) },
    });
    expect(res.body.nextCursor).toEqual(expect.any(String));
  });
});

describe('a token scoped to app-a', () => {
  const appA = SEEDED_EVENTS.filter((e) => e.app === 'app-a');

  it('sees only app-a in rates, through the per-app rollup', async () => {
    const res = await get(api, `/v1/rates?${rangeQuery}&interval=5m&groupBy=category`, api.scopedToken);
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('error_counts_1m');
    const expected = expectedSeries(appA, RANGE.from, RANGE.to, 5 * MINUTE, categoryOf);
    expect((res.body.series as Series[]).map((s) => [s.key, s.points.map((p) => p.count)])).toEqual(expected.map((s) => [s.key, s.counts]));
    const byApp = await get(api, `/v1/rates?${rangeQuery}&groupBy=app`, api.scopedToken);
    expect((byApp.body.series as Series[]).map((s) => s.key)).toEqual(['app-a']);
  });

  it('is refused with AUTH_ERR_NO_ACCESS when it names another app', async () => {
    for (const url of [
      `/v1/rates?app=app-b`,
      `/v1/rates?app=app-a,app-b`,
      `/v1/top?app=app-c`,
      `/v1/spikes?app=app-c`,
      `/v1/quota?app=app-b`,
      `/v1/events?app=app-b`,
    ]) {
      const res = await get(api, url, api.scopedToken);
      expect([url, res.status, res.body.error?.code]).toEqual([url, 403, 'AUTH_ERR_NO_ACCESS']);
      expect(res.body.error?.message).toContain("'app-");
    }
  });

  it('sees only app-a in top, quota, events and spikes', async () => {
    const top = await get(api, `/v1/top?dimension=app&${rangeQuery}`, api.scopedToken);
    expect((top.body.items as Array<{ value: string; count: number }>).map((i) => [i.value, i.count])).toEqual([
      ['app-a', appA.filter((e) => within(e, RANGE.from, RANGE.to)).length],
    ]);
    const quota = await get(api, `/v1/quota?${rangeQuery}`, api.scopedToken);
    expect((quota.body.apps as Array<{ app: string }>).map((a) => a.app)).toEqual(['app-a']);
    const events = await get(api, `/v1/events?${rangeQuery}&limit=1000`, api.scopedToken);
    const apps = new Set((events.body.events as Array<{ app: string }>).map((e) => e.app));
    expect([...apps]).toEqual(['app-a']);
    expect((events.body.events as unknown[]).length).toBe(appA.filter((e) => within(e, RANGE.from, RANGE.to)).length);
    // The seeded spike belongs to app-c: the unscoped token sees it, this one does not.
    const spikes = await get(api, `/v1/spikes?at=${iso(SPIKE.end)}`, api.scopedToken);
    expect(spikes.status).toBe(200);
    expect(spikes.body.spikes).toEqual([]);
    const all = await get(api, `/v1/spikes?scopes=all&at=${iso(SPIKE.end)}`, api.scopedToken);
    for (const s of all.body.spikes as Array<{ app: string | null }>) expect(s.app).not.toBe(SPIKE.app);
  });

  it('sees the whole catalog, which is no app’s data', async () => {
    const res = await get(api, '/v1/catalog', api.scopedToken);
    expect((res.body.entries as unknown[]).length).toBe(116);
  });

  it('filters the catalog by kind and names every kind with its meaning', async () => {
    const res = await get(api, '/v1/catalog?kind=limit&kind=auth&category=subscription', api.token);
    expect(res.status).toBe(200);
    expect((res.body.entries as Array<{ code: string; kind: string }>).map((e) => [e.code, e.kind])).toEqual(
      codesOfKind('limit').filter((c) => findEntry(c)!.category === 'Subscription').map((c) => [c, 'limit']),
    );
    const kinds = res.body.kinds as Array<{ name: string; codes: number; meaning: string }>;
    expect(kinds.map((k) => [k.name, k.codes])).toEqual(KINDS.map((k) => [k, codesOfKind(k).length]));
  });
});

describe('time defaults', () => {
  it('reads the last 24 hours when from and to are left out', async () => {
    const res = await get(api, '/v1/rates?interval=1h', api.token);
    expect(res.status).toBe(200);
    const from = Date.parse(res.body.from as string);
    const to = Date.parse(res.body.to as string);
    expect(to - from).toBeGreaterThanOrEqual(24 * HOUR);
    expect(to - from).toBeLessThanOrEqual(26 * HOUR);
    const seededInside = SEEDED_EVENTS.filter((e) => within(e, from, to)).length;
    expect((res.body.series as Series[])[0]!.total).toBe(seededInside);
    expect(T0).toBeGreaterThan(from);
  });
});
