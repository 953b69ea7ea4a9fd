import { parseArgs, UsageError } from './args.ts';
import { renderStatusTable, type StatusDocument } from './status-table.ts';

// Imports nothing of the service: `rmm status` only reads GET /api/echo/resilient/status over HTTP, so it
// starts in a few tens of milliseconds.

export const STATUS_PATH = '/api/echo/resilient/status';

export interface StatusIo {
  out: (text: string) => void;
  err: (line: string) => void;
  /** A terminal: colours, and --watch redraws in place. */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  /** Ends --watch (SIGINT in the CLI). */
  signal?: AbortSignal;
  now?: () => number;
}

const CLEAR_SCREEN = '\u001b[H\u001b[2J';

/** `rmm status [--url URL] [--json] [--watch] [--interval S] [--decisions N]`; returns the exit code. */
export async function statusCommand(argv: string[], io: StatusIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    url: 'string',
    json: 'boolean',
    watch: 'boolean',
    interval: 'number',
    decisions: 'number',
  });
  if (positionals.length) throw new UsageError(`status takes no argument "${positionals[0]}"; try --url URL`);
  const url = (
    (flags['url'] as string | undefined) ?? `http://127.0.0.1:${io.env['RMM_PORT'] ?? 8309}`
  ).replace(/\/+$/, '');
  const intervalS = (flags['interval'] as number | undefined) ?? 2;
  if (!(intervalS >= 0.1)) throw new UsageError('--interval is in seconds and must be at least 0.1');
  const decisions = (flags['decisions'] as number | undefined) ?? 8;
  if (!Number.isInteger(decisions) || decisions < 0)
    throw new UsageError('--decisions must be a whole number');
  const now = io.now ?? Date.now;
  const color = io.isTTY && !io.env['NO_COLOR'];

  const once = async (): Promise<number> => {
    const got = await readStatus(url, io.env['RMM_API_KEY']);
    if (!got.ok) {
      io.err(`rmm: ${got.message}`);
      return 1;
    }
    io.out(
      flags['json']
        ? `${JSON.stringify(got.status, null, 2)}\n`
        : renderStatusTable(got.status, { url, now: now(), color, decisions }),
    );
    return 0;
  };

  if (!flags['watch']) return once();
  // --watch: redraw every interval until interrupted; a service that goes away is reported and retried.
  while (!io.signal?.aborted) {
    if (io.isTTY) io.out(CLEAR_SCREEN);
    await once();
    if (!io.isTTY) io.out('\n');
    await sleep(intervalS * 1000, io.signal);
  }
  return 0;
}

export type ReadResult = { ok: true; status: StatusDocument } | { ok: false; message: string };

export async function readStatus(url: string, apiKey: string | undefined): Promise<ReadResult> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (apiKey) headers['authorization'] = `Bearer ${apiKey}`;
  let res: { status: number; text: string };
  try {
    res = await httpGet(`${url}${STATUS_PATH}`, headers, 10_000);
  } catch {
    return { ok: false, message: `nothing answers at ${url}; start it with "npm start" or pass --url` };
  }
  if (res.status === 401)
    return { ok: false, message: `${url} wants an API key: set RMM_API_KEY to the service's bearer token` };
  if (res.status !== 200)
    return { ok: false, message: `${url}${STATUS_PATH} answered ${res.status}: ${res.text.slice(0, 300)}` };
  try {
    const status = JSON.parse(res.text) as StatusDocument;
    if (!Array.isArray(status.models) || !Array.isArray(status.hosts)) throw new Error('not a status');
    return { ok: true, status };
  } catch {
    return { ok: false, message: `${url} did not answer with an rmm status document; is --url right?` };
  }
}

/**
 * node:http rather than fetch: fetch loads and compiles undici on first use, which costs ~200 ms of a
 * command that should answer at once.
 */
async function httpGet(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  const { request } = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(target, { headers, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
