import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { type Service, startService } from '../../src/service.ts';
import { hasChromium, launchChromium } from '../support/chromium.ts';
import { SMALL_CATALOG } from './harness.ts';

const WAIT = { timeout: 15_000 };

/**
 * Issue 16: an idle service probes its loaded models on a timer, and those records used to push every
 * real decision off the dashboard. Here probes run every 20 ms until hundreds have been recorded (far more
 * than the decision list holds), then the page must still show the warm set's loads, with the probes
 * folded into one line.
 */
describe.skipIf(!hasChromium)('dashboard decisions after idle probing, in Chromium', () => {
  let browser: Browser;
  let service: Service;
  let probes = 0;

  beforeAll(async () => {
    const counter = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line.includes('"decision":"probe"')) probes++;
        done();
      },
    });
    const base = scaledConfig(0.05, { ...SMALL_CATALOG, health: { probe_interval_s: 0.4, ttl_s: 0.4 } });
    const config = validateConfig({
      ...structuredClone(base),
      simulate: 'always',
      state_dir: mkdtempSync(join(tmpdir(), 'rmm-dash-probes-')),
    });
    service = await startService(config, { logger: pino({ level: 'info' }, counter) });
    await (service.manager as { started?: Promise<void> }).started;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('still lists the loads and other decisions that are not probes', async () => {
    await expect.poll(() => probes, { timeout: 30_000, interval: 100 }).toBeGreaterThan(300);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${service.url}/`);
    await page.locator('body[data-connection="live"]').waitFor(WAIT);
    const real = page.locator('#decisions > li[data-kind="load"]');
    await real.first().waitFor(WAIT);
    const loads = await real.locator('.message').allTextContents();
    for (const model of ['alpha', 'beta', 'gamma'])
      expect(
        loads.some((m) => m.startsWith(`${model} loaded on local`)),
        `${model} in ${loads}`,
      ).toBe(true);

    // Probes are folded: no probe stands alone at the top level, and a group says how many it holds.
    expect(await page.locator('#decisions > li[data-kind="probe"]').count()).toBe(0);
    const group = page.locator('#decisions > li[data-kind="probe-group"]').first();
    await group.waitFor(WAIT);
    expect(await group.locator('summary .message').textContent()).toMatch(/^\d+ health probes; latest: /);
    await page.screenshot({ path: join(tmpdir(), 'rmm-dashboard-probes.png'), fullPage: true });
    // ...and opens on a click to show each probe.
    await group.locator('summary').click();
    expect(await group.locator('.probe-list li[data-kind="probe"]').count()).toBeGreaterThan(1);
    // New probes re-render the list: the group stays open.
    const rendered = await page.evaluate(() => document.body.dataset['updatedAt']);
    await page.waitForFunction((before) => document.body.dataset['updatedAt'] !== before, rendered, WAIT);
    const reopened = page.locator('#decisions > li[data-kind="probe-group"] details').first();
    expect(await reopened.getAttribute('open')).toBe('');

    // A loaded model with latency from probes only does not claim "never" used.
    const lastUsed = await page
      .locator('#models tr[data-model-id="local/alpha"] td:last-child')
      .textContent();
    expect(lastUsed).toBe('probes only');

    // The machine diagrams link to their full-size SVG.
    const fullSize = page.locator('figure.diagram a.full-size').first();
    const href = await fullSize.getAttribute('href');
    expect(href).toMatch(/^\/dashboard\/diagrams\/.+\.svg$/);
    expect((await fetch(`${service.url}${href}`)).headers.get('content-type')).toContain('image/svg+xml');

    await page.close();
  });
});
