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

export class RetryBudget {
  readonly #ratio: number;
  readonly #minRetries: number;
  readonly #bucketMs: number;
  #state: RetryBudgetState;

  constructor(options: RetryBudgetOptions, state?: RetryBudgetState) {
    const buckets = Math.max(1, Math.floor(options.buckets ?? 10));
    if (!(options.ratio >= 0) || !(options.minRetries >= 0) || !(options.windowMs >= 0)) {
      throw new RangeError('retry budget: ratio, minRetries and windowMs must be >= 0');
    }
    this.#ratio = options.ratio;
    this.#minRetries = options.minRetries;
    // A zero window (allowed by config) still needs a positive bucket width to index time.
    this.#bucketMs = Math.max(1, options.windowMs / buckets);
    this.#state =
      state && state.version === 1 && state.starts.length === buckets
        ? structuredClone(state)
        : {
            version: 1,
            starts: new Array(buckets).fill(-1),
            requests: new Array(buckets).fill(0),
            retries: new Array(buckets).fill(0),
          };
  }

  /** Counts an original request (not a retry). */
  recordRequest(now: number): void {
    const i = this.#bucket(now);
    this.#state.requests[i] = (this.#state.requests[i] ?? 0) + 1;
  }

  /** True when a retry would fit the budget now; records nothing. */
  canRetry(now: number): boolean {
    return this.view(now).available >= 1;
  }

  /** Takes one retry from the budget if it fits; false means "do not retry, fall back or fail". */
  tryAcquireRetry(now: number): boolean {
    if (!this.canRetry(now)) return false;
    const i = this.#bucket(now);
    this.#state.retries[i] = (this.#state.retries[i] ?? 0) + 1;
    return true;
  }

  view(now: number): RetryBudgetView {
    const oldest = this.#align(now) - (this.#state.starts.length - 1) * this.#bucketMs;
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < this.#state.starts.length; i++) {
      const start = this.#state.starts[i] ?? -1;
      if (start >= oldest && start <= now) {
        requests += this.#state.requests[i] ?? 0;
        retries += this.#state.retries[i] ?? 0;
      }
    }
    const allowed = Math.floor(this.#minRetries + this.#ratio * requests);
    return { requests, retries, allowed, available: Math.max(0, allowed - retries) };
  }

  /** A copy for persistence; pass it back to the constructor to restore. */
  toJSON(): RetryBudgetState {
    return structuredClone(this.#state);
  }

  #align(now: number): number {
    return Math.floor(now / this.#bucketMs) * this.#bucketMs;
  }

  /** The bucket for `now`, cleared first when it still holds an older period. */
  #bucket(now: number): number {
    const start = this.#align(now);
    const n = this.#state.starts.length;
    const i = ((Math.floor(now / this.#bucketMs) % n) + n) % n;
    // Only a newer period clears a bucket: a late `now` (clock stepped back) counts in the bucket it finds.
    if ((this.#state.starts[i] ?? -1) < start) {
      this.#state.starts[i] = start;
      this.#state.requests[i] = 0;
      this.#state.retries[i] = 0;
    }
    return i;
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
