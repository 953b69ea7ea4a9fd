import type { Config } from '../config/schema.ts';

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): the
 * ceiling doubles per retry (seed: 1, 2, 4 s) up to `maxMs`, and the delay is uniform in [0, ceiling).
 * Full jitter spreads a crowd of retries evenly, so clients failed together do not come back together.
 */
export interface BackoffOptions {
  /** First ceiling (ms). Default 1000. */
  baseMs: number;
  /** Largest ceiling (ms). Default 4000. */
  maxMs: number;
  /** Growth per retry. Default 2. */
  factor: number;
  /** Uniform in [0, 1); injected so tests and replays are deterministic. Default Math.random. */
  random: () => number;
}

export const DEFAULT_BACKOFF: Readonly<Omit<BackoffOptions, 'random'>> = Object.freeze({
  baseMs: 1000,
  maxMs: 4000,
  factor: 2,
});

/** Ceiling for the `retry`-th retry (0-based): min(maxMs, baseMs * factor^retry). */
export function backoffCeiling(retry: number, options: Omit<BackoffOptions, 'random'>): number {
  if (!(retry > 0)) return Math.min(options.maxMs, options.baseMs);
  // Capped before exponentiation overflows: factor^retry is only needed until it passes the cap.
  const grown = options.baseMs * options.factor ** Math.min(retry, 64);
  return Math.min(options.maxMs, Number.isFinite(grown) ? grown : options.maxMs);
}

/** Delay (ms, fractional: scaled test configs use 1 ms ceilings) before the `retry`-th retry, uniform in [0, ceiling]. */
export function backoffDelay(retry: number, options: BackoffOptions): number {
  const r = options.random();
  // A broken random source must not produce a negative or unbounded wait.
  const u = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return u * backoffCeiling(retry, options);
}

/** A delay function bound to its options: `const next = createBackoff(opts); next(0), next(1), ...`. */
export function createBackoff(options: Partial<BackoffOptions> = {}): (retry: number) => number {
  const full: BackoffOptions = { ...DEFAULT_BACKOFF, random: Math.random, ...options };
  return (retry) => backoffDelay(retry, full);
}

/** The `retry` section (seconds) as backoff options (ms). */
export function backoffOptionsFrom(config: Pick<Config, 'retry'>, random: () => number): BackoffOptions {
  return {
    baseMs: config.retry.base_delay_s * 1000,
    maxMs: config.retry.max_delay_s * 1000,
    factor: DEFAULT_BACKOFF.factor,
    random,
  };
}
