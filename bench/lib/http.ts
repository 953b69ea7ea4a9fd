import { Agent, request } from 'undici';

/** One keep-alive pool for every bench request made from this process. */
const agent = new Agent({ connections: 256, keepAliveTimeout: 10_000, headersTimeout: 0, bodyTimeout: 0 });

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Request start → last byte (ms). */
  ms: number;
  /** Request start → first body byte (ms); equals `ms` for an empty body. */
  ttfbMs: number;
  /** Set when the request never got a complete answer (connection error, or our own timeout). */
  transportError?: string;
}

/** POSTs JSON and reads the whole answer; never throws (a transport failure is in the answer). */
export async function postJson(
  url: string,
  body: unknown,
  opts: { timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const started = performance.now();
  let ttfb = -1;
  try {
    const res = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
    });
    let text = '';
    for await (const chunk of res.body) {
      if (ttfb < 0) ttfb = performance.now();
      text += chunk.toString();
    }
    const ms = performance.now() - started;
    return { status: res.statusCode, headers: res.headers, text, ms, ttfbMs: ttfb < 0 ? ms : ttfb - started };
  } catch (err) {
    const ms = performance.now() - started;
    const e = err as Error & { code?: string };
    return {
      status: 0,
      headers: {},
      text: '',
      ms,
      ttfbMs: ms,
      transportError: `${e.name}${e.code ? ` ${e.code}` : ''}: ${e.message}`,
    };
  }
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await request(url, { dispatcher: agent });
  return (await res.body.json()) as T;
}

export function closeHttp(): Promise<void> {
  return agent.close();
}
