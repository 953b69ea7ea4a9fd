import { fromCallback } from 'xstate';
import type { DeadlineTimerInput, ModelEvent } from '../../machines/model/types.ts';
import type { Clock } from '../time/clock.ts';

/** Node's setTimeout fires at once for delays past 2^31-1 ms; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The real implementation of the machines' `deadlineTimer` actor:
 * `modelMachine.provide({ actors: { deadlineTimer: deadlineTimerLogic(clock) } })`.
 * Sends `{ type: 'DEADLINE_REACHED', now, at }` to its parent once `clock.now() >= at`, at once if that is
 * already so. It re-checks the clock when its timeout fires rather than trusting it: timers can fire a
 * little early, and a wall clock can be stepped. XState restarts an invoked callback from its persisted
 * input when a snapshot is restored, so this is also what re-arms a deadline after a restart.
 */
export function deadlineTimerLogic(clock: Clock, onFire?: (actorId: string, event: ModelEvent) => void) {
  return fromCallback<ModelEvent, DeadlineTimerInput>(({ input, sendBack }) => {
    // No deadline (a state entered without one, or Infinity turned into null by JSON): never fire.
    if (typeof input?.at !== 'number' || !Number.isFinite(input.at)) return undefined;
    let handle: unknown;
    let done = false;
    const check = () => {
      handle = undefined;
      if (done) return;
      const now = clock.now();
      if (now >= input.at) {
        done = true;
        const event: ModelEvent = { type: 'DEADLINE_REACHED', now, at: input.at };
        // The journal must see this event like any other, or replay could not reproduce it.
        if (input.actor !== undefined) onFire?.(input.actor, event);
        sendBack(event);
        return;
      }
      handle = clock.setTimeout(check, Math.min(input.at - now, MAX_TIMER_MS));
    };
    check();
    return () => {
      done = true;
      if (handle !== undefined) clock.clearTimeout(handle);
    };
  });
}
