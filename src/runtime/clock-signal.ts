import { TimeoutError } from '../policy/errors.ts';
import type { Clock } from '../time/clock.ts';

/**
 * An abort signal that fires after `ms` on `clock` (not on Node's own timers, so a virtual clock drives it
 * too), with a TimeoutError as its reason so a deadline is told apart from a caller who went away.
 * Call `clear()` once the work is done, or the timer stays armed.
 */
export function clockSignal(clock: Clock, ms: number): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const bound = Math.max(1, Math.round(ms));
  const timer = clock.setTimeout(() => controller.abort(new TimeoutError(bound)), bound);
  return { signal: controller.signal, clear: () => clock.clearTimeout(timer) };
}
