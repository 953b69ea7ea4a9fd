import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { WebSocket } from 'undici';
import type { InspectionEvent } from 'xstate';

/**
 * Live inspection of the actor system (issue 6, part 5), two ways, each optional:
 *
 * - `inspect`: stream to a Stately inspector over WebSocket (default ws://localhost:8080, where
 *   `createInspectorServer()` from `@statelyai/inspect/server` listens and bridges to stately.ai/inspect).
 * - `logFile`: append every event as one JSON line, to replay into an inspector later
 *   (replayInspectionLog).
 *
 * Both carry the same records: Stately's inspection event format, made from XState's inspection events
 * synchronously (so a snapshot is the one of that moment) and made JSON-safe (actor refs become their
 * ids, cycles are cut, depth is capped).
 *
 * Why not `createWebSocketInspector` itself: its adapter retries a failed connection every 5 s on a timer
 * that `stop()` does not cancel and that is not unref'd, so with no inspector listening — CI, or anyone
 * who passed --inspect by mistake — the process never exits. This adapter speaks the same protocol (one
 * JSON text frame per event) but backs off, never keeps the process alive, and stops when told.
 *
 * Nothing here throws into XState or the service: failures are logged once and the feature turns itself
 * down (the log stops writing, the socket keeps retrying quietly).
 */

export interface InspectionLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface InspectionOptions {
  /** Stream to a WebSocket inspector. */
  inspect?: boolean;
  /** Append JSONL here. */
  logFile?: string;
  /** WebSocket URL of the inspector (default ws://localhost:8080). */
  url?: string;
  logger?: InspectionLogger;
  /** Timestamps for `createdAt` (default Date.now). */
  now?: () => number;
}

export interface Inspection {
  /** Pass as, or call from, `createActor(machine, { inspect })`. Never throws. */
  inspect: (ev: InspectionEvent) => void;
  /** Flushes the log and closes the socket; safe to call twice. */
  close(): Promise<void>;
}

export const DEFAULT_INSPECTOR_URL = 'ws://localhost:8080';

/** A receiver of recorded events: our socket, a `createWebSocketInspector(...).adapter`, or a test fake. */
export interface InspectionTarget {
  send(event: StatelyInspectionEvent): void;
}

const consoleLogger: InspectionLogger = {
  info: (msg) => console.error(msg),
  warn: (msg) => console.error(msg),
};

