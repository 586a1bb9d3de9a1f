// Catalog: every code of the error guide, searchable by code, category or words of the description.
import { html } from 'htm/preact';
import { get } from '../api.js';
import { ErrorNote } from '../components.js';
import { useData } from '../data.js';
import { filtersOf, hrefFor, type View } from '../route.js';
import { eventsHref } from './links.js';

export function CatalogPage({ view }: { view: View }) {
  const f = filtersOf(view.params);
  const params = { category: f.category, code: f.code };
  const { data, error } = useData(JSON.stringify(params), (signal) => get('catalog', params, signal), 0);
  const q = view.params.get('q') ?? '';
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const entries = (data?.entries ?? []).filter((e) => {
    const text = `${e.code} ${e.category} ${e.family} ${e.fault} ${e.severity} ${e.kind ?? ''} ${e.description}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
  const onSearch = (e: Event) => {
    const value = (e.target as HTMLInputElement).value;
    history.replaceState(null, '', hrefFor('catalog', '', view.params, { q: value }, true));
    dispatchEvent(new HashChangeEvent('hashchange'));
  };
  return html`<div class="page">
    <h1>Catalog</h1>
    <${ErrorNote} error=${error} />
    <p><label>Search <input type="search" data-testid="catalog-search" value=${q} onInput=${onSearch} placeholder="code, category or words" size="30" /></label>
      <span class="muted" aria-live="polite"> ${entries.length} of ${data?.entries.length ?? 0} codes</span></p>
    <table data-testid="catalog">
      <thead><tr><th scope="col">Code</th><th scope="col">Category</th><th scope="col">Fault</th><th scope="col">Severity</th><th scope="col">Description</th></tr></thead>
      <tbody>${entries.map(
        (e) => html`<tr key=${e.code}>
          <td><a href=${eventsHref(view, { code: e.code })}><code>${e.code}</code></a></td>
          <td>${e.category}</td>
          <td><span class=${`badge ${e.fault}`}>${e.fault}</span></td>
          <td><span class=${`badge ${e.severity}`}>${e.severity}</span></td>
          <td class="desc-cell">${e.description}</td>
        </tr>`,
      )}</tbody>
    </table>
  </div>`;
}
