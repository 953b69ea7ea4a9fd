import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { RmmError } from '../../src/manager/errors.ts';
import { createManager } from '../../src/runtime/manager.ts';
import type { RunningManager } from '../../src/runtime/manager-options.ts';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.ts';
import { eventually, SMALL_CATALOG } from './harness.ts';

const SCALE = 0.05;
let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  cleanup = [];
});

/** Simulators on fixed ports (so a stopped one can come back where it was) and a manager over them. */
async function world(hostNames: string[]) {
  const base = scaledConfig(SCALE, {
    ...SMALL_CATALOG,
    hosts: hostNames.map((name) => ({
      name,
      url: 'http://127.0.0.1:1',
      vram_gb: 16,
      num_parallel: 2,
      max_loaded_models: 4,
    })),
    // Long enough that a circuit opened by the outage would still be open when the host is back.
    circuit: { recovery_timeout_s: 600, recovery_timeout_max_s: 600 },
  });
  const sims = new Map<string, SimulatorHandle>();
  for (const name of hostNames) sims.set(name, await startSimulator({ config: base, hostName: name }));
  const config = validateConfig({
    ...structuredClone(base),
    hosts: base.hosts.map((h) => ({ ...h, url: sims.get(h.name)!.url })),
  });
  const manager = await createManager(config, { logger: pino({ level: 'silent' }), random: () => 0.5 });
  await manager.started;
  cleanup.push(() => manager.close());
  for (const sim of sims.values()) cleanup.push(() => sim.close());
  return { config, sims, manager };
}

function ask(manager: RunningManager) {
  return manager.complete({ kind: 'generate', prompt: 'x', taskType: 'general', urgency: 'interactive' });
}

const failures = (m: RunningManager) =>
  m.status().circuits.map((c) => [c.id, c.failure_count, c.times_opened] as const);

describe('host health apart from model health', () => {
  it('a host that refuses connections is down, its models are not blamed, and they serve as soon as it answers', async () => {
    const w = await world(['local']);
    const { manager } = w;
    expect((await ask(manager)).model_used).toBe('alpha');
    const before = failures(manager);

    // The host goes away: connections are refused.
    const port = Number(new URL(w.sims.get('local')!.url).port);
    await w.sims.get('local')!.close();
    const during: unknown[] = [];
    for (let i = 0; i < 5; i++) during.push(await ask(manager).catch((e: unknown) => e));
    for (const e of during) {
      expect(e).toBeInstanceOf(RmmError);
      expect((e as RmmError).code).toBe('RMM_HOSTS_DOWN');
    }
    const host = manager.status().hosts[0]!;
    expect(host.health.status).toBe('down');
    expect(host.health.reason).toBe('connection_refused');
    expect(Date.parse(host.health.since ?? '')).toBeGreaterThan(0);
    // No model was charged with the outage: same failure counts, no circuit opened.
    expect(failures(manager)).toEqual(before);

    // It comes back (an Ollama restart: nothing loaded) on the same port.
    const back = await startSimulator({ config: w.config, hostName: 'local', port });
    cleanup.push(() => back.close());
    await eventually(
      () => manager.status().hosts[0]!.health.status === 'up',
      5000,
      'the host probe to see it',
    );
    const first = await ask(manager);
    expect(first.response.length).toBeGreaterThan(0);
    expect(manager.status().hosts[0]!.health.outages).toBe(1);
    // Its warm set comes back without waiting for traffic.
    await eventually(() => manager.ready(), 5000, 'the warm set to serve again');
  });

  it('with two hosts, one refusing: every request is answered by the other, none blamed', async () => {
    const w = await world(['first', 'second']);
    const { manager } = w;
    await w.sims.get('first')!.close();
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await ask(manager));
    for (const a of answers) expect(a.host).toBe('second');
    expect(manager.status().hosts.find((h) => h.name === 'first')!.health.status).toBe('down');
    expect(manager.status().circuits.every((c) => !c.is_open)).toBe(true);
  });
});

describe('a late answer beats an error', () => {
  it('cold start with nothing warm for the task: an interactive request is answered late, never refused', async () => {
    // Nothing warm, and every model loads in 10 s (500 ms scaled) against a 5 s (250 ms) interactive deadline.
    const models = Object.fromEntries(
      Object.entries(SMALL_CATALOG?.models ?? {}).map(([name, spec]) => [
        name,
        { ...spec!, load_time_s: 10 },
      ]),
    );
    const base = scaledConfig(SCALE, { ...SMALL_CATALOG, models, warm_set: [] });
    const sim = await startSimulator({ config: base });
    cleanup.push(() => sim.close());
    const config = validateConfig({
      ...structuredClone(base),
      hosts: base.hosts.map((h) => ({ ...h, url: sim.url })),
    });
    const manager = await createManager(config, { logger: pino({ level: 'silent' }), random: () => 0.5 });
    cleanup.push(() => manager.close());
    await manager.started;
    const r = await manager.complete({
      kind: 'generate',
      prompt: 'plan it',
      taskType: 'complex',
      urgency: 'interactive',
    });
    expect(r.response.length).toBeGreaterThan(0);
    expect(r.late_ms).toBeGreaterThan(0);
    expect(r.selection_reason).toMatch(/after the interactive deadline/);
    // Every load it waited on counts as an attempt when it fails; here the one it took succeeded.
    expect(r.attempts).toBeGreaterThanOrEqual(1);
  });

  it("the client's own deadline (x-rmm-deadline-ms) bounds the wait: then it fails, saying so", async () => {
    const base = scaledConfig(SCALE, { ...SMALL_CATALOG, warm_set: [] });
    const sim = await startSimulator({ config: base });
    cleanup.push(() => sim.close());
    const config = validateConfig({
      ...structuredClone(base),
      hosts: base.hosts.map((h) => ({ ...h, url: sim.url })),
    });
    const manager = await createManager(config, { logger: pino({ level: 'silent' }), random: () => 0.5 });
    cleanup.push(() => manager.close());
    await manager.started;
    const err = await manager
      .complete({
        kind: 'generate',
        prompt: 'plan it',
        taskType: 'complex',
        urgency: 'interactive',
        deadlineMs: 100,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RmmError);
    expect((err as RmmError).code).toBe('RMM_DEADLINE_EXCEEDED');
    expect((err as RmmError).message).toMatch(/x-rmm-deadline-ms/);
  });
});
