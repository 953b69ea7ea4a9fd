import pino from 'pino';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { createManager } from '../../src/runtime/manager.ts';
import type { ManagerOptions, RunningManager } from '../../src/runtime/manager-options.ts';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.ts';
import { type Clock, systemClock } from '../../src/time/clock.ts';

type Patch = Parameters<typeof scaledConfig>[1];

/**
 * A small catalog that loads fast and fits together: alpha is the best, beta the next, gamma the last
 * resort; delta is slow to load (a "big" model that still fits). Sizes in GB, times in real-world seconds
 * before scaling.
 */
export const SMALL_CATALOG: Patch = {
  models: {
    alpha: { size_gb: 3, load_time_s: 4, tokens_per_s: 100, strengths: ['general'] },
    beta: { size_gb: 3, load_time_s: 4, tokens_per_s: 100, strengths: ['general'] },
    gamma: { size_gb: 2, load_time_s: 4, tokens_per_s: 100, strengths: ['general'] },
    delta: { size_gb: 6, load_time_s: 40, tokens_per_s: 60, strengths: ['complex'] },
  },
  chains: {
    general: [
      { model: 'alpha', quality: 0.95 },
      { model: 'beta', quality: 0.85 },
      { model: 'gamma', quality: 0.7 },
    ],
    complex: [
      { model: 'delta', quality: 0.95 },
      { model: 'beta', quality: 0.6 },
    ],
  },
  warm_set: ['alpha', 'beta', 'gamma'],
  hosts: [
    { name: 'local', url: 'http://127.0.0.1:11434', vram_gb: 16, num_parallel: 2, max_loaded_models: 4 },
  ],
};

export interface Stack {
  sim: SimulatorHandle;
  manager: RunningManager;
  config: Readonly<Config>;
  close(): Promise<void>;
}

/** A simulator and a manager pointed at it, both on the same scaled catalog. */
export async function startStack(
  scale: number,
  patch: Patch = {},
  options: ManagerOptions = {},
  existingSim?: SimulatorHandle,
): Promise<Stack> {
  const base = scaledConfig(scale, patch);
  const sim = existingSim ?? (await startSimulator({ config: base }));
  const config = validateConfig({
    ...structuredClone(base),
    hosts: base.hosts.map((h) => ({ ...h, url: sim.url })),
  });
  const manager = await createManager(config, {
    logger: pino({ level: 'silent' }),
    random: () => 0.5,
    ...options,
  });
  await manager.started;
  return {
    sim,
    manager,
    config,
    async close() {
      await manager.close();
      if (!existingSim) await sim.close();
    },
  };
}

/** Polls `check` until it returns true, or fails after `ms` (a behavioural wait, not a timing assert). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function stateOf(manager: RunningManager, model: string): string | undefined {
  return manager.status().models.find((m) => m.name === model)?.state;
}

/** Ollama unloads a model on its own (keep_alive 0 from another client); the next reconciliation sees it. */
export async function unloadBehindOurBack(stack: Stack, model: string): Promise<void> {
  const res = await fetch(`${stack.sim.url}/api/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, prompt: '', keep_alive: 0, stream: false }),
  });
  if (!res.ok) throw new Error(`unload of ${model} failed: ${res.status} ${await res.text()}`);
  for (const host of stack.config.hosts) await stack.manager.reconciler.reconcile(host.name);
}

/**
 * The system clock shifted so that "now" falls 20 minutes into an hour: hour-of-day demand (which looks a
 * quarter of an hour ahead) then reads the hour the test's own requests were counted in, whatever the
 * time the suite happens to run at.
 */
export function midHourClock(): Clock {
  const hour = 3_600_000;
  const offset = 20 * 60_000 - (Date.now() % hour);
  return {
    now: () => Date.now() + offset,
    setTimeout: systemClock.setTimeout,
    clearTimeout: systemClock.clearTimeout,
  };
}
