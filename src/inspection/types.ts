import type { StatelyInspectionEvent } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';

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

export const consoleLogger: InspectionLogger = {
  info: (msg) => console.error(msg),
  warn: (msg) => console.error(msg),
};
