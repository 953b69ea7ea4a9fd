import { SimulatorServer } from './server.ts';
import type { SimulatorHandle, StartSimulatorOptions } from './types.ts';

export { FaultSpecError, validateFaultSpec } from './faults.ts';
export type {
  Fault,
  FaultControl,
  FaultKind,
  FaultSpec,
  SchedulerEviction,
  SimModelState,
  SimState,
  SimulatorHandle,
  StartSimulatorOptions,
} from './types.ts';
export { FAULT_KINDS } from './types.ts';

/**
 * Starts an Ollama-compatible simulator for one host of `config` on 127.0.0.1 and an ephemeral port
 * unless told otherwise. Fault kinds and state fields are documented in types.ts.
 */
export async function startSimulator(opts: StartSimulatorOptions): Promise<SimulatorHandle> {
  const { config } = opts;
  const host = opts.hostName ? config.hosts.find((h) => h.name === opts.hostName) : config.hosts[0];
  if (!host) {
    throw new Error(
      `simulator: no host named "${opts.hostName}" in config.hosts; known: ${config.hosts.map((h) => h.name).join(', ')}`,
    );
  }
  const sim = new SimulatorServer(config, host);
  await sim.listen(opts.host ?? '127.0.0.1', opts.port ?? 0);
  return {
    url: sim.url,
    port: sim.port,
    close: () => sim.close(),
    faults: sim.faultControl,
    state: () => sim.state(),
    restart: () => sim.restart(),
    reset: () => sim.reset(),
  };
}
