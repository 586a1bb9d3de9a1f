// The console's entry: log in (a token typed in, or #token=… from `errpulse start`'s link, kept in
// session storage and cleared from the address bar), then the page the fragment names.
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, onUnauthorized, session } from './api.js';
import { Header } from './components.js';
import { AppPage } from './pages/app.js';
import { CatalogPage } from './pages/catalog.js';
import { EventsPage } from './pages/events.js';
import { Movers } from './pages/movers.js';
import { Overview } from './pages/overview.js';
import { QuotaPage } from './pages/quota.js';
import { Spikes } from './pages/spikes.js';
import { useView, type View } from './route.js';
import 'uplot/dist/uPlot.min.css';
import './styles.css';

/** A token in the fragment logs in; it leaves the address bar (and the history entry) at once. */
function takeTokenFromFragment(): boolean {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match) return false;
  session.save(decodeURIComponent(match[1] as string));
  history.replaceState(null, '', `${location.pathname}#/overview`);
  return true;
}

function Login({ message, onLogin }: { message: string; onLogin: () => void }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const token = input.current?.value.trim() ?? '';
    if (!token) return;
    setBusy(true);
    session.save(token);
    try {
      // The cheapest authenticated question: one catalog entry.
      await get('catalog', { code: 'ERR_BAD_REQUEST' });
      onLogin();
    } catch (err) {
      session.clear();
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="login" id="main">
    <form onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title">errpulse console</h1>
      ${message ? html`<p class="note" role="status">${message}</p>` : null}
      <label for="token">API token</label>
      <input id="token" ref=${input} type="password" autocomplete="off" spellcheck=${false} placeholder="ep_…" required />
      <p class="hint">From <code>errpulse start</code> or <code>errpulse token create</code>. Kept in this tab only (session storage).</p>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <button type="submit" disabled=${busy}>Sign in</button>
    </form>
  </main>`;
}

function Page({ view }: { view: View }) {
  switch (view.page) {
    case 'spikes':
      return html`<${Spikes} view=${view} />`;
    case 'movers':
      return html`<${Movers} view=${view} />`;
    case 'app':
      return html`<${AppPage} view=${view} />`;
    case 'quota':
      return html`<${QuotaPage} view=${view} />`;
    case 'events':
      return html`<${EventsPage} view=${view} />`;
    case 'catalog':
      return html`<${CatalogPage} view=${view} />`;
    default:
      return html`<${Overview} view=${view} />`;
  }
}

function Console() {
  const [signedIn, setSignedIn] = useState(() => session.token() !== null);
  const [message, setMessage] = useState('');
  const view = useView();
  useEffect(() => {
    // The link pasted into a tab already showing the console changes only the fragment.
    const fromLink = () => {
      if (!takeTokenFromFragment()) return;
      setMessage('');
      setSignedIn(true);
      dispatchEvent(new HashChangeEvent('hashchange'));
    };
    addEventListener('hashchange', fromLink);
    // Several requests in flight may all be refused; the first one's reason is the one to show.
    const stop = onUnauthorized((why) => {
      setMessage((shown) => shown || why);
      setSignedIn(false);
    });
    return () => {
      removeEventListener('hashchange', fromLink);
      stop();
    };
  }, []);
  const main = useRef<HTMLElement>(null);
  // A new page moves the focus to its content, as a page load would, for keyboard and screen readers.
  useEffect(() => {
    if (signedIn) main.current?.focus({ preventScroll: true });
  }, [view.page, view.arg]);
  if (!signedIn) {
    return html`<${Login} message=${message} onLogin=${() => { setMessage(''); setSignedIn(true); }} />`;
  }
  const logout = () => {
    session.clear();
    setMessage(() => 'Logged out.');
    setSignedIn(false);
  };
  return html`<${Header} view=${view} onLogout=${logout} />
    <main id="main" ref=${main} tabindex="-1"><${Page} view=${view} key=${`${view.page}/${view.arg}`} /></main>`;
}

takeTokenFromFragment();
render(html`<${Console} />`, document.getElementById('app') as HTMLElement);
