import { pino } from 'pino';
import { validateConfig } from '../../src/config/load.ts';
import { createManager } from '../../src/runtime/manager.ts';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.ts';
import type { ManagerFactory } from './harness.ts';

/**
 * The real manager over the built-in simulator (one per configured host), for running the HTTP contract
 * suites (clients, seed curl+jq, fuzz, security) against it instead of the fake:
 *   RMM_HTTP_MANAGER_FACTORY=test/http/real-manager-factory.ts npx vitest run test/http
 */
const realManagerFactory: ManagerFactory = async (initial) => {
  const sims: SimulatorHandle[] = [];
  const hosts = [];
  for (const host of initial.hosts) {
    const sim = await startSimulator({ config: initial, hostName: host.name });
    sims.push(sim);
    hosts.push({ ...host, url: sim.url });
  }
  // The test config shrinks every timing 1000×; a 5 ms interactive deadline is then shorter than one
  // scheduling hiccup of this 2-core box. These tests check the HTTP contract, not deadlines: give the
  // journey room (loads stay scaled, so they still take milliseconds).
  const deadlines = { interactive_s: 2, background_s: 5, batch_s: 10 };
  const config = validateConfig({ ...structuredClone(initial), hosts, deadlines });
  const manager = await createManager(config, { backend: 'simulated', logger: pino({ level: 'silent' }) });
  await manager.started;
  return {
    manager,
    async close() {
      await manager.close();
      for (const sim of sims) await sim.close();
    },
  };
};

export default realManagerFactory;
