import pino from 'pino';
import type { Backend } from '../backend/backend.ts';
import { OllamaBackend } from '../backend/ollama-backend.ts';
import { validateConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { EvictionPolicyName } from '../policy/planner.ts';
import { createManager } from '../runtime/manager.ts';
import type { RunningManager } from '../runtime/manager-options.ts';
import { Prng } from '../simulator/prng.ts';
import { SimulatorServer } from '../simulator/server.ts';
import { VirtualClock } from '../time/virtual-clock.ts';
import { InProcessDispatcher } from './in-process-dispatcher.ts';
import { during } from './pump.ts';

/** Midnight of an arbitrary fixed day: the simulated day starts here, whatever the machine's date. */
export const DAY_START = Date.parse('2026-01-05T00:00:00.000Z');

/**
 * One simulated fleet on a virtual clock: a simulated Ollama per configured host (the simulator's own
 * scheduler, eviction and faults, reached in-process) and a backend per host that speaks HTTP to it through
 * the in-process dispatcher. Nothing here opens a socket or arms a real timer.
 */
export interface SimWorld {
  clock: VirtualClock;
  quiesce?: (() => Promise<void>) | undefined;
  config: Readonly<Config>;
  sims: Map<string, SimulatorServer>;
  backends: Map<string, Backend>;
}

export function buildWorld(base: Readonly<Config>, seed: number): SimWorld {
  const clock = new VirtualClock(DAY_START);
  // The simulated hosts run at time scale 1: a virtual millisecond is a simulated one.
  const config = validateConfig({
    ...structuredClone(base),
    simulator: { ...base.simulator, seed, time_scale: 1 },
  });
  const sims = new Map<string, SimulatorServer>();
  const backends = new Map<string, Backend>();
  for (const host of config.hosts) {
    const sim = new SimulatorServer(config, host, clock);
    sims.set(host.name, sim);
    const url = `http://${host.name}.simulated:11434`;
    backends.set(host.name, new OllamaBackend(url, { dispatcher: new InProcessDispatcher(sim), clock }));
  }
  return {
    clock,
    config: validateConfig({
      ...config,
      hosts: config.hosts.map((h) => ({ ...h, url: `http://${h.name}.simulated:11434` })),
    }),
    sims,
    backends,
  };
}

/** The real manager on the world's clock and backends, started (first reconciliation, warm set loaded). */
export async function startManager(
  world: SimWorld,
  opts: { seed: number; stateDir?: string; evictionPolicy?: EvictionPolicyName },
): Promise<RunningManager> {
  const rng = new Prng(opts.seed ^ 0x5eed);
  const manager = await during(
    world,
    createManager(world.config, {
      clock: world.clock,
      backends: world.backends,
      backend: 'simulated',
      logger: pino({ level: 'silent' }),
      random: () => rng.next(),
      runId: `sim-${opts.seed}`,
      durable: false,
      ...(opts.stateDir !== undefined && { stateDir: opts.stateDir }),
      ...(opts.evictionPolicy !== undefined && { evictionPolicy: opts.evictionPolicy }),
    }),
    'the manager to be created',
  );
  world.quiesce = () => manager.ioIdle();
  await during(world, manager.started, 'the manager to start');
  return manager;
}
