import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Bodies over the limit get their 413 JSON, whatever the client does: a client that sends the whole body
 * without waiting (fetch, most SDKs) used to get a reset connection (EPIPE), because the answer went out
 * and the socket closed while it was still writing. This preParsing hook reads a too-large body to its end,
 * discarding it (up to `drainCapBytes`; past that the client is flooding and the socket is cut), and only
 * then fails the request with 413 — the exchange stays whole and the connection can be reused.
 * A body that stops arriving (slow or truncated) fails with 408 after `timeoutMs` instead of hanging.
 * A body of a declared, acceptable length (every normal request) passes untouched but for the timer.
 */
export interface BodyGuardOptions {
  limitBytes: number;
  drainCapBytes: number;
  timeoutMs: number;
}

export function bodyGuard(opts: BodyGuardOptions) {
  // Callback style: an async hook costs a promise per request.
  return (
    request: FastifyRequest,
    _reply: FastifyReply,
    payload: Readable,
    done: (err: Error | null, body?: Readable) => void,
  ): void => {
    const raw = request.raw as IncomingMessage;
    const declared = Number(raw.headers['content-length']);
    if (declared <= opts.limitBytes) {
      done(null, timed(payload, opts.timeoutMs));
      return;
    }
    // Fastify refuses a declared length over the limit before reading anything: we read it ourselves.
    if (declared > opts.limitBytes) delete raw.headers['content-length'];
    done(null, counted(payload, opts));
  };
}

/** The body as sent, failed with 408 if it has not fully arrived in time. */
function timed(payload: Readable, timeoutMs: number): Readable {
  // An 'error' (not destroy(), which would cut the socket before the 408 is written) ends Fastify's read.
  // When nothing reads the body (the route answered without it) there is no listener, and an emitted
  // 'error' would be an uncaught exception: the body is simply dropped then.
  const timer = setTimeout(() => {
    if (payload.listenerCount('error') > 0) payload.emit('error', bodyTimeout(timeoutMs));
    else payload.destroy();
  }, timeoutMs);
  timer.unref();
  const done = () => clearTimeout(timer);
  payload.once('end', done);
  payload.once('close', done);
  return payload;
}

/** A body of unknown or excessive length, passed on up to the limit and drained past it. */
function counted(payload: Readable, opts: BodyGuardOptions): Readable {
  const out = new PassThrough();
  // Fastify listens for errors only while it reads the body; a route that answered without reading it
  // (415, 404...) leaves none, and the 413 destroy below must not become an uncaught exception.
  out.on('error', () => undefined);
  let seen = 0;
  let over = false;
  const fail = (err: Error) => {
    clearTimeout(timer);
    payload.removeAllListeners('data');
    out.destroy(err);
  };
  const timer = setTimeout(() => {
    fail(bodyTimeout(opts.timeoutMs));
    payload.destroy();
  }, opts.timeoutMs);
  timer.unref();
  payload.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > opts.drainCapBytes) {
      fail(tooLarge());
      payload.destroy();
      return;
    }
    if (seen > opts.limitBytes) over = true;
    if (!over && !out.write(chunk)) payload.pause();
  });
  out.on('drain', () => payload.resume());
  payload.on('end', () => {
    clearTimeout(timer);
    if (over) out.destroy(tooLarge());
    else out.end();
  });
  payload.on('error', (err) => fail(err));
  payload.on('aborted', () =>
    fail(httpError(400, 'FST_ERR_BODY_ABORTED', 'the client closed the body early')),
  );
  return out;
}

function tooLarge(): Error {
  return httpError(413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'body is larger than the server accepts');
}

function bodyTimeout(ms: number): Error {
  return httpError(408, 'FST_ERR_BODY_TIMEOUT', `the request body did not fully arrive within ${ms} ms`);
}

function httpError(statusCode: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { statusCode, code });
}
