import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { OllamaBackend } from './backend/ollama-backend.ts';
import { DEFAULT_OLLAMA_URL } from './config/defaults.ts';
import { validateConfig } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { buildApp } from './http/app.ts';
import { registerDashboard } from './http/dashboard/index.ts';
import { createInspection } from './inspection/index.ts';
import type { Manager } from './manager/manager.ts';
import { createMetrics } from './observability/metrics.ts';
import { createServiceLogger } from './observability/service-logger.ts';
import { createManager } from './runtime/manager.ts';
import { startSimulator } from './simulator/index.ts';

export interface Service {
  url: string;
  config: Readonly<Config>;
  manager: Manager;
  app: FastifyInstance;
  logger: Logger;
  backend: 'real' | 'simulated';
  /** The built-in simulators' URLs (their /__sim admin API injects faults); empty with a real Ollama. */
  simulatorUrls: string[];
  close(): Promise<void>;
}

/**
 * Starts everything: decides between a real Ollama and the built-in simulator, creates the manager, and
 * listens. A down Ollama never stops the start: models just show unhealthy until it answers.
 */
export interface ServiceOptions {
  logger?: Logger;
  env?: Record<string, string | undefined>;
  /** --inspect, --inspect-log FILE, --inspect-url URL. */
  inspection?: { inspect?: boolean; logFile?: string; url?: string };
}

export async function startService(
  initial: Readonly<Config>,
  options: ServiceOptions = {},
): Promise<Service> {
  const env = options.env ?? process.env;
  const closers: Array<() => Promise<void>> = [];
  let logger = options.logger;
  if (!logger) {
    const own = createServiceLogger({
      level: initial.server.log_level,
      pretty: process.stdout.isTTY === true,
    });
    closers.push(own.close);
    logger = own.logger;
  }

  let config = initial;
  let backend: 'real' | 'simulated' = 'real';
  const simulatorUrls: string[] = [];
  if (await shouldSimulate(initial, env)) {
    backend = 'simulated';
    const sims = [];
    for (const [i, host] of initial.hosts.entries()) {
      const sim = await startBuiltInSimulator(initial, host.name, i, logger);
      closers.push(() => sim.close());
      sims.push({ ...host, url: sim.url });
      simulatorUrls.push(sim.url);
    }
    config = validateConfig({ ...structuredClone(initial), hosts: sims });
    logger.warn(
      { simulator: sims.map((h) => h.url) },
      '*** NO OLLAMA FOUND: serving from the BUILT-IN SIMULATOR. Answers are simulated, not real model output. ' +
        'Set OLLAMA_HOST or configure hosts to use a real Ollama. ***',
    );
    logger.info(
      { simulator_url: simulatorUrls[0] },
      `inject a fault: ${faultExample(simulatorUrls[0]!, Object.keys(config.models)[0] ?? 'MODEL')}`,
    );
  }

  const inspection = options.inspection
    ? createInspection({
        ...options.inspection,
        logger: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
      })
    : undefined;
  if (inspection) closers.push(() => inspection.close());
  const metrics = createMetrics({ defaultMetrics: true });
  const manager = await createManager(config, {
    logger,
    backend,
    metrics,
    stateDir: config.state_dir,
    ...(inspection && { inspect: inspection.inspect }),
  });
  const app = await buildApp({ manager, config, logger, backend, metrics });
  await registerDashboard(app, { manager });
  const address = await app.listen({ host: config.server.host, port: config.server.port });
  logger.info(
    { url: address, backend, hosts: config.hosts.map((h) => h.url) },
    'resilient model manager listening',
  );

  return {
    url: address,
    config,
    manager,
    app,
    logger,
    backend,
    simulatorUrls,
    async close() {
      await app.close();
      await manager.close();
      for (const close of closers.reverse()) await close();
    },
  };
}

async function shouldSimulate(
  config: Readonly<Config>,
  env: Record<string, string | undefined>,
): Promise<boolean> {
  if (config.simulate === 'always') return true;
  if (config.simulate === 'never' || env['OLLAMA_HOST']) return false;
  const onlyDefault = config.hosts.length === 1 && config.hosts[0]?.url === DEFAULT_OLLAMA_URL;
  if (!onlyDefault) return false;
  return !(await answers(DEFAULT_OLLAMA_URL));
}

async function answers(url: string): Promise<boolean> {
  const probe = new OllamaBackend(url);
  try {
    await probe.version(AbortSignal.timeout(700));
    return true;
  } catch {
    return false;
  } finally {
    await probe.close();
  }
}

/**
 * The simulator listens on `simulator.port` (Ollama's 11434 by default, where nothing answered, so the
 * README's examples work as written), the next ports for further hosts; a taken port falls back to any
 * free one, and the log says which.
 */
async function startBuiltInSimulator(
  config: Readonly<Config>,
  hostName: string,
  index: number,
  logger: Logger,
) {
  const wanted = config.simulator.port === 0 ? 0 : config.simulator.port + index;
  try {
    return await startSimulator({ config, hostName, port: wanted });
  } catch (err) {
    if (wanted === 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const sim = await startSimulator({ config, hostName, port: 0 });
    logger.warn(
      { wanted, url: sim.url },
      `simulator: port ${wanted} is taken; listening on ${sim.url} instead`,
    );
    return sim;
  }
}

/** The exact command that injects a fault into the built-in simulator, with its real address. */
export function faultExample(simulatorUrl: string, model: string): string {
  return (
    `curl -s -X POST ${simulatorUrl}/__sim/faults -H 'Content-Type: application/json' ` +
    `-d '{"kind": "http_500", "model": "${model}", "count": 5}'`
  );
}
