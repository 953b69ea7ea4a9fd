import type { IncomingMessage, ServerResponse } from 'node:http';

/** Wire helpers shaped like gin's: c.JSON, c.String, and the NDJSON / SSE streams of Ollama's handlers. */

const JSON_TYPE = 'application/json; charset=utf-8';

/** Request bodies beyond this are cut off; Ollama has no limit, but a simulator must not run out of memory. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain',
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** 200 with an empty body (DELETE /api/delete). */
export function sendEmpty(res: ServerResponse, status = 200): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}

/**
 * A streamed answer whose head is written with its first line, as Ollama does: an error before any
 * line becomes a plain JSON error with its status; after that, one {"error"} record on the 200, then
 * the stream closes.
 */
export class LineStream {
  constructor(
    private readonly res: ServerResponse,
    private readonly contentType: string,
    private readonly frame: (json: string) => string,
    private readonly errorBody: (message: string, status: number) => unknown = (message) => ({
      error: message,
    }),
  ) {}

  get started(): boolean {
    return this.res.headersSent;
  }

  write(records: readonly unknown[]): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    if (!this.res.headersSent) this.res.writeHead(200, { 'Content-Type': this.contentType });
    this.res.write(records.map((r) => this.frame(JSON.stringify(r))).join(''));
  }

  /** Raw bytes after the records (the SSE terminator). */
  writeRaw(text: string): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    if (!this.res.headersSent) this.res.writeHead(200, { 'Content-Type': this.contentType });
    this.res.write(text);
  }

  fail(status: number, message: string): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    if (!this.res.headersSent) {
      sendJson(this.res, status, this.errorBody(message, status));
      return;
    }
    this.res.end(this.frame(JSON.stringify(this.errorBody(message, 500))));
  }

  end(): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    if (!this.res.headersSent) this.res.writeHead(200, { 'Content-Type': this.contentType });
    this.res.end();
  }
}

export function ndjsonStream(res: ServerResponse): LineStream {
  return new LineStream(res, 'application/x-ndjson', (json) => `${json}\n`);
}

export function sseStream(
  res: ServerResponse,
  errorBody: (message: string, status: number) => unknown,
): LineStream {
  return new LineStream(res, 'text/event-stream', (json) => `data: ${json}\n\n`, errorBody);
}
