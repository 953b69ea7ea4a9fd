import { Ollama } from 'ollama';
import type { Config, ModelSpec } from '../../src/config/schema.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.ts';

/** Shared test plumbing: small configs with hand-picked models, a started simulator, raw HTTP helpers. */

export interface TinyModel {
  size_gb: number;
  /** Real seconds (the test configs run at time_scale 1). */
  load_s?: number;
  tokens_per_s?: number;
}

export interface SimSetup {
  models?: Record<string, TinyModel>;
  vram_gb?: number;
  num_parallel?: number;
  max_loaded_models?: number;
  max_queue?: number;
  default_keep_alive?: string;
  version?: string;
  seed?: number;
}

/** A validated config whose catalog is exactly `models` (default: two small fast models). */
export function tinyConfig(setup: SimSetup = {}): Readonly<Config> {
  const models = setup.models ?? { 'alpha:1b': { size_gb: 2 }, 'beta:1b': { size_gb: 2 } };
  const specs: Record<string, ModelSpec> = {};
  for (const [name, m] of Object.entries(models)) {
    specs[name] = {
      size_gb: m.size_gb,
      load_time_s: m.load_s ?? 0.005,
      tokens_per_s: m.tokens_per_s ?? 20_000,
      strengths: ['general'],
      family: 'llama',
      parameter_size: '1B',
      quantization_level: 'Q4_0',
    };
  }
  const first = Object.keys(models)[0]!;
  // Scale 1: the figures above are already the real test timings.
  return scaledConfig(1, {
    models: specs,
    chains: { general: [{ model: first, quality: 1 }] },
    warm_set: [],
    hosts: [
      {
        name: 'sim',
        url: 'http://127.0.0.1:11434',
        vram_gb: setup.vram_gb ?? 16,
        num_parallel: setup.num_parallel ?? 1,
        max_loaded_models: setup.max_loaded_models ?? 3,
      },
    ],
    simulator: {
      seed: setup.seed ?? 7,
      time_scale: 1,
      max_queue: setup.max_queue ?? 512,
      default_keep_alive: setup.default_keep_alive ?? '5m',
      version: setup.version ?? '0.12.0',
      port: 0,
    },
  });
}

export interface Sim {
  handle: SimulatorHandle;
  url: string;
  ollama: Ollama;
  post(path: string, body: unknown, init?: RequestInit): Promise<Response>;
}

export async function startTestSim(config: Readonly<Config> = tinyConfig()): Promise<Sim> {
  const handle = await startSimulator({ config });
  const url = handle.url;
  return {
    handle,
    url,
    ollama: new Ollama({ host: url }),
    post: (path, body, init = {}) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        ...init,
      }),
  };
}

export function ndjson(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns a truthy value (or fails after `timeoutMs`). */
export async function until<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** The rejection of `p`, failing the test when it resolves. */
export async function rejectionOf(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

export function psNames(sim: Sim): Promise<string[]> {
  return sim.ollama.ps().then((r) => r.models.map((m) => m.name));
}
