import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DropInStack, startDropIn } from './stack.ts';

/** Thinking, JSON schemas, embeddings, context-aware selection and the OpenAI extras, through the official clients. */
let s: DropInStack;
beforeAll(async () => {
  s = await startDropIn();
});
afterAll(async () => s.close());

const ollama = () => new Ollama({ host: s.url });
const openai = () => new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const caps = (model: string) => s.config.models[model]?.capabilities ?? [];

const PERSON = {
  type: 'object',
  required: ['name', 'age', 'tags', 'address'],
  properties: {
    name: { type: 'string' },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
    address: { type: 'object', required: ['city'], properties: { city: { type: 'string' } } },
    role: { type: 'string', enum: ['admin', 'user'] },
  },
};

function matchesPerson(v: Record<string, unknown>): void {
  expect(typeof v['name']).toBe('string');
  expect(Number.isInteger(v['age'])).toBe(true);
  expect(v['age']).toBeGreaterThanOrEqual(0);
  expect(v['age']).toBeLessThanOrEqual(120);
  expect(Array.isArray(v['tags']) && (v['tags'] as unknown[]).every((t) => typeof t === 'string')).toBe(true);
  expect(typeof (v['address'] as { city: unknown }).city).toBe('string');
  expect(['admin', 'user']).toContain(v['role']);
}

describe('thinking', () => {
  it('think: true returns thinking from a thinking model, chosen for it, streaming and not', async () => {
    await s.clearReceived();
    const res = await ollama().chat({
      model: 'auto',
      messages: [{ role: 'user', content: 'why is the sky blue' }],
      think: true,
    });
    expect(caps(res.model)).toContain('thinking');
    expect(res.message.thinking?.length).toBeGreaterThan(0);
    expect(res.message.content.length).toBeGreaterThan(0);
    const gen = await ollama().generate({
      model: 'auto',
      prompt: 'think it through',
      think: true,
      stream: true,
    });
    let thinking = '';
    for await (const part of gen) thinking += part.thinking ?? '';
    expect(thinking.length).toBeGreaterThan(0);
  });

  it('a named model without the capability is passed over, never sent think', async () => {
    await s.clearReceived();
    const res = await ollama().chat({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'think hard' }],
      think: true,
    });
    expect(res.model).not.toBe('llama3.2:3b');
    expect(caps(res.model)).toContain('thinking');
    const sent = [...(await s.received('/api/chat')), ...(await s.received('/api/generate'))];
    const thinkingSent = sent.filter((r) => (r.body as { think?: unknown }).think === true);
    expect(thinkingSent.length).toBeGreaterThan(0);
    for (const r of thinkingSent) expect(caps((r.body as { model: string }).model)).toContain('thinking');
  });

  it('the OpenAI API carries the thinking as reasoning', async () => {
    const res = await openai().chat.completions.create({
      model: 'deepseek-r1:14b',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect((res.choices[0]!.message as unknown as { reasoning?: string }).reasoning?.length).toBeGreaterThan(
      0,
    );
  });
});

describe('structured output', () => {
  it('format with a JSON schema gives JSON that matches it (ollama, streaming and not)', async () => {
    const whole = await ollama().chat({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'describe someone' }],
      format: PERSON,
    });
    matchesPerson(JSON.parse(whole.message.content) as Record<string, unknown>);
    const parts = await ollama().generate({
      model: 'llama3.2:3b',
      prompt: 'someone',
      format: PERSON,
      stream: true,
    });
    let text = '';
    for await (const part of parts) text += part.response;
    matchesPerson(JSON.parse(text) as Record<string, unknown>);
    const json = await ollama().generate({ model: 'llama3.2:3b', prompt: 'anything', format: 'json' });
    expect(typeof JSON.parse(json.response ?? '')).toBe('object');
  });

  it('response_format json_schema and json_object (openai)', async () => {
    const res = await openai().chat.completions.create({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'describe someone' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON } },
    });
    matchesPerson(JSON.parse(res.choices[0]!.message.content!) as Record<string, unknown>);
    const sent = (await s.received('/api/chat')).at(-1)!.body as { format: unknown };
    expect(sent.format).toEqual(PERSON);
    const obj = await openai().chat.completions.create({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'json please' }],
      response_format: { type: 'json_object' },
    });
    expect(typeof JSON.parse(obj.choices[0]!.message.content!)).toBe('object');
  });
});

