import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isDashboardPublicPath } from '../../src/http/dashboard/dashboard-paths.ts';
import { type DashboardHandle, registerDashboard } from '../../src/http/dashboard/register-dashboard.ts';
import { CHROMIUM, hasChromium, launchChromium } from '../support/chromium.ts';
import { FakeManager } from './fake-manager.ts';

if (!hasChromium) console.warn(`dashboard browser test skipped: ${CHROMIUM} is not installed`);

// The page's words for each state, written out here so a wrong label in the page fails the test.
const LABELS: Record<string, string> = {
  loaded: 'Loaded',
  loading: 'Loading',
  unloaded: 'Unloaded',
  degraded: 'Degraded',
  halfOpen: 'Half-open',
  open: 'Circuit open',
  missing: 'Missing',
};

const DIAGRAM =
  '<svg xmlns="http://www.w3.org/2000/svg" width="360" height="120" viewBox="0 0 360 120">' +
  '<rect x="10" y="40" width="90" height="40" rx="8" fill="#ddf4ff" stroke="#0969da"/>' +
  '<text x="55" y="65" font-size="13" text-anchor="middle">unloaded</text>' +
  '<path d="M100 60 H250" stroke="#555" marker-end="url(#a)"/>' +
  '<rect x="250" y="40" width="90" height="40" rx="8" fill="#dafbe1" stroke="#1a7f37"/>' +
  '<text x="295" y="65" font-size="13" text-anchor="middle">loaded</text></svg>';

const WAIT = { timeout: 8_000 };

