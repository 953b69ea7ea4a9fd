import { createServer, type Server, type ServerResponse } from 'node:http';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttemptError } from '../../src/backend/attempt-error.ts';
import { Exchange } from '../../src/backend/exchange.ts';
import { runInference } from '../../src/backend/inference.ts';
import { TimeoutError } from '../../src/policy/errors.ts';

/**
 * The request path's own undici handler: lines split on newline bytes whatever the TCP chunking (a
 * multi-byte character cut in two included), error answers read whole, aborts before and after connect.
 */
let server: Server;
let url: string;
const agent = new Agent({ connections: 4 });
/** What each path answers: pieces written with a pause between them, so they arrive as separate chunks. */
const answers: Record<string, { status: number; pieces: string[] }> = {};
/** A request whose body says "held" gets its headers and is then written to by the test itself. */
let held: ServerResponse | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', async () => {
      const a = answers[req.url ?? ''];
      // Never answers: for the abort and timeout tests.
      if (!a || body.includes('"silent"')) return;
      if (body.includes('"held"')) {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        held = res;
        return;
      }
      res.writeHead(a.status, { 'content-type': 'application/x-ndjson' });
      for (const p of a.pieces) {
        res.write(Buffer.from(p, 'latin1'));
        await new Promise((r) => setTimeout(r, 5));
      }
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function exchange(path: string, byLine: boolean) {
  const lines: string[] = [];
  let status = 0;
  const x = new Exchange({
    started: (s) => {
      status = s;
    },
    ...(byLine && { line: (l: string) => void lines.push(l) }),
  });
  agent.dispatch({ origin: url, path, method: 'POST', body: '{}' }, x);
  return { x, lines, status: () => status };
}

describe('Exchange', () => {
  it('hands over whole lines however the bytes were cut, a split UTF-8 character included', async () => {
    const euro = Buffer.from('€'); // three bytes: the first alone in one chunk, the rest in the next
    const parts = [
      Buffer.from('{"a":1}\n{"b":"'),
      euro.subarray(0, 1),
      Buffer.concat([euro.subarray(1), Buffer.from('"}\n\n{"c":3}')]),
    ];
    // latin1 round-trips every byte value, so the server writes exactly these bytes.
    answers['/lines'] = { status: 200, pieces: parts.map((p) => p.toString('latin1')) };
    const { x, lines, status } = exchange('/lines', true);
    const result = await x.done;
    expect(status()).toBe(200);
    expect(result.body).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ a: 1 }, { b: '€' }, { c: 3 }]);
  });

  it('reads an error answer whole even when lines were asked for', async () => {
    answers['/err'] = { status: 500, pieces: ['{"error":', '"model crashed"}'] };
    const { x, lines } = exchange('/err', true);
    const result = await x.done;
    expect(result).toEqual({ status: 500, body: '{"error":"model crashed"}' });
    expect(lines).toEqual([]);
  });

  it('ends with the reason given to abort, before or after the connection', async () => {
    const early = exchange('/never', false);
    early.x.abort(new Error('gone before connect'));
    await expect(early.x.done).rejects.toThrow('gone before connect');
    const late = exchange('/never', false);
    await new Promise((r) => setTimeout(r, 20));
    late.x.abort(new Error('gone while waiting'));
    await expect(late.x.done).rejects.toThrow('gone while waiting');
  });
});

