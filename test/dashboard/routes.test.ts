import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { type ClientRequest, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DASHBOARD_SCRIPTS } from '../../src/http/dashboard/dashboard-assets.ts';
import { isDashboardPublicPath } from '../../src/http/dashboard/dashboard-paths.ts';
import { type DashboardHandle, registerDashboard } from '../../src/http/dashboard/register-dashboard.ts';
import { FakeManager } from './fake-manager.ts';

const ASSETS = join(import.meta.dirname, '../../src/http/dashboard/assets');
const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';

let vizDir: string;
let outside: string;

beforeAll(async () => {
  vizDir = await mkdtemp(join(tmpdir(), 'rmm-viz-'));
  outside = await mkdtemp(join(tmpdir(), 'rmm-outside-'));
  await writeFile(join(vizDir, 'model.machine.svg'), SVG);
  await writeFile(join(vizDir, 'supervisor.machine.svg'), SVG.replace('rect', 'circle'));
  await writeFile(join(vizDir, 'notes.txt'), 'not a diagram');
  await mkdir(join(vizDir, 'nested.svg'));
  await writeFile(join(outside, 'secret.svg'), '<svg>secret</svg>');
  await symlink(join(outside, 'secret.svg'), join(vizDir, 'link.svg'));
});

afterAll(async () => {
  await rm(vizDir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function build(
  options: { dir?: string; maxStreams?: number; heartbeatMs?: number; pollMs?: number } = {},
): Promise<{ app: FastifyInstance; manager: FakeManager; dashboard: DashboardHandle }> {
  const app = Fastify();
  const manager = new FakeManager();
  const dashboard = await registerDashboard(app, {
    manager,
    visualizationsDir: options.dir ?? vizDir,
    pollMs: options.pollMs ?? 20,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    maxStreams: options.maxStreams ?? 64,
  });
  return { app, manager, dashboard };
}

describe('dashboard static routes', () => {
  let app: FastifyInstance;
  afterEach(async () => {
    await app.close();
  });

  it('serves the page with a strict CSP, its script and its style', async () => {
    ({ app } = await build());
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('<h1>Resilient Model Manager</h1>');
    // Only local assets: nothing the page loads points at another origin.
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);

    const script = await app.inject({ url: '/dashboard/app.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');
    // The stream is opened by a module app.js imports.
    const stream = await app.inject({ url: '/dashboard/status-stream.js' });
    expect(stream.headers['content-type']).toContain('javascript');
    expect(stream.body).toContain('/api/echo/resilient/events');
    const style = await app.inject({ url: '/dashboard/style.css' });
    expect(style.headers['content-type']).toContain('text/css');
  });

  it('serves every module app.js imports, and exactly the listed ones', async () => {
    ({ app } = await build());
    // Follow the imports from the entry as the browser does: each must be served, like app.js.
    const reached = new Set<string>();
    const pending = ['app.js'];
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (reached.has(name)) continue;
      reached.add(name);
      const res = await app.inject({ url: `/dashboard/${name}` });
      expect(res.statusCode, name).toBe(200);
      expect(res.headers['content-type'], name).toBe('text/javascript; charset=utf-8');
      expect(res.headers['cache-control'], name).toBe('no-cache');
      expect(res.headers['x-content-type-options'], name).toBe('nosniff');
      const again = await app.inject({
        url: `/dashboard/${name}`,
        headers: { 'if-none-match': String(res.headers['etag']) },
      });
      expect(again.statusCode, name).toBe(304);
      for (const [, target] of res.body.matchAll(/^import [^;]* from '([^']+)';$/gm)) {
        expect(target, `import in ${name}`).toMatch(/^\.\/[a-z-]+\.js$/);
        pending.push(target!.slice(2));
      }
    }
    // Nothing listed that the page never loads, nothing in the folder left unlisted.
    expect([...reached].sort()).toEqual([...DASHBOARD_SCRIPTS].sort());
    const onDisk = readdirSync(ASSETS).filter((f) => f.endsWith('.js'));
    expect(onDisk.sort()).toEqual([...DASHBOARD_SCRIPTS].sort());

    for (const url of [
      '/dashboard/nope.js',
      '/dashboard/index.html',
      '/dashboard/..%2Fdashboard-assets.ts',
      '/dashboard/../package.json',
      '/dashboard/%2e%2e/%2e%2e/package.json',
    ]) {
      expect((await app.inject({ url })).statusCode, url).toBe(404);
    }
  });

  it('answers a matching If-None-Match with 304', async () => {
    ({ app } = await build());
    const first = await app.inject({ url: '/dashboard/app.js' });
    const etag = String(first.headers['etag']);
    const again = await app.inject({ url: '/dashboard/app.js', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves exactly the regular *.svg files found at start-up, and shows them on the page', async () => {
    ({ app } = await build());
    const ok = await app.inject({ url: '/dashboard/diagrams/model.machine.svg' });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('image/svg+xml');
    expect(ok.headers['content-security-policy']).toContain('sandbox');
    expect(ok.body).toBe(SVG);

    const page = (await app.inject({ url: '/' })).body;
    expect(page).toContain('src="/dashboard/diagrams/model.machine.svg"');
    expect(page).toContain('src="/dashboard/diagrams/supervisor.machine.svg"');
    expect(page).not.toContain('link.svg');
    expect(page).not.toContain('npm run visualize');

    for (const name of [
      'link.svg',
      'notes.txt',
      'nested.svg',
      '..%2Fpackage.json',
      '%2Fetc%2Fpasswd',
      'x.svg',
    ]) {
      const res = await app.inject({ url: `/dashboard/diagrams/${name}` });
      expect(res.statusCode, name).toBe(404);
      expect(res.body).not.toContain('secret');
    }
    const traversal = await app.inject({ url: '/dashboard/diagrams/../../package.json' });
    expect(traversal.statusCode).toBe(404);
  });

  it('does not serve a diagram written after start-up', async () => {
    ({ app } = await build());
    await writeFile(join(vizDir, 'late.svg'), SVG);
    try {
      expect((await app.inject({ url: '/dashboard/diagrams/late.svg' })).statusCode).toBe(404);
    } finally {
      await rm(join(vizDir, 'late.svg'));
    }
  });

  it('tells how to make diagrams when the folder is missing', async () => {
    ({ app } = await build({ dir: join(vizDir, 'does-not-exist') }));
    const page = (await app.inject({ url: '/' })).body;
    expect(page).toContain('npm run visualize');
    expect(page).not.toContain('<img');
  });

  it('works when registered as an encapsulated plugin', async () => {
    app = Fastify();
    await app.register(registerDashboard, { manager: new FakeManager(), visualizationsDir: vizDir });
    expect((await app.inject({ url: '/' })).statusCode).toBe(200);
  });
});

describe('isDashboardPublicPath', () => {
  it('covers the page and its assets, not the data', () => {
    expect(isDashboardPublicPath('/')).toBe(true);
    expect(isDashboardPublicPath('/?x=1')).toBe(true);
    expect(isDashboardPublicPath('/dashboard/app.js')).toBe(true);
    expect(isDashboardPublicPath('/dashboard/diagrams/a.svg')).toBe(true);
    expect(isDashboardPublicPath('/api/echo/resilient/events')).toBe(false);
    expect(isDashboardPublicPath('/api/echo/resilient/status')).toBe(false);
    expect(isDashboardPublicPath('/dashboardx')).toBe(false);
  });
});

/** An open SSE connection over a real socket, collecting what arrives. */
interface Stream {
  req: ClientRequest;
  res: IncomingMessage;
  text: () => string;
  ended: Promise<void>;
}

function openStream(base: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = get(`${base}/api/echo/resilient/events`, { agent: false }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
      });
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      });
      resolve({ req, res, text: () => buffer, ended });
    });
    req.on('error', reject);
  });
}