describe.skipIf(!hasChromium)('dashboard in headless Chromium', () => {
  let browser: Browser;
  let vizDir: string;
  let app: FastifyInstance;
  let manager: FakeManager;
  let dashboard: DashboardHandle;
  let base: string;

  beforeAll(async () => {
    vizDir = await mkdtemp(join(tmpdir(), 'rmm-dash-'));
    await writeFile(join(vizDir, 'model.machine.svg'), DIAGRAM);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await rm(vizDir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await app?.close();
  });

  /** Starts an app on 127.0.0.1:0; `apiKey` adds a bearer hook that, like the real app's, spares the page. */
  async function serve(apiKey?: string): Promise<void> {
    app = Fastify();
    if (apiKey) {
      app.addHook('onRequest', async (req, reply) => {
        if (req.routeOptions.config.public || isDashboardPublicPath(req.url)) return;
        if (req.headers.authorization !== `Bearer ${apiKey}`) {
          await reply
            .code(401)
            .send({ error: { code: 'RMM_UNAUTHORIZED', message: 'missing or wrong key' } });
        }
      });
    }
    manager = new FakeManager();
    dashboard = await registerDashboard(app, { manager, visualizationsDir: vizDir, pollMs: 100 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  /** A page that records every failure and every request leaving for somewhere other than our server. */
  async function openPage(path = '/'): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(base)) problems.push(`external request: ${r.url()}`);
    });
    await page.goto(base + path);
    return { page, problems };
  }

  it('shows every model, the VRAM bars and the diagram, and follows a circuit opening live', async () => {
    await serve();
    const { page, problems } = await openPage();
    await page.locator('body[data-connection="live"]').waitFor(WAIT);
    await page.locator('#models tbody tr[data-model-id]').first().waitFor(WAIT);

    const status = manager.status();
    expect(await page.locator('#models tbody tr[data-model-id]').count()).toBe(status.models.length);
    for (const m of status.models) {
      const row = page.locator(`#models tbody tr[data-model-id="${m.id}"]`);
      expect(await row.locator('th').textContent()).toBe(m.name);
      expect(await row.locator('.state').textContent()).toBe(LABELS[m.state]);
    }

    // Two hosts: the table is grouped by host, a heading row (with the host's health) above its models.
    const order = await page
      .locator('#models tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => r.getAttribute('data-host-group') ?? r.getAttribute('data-model-id')),
      );
    expect(order.slice(0, 3)).toEqual(['gpu2', 'llama3.1:70b@gpu2', 'local']);
    expect(order.filter((x) => x === 'gpu2' || x === 'local')).toHaveLength(2);
    expect(await page.locator('#models tr[data-host-group="local"]').textContent()).toBe('local · up');

    expect(await page.locator('.legend [data-count-for="loaded"]').textContent()).toBe('2');
    expect(await page.locator('.legend [data-count-for="open"]').textContent()).toBe('0');
    await expect(page.locator('#sim-banner').isVisible()).resolves.toBe(true);
    expect(await page.locator('#backend').textContent()).toBe('backend: simulated');

    // VRAM: 11.3 of 16 GB on "local" → the fill covers ~71 % of the bar.
    const bar = page.locator('[data-host="local"] [role="meter"]');
    expect(await bar.getAttribute('aria-valuenow')).toBe('11.3');
    expect(await bar.getAttribute('aria-valuemax')).toBe('16');
    expect(await fillRatio(page, 'local')).toBeCloseTo(11.3 / 16, 1);
    expect(await page.locator('[data-host="local"] .vram-text').textContent()).toContain('11.3 of 16 GB');
    expect(await fillRatio(page, 'gpu2')).toBeCloseTo(0, 2);

    expect(await page.locator('#inflight-total').textContent()).toBe('3');
    expect(await page.locator('#decisions li').first().textContent()).toContain('chose llama3.2:3b');

    const diagram = page.locator('img[src="/dashboard/diagrams/model.machine.svg"]');
    await diagram.waitFor(WAIT);
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('.diagram img');
      return img?.complete && img.naturalWidth > 0;
    }, WAIT);

    await page.screenshot({ path: '/tmp/dashboard.png', fullPage: true });

    // A fault in the simulator trips a breaker: the page must follow without a reload.
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    manager.setState('llama3.2:3b@local', 'open');
    manager.host('local').vram_used_gb = 4;
    manager.decide('circuit', 'llama3.2:3b opened after 5 consecutive failures (timeout)', 'req-9');
    const opened = page.locator('#models tr[data-model-id="llama3.2:3b@local"][data-state="open"]');
    await opened.waitFor(WAIT);
    expect(await opened.locator('.state').textContent()).toBe('Circuit open');
    expect(await opened.locator('.circuit').textContent()).toBe('Open');
    expect(await opened.locator('.retry').textContent()).toMatch(/retry in (59|60) s/);
    expect(await page.locator('.legend [data-count-for="open"]').textContent()).toBe('1');
    expect(await page.locator('.legend [data-count-for="loaded"]').textContent()).toBe('1');
    await page.waitForFunction(
      () =>
        document.querySelector('[data-host="local"] [role="meter"]')?.getAttribute('aria-valuenow') === '4',
      undefined,
      WAIT,
    );
    expect(await fillRatio(page, 'local')).toBeCloseTo(4 / 16, 1);
    expect(await page.locator('#decisions li').first().textContent()).toContain('opened after 5 consecutive');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );

    await page.screenshot({ path: '/tmp/dashboard-open.png', fullPage: true });
    await page.close();
    await waitUntil(() => dashboard.feed.clients === 0);
    expect(problems).toEqual([]);
  });

  it('says which replica it is and who plans each host when replicas share the fleet', async () => {
    await serve();
    const { page, problems } = await openPage();
    await page.locator('body[data-connection="live"]').waitFor(WAIT);
    // Alone: no replica badge at all.
    expect(await page.locator('#replica').isVisible()).toBe(false);
    manager.status_.shared_state = {
      mode: 'redis',
      replica: 'rmm-a',
      redis: {
        url: 'redis://127.0.0.1:6379',
        connected: true,
        since: new Date().toISOString(),
        last_error: null,
      },
      fallback: false,
      lease_s: 5,
      planners: {
        local: { replica: 'rmm-a', token: 3, this_replica: true },
        gpu2: { replica: 'rmm-b', token: 7, this_replica: false },
      },
    };
    const badge = page.locator('#replica');
    await badge.waitFor({ state: 'visible', ...WAIT });
    expect(await badge.textContent()).toBe(
      'replica rmm-a · Redis connected · local planned here, gpu2 planned by rmm-b',
    );
    // Redis goes away: the badge says this replica plans alone, in the warning colours.
    if (manager.status_.shared_state.mode === 'redis') manager.status_.shared_state.redis.connected = false;
    await page.waitForFunction(
      () => document.querySelector('#replica')?.textContent?.includes('planning alone'),
      undefined,
      WAIT,
    );
    expect(await badge.getAttribute('class')).toContain('badge-replica-alone');
    await page.close();
    expect(problems).toEqual([]);
  });

  it('reconnects after the stream drops and shows a status read failure', async () => {
    await serve();
    const { page, problems } = await openPage();
    await page.locator('body[data-connection="live"]').waitFor(WAIT);

    manager.failWith = new Error('supervisor is restarting');
    await page.locator('#feed-error:not([hidden])').waitFor(WAIT);
    expect(await page.locator('#feed-error').textContent()).toContain('supervisor is restarting');
    manager.failWith = undefined;
    await page.locator('#feed-error[hidden]').waitFor({ ...WAIT, state: 'attached' });

    // The server drops every stream (as a restart would); the page comes back by itself.
    dashboard.feed.close();
    await page.locator('body[data-connection="reconnecting"]').waitFor({ ...WAIT, state: 'attached' });
    await page.close();
    expect(problems.filter((p) => !p.includes('Failed to load resource'))).toEqual([]);
  });

  it('asks for the API key when the stream needs one, and uses #token= without keeping it in the URL', async () => {
    await serve('s3cret');
    const { page } = await openPage();
    await page.locator('#auth:not([hidden])').waitFor(WAIT);
    expect(await page.locator('body').getAttribute('data-connection')).toBe('auth');
    await page.fill('#auth-key', 's3cret');
    await page.click('#auth button[type="submit"]');
    await page.locator('body[data-connection="live"]').waitFor(WAIT);
    await page.locator('#models tbody tr[data-model-id]').first().waitFor(WAIT);
    expect(await page.locator('#auth').isHidden()).toBe(true);
    await page.close();

    const second = await openPage('/#token=s3cret');
    await second.page.locator('#models tbody tr[data-model-id]').first().waitFor(WAIT);
    expect(second.page.url()).toBe(`${base}/`);
    await second.page.close();
  });
});

async function fillRatio(page: Page, host: string): Promise<number> {
  return page.evaluate((name) => {
    const bar = document.querySelector(`[data-host="${name}"] .vram`);
    const fill = bar?.querySelector('.vram-fill');
    if (!bar || !fill) return Number.NaN;
    // The fill animates its width: jump to the end of the transition, then measure what is drawn.
    for (const animation of fill.getAnimations()) animation.finish();
    return fill.getBoundingClientRect().width / bar.clientWidth;
  }, host);
}

async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
