/**
 * Fidelity of the simulator to /work/shared/ollama-behaviour.md, judged through the official `ollama`
 * client (0.6.4) and, where the client hides the wire, raw fetch.
 *
 * Checklist (statement of ollama-behaviour.md → test):
 * Shared rules
 *  - durations are integer nanoseconds ............................ "generate (stream:false) ..."
 *  - created_at UTC Z; expires_at / modified_at local offset ....... "timestamps: ..."
 *  - zero metrics omitted .......................................... "load-only ...", "embed ..."
 *  - errors are {"error"} application/json ......................... "errors: ..." (every ResponseError test)
 *  - unknown path 404 plain text, wrong method 405, GET / ........... "wire basics"
 * Endpoints
 *  - /api/generate fields, NDJSON, stream default TRUE, final chunk, context (omitted in raw), stream:false
 *    joins text ..................................................... "generate ..." tests
 *  - load_duration = queue + eviction + load ....................... scheduler.test.ts "concurrent requests share one load"
 *  - /api/chat chunks, final content "" + metrics, no context ....... "chat ..." tests
 *  - /api/tags shape, digest bare hex ............................... "list (/api/tags) ..."
 *  - /api/ps shape, latest expiry first, {"models":[]} when empty, loading model listed, size_vram,
 *    forever ~292 years ............................................ "ps ..." here and in scheduler.test.ts
 *  - /api/show fields and capabilities; missing model → 400 ......... "show ..."
 *  - /api/version .................................................. "version"
 *  - /api/pull name|model, status stream, error line after start ... "pull ..."
 *  - /api/delete 200 empty / 404, does not unload a running model .. "delete ..."
 *  - /api/embed shape, L2-normalised ............................... "embed ..."
 *  - /v1/chat/completions shape, stream default false, SSE framing, role only in first delta, finish chunk,
 *    include_usage chunk, [DONE], OpenAI error shape ................ "openai ..." tests
 *  - /v1/models shape, data null when empty ......................... "openai /v1/models ..."
 * Loading, unloading, keep_alive
 *  - empty prompt / messages → done_reason "load", no metrics ....... "load-only ..."
 *  - keep_alive 0 → "unload" at once, 404 for unknown, in-flight first  "unload ..." (+ scheduler.test.ts)
 *  - keep_alive parsing (seconds, Go durations, negative = forever, "30" → 400) "keep_alive ..." + units.test.ts
 *  - default 5m on fresh load, earlier value kept, timer after last in-flight  scheduler.test.ts "keep-alive ..."
 *  - requests during a load share it, each with its own load_duration  scheduler.test.ts
 *  - a disconnect during a cold load abandons it .................... scheduler.test.ts "abandoned load"
 * Errors
 *  - unknown model 404 `model 'NAME' not found` ..................... "errors: unknown model ..."
 *  - empty model (chat) 400 "model is required" ..................... "errors: model is required"
 *  - empty body, bad JSON (decoder message), invalid name ........... "errors: body ..." + units.test.ts
 *  - capability: "does not support thinking" ....................... "errors: thinking ..."
 *  - queue full 503 exact text ..................................... scheduler.test.ts "queue full" + faults busy_503
 *  - OOM and load-timeout texts by version .......................... faults.test.ts + units.test.ts
 *  - truncate:false → 400 context length ............................ "errors: truncate false ..."
 *  - error after stream start = one {"error"} line on the 200 ....... "errors: after the stream started ..."
 * Scheduler ........................................................ scheduler.test.ts (bypass, queue, one load
 *   at a time, max_loaded_models, num_parallel, partial offload, full fit, eviction order, forever last, busy wait)
 * npm client: ResponseError name/.error/.status_code; {"error"} mid-stream → Error; abort() → AbortError
 *   ................................................................ "client: ..." tests
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ndjson, rejectionOf, type Sim, sleep, startTestSim, tinyConfig } from './helpers.ts';

const UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function localSuffix(): string {
  const offset = -new Date().getTimezoneOffset();
  if (offset === 0) return 'Z';
  const abs = Math.abs(offset);
  return `${offset > 0 ? '+' : '-'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const METRICS = [
  'total_duration',
  'load_duration',
  'prompt_eval_count',
  'prompt_eval_duration',
  'eval_count',
  'eval_duration',
];

let sim: Sim;
beforeAll(async () => {
  sim = await startTestSim(
    tinyConfig({
      models: {
        'alpha:1b': { size_gb: 2 },
        'beta:1b': { size_gb: 2 },
        'deepseek-r1:1b': { size_gb: 1 },
        'slow:1b': { size_gb: 1, tokens_per_s: 40 },
      },
    }),
  );
});
afterAll(() => sim.handle.close());

describe('wire basics', () => {
  it('GET / answers "Ollama is running"; unknown paths 404 and wrong methods 405 in plain text', async () => {
    const root = await fetch(`${sim.url}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toBe('Ollama is running');

    const missing = await fetch(`${sim.url}/api/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await missing.text()).toBe('404 page not found');

    const wrong = await fetch(`${sim.url}/api/generate`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await wrong.text()).toBe('405 method not allowed');
    expect((await fetch(`${sim.url}/api/tags`, { method: 'POST' })).status).toBe(405);
  });

  it('version', async () => {
    expect(await sim.ollama.version()).toEqual({ version: '0.12.0' });
  });
});

describe('list (/api/tags) and show', () => {
  it('list: every configured model with name, model, modified_at, size, bare-hex digest and details', async () => {
    const { models } = await sim.ollama.list();
    expect(models.map((m) => m.name).sort()).toEqual(['alpha:1b', 'beta:1b', 'deepseek-r1:1b', 'slow:1b']);
    const alpha = models.find((m) => m.name === 'alpha:1b')!;
    expect(alpha).toMatchObject({ name: 'alpha:1b', model: 'alpha:1b', size: 2e9 });
    expect(alpha.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(alpha.details).toEqual({
      parent_model: '',
      format: 'gguf',
      family: 'llama',
      families: ['llama'],
      parameter_size: '1B',
      quantization_level: 'Q4_0',
    });
    expect(String(alpha.modified_at).endsWith(localSuffix())).toBe(true);
  });

  it('show: licence, modelfile, parameters, template, details, model_info, capabilities', async () => {
    const shown = await sim.ollama.show({ model: 'deepseek-r1:1b' });
    for (const key of [
      'license',
      'modelfile',
      'parameters',
      'template',
      'details',
      'model_info',
      'capabilities',
    ]) {
      expect(shown).toHaveProperty(key);
    }
    expect(shown.capabilities).toContain('completion');
    expect(shown.capabilities).toContain('thinking');
    // The client types model_info as a Map; on the wire it is a plain object.
    expect((shown.model_info as unknown as Record<string, unknown>)['general.architecture']).toBe('llama');
    // Legacy `name` works too.
    const legacy = await (await sim.post('/api/show', { name: 'alpha:1b' })).json();
    expect(legacy.details.family).toBe('llama');
  });

  it('show: no model → 400 "model is required"; unknown → 404', async () => {
    const none = await rejectionOf(sim.ollama.show({ model: '' }));
    expect(none).toMatchObject({ name: 'ResponseError', status_code: 400, error: 'model is required' });
    const unknown = await rejectionOf(sim.ollama.show({ model: 'nope:7b' }));
    expect(unknown).toMatchObject({
      name: 'ResponseError',
      status_code: 404,
      error: "model 'nope:7b' not found",
    });
  });
});

describe('generate', () => {
  it('generate (stream:false): one object, text joined, integer-nanosecond metrics and context', async () => {
    const r = await sim.ollama.generate({ model: 'alpha:1b', prompt: 'Tell me something.' });
    expect(r.model).toBe('alpha:1b');
    expect(r.done).toBe(true);
    expect(r.done_reason).toBe('stop');
    expect(r.response?.length).toBeGreaterThan(0);
    expect(Array.isArray(r.context)).toBe(true);
    for (const key of METRICS) {
      const v = (r as unknown as Record<string, number>)[key];
      expect(Number.isInteger(v), key).toBe(true);
      expect(v, key).toBeGreaterThan(0);
    }
    // 16 to 48 tokens when num_predict is not given.
    expect(r.eval_count).toBeGreaterThanOrEqual(16);
    expect(r.eval_count).toBeLessThanOrEqual(48);
  });

  it('generate streams NDJSON by default when `stream` is absent, with a final done chunk', async () => {
    const res = await sim.post('/api/generate', { model: 'alpha:1b', prompt: 'Stream please.' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = ndjson(await res.text());
    expect(lines.length).toBeGreaterThan(2);
    const last = lines[lines.length - 1]!;
    for (const chunk of lines.slice(0, -1)) {
      expect(Object.keys(chunk)).toEqual(['model', 'created_at', 'response', 'done']);
      expect(chunk['done']).toBe(false);
    }
    expect(last).toMatchObject({ model: 'alpha:1b', response: '', done: true, done_reason: 'stop' });
    expect(last).toHaveProperty('context');
    for (const key of METRICS) expect(last).toHaveProperty(key);
    expect(last['eval_count']).toBe(lines.length - 1);
  });

  it('generate: num_predict caps the output with done_reason "length"; raw mode omits context', async () => {
    const r = await sim.ollama.generate({
      model: 'alpha:1b',
      prompt: 'Count.',
      options: { num_predict: 5 },
      raw: true,
    });
    expect(r.eval_count).toBe(5);
    expect(r.done_reason).toBe('length');
    expect(r).not.toHaveProperty('context');
  });

  it('generate: the same seed, model and prompt give the same words; the arithmetic probe is answered', async () => {
    const a = await sim.ollama.generate({ model: 'alpha:1b', prompt: 'Same prompt' });
    const b = await sim.ollama.generate({ model: 'alpha:1b', prompt: 'Same prompt' });
    const c = await sim.ollama.generate({ model: 'beta:1b', prompt: 'Same prompt' });
    expect(a.response).toBe(b.response);
    expect(c.response).not.toBe(a.response);
    const probe = await sim.ollama.generate({ model: 'alpha:1b', prompt: 'What is 17 + 25?' });
    expect(probe.response).toMatch(/^42\b/);
  });

  it('client: streaming with for await, then abort() ends it with an AbortError', async () => {
    const stream = await sim.ollama.generate({ model: 'slow:1b', prompt: 'Long answer', stream: true });
    const seen: string[] = [];
    const err = await rejectionOf(
      (async () => {
        for await (const part of stream) {
          seen.push(part.response ?? '');
          if (seen.length === 2) sim.ollama.abort();
        }
      })(),
    );
    expect(err.name).toBe('AbortError');
    expect(seen.length).toBe(2);
  });
});

describe('chat', () => {
  it('chat (stream:true): message chunks, final chunk with empty content, metrics and no context', async () => {
    const stream = await sim.ollama.chat({
      model: 'alpha:1b',
      messages: [{ role: 'user', content: 'What is 2 + 3?' }],
      stream: true,
    });
    const parts = [];
    for await (const part of stream) parts.push(part);
    const last = parts[parts.length - 1]!;
    expect(parts[0]!.message).toEqual({ role: 'assistant', content: '5' });
    expect(last.done).toBe(true);
    expect(last.message).toEqual({ role: 'assistant', content: '' });
    expect(last.done_reason).toBe('stop');
    expect(last).not.toHaveProperty('context');
    expect(last.eval_count).toBe(parts.length - 1);
  });

  it('chat streams NDJSON when `stream` is absent', async () => {
    const res = await sim.post('/api/chat', {
      model: 'alpha:1b',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = ndjson(await res.text());
    expect(lines.length).toBeGreaterThan(2);
    expect(lines[lines.length - 1]).toMatchObject({
      done: true,
      message: { role: 'assistant', content: '' },
    });
  });

  it('chat (stream:false): joined content', async () => {
    const r = await sim.ollama.chat({
      model: 'alpha:1b',
      messages: [{ role: 'user', content: 'What is 100 + 1?' }],
    });
    expect(r.message.role).toBe('assistant');
    expect(r.message.content.startsWith('101')).toBe(true);
    expect(r.done).toBe(true);
  });
});

describe('load-only, unload and keep_alive', () => {
  it('load-only: empty prompt / no messages → done_reason "load", empty text, no metric fields', async () => {
    const gen = await (await sim.post('/api/generate', { model: 'beta:1b', prompt: '' })).json();
    expect(gen).toMatchObject({ model: 'beta:1b', response: '', done: true, done_reason: 'load' });
    for (const key of METRICS) expect(gen).not.toHaveProperty(key);
    expect(gen.created_at).toMatch(UTC);

    const chat = await (await sim.post('/api/chat', { model: 'beta:1b', messages: [] })).json();
    expect(chat).toMatchObject({
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: 'load',
    });
    for (const key of METRICS) expect(chat).not.toHaveProperty(key);
    expect((await sim.ollama.ps()).models.map((m) => m.name)).toContain('beta:1b');
  });

  it('unload: keep_alive 0 with an empty prompt answers "unload" and the model leaves memory', async () => {
    await sim.ollama.generate({ model: 'beta:1b', prompt: '' });
    const r = await sim.ollama.generate({ model: 'beta:1b', prompt: '', keep_alive: 0 });
    expect(r.done_reason).toBe('unload');
    expect((await sim.ollama.ps()).models.map((m) => m.name)).not.toContain('beta:1b');
    // Answered for a model that is not loaded, too; 404 only when it does not exist.
    const again = await sim.ollama.chat({ model: 'beta:1b', messages: [], keep_alive: '0' });
    expect(again.done_reason).toBe('unload');
    const unknown = await rejectionOf(sim.ollama.generate({ model: 'ghost:1b', prompt: '', keep_alive: 0 }));
    expect(unknown).toMatchObject({ status_code: 404, error: "model 'ghost:1b' not found" });
  });

  it("keep_alive: a unitless string is 400 with Go's message; negative means forever (~292 years)", async () => {
    const bad = await rejectionOf(sim.ollama.generate({ model: 'alpha:1b', prompt: '', keep_alive: '30' }));
    expect(bad).toMatchObject({
      name: 'ResponseError',
      status_code: 400,
      error: 'time: missing unit in duration "30"',
    });
    await sim.ollama.generate({ model: 'alpha:1b', prompt: '', keep_alive: -1 });
    const ps = await sim.ollama.ps();
    const alpha = ps.models.find((m) => m.name === 'alpha:1b')!;
    const years = (new Date(alpha.expires_at).getTime() - Date.now()) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(291);
    expect(years).toBeLessThan(293);
  });
});

describe('ps and timestamps', () => {
  it('ps: shape of an entry; size_vram equals size fully on GPU', async () => {
    await sim.ollama.generate({ model: 'alpha:1b', prompt: '' });
    const { models } = await sim.ollama.ps();
    const alpha = models.find((m) => m.name === 'alpha:1b')!;
    expect(Object.keys(alpha).sort()).toEqual(
      ['context_length', 'details', 'digest', 'expires_at', 'model', 'name', 'size', 'size_vram'].sort(),
    );
    expect(alpha.size_vram).toBe(alpha.size);
    expect(alpha.size).toBe(2e9);
  });

  it('timestamps: created_at in UTC with Z, expires_at with the local offset', async () => {
    const r = await sim.ollama.generate({ model: 'alpha:1b', prompt: 'time' });
    expect(String(r.created_at)).toMatch(UTC);
    const res = await fetch(`${sim.url}/api/ps`);
    const { models } = (await res.json()) as { models: Array<{ expires_at: string }> };
    for (const m of models) expect(m.expires_at.endsWith(localSuffix())).toBe(true);
  });
});

describe('errors', () => {
  it("errors: unknown model → ResponseError 404 `model 'NAME' not found` with a JSON body", async () => {
    const err = await rejectionOf(sim.ollama.generate({ model: 'llama9:404b', prompt: 'hi' }));
    expect(err).toMatchObject({
      name: 'ResponseError',
      status_code: 404,
      error: "model 'llama9:404b' not found",
    });
    const raw = await sim.post('/api/chat', { model: 'nope', messages: [{ role: 'user', content: 'x' }] });
    expect(raw.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await raw.json()).toEqual({ error: "model 'nope' not found" });
  });

  it('errors: model is required (chat with no model)', async () => {
    const err = await rejectionOf(sim.ollama.chat({ model: '', messages: [{ role: 'user', content: 'x' }] }));
    expect(err).toMatchObject({ status_code: 400, error: 'model is required' });
  });

  it('errors: body: missing request body; bad JSON with the decoder message; wrong field type', async () => {
    const empty = await sim.post('/api/generate', '');
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ error: 'missing request body' });
    const bad = await sim.post('/api/generate', '{"model": "alpha:1b",');
    expect(await bad.json()).toEqual({ error: 'unexpected EOF' });
    const worse = await sim.post('/api/chat', '{model: 1}');
    expect(await worse.json()).toEqual({
      error: "invalid character 'm' looking for beginning of object key string",
    });
    const typed = await sim.post('/api/generate', { model: 'alpha:1b', prompt: 5 });
    expect(typed.status).toBe(400);
    expect(await typed.json()).toEqual({
      error: 'json: cannot unmarshal number into Go struct field GenerateRequest.prompt of type string',
    });
  });

  it('errors: thinking asked of a model without the capability', async () => {
    const err = await rejectionOf(sim.ollama.generate({ model: 'alpha:1b', prompt: 'x', think: true }));
    expect(err).toMatchObject({ status_code: 400, error: '"alpha:1b" does not support thinking' });
    const ok = await sim.ollama.generate({ model: 'deepseek-r1:1b', prompt: 'x', think: true });
    expect(ok.done).toBe(true);
  });

  it('errors: truncate false with an input longer than the context → 400', async () => {
    // The client's types do not know `truncate` yet, so this goes over raw HTTP.
    const res = await sim.post('/api/generate', {
      model: 'alpha:1b',
      prompt: 'x'.repeat(400),
      truncate: false,
      options: { num_ctx: 16 },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'the input length exceeds the context length' });
  });

  it('errors: after the stream started, one {"error"} line on the 200, then the stream closes', async () => {
    const id = sim.handle.faults.add({
      kind: 'http_500',
      model: 'alpha:1b',
      after_tokens: 2,
      message: 'runner died',
    });
    try {
      const res = await sim.post('/api/generate', { model: 'alpha:1b', prompt: 'x' });
      expect(res.status).toBe(200);
      const lines = ndjson(await res.text());
      expect(lines).toHaveLength(3);
      expect(lines[2]).toEqual({ error: 'runner died' });
      // The client turns that line into a plain Error carrying the message.
      sim.handle.faults.remove(id);
      sim.handle.faults.add({
        kind: 'http_500',
        model: 'alpha:1b',
        after_tokens: 1,
        message: 'runner died',
        count: 1,
      });
      const stream = await sim.ollama.generate({ model: 'alpha:1b', prompt: 'x', stream: true });
      const err = await rejectionOf(
        (async () => {
          for await (const _ of stream) {
            /* drain */
          }
        })(),
      );
      expect(err.name).toBe('Error');
      expect(err.message).toBe('runner died');
    } finally {
      sim.handle.faults.remove(id);
    }
  });
});

