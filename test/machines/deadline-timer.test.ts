import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AnyEventObject, createActor, createMachine, sendTo } from 'xstate';
import { deadlineTimerLogic } from '../../src/runtime/deadline-timer.ts';
import { systemClock as systemTimerClock, type Clock as TimerClock } from '../../src/time/clock.ts';
import { ManualClock } from './manual-clock.ts';

/** A parent that records what its timer child sends back; ends the timer on STOP_TIMER. */
function host(clock: TimerClock, at: number) {
  const got: AnyEventObject[] = [];
  const m = createMachine({
    initial: 'waiting',
    states: {
      waiting: {
        invoke: { src: deadlineTimerLogic(clock), id: 'timer', input: { at } },
        on: {
          DEADLINE_REACHED: { actions: ({ event }) => void got.push(event) },
          STOP_TIMER: 'done',
          POKE: { actions: sendTo('timer', { type: 'POKE' }) },
        },
      },
      done: {},
    },
  });
  const actor = createActor(m);
  actor.start();
  return { actor, got };
}

describe('deadlineTimerLogic', () => {
  afterEach(() => vi.useRealTimers());

  it('fires once when the clock reaches `at`, not before, with the clock time and the deadline', () => {
    const clock = new ManualClock(1000);
    const { got } = host(clock, 1500);
    clock.advance(499);
    expect(got).toEqual([]);
    clock.advance(1);
    expect(got).toEqual([{ type: 'DEADLINE_REACHED', now: 1500, at: 1500 }]);
    clock.advance(10_000);
    expect(got).toHaveLength(1);
  });

  it('fires at once when the deadline has already passed', () => {
    const clock = new ManualClock(2000);
    const { got } = host(clock, 1500);
    expect(got).toEqual([{ type: 'DEADLINE_REACHED', now: 2000, at: 1500 }]);
    expect(clock.pending).toBe(0);
  });

  it('does not trust a timer that fires early: it checks the clock and waits again', () => {
    const clock = new ManualClock(0);
    // A clock whose timers fire after half the asked delay.
    const early: TimerClock = {
      now: () => clock.now(),
      setTimeout: (fn, ms) => clock.setTimeout(fn, ms / 2),
      clearTimeout: (h) => clock.clearTimeout(h),
    };
    const { got } = host(early, 1000);
    clock.advance(500);
    expect(got).toEqual([]);
    clock.advance(499);
    expect(got).toEqual([]);
    clock.advance(1);
    expect(got).toEqual([{ type: 'DEADLINE_REACHED', now: 1000, at: 1000 }]);
  });

  it('clears its timer when the state that invoked it is left', () => {
    const clock = new ManualClock(0);
    const { actor, got } = host(clock, 1000);
    expect(clock.pending).toBe(1);
    actor.send({ type: 'STOP_TIMER' });
    expect(clock.pending).toBe(0);
    clock.advance(5000);
    expect(got).toEqual([]);
  });

  it('ignores events sent to it', () => {
    const clock = new ManualClock(0);
    const { actor, got } = host(clock, 10);
    actor.send({ type: 'POKE' });
    clock.advance(10);
    expect(got).toHaveLength(1);
  });

  it('waits in steps no longer than a Node timer allows', () => {
    const clock = new ManualClock(0);
    const asked: number[] = [];
    const spy: TimerClock = {
      now: () => clock.now(),
      setTimeout: (fn, ms) => {
        asked.push(ms);
        return clock.setTimeout(fn, ms);
      },
      clearTimeout: (h) => clock.clearTimeout(h),
    };
    const at = 3 * 2 ** 31;
    const { got } = host(spy, at);
    clock.advance(at);
    expect(Math.max(...asked)).toBe(2 ** 31 - 1);
    expect(asked.length).toBeGreaterThan(3);
    expect(got).toEqual([{ type: 'DEADLINE_REACHED', now: at, at }]);
  });

  it('never fires for a missing deadline (Infinity, or null after a JSON round trip)', () => {
    const clock = new ManualClock(0);
    const inf = host(clock, Number.POSITIVE_INFINITY);
    const nul = host(clock, null as unknown as number);
    expect(clock.pending).toBe(0);
    clock.advance(10_000);
    expect(inf.got).toEqual([]);
    expect(nul.got).toEqual([]);
  });

  it('works on the process clock (fake timers)', () => {
    vi.useFakeTimers({ now: 10_000 });
    const { got } = host(systemTimerClock, 10_250);
    vi.advanceTimersByTime(249);
    expect(got).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(got).toEqual([{ type: 'DEADLINE_REACHED', now: 10_250, at: 10_250 }]);
  });
});
