import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { engineState, holdAfterChunks, modelState, releaseAll } from './control.ts';
import type { RunningEngine } from './engine/server.ts';
import { BIG_MODEL, defaultModelDir, ensureModels, TINY_MODEL } from './models.ts';
import { realEngineAvailable, suiteTitle } from './suite.ts';

/**
 * The adapter against the official `ollama` client (and raw HTTP where the client hides the wire): real
 * llama.cpp inference on generated models. Text is gibberish, so the tests check protocol, timings and
 * memory, never words.
 */

// Generous limits: these wait on real work on a shared two-core machine; nothing here asserts speed.
const SLOW = { timeout: 90_000 };

describe.skipIf(!realEngineAvailable)(suiteTitle('real engine: Ollama API over node-llama-cpp'), SLOW, () => {
  const dir = defaultModelDir();
  let running: RunningEngine;
  let ollama: Ollama;

  const post = (path: string, body: unknown) =>
    fetch(`${running.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  const loadedNames = async () => (await ollama.ps()).models.map((m) => m.name);

  beforeAll(async () => {
    ensureModels(dir);
    // Imported here, not at the top: without the nested install this file must still load (and skip).
    const { startEngine } = await import('./engine/server.ts');
    running = await startEngine({ dir });
    ollama = new Ollama({ host: running.url });
  }, SLOW.timeout);

  afterAll(async () => {
    await running?.close();
  });

  it('lists the folder’s models with their real sizes, digests and details', async () => {
    const { version } = await ollama.version();
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    const { models } = await ollama.list();
    expect(models.map((m) => m.name).sort()).toEqual([BIG_MODEL, TINY_MODEL]);
    const tiny = models.find((m) => m.name === TINY_MODEL)!;
    const file = join(dir, 'tiny.gguf');
    expect(tiny.size).toBe(statSync(file).size);
    expect(tiny.digest).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(tiny.details).toMatchObject({
      format: 'gguf',
      family: 'llama',
      families: ['llama'],
      parameter_size: '164K',
      quantization_level: 'F32',
    });
    expect(models.find((m) => m.name === BIG_MODEL)!.details.parameter_size).toBe('24.25M');
  });

  it('shows details, model_info with the context length, and capabilities', async () => {
    const show = await ollama.show({ model: 'tiny' });
    expect(show.details.family).toBe('llama');
    // The client declares a Map; on the wire (and so at runtime) it is a plain object.
    const info = show.model_info as unknown as Record<string, unknown>;
    expect(info['llama.context_length']).toBe(2048);
    expect(info['general.architecture']).toBe('llama');
    expect(info['general.parameter_count']).toBe(163_648);
    expect(show.capabilities).toEqual(['completion']);
  });

  it('answers an unknown model with Ollama’s 404 on show, generate and chat', async () => {
    for (const call of [
      () => ollama.show({ model: 'absent' }),
      () => ollama.generate({ model: 'absent', prompt: 'hi' }),
      () => ollama.chat({ model: 'absent', messages: [{ role: 'user', content: 'hi' }] }),
    ]) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e as { name: string; status_code: number; error: string },
      );
      expect(err?.name).toBe('ResponseError');
      expect(err?.status_code).toBe(404);
      expect(err?.error).toMatch(/model ['"]absent['"] not found/);
    }
  });

  it('rejects a keep_alive without a unit with Go’s message', async () => {
    const res = await post('/api/generate', { model: TINY_MODEL, keep_alive: '30' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'time: missing unit in duration "30"' });
  });

  it('loads on an empty prompt, then /api/ps shows it with its real memory as size_vram', async () => {
    const loaded = await ollama.generate({ model: TINY_MODEL, prompt: '' });
    expect(loaded).toMatchObject({ done: true, done_reason: 'load', response: '' });
    expect(loaded).not.toHaveProperty('eval_count');
    const chatLoad = await ollama.chat({ model: TINY_MODEL, messages: [] });
    expect(chatLoad).toMatchObject({
      done: true,
      done_reason: 'load',
      message: { role: 'assistant', content: '' },
    });
    const entry = (await ollama.ps()).models.find((m) => m.name === TINY_MODEL)!;
    // Model weights plus the KV cache of a 2048-token context: more than the file itself.
    expect(entry.size).toBeGreaterThan(statSync(join(dir, 'tiny.gguf')).size);
    expect(entry.size_vram).toBe(entry.size);
    expect((entry as unknown as { context_length: number }).context_length).toBe(2048);
    const expiresIn = new Date(entry.expires_at).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(60_000); // the 5-minute default, not yet running down
    expect(expiresIn).toBeLessThanOrEqual(5 * 60_000 + 1000);
  });

  it('streams a generate answer as NDJSON, done last, with real timings in nanoseconds', async () => {
    const res = await post('/api/generate', {
      model: TINY_MODEL,
      prompt: 'Once upon a time',
      options: { num_predict: 12, seed: 7 },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await res.text()).split('\n').filter((l) => l !== '');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = records.at(-1)!;
    expect(records.slice(0, -1).every((r) => r['done'] === false && typeof r['response'] === 'string')).toBe(
      true,
    );
    expect(records.length).toBeGreaterThan(1);
    expect(last).toMatchObject({ model: TINY_MODEL, done: true, response: '' });
    expect(['stop', 'length']).toContain(last['done_reason']);
    const evalCount = last['eval_count'] as number;
    expect(evalCount).toBeGreaterThan(1); // seed 7 samples no end-of-text early
    expect(evalCount).toBeLessThanOrEqual(12);
    expect(last['prompt_eval_count']).toBeGreaterThan(1);
    for (const key of ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration']) {
      expect(Number.isInteger(last[key]), key).toBe(true);
      expect(last[key] as number, key).toBeGreaterThan(0);
    }
    const parts = ['load_duration', 'prompt_eval_duration', 'eval_duration'].map(
      (k) => (last[k] as number) ?? 0,
    );
    expect(last['total_duration'] as number).toBeGreaterThanOrEqual(parts.reduce((a, b) => a + b, 0));
    // Generate hands the conversation back as token ids: the prompt's, then the answer's.
    expect((last['context'] as number[]).length).toBe((last['prompt_eval_count'] as number) + evalCount);
  });

  it('gives the same answer streamed and unstreamed for the same seed (real, deterministic sampling)', async () => {
    const request = { model: TINY_MODEL, prompt: 'the model', options: { num_predict: 10, seed: 42 } };
    let streamed = '';
    let chunks = 0;
    for await (const part of await ollama.generate({ ...request, stream: true })) {
      streamed += part.response;
      chunks++;
    }
    const whole = await ollama.generate({ ...request, stream: false });
    expect(chunks).toBeGreaterThan(1);
    expect(whole.response).toBe(streamed);
    expect(whole.response?.length).toBeGreaterThan(0);
    const other = await ollama.generate({ ...request, options: { num_predict: 10, seed: 43 } });
    expect(other.response).not.toBe(whole.response);
  });

  it('streams chat through the official client, assistant role in every chunk, metrics on the last', async () => {
    const parts = [];
    for await (const part of await ollama.chat({
      model: TINY_MODEL,
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
      options: { num_predict: 6 },
    })) {
      parts.push(part);
    }
    const last = parts.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.message).toEqual({ role: 'assistant', content: '' });
    expect(last.eval_count).toBeGreaterThan(0);
    expect(parts.slice(0, -1).every((p) => !p.done && p.message.role === 'assistant')).toBe(true);
  });

  it('reports the load as part of load_duration, and the big model takes more memory', async () => {
    await ollama.generate({ model: BIG_MODEL, prompt: '', keep_alive: 0 }); // start cold
    await eventually(async () => !(await loadedNames()).includes(BIG_MODEL), 'big to unload');
    const cold = await ollama.generate({ model: BIG_MODEL, prompt: 'hi', options: { num_predict: 2 } });
    const engineLoadMs = (await modelState(running.url, BIG_MODEL))!.last_load_ms!;
    expect(engineLoadMs).toBeGreaterThan(0);
    expect(cold.load_duration / 1e6).toBeGreaterThanOrEqual(engineLoadMs);
    const loads = (await modelState(running.url, BIG_MODEL))!.loads;
    const warm = await ollama.generate({ model: BIG_MODEL, prompt: 'hi', options: { num_predict: 2 } });
    expect(warm.done).toBe(true);
    expect((await modelState(running.url, BIG_MODEL))!.loads).toBe(loads); // served without a new load
    const ps = (await ollama.ps()).models;
    const big = ps.find((m) => m.name === BIG_MODEL)!;
    const tiny = ps.find((m) => m.name === TINY_MODEL)!;
    expect(big.size).toBeGreaterThan(statSync(join(dir, 'big.gguf')).size);
    expect(big.size).toBeGreaterThan(tiny.size * 10);
    console.info(
      `[real engine] big: load ${engineLoadMs} ms, ${(big.size / 1e6).toFixed(1)} MB in /api/ps; ` +
        `tiny: ${(tiny.size / 1e6).toFixed(1)} MB; eval ${cold.eval_count} tokens in ${(cold.eval_duration / 1e6).toFixed(1)} ms`,
    );
  });

  it('unloads on keep_alive 0, and expires a model after its keep_alive', async () => {
    await ollama.generate({ model: TINY_MODEL, prompt: '' });
    expect(await loadedNames()).toContain(TINY_MODEL);
    const unload = await ollama.generate({ model: TINY_MODEL, prompt: '', keep_alive: 0 });
    expect(unload.done_reason).toBe('unload');
    await eventually(async () => !(await loadedNames()).includes(TINY_MODEL), 'tiny to unload');

    await ollama.generate({ model: TINY_MODEL, prompt: '', keep_alive: '200ms' });
    await eventually(async () => !(await loadedNames()).includes(TINY_MODEL), 'tiny to expire');

    await ollama.generate({ model: TINY_MODEL, prompt: '', keep_alive: -1 });
    const forever = (await ollama.ps()).models.find((m) => m.name === TINY_MODEL)!;
    expect(new Date(forever.expires_at).getFullYear()).toBeGreaterThan(new Date().getFullYear() + 200);
    await ollama.generate({ model: TINY_MODEL, prompt: '', keep_alive: 0 });
    await eventually(async () => !(await loadedNames()).includes(TINY_MODEL), 'tiny to unload again');
  });

  it('reloads a model whose num_ctx changes, and reports the new context', async () => {
    await ollama.generate({ model: TINY_MODEL, prompt: '' });
    const before = (await modelState(running.url, TINY_MODEL))!;
    await ollama.generate({ model: TINY_MODEL, prompt: 'x', options: { num_ctx: 512, num_predict: 1 } });
    const after = (await modelState(running.url, TINY_MODEL))!;
    expect(after.loads).toBe(before.loads + 1);
    expect(after.context_length).toBe(512);
    const entry = (await ollama.ps()).models.find((m) => m.name === TINY_MODEL)!;
    expect((entry as unknown as { context_length: number }).context_length).toBe(512);
    expect(entry.size).toBeLessThan(before.size); // a smaller KV cache
  });

  it('queues concurrent requests for one model and answers them all', async () => {
    const answers = await Promise.all(
      [1, 2, 3, 4].map((seed) =>
        ollama.generate({ model: TINY_MODEL, prompt: 'go', options: { num_predict: 4, seed } }),
      ),
    );
    for (const a of answers) expect(a.done).toBe(true);
    expect((await modelState(running.url, TINY_MODEL))!.in_flight).toBe(0);
  });

  it('holds a stream before its first token at the gate, without sending headers, until released', async () => {
    await holdAfterChunks(running.url, 0);
    const pending = post('/api/generate', { model: TINY_MODEL, prompt: 'wait', options: { num_predict: 3 } });
    let answered = false;
    void pending.then(() => {
      answered = true;
    });
    await eventually(
      async () => (await engineState(running.url)).gate.paused === 1,
      'the request to reach the gate',
    );
    expect(answered).toBe(false);
    await releaseAll(running.url);
    const res = await pending;
    const lines = (await res.text()).trim().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ done: true });
  });

  it('survives a client that leaves mid-stream, and serves the next request', async () => {
    await holdAfterChunks(running.url, 1);
    const abort = new AbortController();
    const res = await fetch(`${running.url}/api/generate`, {
      method: 'POST',
      body: JSON.stringify({ model: TINY_MODEL, prompt: 'leave', options: { num_predict: 50 } }),
      signal: abort.signal,
    });
    expect(res.status).toBe(200); // headers came with the first token
    await eventually(async () => (await engineState(running.url)).gate.paused === 1, 'the stream to pause');
    abort.abort();
    await eventually(
      async () => (await modelState(running.url, TINY_MODEL))!.in_flight === 0,
      'the abandoned request to end',
    );
    await releaseAll(running.url);
    const next = await ollama.generate({ model: TINY_MODEL, prompt: 'next', options: { num_predict: 3 } });
    expect(next.done).toBe(true);
  });
});

describe.skipIf(!realEngineAvailable)(suiteTitle('real engine: a full queue'), SLOW, () => {
  let running: RunningEngine;

  beforeAll(async () => {
    const dir = defaultModelDir();
    ensureModels(dir, ['tiny']);
    const { startEngine } = await import('./engine/server.ts');
    running = await startEngine({ dir, maxQueue: 1 });
  }, SLOW.timeout);

  afterAll(async () => {
    await running?.close();
  });

  it('answers 503 with Ollama’s text once maxQueue requests are waiting, and serves the rest after', async () => {
    const generate = () =>
      fetch(`${running.url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({ model: TINY_MODEL, prompt: 'q', stream: false, options: { num_predict: 2 } }),
      });
    await holdAfterChunks(running.url, 0);
    const first = generate(); // holds the model at the gate
    await eventually(
      async () => (await engineState(running.url)).gate.paused === 1,
      'the first request to hold',
    );
    const second = generate(); // waits for the model
    await eventually(async () => (await modelState(running.url, TINY_MODEL))?.waiting === 1, 'one to wait');
    const third = await generate();
    expect(third.status).toBe(503);
    expect(await third.json()).toEqual({
      error: 'server busy, please try again.  maximum pending requests exceeded',
    });
    await releaseAll(running.url);
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
  });
});
