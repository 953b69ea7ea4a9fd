import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeManager } from './fake-manager.ts';
import { startFakeApp, type TestApp } from './harness.ts';

let t: TestApp<FakeManager> | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function withLogs() {
  const records: Array<{ level: number; msg: string; code?: string }> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) records.push(JSON.parse(line));
      done();
    },
  });
  t = await startFakeApp({ logger: pino({ level: 'debug' }, sink) });
  return records;
}

const WARN = 40;

describe('request logging', () => {
  it('a /readyz 503 during start-up is expected: no warning, only the request line', async () => {
    const records = await withLogs();
    t!.manager.readyState = false;
    const res = await t!.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: { code: 'RMM_NOT_READY' } });
    expect(records.filter((r) => r.level >= WARN)).toEqual([]);
    expect(records.some((r) => r.msg === 'request' && (r as { status?: number }).status === 503)).toBe(true);
  });

  it('other 5xx answers are still logged as warnings', async () => {
    const records = await withLogs();
    t!.manager.failNext({ mode: 'fail-before' });
    const res = await t!.app.inject({
      method: 'POST',
      url: '/api/echo/resilient/query',
      payload: { query: 'hello' },
    });
    expect(res.statusCode).toBe(503);
    expect(records.find((r) => r.level === WARN)).toMatchObject({
      msg: 'request failed',
      code: 'RMM_NO_MODEL_AVAILABLE',
    });
  });

  it('one line per answered request names the model that answered, the fallback flag and the tries', async () => {
    const records = await withLogs();
    const res = await t!.app.inject({
      method: 'POST',
      url: '/api/echo/resilient/query',
      payload: { query: 'hello' },
    });
    expect(res.statusCode).toBe(200);
    const lines = records.filter((r) => r.msg === 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      status: 200,
      model_used: res.headers['x-rmm-model-used'],
      fallback_used: res.headers['x-rmm-fallback-used'] === 'true',
      attempts: Number(res.headers['x-rmm-attempts']),
    });
  });
});
