import { afterEach, describe, expect, it } from 'vitest';
import {
  ndjson,
  psNames,
  rejectionOf,
  type Sim,
  type SimSetup,
  sleep,
  startTestSim,
  tinyConfig,
  until,
} from './helpers.ts';

/** The simulated scheduler: queue, loads, VRAM fitting, eviction order, keep-alive, accounting. */

const sims: Sim[] = [];
async function start(setup: SimSetup): Promise<Sim> {
  const sim = await startTestSim(tinyConfig(setup));
  sims.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.handle.close()));
});

function load(sim: Sim, model: string, keep_alive?: string | number) {
  return sim.ollama.generate({ model, prompt: '', ...(keep_alive !== undefined && { keep_alive }) });
}

const evicted = (sim: Sim) => sim.handle.state().evictions_by_scheduler.map((e) => e.model);
const statusOf = (sim: Sim, model: string) => sim.handle.state().models.find((m) => m.name === model)?.status;
const expiresIn = (expiresAt: string | Date) => new Date(expiresAt).getTime() - Date.now();

describe('eviction', () => {
  it('evicts the shortest keep-alive first, ties by name, forever-kept last; blind to recency', async () => {
    const three = { size_gb: 3 };
    const sim = await start({
      vram_gb: 10,
      max_loaded_models: 5,
      models: {
        'keep:1': three,
        'mid:1': three,
        'short:1': three,
        'n1:1': three,
        'n2:1': three,
        'n0:1': three,
      },
    });
    await load(sim, 'keep:1', -1);
    await load(sim, 'mid:1', '2m');
    await load(sim, 'short:1', '1m');
    // Most recently used, yet first to go: Ollama is not LRU.
    await sim.ollama.generate({ model: 'short:1', prompt: 'recent' });
    await load(sim, 'n1:1');
    expect(evicted(sim)).toEqual(['short:1']);
    await load(sim, 'n2:1');
    expect(evicted(sim)).toEqual(['short:1', 'mid:1']);
    // n1 and n2 both have the default 5m: the name decides.
    await load(sim, 'n0:1');
    expect(evicted(sim)).toEqual(['short:1', 'mid:1', 'n1:1']);
    expect((await psNames(sim)).sort()).toEqual(['keep:1', 'n0:1', 'n2:1']);
    expect(sim.handle.state().vram_peak_bytes).toBe(9e9);
  });

  it('passes over a busy model for an idle one; with none idle it waits for the chosen one to finish', async () => {
    const sim = await start({
      vram_gb: 6,
      models: {
        'a:1': { size_gb: 3, tokens_per_s: 50 },
        'b:1': { size_gb: 3 },
        'c:1': { size_gb: 3, tokens_per_s: 50 },
      },
    });
    await load(sim, 'a:1', '1m');
    await load(sim, 'b:1', '2m');
    const busyA = sim.ollama.generate({ model: 'a:1', prompt: 'busy', options: { num_predict: 10 } });
    await until(() => sim.handle.state().models.find((m) => m.name === 'a:1')?.in_flight === 1);
    await load(sim, 'c:1');
    expect(evicted(sim)).toEqual(['b:1']);
    await busyA;

    // Both residents busy: the shortest keep-alive (a, 1m) is chosen and waited for.
    let aDone = 0;
    const a = sim.ollama
      .generate({ model: 'a:1', prompt: 'busy again', options: { num_predict: 10 } })
      .then((r) => {
        aDone = performance.now();
        return r;
      });
    const c = sim.ollama.generate({ model: 'c:1', prompt: 'busy too', options: { num_predict: 10 } });
    await until(() => sim.handle.state().models.every((m) => m.in_flight === 1));
    const b = await load(sim, 'b:1');
    const bDone = performance.now();
    expect(b.done_reason).toBe('load');
    expect(evicted(sim)).toEqual(['b:1', 'a:1']);
    expect(aDone).toBeGreaterThan(0);
    expect(aDone).toBeLessThanOrEqual(bDone);
    expect((await a).done).toBe(true);
    await c;
  });

  it('partial offload: with nothing loaded a too-big model loads with size_vram = budget; others must fit fully', async () => {
    const sim = await start({
      vram_gb: 16,
      models: { 'big:1': { size_gb: 20 }, 'mid:1': { size_gb: 10 }, 'small:1': { size_gb: 2 } },
    });
    await load(sim, 'big:1');
    const [entry] = (await sim.ollama.ps()).models;
    expect(entry).toMatchObject({ name: 'big:1', size: 20e9, size_vram: 16e9 });
    expect(sim.handle.state()).toMatchObject({ vram_used_bytes: 16e9, vram_peak_bytes: 16e9 });

    await load(sim, 'small:1');
    expect(evicted(sim)).toEqual(['big:1']);
    await load(sim, 'mid:1');
    // 2 + 10 fits in 16: no eviction, both fully on the GPU.
    expect(evicted(sim)).toEqual(['big:1']);
    const ps = (await sim.ollama.ps()).models;
    for (const m of ps) expect(m.size_vram).toBe(m.size);
    // 12 used; big needs 20 and something is loaded, so it must evict until nothing is, then offload.
    await load(sim, 'big:1');
    expect(evicted(sim)).toEqual(['big:1', 'mid:1', 'small:1']);
    expect((await sim.ollama.ps()).models).toEqual([
      expect.objectContaining({ name: 'big:1', size_vram: 16e9 }),
    ]);
  });

  it('max_loaded_models caps the residents even when VRAM would fit', async () => {
    const sim = await start({
      max_loaded_models: 2,
      models: { 'a:1': { size_gb: 1 }, 'b:1': { size_gb: 1 }, 'c:1': { size_gb: 1 } },
    });
    await load(sim, 'a:1', '1h');
    await load(sim, 'b:1', '1m');
    await load(sim, 'c:1');
    expect(evicted(sim)).toEqual(['b:1']);
    expect((await psNames(sim)).sort()).toEqual(['a:1', 'c:1']);
  });
});

