import type { OutcomeWindow } from './types.ts';

/**
 * Outcome codes in the window ring. Slow failures count both as failures and as slow calls, like
 * Resilience4j. Codes, not objects, so a persisted window stays a short array of small integers.
 */
export const OUTCOME = { empty: 0, ok: 1, failed: 2, slowOk: 3, slowFailed: 4 } as const;

const isFailure = (code: number) => code === OUTCOME.failed || code === OUTCOME.slowFailed;
const isSlow = (code: number) => code === OUTCOME.slowOk || code === OUTCOME.slowFailed;

export function outcomeCode(failed: boolean, slow: boolean): number {
  if (failed) return slow ? OUTCOME.slowFailed : OUTCOME.failed;
  return slow ? OUTCOME.slowOk : OUTCOME.ok;
}

export function emptyWindow(size: number): OutcomeWindow {
  return { slots: new Array(Math.max(1, size)).fill(OUTCOME.empty), next: 0, calls: 0, failures: 0, slow: 0 };
}

export interface WindowTotals {
  calls: number;
  failures: number;
  slow: number;
}

/** The totals the window would have after recording `code`, without building it (guards use this). */
export function totalsAfter(w: OutcomeWindow, code: number): WindowTotals {
  const old = w.slots[w.next] ?? OUTCOME.empty;
  return {
    calls: w.calls + (old === OUTCOME.empty ? 1 : 0),
    failures: w.failures - (isFailure(old) ? 1 : 0) + (isFailure(code) ? 1 : 0),
    slow: w.slow - (isSlow(old) ? 1 : 0) + (isSlow(code) ? 1 : 0),
  };
}

/**
 * A new window with `code` recorded. The slot array is copied (a few dozen numbers): snapshots must stay
 * immutable for persistence and graph traversal, and the copy costs far less than the event itself.
 */
export function record(w: OutcomeWindow, code: number): OutcomeWindow {
  const slots = w.slots.slice();
  slots[w.next] = code;
  return { slots, next: (w.next + 1) % slots.length, ...totalsAfter(w, code) };
}

export function failureRate(t: WindowTotals): number {
  return t.calls === 0 ? 0 : t.failures / t.calls;
}

export function slowRate(t: WindowTotals): number {
  return t.calls === 0 ? 0 : t.slow / t.calls;
}
