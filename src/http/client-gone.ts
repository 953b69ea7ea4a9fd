import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CancelSignal } from '../manager/cancel-signal.ts';
import { RmmError } from '../manager/errors.ts';

/**
 * Fires when the client goes away before its response is complete: the manager then aborts the upstream
 * call and does not count it against the model. A CancelSignal of our own rather than an AbortSignal, whose
 * cost on Node 20 cancel-signal.ts gives: one is made for every request and almost none fires.
 *
 * Like an AbortSignal: fires once; a listener added after it fired is never called; `once` is implied, since
 * it cannot fire twice.
 */
export class ClientGone implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] = [];

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}

/** The request's ClientGone, fired when its connection closes before the response finished. */
export function clientSignal(request: FastifyRequest, reply: FastifyReply): CancelSignal {
  const gone = new ClientGone();
  const res = reply.raw;
  let finished = false;
  res.once('finish', () => {
    finished = true;
  });
  res.once('close', () => {
    // writableFinished is not set by every response implementation (light-my-request's, for one).
    if (!finished && !res.writableFinished) {
      gone.abort(new RmmError('RMM_CANCELLED', `client closed the connection (request ${request.id})`));
    }
  });
  return gone;
}
