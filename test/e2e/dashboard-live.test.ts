import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { type Service, startService } from '../../src/service.ts';
import { hasChromium, launchChromium } from '../support/chromium.ts';
import { SMALL_CATALOG } from './harness.ts';

const WAIT = { timeout: 15_000 };

describe.skipIf(!hasChromium)('dashboard over the real service and simulator, in Chromium', () => {
  let browser: Browser;
  let service: Service;

  beforeAll(async () => {
    const base = scaledConfig(0.05, SMALL_CATALOG);
    const config = validateConfig({
      ...structuredClone(base),
      simulate: 'always',
      state_dir: mkdtempSync(join(tmpdir(), 'rmm-dash-state-')),
    });
    service = await startService(config, { logger: pino({ level: 'silent' }) });
    await (service.manager as { started?: Promise<void> }).started;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('shows every model, and changes live when a fault is injected in the simulator', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(service.url) && !req.url().startsWith('data:')) outside.push(req.url());
    });
    await page.goto(`${service.url}/`);
    await page.locator('body[data-connection="live"]').waitFor(WAIT);
    for (const m of service.manager.status().models) {
      await page.locator(`#models tbody tr[data-model-id="${m.id}"]`).waitFor(WAIT);
    }
    await page.locator('#models tr[data-model-id="local/alpha"][data-state="loaded"]').waitFor(WAIT);
    await expect(page.locator('#sim-banner').isVisible()).resolves.toBe(true);

    // The fault goes to the simulator, not to the service: the dashboard must notice through the actors.
    const res = await fetch(`${service.simulatorUrls[0]}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'http_500', model: 'alpha' }),
    });
    expect(res.status).toBe(201);
    for (let i = 0; i < 6; i++) {
      await fetch(`${service.url}/api/echo/resilient/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `q${i}`, task_type: 'general', urgency: 'background' }),
      });
    }
    const opened = page.locator('#models tr[data-model-id="local/alpha"][data-state="open"]');
    await opened.waitFor(WAIT);
    expect(await opened.locator('.state').textContent()).toBe('Circuit open');
    await page.waitForFunction(
      () => document.querySelector('#decisions')?.textContent?.includes('alpha'),
      undefined,
      WAIT,
    );
    expect(outside).toEqual([]);
    await page.screenshot({ path: join(tmpdir(), 'rmm-dashboard-live.png'), fullPage: true });
    await page.close();
  });
});
