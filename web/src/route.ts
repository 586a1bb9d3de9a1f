// The view lives in the URL fragment (#/page/arg?from=now-1h&app=a), so a link reproduces it and the
// server only ever serves "/". The fragment never reaches the server, its logs or a Referer.
import { useEffect, useState } from 'preact/hooks';

export const PAGES = ['overview', 'spikes', 'movers', 'app', 'quota', 'events', 'catalog'] as const;
export type Page = (typeof PAGES)[number];

/** Filters and range every page shares, in the order they appear in a URL. */
export const SHARED = ['from', 'to', 'app', 'region', 'category', 'kind', 'code', 'refresh'] as const;
export const DEFAULT_RANGE = { from: 'now-1h', to: 'now' };
export const RANGE_PRESETS = [
  { label: 'Last 15 min', from: 'now-15m' },
  { label: 'Last 1 h', from: 'now-1h' },
  { label: 'Last 6 h', from: 'now-6h' },
  { label: 'Last 24 h', from: 'now-24h' },
  { label: 'Last 7 d', from: 'now-7d' },
] as const;
export const REFRESH_CHOICES = [
  { label: 'Refresh off', value: 'off', ms: 0 },
  { label: 'Every 15 s', value: '15s', ms: 15_000 },
  { label: 'Every 30 s', value: '30s', ms: 30_000 },
  { label: 'Every 1 min', value: '1m', ms: 60_000 },
  { label: 'Every 5 min', value: '5m', ms: 300_000 },
] as const;
export const DEFAULT_REFRESH = '30s';

export interface View {
  page: Page;
  arg: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): View {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const path = q === -1 ? body : body.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : body.slice(q + 1));
  const [first = '', ...rest] = path.split('/');
  const page = (PAGES as readonly string[]).includes(first) ? (first as Page) : 'overview';
  return { page, arg: decodeURIComponent(rest.join('/')), params };
}

/** A fragment for `page`, keeping the shared parameters of `from` and applying `changes` (null removes). */
export function hrefFor(page: Page, arg: string, base: URLSearchParams, changes: Record<string, string | null> = {}, keepPageParams = false): string {
  const params = new URLSearchParams();
  for (const [name, value] of base) if (keepPageParams || (SHARED as readonly string[]).includes(name)) params.set(name, value);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === '') params.delete(name);
    else params.set(name, value);
  }
  const qs = params.toString();
  return `#/${page}${arg ? `/${encodeURIComponent(arg)}` : ''}${qs ? `?${qs}` : ''}`;
}

export function useView(): View {
  const [view, setView] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setView(parseHash(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return view;
}

export interface Filters {
  from: string;
  to: string;
  app: string;
  region: string;
  category: string;
  kind: string;
  code: string;
  refreshMs: number;
}

export function filtersOf(params: URLSearchParams): Filters {
  const refresh = params.get('refresh') ?? DEFAULT_REFRESH;
  return {
    from: params.get('from') || DEFAULT_RANGE.from,
    to: params.get('to') || DEFAULT_RANGE.to,
    app: params.get('app') ?? '',
    region: params.get('region') ?? '',
    category: params.get('category') ?? '',
    kind: params.get('kind') ?? '',
    code: params.get('code') ?? '',
    refreshMs: REFRESH_CHOICES.find((c) => c.value === refresh)?.ms ?? 30_000,
  };
}

/** The filters as /v1 query parameters (the API takes comma lists and `now-1h` itself). */
export function apiFilters(f: Filters, only: readonly ('app' | 'region' | 'category' | 'kind' | 'code')[] = ['app', 'region', 'category', 'kind', 'code']) {
  const out: Record<string, string> = {};
  for (const name of only) if (f[name]) out[name] = f[name];
  return out;
}
