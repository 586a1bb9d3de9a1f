// Events: the raw events matching the shared filters, newest first, a page at a time by cursor.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { ErrorNote, Loading } from '../components.js';
import { useData } from '../data.js';
import { dateTime } from '../format.js';
import { apiFilters, filtersOf, type View } from '../route.js';
import type { ErrorEvent } from '../types.js';

const PAGE = 100;

export function EventsPage({ view }: { view: View }) {
  const f = filtersOf(view.params);
  const params = { from: f.from, to: f.to, ...apiFilters(f), limit: PAGE };
  const key = JSON.stringify(params);
  // The first page follows the refresh timer; older pages are appended on request and kept until the
  // question changes, so a refresh never moves the rows a person is reading.
  const first = useData(key, (signal) => get('events', params, signal), 0);
  const [older, setOlder] = useState<{ key: string; events: ErrorEvent[]; cursor: string | null; loading: boolean; error?: Error }>({ key, events: [], cursor: null, loading: false });
  const mine = older.key === key ? older : { key, events: [] as ErrorEvent[], cursor: null, loading: false };
  const cursor = mine.events.length > 0 ? mine.cursor : (first.data?.nextCursor ?? null);
  const loadOlder = async () => {
    if (!cursor) return;
    setOlder({ ...mine, loading: true });
    try {
      const page = await get('events', { ...params, cursor });
      setOlder({ key, events: [...mine.events, ...page.events], cursor: page.nextCursor, loading: false });
    } catch (error) {
      setOlder({ ...mine, loading: false, error: error as Error });
    }
  };
  const events = [...(first.data?.events ?? []), ...mine.events];
  const narrowed = [f.app && `app ${f.app}`, f.region && `region ${f.region}`, f.category && `category ${f.category}`, f.kind && `kind ${f.kind}`, f.code && `code ${f.code}`].filter(Boolean);
  return html`<div class="page">
    <h1>Events <${Loading} loading=${first.loading || mine.loading} /></h1>
    <p class="lede" data-testid="events-scope">${events.length} event${events.length === 1 ? '' : 's'} shown, newest first${narrowed.length ? `, for ${narrowed.join(', ')}` : ''}.</p>
    <${ErrorNote} error=${first.error ?? mine.error} />
    ${first.data && events.length === 0 ? html`<p class="empty">No events match.</p>` : null}
    ${events.length > 0
      ? html`<table class="events" data-testid="events">
          <thead><tr><th scope="col">Time</th><th scope="col">App</th><th scope="col">Region</th><th scope="col">Code</th><th scope="col" class="num">HTTP</th><th scope="col">Request</th><th scope="col">Message</th></tr></thead>
          <tbody>${events.map(
            (e) => html`<tr key=${e.eventId}>
              <td class="nowrap">${dateTime(e.time)}</td>
              <td>${e.app}</td>
              <td>${e.region}</td>
              <td><code>${e.code}</code>${e.known ? null : html` <span class="badge unknown">unknown</span>`}<div class="desc">${e.category} · ${e.fault}</div></td>
              <td class="num">${e.httpStatus ?? '–'}</td>
              <td>${e.method} ${e.route}<div class="desc">${e.requestId}${e.latencyMs !== null ? ` · ${e.latencyMs} ms` : ''}</div></td>
              <td class="message">${e.message}</td>
            </tr>`,
          )}</tbody>
        </table>`
      : null}
    ${cursor ? html`<p><button type="button" onClick=${loadOlder} disabled=${mine.loading}>Load ${PAGE} older events</button></p>` : null}
  </div>`;
}
