import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { STATUS_PATH, statusCommand } from '../../src/cli/status-command.ts';

const DOC = {
  backend: 'simulated',
  started_at: '2026-01-01T00:00:00.000Z',
  uptime_s: 10,
  models: [],
  circuits: [],
  hosts: [],
  recent_decisions: [],
  model_state: { circuits: {}, saved_at: null },
};

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A stand-in service: answers the status path with `answer()`, and counts the calls. */
async function serve(answer: (auth: string | undefined) => { status: number; body: string }) {
  const seen: Array<string | undefined> = [];
  server = createServer((req, res) => {
    if (req.url !== STATUS_PATH) {
      res.writeHead(404).end();
      return;
    }
    seen.push(req.headers.authorization);
    const { status, body } = answer(req.headers.authorization);
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function io(env: Record<string, string | undefined> = {}, signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (t: string) => out.push(t),
      err: (l: string) => err.push(l),
      isTTY: false,
      env,
      ...(signal && { signal }),
    },
  };
}

describe('rmm status', () => {
  it('--json prints the status document as the service sent it', async () => {
    const { url } = await serve(() => ({ status: 200, body: JSON.stringify(DOC) }));
    const t = io();
    expect(await statusCommand(['--url', url, '--json'], t.io)).toBe(0);
    expect(JSON.parse(t.out.join(''))).toEqual(DOC);
  });

  it('prints the table by default, and sends RMM_API_KEY as the bearer token', async () => {
    const { url, seen } = await serve((auth) =>
      auth === 'Bearer s3cret' ? { status: 200, body: JSON.stringify(DOC) } : { status: 401, body: '{}' },
    );
    const t = io({ RMM_API_KEY: 's3cret' });
    expect(await statusCommand(['--url', `${url}/`], t.io)).toBe(0);
    expect(t.out.join('')).toMatch(/^rmm at http:\/\/127\.0\.0\.1:\d+ {3}backend simulated/);
    expect(t.out.join('')).toContain('RECENT DECISIONS');
    expect(seen).toEqual(['Bearer s3cret']);

    const noKey = io();
    expect(await statusCommand(['--url', url], noKey.io)).toBe(1);
    expect(noKey.err.join('')).toContain('set RMM_API_KEY');
  });

  it('exits 1 with a hint when nothing answers, or when the answer is not a status', async () => {
    const { url } = await serve(() => ({ status: 200, body: '{"hello": "world"}' }));
    const wrong = io();
    expect(await statusCommand(['--url', url], wrong.io)).toBe(1);
    expect(wrong.err.join('')).toContain('did not answer with an rmm status document');

    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const gone = io();
    expect(await statusCommand(['--url', url], gone.io)).toBe(1);
    expect(gone.err.join('')).toContain(`nothing answers at ${url}`);
  });

  it('--watch prints a fresh table every interval until stopped', async () => {
    let calls = 0;
    const { url } = await serve(() => ({ status: 200, body: JSON.stringify({ ...DOC, uptime_s: ++calls }) }));
    const stop = new AbortController();
    const t = io({}, stop.signal);
    const done = statusCommand(['--url', url, '--watch', '--interval', '0.1'], t.io);
    await expect.poll(() => calls, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    stop.abort();
    expect(await done).toBe(0);
    expect(t.out.join('').match(/^rmm at /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(t.out.join('')).toContain('up 1s');
    expect(t.out.join('')).toContain('up 2s');
  });

  it('rejects bad flags with a usage error', async () => {
    await expect(statusCommand(['--interval', '0'], io().io)).rejects.toThrow('--interval');
    await expect(statusCommand(['--frobnicate'], io().io)).rejects.toThrow('unknown flag --frobnicate');
  });
});
