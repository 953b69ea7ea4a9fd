import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FeedSink } from './status-feed.ts';

const HEARTBEAT_FRAME = ': heartbeat\n\n';

/**
 * Starts a Server-Sent Events response and adapts it to the feed. A slow reader never makes memory grow:
 * while the socket pushes back, only the newest state frame is kept (each frame is the whole status, so
 * the ones in between are worthless) and heartbeats are dropped. `headers` are sent along (ours win).
 */
export function openSseSink(
  res: ServerResponse,
  headers: Record<string, string | number | string[] | undefined> = {},
): FeedSink {
  // Whatever the app's hooks already set (x-request-id...), which a hijacked reply would otherwise lose.
  const inherited: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) inherited[name] = value;
  res.writeHead(200, {
    ...inherited,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Reverse proxies (nginx) would otherwise buffer the stream and the page would look frozen.
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  });
  // Tells EventSource clients how long to wait before reconnecting; our own page has its own backoff.
  res.write('retry: 2000\n\n');

  let blocked = false;
  let pending: string | undefined;
  res.on('drain', () => {
    blocked = false;
    if (pending === undefined) return;
    const frame = pending;
    pending = undefined;
    write(frame);
  });

  function write(frame: string): void {
    if (res.writableEnded || res.destroyed) return;
    if (blocked) {
      pending = frame;
      return;
    }
    blocked = !res.write(frame);
  }

  return {
    send: write,
    heartbeat() {
      if (!blocked && !res.writableEnded && !res.destroyed) blocked = !res.write(HEARTBEAT_FRAME);
    },
    end() {
      if (!res.writableEnded && !res.destroyed) res.end();
    },
  };
}
