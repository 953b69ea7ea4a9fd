import type { Dispatcher } from 'undici';
import { asError, Exchange } from './exchange.ts';

export const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

/**
 * One JSON call to Ollama's API (a load, an unload, /api/ps, /api/tags, /api/show, /api/version, /api/embed)
 * over undici's dispatch API, as inference goes. These calls used the official `ollama` client over undici's
 * fetch; loading fetch's machinery (and the client's WHATWG polyfill, which pulled in Node's own copy of
 * undici) was a tenth of the service's start-up, for six small JSON exchanges. A non-2xx answer rejects with
 * the client's `ResponseError` shape (`error`, `status_code`), so the error taxonomy reads it as before.
 */
export async function ollamaCall<T>(
  dispatcher: Dispatcher,
  origin: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  if (signal?.aborted) throw signal.reason;
  const exchange = new Exchange({ started: () => undefined });
  const callerLeft = () => exchange.abort(asError(signal?.reason));
  signal?.addEventListener('abort', callerLeft, { once: true });
  try {
    dispatcher.dispatch(
      {
        origin,
        path,
        method,
        headers: JSON_HEADERS,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        // 0 disables undici's 300 s defaults: a cold load of a big model can take longer; we bound time.
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      exchange,
    );
    const { status, body: text } = await exchange.done;
    if (status >= 400) throw responseErrorOf(status, text);
    return JSON.parse(text) as T;
  } catch (err) {
    // The caller's reason (its timeout, its shutdown) says more than undici's "aborted".
    throw signal?.aborted ? signal.reason : err;
  } finally {
    signal?.removeEventListener('abort', callerLeft);
  }
}

/** The official client's ResponseError: name, `error` text and `status_code`. */
export function responseErrorOf(status: number, raw: string): Error {
  let message = raw;
  try {
    const parsed = JSON.parse(raw) as { error?: unknown };
    if (typeof parsed.error === 'string') message = parsed.error;
  } catch {
    // Not JSON (a proxy's HTML page, a plain-text 404): keep the text as the message.
  }
  const err = new Error(message || `HTTP ${status}`) as Error & {
    error: string;
    status_code: number;
  };
  err.name = 'ResponseError';
  err.error = message;
  err.status_code = status;
  return err;
}
