import { afterEach, describe, expect, it } from 'vitest';
import { ClientGone } from '../../src/http/client-gone.ts';
import { decodeHeaderText } from '../../src/http/header-text.ts';
import { RmmError } from '../../src/manager/errors.ts';
import type { FakeManager } from './fake-manager.ts';
import { ndjson, startFakeApp, type TestApp } from './harness.ts';

let t: TestApp<FakeManager>;
afterEach(async () => t?.close());

const query = (payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/api/echo/resilient/query', payload: payload as object, headers });

describe('POST /api/echo/resilient/query', () => {
  it('passes the query, task, urgency, model and request id to the manager and returns its result', async () => {
    t = await startFakeApp();
    const res = await query(
      { query: 'write code', task_type: 'code_review', urgency: 'batch', model: 'deepseek-coder' },
      { 'x-request-id': 'req-123' },
    );
    expect(res.statusCode).toBe(200);
    const call = t.manager.calls[0]!;
    expect(call).toMatchObject({
      kind: 'generate',
      prompt: 'write code',
      taskType: 'code_review',
      urgency: 'batch',
      model: 'deepseek-coder:latest',
      requestId: 'req-123',
    });
    // The client's disconnect signal: not fired while the client waits.
    expect(call.signal).toBeInstanceOf(ClientGone);
    expect(call.signal?.aborted).toBe(false);
    const body = res.json();
    expect(body).toMatchObject({
      request_id: 'req-123',
      response: 'echo: write code',
      model_used: 'deepseek-coder:latest',
      fallback_used: false,
      attempts: 1,
      task_type: 'code_review',
      urgency: 'batch',
    });
    expect(body.final).toBeUndefined();
    expect(body.metrics).toMatchObject({ done_reason: 'stop', eval_count: 3 });
    expect(res.headers['x-request-id']).toBe('req-123');
    // Plain where legal header text; RFC 8187 (UTF-8''...) only for what is not.
    expect(res.headers['x-rmm-model-used']).toBe('deepseek-coder:latest');
    expect(decodeHeaderText(String(res.headers['x-rmm-selection-reason']))).toBe(body.selection_reason);
  });

  it('auto:<task> names the task; a header gives the urgency', async () => {
    t = await startFakeApp();
    await query({ query: 'q', model: 'auto:reasoning' }, { 'x-rmm-urgency': 'background' });
    expect(t.manager.calls[0]).toMatchObject({
      model: 'auto:reasoning',
      taskType: 'reasoning',
      urgency: 'background',
    });
  });

  it('streams NDJSON pieces and a final object with the metadata', async () => {
    t = await startFakeApp();
    const res = await query({ query: 'one two three', stream: true });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines = ndjson(res.body);
    const pieces = lines.filter((l) => l['done'] === false);
    expect(pieces.map((p) => p['response']).join('')).toBe('echo: one two three');
    const last = lines.at(-1)!;
    expect(last).toMatchObject({ done: true, model_used: expect.any(String), attempts: 1, response: '' });
  });

  it('a stream that breaks after the first chunk ends with an error record', async () => {
    t = await startFakeApp();
    t.manager.failNext({ mode: 'fail-after', afterChunks: 1 });
    const res = await query({ query: 'a b c d', stream: true });
    expect(res.statusCode).toBe(200);
    const lines = ndjson(res.body);
    expect(lines[0]).toEqual({ response: 'echo: ', done: false });
    expect(lines.at(-1)).toMatchObject({ done: true, error: { code: 'RMM_STREAM_BROKEN' } });
    const metrics = await t.metrics.render();
    expect(metrics).toMatch(
      /rmm_stream_errors_total\{route="\/api\/echo\/resilient\/query",code="RMM_STREAM_BROKEN"\} 1/,
    );
  });

  it('a failure before the first chunk is a plain error response with its status', async () => {
    t = await startFakeApp();
    t.manager.failNext({ mode: 'fail-before' });
    const res = await query({ query: 'x', stream: true });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.json().error).toMatchObject({ code: 'RMM_NO_MODEL_AVAILABLE', hint: expect.any(String) });
  });

  it('manager errors keep their details (attempts tried)', async () => {
    t = await startFakeApp();
    t.manager.failNext({
      mode: 'fail-before',
      error: () =>
        new RmmError('RMM_DEADLINE_EXCEEDED', 'no answer in 5 s', { attempts_detail: [{ model: 'm' }] }),
    });
    const res = await query({ query: 'x' });
    expect(res.statusCode).toBe(504);
    expect(res.json().error).toMatchObject({
      code: 'RMM_DEADLINE_EXCEEDED',
      attempts_detail: [{ model: 'm' }],
    });
  });

  it.each([
    [{}, 'body/query is required'],
    [{ query: '' }, 'body/query must not be empty'],
    [{ query: 5 }, 'body/query must be a string'],
    [{ query: 'x', urgency: 'soon' }, 'body/urgency must be one of interactive, background, batch'],
    [{ query: 'x', task_type: 'poetry' }, 'body/task_type must be one of code_generation'],
    [{ query: 'x', stream: 'yes' }, 'body/stream must be a boolean'],
    [{ query: 'x', colour: 'red' }, 'body/colour is not a known field; known fields: query, task_type'],
    [[1, 2], 'body must be a JSON object'],
  ])('rejects %j with a message naming the field', async (payload, message) => {
    t = await startFakeApp();
    const res = await query(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('RMM_VALIDATION');
    expect(res.json().error.message).toContain(message);
    expect(t.manager.calls).toHaveLength(0);
  });

  it('routing headers are validated here too', async () => {
    t = await startFakeApp();
    const res = await query({ query: 'x' }, { 'x-rmm-task-type': 'poetry' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('headers/x-rmm-task-type must be one of code_generation');
    expect(t.manager.calls).toHaveLength(0);
  });

  it('an unknown model is 404 RMM_UNKNOWN_MODEL listing the choices', async () => {
    t = await startFakeApp();
    const res = await query({ query: 'x', model: 'gpt-5' });
    expect(res.statusCode).toBe(404);
    const error = res.json().error;
    expect(error.code).toBe('RMM_UNKNOWN_MODEL');
    expect(error.choices).toContain('qwen2.5-coder:32b');
    expect(error.choices).toContain('auto:code_generation');
    expect(error.message).toContain("unknown model 'gpt-5'");
  });
});

describe('the other seed endpoints', () => {
  it('/api/echo/query answers the plain subset and ignores unknown fields', async () => {
    t = await startFakeApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/echo/query',
      payload: { query: 'hello', conversation_id: 'c1' },
    });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json()).sort()).toEqual(
      ['fallback_used', 'latency_ms', 'model_used', 'request_id', 'response', 'task_type'].sort(),
    );
    expect(res.json().response).toBe('echo: hello');
  });

  it('status carries the backend kind, circuits with availability, VRAM per host', async () => {
    t = await startFakeApp();
    t.manager.openCircuits.add('llama3.1:70b');
    const res = await t.app.inject({ url: '/api/echo/resilient/status' });
    const body = res.json();
    expect(body.backend).toBe('simulated');
    const broken = body.circuits.filter((c: { available: boolean }) => !c.available);
    expect(broken.map((c: { model: string }) => c.model)).toEqual(['llama3.1:70b']);
    expect(body.hosts[0]).toMatchObject({ vram_budget_gb: 16, vram_used_gb: 2.5 });
  });

  it('models lists every model', async () => {
    t = await startFakeApp();
    const res = await t.app.inject({ url: '/api/echo/resilient/models' });
    expect(res.json().models).toHaveLength(Object.keys(t.config.models).length);
  });

  it('health and preload pass the canonical name; unknown or virtual names are 404', async () => {
    t = await startFakeApp();
    const health = await t.app.inject({
      method: 'POST',
      url: '/api/echo/resilient/health',
      payload: { model_name: 'tinyllama', force_check: true },
    });
    expect(health.statusCode).toBe(200);
    expect(t.manager.healthChecks).toEqual([{ name: 'tinyllama:latest', force: true }]);
    const preload = await t.app.inject({
      method: 'POST',
      url: '/api/echo/resilient/preload',
      payload: { model_name: 'deepseek-r1:32b' },
    });
    expect(preload.json()).toMatchObject({ model_name: 'deepseek-r1:32b', status: 'loaded' });
    expect(t.manager.preloads).toEqual(['deepseek-r1:32b']);
    for (const model_name of ['nope:1b', 'auto']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/echo/resilient/preload',
        payload: { model_name },
      });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('RMM_UNKNOWN_MODEL');
    }
  });

  it('health rejects force_check of the wrong type', async () => {
    t = await startFakeApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/echo/resilient/health',
      payload: { model_name: 'tinyllama:latest', force_check: 'yes' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('body/force_check must be a boolean (true or false)');
  });
});
