import type { CircuitSettings, FailureFields, ModelContext } from './types.ts';
import { failureRate, slowRate, type WindowTotals } from './window.ts';

/**
 * A model whose failure rate passes this share of the opening threshold is `degraded` (still serving,
 * ranked lower): "intermittently failing". The config has no key for it; half-way is the design's choice.
 */
export const DEGRADED_FAILURE_FRACTION = 0.5;

export type OpenReason = 'fatal' | 'consecutive_failures' | 'failure_rate' | 'trial_failed';

/** Why the circuit must open after a counted failure has been recorded in `c`, or null. */
export function tripReason(c: ModelContext, f: FailureFields): OpenReason | null {
  if (f.errorClass === 'FATAL') return 'fatal';
  if (c.consecutiveFailures >= c.circuit.failureThreshold) return 'consecutive_failures';
  if (c.window.calls >= c.circuit.minimumCalls && failureRate(c.window) >= c.circuit.failureRateThreshold) {
    return 'failure_rate';
  }
  return null;
}

export function isDegradedBy(t: WindowTotals, s: CircuitSettings): boolean {
  if (t.calls < s.minimumCalls) return false;
  return (
    slowRate(t) >= s.slowCallRateThreshold ||
    failureRate(t) >= s.failureRateThreshold * DEGRADED_FAILURE_FRACTION
  );
}

/**
 * Open time for the `streak`-th consecutive opening (0-based): recovery × multiplier^streak, capped
 * (Envoy's growing ejection time), in whole ms. A healthy stretch as long as the cap resets the streak.
 */
export function recoveryFor(streak: number, s: CircuitSettings): number {
  const grown = s.recoveryTimeoutMs * s.recoveryMultiplier ** Math.min(streak, 64);
  const capped = Math.min(s.recoveryTimeoutMaxMs, Number.isFinite(grown) ? grown : s.recoveryTimeoutMaxMs);
  // A cap below the base would shorten the first opening; the base wins (as in circuitConfigFrom).
  return Math.round(Math.max(s.recoveryTimeoutMs, capped));
}
