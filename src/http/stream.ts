import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';

/**
 * Streaming with a lazy start: nothing is sent until the manager hands over the first chunk, so a failure
 * before it (every model down, unknown model, deadline) is still an ordinary error response with the right
 * status, and the manager is free to fail over. After the first chunk the status is 200 and a failure can
 * only be reported inside the stream, in the API's own format.
 */
export class LazyStream {
  readonly body = new PassThrough();
  private markStarted!: () => void;
  private started = false;
  /** Resolves at the first `write`. */
  readonly firstWrite = new Promise<void>((resolve) => {
    this.markStarted = resolve;
  });

  /**
   * Queues `text`; everything written in the same tick goes out as one chunk. Ollama sends several lines per
   * TCP read when tokens come fast, and one socket write per line cost more than the rest of the stream.
   */
  write(text: string): void {
    if (!this.started) {
      this.started = true;
      this.markStarted();
    }
    if (this.pending === '') queueMicrotask(this.flush);
    this.pending += text;
  }

  end(text?: string): void {
    if (text !== undefined) this.write(text);
    this.flush();
    if (!this.body.destroyed && !this.body.writableEnded) this.body.end();
  }

  private pending = '';
  private readonly flush = (): void => {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    // The client may be gone: Fastify destroys the body when the socket closes.
    if (!this.body.destroyed && !this.body.writableEnded) this.body.write(text);
  };

  get hasStarted(): boolean {
    return this.started;
  }
}

export type FirstOutcome<R> = { started: true } | { started: false; result: R };

/**
 * Waits for whichever comes first: the first write to the stream, or the end of the work. Rejects when
 * the work fails before anything was written, which the caller turns into a normal error response.
 */
export function firstChunkOrResult<R>(work: Promise<R>, stream: LazyStream): Promise<FirstOutcome<R>> {
  return Promise.race([
    stream.firstWrite.then((): FirstOutcome<R> => ({ started: true })),
    work.then(
      (result): FirstOutcome<R> => (stream.hasStarted ? { started: true } : { started: false, result }),
    ),
  ]);
}

/** Sends the stream as the reply body with the given content type (Fastify pipes it and handles close). */
export function sendStream(reply: FastifyReply, stream: LazyStream, contentType: string): FastifyReply {
  reply.header('cache-control', 'no-cache');
  reply.header('x-accel-buffering', 'no');
  return reply.type(contentType).send(stream.body);
}
