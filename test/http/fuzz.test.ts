import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp, usingFakeManager } from './harness.ts';

/**
 * Thousands of random requests at every route: random JSON, broken JSON, near-valid bodies built from each
 * route's own field names, odd content types and routing headers. No answer may be a 5xx, every error must
 * be JSON without a stack trace, and nothing may crash the process (vitest fails on unhandled rejections).
 * Over the real manager (RMM_HTTP_MANAGER_FACTORY), random valid requests can legitimately find no model
 * in time (503/504, or /readyz 503 while the warm set reloads): those are allowed there, a 500 never is.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startApp({ patch: { server: { body_limit_bytes: 4096 } } });
});
afterAll(async () => t.close());

const ROUTES: Array<{ method: 'GET' | 'POST'; url: string; fields: string[] }> = [
  {
    method: 'POST',
    url: '/api/echo/resilient/query',
    fields: ['query', 'task_type', 'urgency', 'model', 'stream'],
  },
  {
    method: 'POST',
    url: '/api/echo/query',
    fields: ['query', 'task_type', 'urgency', 'model', 'conversation_id'],
  },
  { method: 'GET', url: '/api/echo/resilient/status', fields: [] },
  { method: 'GET', url: '/api/echo/resilient/models', fields: [] },
  { method: 'POST', url: '/api/echo/resilient/health', fields: ['model_name', 'force_check'] },
  { method: 'POST', url: '/api/echo/resilient/preload', fields: ['model_name'] },
  {
    method: 'POST',
    url: '/api/generate',
    fields: [
      'model',
      'prompt',
      'system',
      'stream',
      'options',
      'format',
      'keep_alive',
      'images',
      'context',
      'raw',
      'think',
      'urgency',
      'task_type',
    ],
  },
  {
    method: 'POST',
    url: '/api/chat',
    fields: ['model', 'messages', 'stream', 'options', 'format', 'keep_alive', 'tools', 'think', 'urgency'],
  },
  { method: 'GET', url: '/api/tags', fields: [] },
  { method: 'GET', url: '/api/ps', fields: [] },
  { method: 'POST', url: '/api/show', fields: ['model', 'name', 'verbose'] },
  { method: 'GET', url: '/api/version', fields: [] },
  {
    method: 'POST',
    url: '/v1/chat/completions',
    fields: [
      'model',
      'messages',
      'stream',
      'stream_options',
      'temperature',
      'max_tokens',
      'stop',
      'seed',
      'response_format',
      'urgency',
      'task_type',
    ],
  },
  { method: 'GET', url: '/v1/models', fields: [] },
  { method: 'GET', url: '/healthz', fields: [] },
  { method: 'GET', url: '/readyz', fields: [] },
  { method: 'GET', url: '/metrics', fields: [] },
  { method: 'GET', url: '/openapi.json', fields: [] },
];

const modelName = fc.oneof(
  fc.constantFrom(
    'auto',
    'auto:code',
    'auto:reasoning',
    'auto:nope',
    'llama3.2:3b',
    'tinyllama',
    'qwen2.5-coder:32b',
    'AUTO',
    '',
  ),
  fc.string({ maxLength: 30 }),
);
const word = fc.string({ maxLength: 12 });
const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom('system', 'user', 'assistant', 'tool', 'developer'), word),
    content: fc.oneof(
      word,
      fc.constant(null),
      fc.array(fc.record({ type: fc.constantFrom('text', 'image_url'), text: word }), { maxLength: 2 }),
      fc.jsonValue({ maxDepth: 1 }),
    ),
  },
  { requiredKeys: [] },
);
const fieldValue = (field: string): fc.Arbitrary<unknown> => {
  const any = fc.jsonValue({ maxDepth: 2 });
  switch (field) {
    case 'model':
    case 'model_name':
    case 'name':
      return fc.oneof(modelName, any);
    case 'messages':
      return fc.oneof(fc.array(message, { maxLength: 3 }), any);
    case 'urgency':
      return fc.oneof(fc.constantFrom('interactive', 'background', 'batch'), any);
    case 'stream':
      return fc.oneof(fc.boolean(), any);
    case 'query':
    case 'prompt':
      return fc.oneof(word, any);
    default:
      return any;
  }
};
const nearValid = (fields: string[]) =>
  fields.length === 0
    ? fc.jsonValue({ maxDepth: 2 })
    : fc
        .tuple(
          fc.subarray(fields),
          fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
        )
        .chain(([keys, extra]) =>
          fc
            .record(Object.fromEntries(keys.map((k) => [k, fieldValue(k)])))
            .map((body) => ({ ...extra, ...body })),
        );

const body = (fields: string[]): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 4, arbitrary: nearValid(fields).map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        undefined,
        '',
        '{',
        '{"__proto__":{"x":1}}',
        '{"constructor":{"prototype":{"x":1}}}',
        'null',
        'x'.repeat(5000),
      ),
    },
  );

const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      'garbage',
    ),
    'x-rmm-urgency': fc.oneof(fc.constantFrom('interactive', 'batch'), fc.stringMatching(/^[a-z]{0,8}$/)),
    'x-rmm-task-type': fc.stringMatching(/^[a-z_]{0,12}$/),
    'x-request-id': fc.stringMatching(/^[ -~]{0,40}$/),
    authorization: fc.stringMatching(/^[ -~]{0,30}$/),
  },
  { requiredKeys: [] },
);

const request = fc
  .constantFrom(...ROUTES)
  .chain((route) =>
    fc.record({ route: fc.constant(route), body: body(route.fields), headers, wrongMethod: fc.boolean() }),
  );

describe('fuzzing every route', () => {
  it('no 5xx, JSON errors, no stack traces, no crash', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ route, body, headers, wrongMethod }) => {
        const method = wrongMethod && route.method === 'GET' ? 'POST' : route.method;
        const res = await t.app.inject({
          method,
          url: route.url,
          headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
            string,
            string
          >,
          ...(method === 'POST' && body !== undefined ? { body } : {}),
        });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        const what = `${method} ${route.url} ${body?.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
        if (usingFakeManager() || res.statusCode < 500) expect(res.statusCode, what).toBeLessThan(500);
        else expect([503, 504], what).toContain(res.statusCode);
        expect(res.body).not.toMatch(/"stack"|at .*\.ts:\d+/);
        const type = String(res.headers['content-type'] ?? '');
        if (res.statusCode >= 400) {
          expect(type).toContain('application/json');
          expect(() => JSON.parse(res.body)).not.toThrow();
        } else if (type.includes('ndjson')) {
          for (const line of res.body.split('\n').filter(Boolean))
            expect(() => JSON.parse(line)).not.toThrow();
        } else if (type.includes('application/json')) {
          expect(() => JSON.parse(res.body)).not.toThrow();
        }
      }),
      { numRuns: 3000 },
    );
    // The generators must reach the handlers, not only the validators.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(300);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(300);
  });
});

describe('fuzzing paths', () => {
  it('random paths and methods are JSON 404/405s, never 5xx', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'api',
        'v1',
        'echo',
        'resilient',
        'chat',
        'generate',
        '..',
        '%2e%2e',
        '%',
        '%zz',
        ':model',
        '*',
      ),
      fc.stringMatching(/^[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}$/),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { maxLength: 5 }),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        fc.stringMatching(/^[ -~]{0,20}$/),
        async (segments, method, query) => {
          const url = `/${segments.join('/')}?${encodeURIComponent(query)}`;
          const res = await t.app.inject({ method: method as 'GET', url });
          expect(res.statusCode, `${method} ${url} → ${res.body}`).toBeLessThan(500);
          if (res.statusCode >= 400) expect(() => JSON.parse(res.body)).not.toThrow();
        },
      ),
      { numRuns: 1000 },
    );
  });
});
