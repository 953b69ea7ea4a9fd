import autocannon from 'autocannon';
import { Samples } from './stats.ts';

export interface LoadOptions {
  url: string;
  body: string;
  connections: number;
  durationS: number;
}

export interface LoadResult {
  /** Completed responses with a 2xx status. */
  ok: number;
  /** Responses with another status, connection errors and timeouts. */
  failed: number;
  elapsedS: number;
  /** Request written → response complete, per response (ms, hrtime precision). */
  total: Samples;
  /** Request written → first body byte, per response (ms). */
  ttfb: Samples;
}

/**
 * autocannon with per-response times recorded from its client events, because its own histogram rounds
 * to whole milliseconds and has no time to first byte.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const total = new Samples();
  const ttfb = new Samples();
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  const result = await autocannon({
    url: opts.url,
    method: 'POST',
    body: opts.body,
    headers: { 'content-type': 'application/json' },
    connections: opts.connections,
    pipelining: 1,
    duration: opts.durationS,
    timeout: 30,
    setupClient(client) {
      let sentAt = 0;
      let firstByte = -1;
      client.on('request', () => {
        sentAt = performance.now();
        firstByte = -1;
      });
      client.on('body', () => {
        if (firstByte < 0) firstByte = performance.now();
      });
      client.on('response', (status: number) => {
        const now = performance.now();
        if (status >= 200 && status < 300) {
          ok++;
          total.push(now - sentAt);
          ttfb.push((firstByte < 0 ? now : firstByte) - sentAt);
        } else failed++;
      });
    },
  });
  failed += result.errors + result.timeouts;
  return { ok, failed, elapsedS: (performance.now() - started) / 1000, total, ttfb };
}
