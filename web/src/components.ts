// The frame every page shares: navigation, the time range, the filters, refresh and "data as of".
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, onAnswer } from './api.js';
import { useData } from './data.js';
import { clock, toLocalInput } from './format.js';
import { RANGE_PRESETS, REFRESH_CHOICES, DEFAULT_REFRESH, filtersOf, hrefFor, type Page, type View } from './route.js';

const NAV: { page: Page; label: string }[] = [
  { page: 'overview', label: 'Overview' },
  { page: 'spikes', label: 'Spikes now' },
  { page: 'movers', label: 'Top movers' },
  { page: 'app', label: 'Apps' },
  { page: 'quota', label: 'Quota' },
  { page: 'events', label: 'Events' },
  { page: 'catalog', label: 'Catalog' },
];

export function go(href: string): void {
  location.hash = href.slice(1);
}

export function ErrorNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  const code = error instanceof ApiError ? `${error.code}: ` : '';
  return html`<p class="error" role="alert">${code}${error.message}</p>`;
}

export function Loading({ loading }: { loading: boolean }) {
  return loading ? html`<span class="loading" aria-live="polite">loading…</span>` : null;
}

function DataAsOf() {
  const [at, setAt] = useState<Date | null>(null);
  useEffect(() => onAnswer((d) => setAt(new Date(d))), []);
  return html`<span class="as-of" aria-live="polite" data-testid="as-of">${at ? `data as of ${clock(at)}` : 'no data yet'}</span>`;
}

/** Apps, regions, categories and codes the filter inputs suggest; a scoped token only sees its apps. */
function Suggestions() {
  const { data } = useData(
    'suggestions',
    async (signal) => {
      const [apps, regions, catalog] = await Promise.all([
        get('top', { dimension: 'app', from: 'now-24h', limit: 200 }, signal),
        get('top', { dimension: 'region', from: 'now-24h', limit: 50 }, signal),
        get('catalog', {}, signal),
      ]);
      const families = [...new Set(catalog.entries.map((e) => `${e.family}_*`))];
      return {
        apps: apps.items.map((i) => i.value),
        regions: regions.items.map((i) => i.value),
        categories: [...catalog.categories.map((c) => c.name), 'Unknown'],
        kinds: [...new Set(catalog.entries.flatMap((e) => (e.kind ? [String(e.kind)] : [])))],
        codes: [...families, ...catalog.entries.map((e) => e.code)],
      };
    },
    0,
  );
  const list = (id: string, values: string[] | undefined) => html`<datalist id=${id}>${(values ?? []).map((v) => html`<option value=${v}></option>`)}</datalist>`;
  return html`${list('dl-apps', data?.apps)}${list('dl-regions', data?.regions)}${list('dl-categories', data?.categories)}${list('dl-kinds', data?.kinds)}${list('dl-codes', data?.codes)}`;
}

function RangePicker({ view }: { view: View }) {
  const f = filtersOf(view.params);
  const preset = f.to === 'now' ? RANGE_PRESETS.find((p) => p.from === f.from) : undefined;
  const [custom, setCustom] = useState(!preset);
  useEffect(() => setCustom(!preset), [view.params.toString()]);
  const apply = (changes: Record<string, string | null>) => go(hrefFor(view.page, view.arg, view.params, changes, true));
  const onPreset = (e: Event) => {
    const value = (e.target as HTMLSelectElement).value;
    if (value === 'custom') setCustom(true);
    else apply({ from: value, to: null });
  };
  const onAbsolute = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const from = new Date(String(form.get('from')));
    const to = new Date(String(form.get('to')));
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) return;
    apply({ from: from.toISOString(), to: to.toISOString() });
  };
  const nowIso = new Date().toISOString();
  return html`<div class="range">
    <label>Time range
      <select data-testid="range" onChange=${onPreset} value=${custom ? 'custom' : (preset?.from ?? 'custom')}>
        ${RANGE_PRESETS.map((p) => html`<option value=${p.from}>${p.label}</option>`)}
        <option value="custom">Absolute…</option>
      </select>
    </label>
    ${custom
      ? html`<form class="absolute" onSubmit=${onAbsolute}>
          <label>From <input type="datetime-local" name="from" required value=${toLocalInput(f.from.startsWith('now') ? nowIso : f.from)} /></label>
          <label>To <input type="datetime-local" name="to" required value=${toLocalInput(f.to.startsWith('now') ? nowIso : f.to)} /></label>
          <button type="submit">Apply</button>
        </form>`
      : null}
  </div>`;
}

