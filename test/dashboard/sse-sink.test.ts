import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { openSseSink } from '../../src/http/dashboard/sse-sink.ts';

/** Just enough of a ServerResponse: records writes and pushes back while `full` is set. */
class StubResponse extends EventEmitter {
  headers: Record<string, string> = {};
  status = 0;
  written: string[] = [];
  full = false;
  writableEnded = false;
  destroyed = false;
  endCalls = 0;
  writeHead(status: number, headers: Record<string, string>): this {
    this.status = status;
    this.headers = headers;
    return this;
  }
  write(chunk: string): boolean {
    this.written.push(chunk);
    return !this.full;
  }
  end(): this {
    this.endCalls++;
    this.writableEnded = true;
    return this;
  }
}

function open(): { res: StubResponse; sink: ReturnType<typeof openSseSink> } {
  const res = new StubResponse();
  const sink = openSseSink(res as unknown as ServerResponse);
  return { res, sink };
}

describe('openSseSink', () => {
  it('starts an event stream that proxies must not buffer', () => {
    const { res } = open();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toContain('no-cache');
    expect(res.headers['x-accel-buffering']).toBe('no');
    expect(res.written).toEqual(['retry: 2000\n\n']);
  });

  it('keeps only the newest frame while the socket pushes back, and drops heartbeats', () => {
    const { res, sink } = open();
    res.full = true;
    sink.send('data: 1\n\n'); // accepted by the socket, which then reports it is full
    sink.send('data: 2\n\n');
    sink.heartbeat();
    sink.send('data: 3\n\n');
    expect(res.written.slice(1)).toEqual(['data: 1\n\n']);

    res.full = false;
    res.emit('drain');
    expect(res.written.slice(1)).toEqual(['data: 1\n\n', 'data: 3\n\n']);
    sink.heartbeat();
    expect(res.written.at(-1)).toBe(': heartbeat\n\n');
  });

  it('writes nothing after the response ended, and ends once', () => {
    const { res, sink } = open();
    sink.end();
    sink.end();
    expect(res.endCalls).toBe(1);
    sink.send('data: late\n\n');
    sink.heartbeat();
    expect(res.written).toEqual(['retry: 2000\n\n']);
  });
});
