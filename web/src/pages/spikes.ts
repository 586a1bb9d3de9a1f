// Spikes now: what the detector (/v1/spikes, the same one the alert rules use) reports at this minute:
// one scope per incident, the one that explains it.
import { html } from 'htm/preact';
import { get } from '../api.js';
import { ErrorNote, Loading, go } from '../components.js';
import { useData } from '../data.js';
import { clock, count, human } from '../format.js';
import { filtersOf, hrefFor, type View } from '../route.js';
import type { Spike } from '../types.js';
import { appHref, eventsHref } from './links.js';

/** Spikes change minute by minute: never wait longer than this between looks, unless refresh is off. */
const SPIKES_REFRESH_MS = 15_000;
/** The events a spike's link lists: the detector's longest window before its evaluation minute. */
const EVENTS_WINDOW_MS = 15 * 60_000;
const LEVELS = ['code', 'category', 'kind'] as const;

/** A spike's dimensions as filters (a null dimension covers every value, so it filters nothing). */
function dimensionsOf(s: Spike): Record<string, string | undefined> {
  return { app: s.app ?? undefined, region: s.region ?? undefined, kind: s.kind, category: s.category ?? undefined, code: s.code ?? undefined };
}

export function Spikes({ view }: { view: View }) {
  const f = filtersOf(view.params);
  const level = (LEVELS as readonly string[]).includes(view.params.get('level') ?? '') ? (view.params.get('level') as string) : 'code';
  const params = { level, app: f.app, region: f.region, category: f.category, kind: f.kind, code: f.code };
  const refreshMs = f.refreshMs === 0 ? 0 : Math.min(f.refreshMs, SPIKES_REFRESH_MS);
  const { data, error, loading } = useData(JSON.stringify(params), (signal) => get('spikes', params, signal), refreshMs);
  const spikes = [...(data?.spikes ?? [])].sort((a, b) => b.score - a.score);
  const at = data ? new Date(data.at) : undefined;
  const window = at ? { from: new Date(at.getTime() - EVENTS_WINDOW_MS), to: at } : undefined;
  return html`<div class="page">
    <h1>Spikes now <${Loading} loading=${loading} /></h1>
    <p class="lede">
      ${at ? html`Evaluated at ${clock(at)} against each scope's expected level (its trailing level shaped by the daily rhythm); a score of 1 or more is significant.` : null}
      ${refreshMs ? ` Refreshes every ${refreshMs / 1000} s.` : ' Auto refresh is off.'}
    </p>
    <p>
      <label>Finest level <select data-testid="level" value=${level} onChange=${(e: Event) => go(hrefFor('spikes', '', view.params, { level: (e.target as HTMLSelectElement).value }, true))}>
        ${LEVELS.map((l) => html`<option value=${l}>${l}</option>`)}
      </select></label>
    </p>
    <${ErrorNote} error=${error} />
    ${data && spikes.length === 0 ? html`<p class="empty" data-testid="no-spikes">No active spikes.</p>` : null}
    ${spikes.length > 0
      ? html`<table data-testid="spikes">
          <caption class="sr-only">Active spikes, highest score first</caption>
          <thead><tr>
            <th scope="col" class="num">Score</th><th scope="col">Scope</th><th scope="col">App</th><th scope="col">Region</th>
            <th scope="col" class="num">Observed</th><th scope="col" class="num">Expected</th><th scope="col">What</th><th scope="col"><span class="sr-only">Links</span></th>
          </tr></thead>
          <tbody>
            ${spikes.map(
              (s) => html`<tr class=${s.kind === 'server_failure' ? 'sev-critical' : ''}>
                <td class="num"><strong>${human(s.score)}</strong></td>
                <td>${s.scope}</td>
                <td class="nowrap">${s.app ? html`<a href=${appHref(view, s.app)}>${s.app}</a>` : 'all apps'}</td>
                <td>${s.region ?? 'all'}</td>
                <td class="num">${count(Math.round(s.observed))}</td>
                <td class="num">${human(s.expected)} <span class="muted">(×${human(s.observed / Math.max(s.expected, 1))})</span></td>
                <td>${s.code ? html`<code>${s.code}</code> ` : null}<span class="badge">${s.kind}</span>${s.category ? html` <span class="badge">${s.category}</span>` : null}<div class="desc">${s.meaning}</div></td>
                <td class="actions">
                  ${s.app ? html`<a href=${appHref(view, s.app, { region: s.region })}>drilldown →</a>` : null}
                  <a href=${eventsHref(view, dimensionsOf(s), window)}>events →</a>
                </td>
              </tr>`,
            )}
          </tbody>
        </table>`
      : null}
  </div>`;
}
