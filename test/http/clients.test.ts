import { readFileSync } from 'node:fs';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './harness.ts';

/**
 * The official clients, unchanged, against the app listening on a real socket. Runs over the manager
 * factory, so the assertions hold for any manager: no fake-specific text is checked here.
 */
let t: TestApp;
let url: string;
let catalog: string[];
const pkgVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

beforeAll(async () => {
  t = await startApp();
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  catalog = t.manager.catalog();
});
afterAll(async () => t.close());

describe('official ollama client', () => {
  const client = () => new Ollama({ host: url });

  it('generate without streaming returns the whole answer and our metadata', async () => {
    const res = await client().generate({ model: 'auto', prompt: 'Say hello in one word' });
    expect(res.done).toBe(true);
    expect(res.response?.length).toBeGreaterThan(0);
    expect(catalog).toContain(res.model);
    expect((res as unknown as { rmm: { model_used: string } }).rmm.model_used).toBe(res.model);
  });

  it('generate streams chunks and ends with done', async () => {
    const stream = await client().generate({
      model: 'auto:fast_response',
      prompt: 'count to three',
      stream: true,
    });
    const parts: string[] = [];
    let last: { done: boolean; done_reason?: string } | undefined;
    for await (const part of stream) {
      parts.push(part.response ?? '');
      last = part;
    }
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join('').length).toBeGreaterThan(0);
    expect(last?.done).toBe(true);
    expect(last?.done_reason).toBeTruthy();
  });

  it('chat with a named model, streaming and not', async () => {
    const model = catalog[0]!;
    const whole = await client().chat({ model, messages: [{ role: 'user', content: 'hi there' }] });
    expect(whole.message.role).toBe('assistant');
    expect(whole.message.content.length).toBeGreaterThan(0);
    const stream = await client().chat({
      model,
      messages: [{ role: 'user', content: 'hi again' }],
      stream: true,
    });
    let text = '';
    let done = false;
    for await (const part of stream) {
      text += part.message.content;
      done = part.done;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(done).toBe(true);
  });

  it('list, ps, show and version', async () => {
    const list = await client().list();
    const names = list.models.map((m) => m.name);
    for (const name of catalog) expect(names).toContain(name);
    expect(names).toContain('auto');
    const ps = await client().ps();
    expect(Array.isArray(ps.models)).toBe(true);
    for (const m of ps.models) expect(catalog).toContain(m.name);
    const show = await client().show({ model: catalog[0]! });
    expect(show.details.family).toBeTruthy();
    expect(show.capabilities).toContain('completion');
    // Ollama's version (the simulator's, configured), never this service's own.
    const version = await client().version();
    expect(version.version).toBe(t.config.simulator.version);
    expect(version.version).not.toBe(pkgVersion);
  });

  it("an unknown model is a ResponseError with status 404 and Ollama's text", async () => {
    const err = await client()
      .generate({ model: 'no-such-model:1b', prompt: 'x' })
      .catch((e: unknown) => e as { name: string; status_code: number; error: string });
    expect(err).toMatchObject({
      name: 'ResponseError',
      status_code: 404,
      error: "model 'no-such-model:1b' not found",
    });
  });
});

describe('official openai client', () => {
  const client = () => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });

  it('chat completion without streaming', async () => {
    const res = await client().chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'Say hello' }],
      temperature: 0.2,
      max_tokens: 20,
    });
    expect(res.object).toBe('chat.completion');
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(res.choices[0]?.finish_reason).toMatch(/^(stop|length)$/);
    expect(res.usage?.total_tokens).toBe(
      (res.usage?.prompt_tokens ?? 0) + (res.usage?.completion_tokens ?? 0),
    );
    expect(catalog).toContain(res.model);
  });

  it('chat completion streaming, with usage', async () => {
    const stream = await client().chat.completions.create({
      model: 'auto:fast_response',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'count to three' },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let roles = 0;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.delta.role) roles++;
      text += choice.delta.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(roles).toBe(1);
    expect(finish).toMatch(/^(stop|length)$/);
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it('models.list lists the catalog and the virtual names', async () => {
    const ids: string[] = [];
    for await (const m of client().models.list()) ids.push(m.id);
    for (const name of catalog) expect(ids).toContain(name);
    expect(ids).toContain('auto');
  });

  it('errors arrive as APIError with our code', async () => {
    const err = await client()
      .chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('RMM_UNKNOWN_MODEL');
  });
});
