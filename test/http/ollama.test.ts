import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeManager } from './fake-manager.ts';
import { ndjson, startFakeApp, type TestApp } from './harness.ts';

let t: TestApp<FakeManager>;
afterEach(async () => t?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('POST /api/generate and /api/chat', () => {
  it("stream by default, as Ollama does, in NDJSON with Ollama's chunk shape", async () => {
    t = await startFakeApp();
    const res = await post('/api/generate', { model: 'llama3.2:3b', prompt: 'hi you' });
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines = ndjson(res.body);
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines.slice(0, -1))
      expect(Object.keys(l)).toEqual(['model', 'created_at', 'response', 'done']);
    expect(lines.at(-1)).toMatchObject({
      model: 'llama3.2:3b',
      response: '',
      done: true,
      done_reason: 'stop',
      eval_count: expect.any(Number),
      rmm: {
        model_used: 'llama3.2:3b',
        fallback_used: false,
        attempts: 1,
        selection_reason: expect.any(String),
      },
    });
  });

  it('stream:false answers one object with rmm headers', async () => {
    t = await startFakeApp({ behaviour: { fallback: true } });
    const res = await post('/api/chat', {
      model: 'auto:code',
      stream: false,
      messages: [
        { role: 'system', content: 'be terse' },
        { role: 'user', content: 'write code', images: ['aGk='] },
      ],
      options: { temperature: 0.1, urgency: 'batch' },
      format: 'json',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.message).toEqual({ role: 'assistant', content: 'echo: write code' });
    expect(body.done).toBe(true);
    expect(res.headers['x-rmm-fallback-used']).toBe('true');
    expect(res.headers['x-rmm-attempts']).toBe('2');
    expect(res.headers['x-rmm-task-type']).toBe('code_generation');
    expect(t.manager.calls[0]).toMatchObject({
      kind: 'chat',
      model: 'auto:code_generation',
      taskType: 'code_generation',
      urgency: 'batch',
      options: { temperature: 0.1 },
      format: 'json',
      messages: [
        { role: 'system', content: 'be terse' },
        { role: 'user', content: 'write code', images: ['aGk='] },
      ],
    });
    expect(t.manager.calls[0]!.options).not.toHaveProperty('urgency');
  });

  it("model is required, in Ollama's words", async () => {
    t = await startFakeApp();
    for (const url of ['/api/generate', '/api/chat']) {
      const res = await post(url, { prompt: 'x' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: 'model is required' });
    }
  });

  it('an unknown model is 404 "model \'NAME\' not found"', async () => {
    t = await startFakeApp();
    const res = await post('/api/chat', { model: 'mistral:7b', messages: [{ role: 'user', content: 'x' }] });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: "model 'mistral:7b' not found" });
  });

  it('an empty prompt loads the model and answers done_reason "load"', async () => {
    t = await startFakeApp();
    const res = await post('/api/generate', { model: 'deepseek-r1:14b' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      model: 'deepseek-r1:14b',
      response: '',
      done: true,
      done_reason: 'load',
    });
    expect(t.manager.preloads).toEqual(['deepseek-r1:14b']);
    const chat = await post('/api/chat', { model: 'deepseek-r1:14b', messages: [] });
    expect(chat.json()).toMatchObject({ message: { role: 'assistant', content: '' }, done_reason: 'load' });
    expect(t.manager.calls).toHaveLength(0);
  });

  it('keep_alive 0 answers "unload" and unloads nothing (the manager owns VRAM)', async () => {
    t = await startFakeApp();
    for (const keep_alive of [0, '0', '0s']) {
      const res = await post('/api/generate', { model: 'llama3.2:3b', keep_alive });
      expect(res.json()).toMatchObject({ done: true, done_reason: 'unload' });
    }
    expect(t.manager.preloads).toEqual([]);
  });

  it("a failure before the first chunk is an HTTP error in Ollama's shape", async () => {
    t = await startFakeApp();
    t.manager.failNext({ mode: 'fail-before' });
    const res = await post('/api/generate', { model: 'auto', prompt: 'x' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'every candidate failed' });
  });

  it('a failure after the first chunk ends the stream with an {"error"} line', async () => {
    t = await startFakeApp();
    t.manager.failNext({ mode: 'fail-after', afterChunks: 2 });
    const res = await post('/api/chat', {
      model: 'auto',
      messages: [{ role: 'user', content: 'a b c d e' }],
    });
    expect(res.statusCode).toBe(200);
    const lines = ndjson(res.body);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatchObject({ message: { content: 'a ' }, done: false });
    expect(lines[2]).toEqual({ error: expect.stringContaining('failed after 2 chunks') });
  });

  it('a manager that answers without streaming still gives a well-formed stream', async () => {
    t = await startFakeApp({ behaviour: { noChunks: true } });
    const res = await post('/api/generate', { model: 'auto', prompt: 'quiet one' });
    const lines = ndjson(res.body);
    expect(lines.map((l) => l['response']).join('')).toBe('echo: quiet one');
    expect(lines.at(-1)).toMatchObject({ done: true });
    expect(res.headers['x-rmm-model-used']).toBeTruthy();
  });

  it('routing headers are validated', async () => {
    t = await startFakeApp();
    const res = await post('/api/generate', { model: 'auto', prompt: 'x' }, { 'x-rmm-urgency': 'now' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('headers/x-rmm-urgency must be one of interactive, background, batch');
    const bad = await post('/api/generate', { model: 'auto', prompt: 'x', options: { urgency: 3 } });
    expect(bad.json().error).toBe('body/options/urgency must be one of interactive, background, batch');
  });

  it('a body sent as form data (curl -d) is read as JSON, like Ollama', async () => {
    t = await startFakeApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/generate',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"model":"auto","prompt":"why","stream":false}',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().response).toBe('echo: why');
  });
});