function FilterBar({ view }: { view: View }) {
  const f = filtersOf(view.params);
  const onSubmit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const value = (name: string) => String(form.get(name) ?? '').trim().replace(/\s*,\s*/g, ',');
    go(hrefFor(view.page, view.arg, view.params, { app: value('app'), region: value('region'), category: value('category'), kind: value('kind'), code: value('code').toUpperCase() }, true));
  };
  const clear = () => go(hrefFor(view.page, view.arg, view.params, { app: null, region: null, category: null, kind: null, code: null }, true));
  const any = f.app || f.region || f.category || f.kind || f.code;
  return html`<form class="filters" onSubmit=${onSubmit} aria-label="Filters" key=${view.params.toString()}>
    <label>App <input name="app" list="dl-apps" value=${f.app} placeholder="any" size="12" /></label>
    <label>Region <input name="region" list="dl-regions" value=${f.region} placeholder="any" size="6" /></label>
    <label>Category <input name="category" list="dl-categories" value=${f.category} placeholder="any" size="12" /></label>
    <label>Kind <input name="kind" list="dl-kinds" value=${f.kind} placeholder="any" size="10" /></label>
    <label>Code <input name="code" list="dl-codes" value=${f.code} placeholder="any, or ERR_WS_*" size="16" /></label>
    <button type="submit">Apply</button>
    ${any ? html`<button type="button" class="link" onClick=${clear}>Clear filters</button>` : null}
  </form>`;
}

export function Header({ view, onLogout }: { view: View; onLogout: () => void }) {
  const refresh = view.params.get('refresh') ?? DEFAULT_REFRESH;
  // Suggestions cost three requests; they wait until someone reaches for a filter, off the first view's path.
  const [suggest, setSuggest] = useState(false);
  return html`<header class="top">
    <a class="skip" href="#main" onClick=${(e: Event) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
    <div class="bar">
      <strong class="brand">errpulse</strong>
      <nav aria-label="Pages">
        ${NAV.map((n) => html`<a href=${hrefFor(n.page, '', view.params)} aria-current=${view.page === n.page ? 'page' : undefined}>${n.label}</a>`)}
      </nav>
      <span class="spacer"></span>
      <${DataAsOf} />
      <label class="sr-label">Auto refresh
        <select data-testid="refresh" value=${refresh} onChange=${(e: Event) => go(hrefFor(view.page, view.arg, view.params, { refresh: (e.target as HTMLSelectElement).value }, true))}>
          ${REFRESH_CHOICES.map((c) => html`<option value=${c.value}>${c.label}</option>`)}
        </select>
      </label>
      <button type="button" onClick=${onLogout}>Log out</button>
    </div>
    <div class="bar tools" onFocusIn=${() => setSuggest(true)}>
      <${RangePicker} view=${view} />
      <${FilterBar} view=${view} />
    </div>
    ${suggest ? html`<${Suggestions} />` : null}
  </header>`;
}

/** A figure with a label, for the summary cards. */
export function Stat({ label, value, note }: { label: string; value: string; note?: string }) {
  return html`<div class="stat"><div class="stat-label">${label}</div><div class="stat-value">${value}</div>${note ? html`<div class="stat-note">${note}</div>` : null}</div>`;
}

/** Rows of a table fade while the next answer loads, rather than vanishing. */
export function Section({ title, loading, children, actions }: { title: string; loading?: boolean; children?: unknown; actions?: unknown }) {
  return html`<section class=${`card${loading ? ' busy' : ''}`} aria-busy=${loading ? 'true' : 'false'}>
    <div class="card-head"><h2>${title}</h2>${actions ?? null}</div>
    ${children}
  </section>`;
}
