// Top movers: codes, apps and regions rising most against the window of equal length before.
import { html } from 'htm/preact';
import { get } from '../api.js';
import { ErrorNote, Section } from '../components.js';
import { useData } from '../data.js';
import { count, ratio, signed } from '../format.js';
import { apiFilters, filtersOf, type View } from '../route.js';
import type { Top } from '../types.js';
import { appHref, eventsHref } from './links.js';

const DIMENSIONS = [
  { dimension: 'code', title: 'Codes' },
  { dimension: 'app', title: 'Apps' },
  { dimension: 'region', title: 'Regions' },
] as const;

export function Movers({ view }: { view: View }) {
  const f = filtersOf(view.params);
  const params = { from: f.from, to: f.to, ...apiFilters(f), sort: 'increase', limit: 10 };
  const { data, error, loading } = useData(
    JSON.stringify(params),
    (signal) => Promise.all(DIMENSIONS.map((d) => get('top', { ...params, dimension: d.dimension }, signal))),
    f.refreshMs,
  );
  return html`<div class="page">
    <h1>Top movers</h1>
    <p class="lede">Rising most in the chosen range against the range of equal length just before it.</p>
    <${ErrorNote} error=${error} />
    ${[DIMENSIONS.slice(0, 1), DIMENSIONS.slice(1)].map(
      (row, r) => html`<div class=${r === 0 ? '' : 'grid2'}>
        ${row.map((d) => {
          const top = data?.[DIMENSIONS.indexOf(d)];
          return html`<${Section} title=${d.title} loading=${loading}>${top ? html`<${MoverTable} view=${view} top=${top} title=${d.title} />` : null}<//>`;
        })}
      </div>`,
    )}
  </div>`;
}

function MoverTable({ view, top, title }: { view: View; top: Top; title: string }) {
  if (top.items.length === 0) return html`<p class="muted">Nothing rose.</p>`;
  const link = (value: string) => (top.dimension === 'app' ? appHref(view, value) : eventsHref(view, { [top.dimension]: value }));
  return html`<table>
    <caption class="sr-only">${top.dimension} rising most</caption>
    <thead><tr><th scope="col">${title.replace(/s$/, '')}</th><th scope="col" class="num">Now</th><th scope="col" class="num">Before</th><th scope="col" class="num">Change</th></tr></thead>
    <tbody>${top.items.map(
      (i) => html`<tr>
        <td><a href=${link(i.value)}>${i.value}</a>${i.description ? html`<div class="desc">${i.description}</div>` : null}</td>
        <td class="num">${count(i.count)}</td>
        <td class="num">${count(i.previous)}</td>
        <td class="num up">${signed(i.change)} <span class="muted">${ratio(i.ratio)}</span></td>
      </tr>`,
    )}</tbody>
  </table>`;
}
