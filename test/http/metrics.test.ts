import { afterEach, describe, expect, it } from 'vitest';
import { modelMachine } from '../../machines/model.machine.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { circuitValue, MODEL_STATES } from '../../src/observability/observe-status.ts';
import { wireMetrics } from '../../src/runtime/wire-metrics.ts';
import type { FakeManager } from './fake-manager.ts';
import { startFakeApp, type TestApp } from './harness.ts';

describe('createMetrics', () => {
  it('has its own registry: two instances do not collide', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.requestsTotal.inc({ model: 'm', outcome: 'success', task_type: 'general', urgency: 'interactive' });
    expect(await a.render()).toContain(
      'rmm_requests_total{model="m",outcome="success",task_type="general",urgency="interactive"} 1',
    );
    expect(await b.render()).not.toContain('model="m"');
  });

  it('caches one child per label set and counts through it', async () => {
    const m = createMetrics();
    const labels = { model: 'x', outcome: 'failure' };
    expect(m.attemptsTotal.child(labels)).toBe(m.attemptsTotal.child({ ...labels }));
    expect(m.attemptsTotal.child(labels)).not.toBe(m.attemptsTotal.child({ model: 'x', outcome: 'success' }));
    for (let i = 0; i < 5; i++) m.attemptsTotal.inc(labels);
    m.requestDuration.observe({ model: 'x', outcome: 'success' }, 0.003);
    m.loadDuration.observe({ model: 'x' }, 35);
    const text = await m.render();
    expect(text).toContain('rmm_attempts_total{model="x",outcome="failure"} 5');
    expect(text).toContain('rmm_request_duration_seconds_bucket{le="0.005",model="x",outcome="success"} 1');
    expect(text).toContain('rmm_request_duration_seconds_bucket{le="0.0025",model="x",outcome="success"} 0');
    expect(text).toContain('rmm_load_duration_seconds_bucket{le="45",model="x"} 1');
    expect(text).toContain('rmm_load_duration_seconds_bucket{le="30",model="x"} 0');
  });

  it('counts accumulated between scrapes are moved once, never twice', async () => {
    const m = createMetrics();
    const labels = { model: 'x' };
    m.retriesTotal.inc(labels, 2);
    expect(await m.render()).toContain('rmm_retries_total{model="x"} 2');
    expect(await m.render()).toContain('rmm_retries_total{model="x"} 2');
    m.retriesTotal.child(labels).inc(3);
    expect(await m.render()).toContain('rmm_retries_total{model="x"} 5');
    m.inFlight.inc({ model: 'x' }, 4);
    m.inFlight.dec({ model: 'x' });
    expect(await m.render()).toContain('rmm_in_flight{model="x"} 3');
    // A series exists from its first use, at 0, so rate() has a starting point.
    m.evictionsTotal.child({ model: 'y', reason: 'room' });
    expect(await m.render()).toContain('rmm_evictions_total{model="y",reason="room"} 0');
  });

  it('maps circuit state names to 0/1/2', () => {
    expect(circuitValue('closed', false)).toBe(0);
    expect(circuitValue('halfOpen', false)).toBe(1);
    expect(circuitValue('half-open', false)).toBe(1);
    expect(circuitValue('open', true)).toBe(2);
    expect(circuitValue('weird', true)).toBe(2);
    expect(circuitValue('weird', false)).toBe(0);
  });

  it('default process and Node.js metrics only when asked, under their standard names', async () => {
    expect(await createMetrics().render()).not.toContain('process_cpu');
    const text = await createMetrics({ defaultMetrics: true }).render();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).not.toContain('rmm_process_');
  });

  it("lists every state of the model machine, so every state's series is exported", () => {
    expect([...MODEL_STATES].sort()).toEqual(Object.keys(modelMachine.config.states ?? {}).sort());
  });
});

describe('deadline outcomes', () => {
  it("count each request as met, late or failed against its urgency's deadline; cancelled ones not at all", async () => {
    const m = createMetrics();
    const observe = wireMetrics(m, { interactive_s: 5, background_s: 30, batch_s: 900 });
    observe.request('a', 'success', 'general', 'interactive', 4.9);
    observe.request('a', 'success', 'general', 'interactive', 5.1);
    observe.request('a', 'success', 'general', 'background', 12);
    observe.request('none', 'failure', 'general', 'interactive', 1);
    observe.request('none', 'cancelled', 'general', 'interactive', 1);
    const counts = Object.fromEntries(
      [
        ...(await m.render()).matchAll(
          /^rmm_deadline_outcomes_total\{urgency="(\w+)",result="(\w+)"\} (\d+)$/gm,
        ),
      ].map((x) => [`${x[1]}/${x[2]}`, Number(x[3])]),
    );
    expect(counts).toEqual({
      'interactive/met': 1,
      'interactive/late': 1,
      'interactive/failed': 1,
      'background/met': 1,
    });
  });
});

