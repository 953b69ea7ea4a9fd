import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaledConfig } from '../../src/config/test-config.ts';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.ts';
import { Prng } from '../../src/simulator/prng.ts';
import { schemaValue } from '../../src/simulator/schema-value.ts';

/** The simulator's capability errors, worded as Ollama words them, and its deterministic answers. */
let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ config: scaledConfig(0.001) });
});
afterAll(async () => sim.close());

async function post(path: string, body: unknown) {
  const res = await fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const user = [{ role: 'user', content: 'use the lookup tool' }];
const lookup = {
  type: 'function',
  function: { name: 'lookup', parameters: { type: 'object', properties: {} } },
};

describe('capability errors (server/routes.go wording)', () => {
  it('tools on a model without them names the full model', async () => {
    const r = await post('/api/chat', { model: 'tinyllama', messages: user, tools: [lookup], stream: false });
    expect(r).toEqual({
      status: 400,
      body: { error: 'registry.ollama.ai/library/tinyllama:latest does not support tools' },
    });
  });

  it('suffix on a model without insert', async () => {
    const r = await post('/api/generate', { model: 'llama3.2:3b', prompt: 'a', suffix: 'b', stream: false });
    expect(r.body['error']).toBe('registry.ollama.ai/library/llama3.2:3b does not support insert');
  });

  it('an embedding model asked to generate or chat', async () => {
    const g = await post('/api/generate', { model: 'nomic-embed-text', prompt: 'a', stream: false });
    expect(g.body['error']).toBe('"nomic-embed-text" does not support generate');
    const c = await post('/api/chat', { model: 'nomic-embed-text', messages: user, stream: false });
    expect(c.body['error']).toBe('"nomic-embed-text" does not support chat');
  });

  it('think on a model without thinking; think false is fine', async () => {
    const r = await post('/api/chat', { model: 'llama3.2:3b', messages: user, think: true, stream: false });
    expect(r.body['error']).toBe('"llama3.2:3b" does not support thinking');
    const ok = await post('/api/chat', { model: 'llama3.2:3b', messages: user, think: false, stream: false });
    expect(ok.status).toBe(200);
  });

  it('raw mode with a system prompt', async () => {
    const r = await post('/api/generate', {
      model: 'llama3.2:3b',
      prompt: 'a',
      raw: true,
      system: 's',
      stream: false,
    });
    expect(r.body['error']).toBe('raw mode does not support template, system, or context');
  });
});

describe('answers', () => {
  it('a tool call when asked for one, the same one every time; a text answer after the tool spoke', async () => {
    const body = { model: 'llama3.2:3b', messages: user, tools: [lookup], stream: false };
    const a = await post('/api/chat', body);
    const b = await post('/api/chat', body);
    const calls = (a.body['message'] as { tool_calls: Array<{ id: string; function: { name: string } }> })
      .tool_calls;
    expect(calls[0]!.function.name).toBe('lookup');
    expect(calls[0]!.id).toMatch(/^call_/);
    expect(b.body['message']).toEqual(a.body['message']);
    const after = await post('/api/chat', {
      ...body,
      messages: [...user, a.body['message'], { role: 'tool', content: 'found it', tool_name: 'lookup' }],
    });
    expect((after.body['message'] as { content: string }).content).toMatch(/^The tool said: found it\./);
  });

  it('a thinking model thinks unless think is false; num_predict counts the thinking', async () => {
    const on = await post('/api/generate', { model: 'deepseek-r1:14b', prompt: 'hi', stream: false });
    expect(String(on.body['thinking']).length).toBeGreaterThan(0);
    const off = await post('/api/generate', {
      model: 'deepseek-r1:14b',
      prompt: 'hi',
      think: false,
      stream: false,
    });
    expect(off.body['thinking']).toBeUndefined();
    const capped = await post('/api/generate', {
      model: 'deepseek-r1:14b',
      prompt: 'hi',
      options: { num_predict: 3 },
      stream: false,
    });
    expect(capped.body['eval_count']).toBe(3);
    expect(capped.body['done_reason']).toBe('length');
  });

  it('schema values conform: enums, bounds, nested objects and arrays', () => {
    const rng = new Prng(7);
    for (let i = 0; i < 50; i++) {
      const v = schemaValue(
        {
          type: 'object',
          properties: {
            n: { type: 'integer', minimum: 3, maximum: 5 },
            e: { enum: ['a', 'b'] },
            list: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
            inner: { type: 'object', properties: { ok: { type: 'boolean' } } },
          },
        },
        rng,
      ) as { n: number; e: string; list: number[]; inner: { ok: boolean } };
      expect(v.n).toBeGreaterThanOrEqual(3);
      expect(v.n).toBeLessThanOrEqual(5);
      expect(['a', 'b']).toContain(v.e);
      expect(v.list).toHaveLength(2);
      expect(typeof v.inner.ok).toBe('boolean');
    }
  });
});
