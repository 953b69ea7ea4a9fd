import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { Dispatcher } from 'undici';

/**
 * An undici Dispatcher that carries HTTP exchanges to a simulated Ollama in the same process, with no
 * socket: the request and response objects the simulator's handlers read and write are ours. Every call
 * the backend makes (inference, embeddings, loads, /api/ps...) goes through `dispatch()` with its own
 * handler (exchange.ts), as `dispatcher.request()` and fetch would too, so the whole backend (its error
 * shapes included) runs unchanged on the deterministic simulation's virtual clock.
 *
 * Deliveries to the client side are queued as microtasks, in order: the two sides never call into each
 * other re-entrantly, as with a real socket, and the order stays fully determined by the program.
 */
export interface SimEndpoint {
  dispatch(req: IncomingMessage, res: ServerResponse): void;
}

/** undici's handler as dispatch() receives it (the callback style of undici 7). */
interface Handler {
  onConnect?(abort: (err?: Error) => void): void;
  onHeaders?(status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onResponseStarted?(): void;
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: Buffer[] | null): void;
  onError?(err: Error): void;
}

/** What undici reports when the other side closes the connection. */
function socketClosed(): Error {
  return Object.assign(new Error('other side closed'), { name: 'SocketError', code: 'UND_ERR_SOCKET' });
}

export class InProcessDispatcher extends Dispatcher {
  constructor(private readonly endpoint: SimEndpoint) {
    super();
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    void this.exchange(opts, handler as unknown as Handler);
    return true;
  }

  // biome-ignore lint/suspicious/noExplicitAny: undici's overloads (callback or promise) cannot be restated.
  override close(): any {
    return Promise.resolve();
  }

  // biome-ignore lint/suspicious/noExplicitAny: as close().
  override destroy(): any {
    return Promise.resolve();
  }

  private async exchange(opts: Dispatcher.DispatchOptions, handler: Handler): Promise<void> {
    const body = await bodyBytes(opts.body);
    const wire = new Wire(handler);
    const res = new SinkResponse(wire);
    handler.onConnect?.((err) => res.clientGone(err));
    if (wire.done) return;
    const req = Object.assign(Readable.from(body.length > 0 ? [body] : []), {
      method: opts.method,
      url: opts.path,
      headers: {},
      socket: { destroy: () => res.cut() },
    });
    // Our objects stand in for node's: the handlers use only what SinkResponse and req provide.
    this.endpoint.dispatch(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  }
}

async function bodyBytes(body: Dispatcher.DispatchOptions['body']): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const parts: Buffer[] = [];
  for await (const part of body as AsyncIterable<Uint8Array | string>) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

/** The client side of one exchange: ordered, deferred deliveries to undici's handler. */
class Wire {
  done = false;
  private readonly queue: Array<() => void> = [];
  private scheduled = false;

  constructor(private readonly handler: Handler) {}

  head(status: number, headers: Record<string, unknown>): void {
    const raw: Buffer[] = [];
    for (const [k, v] of Object.entries(headers)) raw.push(Buffer.from(k), Buffer.from(String(v)));
    this.push(() => {
      this.handler.onHeaders?.(status, raw, () => {}, '');
      this.handler.onResponseStarted?.();
    });
  }

  data(chunk: string | Buffer): void {
    const bytes = Buffer.from(chunk);
    this.push(() => this.handler.onData?.(bytes));
  }

  end(): void {
    this.finish(() => this.handler.onComplete?.([]));
  }

  fail(err: Error): void {
    this.finish(() => this.handler.onError?.(err));
  }

  private finish(last: () => void): void {
    if (this.done) return;
    this.done = true;
    this.push(last, true);
  }

  private push(fn: () => void, final = false): void {
    if (this.done && !final) return;
    this.queue.push(fn);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      for (let next = this.queue.shift(); next; next = this.queue.shift()) next();
    });
  }
}

/** The part of node's ServerResponse the simulator's handlers use, writing into a Wire. */
class SinkResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  destroyed = false;
  writableEnded = false;
  writableFinished = false;

  constructor(private readonly wire: Wire) {
    super();
  }

  writeHead(status: number, headers: Record<string, unknown> = {}): this {
    this.statusCode = status;
    this.headersSent = true;
    this.wire.head(status, headers);
    return this;
  }

  setHeader(): this {
    return this;
  }

  write(chunk: string | Buffer): boolean {
    if (this.destroyed || this.writableEnded) return false;
    if (!this.headersSent) this.writeHead(200);
    this.wire.data(chunk);
    return true;
  }

  end(chunk?: string | Buffer): this {
    if (this.destroyed || this.writableEnded) return this;
    if (chunk !== undefined && chunk.length > 0) this.write(chunk);
    if (!this.headersSent) this.writeHead(200);
    this.writableEnded = true;
    this.writableFinished = true;
    this.wire.end();
    this.emit('finish');
    this.emit('close');
    return this;
  }

  /** The server cut the connection (a fault, a restart): the client sees the socket close. */
  destroy(): this {
    this.cut();
    return this;
  }

  cut(): void {
    if (this.destroyed || this.writableFinished) return;
    this.destroyed = true;
    this.wire.fail(socketClosed());
    this.emit('close');
  }

  /** The client aborted (its signal, a timeout): the server sees the connection close. */
  clientGone(err?: Error): void {
    if (this.destroyed || this.writableFinished) return;
    this.destroyed = true;
    this.wire.fail(err ?? new Error('aborted'));
    this.emit('close');
  }
}