describe('pull, delete, embed', () => {
  it('pull: streams manifest, layer progress, verify, write, remove, success (client sends `name`)', async () => {
    const stream = await sim.ollama.pull({ model: 'alpha:1b', stream: true });
    const statuses: string[] = [];
    let layer: Record<string, unknown> | undefined;
    for await (const part of stream) {
      statuses.push(part.status);
      if (part.status.startsWith('pulling ') && part.status !== 'pulling manifest') layer = part as never;
    }
    expect(statuses[0]).toBe('pulling manifest');
    expect(statuses.slice(-4)).toEqual([
      'verifying sha256 digest',
      'writing manifest',
      'removing unused layers',
      'success',
    ]);
    expect(layer?.['status']).toMatch(/^pulling [0-9a-f]{12}$/);
    expect(layer).toMatchObject({ total: 2e9, completed: 2e9 });
    expect(String(layer?.['digest'])).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('pull: an unknown model fails with an {"error"} line after the stream started (500 when not streaming)', async () => {
    const res = await sim.post('/api/pull', { model: 'unheard-of:1b' });
    expect(res.status).toBe(200);
    const lines = ndjson(await res.text());
    expect(lines[0]).toEqual({ status: 'pulling manifest' });
    expect(lines[lines.length - 1]).toEqual({ error: 'pull model manifest: file does not exist' });
    const err = await rejectionOf(sim.ollama.pull({ model: 'unheard-of:1b' }));
    expect(err).toMatchObject({ status_code: 500, error: 'pull model manifest: file does not exist' });
  });

  it('delete: 200 with an empty body, then 404; a running copy stays loaded; pull brings it back', async () => {
    await sim.ollama.generate({ model: 'beta:1b', prompt: '' });
    const res = await fetch(`${sim.url}/api/delete`, {
      method: 'DELETE',
      body: JSON.stringify({ model: 'beta:1b' }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect((await sim.ollama.list()).models.map((m) => m.name)).not.toContain('beta:1b');
    expect((await sim.ollama.ps()).models.map((m) => m.name)).toContain('beta:1b');
    const again = await rejectionOf(sim.ollama.delete({ model: 'beta:1b' }));
    expect(again).toMatchObject({ status_code: 404, error: "model 'beta:1b' not found" });
    await sim.ollama.pull({ model: 'beta:1b' });
    expect((await sim.ollama.list()).models.map((m) => m.name)).toContain('beta:1b');
  });

  it('embed: one L2-normalised vector per input; zero metrics omitted', async () => {
    const r = await sim.ollama.embed({ model: 'alpha:1b', input: ['one', 'two'] });
    expect(r.model).toBe('alpha:1b');
    expect(r.embeddings).toHaveLength(2);
    for (const v of r.embeddings) {
      const norm = Math.hypot(...v);
      expect(norm).toBeCloseTo(1, 6);
    }
    expect(r.embeddings[0]).not.toEqual(r.embeddings[1]);
    expect(r).toHaveProperty('prompt_eval_count');
    expect(r).not.toHaveProperty('eval_count');
    expect(Number.isInteger(r.total_duration)).toBe(true);
  });
});

describe('openai', () => {
  it('openai chat (stream default false): chat.completion shape with usage', async () => {
    const res = await sim.post('/v1/chat/completions', {
      model: 'alpha:1b',
      messages: [{ role: 'user', content: 'What is 1 + 1?' }],
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'alpha:1b',
      system_fingerprint: 'fp_ollama',
    });
    expect(body.id).toMatch(/^chatcmpl-\d+$/);
    expect(body.choices[0].message.role).toBe('assistant');
    expect(body.choices[0].message.content.startsWith('2')).toBe(true);
    expect(body.choices[0].finish_reason).toBe('stop');
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it('openai SSE: data frames, role only in the first delta, finish chunk, usage chunk, [DONE]', async () => {
    const res = await sim.post('/v1/chat/completions', {
      model: 'alpha:1b',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 4,
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    const frames = text.split('\n\n').filter((f) => f !== '');
    for (const f of frames) expect(f.startsWith('data: ')).toBe(true);
    expect(frames[frames.length - 1]).toBe('data: [DONE]');
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)));
    const deltas = chunks.slice(0, 4);
    expect(deltas[0].choices[0].delta.role).toBe('assistant');
    for (const c of deltas.slice(1)) expect(c.choices[0].delta).not.toHaveProperty('role');
    expect(chunks[4].choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'length' });
    expect(chunks[5].choices).toEqual([]);
    expect(chunks[5].usage.completion_tokens).toBe(4);
    expect(chunks).toHaveLength(6);
    for (const c of chunks) expect(c.object).toBe('chat.completion.chunk');
  });

  it('openai errors: {"error":{message,type,param,code}} with invalid_request_error / not_found_error', async () => {
    const missing = await sim.post('/v1/chat/completions', {
      model: 'nope:1b',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { message: "model 'nope:1b' not found", type: 'not_found_error', param: null, code: null },
    });
    const empty = await sim.post('/v1/chat/completions', { model: 'alpha:1b', messages: [] });
    expect(empty.status).toBe(400);
    expect((await empty.json()).error.type).toBe('invalid_request_error');
    const id = sim.handle.faults.add({ kind: 'http_500', model: 'alpha:1b', count: 1 });
    const broken = await sim.post('/v1/chat/completions', {
      model: 'alpha:1b',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(broken.status).toBe(500);
    expect((await broken.json()).error.type).toBe('api_error');
    sim.handle.faults.remove(id);
  });

  it('openai /v1/models: list of models owned by "library"; data null when no model is left', async () => {
    const body = await (await fetch(`${sim.url}/v1/models`)).json();
    expect(body.object).toBe('list');
    expect(body.data.map((m: { id: string }) => m.id)).toContain('alpha:1b');
    expect(body.data[0]).toMatchObject({ object: 'model', owned_by: 'library' });
    expect(Number.isInteger(body.data[0].created)).toBe(true);

    const bare = await startTestSim(tinyConfig({ models: { 'only:1b': { size_gb: 1 } } }));
    try {
      await bare.ollama.delete({ model: 'only:1b' });
      expect(await (await fetch(`${bare.url}/v1/models`)).json()).toEqual({ object: 'list', data: null });
      expect(await bare.ollama.list()).toEqual({ models: [] });
      expect(await bare.ollama.ps()).toEqual({ models: [] });
    } finally {
      await bare.handle.close();
    }
  });
});

describe('client', () => {
  it('client: a non-2xx answer is a ResponseError carrying status_code and error', async () => {
    const err = await rejectionOf(
      sim.ollama.chat({ model: 'nobody:1b', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(err.name).toBe('ResponseError');
    expect(err['status_code']).toBe(404);
    expect(err['error']).toBe("model 'nobody:1b' not found");
    await sleep(0);
  });
});
