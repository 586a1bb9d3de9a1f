// The web console's pure parts, run in Node: number formatting, the URL state every page shares, and
// which series a click on a chart picks. What a person sees in a browser is in test/integration/console.test.ts.
import { describe, expect, it } from 'vitest';
import { seriesAt } from '../../../web/src/chart.js';
import { human, percent, perMinute, ratio, signed } from '../../../web/src/format.js';
import { apiFilters, filtersOf, hrefFor, parseHash } from '../../../web/src/route.js';

describe('numbers for people', () => {
  it('shortens large counts and keeps small ones readable', () => {
    expect([0, 7, 12.345, 99.5, 950, 1_234, 12_345, 1_234_567, 3_400_000_000].map(human)).toEqual(['0', '7', '12.3', '99.5', '950', '1.2k', '12k', '1.2M', '3.4B']);
    expect(human(0.25)).toBe('0.25');
    expect(human(null)).toBe('–');
    expect(human(Number.NaN)).toBe('–');
    expect(perMinute(1_234)).toBe('1.2k/min');
  });

  it('shows changes with their sign and ratios against a previous period', () => {
    expect(signed(1_500)).toBe('+1.5k');
    expect(signed(-20)).toBe('−20');
    expect(signed(0)).toBe('0');
    expect(ratio(2.5)).toBe('×2.5');
    expect(ratio(null)).toBe('new');
    expect(percent(0.291)).toBe('29 %');
    expect(percent(0.013)).toBe('1.3 %');
  });
});

describe('the view in the URL fragment', () => {
  it('reads the page, its argument and the shared filters', () => {
    const view = parseHash('#/app/shop-eu.prod?from=now-6h&code=ERR_WS_*&region=eu');
    expect(view.page).toBe('app');
    expect(view.arg).toBe('shop-eu.prod');
    const f = filtersOf(view.params);
    expect(f).toMatchObject({ from: 'now-6h', to: 'now', code: 'ERR_WS_*', region: 'eu', app: '', refreshMs: 30_000 });
    expect(apiFilters(f)).toEqual({ code: 'ERR_WS_*', region: 'eu' });
  });

  it('falls back to the overview for anything else, including a login fragment', () => {
    expect(parseHash('').page).toBe('overview');
    expect(parseHash('#/nope').page).toBe('overview');
    expect(parseHash('#token=ep_x').page).toBe('overview');
  });

  it('carries the shared filters to another page and drops the page-only ones', () => {
    const { params } = parseHash('#/overview?from=now-24h&app=a&split=region&refresh=off');
    expect(hrefFor('events', '', params, { code: 'ERR_X' })).toBe('#/events?from=now-24h&app=a&refresh=off&code=ERR_X');
    expect(hrefFor('overview', '', params, { split: 'fault' }, true)).toBe('#/overview?from=now-24h&app=a&split=fault&refresh=off');
    expect(hrefFor('app', 'shop/1', params, { app: null })).toBe('#/app/shop%2F1?from=now-24h&refresh=off');
    expect(filtersOf(params).refreshMs).toBe(0);
  });
});

describe('the series under a click', () => {
  // Three series of per-minute rates at one bucket: 5, 3 and 2, stacked to 5, 8 and 10.
  const stacked = [[5], [8], [10]];
  it('in a stack, is the band the cursor is in', () => {
    expect(seriesAt(stacked, 0, 1, true)).toBe(0);
    expect(seriesAt(stacked, 0, 6, true)).toBe(1);
    expect(seriesAt(stacked, 0, 9.9, true)).toBe(2);
    expect(seriesAt(stacked, 0, 11, true)).toBe(-1);
  });
  it('between lines, is the nearest line', () => {
    expect(seriesAt([[5], [3], [2]], 0, 2.4, false)).toBe(2);
    expect(seriesAt([[5], [3], [2]], 0, 4.5, false)).toBe(0);
  });
});
