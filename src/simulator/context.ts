import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config, HostConfig } from '../config/schema.ts';
import type { Catalog } from './catalog.ts';
import type { SimClock } from './clock.ts';
import type { SimCounters } from './counters.ts';
import type { FaultBook } from './faults.ts';
import type { RequestLog } from './request-log.ts';
import type { Scheduler } from './scheduler.ts';

/** What every route can reach. The scheduler is a getter: a host restart replaces it. */
export interface SimServices {
  config: Readonly<Config>;
  host: Readonly<HostConfig>;
  seed: number;
  version: string;
  clock: SimClock;
  catalog: Catalog;
  faults: FaultBook;
  counters: SimCounters;
  /** Bodies of the model requests received (GET /__sim/requests). */
  requests: RequestLog;
  scheduler(): Scheduler;
  /** Host restart (admin API, or the host_restart fault with its down time in simulated ms). */
  restart(downMs?: number): void;
  reset(): void;
  state(): unknown;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  body: string;
  /** Aborts when the client goes away (or the host restarts) before the answer is complete. */
  signal: AbortSignal;
  /** performance.now() when the request arrived: load_duration and total_duration count from here. */
  startedAt: number;
  sim: SimServices;
}
