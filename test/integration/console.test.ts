// The web console as a person uses it: `errpulse start` with the simulator (built CLI, child process,
// the test stack's broker, embedded ClickHouse), a real headless Chromium, the printed link. Every
// assertion is about what the page shows (text, drawn pixels, the address bar) or what the browser sent.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, pixelsOfColour, startErrpulse, waitUntilHistoryStored, type Started } from '../../bench/console-harness.js';
import { testBrokers, uniqueName, waitFor } from '../support/kafka.js';
import { freePort } from '../support/ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The first colour of the console's palette (web/src/chart.ts): the largest series of a chart.
const FIRST_SERIES_COLOUR = '#4e79a7';

let started: Started;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const requests: Request[] = [];
const cspViolations: string[] = [];

beforeAll(async () => {
  started = await startErrpulse({
    port: await freePort(),
    args: ['--backfill', '65m', '--rate', '20', '--scenario', 'ws-outage,quota-exhaustion'],
    env: {
      KAFKA_BROKERS: testBrokers().join(','),
      KAFKA_TOPIC: uniqueName('console_events'),
      KAFKA_DLQ_TOPIC: uniqueName('console_dlq'),
      KAFKA_GROUP_ID: uniqueName('console_ingest'),
      CLICKHOUSE_DATABASE: uniqueName('console'),
    },
  });
  // The overview's drawn area and the detector's baseline both need the whole 65-minute history stored;
  // on a loaded 2-core machine that takes a minute or more after the link is printed.
  await waitUntilHistoryStored(started, { timeoutMs: 150_000 });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  // Data-dependent waits on a shared 2-core machine: the API may take seconds per answer under load.
  page.setDefaultTimeout(60_000);
  page.on('request', (r) => requests.push(r));
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
  });
}, 330_000);

afterAll(async () => {
  await browser?.close();
  const result = await started?.stop();
  expect(result?.code, started?.output()).toBe(0);
});

const text = async (selector: string) => (await page.locator(selector).first().textContent())?.trim() ?? '';