describe('GET /metrics', () => {
  let t: TestApp<FakeManager>;
  afterEach(async () => t?.close());

  it('serves Prometheus text with state gauges refreshed from status and HTTP counts', async () => {
    t = await startFakeApp();
    t.manager.openCircuits.add('llama3.1:70b');
    await t.app.inject({ url: '/api/tags' });
    await t.app.inject({ url: '/api/nope' });
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(text).toContain('rmm_circuit_state{model="llama3.1:70b",host="local"} 2');
    expect(text).toContain('rmm_circuit_state{model="llama3.2:3b",host="local"} 0');
    expect(text).toContain('rmm_model_state{model="llama3.2:3b",host="local",state="loaded"} 1');
    expect(text).toContain(`rmm_vram_budget_bytes{host="local"} ${16e9}`);
    expect(text).toContain(`rmm_vram_used_bytes{host="local"} ${2.5e9}`);
    expect(text).toContain('rmm_host_up{host="local"} 1');
    expect(text).toContain('rmm_http_requests_total{method="GET",route="/api/tags",status="200"} 1');
    expect(text).toContain('rmm_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    // Every state is a series, 0 or 1 (kube-state-metrics style): exactly one is 1 per model.
    const tiny = (body: string) =>
      Object.fromEntries(
        [
          ...body.matchAll(/^rmm_model_state\{model="tinyllama:latest",host="local",state="(\w+)"\} (\d)$/gm),
        ].map((m): [string, number] => [m[1]!, Number(m[2])]),
      );
    expect(Object.keys(tiny(text)).sort()).toEqual([...MODEL_STATES].sort());
    expect(tiny(text)).toMatchObject({ unloaded: 1, loaded: 0, open: 0 });
    // A state change moves the 1; the old state's series stays, at 0, so graphs and alerts see the change.
    await t.manager.preloadModel('tinyllama:latest');
    const after = (await t.app.inject({ url: '/metrics' })).body;
    expect(tiny(after)).toMatchObject({ unloaded: 0, loaded: 1, open: 0 });
    expect(Object.values(tiny(after)).reduce((a, b) => a + b, 0)).toBe(1);
  });
});

describe('probes and OpenAPI', () => {
  let t: TestApp<FakeManager>;
  afterEach(async () => t?.close());

  it('/healthz is alive; /readyz follows manager.ready()', async () => {
    t = await startFakeApp();
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject({ url: '/readyz' })).json()).toEqual({ ready: true, backend: 'simulated' });
    t.manager.readyState = false;
    const res = await t.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('RMM_NOT_READY');
  });

  it('/openapi.json documents every route from the schemas it validates with', async () => {
    t = await startFakeApp({ patch: { server: { api_key: 'a-long-enough-key' } } });
    const doc = (
      await t.app.inject({ url: '/openapi.json', headers: { authorization: 'Bearer a-long-enough-key' } })
    ).json();
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).map((m) => `${m} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'post /api/echo/resilient/query',
        'post /api/echo/query',
        'get /api/echo/resilient/status',
        'get /api/echo/resilient/models',
        'post /api/echo/resilient/health',
        'post /api/echo/resilient/preload',
        'post /api/generate',
        'post /api/chat',
        'get /api/tags',
        'get /api/ps',
        'post /api/show',
        'get /api/version',
        'post /v1/chat/completions',
        'post /v1/completions',
        'get /v1/models',
        'get /v1/models/{model}',
        'post /api/embed',
        'post /api/embeddings',
        'post /v1/embeddings',
        'get /healthz',
        'get /readyz',
        'get /metrics',
        'get /openapi.json',
      ].sort(),
    );
    const query = doc.paths['/api/echo/resilient/query'].post;
    const body = query.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['query']);
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.urgency.enum).toEqual(['interactive', 'background', 'batch']);
    expect(query.responses['200'].content['application/json'].schema.properties.model_used).toEqual({
      type: 'string',
    });
    expect(query.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    const headers = doc.paths['/api/generate'].post.parameters.map(
      (p: { name: string; in: string }) => `${p.in}:${p.name}`,
    );
    expect(headers).toEqual(['header:x-rmm-urgency', 'header:x-rmm-task-type', 'header:x-rmm-deadline-ms']);
    expect(
      doc.paths['/v1/chat/completions'].post.responses['4XX'].content['application/json'].schema.properties
        .error.properties.type,
    ).toEqual({ type: 'string' });
  });
});
