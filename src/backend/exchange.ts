import type { Dispatcher } from 'undici';

/**
 * One HTTP exchange on undici's dispatch API, with no Readable, no async iterator and no AbortSignal of
 * its own: the request path's floor. `dispatcher.request()` costs a signal, a body stream and several
 * promise hops per call (bench/README.md, overhead); this handler gets the bytes as they arrive and hands
 * over whole lines (streaming) or the whole body. It is written in undici's callback style (onConnect,
 * onHeaders, onData, onComplete, onError), the one both undici's Agent and the simulation's in-process
 * dispatcher speak.
 */
export interface ExchangeSink {
  /** The status arrived; from here on the body follows. */
  started(status: number): void;
  /** One NDJSON line of a 2xx answer without its newline (streaming only); may throw to end the exchange. */
  line?(line: string): void;
}

export interface ExchangeResult {
  status: number;
  /** The whole body: an error answer's always; a 2xx answer's unless it was read line by line. */
  body: string;
}

const NEWLINE = 0x0a;

export class Exchange implements Dispatcher.DispatchHandler {
  private abortFn: ((err: Error) => void) | undefined;
  private pendingAbort: Error | undefined;
  private status = 0;
  private byLine = false;
  private parts: Buffer[] = [];
  private rest: Buffer | undefined;
  private settled = false;
  readonly done: Promise<ExchangeResult>;
  private resolve!: (r: ExchangeResult) => void;
  private reject!: (e: unknown) => void;

  constructor(private readonly sink: ExchangeSink) {
    this.done = new Promise<ExchangeResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Ends the exchange with `err` (a timeout, the caller leaving); undici then reports it through onError. */
  abort(err: Error): void {
    if (this.settled) return;
    if (this.abortFn) this.abortFn(err);
    else this.pendingAbort = err;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort as (err: Error) => void;
    if (this.pendingAbort) abort(this.pendingAbort);
  }

  onHeaders(status: number): boolean {
    // 1xx answers are informational: the real status follows.
    if (status < 200) return true;
    this.status = status;
    this.byLine = status < 400 && this.sink.line !== undefined;
    this.sink.started(status);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    if (!this.byLine) {
      this.parts.push(chunk);
      return true;
    }
    try {
      this.lines(chunk);
    } catch (err) {
      // A bad line or the sink's verdict (an {"error"} record): the exchange is over.
      this.fail(err);
      this.abortFn?.(err instanceof Error ? err : new Error(String(err)));
    }
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    if (this.byLine && this.rest !== undefined && this.rest.length > 0) {
      try {
        const last = this.rest.toString('utf8').trim();
        this.rest = undefined;
        if (last !== '') this.sink.line!(last);
      } catch (err) {
        this.fail(err);
        return;
      }
    }
    this.settled = true;
    const body = this.byLine ? '' : bodyText(this.parts);
    this.parts = [];
    this.resolve({ status: this.status, body });
  }

  onError(err: Error): void {
    this.fail(err);
  }

  /** Splits on newline bytes (never inside a UTF-8 sequence), so each line decodes whole. */
  private lines(chunk: Buffer): void {
    let buf = this.rest === undefined ? chunk : Buffer.concat([this.rest, chunk]);
    let nl = buf.indexOf(NEWLINE);
    while (nl >= 0 && !this.settled) {
      const line = buf.toString('utf8', 0, nl).trim();
      buf = buf.subarray(nl + 1);
      if (line !== '') this.sink.line!(line);
      nl = buf.indexOf(NEWLINE);
    }
    this.rest = buf.length > 0 ? buf : undefined;
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.parts = [];
    this.rest = undefined;
    this.reject(err);
  }
}

function bodyText(parts: Buffer[]): string {
  if (parts.length === 0) return '';
  return parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

/** An abort reason as an Error (undici ends an exchange with an Error). */
export function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason ?? 'aborted'));
}
