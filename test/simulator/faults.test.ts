import { afterEach, describe, expect, it } from 'vitest';
import {
  psNames,
  rejectionOf,
  type Sim,
  type SimSetup,
  sleep,
  startTestSim,
  tinyConfig,
  until,
} from './helpers.ts';

/** Every fault kind, seen from the client's side, plus scoping, rate, count and the admin HTTP API. */

const sims: Sim[] = [];
async function start(setup: SimSetup = {}): Promise<Sim> {
  const sim = await startTestSim(tinyConfig(setup));
  sims.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.handle.close()));
});

const SLOW = { models: { 'alpha:1b': { size_gb: 2, tokens_per_s: 40 }, 'beta:1b': { size_gb: 2 } } };

async function drain(stream: AsyncIterable<{ response?: string }>, seen: string[]): Promise<void> {
  for await (const part of stream) seen.push(part.response ?? '');
}

describe('connection faults', () => {
  it('refuse: the connection is destroyed before any answer; admin paths keep working', async () => {
    const sim = await start();
    const id = sim.handle.faults.add({ kind: 'refuse' });
    const err = await rejectionOf(sim.ollama.list());
    expect(err.name).toBe('TypeError');
    expect(err.message).toBe('fetch failed');
    const admin = await fetch(`${sim.url}/__sim/state`);
    expect(admin.status).toBe(200);
    expect((await admin.json()).faults[0]).toMatchObject({ id, kind: 'refuse', fired: 1 });
    sim.handle.faults.remove(id);
    expect((await sim.ollama.list()).models.length).toBe(2);
  });

  it('refuse scoped to a model with count: only that model, only N times, then the fault retires', async () => {
    const sim = await start();
    sim.handle.faults.add({ kind: 'refuse', model: 'alpha:1b', count: 2 });
    expect((await rejectionOf(sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' }))).message).toBe(
      'fetch failed',
    );
    expect((await sim.ollama.generate({ model: 'beta:1b', prompt: 'x' })).done).toBe(true);
    expect((await sim.ollama.list()).models).toHaveLength(2);
    expect((await rejectionOf(sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' }))).message).toBe(
      'fetch failed',
    );
    expect(sim.handle.faults.list()).toEqual([]);
    expect((await sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' })).done).toBe(true);
  });

  it('hang: accepted and never answered until the client gives up', async () => {
    const sim = await start();
    sim.handle.faults.add({ kind: 'hang' });
    const err = await rejectionOf(fetch(`${sim.url}/api/version`, { signal: AbortSignal.timeout(300) }));
    expect(err.name).toBe('TimeoutError');
    expect(sim.handle.state().requests_total).toBe(1);
    sim.handle.faults.clear();
    expect(await sim.ollama.version()).toEqual({ version: '0.12.0' });
  });

  it('latency: the answer comes only after the added delay', async () => {
    const sim = await start();
    sim.handle.faults.add({ kind: 'latency', ms: 250, count: 1 });
    const started = performance.now();
    await sim.ollama.version();
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('host_restart: everything unloaded at once; refused while down; one-shot', async () => {
    const sim = await start();
    await sim.ollama.generate({ model: 'alpha:1b', prompt: '' });
    expect(await psNames(sim)).toEqual(['alpha:1b']);
    // Down long enough that a loaded box still reads the state before it is back (300 ms was not).
    sim.handle.faults.add({ kind: 'host_restart', down_ms: 2_000 });
    const refused = await rejectionOf(sim.ollama.ps());
    expect(refused.message).toBe('fetch failed');
    expect(sim.handle.state()).toMatchObject({ down: true, restarts_total: 1, models: [], faults: [] });
    await until(() => !sim.handle.state().down, 10_000, 'host back up');
    expect(await psNames(sim)).toEqual([]);
    const again = await sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' });
    expect(again.done).toBe(true);
    expect(sim.handle.state().loads_total).toBe(2);
  });

  it('restart() cuts in-flight streams and unloads everything', async () => {
    const sim = await start(SLOW);
    const stream = await sim.ollama.generate({ model: 'alpha:1b', prompt: 'long', stream: true });
    const seen: string[] = [];
    const done = drain(stream, seen);
    await until(() => seen.length >= 1);
    sim.handle.restart();
    const err = await rejectionOf(done);
    expect(err.message).not.toBe('');
    expect(sim.handle.state()).toMatchObject({ models: [], restarts_total: 1 });
  });
});

describe('generation faults', () => {
  it('slow_tokens: each token takes `factor` times longer', async () => {
    const sim = await start({
      models: { 'alpha:1b': { size_gb: 1, tokens_per_s: 500 }, 'beta:1b': { size_gb: 1 } },
    });
    await sim.ollama.generate({ model: 'alpha:1b', prompt: '' });
    sim.handle.faults.add({ kind: 'slow_tokens', factor: 10, count: 1 });
    const started = performance.now();
    const slow = await sim.ollama.generate({ model: 'alpha:1b', prompt: 'x', options: { num_predict: 10 } });
    // 10 tokens at 2 ms × 10.
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(slow.eval_duration).toBeGreaterThanOrEqual(190e6);
    const normal = await sim.ollama.generate({
      model: 'alpha:1b',
      prompt: 'x',
      options: { num_predict: 10 },
    });
    expect(normal.eval_duration).toBeLessThan(slow.eval_duration);
  });

  it('stall_after_first_token: the first chunk arrives, then silence until the client aborts', async () => {
    const sim = await start();
    sim.handle.faults.add({ kind: 'stall_after_first_token', model: 'alpha:1b' });
    const stream = await sim.ollama.generate({ model: 'alpha:1b', prompt: 'x', stream: true });
    const seen: string[] = [];
    const done = drain(stream, seen);
    await until(() => seen.length === 1);
    await sleep(300);
    expect(seen).toHaveLength(1);
    expect(sim.handle.state().models[0]?.in_flight).toBe(1);
    sim.ollama.abort();
    expect((await rejectionOf(done)).name).toBe('AbortError');
    await until(() => sim.handle.state().models[0]?.in_flight === 0);
  });

  it('cut_stream: the socket is destroyed after N tokens, with no done record', async () => {
    const sim = await start();
    sim.handle.faults.add({ kind: 'cut_stream', after_tokens: 3 });
    const stream = await sim.ollama.chat({
      model: 'alpha:1b',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const seen: string[] = [];
    const err = await rejectionOf(
      (async () => {
        for await (const part of stream) seen.push(part.message.content);
      })(),
    );
    expect(seen).toHaveLength(3);
    expect(err.message).toMatch(/terminated|Did not receive done/);
    // Without streaming the client sees a network error.
    const plain = await rejectionOf(sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' }));
    expect(plain.name).toBe('TypeError');
  });

  it('garbage: the arithmetic probe is answered with junk instead of the sum', async () => {
    const sim = await start();
    const probe = { model: 'alpha:1b', prompt: 'What is 2 + 3? Answer with the number only.' };
    const healthy = await sim.ollama.generate(probe);
    expect(healthy.response).toMatch(/^5\b/);
    sim.handle.faults.add({ kind: 'garbage', model: 'alpha:1b' });
    const junk = await sim.ollama.generate(probe);
    expect(junk.response).not.toMatch(/^\d/);
    expect(junk.response).not.toBe(healthy.response);
    expect(junk.eval_count).toBe(healthy.eval_count);
  });
});

describe('error faults', () => {
  it('http_500: ResponseError 500 with the given message (or the runner-crash text)', async () => {
    const sim = await start();
    sim.handle.faults.add({ kind: 'http_500', message: 'boom', count: 1 });
    const err = await rejectionOf(sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' }));
    expect(err).toMatchObject({ name: 'ResponseError', status_code: 500, error: 'boom' });
    sim.handle.faults.add({ kind: 'http_500', count: 1 });
    const plain = await rejectionOf(
      sim.ollama.chat({ model: 'alpha:1b', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(plain).toMatchObject({
      status_code: 500,
      error: 'an error was encountered while running the model: unexpected EOF',
    });
  });

  it('busy_503: the exact queue-full text', async () => {
    const sim = await start();
    sim.handle.faults.add({ kind: 'busy_503', count: 1 });
    const err = await rejectionOf(sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' }));
    expect(err).toMatchObject({
      status_code: 503,
      error: 'server busy, please try again.  maximum pending requests exceeded',
    });
  });

  it('missing: 404 model not found though configured, and gone from the lists while it lasts', async () => {
    const sim = await start();
    const id = sim.handle.faults.add({ kind: 'missing', model: 'alpha:1b' });
    const err = await rejectionOf(sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' }));
    expect(err).toMatchObject({ status_code: 404, error: "model 'alpha:1b' not found" });
    expect((await rejectionOf(sim.ollama.show({ model: 'alpha:1b' })))['status_code']).toBe(404);
    expect((await sim.ollama.list()).models.map((m) => m.name)).toEqual(['beta:1b']);
    sim.handle.faults.remove(id);
    expect((await sim.ollama.list()).models).toHaveLength(2);
  });

  it('oom_on_load: 500 with the out-of-memory text when a load is needed; counts only loads', async () => {
    const sim = await start();
    await sim.ollama.generate({ model: 'beta:1b', prompt: '' });
    sim.handle.faults.add({ kind: 'oom_on_load', count: 1 });
    // beta is loaded: no load, no OOM, and the fault is not used up.
    expect((await sim.ollama.generate({ model: 'beta:1b', prompt: 'x' })).done).toBe(true);
    const err = await rejectionOf(sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' }));
    expect(err).toMatchObject({
      status_code: 500,
      error: 'model requires more system memory (1.9 GiB) than is available (13.0 GiB)',
    });
    expect(await psNames(sim)).toEqual(['beta:1b']);
    expect((await sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' })).done).toBe(true);
  });

  it('oom_on_load and load_timeout speak like llama-server from 0.30 on', async () => {
    const sim = await start({ version: '0.33.0' });
    sim.handle.faults.add({ kind: 'oom_on_load', count: 1 });
    sim.handle.faults.add({ kind: 'load_timeout', count: 1, ms: 20 });
    expect(await rejectionOf(sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' }))).toMatchObject({
      error: 'unable to load full model on GPU',
    });
    expect(await rejectionOf(sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' }))).toMatchObject({
      error: 'timed out waiting for llama-server to start - context deadline exceeded',
    });
  });

  it('load_timeout: the load runs, then 500 with the load-timeout text; nothing stays loaded', async () => {
    const sim = await start();
    sim.handle.faults.add({ kind: 'load_timeout', model: 'alpha:1b', ms: 150, count: 1 });
    const pending = sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' });
    await until(() => sim.handle.state().models[0]?.status === 'loading');
    const err = await rejectionOf(pending);
    expect(err).toMatchObject({
      status_code: 500,
      error: 'timed out waiting for llama runner to start - progress 0.00 - ',
    });
    expect(sim.handle.state()).toMatchObject({ models: [], loads_failed: 1, loads_total: 1 });
    expect((await sim.ollama.generate({ model: 'alpha:1b', prompt: 'x' })).done).toBe(true);
  });
});

describe('rate, determinism and the admin API', () => {
  async function pattern(seed: number): Promise<string[]> {
    const sim = await start({ seed });
    sim.handle.faults.add({ kind: 'http_500', rate: 0.5 });
    const out: string[] = [];
    for (let i = 0; i < 16; i++) {
      const r = await sim.post('/api/generate', { model: 'alpha:1b', prompt: `q${i % 3}`, stream: false });
      out.push(r.status === 200 ? ((await r.json()) as { response: string }).response : String(r.status));
    }
    return out;
  }

  it('same seed and request order → same outputs and the same fault firings', async () => {
    const a = await pattern(11);
    const b = await pattern(11);
    expect(a).toEqual(b);
    expect(a).toContain('500');
    expect(a.some((x) => x !== '500')).toBe(true);
    const c = await pattern(12);
    expect(c).not.toEqual(a);
  });

  it('admin: POST/GET/DELETE /__sim/faults, restart, reset and state over HTTP', async () => {
    const sim = await start();
    const added = await sim.post('/__sim/faults', { kind: 'busy_503', model: 'alpha:1b', count: 3 });
    expect(added.status).toBe(201);
    const { id } = (await added.json()) as { id: string };
    const listed = await (await fetch(`${sim.url}/__sim/faults`)).json();
    expect(listed.faults).toEqual([
      { id, kind: 'busy_503', model: 'alpha:1b', count: 3, remaining: 3, fired: 0 },
    ]);
    expect((await fetch(`${sim.url}/__sim/faults/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${sim.url}/__sim/faults/${id}`, { method: 'DELETE' })).status).toBe(404);
    await sim.post('/__sim/faults', { kind: 'refuse' });
    await sim.post('/__sim/faults', { kind: 'hang', model: 'beta:1b' });
    expect((await fetch(`${sim.url}/__sim/faults`, { method: 'DELETE' })).status).toBe(200);
    expect(sim.handle.faults.list()).toEqual([]);

    await sim.ollama.generate({ model: 'alpha:1b', prompt: '' });
    expect((await sim.post('/__sim/restart', '')).status).toBe(200);
    expect(await psNames(sim)).toEqual([]);
    const state = await (await fetch(`${sim.url}/__sim/state`)).json();
    for (const key of [
      'vram_budget_bytes',
      'vram_used_bytes',
      'vram_peak_bytes',
      'models',
      'loads_total',
      'loads_abandoned',
      'unloads_requested',
      'evictions_by_scheduler',
      'requests_total',
      'queue_length',
      'faults',
    ]) {
      expect(state).toHaveProperty(key);
    }
    expect(state.restarts_total).toBe(1);
    expect((await sim.post('/__sim/reset', '')).status).toBe(200);
    expect(sim.handle.state()).toMatchObject({
      restarts_total: 0,
      loads_total: 0,
      requests_total: 0,
      vram_peak_bytes: 0,
    });
  });

  it('admin: bad input is a 400 naming the field', async () => {
    const sim = await start();
    const cases: Array<[unknown, string]> = [
      [{ kind: 'explode' }, 'kind'],
      [{ kind: 'latency' }, 'ms'],
      [{ kind: 'refuse', rate: 2 }, 'rate'],
      [{ kind: 'refuse', count: 0 }, 'count'],
      [{ kind: 'refuse', bogus: 1 }, 'bogus'],
      [{ kind: 'slow_tokens', factor: 'x' }, 'factor'],
      [[1, 2], 'body'],
      ['{not json', 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await sim.post('/__sim/faults', typeof body === 'string' ? body : JSON.stringify(body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      const json = (await res.json()) as { error: string; field: string };
      expect(json.field).toBe(field);
      expect(json.error.startsWith(`${field}: `)).toBe(true);
    }
    expect((await sim.post('/__sim/restart', { down_ms: -1 })).status).toBe(400);
    expect(() => sim.handle.faults.add({ kind: 'latency' })).toThrow(/^ms: /);
  });
});