describe('loading', () => {
  it('loads one model at a time: the second waits for the first load', async () => {
    const sim = await start({
      models: { 'a:1': { size_gb: 1, load_s: 0.2 }, 'b:1': { size_gb: 1, load_s: 0.2 } },
    });
    let maxLoading = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const loading = sim.handle.state().models.filter((m) => m.status === 'loading').length;
        maxLoading = Math.max(maxLoading, loading);
        await sleep(2);
      }
    })();
    const a = load(sim, 'a:1');
    await until(() => statusOf(sim, 'a:1') === 'loading');
    const b = await sim.ollama.generate({ model: 'b:1', prompt: 'after a' });
    await a;
    polling = false;
    await poll;
    expect(maxLoading).toBe(1);
    // b's load_duration covers its wait for a's load plus its own.
    expect(b.load_duration).toBeGreaterThan(0.3e9);
  });

  it('a request for a loaded model bypasses the queue while another model loads', async () => {
    const sim = await start({ models: { 'fast:1': { size_gb: 1 }, 'heavy:1': { size_gb: 1, load_s: 0.5 } } });
    await load(sim, 'fast:1');
    const heavy = load(sim, 'heavy:1');
    await until(() => statusOf(sim, 'heavy:1') === 'loading');
    const r = await sim.ollama.generate({ model: 'fast:1', prompt: 'quick' });
    expect(r.done).toBe(true);
    expect(statusOf(sim, 'heavy:1')).toBe('loading');
    await heavy;
  });

  it('concurrent requests for a loading model share one load, each reporting its own load_duration', async () => {
    const sim = await start({ num_parallel: 4, models: { 'm:1': { size_gb: 1, load_s: 0.3 } } });
    const first = sim.ollama.generate({ model: 'm:1', prompt: 'one' });
    await until(() => statusOf(sim, 'm:1') === 'loading');
    await sleep(60);
    const second = sim.ollama.generate({ model: 'm:1', prompt: 'two' });
    await sleep(60);
    const third = sim.ollama.generate({ model: 'm:1', prompt: 'three' });
    const [r1, r2, r3] = await Promise.all([first, second, third]);
    expect(sim.handle.state().loads_total).toBe(1);
    expect(r1.load_duration).toBeGreaterThanOrEqual(0.25e9);
    expect(r2.load_duration).toBeLessThan(r1.load_duration);
    expect(r3.load_duration).toBeLessThan(r2.load_duration);
    expect(r3.load_duration).toBeGreaterThan(0);
  });

  it('a loading model is already listed by /api/ps', async () => {
    const sim = await start({ models: { 'm:1': { size_gb: 1, load_s: 0.3 } } });
    const pending = load(sim, 'm:1');
    const ps = await until(async () => {
      const { models } = await sim.ollama.ps();
      return models.length > 0 ? models : undefined;
    });
    expect(ps?.[0]).toMatchObject({ name: 'm:1', size_vram: 1e9 });
    expect(statusOf(sim, 'm:1')).toBe('loading');
    await pending;
    expect(statusOf(sim, 'm:1')).toBe('loaded');
  });

  it('abandoned load: the only client disconnects during a cold load and the load is dropped', async () => {
    const sim = await start({ models: { 'm:1': { size_gb: 1, load_s: 0.4 } } });
    const controller = new AbortController();
    const request = sim.post(
      '/api/generate',
      { model: 'm:1', prompt: 'hello' },
      { signal: controller.signal },
    );
    await until(() => statusOf(sim, 'm:1') === 'loading');
    controller.abort();
    expect((await rejectionOf(request)).name).toBe('AbortError');
    await until(() => sim.handle.state().loads_abandoned === 1);
    expect(sim.handle.state().models).toEqual([]);
    await sleep(500);
    expect(sim.handle.state()).toMatchObject({
      models: [],
      loads_total: 1,
      loads_abandoned: 1,
      vram_used_bytes: 0,
    });
  });

  it('a load is not abandoned while another request still waits for it', async () => {
    const sim = await start({ models: { 'm:1': { size_gb: 1, load_s: 0.3 } } });
    const controller = new AbortController();
    const quitter = sim.post('/api/generate', { model: 'm:1', prompt: 'bye' }, { signal: controller.signal });
    await until(() => statusOf(sim, 'm:1') === 'loading');
    const stayer = sim.ollama.generate({ model: 'm:1', prompt: 'stay' });
    await until(() => sim.handle.state().queue_length === 1);
    controller.abort();
    await rejectionOf(quitter);
    const r = await stayer;
    expect(r.done).toBe(true);
    expect(sim.handle.state()).toMatchObject({ loads_total: 1, loads_abandoned: 0 });
  });

  it('queue full: beyond max_queue waiting requests the answer is 503 at once', async () => {
    const sim = await start({
      max_queue: 2,
      models: { 'm:1': { size_gb: 1, load_s: 0.4 }, 'n:1': { size_gb: 1 } },
    });
    const first = load(sim, 'm:1');
    await until(() => statusOf(sim, 'm:1') === 'loading');
    const queued = [load(sim, 'm:1'), load(sim, 'n:1')];
    await until(() => sim.handle.state().queue_length === 2);
    const err = await rejectionOf(sim.ollama.generate({ model: 'n:1', prompt: 'one too many' }));
    expect(err).toMatchObject({
      name: 'ResponseError',
      status_code: 503,
      error: 'server busy, please try again.  maximum pending requests exceeded',
    });
    // Refused at once, not after the load.
    expect(statusOf(sim, 'm:1')).toBe('loading');
    for (const r of await Promise.all([first, ...queued])) expect(r.done_reason).toBe('load');
  });

  it('num_parallel slots: extra requests for a loaded model wait for a slot', async () => {
    const sim = await start({ num_parallel: 2, models: { 's:1': { size_gb: 1, tokens_per_s: 50 } } });
    await load(sim, 's:1');
    const runs = [1, 2, 3].map((i) =>
      sim.ollama.generate({ model: 's:1', prompt: `p${i}`, options: { num_predict: 8 } }),
    );
    const seen = await until(() => {
      const m = sim.handle.state().models[0];
      return m && m.in_flight === 2 && m.queued === 1 ? m : undefined;
    });
    expect(seen).toMatchObject({ in_flight: 2, queued: 1 });
    for (const r of await Promise.all(runs)) expect(r.eval_count).toBe(8);
  });
});