function dataFrames(text: string): Array<{ models: Array<{ id: string; state: string }> }> {
  return text
    .split('\n\n')
    .filter((f) => f.startsWith('data: '))
    .map((f) => JSON.parse(f.slice(6)));
}

describe('dashboard event stream over real sockets', () => {
  let app: FastifyInstance;
  let manager: FakeManager;
  let dashboard: DashboardHandle;
  let base: string;

  async function start(options: Parameters<typeof build>[0] = {}): Promise<void> {
    ({ app, manager, dashboard } = await build(options));
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  afterEach(async () => {
    await app.close();
  });

  it('streams the status at connect and the change when a circuit opens', async () => {
    await start();
    const stream = await openStream(base);
    expect(stream.res.statusCode).toBe(200);
    expect(stream.res.headers['content-type']).toContain('text/event-stream');
    await vi.waitFor(() => expect(dataFrames(stream.text())).toHaveLength(1));

    manager.setState('llama3.2:8b@local', 'open');
    await vi.waitFor(() => expect(dataFrames(stream.text())).toHaveLength(2));
    const last = dataFrames(stream.text())[1]!;
    expect(last.models.find((m) => m.id === 'llama3.2:8b@local')?.state).toBe('open');
    stream.req.destroy();
  });

  it("keeps the headers the app's hooks set before the stream took over", async () => {
    ({ app, manager, dashboard } = await build());
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const stream = await openStream(base);
    expect(stream.res.headers['x-request-id']).toBeTruthy();
    expect(stream.res.headers['content-type']).toContain('text/event-stream');
    stream.req.destroy();
  });

  it('declares the page public and the stream not, for the auth hook and /openapi.json', async () => {
    const routes: Array<{ url: string; config?: { public?: boolean; rateLimit?: boolean } }> = [];
    app = Fastify();
    app.addHook('onRoute', (route) => {
      routes.push(route as (typeof routes)[number]);
    });
    await registerDashboard(app, { manager: new FakeManager(), visualizationsDir: vizDir });
    const byUrl = new Map(routes.map((r) => [r.url, r.config]));
    const scripts = DASHBOARD_SCRIPTS.map((name) => `/dashboard/${name}`);
    for (const url of ['/', ...scripts, '/dashboard/style.css', '/dashboard/diagrams/:name']) {
      expect(byUrl.get(url)?.public, url).toBe(true);
      expect(isDashboardPublicPath(url), url).toBe(true);
    }
    expect(byUrl.get('/api/echo/resilient/events')?.public).toBeUndefined();
  });

  it('sends heartbeat comments', async () => {
    await start({ heartbeatMs: 30 });
    const stream = await openStream(base);
    await vi.waitFor(() => expect(stream.text()).toContain(': heartbeat\n\n'));
    stream.req.destroy();
  });

  it('frees the feed and its timers when many clients come and go', async () => {
    await start();
    const timersBefore = countTimeouts();
    for (let round = 0; round < 3; round++) {
      const streams = await Promise.all(Array.from({ length: 10 }, () => openStream(base)));
      await vi.waitFor(() => {
        for (const s of streams) expect(dataFrames(s.text()).length).toBeGreaterThan(0);
      });
      expect(dashboard.feed.clients).toBe(10);
      expect(dashboard.feed.running).toBe(true);
      for (const s of streams) s.req.destroy();
      await vi.waitFor(() => expect(dashboard.feed.clients).toBe(0));
      expect(dashboard.feed.running).toBe(false);
    }
    // Nothing of ours is left ticking (other timers of the process may come and go, hence "at most").
    expect(countTimeouts()).toBeLessThanOrEqual(timersBefore);
    const calls = manager.statusCalls;
    await new Promise((r) => setTimeout(r, 100));
    expect(manager.statusCalls).toBe(calls);
  });

  it('has no HEAD twin that would open a stream', async () => {
    await start();
    const res = await app.inject({ method: 'HEAD', url: '/api/echo/resilient/events' });
    expect(res.statusCode).toBe(404);
    expect(dashboard.feed.clients).toBe(0);
  });

  it('refuses streams over the limit with 429 and a retry-after', async () => {
    await start({ maxStreams: 2 });
    const a = await openStream(base);
    const b = await openStream(base);
    const c = await openStream(base);
    expect(c.res.statusCode).toBe(429);
    expect(c.res.headers['retry-after']).toBe('5');
    await c.ended;
    expect(JSON.parse(c.text()).error.code).toBe('RMM_RATE_LIMITED');
    a.req.destroy();
    b.req.destroy();
  });

  it('closes open streams on app.close() instead of hanging', async () => {
    await start();
    const streams = await Promise.all([openStream(base), openStream(base), openStream(base)]);
    await vi.waitFor(() => expect(dashboard.feed.clients).toBe(3));
    const closed = await Promise.race([
      app.close().then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('still waiting after 5 s'), 5_000)),
    ]);
    expect(closed).toBe('closed');
    await Promise.all(streams.map((s) => s.ended));
    expect(dashboard.feed.clients).toBe(0);
    expect(dashboard.feed.running).toBe(false);
  });
});

function countTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
