// Overview: the error rate stacked by a dimension, the region and client/server splits, totals and
// the codes the catalog does not know.
import { html } from 'htm/preact';
import { ApiError, get } from '../api.js';
import { Chart, colourOf } from '../chart.js';
import { ErrorNote, Section, Stat, go } from '../components.js';
import { useData } from '../data.js';
import { count, human, percent, perMinute, signed } from '../format.js';
import { apiFilters, filtersOf, hrefFor, type View } from '../route.js';
import type { Rates } from '../types.js';
import { eventsHref } from './links.js';

// family is deprecated by the API in favour of kind (decision 0006), so the console does not offer it.
const SPLITS = ['category', 'kind', 'fault', 'region', 'code', 'app'] as const;

// groupBy=kind arrives with the catalog's kinds; ask once whether this API has it.
let kindSupport: Promise<boolean> | undefined;
function hasKind(): Promise<boolean> {
  kindSupport ??= get('rates', { from: 'now-1m', groupBy: 'kind', top: 1 }).then(
    () => true,
    (err: unknown) => {
      if (err instanceof ApiError && err.status === 400) return false;
      kindSupport = undefined;
      return false;
    },
  );
  return kindSupport;
}

function minutesOf(r: Rates): number {
  return Math.max(1, (Math.min(Date.parse(r.to), Date.now()) - Date.parse(r.from)) / 60_000);
}

export function Overview({ view }: { view: View }) {
  const f = filtersOf(view.params);
  const split = (SPLITS as readonly string[]).includes(view.params.get('split') ?? '') ? (view.params.get('split') as string) : 'category';
  const filters = apiFilters(f);
  const range = { from: f.from, to: f.to };
  const key = JSON.stringify([range, filters, split]);
  const { data, error, loading } = useData(
    key,
    async (signal) => {
      const [main, regions, faults, top, unknown, kind] = await Promise.all([
        get('rates', { ...range, ...filters, groupBy: split, top: 15 }, signal),
        get('rates', { ...range, ...filters, groupBy: 'region', top: 8 }, signal),
        get('rates', { ...range, ...filters, groupBy: 'fault' }, signal),
        get('top', { ...range, ...filters, dimension: 'category', limit: 1 }, signal),
        get('top', { ...range, ...filters, category: 'Unknown', dimension: 'code', limit: 10 }, signal),
        hasKind(),
      ]);
      return { main, regions, faults, top, unknown, kind };
    },
    f.refreshMs,
  );
  const pick = (series: { dimensions: Record<string, string | undefined> } | undefined, from: Date, to: Date) =>
    go(eventsHref(view, series?.dimensions ?? {}, { from, to }));
  const splitChoices = SPLITS.filter((s) => s !== 'kind' || data?.kind);
  const server = data?.faults.series.find((s) => s.key === 'server')?.total ?? 0;
  const totalFaults = data?.faults.series.reduce((a, s) => a + s.total, 0) ?? 0;
  return html`<div class="page">
    <h1>Overview</h1>
    <${ErrorNote} error=${error} />
    ${data
      ? html`<div class="stats" data-testid="totals">
          <${Stat} label="Errors in range" value=${human(data.top.total)} note=${`${signed(data.top.total - data.top.previousTotal)} vs previous period`} />
          <${Stat} label="Average rate" value=${perMinute(data.top.total / minutesOf(data.main))} />
          <${Stat} label="Server fault" value=${totalFaults ? percent(server / totalFaults) : '–'} note=${`${human(server)} server · ${human(totalFaults - server)} client`} />
          <${Stat} label="Unknown codes" value=${human(data.unknown.total)} note=${`${data.unknown.items.length} distinct`} />
        </div>`
      : null}
    <${Section}
      title=${`Error rate by ${split}`}
      loading=${loading}
      actions=${html`<label>Split by <select data-testid="split" value=${split} onChange=${(e: Event) => go(hrefFor('overview', '', view.params, { split: (e.target as HTMLSelectElement).value }, true))}>
        ${splitChoices.map((s) => html`<option value=${s}>${s}</option>`)}
      </select></label>`}
    >
      ${data ? html`<${Chart} rates=${data.main} title=${`Errors per minute by ${split}, stacked`} unit="errors/min" stacked=${true} height=${300} onPick=${pick} />
        <p class="hint">Click the chart to list the events of the series and minute under the cursor.</p>
        <${SeriesTable} view=${view} rates=${data.main} />` : null}
    <//>
    <div class="grid2">
      <${Section} title="By region" loading=${loading}>
        ${data ? html`<${Chart} rates=${data.regions} title="Errors per minute by region" unit="errors/min" onPick=${pick} /><${SeriesTable} view=${view} rates=${data.regions} />` : null}
      <//>
      <${Section} title="Client vs server" loading=${loading}>
        ${data ? html`<${Chart} rates=${data.faults} title="Errors per minute by fault, stacked" unit="errors/min" stacked=${true} onPick=${pick} /><${SeriesTable} view=${view} rates=${data.faults} />` : null}
      <//>
    </div>
    <${Section} title="Unknown codes" loading=${loading}>
      ${data && data.unknown.items.length === 0 ? html`<p class="muted">Every code in this range is in the catalog.</p>` : null}
      ${data && data.unknown.items.length > 0
        ? html`<table><caption class="sr-only">Codes not in the error catalog</caption>
            <thead><tr><th scope="col">Code</th><th scope="col" class="num">Events</th><th scope="col" class="num">Previous period</th></tr></thead>
            <tbody>${data.unknown.items.map((i) => html`<tr><td><a href=${eventsHref(view, { code: i.value })}>${i.value}</a></td><td class="num">${count(i.count)}</td><td class="num">${count(i.previous)}</td></tr>`)}</tbody>
          </table>`
        : null}
    <//>
  </div>`;
}

/** The chart's series as rows: colour, total, share, and a link to their events (the keyboard's way in). */
export function SeriesTable({ view, rates }: { view: View; rates: Rates }) {
  const total = rates.series.reduce((a, s) => a + s.total, 0);
  return html`<table class="series">
    <caption class="sr-only">Series totals</caption>
    <thead><tr><th scope="col">Series</th><th scope="col" class="num">Events</th><th scope="col" class="num">Share</th><th scope="col"><span class="sr-only">Links</span></th></tr></thead>
    <tbody>
      ${rates.series.map(
        (s, i) => html`<tr>
          <td><span class="swatch" data-colour=${colourOf(s, i)} ref=${(el: HTMLElement | null) => el && (el.style.background = colourOf(s, i))}></span>${s.key}</td>
          <td class="num">${count(s.total)}</td>
          <td class="num">${total ? percent(s.total / total) : '–'}</td>
          <td>${s.other ? null : html`<a href=${eventsHref(view, s.dimensions)}>events →</a>`}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}
