import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, startFakeApp, type TestApp } from './harness.ts';

let t: TestApp;
afterEach(async () => t?.close());

const KEY = 'correct-horse-battery';

describe('bearer token', () => {
  it("guards every route but /healthz, in each API's error shape", async () => {
    t = await startApp({ patch: { server: { api_key: KEY } } });
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    for (const [url, shape] of [
      ['/api/echo/resilient/status', { error: { code: 'RMM_UNAUTHORIZED' } }],
      ['/api/tags', { error: 'missing bearer token: send Authorization: Bearer <key>' }],
      ['/v1/models', { error: { type: 'authentication_error', code: 'RMM_UNAUTHORIZED' } }],
      ['/metrics', { error: { code: 'RMM_UNAUTHORIZED' } }],
      ['/readyz', { error: { code: 'RMM_UNAUTHORIZED' } }],
      ['/openapi.json', { error: { code: 'RMM_UNAUTHORIZED' } }],
    ] as const) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json(), url).toMatchObject(shape);
      expect(res.headers['www-authenticate']).toContain('Bearer');
    }
  });

  it('accepts the right token and refuses a wrong one', async () => {
    t = await startApp({ patch: { server: { api_key: KEY } } });
    const ok = await t.app.inject({ url: '/api/tags', headers: { authorization: `Bearer ${KEY}` } });
    expect(ok.statusCode).toBe(200);
    for (const authorization of [
      `Bearer ${KEY}x`,
      `Bearer ${KEY.slice(1)}`,
      KEY,
      `Basic ${KEY}`,
      'Bearer ',
    ]) {
      const res = await t.app.inject({ url: '/api/tags', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
    }
    const wrong = await t.app.inject({ url: '/api/tags', headers: { authorization: 'Bearer nope' } });
    expect(wrong.json()).toEqual({ error: 'invalid bearer token' });
  });

  it('no key configured: no token needed', async () => {
    t = await startApp();
    expect((await t.app.inject({ url: '/api/echo/resilient/models' })).statusCode).toBe(200);
  });

  it('never logs the authorization header', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    t = await startApp({ patch: { server: { api_key: KEY } }, logger: pino({ level: 'debug' }, sink) });
    await t.app.inject({
      url: '/api/tags',
      headers: { authorization: `Bearer ${KEY}`, cookie: 'session=abc123' },
    });
    await t.app.inject({ url: '/api/tags', headers: { authorization: 'Bearer wrong-secret-value' } });
    const text = lines.join('');
    expect(text).toContain('"authorization":"[Redacted]"');
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('wrong-secret-value');
    expect(text).not.toContain('abc123');
    expect(lines.filter((l) => l.includes('"msg":"request"'))).toHaveLength(2);
  });
});

describe('rate limit', () => {
  it('allows N per minute per token, then 429 with retry-after, refilling over time', async () => {
    let now = 1_000_000;
    t = await startApp({ patch: { server: { rate_limit_per_minute: 3 } }, now: () => now });
    const hit = (token: string) =>
      t.app.inject({ url: '/api/tags', headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 3; i++) expect((await hit('alice')).statusCode).toBe(200);
    const limited = await hit('alice');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('20');
    expect(limited.json()).toEqual({ error: 'rate limit exceeded; retry in 20 s' });
    // Another token has its own bucket; probes are never limited.
    expect((await hit('bob')).statusCode).toBe(200);
    expect(
      (await t.app.inject({ url: '/healthz', headers: { authorization: 'Bearer alice' } })).statusCode,
    ).toBe(200);
    now += 20_000;
    expect((await hit('alice')).statusCode).toBe(200);
    expect((await hit('alice')).statusCode).toBe(429);
  });

  it('0 disables it', async () => {
    t = await startApp({ patch: { server: { rate_limit_per_minute: 0 } } });
    for (let i = 0; i < 50; i++) expect((await t.app.inject({ url: '/api/version' })).statusCode).toBe(200);
  });
});

describe('malformed requests', () => {
  it('bad JSON, empty JSON body and oversize body are 4xx with a clear message; prototype keys are dropped', async () => {
    t = await startApp({ patch: { server: { body_limit_bytes: 2048 } } });
    const send = (body: string, url = '/api/echo/resilient/query') =>
      t.app.inject({ method: 'POST', url, body, headers: { 'content-type': 'application/json' } });
    const bad = await send('{"query": ');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({
      code: 'RMM_BAD_REQUEST',
      message: 'body is not valid JSON: Unexpected end of JSON input; send one JSON object',
    });
    const empty = await send('');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toContain('body is empty');
    const big = await send(JSON.stringify({ query: 'x'.repeat(4096) }));
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('RMM_BODY_TOO_LARGE');
    // Valid JSON with a __proto__ key is served without it (Ollama ignores unknown keys)...
    const proto = await send('{"query":"x","__proto__":{"polluted":true}}');
    expect(proto.statusCode).toBe(200);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    // ...and nothing arrives through it: a field given only inside __proto__ is missing.
    const smuggled = await send('{"__proto__":{"query":"smuggled"}}');
    expect(smuggled.statusCode).toBe(400);
    expect(smuggled.json().error.message).toContain('query');
    const ollamaBig = await send(
      JSON.stringify({ model: 'auto', prompt: 'x'.repeat(4096) }),
      '/api/generate',
    );
    expect(ollamaBig.statusCode).toBe(413);
    expect(typeof ollamaBig.json().error).toBe('string');
  });

  it('a POST route without a body says the body is required', async () => {
    t = await startApp();
    const res = await t.app.inject({ method: 'POST', url: '/api/echo/resilient/preload' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('body is required: send a JSON object');
  });

  it('unknown routes are JSON 404s in the shape of their API; wrong methods are 405', async () => {
    t = await startApp();
    const rmm = await t.app.inject({ url: '/api/echo/nope' });
    expect(rmm.statusCode).toBe(404);
    expect(rmm.json().error.code).toBe('RMM_NOT_FOUND');
    expect((await t.app.inject({ url: '/api/pull' })).json()).toEqual({
      error: expect.stringContaining('no route GET /api/pull'),
    });
    expect((await t.app.inject({ url: '/v1/audio/speech' })).json().error.type).toBe('not_found_error');
    const wrong = await t.app.inject({ url: '/v1/chat/completions' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers['allow']).toBe('POST');
  });
});

describe('request ids', () => {
  it('reuses a sane x-request-id, replaces an unsafe one', async () => {
    t = await startFakeApp();
    const given = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123.4' } });
    expect(given.headers['x-request-id']).toBe('abc-123.4');
    expect(given.headers['x-rmm-request-id']).toBe('abc-123.4');
    const unsafe = await t.app.inject({
      url: '/healthz',
      headers: { 'x-request-id': 'a b\u00e9'.repeat(3) },
    });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