/** Undefined when neither output is asked for, so callers can skip inspection entirely. */
export function createInspection(opts: InspectionOptions): Inspection | undefined {
  if (!opts.inspect && !opts.logFile) return undefined;
  const logger = opts.logger ?? consoleLogger;
  const now = opts.now ?? Date.now;
  const sinks: Array<InspectionTarget & { close(): Promise<void> }> = [];
  if (opts.logFile) sinks.push(new JsonlSink(opts.logFile, logger));
  if (opts.inspect) sinks.push(connectInspector({ url: opts.url ?? DEFAULT_INSPECTOR_URL, logger }));
  let closed = false;
  return {
    inspect(ev) {
      if (closed) return;
      try {
        const record = toStatelyEvent(ev, now());
        if (record) for (const sink of sinks) sink.send(record);
      } catch (err) {
        // An inspection bug must never become an actor error.
        logger.warn(`inspection: dropped an event (${(err as Error).message})`);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(sinks.map((s) => s.close()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// XState inspection event → Stately inspection event (the format @statelyai/inspect sends).

const STATELY_VERSION = '0.7.2';

interface ActorLike {
  id?: string;
  sessionId?: string;
  _parent?: ActorLike;
  logic?: { config?: unknown };
  getSnapshot?: () => unknown;
}

export function toStatelyEvent(ev: InspectionEvent, at: number): StatelyInspectionEvent | undefined {
  const actor = ev.actorRef as ActorLike;
  const base = {
    rootId: ev.rootId,
    sessionId: actor.sessionId ?? '',
    createdAt: String(at),
    id: null,
    _version: STATELY_VERSION,
  };
  switch (ev.type) {
    case '@xstate.actor': {
      const config = actor.logic?.config;
      const isMachine = typeof config === 'object' && config !== null;
      const name =
        actor.id === actor.sessionId && isMachine ? String((config as { id?: unknown }).id) : actor.id;
      return {
        ...base,
        type: '@xstate.actor',
        name: name ?? base.sessionId,
        definition: JSON.stringify(jsonSafe(isMachine ? config : { id: name })),
        parentId: actor._parent?.sessionId,
        snapshot: snapshotOf(currentSnapshot(actor)) ?? { status: 'active' },
      } as unknown as StatelyInspectionEvent;
    }
    case '@xstate.event':
      return {
        ...base,
        type: '@xstate.event',
        event: jsonSafe(ev.event),
        sourceId: (ev.sourceRef as ActorLike | undefined)?.sessionId,
      } as unknown as StatelyInspectionEvent;
    case '@xstate.snapshot':
      return {
        ...base,
        type: '@xstate.snapshot',
        event: jsonSafe(ev.event),
        snapshot: snapshotOf(ev.snapshot) ?? { status: 'active' },
      } as unknown as StatelyInspectionEvent;
    default:
      // Microsteps and actions are too fine-grained for the inspector's timeline; they are not recorded.
      return undefined;
  }
}

/** XState announces an actor before its first snapshot exists, and reading it then throws. */
function currentSnapshot(actor: ActorLike): unknown {
  try {
    return actor.getSnapshot?.();
  } catch {
    return undefined;
  }
}

function snapshotOf(snapshot: unknown): Record<string, unknown> | undefined {
  if (!snapshot || typeof snapshot !== 'object') return undefined;
  const s = snapshot as Record<string, unknown>;
  const out: Record<string, unknown> = { status: s['status'] };
  for (const k of ['value', 'context', 'output', 'error'] as const) {
    if (s[k] !== undefined) out[k] = jsonSafe(s[k]);
  }
  return out;
}

const MAX_DEPTH = 12;

/**
 * Plain JSON data from anything an actor holds: actor refs become `{ id, sessionId }` (a context that
 * holds refs — the supervisor's — would otherwise drag the whole system in), cycles and depth past
 * MAX_DEPTH become markers, functions their names, errors their message.
 */
export function jsonSafe(value: unknown, depth = 0, path: object[] = []): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'undefined' || typeof value === 'symbol') return undefined;
  if (typeof value === 'function') return { type: value.name || 'function' };
  const obj = value as object;
  if (path.includes(obj)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (isActorRef(obj)) return { id: obj.id, sessionId: obj.sessionId };
  if (obj instanceof Error) return { name: obj.name, message: obj.message };
  if (obj instanceof Date) return obj.toISOString();
  const inner = [...path, obj];
  if (Array.isArray(obj)) return obj.map((v) => jsonSafe(v, depth + 1, inner) ?? null);
  if (obj instanceof Map) return jsonSafe(Object.fromEntries(obj), depth, path);
  if (obj instanceof Set) return jsonSafe([...obj], depth, path);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const safe = jsonSafe(v, depth + 1, inner);
    if (safe !== undefined) out[k] = safe;
  }
  return out;
}

function isActorRef(obj: object): obj is { id: string; sessionId: string } {
  const a = obj as { sessionId?: unknown; send?: unknown; getSnapshot?: unknown };
  return (
    typeof a.sessionId === 'string' && typeof a.send === 'function' && typeof a.getSnapshot === 'function'
  );
}

// ---------------------------------------------------------------------------------------------------
// JSONL log: buffered appends, one event per line.

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 200;

class JsonlSink {
  private stream: WriteStream | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    file: string,
    private readonly logger: InspectionLogger,
  ) {
    this.stream = createWriteStream(file, { flags: 'a' });
    this.stream.on('error', (err) => {
      this.logger.warn(`inspection: cannot write ${file} (${err.message}); the inspection log is off`);
      this.stream = undefined;
      this.pending = [];
    });
  }

  send(event: StatelyInspectionEvent) {
    if (!this.stream) return;
    const line = `${JSON.stringify(event)}\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      // A debugging aid must not keep a finished process alive.
      this.timer.unref();
    }
  }

  private flush() {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.stream || this.pending.length === 0) return;
    this.stream.write(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  close(): Promise<void> {
    this.flush();
    const stream = this.stream;
    this.stream = undefined;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => {
      stream.once('error', () => resolve());
      stream.end(() => resolve());
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// WebSocket client for a Stately inspector.

export interface InspectorSocketOptions {
  url?: string;
  logger?: InspectionLogger;
  /** Events held while not connected; the oldest are dropped past this (default 1000). */
  maxQueued?: number;
}

export interface InspectorSocket extends InspectionTarget {
  /** Resolves true once connected, false if not within `timeoutMs`. */
  connected(timeoutMs: number): Promise<boolean>;
  /**
   * Stops reconnecting and closes; what was already sent is delivered first. Waits at most `timeoutMs`
   * (default 2 s) for the inspector to acknowledge.
   */
  close(timeoutMs?: number): Promise<void>;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;
const CLOSE_WAIT_MS = 2_000;

export function connectInspector(options: InspectorSocketOptions = {}): InspectorSocket {
  const url = options.url ?? DEFAULT_INSPECTOR_URL;
  const logger = options.logger ?? consoleLogger;
  const maxQueued = options.maxQueued ?? 1000;
  const queue: string[] = [];
  const waiters = new Set<(ok: boolean) => void>();
  let ws: WebSocket | undefined;
  let open = false;
  let stopped = false;
  let retryMs = RETRY_MIN_MS;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let warned = false;

  const connect = () => {
    retry = undefined;
    if (stopped) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch (err) {
      logger.warn(`inspection: bad inspector URL ${url} (${(err as Error).message}); live inspection is off`);
      stopped = true;
      return;
    }
    ws = socket;
    socket.addEventListener('open', () => {
      open = true;
      retryMs = RETRY_MIN_MS;
      warned = false;
      logger.info(`inspection: connected to ${url}`);
      for (const msg of queue.splice(0)) socket.send(msg);
      for (const w of waiters) w(true);
      waiters.clear();
    });
    // 'error' is always followed by 'close'; retrying happens there, once.
    socket.addEventListener('error', () => undefined);
    socket.addEventListener('close', () => {
      const wasOpen = open;
      open = false;
      ws = undefined;
      if (stopped) return;
      if (wasOpen) logger.warn(`inspection: lost the inspector at ${url}; reconnecting`);
      else if (!warned) logger.warn(`inspection: no inspector at ${url}; retrying in the background`);
      warned = true;
      retry = setTimeout(connect, retryMs);
      retry.unref();
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    });
  };
  connect();

  return {
    send(event) {
      if (stopped && !open) return;
      const msg = JSON.stringify(event);
      if (open && ws) {
        ws.send(msg);
        return;
      }
      queue.push(msg);
      if (queue.length > maxQueued) queue.shift();
    },
    connected(timeoutMs) {
      if (open) return Promise.resolve(true);
      if (stopped) return Promise.resolve(false);
      return new Promise((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve(ok);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        waiters.add(done);
      });
    },
    async close(timeoutMs = CLOSE_WAIT_MS) {
      stopped = true;
      clearTimeout(retry);
      for (const w of [...waiters]) w(false);
      const socket = ws;
      if (!socket) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        socket.addEventListener('close', () => {
          clearTimeout(timer);
          resolve();
        });
        // A connecting socket cannot be closed cleanly; closing aborts it, which is what we want.
        socket.close();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Replay.

export interface ReplayResult {
  sent: number;
  /** Lines that were not JSON (a torn last line after a crash, typically). */
  skipped: number;
}

/**
 * Reads a JSONL inspection log and hands each event, in order, to `target`. To watch a recorded run:
 * start an inspector (`createInspectorServer()` from '@statelyai/inspect/server', or any page on
 * ws://localhost:8080), open it, then `replayInspectionLog(file, socket)` with
 * `socket = connectInspector()` and `await socket.close()` at the end.
 */
export async function replayInspectionLog(file: string, target: InspectionTarget): Promise<ReplayResult> {
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let sent = 0;
  let skipped = 0;
  for await (const line of lines) {
    if (!line.trim()) continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (!isStatelyEvent(event)) {
      skipped++;
      continue;
    }
    target.send(event);
    sent++;
  }
  return { sent, skipped };
}

export interface ReplayOptions {
  url?: string;
  logger?: InspectionLogger;
  /** How long to wait for the inspector before giving up (default 5 s). */
  connectTimeoutMs?: number;
}

/**
 * `rmm inspect-replay FILE`: connects to a WebSocket inspector, sends the whole log, closes. Throws if no
 * inspector answers in time (a replay into nothing is a mistake worth reporting, unlike live inspection).
 */
export async function replayToInspector(file: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  const url = options.url ?? DEFAULT_INSPECTOR_URL;
  const socket = connectInspector({ url, logger: options.logger ?? quietLogger });
  try {
    if (!(await socket.connected(options.connectTimeoutMs ?? 5_000))) {
      throw new Error(`no inspector answered at ${url}; start one first (see README, "Live inspection")`);
    }
    return await replayInspectionLog(file, socket);
  } finally {
    // A long log can take a while to drain; the close handshake comes after the last event.
    await socket.close(30_000);
  }
}

const quietLogger: InspectionLogger = { info: () => undefined, warn: () => undefined };

function isStatelyEvent(v: unknown): v is StatelyInspectionEvent {
  const e = v as { type?: unknown; sessionId?: unknown } | null;
  return typeof e === 'object' && e !== null && typeof e.type === 'string' && e.type.startsWith('@xstate.');
}
