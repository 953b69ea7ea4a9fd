import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DropInStack, startDropIn } from './stack.ts';

/**
 * For random valid Ollama request bodies, what reaches Ollama (the simulator's request log) equals what the
 * client sent, apart from the fields we own: `model` (the one chosen) and `keep_alive` (ours, so the
 * supervisor's VRAM plan holds). `stream` is always explicit upstream: an absent one arrives as Ollama's
 * default, true. Unknown fields (a newer client's) arrive untouched.
 */
let s: DropInStack;
beforeAll(async () => {
  s = await startDropIn();
});
afterAll(async () => s.close());

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const name = fc.stringMatching(/^[a-z][a-z_]{2,11}$/);
const options = fc.record(
  {
    temperature: fc.integer({ min: 0, max: 200 }).map((n) => n / 100),
    top_k: fc.integer({ min: 1, max: 100 }),
    top_p: fc.integer({ min: 1, max: 100 }).map((n) => n / 100),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    num_predict: fc.integer({ min: 1, max: 24 }),
    stop: fc.array(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 2 }),
    repeat_penalty: fc.integer({ min: 80, max: 150 }).map((n) => n / 100),
  },
  { requiredKeys: [] },
);
const schema = fc.record({
  type: fc.constant('object'),
  properties: fc.dictionary(
    name,
    fc.constantFrom({ type: 'string' }, { type: 'integer' }, { type: 'boolean' }),
    {
      minKeys: 1,
      maxKeys: 3,
    },
  ),
});
const format = fc.oneof(fc.constant('json'), schema);
const tool = fc.record({
  type: fc.constant('function'),
  function: fc.record({ name, description: text, parameters: schema }),
});
/** A field no version of this code knows, with any JSON value. */
// A `__proto__` key is dropped from every body, never obeyed (README, "Request bodies"): not generated here.
const extra = fc.record(
  { x_future_field: fc.jsonValue({ maxDepth: 2 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')) },
  { requiredKeys: [] },
);
const keepAlive = fc.record({ keep_alive: fc.constantFrom('5m', 0, -1, '1h', 300) }, { requiredKeys: [] });
const stream = fc.record({ stream: fc.boolean() }, { requiredKeys: [] });

const message = fc.oneof(
  fc.record({ role: fc.constantFrom('user', 'system'), content: text }),
  fc.record({ role: fc.constant('assistant'), content: text }, { requiredKeys: ['role', 'content'] }),
  fc.record({
    role: fc.constant('assistant'),
    content: fc.constant(''),
    tool_calls: fc.array(
      fc.record({ function: fc.record({ name, arguments: fc.dictionary(name, fc.integer()) }) }),
      {
        minLength: 1,
        maxLength: 2,
      },
    ),
  }),
  fc.record({ role: fc.constant('tool'), content: text, tool_name: name }),
);

const chatBody = fc
  .tuple(
    fc.record(
      {
        messages: fc
          .array(message, { maxLength: 3 })
          .map((m) => [...m, { role: 'user', content: 'hello there' }]),
        tools: fc.array(tool, { maxLength: 2 }),
        format,
        options,
        think: fc.constant(false),
      },
      { requiredKeys: ['messages'] },
    ),
    extra,
    keepAlive,
    stream,
  )
  .map((parts) => ({ model: 'llama3.2:3b', ...Object.assign({}, ...parts) }) as Record<string, unknown>);

const generateBody = fc
  .tuple(
    fc.record(
      {
        prompt: text.filter((p) => p !== ''),
        system: text,
        template: fc.constant('{{ .System }} {{ .Prompt }}'),
        context: fc.array(fc.integer({ min: 0, max: 128_000 }), { maxLength: 5 }),
        format,
        options,
        raw: fc.constant(false),
      },
      { requiredKeys: ['prompt'] },
    ),
    extra,
    keepAlive,
    stream,
  )
  .map((parts) => ({ model: 'llama3.2:3b', ...Object.assign({}, ...parts) }) as Record<string, unknown>);

function owned(body: Record<string, unknown>): Record<string, unknown> {
  const { model: _model, keep_alive: _keepAlive, ...rest } = body;
  return { stream: true, ...rest };
}

let trace = 0;
async function roundTrip(path: '/api/chat' | '/api/generate', sent: Record<string, unknown>): Promise<void> {
  // A marker finds this request among the prober's and loader's: the extra field is passed through too.
  const marker = `trace-${++trace}`;
  const body = { ...sent, x_trace: marker };
  const res = await fetch(`${s.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  const answer = await res.text();
  expect(res.status, answer.slice(0, 300)).toBe(200);
  const got = (await s.received(path)).filter((r) => (r.body as { x_trace?: string }).x_trace === marker);
  expect(got.length).toBeGreaterThan(0);
  // Compared with the body as JSON carries it (-0 travels as 0).
  const wire = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  for (const r of got) expect(owned(r.body as Record<string, unknown>)).toEqual(owned(wire));
}

describe('what the client sends reaches Ollama', () => {
  it('chat bodies arrive unchanged but for model and keep_alive', async () => {
    await fc.assert(
      fc.asyncProperty(chatBody, (b) => roundTrip('/api/chat', b)),
      { numRuns: 40 },
    );
  });

  it('generate bodies arrive unchanged but for model and keep_alive', async () => {
    await fc.assert(
      fc.asyncProperty(generateBody, (b) => roundTrip('/api/generate', b)),
      { numRuns: 40 },
    );
  });

  it("the caller's keep_alive is not forwarded: ours is", async () => {
    await roundTrip('/api/chat', {
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'hi' }],
      keep_alive: 0,
    });
    const last = (await s.received('/api/chat')).at(-1)!.body as { keep_alive?: unknown };
    expect(last.keep_alive).not.toBe(0);
    expect(last.keep_alive).toBeDefined();
  });
});