describe('keep-alive', () => {
  it('keep-alive: a fresh load gets the default (5m); a request without keep_alive keeps the earlier value', async () => {
    const sim = await start({ default_keep_alive: '5m' });
    await load(sim, 'alpha:1b');
    const [fresh] = (await sim.ollama.ps()).models;
    expect(expiresIn(fresh!.expires_at)).toBeGreaterThan(290_000);
    expect(expiresIn(fresh!.expires_at)).toBeLessThan(301_000);

    await load(sim, 'beta:1b', '10m');
    await sim.ollama.generate({ model: 'beta:1b', prompt: 'no keep_alive here' });
    const beta = (await sim.ollama.ps()).models.find((m) => m.name === 'beta:1b')!;
    expect(expiresIn(beta.expires_at)).toBeGreaterThan(590_000);
    expect(sim.handle.state().models.find((m) => m.name === 'beta:1b')?.keep_alive_ms).toBe(600_000);
  });

  it('keep-alive: the model unloads when its keep_alive runs out', async () => {
    const sim = await start({});
    await load(sim, 'alpha:1b', '150ms');
    expect(await psNames(sim)).toEqual(['alpha:1b']);
    await until(async () => (await psNames(sim)).length === 0, 3_000, 'expiry');
    expect(sim.handle.state()).toMatchObject({ expirations_total: 1, vram_used_bytes: 0 });
  });

  it('keep-alive: the expiry clock starts when the last in-flight request finishes', async () => {
    const sim = await start({ models: { 's:1': { size_gb: 1, tokens_per_s: 40 } } });
    const stream = await sim.ollama.generate({
      model: 's:1',
      prompt: 'slow',
      keep_alive: '100ms',
      stream: true,
      options: { num_predict: 14 },
    });
    let midway: string[] = [];
    let n = 0;
    for await (const _ of stream) {
      // ~250 ms in: longer than the keep-alive, but the request is still running.
      if (++n === 10) midway = await psNames(sim);
    }
    expect(midway).toEqual(['s:1']);
    await until(async () => (await psNames(sim)).length === 0, 3_000, 'expiry after the request');
  });

  it('ps lists the latest expiry first', async () => {
    const sim = await start({
      models: { 'p:1': { size_gb: 1 }, 'q:1': { size_gb: 1 }, 'r:1': { size_gb: 1 } },
    });
    await load(sim, 'p:1', '1m');
    await load(sim, 'q:1', '1h');
    await load(sim, 'r:1', 600);
    expect(await psNames(sim)).toEqual(['q:1', 'r:1', 'p:1']);
  });

  it('unload waits for in-flight requests: "unload" answers at once, the stream completes, then the model goes', async () => {
    const sim = await start({ models: { 's:1': { size_gb: 1, tokens_per_s: 40 } } });
    const res = await sim.post('/api/generate', {
      model: 's:1',
      prompt: 'long',
      options: { num_predict: 12 },
    });
    const body = res.text();
    await until(() => sim.handle.state().models[0]?.in_flight === 1);
    const unload = await sim.ollama.generate({ model: 's:1', prompt: '', keep_alive: 0 });
    expect(unload.done_reason).toBe('unload');
    expect(await psNames(sim)).toEqual(['s:1']);
    const lines = ndjson(await body);
    expect(lines[lines.length - 1]).toMatchObject({ done: true, eval_count: 12 });
    await until(async () => (await psNames(sim)).length === 0, 3_000, 'unload');
    expect(sim.handle.state().unloads_requested).toBe(1);
  });
});

