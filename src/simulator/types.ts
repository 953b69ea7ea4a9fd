import type { Config } from '../config/schema.ts';

export interface StartSimulatorOptions {
  config: Readonly<Config>;
  /** Which `config.hosts` entry this instance simulates (VRAM, parallelism, model list). Default: the first. */
  hostName?: string;
  /** Bind address; default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
}

export const FAULT_KINDS = [
  'refuse',
  'hang',
  'latency',
  'slow_tokens',
  'stall_after_first_token',
  'cut_stream',
  'http_500',
  'busy_503',
  'missing',
  'oom_on_load',
  'load_timeout',
  'garbage',
  'host_restart',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * What to break. `model` scopes the fault to requests for that model (absent: the whole host).
 * `rate` (0..1, drawn from the seeded PRNG) and `count` (fire N times, then retire) may be combined;
 * with neither the fault fires on every matching request until removed. Durations are simulated
 * milliseconds, multiplied by `config.simulator.time_scale` like every other simulated duration.
 */
export interface FaultSpec {
  kind: FaultKind;
  model?: string;
  rate?: number;
  count?: number;
  /** latency: delay added before answering. load_timeout: how long the doomed load runs (default: the model's load time). */
  ms?: number;
  /** slow_tokens: multiplies the time per token. */
  factor?: number;
  /** cut_stream: tokens sent before the socket is destroyed (default 1). http_500: tokens before the error. */
  after_tokens?: number;
  /** http_500: the error text. */
  message?: string;
  /** host_restart: how long the restarted host refuses connections. */
  down_ms?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  /** How many times it has fired. */
  fired: number;
  /** Firings left when `count` was given. */
  remaining?: number;
}

export interface FaultControl {
  /** Validates and installs a fault; throws FaultSpecError naming the bad field. */
  add(spec: FaultSpec): string;
  remove(id: string): void;
  clear(): void;
  list(): Fault[];
}

export interface SimModelState {
  name: string;
  /** Bytes: size_gb × 1e9. */
  size: number;
  /** Bytes held on the GPU: equals size, or the whole budget under partial offload. */
  size_vram: number;
  status: 'loading' | 'loaded';
  /** Requests holding one of the model's num_parallel slots. */
  in_flight: number;
  /** Requests waiting for a slot of this model or in the scheduler queue for it. */
  queued: number;
  /** Same format as /api/ps (local offset); ~292 years ahead when kept forever. */
  expires_at: string;
  /** The keep-alive in milliseconds; null = forever. */
  keep_alive_ms: number | null;
}

export interface SchedulerEviction {
  model: string;
  /** UTC timestamp. */
  at: string;
}

export interface SimState {
  host: string;
  version: string;
  vram_budget_bytes: number;
  vram_used_bytes: number;
  /** Highest summed size_vram of loading + loaded models since start or the last reset(). */
  vram_peak_bytes: number;
  models: SimModelState[];
  loads_total: number;
  loads_abandoned: number;
  loads_failed: number;
  /** Explicit unloads (keep_alive 0 with an empty prompt or empty messages). */
  unloads_requested: number;
  /** Models unloaded because their keep-alive ran out. */
  expirations_total: number;
  /** Models the simulated Ollama evicted on its own to make room for another. */
  evictions_by_scheduler: SchedulerEviction[];
  /** Every non-admin HTTP request received. */
  requests_total: number;
  /** generate, chat, embed, embeddings and /v1/chat/completions requests received. */
  inference_requests_total: number;
  /** Requests waiting in the scheduler's queue (bounded by max_queue). */
  queue_length: number;
  restarts_total: number;
  /** True while a host_restart's down time refuses connections. */
  down: boolean;
  faults: Fault[];
}

export interface SimulatorHandle {
  url: string;
  port: number;
  close(): Promise<void>;
  faults: FaultControl;
  state(): SimState;
  /** Host restart: every model unloaded, in-flight and queued requests cut; counters kept. */
  restart(): void;
  /** Faults, models, deleted/pulled models, counters, peak and the PRNG back to their start. */
  reset(): void;
}
