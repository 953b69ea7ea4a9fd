import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/load.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import type { UpstreamChunk } from '../../src/manager/completion.ts';
import { createManager } from '../../src/runtime/manager.ts';
import type { RunningManager } from '../../src/runtime/manager-options.ts';
import { startSimulator } from '../../src/simulator/index.ts';
import { eventually } from '../e2e/harness.ts';
import { engineState, holdAfterChunks, modelState } from './control.ts';
import { type EngineProcess, startEngineProcess } from './process.ts';
import { realEngineAvailable, suiteTitle } from './suite.ts';

/**
 * The manager over a real inference engine (llama.cpp through our Ollama-API adapter): what it learns of a
 * fleet it was told nothing about, on real loads, real token timing and real memory.
 */
const quiet = pino({ level: 'silent' });

const rateOf = (manager: RunningManager) =>
  manager.status().models.find((m) => m.name === 'big:latest')!.estimates.tokens_per_s.source;

describe.skipIf(!realEngineAvailable)(
  suiteTitle('the manager over a real engine'),
  { timeout: 120_000 },
  () => {
    let engine: EngineProcess;
    let manager: RunningManager;
    beforeAll(async () => {
      engine = await startEngineProcess({ models: ['tiny', 'big'] });
      // No config file at all: only OLLAMA_HOST, as a new user would start it against their own Ollama.
      const config = loadConfig({ env: { OLLAMA_HOST: engine.url, RMM_LOG_LEVEL: 'silent' } });
      manager = await createManager(config, { logger: quiet });
      await manager.started;
    }, 120_000);
    afterAll(async () => {
      await manager?.close();
      await engine?.kill();
    });

    it('discovers models that are none of the seed catalog, with their details, and builds chains from them', () => {
      const status = manager.status();
      const found = status.models.filter((m) => m.origin === 'discovered');
      expect(found.map((m) => m.name).sort()).toEqual(['big:latest', 'tiny:latest']);
      for (const m of found) {
        expect(m.details.family).toBe('llama');
        expect(m.details.quantization_level).toBe('F32');
        expect(m.details.context_length).toBeGreaterThan(0);
        expect(m.estimates.vram_gb.source).not.toBe('config');
      }
      // The seed's models are not on this host: they are missing, and no chain is left pointing only at them.
      expect(status.models.filter((m) => m.origin === 'config').every((m) => m.state === 'missing')).toBe(
        true,
      );
      for (const c of status.chains) {
        if (c.task === 'embed') continue;
        expect(c.source, c.task).toBe('built');
        expect(c.chain.map((e) => e.model)).toEqual(expect.arrayContaining(['big:latest']));
        expect(c.rule.length).toBeGreaterThan(0);
      }
    });

    it('answers auto queries of every task type from a model that exists, streaming included', async () => {
      for (const task of [
        'code_generation',
        'code_review',
        'reasoning',
        'complex',
        'fast_response',
        'simple',
        'creative',
        'general',
      ] as const) {
        const r = await manager.complete({
          kind: 'generate',
          prompt: 'hello',
          taskType: task,
          urgency: 'batch',
          options: { num_predict: 8 },
        });
        expect(['tiny:latest', 'big:latest'], task).toContain(r.model_used);
      }
      const chunks: UpstreamChunk[] = [];
      const r = await manager.complete({
        kind: 'chat',
        messages: [{ role: 'user', content: 'hi' }],
        model: 'big:latest',
        urgency: 'batch',
        options: { num_predict: 12 },
        onChunk: (c) => chunks.push(c),
      });
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.at(-1)!.done).toBe(true);
      expect(r.final.eval_count).toBeGreaterThan(0);
    });

    it('learns real sizes, load times and speeds: planned VRAM within 5% of /api/ps after one load', async () => {
      await manager.loader.want(manager.fleet.ids().find((id) => id.endsWith('/big:latest'))!, {
        mode: 'preload',
      });
      const ps = (await (await fetch(`${engine.url}/api/ps`)).json()) as {
        models: Array<{ name: string; size: number }>;
      };
      const big = manager.status().models.find((m) => m.name === 'big:latest')!;
      const reported = ps.models.find((m) => m.name === 'big:latest')!.size / 1e9;
      expect(big.estimates.vram_gb.source).toBe('measured');
      expect(Math.abs(big.estimates.vram_gb.value - reported) / reported).toBeLessThan(0.05);
      // Its load time is the engine's own: Ollama's load_duration (arrival to ready) is never below it.
      const engineLoadMs = (await modelState(engine.url, 'big:latest'))!.last_load_ms!;
      expect(big.estimates.load_s.source).toBe('measured');
      expect(big.estimates.load_s.value * 1000).toBeGreaterThanOrEqual(engineLoadMs * 0.95);
      // Generation rate from eval_count / eval_duration of real answers. Only an answer of 4 tokens or more
      // teaches it (shorter ones time little but their prompt), and sampled gibberish may stop sooner at
      // an end token: ask until one answer was long enough (a few tries at most), then check what was learnt.
      for (let i = 0; i < 5 && rateOf(manager) === 'discovered'; i++) {
        await manager.complete({
          kind: 'chat',
          messages: [{ role: 'user', content: 'hi' }],
          model: 'big:latest',
          urgency: 'batch',
          options: { num_predict: 12 },
        });
      }
      const learnt = manager.status().models.find((m) => m.name === 'big:latest')!;
      expect(learnt.estimates.tokens_per_s.source).toBe('measured');
      expect(learnt.estimates.tokens_per_s.value).toBeGreaterThan(0);
    });
  },
);