describe('VRAM accounting', () => {
  it('peak: the highest summed size_vram of loading and loaded models; reset() clears it', async () => {
    const sim = await start({
      vram_gb: 10,
      models: { 'a:1': { size_gb: 4 }, 'b:1': { size_gb: 4 }, 'c:1': { size_gb: 4, load_s: 0.2 } },
    });
    await load(sim, 'a:1');
    await load(sim, 'b:1');
    expect(sim.handle.state()).toMatchObject({
      vram_used_bytes: 8e9,
      vram_peak_bytes: 8e9,
      vram_budget_bytes: 10e9,
    });
    const c = load(sim, 'c:1');
    // While c loads it already holds its VRAM; one of a/b was evicted first, so the sum stays at 8.
    await until(() => statusOf(sim, 'c:1') === 'loading');
    expect(sim.handle.state().vram_used_bytes).toBe(8e9);
    await c;
    expect(sim.handle.state()).toMatchObject({ vram_used_bytes: 8e9, vram_peak_bytes: 8e9 });
    expect(evicted(sim)).toEqual(['a:1']);
    sim.handle.reset();
    expect(sim.handle.state()).toMatchObject({
      vram_used_bytes: 0,
      vram_peak_bytes: 0,
      loads_total: 0,
      models: [],
    });
  });
});
