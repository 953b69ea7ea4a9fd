import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { type Service, startService } from '../../src/service.ts';
import { SMALL_CATALOG } from './harness.ts';

const running: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

/** A free port, found by listening on 0 and closing again. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function start(simPort: number): Promise<{ service: Service; logs: Array<Record<string, unknown>> }> {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const base = structuredClone(scaledConfig(0.05, SMALL_CATALOG));
  const config = validateConfig({
    ...base,
    simulate: 'always',
    simulator: { ...base.simulator, port: simPort },
  });
  const service = await startService(config, { logger: pino({ level: 'info' }, sink) });
  running.push(service);
  return { service, logs };
}

describe('the built-in simulator’s port', () => {
  it('listens on simulator.port and logs the exact curl command that injects a fault there', async () => {
    const port = await freePort();
    const { service, logs } = await start(port);
    expect(service.simulatorUrls).toEqual([`http://127.0.0.1:${port}`]);
    const hint = logs.find((l) => String(l['msg']).startsWith('inject a fault: '));
    expect(hint?.['msg']).toBe(
      `inject a fault: curl -s -X POST http://127.0.0.1:${port}/__sim/faults -H 'Content-Type: application/json' ` +
        `-d '{"kind": "http_500", "model": "alpha", "count": 5}'`,
    );
    // The command's target really is the simulator's fault API.
    const res = await fetch(`http://127.0.0.1:${port}/__sim/faults`);
    expect(res.status).toBe(200);
  });

  it('falls back to any free port when simulator.port is taken, and says so', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    running.push({ close: () => new Promise((resolve) => blocker.close(resolve)) });
    const taken = (blocker.address() as { port: number }).port;
    const { service, logs } = await start(taken);
    const url = service.simulatorUrls[0]!;
    expect(url).not.toBe(`http://127.0.0.1:${taken}`);
    expect(
      logs.some((l) => l['msg'] === `simulator: port ${taken} is taken; listening on ${url} instead`),
    ).toBe(true);
    expect((await fetch(`${url}/api/version`)).status).toBe(200);
  });
});
