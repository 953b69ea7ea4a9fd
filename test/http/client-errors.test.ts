import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeManager } from './fake-manager.ts';
import { startFakeApp, type TestApp } from './harness.ts';

/** How the official clients see our failures, before and after the first token. */
let t: TestApp<FakeManager>;
let url: string;
beforeAll(async () => {
  t = await startFakeApp();
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => t.close());

describe('ollama client', () => {
  it('before the first token: ResponseError with the status', async () => {
    t.manager.failNext({ mode: 'fail-before' });
    const err = await new Ollama({ host: url })
      .chat({ model: 'auto', messages: [{ role: 'user', content: 'x' }], stream: true })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ResponseError', status_code: 503, error: 'every candidate failed' });
  });

  it('after the first token: the stream throws the error text', async () => {
    t.manager.failNext({ mode: 'fail-after', afterChunks: 2 });
    const stream = await new Ollama({ host: url }).generate({
      model: 'auto',
      prompt: 'a b c d',
      stream: true,
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const part of stream) seen.push(part.response ?? '');
    })().catch((e: unknown) => e as Error);
    expect(seen).toEqual(['echo: ', 'a ']);
    expect((err as Error).message).toContain('failed after 2 chunks');
  });
});

describe('openai client', () => {
  const client = () => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });

  it('before the first token: APIError with status and our code', async () => {
    t.manager.failNext({ mode: 'fail-before' });
    const err = await client()
      .chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'x' }], stream: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 503, code: 'RMM_NO_MODEL_AVAILABLE' });
  });

  it('after the first token: the stream throws an APIError', async () => {
    t.manager.failNext({ mode: 'fail-after', afterChunks: 1 });
    const stream = await client().chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'a b c' }],
      stream: true,
    });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(text).toBe('echo: ');
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('RMM_STREAM_BROKEN');
  });
});