describe('embeddings', () => {
  it('ollama.embed, ollama.embeddings and openai.embeddings.create return vectors of the model dimension', async () => {
    const many = await ollama().embed({ model: 'nomic-embed-text', input: ['first', 'second'] });
    expect(many.embeddings).toHaveLength(2);
    for (const v of many.embeddings) expect(v).toHaveLength(768);
    const one = await ollama().embeddings({ model: 'nomic-embed-text', prompt: 'legacy' });
    expect(one.embedding).toHaveLength(768);
    // The openai client asks for base64 by default and decodes it: both encodings must be right.
    const oa = await openai().embeddings.create({ model: 'nomic-embed-text:latest', input: ['a', 'b', 'c'] });
    expect(oa.data).toHaveLength(3);
    for (const d of oa.data) expect(d.embedding).toHaveLength(768);
    const floats = await openai().embeddings.create({ model: 'auto', input: 'x', encoding_format: 'float' });
    expect(floats.data[0]!.embedding).toHaveLength(768);
    expect(floats.model).toBe('nomic-embed-text:latest');
  });

  it('a chat model is never asked for embeddings, an embedding model never for chat', async () => {
    const res = await fetch(`${s.url}/api/embed`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama3.2:3b', input: 'x' }),
    });
    const body = (await res.json()) as { model?: string; error?: string };
    // The named chat model cannot embed: the embed chain answers instead, and the answer names it.
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.model).toBe('nomic-embed-text:latest');
    const chat = await ollama().chat({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.model).not.toBe('nomic-embed-text:latest');
  });
});

describe('context length', () => {
  it('a 20k-token prompt skips the 2k-context model, and says so in selection_reason and attempts_detail', async () => {
    const res = await fetch(`${s.url}/api/echo/resilient/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'lorem ipsum '.repeat(6700), task_type: 'fast_response' }),
    });
    const body = (await res.json()) as {
      model_used: string;
      selection_reason: string;
      attempts_detail: Array<{ model: string; outcome: string; error?: string }>;
    };
    expect(res.status, JSON.stringify(body).slice(0, 500)).toBe(200);
    expect(body.model_used).not.toBe('tinyllama:latest');
    expect(body.selection_reason).toMatch(/tinyllama:latest.*context/);
    const skipped = body.attempts_detail.find((a) => a.model === 'tinyllama:latest');
    expect(skipped).toMatchObject({ outcome: 'skipped' });
    expect(skipped?.error).toMatch(/context_too_small/);
  });
});

describe('OpenAI extras', () => {
  it('/v1/completions answers a prompt, whole and streamed', async () => {
    const { data: res, response } = await openai()
      .completions.create({ model: 'llama3.2:3b', prompt: 'Say hi', max_tokens: 5 })
      .withResponse();
    expect(res.object).toBe('text_completion');
    // The named model answers; when it does not, the service's own account of why is the failure message.
    const why = `answered by ${response.headers.get('x-rmm-model-used')}: ${response.headers.get('x-rmm-selection-reason')}`;
    expect(res.model, why).toBe('llama3.2:3b');
    expect(res.choices[0]!.text.length, why).toBeGreaterThan(0);
    expect(res.choices[0]!.finish_reason).toBe('length');
    const stream = await openai().completions.create({
      model: 'llama3.2:3b',
      prompt: 'Say hi',
      stream: true,
    });
    let text = '';
    for await (const part of stream) text += part.choices[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('/v1/models/{model} retrieves one model, 404 for an unknown one', async () => {
    const m = await openai().models.retrieve('llama3.2:3b');
    expect(m.id).toBe('llama3.2:3b');
    await expect(openai().models.retrieve('no-such-model')).rejects.toMatchObject({ status: 404 });
  });

  it('stop, seed and max_completion_tokens reach Ollama as options', async () => {
    await openai().chat.completions.create({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'count' }],
      stop: ['\n'],
      seed: 7,
      max_completion_tokens: 12,
      temperature: 0.2,
    });
    const sent = (await s.received('/api/chat')).at(-1)!.body as { options: Record<string, unknown> };
    expect(sent.options).toMatchObject({ stop: ['\n'], seed: 7, num_predict: 12, temperature: 0.2 });
  });
});