describe('runInference over the Exchange', () => {
  it('streams chunks with their raw line, returns the final, and keeps the error shapes', async () => {
    answers['/api/generate'] = {
      status: 200,
      pieces: [
        '{"model":"m","response":"He","done":false}\n{"model":"m","resp',
        'onse":"y","done":false}\n',
        '{"model":"m","response":"","done":true,"eval_count":2}\n',
      ],
    };
    const seen: Array<[string | undefined, string | undefined]> = [];
    const r = await runInference(agent, url, {
      kind: 'generate',
      model: 'm',
      prompt: 'hi',
      onChunk: (c, raw) => void seen.push([c.response, raw]),
    });
    expect(r.text).toBe('Hey');
    expect(r.chunks).toBe(3);
    expect(r.final.eval_count).toBe(2);
    expect(seen[0]).toEqual(['He', '{"model":"m","response":"He","done":false}']);
    expect(seen[2]![1]).toBeUndefined();

    answers['/api/chat'] = { status: 404, pieces: ['{"error":"model \\"m\\" not found"}'] };
    const err = await runInference(agent, url, { kind: 'chat', model: 'm', prompt: 'hi' }).catch((e) => e);
    expect(err).toBeInstanceOf(AttemptError);
    expect((err as AttemptError).cause).toMatchObject({
      name: 'ResponseError',
      status_code: 404,
      error: 'model "m" not found',
    });
  });

  it('cuts a silent host at the timeout with a TimeoutError in the connect phase', async () => {
    const err = await runInference(agent, url, {
      kind: 'generate',
      model: 'silent',
      prompt: 'hi',
      timeoutMs: 30,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(AttemptError);
    expect((err as AttemptError).phase).toBe('connect');
    expect((err as AttemptError).cause).toBeInstanceOf(TimeoutError);
  });
});

/** A clock the test moves by hand; its timers fire only when the test says so. */
function handClock() {
  let t = 0;
  const timers: Array<{ fn: () => void; ms: number; live: boolean }> = [];
  return {
    timers,
    set: (now: number) => {
      t = now;
    },
    /** Fires the live timer (there is at most one per call) as if its time had come. */
    fire: () => {
      const live = timers.filter((x) => x.live);
      expect(live).toHaveLength(1);
      live[0]!.live = false;
      live[0]!.fn();
    },
    clock: {
      now: () => t,
      setTimeout: (fn: () => void, ms: number) => {
        const h = { fn, ms, live: true };
        timers.push(h);
        return h;
      },
      clearTimeout: (h: unknown) => {
        (h as { live: boolean }).live = false;
      },
    },
  };
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
};

describe('runInference: the stream idle timer', () => {
  it('is armed once for a whole stream, not once per chunk', async () => {
    answers['/api/generate'] = {
      status: 200,
      pieces: [
        ...Array.from({ length: 11 }, (_, i) => `{"model":"m","response":"${i}","done":false}\n`),
        '{"model":"m","response":"","done":true}\n',
      ],
    };
    const h = handClock();
    const r = await runInference(
      agent,
      url,
      { kind: 'generate', model: 'm', prompt: 'hi', timeoutMs: 1000, idleTimeoutMs: 100, onChunk: () => {} },
      h.clock,
    );
    expect(r.chunks).toBe(12);
    // The attempt's timer until the first chunk, then the idle timer: two, for twelve chunks.
    expect(h.timers.map((x) => x.ms)).toEqual([1000, 100]);
    expect(h.timers.every((x) => !x.live)).toBe(true);
  });

  it('waits again for what is left after the last chunk, and cuts the stream after a whole silence', async () => {
    const h = handClock();
    const seen: string[] = [];
    const call = runInference(
      agent,
      url,
      {
        kind: 'generate',
        model: 'held',
        prompt: 'hi',
        timeoutMs: 1000,
        idleTimeoutMs: 100,
        onChunk: (c) => void seen.push(c.response ?? ''),
      },
      h.clock,
    ).catch((e: unknown) => e);
    await until(() => held !== undefined);
    held!.write('{"model":"held","response":"a","done":false}\n');
    await until(() => seen.length === 1);
    h.set(60);
    held!.write('{"model":"held","response":"b","done":false}\n');
    await until(() => seen.length === 2);
    // The idle timer set at the first chunk (t=0) fires at t=100: only 40 ms of silence since "b".
    h.set(100);
    h.fire();
    expect(h.timers.at(-1)!.ms).toBe(60);
    h.set(160);
    h.fire();
    const err = await call;
    expect(err).toBeInstanceOf(AttemptError);
    expect((err as AttemptError).phase).toBe('mid_stream');
    expect((err as AttemptError).cause).toBeInstanceOf(TimeoutError);
    expect(seen).toEqual(['a', 'b']);
    held!.destroy();
    held = undefined;
  });
});
