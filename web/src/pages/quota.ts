// Quota: the apps hitting their plan's limits, ranked, with the trend against the previous period.
import { html } from 'htm/preact';
import { get } from '../api.js';
import { Chart } from '../chart.js';
import { ErrorNote, Section, go } from '../components.js';
import { useData } from '../data.js';
import { count, dateTime, ratio, signed } from '../format.js';
import { filtersOf, type View } from '../route.js';
import { appHref, eventsHref } from './links.js';

export function QuotaPage({ view }: { view: View }) {
  const f = filtersOf(view.params);
  const params = { from: f.from, to: f.to, app: f.app, region: f.region };
  const { data, error, loading } = useData(
    JSON.stringify(params),
    async (signal) => {
      const quota = await get('quota', { ...params, limit: 25 }, signal);
      const rates = await get('rates', { ...params, code: quota.codes.map((c) => c.code), groupBy: 'app', top: 8 }, signal);
      return { quota, rates };
    },
    f.refreshMs,
  );
  return html`<div class="page">
    <h1>Quota and plan limits</h1>
    <p class="lede">${data ? `Apps answered with ${data.quota.codes.map((c) => c.code).join(', ')}, most first.` : null}</p>
    <${ErrorNote} error=${error} />
    <${Section} title="Plan-limit errors over time" loading=${loading}>
      ${data ? html`<${Chart} rates=${data.rates} title="Plan-limit errors per minute by app (top 8)" unit="errors/min"
        onPick=${(s: { dimensions: Record<string, string | undefined> } | undefined, from: Date, to: Date) => go(eventsHref(view, { ...(s?.dimensions ?? {}), code: data.quota.codes.map((c) => c.code).join(',') }, { from, to }))} />` : null}
    <//>
    <${Section} title="Apps at their limits" loading=${loading}>
      ${data && data.quota.apps.length === 0 ? html`<p class="muted">No app hit a plan limit in this range.</p>` : null}
      ${data && data.quota.apps.length > 0
        ? html`<table data-testid="quota">
            <thead><tr><th scope="col">#</th><th scope="col">App</th><th scope="col" class="num">Events</th><th scope="col" class="num">Previous</th><th scope="col" class="num">Trend</th><th scope="col">Codes</th><th scope="col">Last seen</th></tr></thead>
            <tbody>${data.quota.apps.map(
              (a, i) => html`<tr>
                <td>${i + 1}</td>
                <td class="nowrap"><a href=${appHref(view, a.app)}>${a.app}</a></td>
                <td class="num">${count(a.count)}</td>
                <td class="num">${count(a.previous)}</td>
                <td class=${`num ${a.change > 0 ? 'up' : a.change < 0 ? 'down' : ''}`}>${a.change > 0 ? '▲' : a.change < 0 ? '▼' : '='} ${signed(a.change)} <span class="muted">${ratio(a.ratio)}</span></td>
                <td class="codes">${a.codes.filter((c) => c.count > 0).map((c) => html`<span><a href=${eventsHref(view, { app: a.app, code: c.code })}>${c.code}</a> ${count(c.count)}</span>`)}</td>
                <td class="nowrap">${a.lastSeen ? dateTime(a.lastSeen) : '–'}</td>
              </tr>`,
            )}</tbody>
          </table>`
        : null}
    <//>
  </div>`;
}