describe('the web console', () => {
  it('is served at / with a strict Content-Security-Policy, beside an unchanged API', async () => {
    const res = await fetch(`${started.base}/`, { headers: { 'accept-encoding': 'gzip, br' } });
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    const script = /src="(\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${started.base}${script}`, { headers: { 'accept-encoding': 'br' } });
    expect(js.headers.get('content-encoding')).toBe('br');
    expect(js.headers.get('cache-control')).toContain('immutable');

    expect((await fetch(`${started.base}/docs`, { redirect: 'manual' })).status).toBeLessThan(400);
    expect((await fetch(`${started.base}/healthz`)).headers.get('content-security-policy')).toBeNull();
    const missing = await fetch(`${started.base}/no-such-page`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('ERR_API_NOT_FOUND');
    const spec = (await (await fetch(`${started.base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths).filter((p) => !p.startsWith('/v1/') && !['/healthz', '/readyz', '/metrics'].includes(p))).toEqual([]);
  });

  it('logs in with the printed link and draws the overview with data', async () => {
    await page.goto(started.link);
    // The token leaves the address bar at once and lives in session storage.
    await waitFor(() => page.url().endsWith('#/overview'), { message: 'the fragment replaced' });
    expect(page.url()).not.toContain(started.token);
    expect(await page.evaluate("sessionStorage.getItem('errpulse.token')")).toBe(started.token);

    // Stored data shows within seconds of the link; until then the page says so (and is reloaded here).
    const total = await waitFor(
      async () => {
        const value = await text('[data-testid=totals] .stat-value');
        if (value && value !== '0') return value;
        await page.reload();
        await page.locator('[data-testid=totals]').waitFor({ timeout: 15_000 });
        return undefined;
      },
      { timeoutMs: 120_000, intervalMs: 3_000, message: `events on the overview${started.output()}` },
    );
    expect(total).toMatch(/^\d+(\.\d)?[kMB]?$/);
    expect(await text('.as-of')).toMatch(/^data as of /);

    // The stacked chart: its title, its unit, a legend naming the largest category, and that series drawn.
    const chart = page.locator('section', { hasText: 'Error rate by category' });
    await chart.locator('canvas').first().waitFor();
    const firstSeries = (await chart.locator('table.series tbody tr td').first().textContent())?.trim() ?? '';
    expect(firstSeries).not.toBe('');
    expect(await chart.locator('.u-title').textContent()).toBe('Errors per minute by category, stacked');
    // uPlot draws the axes on the canvas; the unit is also in the chart's accessible name and its legend.
    expect(await chart.locator('.chart-box').getAttribute('aria-label')).toContain('in errors/min');
    expect(await chart.locator('.u-legend').textContent()).toContain(firstSeries);
    expect(await chart.locator('.u-legend').textContent()).toMatch(/avg \d+(\.\d+)?k?\/min/);
    expect(await pixelsOfColour(page, 'section:has-text("Error rate by category") canvas', FIRST_SERIES_COLOUR)).toBeGreaterThan(2_000);
    // Counts in the series table are formatted for people.
    expect(await chart.locator('table.series tbody tr td.num').first().textContent()).toMatch(/^\d{1,3}(,\d{3})*$/);
    // Region and client/server splits are drawn too.
    expect(await page.locator('section', { hasText: 'By region' }).locator('.u-legend').textContent()).toMatch(/\w/);
    expect(await page.locator('section', { hasText: 'Client vs server' }).locator('.u-legend').textContent()).toContain('client');
  });

  it('shows a simulated incident in Spikes now, then its drilldown and its events', async () => {
    await page.locator('nav a', { hasText: 'Spikes now' }).click();
    await waitFor(() => page.url().includes('#/spikes'), { message: 'the spikes page' });
    // The incidents begin a minute after going live; the page refreshes by itself every 15 s.
    // A spike of one app (the injected incidents are per app), so it has a drilldown.
    const row = page.locator('[data-testid=spikes] tbody tr').filter({ has: page.locator('a', { hasText: 'drilldown' }) }).first();
    // Its own deadline, longer than the default test timeout: first detection waits on a minute of
    // incident and the detector's query, which on a loaded machine takes tens of seconds.
    await row.waitFor({ timeout: 300_000 });
    const cells = (await row.locator('td').allTextContents()).map((c) => c.trim());
    const [score, , app, region, observed] = cells as [string, string, string, string, string];
    const code = (await row.locator('td code').first().textContent({ timeout: 1_000 }).catch(() => null))?.trim();
    expect(Number.parseFloat(score)).toBeGreaterThanOrEqual(1);
    expect(Number(observed.replace(/,/g, ''))).toBeGreaterThan(0);

    await row.locator('a', { hasText: 'drilldown' }).click();
    await page.locator('h1', { hasText: app }).waitFor();
    const drill = page.locator('section', { hasText: 'Codes over time' });
    await drill.locator('canvas').first().waitFor();
    expect(await drill.locator('.u-title').textContent()).toContain(app);
    if (region !== 'all') await page.locator('section', { hasText: 'Regions' }).locator('td a', { hasText: region }).first().waitFor();

    await page.goBack();
    await page.locator('[data-testid=spikes] tbody tr').first().waitFor();
    await page.locator('[data-testid=spikes] tbody tr', { hasText: app }).first().locator('a', { hasText: 'events' }).click();
    await page.locator('[data-testid=events] tbody tr').first().waitFor({ timeout: 30_000 });
    expect(await text('[data-testid=events-scope]')).toContain(`app ${app}`);
    const rows = await page.locator('[data-testid=events] tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
    expect(rows.length).toBeGreaterThan(0);
    for (const [, eventApp, eventRegion, eventCode] of rows) {
      expect(eventApp).toBe(app);
      if (region !== 'all') expect(eventRegion).toBe(region);
      if (code) expect(eventCode?.startsWith(code)).toBe(true);
    }
  }, 360_000);

  it('narrows the events list from a click on the chart', async () => {
    // A fresh overview: the links followed before carried their filters along, as they should.
    await page.goto(`${started.base}/#/overview`);
    const chart = page.locator('section', { hasText: 'Error rate by category' });
    await chart.locator('canvas').first().waitFor();
    const over = chart.locator('.u-over');
    const box = (await over.boundingBox())!;
    // Just above the axis, two thirds across: the bottom band (the largest category), one whole minute.
    await page.mouse.move(box.x + box.width * 0.66, box.y + box.height - 4);
    await page.mouse.click(box.x + box.width * 0.66, box.y + box.height - 4);
    await waitFor(() => page.url().includes('#/events'), { message: 'the events page after a click on the chart' });
    const url = new URL(page.url().replace('#/events', '/events'));
    expect(url.searchParams.get('category')).toBeTruthy();
    expect(Date.parse(url.searchParams.get('to')!) - Date.parse(url.searchParams.get('from')!)).toBe(60_000);
    await page.locator('[data-testid=events] tbody tr').first().waitFor({ timeout: 30_000 });
    expect(await text('[data-testid=events-scope]')).toContain(`category ${url.searchParams.get('category')}`);
  });

  it('changes the time range for every page, in the URL', async () => {
    await page.locator('nav a', { hasText: 'Overview' }).click();
    await page.locator('[data-testid=totals]').waitFor();
    const asked = page.waitForRequest((r) => r.url().includes('/v1/rates?') && r.url().includes('from=now-6h'));
    await page.locator('[data-testid=range]').selectOption('now-6h');
    await asked;
    expect(page.url()).toContain('from=now-6h');
    await page.locator('nav a', { hasText: 'Top movers' }).click();
    await page.locator('section:has(h2:text-is("Codes")) table').waitFor();
    expect(page.url()).toContain('from=now-6h');
    expect(await page.locator('[data-testid=range]').inputValue()).toBe('now-6h');
  });

  it('never puts the token in a URL and sends it as a bearer header', () => {
    const api = requests.filter((r) => new URL(r.url()).pathname.startsWith('/v1/'));
    expect(api.length).toBeGreaterThan(10);
    for (const r of requests) expect(r.url()).not.toContain(started.token.slice(3));
    for (const r of api) expect(r.headers().authorization).toBe(`Bearer ${started.token}`);
    expect(cspViolations).toEqual([]);
  });

  it('logs out, and a refused token returns to the login view', async () => {
    await page.locator('button', { hasText: 'Log out' }).click();
    await page.locator('#token').waitFor();
    expect(await text('.login .note')).toBe('Logged out.');
    expect(await page.evaluate("sessionStorage.getItem('errpulse.token')")).toBeNull();

    await page.locator('#token').fill('ep_not-a-real-token');
    await page.locator('button', { hasText: 'Sign in' }).click();
    expect(await page.locator('.login .error').textContent()).toContain('unknown or was revoked');

    // A token revoked while the console is open: the next answer is a 401, and the console asks again.
    await page.evaluate("sessionStorage.setItem('errpulse.token', 'ep_revoked')");
    await page.reload();
    await page.locator('#token').waitFor();
    expect(await text('.login .note')).toContain('unknown or was revoked');

    // The printed link, pasted into this same tab, logs in again (only the fragment changes: no reload).
    await page.goto(started.link);
    await page.locator('[data-testid=totals]').waitFor();
    expect(page.url()).not.toContain(started.token);
    await page.locator('button', { hasText: 'Log out' }).click();
    await page.locator('#token').waitFor();
  });

  it('shows a token scoped to one app only that app', async () => {
    const top = (await (
      await fetch(`${started.base}/v1/top?dimension=app&from=now-2h&limit=2`, { headers: { authorization: `Bearer ${started.token}` } })
    ).json()) as { items: { value: string }[] };
    const [mine, other] = top.items.map((i) => i.value) as [string, string];
    expect(other).toBeDefined();
    const scoped = execFileSync(process.execPath, ['bin/errpulse.js', 'token', 'create', '--name', 'console-scoped', '--apps', mine], {
      cwd: ROOT,
      env: { ...process.env, API_TOKENS_FILE: started.tokensFile },
      encoding: 'utf8',
    }).trim();
    // The API re-reads its token file twice a second.
    await waitFor(async () => (await fetch(`${started.base}/v1/catalog?code=ERR_BAD_REQUEST`, { headers: { authorization: `Bearer ${scoped}` } })).ok, {
      message: 'the scoped token accepted',
    });
    await page.locator('#token').fill(scoped);
    await page.locator('button', { hasText: 'Sign in' }).click();
    await page.locator('nav a', { hasText: 'Apps' }).waitFor();
    await page.goto(`${started.base}/#/app?from=now-2h`);
    await page.locator('[data-testid=apps] tbody tr').first().waitFor();
    expect(await page.locator('[data-testid=apps] tbody tr td:first-child').allTextContents()).toEqual([mine]);
    // Asking for another app by URL is refused by the API, and the page says so.
    await page.goto(`${started.base}/#/app/${other}`);
    await page.locator('.error').first().waitFor();
    expect(await text('.error')).toContain('AUTH_ERR_NO_ACCESS');
  });
});