describe.skipIf(!realEngineAvailable)(suiteTitle('failover from a real engine'), { timeout: 120_000 }, () => {
  let engine: EngineProcess | undefined;
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    await engine?.kill().catch(() => {});
  });

  it('a killed engine before the first token: the simulator host answers; after it: a clean error', async () => {
    engine = await startEngineProcess({ models: ['tiny'] });
    // The engine first (priority), a simulator host second, both serving a model named tiny:latest.
    const base = scaledConfig(0.01, {
      models: { 'tiny:latest': { size_gb: 0.01, load_time_s: 1, tokens_per_s: 500, strengths: ['general'] } },
      chains: { general: [{ model: 'tiny:latest', quality: 0.9 }] },
      warm_set: [],
      hosts: [
        { name: 'engine', url: engine.url, vram_gb: 1, num_parallel: 1, max_loaded_models: 3 },
        { name: 'sim', url: 'http://127.0.0.1:1', vram_gb: 1, num_parallel: 1, max_loaded_models: 3 },
      ],
      deadlines: { interactive_s: 200, background_s: 400, batch_s: 900 },
    });
    const sim = await startSimulator({ config: base, hostName: 'sim' });
    closers.push(() => sim.close());
    const config = validateConfig({
      ...structuredClone(base),
      hosts: base.hosts.map((h) => (h.name === 'sim' ? { ...h, url: sim.url } : h)),
    });
    const manager = await createManager(config, { logger: quiet, random: () => 0.5 });
    closers.push(() => manager.close());
    await manager.started;
    // Both loaded: the engine, first in the config, is the one a request goes to.
    for (const id of manager.fleet.ids()) await manager.loader.want(id, { mode: 'preload' });
    const warm = await manager.complete({
      kind: 'generate',
      prompt: 'x',
      model: 'tiny:latest',
      options: { num_predict: 4 },
    });
    expect(warm.host).toBe('engine');

    // A streamed request held before its first token; the engine dies under it.
    await holdAfterChunks(engine.url, 0);
    const chunks: UpstreamChunk[] = [];
    const pending = manager.complete({
      kind: 'generate',
      prompt: 'y',
      model: 'tiny:latest',
      options: { num_predict: 4 },
      onChunk: (c) => chunks.push(c),
    });
    await eventually(
      async () => (await engineState(engine!.url)).gate.paused >= 1,
      30_000,
      'the request at the gate',
    );
    await engine.kill();
    const r = await pending;
    expect(r.host).toBe('sim');
    expect(r.fallback_used).toBe(true);
    expect(manager.status().hosts.find((h) => h.name === 'engine')!.health.status).toBe('down');
    // No model was blamed for its host dying.
    expect(manager.status().circuits.every((c) => !c.is_open)).toBe(true);

    // After the first token, a failure cannot fail over: the stream ends with a clear error.
    const second = await startEngineProcess({ models: ['tiny'] });
    closers.push(() => second.kill());
    await holdAfterChunks(second.url, 1);
    const cfg2 = validateConfig({
      ...structuredClone(config),
      hosts: [{ ...config.hosts[0]!, url: second.url }],
    });
    const m2 = await createManager(cfg2, { logger: quiet, random: () => 0.5 });
    closers.push(() => m2.close());
    await m2.started;
    // The new engine must have answered m2's first host check: on a busy box that check could time out,
    // and the request was then refused with RMM_HOSTS_DOWN before reaching the gate.
    await eventually(
      () => m2.status().hosts.every((h) => h.health.status === 'up'),
      30_000,
      'the new engine seen up',
    );
    const streamed: UpstreamChunk[] = [];
    const broken = m2
      .complete({
        kind: 'generate',
        prompt: 'z',
        model: 'tiny:latest',
        options: { num_predict: 8 },
        onChunk: (c) => streamed.push(c),
      })
      .catch((e: unknown) => e);
    await eventually(
      async () => (await engineState(second.url)).gate.paused >= 1,
      30_000,
      'the stream at the gate',
    ).catch(async (e: unknown) => {
      const state = JSON.stringify(await engineState(second.url));
      const settled = await Promise.race([broken, new Promise((r) => setTimeout(() => r('pending'), 10))]);
      throw new Error(`${String(e)}: engine ${state}; request ${JSON.stringify(settled)}`);
    });
    await second.kill();
    const err = (await broken) as { code?: string };
    expect(streamed.length).toBeGreaterThanOrEqual(1);
    expect(err.code).toBe('RMM_STREAM_BROKEN');
  });
});
