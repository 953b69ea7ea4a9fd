import pino, { type Logger } from 'pino';
import type { Config } from '../../src/config/schema.ts';
import { type Service, startService } from '../../src/service.ts';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.ts';
import { pointedAt } from './configs.ts';

/** A simulator and the service in front of it, both in this process (benches whose figures are times). */
export interface World {
  sim: SimulatorHandle;
  service: Service;
  url: string;
  /** Closes both; resolves false when the service did not finish closing within 5 s (a finding, not a crash). */
  close(): Promise<boolean>;
}

/** Worlds whose service.close() did not finish in time, for the report. */
export const closeProblems: string[] = [];

/** Logs at info like production, to /dev/null; `silent` for runs that are about behaviour, not cost. */
export function benchLogger(level: 'info' | 'silent' = 'info'): Logger {
  return pino({ level }, pino.destination('/dev/null'));
}

export async function startWorld(
  config: Readonly<Config>,
  tag: string,
  logger = benchLogger(),
): Promise<World> {
  const sim = await startSimulator({ config });
  const service = await startService(pointedAt(config, sim.url, tag), { logger });
  const started = (service.manager as { started?: Promise<void> }).started;
  if (started) await started;
  return {
    sim,
    service,
    url: service.url,
    async close() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), 5000);
      });
      const closed = await Promise.race([service.close().then(() => true as const), timedOut]);
      clearTimeout(timer);
      if (!closed) closeProblems.push(`${tag}: service.close() still pending after 5 s`);
      // Closing the simulator cuts whatever the service still waits on, so a hung close finishes too.
      await sim.close();
      return closed;
    },
  };
}
