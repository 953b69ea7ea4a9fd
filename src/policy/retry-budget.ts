import type { Config } from '../config/schema.ts';

/**
 * A retry budget (Finagle's RetryBudget, Envoy's retry_budget): over a sliding window, retries may not
 * exceed `minRetries + ratio × requests`. When every model is failing, each request would otherwise
 * multiply into `max_attempts` upstream calls; with a budget an outage costs at most `ratio` extra load.
 * Time is passed in (`now`, ms); nothing here reads a clock. The window is split into buckets so memory
 * and cost stay constant whatever the traffic.
 */
export interface RetryBudgetOptions {
  /** Retries allowed per original request (0.2 = 20% extra load). Default 0.2. */
  ratio: number;
  /** Sliding window length (ms). Default 10 000. */
  windowMs: number;
  /** Retries always allowed per window, so a quiet service can still retry. Default 3. */
  minRetries: number;
  /** Resolution of the sliding window. Default 10. */
  buckets?: number;
}

export interface RetryBudgetState {
  version: 1;
  /** Start time of each bucket, aligned to the bucket width; -1 for never used. */
  starts: number[];
  requests: number[];
  retries: number[];
}

export interface RetryBudgetView {
  requests: number;
  retries: number;
  allowed: number;
  available: number;
}

/** A fresh state for `options`, or `state` itself when it fits them (the caller's object, not a copy). */
export function budgetState(options: RetryBudgetOptions, state?: RetryBudgetState): RetryBudgetState {
  const buckets = bucketsOf(options);
  if (!(options.ratio >= 0) || !(options.minRetries >= 0) || !(options.windowMs >= 0)) {
    throw new RangeError('retry budget: ratio, minRetries and windowMs must be >= 0');
  }
  if (state && state.version === 1 && state.starts.length === buckets) return state;
  return {
    version: 1,
    starts: new Array(buckets).fill(-1),
    requests: new Array(buckets).fill(0),
    retries: new Array(buckets).fill(0),
  };
}

/** Counts an original request (not a retry) in `state`, in place: this runs once per request. */
export function budgetRecordRequest(state: RetryBudgetState, options: RetryBudgetOptions, now: number): void {
  const i = bucketFor(state, bucketMsOf(options), now);
  state.requests[i] = (state.requests[i] ?? 0) + 1;
}

export function budgetView(
  state: RetryBudgetState,
  options: RetryBudgetOptions,
  now: number,
): RetryBudgetView {
  const bucketMs = bucketMsOf(options);
  // Bucket numbers, not float start times: at epoch-millisecond magnitudes `floor(now / w) * w` rounds, and a
  // bucket compared by its start time could fall out of (or into) the window by a rounding error.
  const current = Math.floor(now / bucketMs);
  const oldest = current - (state.starts.length - 1);
  let requests = 0;
  let retries = 0;
  for (let i = 0; i < state.starts.length; i++) {
    const start = state.starts[i] ?? -1;
    if (start < 0) continue;
    const n = Math.round(start / bucketMs);
    if (n >= oldest && n <= current) {
      requests += state.requests[i] ?? 0;
      retries += state.retries[i] ?? 0;
    }
  }
  const allowed = Math.floor(options.minRetries + options.ratio * requests);
  return { requests, retries, allowed, available: Math.max(0, allowed - retries) };
}

/** Takes one retry from the budget if it fits (in place); false means "do not retry, fall back or fail". */
export function budgetTakeRetry(state: RetryBudgetState, options: RetryBudgetOptions, now: number): boolean {
  if (budgetView(state, options, now).available < 1) return false;
  const i = bucketFor(state, bucketMsOf(options), now);
  state.retries[i] = (state.retries[i] ?? 0) + 1;
  return true;
}

function bucketsOf(options: RetryBudgetOptions): number {
  return Math.max(1, Math.floor(options.buckets ?? 10));
}

/** A zero window (allowed by config) still needs a positive bucket width to index time. */
function bucketMsOf(options: RetryBudgetOptions): number {
  return Math.max(1, options.windowMs / bucketsOf(options));
}

function align(now: number, bucketMs: number): number {
  return Math.floor(now / bucketMs) * bucketMs;
}

/** The bucket for `now`, cleared first when it still holds an older period. */
function bucketFor(state: RetryBudgetState, bucketMs: number, now: number): number {
  const start = align(now, bucketMs);
  const n = state.starts.length;
  const number = Math.floor(now / bucketMs);
  const i = ((number % n) + n) % n;
  // Only a newer period clears a bucket: a late `now` (clock stepped back) counts in the bucket it finds.
  const held = state.starts[i] ?? -1;
  if (held < 0 || Math.round(held / bucketMs) < number) {
    state.starts[i] = start;
    state.requests[i] = 0;
    state.retries[i] = 0;
  }
  return i;
}

/** The same budget as an object owning a copy of its state (for callers that keep no store). */
export class RetryBudget {
  readonly #options: RetryBudgetOptions;
  readonly #state: RetryBudgetState;

  constructor(options: RetryBudgetOptions, state?: RetryBudgetState) {
    this.#options = options;
    this.#state = budgetState(options, state ? structuredClone(state) : undefined);
  }

  recordRequest(now: number): void {
    budgetRecordRequest(this.#state, this.#options, now);
  }

  canRetry(now: number): boolean {
    return budgetView(this.#state, this.#options, now).available >= 1;
  }

  tryAcquireRetry(now: number): boolean {
    return budgetTakeRetry(this.#state, this.#options, now);
  }

  view(now: number): RetryBudgetView {
    return budgetView(this.#state, this.#options, now);
  }

  /** A copy for persistence; pass it back to the constructor to restore. */
  toJSON(): RetryBudgetState {
    return structuredClone(this.#state);
  }
}

/** The `retry` section (seconds) as budget options (ms). */
export function retryBudgetOptionsFrom(config: Pick<Config, 'retry'>): RetryBudgetOptions {
  return {
    ratio: config.retry.budget_ratio,
    windowMs: config.retry.budget_window_s * 1000,
    minRetries: config.retry.budget_min_retries,
  };
}
