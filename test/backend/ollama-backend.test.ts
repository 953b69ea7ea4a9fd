import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OllamaBackend } from '../../src/backend/ollama-backend.ts';
import { classifyError } from '../../src/policy/errors.ts';

/**
 * The management calls (loads, unloads, /api/ps, /api/tags, /api/show, /api/version) as one JSON exchange
 * each, no fetch: what Ollama receives, how its answers are read, and errors in the official client's
 * `ResponseError` shape so the taxonomy judges them as before.
 */
let server: Server;
let url: string;
const received: { method: string; path: string; body: unknown }[] = [];
const answers: Record<string, { status: number; body: string }> = {
  '/api/version': { status: 200, body: '{"version":"0.12.3"}' },
  '/api/ps': {
    status: 200,
    body: JSON.stringify({
      models: [{ name: 'a:1b', size: 2e9, size_vram: 1.5e9, expires_at: '2026-12-06T03:00:00Z' }],
    }),
  },
  '/api/tags': {
    status: 200,
    body: JSON.stringify({
      models: [
        {
          name: 'a:1b',
          size: 1e9,
          details: { family: 'llama', parameter_size: '1B', quantization_level: 'Q4_K_M' },
        },
        { name: 'b:2b', size: 2e9 },
      ],
    }),
  },
  '/api/show': {
    status: 200,
    body: JSON.stringify({
      capabilities: ['completion', 'tools'],
      model_info: { 'general.architecture': 'llama', 'llama.context_length': 8192 },
    }),
  },
  '/api/generate': { status: 200, body: '{"done":true,"load_duration":1500000000}' },
  '/api/embed': { status: 200, body: '{"embeddings":[],"load_duration":250000000}' },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        body: body ? JSON.parse(body) : undefined,
      });
      const path = req.url ?? '';
      const missing = JSON.stringify(body).includes('missing');
      const a = missing ? { status: 404, body: '{"error":"model \'missing\' not found"}' } : answers[path];
      if (!a) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
        return;
      }
      if (JSON.stringify(body).includes('silent')) return;
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('OllamaBackend management calls', () => {
  it('reads version, ps, tags and show, and sends what Ollama expects', async () => {
    const backend = new OllamaBackend(url);
    received.length = 0;
    expect(await backend.version()).toBe('0.12.3');
    expect(await backend.ps()).toEqual([
      { name: 'a:1b', size: 2e9, size_vram: 1.5e9, expires_at: '2026-12-06T03:00:00Z' },
    ]);
    expect(await backend.tags()).toEqual([
      { name: 'a:1b', size: 1e9, family: 'llama', parameterSize: '1B', quantization: 'Q4_K_M' },
      { name: 'b:2b', size: 2e9 },
    ]);
    const show = await backend.show('a:1b');
    expect(show.capabilities).toEqual(['completion', 'tools']);
    expect(show.contextLength).toBe(8192);
    expect(received.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/version',
      'GET /api/ps',
      'GET /api/tags',
      'POST /api/show',
    ]);
    expect(received[3]!.body).toEqual({ model: 'a:1b' });
    await backend.close();
  });

  it('loads through generate (or embed for an embedding model) and unloads with keep_alive 0', async () => {
    const backend = new OllamaBackend(url);
    received.length = 0;
    expect(await backend.load('a:1b', '5m')).toEqual({ loadDurationMs: 1500 });
    expect(await backend.load('e:1b', -1, undefined, true)).toEqual({ loadDurationMs: 250 });
    await backend.unload('a:1b');
    expect(received).toEqual([
      {
        method: 'POST',
        path: '/api/generate',
        body: { model: 'a:1b', prompt: '', keep_alive: '5m', stream: false },
      },
      { method: 'POST', path: '/api/embed', body: { model: 'e:1b', input: [], keep_alive: -1 } },
      {
        method: 'POST',
        path: '/api/generate',
        body: { model: 'a:1b', prompt: '', keep_alive: 0, stream: false },
      },
    ]);
    await backend.close();
  });

  it("rejects an error answer with Ollama's text and status, judged as before", async () => {
    const backend = new OllamaBackend(url);
    const err = await backend.show('missing').catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'ResponseError',
      status_code: 404,
      error: "model 'missing' not found",
    });
    expect(classifyError(err, 'connect')).toMatchObject({ class: 'FATAL', reason: 'model_not_found' });
    const load = await backend.load('missing', '5m').catch((e: unknown) => e);
    expect(classifyError(load, 'load')).toMatchObject({ class: 'FATAL', reason: 'model_not_found' });
    await backend.close();
  });

  it("ends a call at its signal, with the signal's reason", async () => {
    const backend = new OllamaBackend(url);
    const reason = new Error('shutting down');
    const ctl = new AbortController();
    const pending = backend.load('silent', '5m', ctl.signal).catch((e: unknown) => e);
    setTimeout(() => ctl.abort(reason), 20);
    const err = (await pending) as { phase?: string; cause?: unknown };
    expect(err.phase).toBe('load');
    expect(err.cause).toBe(reason);
    await expect(backend.ps(AbortSignal.abort(reason))).rejects.toBe(reason);
    await backend.close();
  });

  it('a host that does not listen is a network failure, not an unknown one', async () => {
    const backend = new OllamaBackend('http://127.0.0.1:9');
    const err = await backend.tags().catch((e: unknown) => e);
    expect(classifyError(err, 'connect')).toMatchObject({ class: 'TRANSIENT' });
    await backend.close();
  });
});
