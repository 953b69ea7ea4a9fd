import type { Config } from '../../src/config/schema.ts';
import { type FaultSpec, startSimulator } from '../../src/simulator/index.ts';
import { memorySample, payload, serveParent } from './protocol.ts';

/** The simulator in its own process, so the backend's CPU is not counted against the gateway. */
const { config } = payload<{ config: Config }>();
const sim = await startSimulator({ config });
serveParent(
  sim.url,
  {
    addFault: (spec: FaultSpec) => sim.faults.add(spec),
    clearFaults: () => sim.faults.clear(),
    state: () => sim.state(),
    reset: () => sim.reset(),
    mem: () => memorySample(),
  },
  () => sim.close(),
);
