import pino from 'pino';
import type { Config } from '../../src/config/schema.ts';
import { startService } from '../../src/runtime/service.ts';
import { profilerHandlers } from './profiler.ts';
import { memorySample, payload, serveParent } from './protocol.ts';

/**
 * The gateway with its full machinery, as `rmm serve` runs it, logging at info (to /dev/null: the cost of
 * formatting and writing each line is paid, the disk is not filled).
 */
const { config } = payload<{ config: Config }>();
const logger = pino({ level: 'info' }, pino.destination('/dev/null'));
const service = await startService(config, { logger });
const started = (service.manager as { started?: Promise<void> }).started;
if (started) await started;
serveParent(
  service.url,
  {
    status: () => service.manager.status(),
    mem: () => memorySample(),
    ...profilerHandlers(),
  },
  () => service.close(),
);