describe('catalog endpoints', () => {
  it("/api/tags lists the catalog and the virtual models in Ollama's shape", async () => {
    t = await startFakeApp();
    const models = (await t.app.inject({ url: '/api/tags' })).json().models;
    const qwen = models.find((m: { name: string }) => m.name === 'qwen2.5-coder:32b');
    expect(qwen).toMatchObject({
      model: 'qwen2.5-coder:32b',
      size: 20 * 1024 ** 3,
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      details: { format: 'gguf', family: 'qwen2', families: ['qwen2'], parameter_size: '32.8B' },
    });
    expect(models.map((m: { name: string }) => m.name)).toEqual(
      expect.arrayContaining(['auto', 'auto:reasoning']),
    );
  });

  it('/api/ps lists loaded models; a model bigger than the card is partly in VRAM', async () => {
    t = await startFakeApp();
    await t.manager.preloadModel('llama3.1:70b');
    const models = (await t.app.inject({ url: '/api/ps' })).json().models;
    expect(models.map((m: { name: string }) => m.name)).toEqual(['llama3.2:3b', 'llama3.1:70b']);
    const big = models[1];
    expect(big.size).toBe(40 * 1024 ** 3);
    expect(big.size_vram).toBe(16 * 1024 ** 3);
    expect(Date.parse(big.expires_at)).toBeGreaterThan(Date.now() + 100 * 365 * 86400e3);
  });

  it('/api/show describes a model, accepts the old `name`, and 400/404s like Ollama', async () => {
    t = await startFakeApp();
    const show = await post('/api/show', { name: 'llama3.2:8b' });
    expect(show.json()).toMatchObject({
      details: { family: 'llama', parameter_size: '8.0B' },
      model_info: { 'general.architecture': 'llama', 'general.parameter_count': 8e9 },
      capabilities: ['completion'],
    });
    expect((await post('/api/show', {})).json()).toEqual({ error: 'model is required' });
    const missing = await post('/api/show', { model: 'x:1b' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: "model 'x:1b' not found" });
    expect((await post('/api/show', { model: 'auto' })).json().details.family).toBe('rmm');
  });

  it("/api/version answers the hosts' lowest Ollama version, and ours in x-rmm-version", async () => {
    t = await startFakeApp();
    t.manager.upstream = '0.6.8';
    const res = await t.app.inject({ url: '/api/version' });
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(res.json()).toEqual({ version: '0.6.8' });
    expect(res.headers['x-rmm-version']).toBe(pkg.version);
  });

  it("/api/version is a 503 in Ollama's error shape until a host has told its version", async () => {
    t = await startFakeApp();
    t.manager.upstream = undefined;
    const res = await t.app.inject({ url: '/api/version' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toContain('no Ollama host has told its version yet');
  });
});
