import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeManager } from './fake-manager.ts';
import { startFakeApp, type TestApp } from './harness.ts';

let t: TestApp<FakeManager>;
afterEach(async () => t?.close());

/** Sends a POST and destroys the socket once `leaveAfter` says so; resolves when the client has left. */
function postAndLeave(
  port: number,
  path: string,
  body: unknown,
  leaveAfter: 'headers' | 'first-data',
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    req.on('error', () => resolve());
    req.on('response', (res) => {
      if (leaveAfter === 'headers') {
        req.destroy();
        resolve();
      }
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.end(JSON.stringify(body));
    if (leaveAfter === 'headers') setTimeout(() => reject(new Error('no response')), 5000).unref();
  });
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('client disconnect', () => {
  it("mid-stream: the manager's signal is aborted", async () => {
    t = await startFakeApp({ behaviour: { chunkDelayMs: 30 } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as { port: number }).port;
    const words = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ');
    await postAndLeave(port, '/api/generate', { model: 'auto', prompt: words }, 'first-data');
    await until(() => t.manager.aborted.length === 1);
    expect(t.manager.calls[0]!.signal?.aborted).toBe(true);
  });

  it('while waiting for a non-streamed answer: the signal is aborted too', async () => {
    t = await startFakeApp({ behaviour: { chunkDelayMs: 30 } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as { port: number }).port;
    const words = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ');
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/api/echo/resilient/query',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ query: words }));
    await until(() => t.manager.calls.length === 1);
    req.destroy();
    await until(() => t.manager.aborted.length === 1);
  });

  it('a finished request does not abort its signal', async () => {
    t = await startFakeApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/generate',
      payload: { model: 'auto', prompt: 'x y' },
    });
    expect(res.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    expect(t.manager.aborted).toEqual([]);
    expect(t.manager.calls[0]!.signal?.aborted).toBe(false);
    // And over a real socket, streamed and not.
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    for (const stream of [true, false]) {
      const r = await fetch(`${url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({ model: 'auto', prompt: 'a b', stream }),
      });
      expect(r.status).toBe(200);
      expect((await r.text()).length).toBeGreaterThan(0);
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(t.manager.calls.map((c) => c.signal?.aborted)).toEqual([false, false, false]);
  });
});
