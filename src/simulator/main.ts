import { parseArgs, UsageError } from '../cli/args.ts';
import { loadConfig, validateConfig } from '../config/load.ts';
import { startSimulator } from './index.ts';
import type { SimulatorHandle } from './types.ts';

/** Ollama's own port, so tools that look for Ollama find the simulator. */
const DEFAULT_PORT = 11434;

export interface SimCliIo {
  out(line: string): void;
  /** Installs shutdown on SIGINT/SIGTERM; tests pass a no-op. */
  onSignal(close: () => Promise<void>): void;
}

const processIo: SimCliIo = {
  out: (line) => console.log(line),
  onSignal: (close) => {
    const stop = () => void close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
};

/**
 * `rmm sim --port N --config F [--seed S] [--time-scale X] [--host-name H] [--bind ADDR]`: starts the
 * simulator and prints one line with its URL. Bad flags throw UsageError (rmm prints it, exits 2).
 * Resolves with the running simulator; the open server keeps the process alive.
 */
export async function runSimulatorCli(argv: string[], io: SimCliIo = processIo): Promise<SimulatorHandle> {
  const { flags, positionals } = parseArgs(argv, {
    port: 'number',
    config: 'string',
    seed: 'number',
    'time-scale': 'number',
    'host-name': 'string',
    bind: 'string',
  });
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}"; rmm sim takes only flags`);
  const port = flags['port'] as number | undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got ${port}`);
  }
  const seed = flags['seed'] as number | undefined;
  if (seed !== undefined && !Number.isInteger(seed))
    throw new UsageError(`--seed must be an integer, got ${seed}`);
  const timeScale = flags['time-scale'] as number | undefined;
  if (timeScale !== undefined && !(timeScale > 0)) {
    throw new UsageError(
      `--time-scale must be a number above 0 (0.001 makes a 35 s load take 35 ms), got ${timeScale}`,
    );
  }
  const loaded = loadConfig({ file: flags['config'] as string | undefined });
  const config =
    seed === undefined && timeScale === undefined
      ? loaded
      : validateConfig({
          ...structuredClone(loaded),
          simulator: {
            ...loaded.simulator,
            ...(seed !== undefined && { seed }),
            ...(timeScale !== undefined && { time_scale: timeScale }),
          },
        });
  const hostName = flags['host-name'] as string | undefined;
  if (hostName !== undefined && !config.hosts.some((h) => h.name === hostName)) {
    throw new UsageError(
      `--host-name "${hostName}" is not in the config; known hosts: ${config.hosts.map((h) => h.name).join(', ')}`,
    );
  }
  const sim = await startSimulator({
    config,
    ...(hostName !== undefined && { hostName }),
    host: (flags['bind'] as string | undefined) ?? '127.0.0.1',
    port: port ?? DEFAULT_PORT,
  });
  const host = hostName ?? config.hosts[0]!.name;
  io.out(
    `rmm simulator (Ollama ${config.simulator.version}, host ${host}, seed ${config.simulator.seed}, time scale ${config.simulator.time_scale}) listening on ${sim.url}`,
  );
  io.onSignal(() => sim.close());
  return sim;
}
