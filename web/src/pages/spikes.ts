// Spikes now: what the detector (/v1/spikes, the same one the alert rules use) flags at this minute.
import { html } from 'htm/preact';
import { get } from '../api.js';
import { ErrorNote, Loading, go } from '../components.js';
import { useData } from '../data.js';
import { clock, count, human } from '../format.js';
import { filtersOf, hrefFor, type View } from '../route.js';
import type { Spike } from '../types.js';
import { appHref, eventsHref } from './links.js';

/** The spike's family or code, whichever field the API names it with. */
export function spikeScope(s: Spike): string {
  return s.scope ?? s.family ?? s.code ?? s.topCode;
}

/** Spikes change minute by minute: never wait longer than this between looks, unless refresh is off. */
const SPIKES_REFRESH_MS = 15_000;

export function Spikes({ view }: { view: View }) {
  const f = filtersOf(view.params);
  const level = view.params.get('level') === 'code' ? 'code' : 'family';
  // /v1/spikes has no category filter; the others narrow it as everywhere.
  const params = { level, app: f.app, region: f.region, code: f.code };
  const refreshMs = f.refreshMs === 0 ? 0 : Math.min(f.refreshMs, SPIKES_REFRESH_MS);
  const { data, error, loading } = useData(JSON.stringify(params), (signal) => get('spikes', params, signal), refreshMs);
  const spikes = [...(data?.spikes ?? [])].sort((a, b) => b.score - a.score);
  return html`<div class="page">
    <h1>Spikes now <${Loading} loading=${loading} /></h1>
    <p class="lede">
      ${data ? html`Events in the last window (${clock(data.window.from)}–${clock(data.window.to)}) against the median of the windows in the hour before; a spike scores at least ${data.threshold} with ${data.minCount}+ events.` : null}
      ${refreshMs ? ` Refreshes every ${refreshMs / 1000} s.` : ' Auto refresh is off.'}
      ${f.category ? html` <strong>The category filter does not apply to spikes.</strong>` : null}
    </p>
    <p>
      <label>Compare per <select data-testid="level" value=${level} onChange=${(e: Event) => go(hrefFor('spikes', '', view.params, { level: (e.target as HTMLSelectElement).value }, true))}>
        <option value="family">code family</option><option value="code">code</option>
      </select></label>
    </p>
    <${ErrorNote} error=${error} />
    ${data && spikes.length === 0 ? html`<p class="empty" data-testid="no-spikes">No active spikes.</p>` : null}
    ${spikes.length > 0
      ? html`<table data-testid="spikes">
          <caption class="sr-only">Active spikes, highest score first</caption>
          <thead><tr>
            <th scope="col" class="num">Score</th><th scope="col">Scope</th><th scope="col">App</th><th scope="col">Region</th>
            <th scope="col" class="num">Observed</th><th scope="col" class="num">Expected</th><th scope="col">Top code</th><th scope="col"><span class="sr-only">Links</span></th>
          </tr></thead>
          <tbody>
            ${spikes.map((s) => {
              const scope = spikeScope(s);
              const window = data ? { from: new Date(data.window.from), to: new Date(data.window.to) } : undefined;
              return html`<tr class=${`sev-${s.severity}`}>
                <td class="num"><strong>${human(s.score)}</strong></td>
                <td>${scope}</td>
                <td><a href=${appHref(view, s.app)}>${s.app}</a></td>
                <td>${s.region}</td>
                <td class="num">${count(s.observed)}</td>
                <td class="num">${human(s.expected)} <span class="muted">(×${human(s.observed / Math.max(s.expected, 1))})</span></td>
                <td><code>${s.topCode}</code> <span class=${`badge ${s.severity}`}>${s.severity}</span> <span class=${`badge ${s.fault}`}>${s.fault}</span><div class="desc">${s.description}</div></td>
                <td class="actions">
                  <a href=${appHref(view, s.app, { region: s.region })}>drilldown →</a>
                  <a href=${eventsHref(view, { app: s.app, region: s.region, code: level === 'code' ? scope : `${scope}_*` }, window)}>events →</a>
                </td>
              </tr>`;
            })}
          </tbody>
        </table>`
      : null}
  </div>`;
}
