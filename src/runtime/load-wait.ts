import type { CancelSignal } from '../manager/cancel-signal.ts';
import type { CompletionRequest } from '../manager/completion.ts';
import type { RmmError } from '../manager/errors.ts';
import { clockSignal } from './clock-signal.ts';
import type { JourneyDeps } from './journey-deps.ts';

export type LoadWait = { ok: true } | { ok: false; failed: boolean; slow?: boolean; why: string };

/** Wants the model loaded and waits for it until `until`; a failed load is a failure, a slow one a skip. */
export async function waitForLoad(
  deps: JourneyDeps,
  id: string,
  until: number,
  urgency: NonNullable<CompletionRequest['urgency']>,
  requestId: string,
  signal?: CancelSignal,
): Promise<LoadWait> {
  const remaining = until - deps.clock.now();
  if (remaining <= 0) return { ok: false, failed: false, why: 'deadline passed before its load could start' };
  const bound = clockSignal(deps.clock, remaining);
  const stop = signal ? either(signal, bound.signal) : { signal: bound.signal, clear: () => {} };
  try {
    const interactiveBusy = urgency !== 'interactive' && deps.pulse?.busy(deps.clock.now()) === true;
    await deps.loader.want(id, { mode: 'request', urgency, requestId, until, interactiveBusy }, stop.signal);
    return { ok: true };
  } catch (err) {
    if (signal?.aborted) return { ok: false, failed: false, why: 'cancelled' };
    if (bound.signal.aborted)
      return {
        ok: false,
        failed: false,
        why: 'still loading at the deadline (the load goes on for later requests)',
      };
    const e = err as RmmError;
    const refused = (e.details as { reason?: string } | undefined)?.reason !== 'load_failed';
    return { ok: false, failed: !refused, why: `${refused ? 'not loaded' : 'load failed'}: ${e.message}` };
  } finally {
    bound.clear();
    stop.clear();
  }
}

/**
 * A signal that fires when either does (AbortSignal.any takes AbortSignals only); `clear` stops listening,
 * so a caller's signal that outlives the wait keeps no listener of it.
 */
function either(caller: CancelSignal, own: AbortSignal): { signal: AbortSignal; clear(): void } {
  const both = new AbortController();
  const onCaller = () => both.abort(caller.reason);
  const onOwn = () => both.abort(own.reason);
  if (caller.aborted) onCaller();
  else caller.addEventListener('abort', onCaller, { once: true });
  if (own.aborted) onOwn();
  else own.addEventListener('abort', onOwn, { once: true });
  return {
    signal: both.signal,
    clear: () => {
      caller.removeEventListener('abort', onCaller);
      own.removeEventListener('abort', onOwn);
    },
  };
}
