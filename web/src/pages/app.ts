// App drilldown: one app's codes over time, its regions, its plan-limit hits and its auth codes.
// Without an app in the URL: the apps of the range (a scoped token sees only its own) to pick from.
import { html } from 'htm/preact';
import { get } from '../api.js';
import { Chart } from '../chart.js';
import { ErrorNote, Section, go } from '../components.js';
import { useData } from '../data.js';
import { count, dateTime, percent, ratio, signed } from '../format.js';
import { apiFilters, filtersOf, type View } from '../route.js';
import { SeriesTable } from './overview.js';
import { appHref, eventsHref } from './links.js';

const AUTH_CATEGORIES = 'auth,auth-token,api-key';

export function AppPage({ view }: { view: View }) {
  return view.arg ? html`<${Drilldown} view=${view} app=${view.arg} />` : html`<${AppList} view=${view} />`;
}

function AppList({ view }: { view: View }) {
  const f = filtersOf(view.params);
  const params = { from: f.from, to: f.to, ...apiFilters(f), dimension: 'app', limit: 100 };
  const { data, error, loading } = useData(JSON.stringify(params), (signal) => get('top', params, signal), f.refreshMs);
  return html`<div class="page">
    <h1>Apps</h1>
    <${ErrorNote} error=${error} />
    <${Section} title="Apps by errors in range" loading=${loading}>
      ${data
        ? html`<table data-testid="apps"><thead><tr><th scope="col">App</th><th scope="col" class="num">Events</th><th scope="col" class="num">Share</th><th scope="col" class="num">Change</th></tr></thead>
            <tbody>${data.items.map((i) => html`<tr><td><a href=${appHref(view, i.value)}>${i.value}</a></td><td class="num">${count(i.count)}</td><td class="num">${percent(i.share)}</td><td class="num">${signed(i.change)} <span class="muted">${ratio(i.ratio)}</span></td></tr>`)}</tbody></table>`
        : null}
    <//>
  </div>`;
}

function Drilldown({ view, app }: { view: View; app: string }) {
  const f = filtersOf(view.params);
  const range = { from: f.from, to: f.to };
  const filters = { ...apiFilters(f, ['region', 'category', 'code']), app };
  const { data, error, loading } = useData(
    JSON.stringify([range, filters]),
    async (signal) => {
      const [codes, regions, quota, auth] = await Promise.all([
        get('rates', { ...range, ...filters, groupBy: 'code', top: 10 }, signal),
        get('top', { ...range, ...filters, dimension: 'region', limit: 20 }, signal),
        get('quota', { ...range, app, region: f.region }, signal),
        get('top', { ...range, app, region: f.region, code: f.code, category: AUTH_CATEGORIES, dimension: 'code', limit: 20 }, signal),
      ]);
      return { codes, regions, quota, auth };
    },
    f.refreshMs,
  );
  const quota = data?.quota.apps.find((a) => a.app === app);
  return html`<div class="page">
    <h1>App <code>${app}</code></h1>
    <p><a href=${eventsHref(view, { app })}>All events of ${app} →</a></p>
    <${ErrorNote} error=${error} />
    <${Section} title="Codes over time" loading=${loading}>
      ${data
        ? html`<${Chart} rates=${data.codes} title=${`Errors per minute of ${app} by code (top 10)`} unit="errors/min" stacked=${true} height=${280}
            onPick=${(s: { dimensions: Record<string, string | undefined> } | undefined, from: Date, to: Date) => go(eventsHref(view, { ...(s?.dimensions ?? {}), app }, { from, to }))} />
          <${SeriesTable} view=${view} rates=${data.codes} />`
        : null}
    <//>
    <div class="grid3">
      <${Section} title="Regions" loading=${loading}>
        ${data ? html`<table><thead><tr><th scope="col">Region</th><th scope="col" class="num">Events</th><th scope="col" class="num">Change</th></tr></thead>
          <tbody>${data.regions.items.map((i) => html`<tr><td><a href=${eventsHref(view, { app, region: i.value })}>${i.value}</a></td><td class="num">${count(i.count)}</td><td class="num">${signed(i.change)}</td></tr>`)}</tbody></table>` : null}
      <//>
      <${Section} title="Plan limits (quota)" loading=${loading}>
        ${data && !quota ? html`<p class="muted">No plan-limit errors in this range.</p>` : null}
        ${quota ? html`<table><thead><tr><th scope="col">Code</th><th scope="col" class="num">Events</th><th scope="col" class="num">Change</th><th scope="col">Last seen</th></tr></thead>
          <tbody>${quota.codes.map((c) => html`<tr><td><a href=${eventsHref(view, { app, code: c.code })}>${c.code}</a></td><td class="num">${count(c.count)}</td><td class="num">${signed(c.change)}</td><td>${c.lastSeen ? dateTime(c.lastSeen) : '–'}</td></tr>`)}</tbody></table>` : null}
      <//>
      <${Section} title="Auth codes" loading=${loading}>
        ${data && data.auth.items.length === 0 ? html`<p class="muted">No auth, token or API-key errors in this range.</p>` : null}
        ${data && data.auth.items.length > 0 ? html`<table><thead><tr><th scope="col">Code</th><th scope="col" class="num">Events</th><th scope="col" class="num">Change</th></tr></thead>
          <tbody>${data.auth.items.map((i) => html`<tr><td><a href=${eventsHref(view, { app, code: i.value })}>${i.value}</a></td><td class="num">${count(i.count)}</td><td class="num">${signed(i.change)}</td></tr>`)}</tbody></table>` : null}
      <//>
    </div>
  </div>`;
}
