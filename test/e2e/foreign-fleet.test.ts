import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { chainsCommand } from '../../src/cli/chains-command.ts';
import { loadConfig, validateConfig } from '../../src/config/load.ts';
import type { Config, ModelSpec } from '../../src/config/schema.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { buildApp } from '../../src/http/app.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createManager } from '../../src/runtime/manager.ts';
import type { RunningManager } from '../../src/runtime/manager-options.ts';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.ts';
import { SMALL_CATALOG, type Stack, startStack } from './harness.ts';

/**
 * A user's own Ollama, none of whose models is in the seed's catalog: the service, started with nothing
 * but OLLAMA_HOST, discovers them, builds chains from them and answers every task type.
 */
const spec = (
  size_gb: number,
  family: string,
  parameter_size: string,
  capabilities: NonNullable<ModelSpec['capabilities']>,
): ModelSpec => ({
  size_gb,
  load_time_s: size_gb / 2,
  tokens_per_s: 400 / size_gb,
  strengths: [],
  family,
  parameter_size,
  quantization_level: 'Q4_K_M',
  capabilities,
});
const USERS_MODELS: Record<string, ModelSpec> = {
  'gemma3:12b': spec(8.1, 'gemma3', '12.2B', ['completion', 'vision']),
  'qwen3:8b': spec(5.2, 'qwen3', '8.2B', ['completion', 'tools', 'thinking']),
  'phi4:14b': spec(9.1, 'phi3', '14.7B', ['completion']),
  'mistral:7b': spec(4.4, 'llama', '7.2B', ['completion', 'tools']),
  'qwen2.5-coder:7b': spec(4.7, 'qwen2', '7.6B', ['completion', 'tools', 'insert']),
  'nomic-embed-text:latest': spec(0.27, 'nomic-bert', '137M', ['embedding']),
};

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

async function usersOllama(): Promise<SimulatorHandle> {
  const base = structuredClone(scaledConfig(0.001)) as Config;
  base.models = USERS_MODELS;
  // The simulated host only reads the models; its config still needs a general chain to validate.
  base.chains = { general: [{ model: 'mistral:7b', quality: 0.5 }] };
  base.warm_set = [];
  base.simulator.time_scale = 0.001;
  const sim = await startSimulator({ config: validateConfig(base) });
  closers.push(() => sim.close());
  return sim;
}

describe("a user's own Ollama, with no config", () => {
  it('discovers its models, builds chains from them, answers every task type with a sensible model', async () => {
    const sim = await usersOllama();
    // What `OLLAMA_HOST=... rmm serve` does with no config file: the defaults, the host from the environment.
    const config = loadConfig({ env: { OLLAMA_HOST: sim.url, RMM_STATE_DIR: '' } });
    const manager: RunningManager = await createManager(config, { logger: pino({ level: 'silent' }) });
    closers.push(() => manager.close());
    await manager.started;

    const status = manager.status();
    for (const name of Object.keys(USERS_MODELS)) {
      const m = status.models.find((v) => v.name === name);
      expect(m, `${name} in status`).toBeDefined();
    }
    const qwen3 = status.models.find((v) => v.name === 'qwen3:8b')!;
    expect(qwen3.origin).toBe('discovered');
    expect(qwen3.details).toMatchObject({ family: 'qwen3', parameter_size: '8.2B' });
    expect(qwen3.details.capabilities).toEqual(expect.arrayContaining(['tools', 'thinking']));
    // The seed's models are not there, so no chain names them.
    for (const c of status.chains) {
      for (const e of c.chain) expect(Object.keys(USERS_MODELS), `${c.task}: ${e.model}`).toContain(e.model);
    }

    const sensible: Record<string, (model: string) => boolean> = {
      code_generation: (m) => m.includes('coder'),
      code_review: (m) => m.includes('coder'),
      reasoning: (m) => m === 'qwen3:8b',
      fast_response: (m) => ['mistral:7b', 'qwen2.5-coder:7b', 'qwen3:8b'].includes(m),
    };
    for (const c of status.chains.filter((c) => c.task !== 'embed')) {
      const r = await manager.complete({
        kind: 'generate',
        prompt: 'hello',
        taskType: c.task as never,
        urgency: 'batch',
      });
      expect(Object.keys(USERS_MODELS)).toContain(r.model_used);
      expect(r.model_used).not.toBe('nomic-embed-text:latest');
      if (sensible[c.task])
        expect(
          sensible[c.task]!(r.model_used),
          `${c.task} → ${r.model_used}: ${r.selection_reason} ${JSON.stringify(c)}`,
        ).toBe(true);
    }

    // rmm chains explains each chain, over HTTP as a user runs it.
    const app = await buildApp({ manager, config, metrics: createMetrics(), backend: 'real', logger: false });
    closers.push(() => app.close());
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    let out = '';
    const io = { out: (t: string) => (out += t), err: () => {}, isTTY: false, env: {} };
    expect(await chainsCommand(['--url', url], io)).toBe(0);
    for (const c of status.chains) expect(out).toContain(c.task);
    expect(out).toMatch(/built from the models there are/);
    expect(out).toMatch(/why: /);
    expect(out).toMatch(/qwen2\.5-coder:7b/);
    let json = '';
    expect(await chainsCommand(['--url', url, '--json'], { ...io, out: (t: string) => (json += t) })).toBe(0);
    expect((JSON.parse(json) as { chains: unknown[] }).chains).toHaveLength(status.chains.length);
    expect(await chainsCommand(['--url', 'http://127.0.0.1:9'], io)).toBe(1);
  });
});

describe('sizes that differ from the config', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('models twice the size the config says: planning follows the measured sizes, Ollama never evicts', async () => {
    // The host really has models twice as big as the config believes (as with a 9 GiB deepseek-coder
    // configured at 3.8): 6 + 6 + 4 + 12 GB on a 16 GB card.
    const real = structuredClone(scaledConfig(0.02, SMALL_CATALOG)) as Config;
    for (const m of Object.values(real.models)) m.size_gb *= 2;
    const sim = await startSimulator({ config: validateConfig(real) });
    stack = await startStack(0.02, SMALL_CATALOG, {}, sim);
    const models = ['alpha', 'beta', 'gamma', 'delta'];
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      jobs.push(
        stack.manager
          .complete({ kind: 'generate', prompt: `job ${i}`, model: models[i % 4]!, urgency: 'batch' })
          .catch((e: unknown) => e),
      );
      if (i % 4 === 3) await Promise.all(jobs.slice(-4));
    }
    const results = await Promise.all(jobs);
    expect(results.filter((r) => r instanceof Error)).toEqual([]);
    const state = sim.state();
    expect(state.vram_peak_bytes).toBeLessThanOrEqual(state.vram_budget_bytes);
    expect(state.evictions_by_scheduler).toEqual([]);
    // After a load of each, the planned need of each is within 5% of what /api/ps reported.
    // Planning uses what the host showed (its /api/tags size, then /api/ps size_vram), not the config's half.
    for (const m of stack.manager.status().models) {
      const need = m.estimates.vram_gb;
      expect(['discovered', 'measured'], m.name).toContain(need.source);
      expect(need.value, m.name).toBeGreaterThanOrEqual(SMALL_SIZES[m.name]! * 2 * 0.95);
    }
    await sim.close();
  });
});

const SMALL_SIZES: Record<string, number> = { alpha: 3, beta: 3, gamma: 2, delta: 6 };
