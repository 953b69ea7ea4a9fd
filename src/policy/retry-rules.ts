import type { ErrorClass } from './errors.ts';

/**
 * How long each step of a request may take, and whether a failed attempt is worth another try. Pure: the
 * journey passes the clock's readings in.
 */

/** Share of the remaining time an attempt may use when other candidates are still waiting behind it. */
export const ATTEMPT_SHARE = 0.5;

/**
 * Until when a request waits for a load. With other candidates behind it, the wait may take half the time
 * left, or the load's own estimate with slack, so a load slower than predicted still leaves the fallback
 * time to answer; the last candidate may wait until the deadline.
 */
export function loadWaitUntil(
  now: number,
  deadline: number,
  othersLeft: boolean,
  expectedMs: number,
): number {
  const remaining = deadline - now;
  if (!othersLeft) return deadline;
  return now + Math.min(remaining, Math.max(remaining * ATTEMPT_SHARE, expectedMs * 1.5));
}

/** Time one attempt may take before its answer starts: a share of what is left, never less than 4× its estimate. */
export function attemptTimeoutMs(remaining: number, othersLeft: boolean, expectedMs: number): number {
  if (!othersLeft) return remaining;
  return Math.max(remaining * ATTEMPT_SHARE, Math.min(remaining, expectedMs * 4));
}

/** How many times one model is tried again after an error of this class. */
export function retriesAllowed(cls: ErrorClass, maxAttemptsPerModel: number): number {
  if (cls === 'TRANSIENT') return maxAttemptsPerModel - 1;
  if (cls === 'DEGRADED') return 1;
  return 0;
}

export type RetryVerdict = { retry: true } | { retry: false; why: string };

/**
 * Whether to try the same model again after a failure, before the retry budget is asked. A model that
 * used up its share of the deadline is likely hung: waiting on it again only delays the fallback, so a
 * timeout is retried only when no other candidate is left. A retry that could not finish before the
 * deadline is not made.
 */
export function retryVerdict(input: {
  errorClass: ErrorClass;
  reason: string;
  retry: number;
  maxAttemptsPerModel: number;
  othersLeft: boolean;
  now: number;
  delayMs: number;
  expectedMs: number;
  deadline: number;
}): RetryVerdict {
  if (input.retry >= retriesAllowed(input.errorClass, input.maxAttemptsPerModel))
    return {
      retry: false,
      why: `no retry for ${input.errorClass} after ${input.retry} retr${input.retry === 1 ? 'y' : 'ies'}`,
    };
  if (input.reason === 'timeout' && input.othersLeft)
    return { retry: false, why: 'timed out: the next candidate answers sooner than a retry' };
  const left = input.deadline - input.now;
  if (input.delayMs + Math.min(input.expectedMs, left) >= left)
    return { retry: false, why: 'a retry could not finish before the deadline' };
  return { retry: true };
}

/**
 * How long the best late option may take: its own estimate with slack (never less than `floorMs`, the
 * interactive deadline), bounded by the load timeout and by the client's own deadline when it gave one.
 */
export function lateBudgetMs(
  expectedMs: number,
  floorMs: number,
  loadTimeoutMs: number,
  clientLeftMs?: number,
): number {
  const budget = Math.min(loadTimeoutMs, Math.max(expectedMs * 2, floorMs));
  return clientLeftMs === undefined ? budget : Math.min(budget, clientLeftMs);
}
