import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { scaledConfig } from '../../src/config/test-config.ts';

type Patch = Parameters<typeof scaledConfig>[1];

/** A fresh state directory per service start: a snapshot left by an earlier run must not leak in. */
export function freshStateDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `rmm-bench-${tag}-`));
}

/** The same config pointed at a running simulator, with its own state directory. */
export function pointedAt(config: Readonly<Config>, url: string, tag: string): Readonly<Config> {
  return validateConfig({
    ...structuredClone(config),
    hosts: config.hosts.map((h) => ({ ...h, url })),
    simulate: 'never',
    state_dir: freshStateDir(tag),
  });
}

/**
 * The overhead bench's world: the seed's catalog with real deadlines and thresholds, but a backend that
 * answers at once (tokens and loads take microseconds) and never queues (num_parallel 256), so every
 * microsecond measured is spent in HTTP and in the gateway, not waiting on a simulated GPU.
 */
export function overheadConfig(): Readonly<Config> {
  const c = structuredClone(
    scaledConfig(1, {
      hosts: [
        { name: 'local', url: 'http://127.0.0.1:1', vram_gb: 16, num_parallel: 256, max_loaded_models: 3 },
      ],
      simulator: { max_queue: 4096 },
    }),
  ) as Config;
  for (const m of Object.values(c.models)) {
    m.tokens_per_s = 1e9;
    m.load_time_s = 0.01;
  }
  c.server.log_level = 'info';
  return validateConfig(c);
}

/** The seed's catalog on one 16 GB host, every timing × `scale`, for the behavioural benches. */
export function seedWorld(scale: number, patch: Patch = {}): Readonly<Config> {
  const c = structuredClone(scaledConfig(scale, patch)) as Config;
  // The simulator's own keep-alive default (Ollama's 5 min) is a timing too: scale it with the rest.
  c.simulator.default_keep_alive = `${Math.max(1, Math.round(300_000 * scale))}ms`;
  return validateConfig(c);
}
