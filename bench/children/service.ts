import { writeHeapSnapshot } from 'node:v8';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { startService } from '../../src/service.ts';
import { profilerHandlers } from './profiler.ts';
import { memorySample, payload, serveParent } from './protocol.ts';

/**
 * The gateway with its full machinery, as `rmm serve` runs it: its own logger at info, writing to stdout,
 * which bench/lib/child.ts points at /dev/null (every line is formatted and written; no disk fills up).
 */
const given = payload<{ config: Config }>().config;
const config = validateConfig({ ...structuredClone(given), server: { ...given.server, log_level: 'info' } });
const service = await startService(config);
const started = (service.manager as { started?: Promise<void> }).started;
if (started) await started;
serveParent(
  service.url,
  {
    status: () => service.manager.status(),
    mem: () => memorySample(),
    /** For chasing soak growth: diff two of these by constructor (bench/lib/heap-diff.ts). */
    heapSnapshot: (file: string) => {
      memorySample();
      return writeHeapSnapshot(file);
    },
    ...profilerHandlers(),
  },
  () => service.close(),
);
