import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { WebSocket } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, type InspectionEvent } from 'xstate';
import { modelMachine } from '../../machines/model.machine.ts';
import { supervisorMachine } from '../../machines/supervisor.machine.ts';
import {
  connectInspector,
  createInspection,
  jsonSafe,
  replayInspectionLog,
  replayToInspector,
  toStatelyEvent,
} from '../../src/inspection/index.ts';
import { makeInput } from '../machines/harness.ts';

type Logged = StatelyInspectionEvent & { event?: { type: string }; snapshot?: { value?: unknown } };

const quiet = { info: () => undefined, warn: () => undefined };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rmm-inspect-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A model actor taken through a load, a request and an unload, inspected by `inspect`. */
function runModel(inspect: (ev: InspectionEvent) => void) {
  const t = 1_000_000;
  const actor = createActor(modelMachine, { input: makeInput({ now: t }), inspect });
  actor.start();
  actor.send({ type: 'LOAD_REQUESTED', now: t + 1 });
  actor.send({ type: 'LOAD_SUCCEEDED', durationMs: 400, now: t + 400 });
  actor.send({ type: 'REQUEST_STARTED', now: t + 500 });
  actor.send({ type: 'REQUEST_SUCCEEDED', latencyMs: 80, now: t + 580 });
  actor.send({ type: 'UNLOAD_REQUESTED', now: t + 600 });
  actor.send({ type: 'UNLOADED', now: t + 650 });
  actor.stop();
}

const key = (e: { type: string; event?: { type: string }; sessionId?: string }) =>
  `${e.type}:${e.event?.type ?? ''}:${e.sessionId ?? ''}`;

function readLog(file: string): Logged[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  expect(lines.pop()).toBe('');
  return lines.map((line, i) => {
    expect(() => JSON.parse(line), `line ${i + 1}`).not.toThrow();
    return JSON.parse(line) as Logged;
  });
}

