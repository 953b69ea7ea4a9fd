import type { SchedulerEviction } from './types.ts';

/** What the simulator has counted since start or the last reset(); a host restart keeps it. */
export interface SimCounters {
  loads_total: number;
  loads_abandoned: number;
  loads_failed: number;
  /** Simulated milliseconds spent on loads that completed or failed (the simulation's load-time figure). */
  load_ms_total: number;
  unloads_requested: number;
  expirations_total: number;
  evictions_by_scheduler: SchedulerEviction[];
  requests_total: number;
  inference_requests_total: number;
  restarts_total: number;
  vram_peak_bytes: number;
}

export function freshCounters(): SimCounters {
  return {
    loads_total: 0,
    loads_abandoned: 0,
    loads_failed: 0,
    load_ms_total: 0,
    unloads_requested: 0,
    expirations_total: 0,
    evictions_by_scheduler: [],
    requests_total: 0,
    inference_requests_total: 0,
    restarts_total: 0,
    vram_peak_bytes: 0,
  };
}
