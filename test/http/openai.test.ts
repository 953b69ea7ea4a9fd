import { afterEach, describe, expect, it } from 'vitest';
import type { FakeManager } from './fake-manager.ts';
import { sseData, startFakeApp, type TestApp } from './harness.ts';

let t: TestApp<FakeManager>;
afterEach(async () => t?.close());

const complete = (payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: payload as object, headers });

const user = (content: unknown) => [{ role: 'user', content }];

describe('POST /v1/chat/completions', () => {
  it('maps OpenAI fields to the manager request', async () => {
    t = await startFakeApp();
    const res = await complete(
      {
        model: 'auto',
        messages: [
          { role: 'developer', content: 'rules' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            ],
          },
          { role: 'assistant', content: null },
        ],
        temperature: 0.5,
        max_tokens: 10,
        stop: 'END',
        seed: 7,
        response_format: { type: 'json_object' },
        task_type: 'creative',
        user: 'someone',
      },
      { 'x-rmm-urgency': 'background' },
    );
    expect(res.statusCode).toBe(200);
    expect(t.manager.calls[0]).toMatchObject({
      kind: 'chat',
      model: 'auto',
      taskType: 'creative',
      urgency: 'background',
      options: { temperature: 0.5, num_predict: 10, stop: ['END'], seed: 7 },
      format: 'json',
      messages: [
        { role: 'system', content: 'rules' },
        { role: 'user', content: 'look', images: ['AAAA'] },
        { role: 'assistant', content: '' },
      ],
    });
    const body = res.json();
    expect(body).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/),
      object: 'chat.completion',
      created: expect.any(Number),
      choices: [{ index: 0, message: { role: 'assistant', content: 'echo: look' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
    expect(res.headers['x-rmm-urgency']).toBe('background');
  });

  it('streams SSE chunks: role first, finish chunk, usage, [DONE]', async () => {
    t = await startFakeApp();
    const res = await complete({
      model: 'llama3.2:8b',
      messages: user('a b'),
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers['content-type']).toContain('text/event-stream');
    const events = sseData(res.body);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: 'echo: ' });
    expect(chunks[1].choices[0].delta).toEqual({ content: 'a ' });
    const finish = chunks.at(-2);
    expect(finish.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'stop' });
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
    });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'llama3.2:8b')).toBe(true);
  });

  it('without include_usage there is no usage chunk', async () => {
    t = await startFakeApp();
    const res = await complete({ model: 'auto', messages: user('x'), stream: true });
    const chunks = sseData(res.body)
      .slice(0, -1)
      .map((e) => JSON.parse(e));
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
  });

  it('a failure after the first token is an SSE error event, no [DONE]', async () => {
    t = await startFakeApp();
    t.manager.failNext({ mode: 'fail-after', afterChunks: 1 });
    const res = await complete({ model: 'auto', messages: user('a b c'), stream: true });
    const events = sseData(res.body);
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[1]!)).toMatchObject({
      error: { type: 'api_error', code: 'RMM_STREAM_BROKEN', param: null },
    });
  });

  it("a failure before the first token is an HTTP error in OpenAI's shape", async () => {
    t = await startFakeApp();
    t.manager.failNext({ mode: 'fail-before' });
    const res = await complete({ model: 'auto', messages: user('x'), stream: true });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      error: {
        message: 'every candidate failed',
        type: 'api_error',
        param: null,
        code: 'RMM_NO_MODEL_AVAILABLE',
      },
    });
  });

  it.each([
    [{ messages: user('x') }, 'body/model is required'],
    [{ model: 'auto', messages: [] }, 'body/messages must not be empty'],
    [
      { model: 'auto', messages: [{ role: 'wizard', content: 'x' }] },
      'body/messages/0/role must be one of system',
    ],
    [{ model: 'auto', messages: user('x'), temperature: 'hot' }, 'body/temperature must be a number or null'],
    [
      { model: 'auto', messages: user([{ type: 'image_url', image_url: 'http://example.com/a.png' }]) },
      'remote URLs are not fetched',
    ],
  ])('rejects %j as invalid_request_error', async (payload, message) => {
    t = await startFakeApp();
    const res = await complete(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.type).toBe('invalid_request_error');
    expect(res.json().error.message).toContain(message);
  });

  it('an unknown model is 404 not_found_error', async () => {
    t = await startFakeApp();
    const res = await complete({ model: 'gpt-4o', messages: user('x') });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ type: 'not_found_error', code: 'RMM_UNKNOWN_MODEL' });
  });
});

describe('GET /v1/models', () => {
  it("lists catalog and virtual models in OpenAI's shape", async () => {
    t = await startFakeApp();
    const body = (await t.app.inject({ url: '/v1/models' })).json();
    expect(body.object).toBe('list');
    expect(body.data).toContainEqual({
      id: 'llama3.2:3b',
      object: 'model',
      created: expect.any(Number),
      owned_by: 'library',
    });
    expect(body.data).toContainEqual(expect.objectContaining({ id: 'auto', owned_by: 'rmm' }));
  });
});