describe('inspection log (JSONL)', () => {
  it('records a real model actor run in order, one parseable event per line', async () => {
    const file = join(dir, 'inspect.jsonl');
    let clock = 5_000;
    const inspection = createInspection({ logFile: file, logger: quiet, now: () => clock++ })!;
    const seen: InspectionEvent[] = [];
    runModel((ev) => {
      seen.push(ev);
      inspection.inspect(ev);
    });
    await inspection.close();

    const logged = readLog(file);
    const expected = seen
      .filter((e) => ['@xstate.actor', '@xstate.event', '@xstate.snapshot'].includes(e.type))
      .map((e) => key({ ...e, sessionId: e.actorRef.sessionId } as never));
    expect(logged.map(key)).toEqual(expected);
    expect(logged[0]).toMatchObject({ type: '@xstate.actor', name: 'model', _version: expect.any(String) });
    expect(JSON.parse((logged[0] as { definition: string }).definition)).toMatchObject({ id: 'model' });

    // The snapshots follow the machine through its states, each taken when it happened.
    const root = logged[0]!.sessionId;
    const values = logged
      .filter((e) => e.type === '@xstate.snapshot' && e.sessionId === root)
      .map((e) => `${e.event?.type} → ${e.snapshot?.value}`);
    expect(values).toEqual([
      'xstate.init → unloaded',
      'LOAD_REQUESTED → loading',
      'LOAD_SUCCEEDED → loaded',
      'REQUEST_STARTED → loaded',
      'REQUEST_SUCCEEDED → loaded',
      'UNLOAD_REQUESTED → unloading',
      'UNLOADED → unloaded',
      'xstate.stop → unloaded',
    ]);
    const afterStart = logged.find(
      (e) => e.type === '@xstate.snapshot' && e.event?.type === 'REQUEST_STARTED',
    );
    expect(afterStart?.snapshot).toMatchObject({
      status: 'active',
      context: { inFlight: 1, measuredLoadMs: 400 },
    });
    const sent = logged
      .filter((e) => e.type === '@xstate.event' && e.sessionId === root)
      .map((e) => e.event?.type);
    expect(sent).toEqual([
      'xstate.init',
      'LOAD_REQUESTED',
      'LOAD_SUCCEEDED',
      'REQUEST_STARTED',
      'REQUEST_SUCCEEDED',
      'UNLOAD_REQUESTED',
      'UNLOADED',
    ]);
    // The invoked deadline timer is an actor of its own, announced with its parent.
    expect(
      logged.some((e) => e.type === '@xstate.actor' && (e as { parentId?: string }).parentId === root),
    ).toBe(true);
    const times = logged.map((e) => Number(e.createdAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBe(5_000);
  });

  it('replays every logged event, in order, into an inspector', async () => {
    const file = join(dir, 'inspect.jsonl');
    const inspection = createInspection({ logFile: file, logger: quiet })!;
    runModel(inspection.inspect);
    await inspection.close();
    const logged = readLog(file);

    const received: StatelyInspectionEvent[] = [];
    const result = await replayInspectionLog(file, { send: (e) => received.push(e) });
    expect(result).toEqual({ sent: logged.length, skipped: 0 });
    expect(received).toEqual(logged);
  });

  it('appends across runs and skips a torn last line when replaying', async () => {
    const file = join(dir, 'inspect.jsonl');
    for (let run = 0; run < 2; run++) {
      const inspection = createInspection({ logFile: file, logger: quiet })!;
      runModel(inspection.inspect);
      await inspection.close();
    }
    const whole = readLog(file).length;
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"type":"@xstate.snap`);
    let count = 0;
    const result = await replayInspectionLog(file, { send: () => count++ });
    expect(result).toEqual({ sent: whole, skipped: 1 });
    expect(count).toBe(whole);
    expect(whole % 2).toBe(0);
  });

  it('writes the supervisor, whose context holds actor refs, as plain ids', async () => {
    const file = join(dir, 'inspect.jsonl');
    const inspection = createInspection({ logFile: file, logger: quiet })!;
    const model = makeInput();
    const actor = createActor(supervisorMachine, {
      input: {
        hosts: [],
        models: [model],
        pinned: [],
        now: 1,
        evictionPolicy: 'value',
        loadTimeoutMs: 5000,
        modelDefaults: { circuit: model.circuit, loadTimeoutMs: 5000, demandHalfLifeMs: 600_000 },
      },
      inspect: inspection.inspect,
    });
    actor.start();
    actor.stop();
    await inspection.close();
    const logged = readLog(file);
    // Spawned actors go by their own id (the fleet's `host/model`), the root by its machine id.
    expect(logged.filter((e) => e.type === '@xstate.actor').map((e) => (e as { name: string }).name)).toEqual(
      ['supervisor', model.id, 'loader'],
    );
    const snap = logged.find(
      (e) => e.type === '@xstate.snapshot' && (e.snapshot as { value?: unknown }).value === 'supervising',
    );
    expect(snap).toBeDefined();
    const ref = (snap!.snapshot as { context: { models: Record<string, unknown> } }).context.models[model.id];
    expect(ref).toEqual({ id: model.id, sessionId: expect.any(String) });
  });

  it('never throws into XState when the log cannot be written', async () => {
    const warnings: string[] = [];
    const inspection = createInspection({
      logFile: join(dir, 'no', 'such', 'dir', 'x.jsonl'),
      logger: { info: () => undefined, warn: (m) => warnings.push(m) },
    })!;
    expect(() => runModel(inspection.inspect)).not.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    expect(() => runModel(inspection.inspect)).not.toThrow();
    await inspection.close();
    expect(warnings.join('\n')).toMatch(/cannot write .*inspection log is off/);
  });

  it('is off unless asked for', () => {
    expect(createInspection({})).toBeUndefined();
  });
});

describe('jsonSafe', () => {
  it('cuts cycles and depth, and keeps errors, maps and big numbers readable', () => {
    const a: Record<string, unknown> = { n: 1 };
    a['self'] = a;
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let i = 0; i < 30; i++) deep = deep['next'] = {};
    const out = jsonSafe({
      a,
      top,
      err: new Error('boom'),
      m: new Map([['k', 1]]),
      big: 10n,
      f: Number.NaN,
    }) as Record<string, unknown>;
    expect(out['a']).toEqual({ n: 1, self: '[circular]' });
    expect(JSON.stringify(out['top'])).toContain('[too deep]');
    expect(out['err']).toEqual({ name: 'Error', message: 'boom' });
    expect(out['m']).toEqual({ k: 1 });
    expect(out['big']).toBe('10');
    expect(out['f']).toBe('NaN');
  });

  it('drops microstep and action events, which the inspector does not show', () => {
    const actorRef = { sessionId: 'x.0' } as never;
    expect(
      toStatelyEvent(
        { type: '@xstate.action', actorRef, rootId: 'x.0', action: { type: 'a', params: {} } },
        1,
      ),
    ).toBe(undefined);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** What the inspector page does: connect to the bridge and take every event it relays. */
async function openViewer(port: number, received: Logged[]): Promise<WebSocket> {
  const ws = await new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    socket.addEventListener('open', () => resolve(socket));
    socket.addEventListener('error', () => reject(new Error('viewer could not connect')));
  });
  ws.addEventListener('message', (m) => received.push(JSON.parse(String(m.data)) as Logged));
  return ws;
}

describe('live inspection over WebSocket', () => {
  it("streams to Stately's inspector server, which relays to a viewer", async () => {
    const port = await freePort();
    const server = createInspectorServer({ port, autoOpen: false });
    const received: Logged[] = [];
    const viewer = await openViewer(port, received);
    try {
      const inspection = createInspection({ inspect: true, url: `ws://127.0.0.1:${port}`, logger: quiet })!;
      runModel(inspection.inspect);
      const seen: InspectionEvent[] = [];
      runModel((ev) => seen.push(ev));
      const expected = seen.filter((e) => toStatelyEvent(e, 0)).length;
      await expect.poll(() => received.length, { timeout: 10_000 }).toBe(expected);
      await inspection.close();
      expect(received[0]).toMatchObject({ type: '@xstate.actor', name: 'model' });
      expect(received.filter((e) => e.type === '@xstate.event').map((e) => e.event?.type)).toContain(
        'LOAD_SUCCEEDED',
      );
    } finally {
      viewer.close();
      server.stop();
    }
  });

  it('replays a recorded log into a live inspector, or says none is there', async () => {
    const file = join(dir, 'inspect.jsonl');
    const inspection = createInspection({ logFile: file, logger: quiet })!;
    runModel(inspection.inspect);
    await inspection.close();
    const logged = readLog(file);

    const port = await freePort();
    const url = `ws://127.0.0.1:${port}`;
    await expect(replayToInspector(file, { url, connectTimeoutMs: 300 })).rejects.toThrow(
      /no inspector answered/,
    );

    const server = createInspectorServer({ port, autoOpen: false });
    const received: Logged[] = [];
    const viewer = await openViewer(port, received);
    try {
      expect(await replayToInspector(file, { url })).toEqual({ sent: logged.length, skipped: 0 });
      await expect.poll(() => received.length, { timeout: 10_000 }).toBe(logged.length);
      expect(received).toEqual(logged);
    } finally {
      viewer.close();
      server.stop();
    }
  });

  it('queues while the inspector is away and reports whether it connected', async () => {
    const port = await freePort();
    const socket = connectInspector({ url: `ws://127.0.0.1:${port}`, logger: quiet, maxQueued: 3 });
    expect(await socket.connected(300)).toBe(false);
    for (let i = 0; i < 5; i++) socket.send({ type: '@xstate.event', n: i } as never);
    const started = Date.now();
    await socket.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await socket.connected(10)).toBe(false);
  });

  it('lets the process exit when no inspector listens, closed or not', async () => {
    const port = await freePort();
    const script = `
      import { createActor } from 'xstate';
      import { modelMachine } from './machines/model.machine.ts';
      import { createInspection } from './src/inspection/index.ts';
      import { makeInput } from './test/machines/harness.ts';
      const url = 'ws://127.0.0.1:${port}';
      const closed = createInspection({ inspect: true, url });
      const leaked = createInspection({ inspect: true, url });
      const actor = createActor(modelMachine, { input: makeInput(), inspect: (ev) => { closed.inspect(ev); leaked.inspect(ev); } });
      actor.start();
      actor.send({ type: 'LOAD_REQUESTED', now: 1_000_001 });
      actor.stop();
      await new Promise((r) => setTimeout(r, 1500));
      await closed.close();
      console.log('done');
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '../..'),
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(child.error, 'the process hung').toBeUndefined();
    expect(child.stdout).toContain('done');
    expect(child.status).toBe(0);
    expect(child.stderr).toContain(`no inspector at ws://127.0.0.1:${port}`);
  });
});
