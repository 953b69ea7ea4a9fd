import { connectInspector } from './inspector-socket.ts';
import { JsonlSink } from './jsonl-sink.ts';
import { toStatelyEvent } from './stately-event.ts';
import {
  consoleLogger,
  DEFAULT_INSPECTOR_URL,
  type Inspection,
  type InspectionOptions,
  type InspectionTarget,
} from './types.ts';

export {
  type ReplayOptions,
  type ReplayResult,
  replayInspectionLog,
  replayToInspector,
} from './inspection-replay.ts';
export { connectInspector, type InspectorSocket, type InspectorSocketOptions } from './inspector-socket.ts';
export { jsonSafe, toStatelyEvent } from './stately-event.ts';
export * from './types.ts';

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
