import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { connectInspector } from './inspector-socket.ts';
import { DEFAULT_INSPECTOR_URL, type InspectionLogger, type InspectionTarget } from './types.ts';

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
