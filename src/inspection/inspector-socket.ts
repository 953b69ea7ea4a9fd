import type { WebSocket } from 'undici';
import {
  consoleLogger,
  DEFAULT_INSPECTOR_URL,
  type InspectionLogger,
  type InspectionTarget,
} from './types.ts';

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

/**
 * undici's WebSocket (Node 20 has no global one), loaded at the first connection: importing undici's index
 * loads all of it (fetch, cookies, caches...), which a service that is not being inspected should not pay
 * for at start.
 */
let webSocketClass: Promise<typeof WebSocket> | undefined;
const loadWebSocket = () => {
  webSocketClass ??= import('undici').then((m) => m.WebSocket);
  return webSocketClass;
};

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

  const connect = async () => {
    retry = undefined;
    const WebSocketClass = await loadWebSocket();
    if (stopped) return;
    let socket: WebSocket;
    try {
      socket = new WebSocketClass(url);
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
      retry = setTimeout(() => void connect(), retryMs);
      retry.unref();
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    });
  };
  void connect();

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
