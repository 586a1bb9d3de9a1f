// `npm run screenshots`: regenerates docs/console/*.png, the web console's main pages, from a running
// `errpulse start` with the simulator, once a simulated incident shows in Spikes now. Look at every image
// before committing it.
//   npm run screenshots -- --url 'http://127.0.0.1:8080/#token=ep_…'   (the console link `errpulse start` printed)
//   npm run screenshots                                                 (starts its own `errpulse start`, local broker)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { PROJECT_ROOT } from '../lib/paths.js';
import { freePort } from '../test/support/ports.js';
import { launchChromium, startErrpulse, type Started } from '../bench/console-harness.js';

const { values: flags } = parseArgs({ options: { url: { type: 'string' } } });
const OUT = join(PROJECT_ROOT, 'docs', 'console');
const VIEWPORT = { width: 1400, height: 960 };

let started: Started | undefined;
const link =
  flags.url ??
  (started = await startErrpulse({ port: await freePort(), args: ['--backfill', '65m'], env: { KAFKA_LOCAL_PORT: String(await freePort()) }, timeoutMs: 300_000 })).link;
const base = link.slice(0, link.indexOf('/#'));

async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => !(globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector('.card.busy, .loading'));
  // Nothing under the mouse: no hover highlights in the pictures.
  await page.mouse.move(0, 0);
}

const browser = await launchChromium();
try {
  mkdirSync(OUT, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: scheme, deviceScaleFactor: 1 });
    const page = await context.newPage();
    if (scheme === 'light') {
      await page.goto(`${base}/`);
      await page.locator('#token').waitFor();
      await page.screenshot({ path: join(OUT, 'login.png') });
    }
    await page.goto(link);
    await page.locator('[data-testid=totals]').waitFor({ timeout: 60_000 });
    await settle(page);
    await page.screenshot({ path: join(OUT, scheme === 'light' ? 'overview.png' : 'overview-dark.png') });
    if (scheme === 'dark') {
      await context.close();
      continue;
    }
    await page.goto(`${base}/#/spikes`);
    const spike = page.locator('[data-testid=spikes] tbody tr').filter({ has: page.locator('a', { hasText: 'drilldown' }) }).first();
    console.log('screenshots: waiting for a simulated incident in Spikes now …');
    await spike.waitFor({ timeout: 600_000 });
    await settle(page);
    await page.screenshot({ path: join(OUT, 'spikes.png') });
    const app = (await spike.locator('td').nth(2).textContent())?.trim() ?? '';
    await page.goto(`${base}/#/app/${encodeURIComponent(app)}`);
    await page.locator('section', { hasText: 'Codes over time' }).locator('canvas').first().waitFor();
    await settle(page);
    await page.screenshot({ path: join(OUT, 'app.png') });
    for (const [name, hash] of [
      ['movers', '#/movers?from=now-15m'],
      ['quota', '#/quota'],
      ['events', `#/events?app=${encodeURIComponent(app)}`],
      ['catalog', '#/catalog?q=websocket'],
    ] as const) {
      await page.goto(`${base}/${hash}`);
      await page.locator('main table, main .empty').first().waitFor({ timeout: 60_000 });
      await settle(page);
      await page.screenshot({ path: join(OUT, `${name}.png`) });
    }
    await context.close();
  }
  console.log(`screenshots: written to ${OUT}`);
} finally {
  await browser.close();
  await started?.stop();
}
