import { createServer, type Server } from 'node:http';
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
