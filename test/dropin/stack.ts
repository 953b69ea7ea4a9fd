import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { buildApp } from '../../src/http/app.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createManager } from '../../src/runtime/manager.ts';
import type { RunningManager } from '../../src/runtime/manager-options.ts';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.ts';
import type { LoggedRequest } from '../../src/simulator/request-log.ts';

/**
 * The whole product on a socket: the HTTP app over the real manager over the simulator (the default
 * catalog, timings shrunk 1000×), so the official clients can be pointed at `url` unchanged and what
 * reached "Ollama" can be read back from the simulator's request log.
 */
export interface DropInStack {
  url: string;
  sim: SimulatorHandle;
  manager: RunningManager;
  config: Readonly<Config>;
  /** Bodies the simulator received on `path`, oldest first. */
  received(path: string): Promise<LoggedRequest[]>;
  clearReceived(): Promise<void>;
  close(): Promise<void>;
}

export async function startDropIn(): Promise<DropInStack> {
  const base = scaledConfig(0.001);
  const sim = await startSimulator({ config: base });
  // Deadlines, and the times that judge a model slow, get room: these tests check what travels, not how
  // fast (2 noisy cores). Scaled, a call over 10 ms counted as slow and a probe over 10 ms as failed, and
  // under load that opened a named model's circuit: the request went to a thinking model, whose 5 tokens
  // were all thinking.
  const config = validateConfig({
    ...structuredClone(base),
    hosts: base.hosts.map((h) => ({ ...h, url: sim.url })),
    deadlines: { interactive_s: 5, background_s: 10, batch_s: 20 },
    circuit: { ...base.circuit, slow_call_s: 5 },
    health: { ...base.health, probe_timeout_s: 5 },
  });
  const manager = await createManager(config, { backend: 'simulated', logger: pino({ level: 'silent' }) });
  await manager.started;
  const app: FastifyInstance = await buildApp({
    manager,
    config,
    metrics: createMetrics(),
    backend: 'simulated',
    logger: false,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    sim,
    manager,
    config,
    async received(path) {
      const res = await fetch(`${sim.url}/__sim/requests?path=${encodeURIComponent(path)}`);
      return ((await res.json()) as { requests: LoggedRequest[] }).requests;
    },
    async clearReceived() {
      await fetch(`${sim.url}/__sim/requests`, { method: 'DELETE' });
    },
    async close() {
      await app.close();
      await manager.close();
      await sim.close();
    },
  };
}
