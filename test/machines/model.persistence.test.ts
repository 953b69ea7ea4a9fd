import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, type Snapshot } from 'xstate';
import {
  type ModelEvent,
  type ModelInput,
  modelMachine,
  withFastContexts,
} from '../../machines/model.machine.ts';
import { driveAlong, explore, exploreEvents, type Path, shortestPerState, stateKey } from './explore.ts';
import { timedMachine } from './harness.ts';
import { ManualClock } from './manual-clock.ts';

type Persisted = Snapshot<unknown>;

/** What a state file holds: the persisted snapshot through JSON, as the runtime writes and reads it. */
const throughJson = (actor: AnyActorRef): Persisted =>
  JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));

const persistedJson = (actor: AnyActorRef) => JSON.stringify(actor.getPersistedSnapshot());

/** A live actor on its own manual clock; the clock follows the events' time, firing due timers first. */
function timedTwin(input: ModelInput, snapshot?: Persisted, clockAt?: number) {
  const clock = new ManualClock(clockAt ?? input.now);
  const machine = timedMachine(clock);
  const actor = snapshot ? createActor(machine, { snapshot, input }) : createActor(machine, { input });
  actor.subscribe({
    error: (err) => {
      throw err;
    },
  });
  actor.start();
  const follow = (e: ModelEvent) => {
    if (e.now > clock.now()) clock.advance(e.now - clock.now());
  };
  return { actor, clock, follow };
}

describe('persistence: every explored state restores and continues', () => {
  const { paths, input } = explore();

  it('restores each of the explored states from JSON to an identical snapshot that continues identically', () => {
    expect(paths.length).toBeGreaterThan(500);
    paths.forEach((path, i) => {
      const live = createActor(modelMachine, { input });
      live.start();
      driveAlong(live, path);
      // `input` is ignored when a snapshot is given (the types ask for it anyway).
      const restored = createActor(modelMachine, { snapshot: throughJson(live), input });
      restored.start();
      expect(restored.getSnapshot().value).toEqual(live.getSnapshot().value);
      expect(restored.getSnapshot().context).toEqual(live.getSnapshot().context);
      // Continue both with the same three events, picked differently per path to spread coverage.
      for (let k = 0; k < 3; k++) {
        const options = exploreEvents(live.getSnapshot());
        const pick = options[(i * 7 + k * 13) % options.length];
        if (!pick) throw new Error('no event to continue with');
        live.send(pick.event);
        restored.send(pick.event);
        expect(persistedJson(restored)).toBe(persistedJson(live));
      }
      live.stop();
      restored.stop();
    });
  });
});

describe('withFastContexts', () => {
  it('re-makes every context object in a persisted tree without changing the data', () => {
    const parent = {
      status: 'active',
      value: 'x',
      context: { a: 1, nested: { b: [1, 2] } },
      children: {
        m: { src: 'model', snapshot: { status: 'active', context: { inFlight: 2 }, children: {} } },
        t: { src: 'deadlineTimer', snapshot: { status: 'active', input: { at: 5 } } },
      },
    };
    const out = withFastContexts(parent);
    expect(out).toEqual(parent);
    expect(out.context).not.toBe(parent.context);
    expect(out.children.m.snapshot.context).not.toBe(parent.children.m.snapshot.context);
    expect(out.children.t.snapshot).toEqual(parent.children.t.snapshot);
    expect(withFastContexts(null)).toBeNull();
    expect(withFastContexts('x')).toBe('x');
  });

  it('a snapshot revived through it restores and continues like the original', () => {
    const { paths, input } = explore();
    const path = shortestPerState(paths).get('halfOpen');
    if (!path) throw new Error('no path to halfOpen');
    const live = createActor(modelMachine, { input });
    live.start();
    driveAlong(live, path);
    const back = createActor(modelMachine, { snapshot: withFastContexts(throughJson(live)), input });
    back.start();
    const e: ModelEvent = { type: 'REQUEST_STARTED', now: live.getSnapshot().context.now + 1 };
    live.send(e);
    back.send(e);
    expect(persistedJson(back)).toBe(persistedJson(live));
  });
});

describe('persistence with real deadline timers (manual clock)', () => {
  const { paths, input } = explore();
  const perState = shortestPerState(paths);

  /** Drives a timed actor to the end of `path`, the clock following the events. */
  function reach(path: Path) {
    const twin = timedTwin(input);
    driveAlong(twin.actor, path, twin.follow);
    return twin;
  }

  it('reaches each of the eight states with a timed actor', () => {
    expect([...perState.keys()].sort()).toEqual(
      ['degraded', 'halfOpen', 'loaded', 'loading', 'missing', 'open', 'unloaded', 'unloading'].sort(),
    );
  });

  for (const value of [
    'unloaded',
    'loading',
    'loaded',
    'degraded',
    'open',
    'halfOpen',
    'missing',
    'unloading',
  ]) {
    it(`${value}: restored at once, it re-arms its timer and follows a never-stopped twin exactly`, () => {
      const path = perState.get(value);
      if (!path) throw new Error(`no path to ${value}`);
      const live = reach(path);
      expect(live.actor.getSnapshot().value).toBe(value);
      const saved = throughJson(live.actor);
      const back = timedTwin(input, saved, live.clock.now());
      expect(persistedJson(back.actor)).toBe(persistedJson(live.actor));
      // A waiting state has exactly one timer armed again; the others none.
      const waits = value === 'loading' || value === 'open' || value === 'degraded';
      expect(back.clock.pending).toBe(waits ? 1 : 0);
      // Let every deadline pass on both clocks, then compare.
      const far = input.loadTimeoutMs + input.circuit.recoveryTimeoutMaxMs + 1;
      live.clock.advance(far);
      back.clock.advance(far);
      expect(persistedJson(back.actor)).toBe(persistedJson(live.actor));
      live.actor.stop();
      back.actor.stop();
    });
  }

  const afterDowntime: Record<string, string[]> = {
    unloaded: ['unloaded'],
    // A load whose deadline passed while we were down has failed (and may trip the circuit).
    loading: ['unloaded', 'open'],
    loaded: ['loaded'],
    degraded: ['loaded'],
    open: ['halfOpen'],
    halfOpen: ['halfOpen'],
    missing: ['missing'],
    unloading: ['unloading'],
  };

  for (const [value, expected] of Object.entries(afterDowntime)) {
    it(`${value}: a deadline that passed while the process was down fires as soon as it is restored`, () => {
      const path = perState.get(value);
      if (!path) throw new Error(`no path to ${value}`);
      const live = reach(path);
      const saved = throughJson(live.actor);
      live.actor.stop();
      expect(live.clock.pending).toBe(0);
      // The process is down for longer than any deadline: no timer of ours runs meanwhile.
      const downFor = input.loadTimeoutMs + input.circuit.recoveryTimeoutMaxMs + 1;
      const back = timedTwin(input, saved, live.clock.now() + downFor);
      const s = back.actor.getSnapshot();
      expect(expected).toContain(String(s.value));
      if (value === 'open') {
        expect(s.context.trialsLeft).toBe(input.circuit.halfOpenMaxCalls);
        expect(s.context.now).toBe(live.clock.now() + downFor);
      }
      back.actor.stop();
    });
  }

  it('an open circuit restored before its deadline stays open until the deadline, then goes half-open', () => {
    const path = perState.get('open');
    if (!path) throw new Error('no path to open');
    const live = reach(path);
    const openUntil = live.actor.getSnapshot().context.openUntil;
    if (openUntil === null) throw new Error('open without openUntil');
    const saved = throughJson(live.actor);
    live.actor.stop();
    const back = timedTwin(input, saved, openUntil - 10);
    expect(back.actor.getSnapshot().value).toBe('open');
    back.clock.advance(9);
    expect(back.actor.getSnapshot().value).toBe('open');
    back.clock.advance(1);
    expect(back.actor.getSnapshot().value).toBe('halfOpen');
    expect(back.actor.getSnapshot().context.now).toBe(openUntil);
  });

  it('property: restoring from any persisted snapshot, then continuing, equals never stopping', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 40 }),
        fc.nat({ max: 40 }),
        fc.array(fc.nat({ max: 3000 }), { minLength: 0, maxLength: 40 }),
        (picks, cutAt, pauses) => {
          const cut = cutAt % (picks.length + 1);
          const a = timedTwin(input);
          let b = timedTwin(input);
          picks.forEach((pick, i) => {
            if (i === cut) {
              const saved = throughJson(b.actor);
              const at = b.clock.now();
              b.actor.stop();
              b = timedTwin(input, saved, at);
              expect(stateKey(b.actor.getSnapshot())).toBe(stateKey(a.actor.getSnapshot()));
            }
            const options = exploreEvents(a.actor.getSnapshot());
            const chosen = options[pick % options.length];
            if (!chosen) throw new Error('no events');
            // Time may also pass with no event at all, firing whatever deadline falls due.
            const pause = pauses[i] ?? 0;
            a.clock.advance(pause);
            b.clock.advance(pause);
            const event = { ...chosen.event, now: Math.max(chosen.event.now, a.clock.now()) } as ModelEvent;
            a.follow(event);
            b.follow(event);
            a.actor.send(event);
            b.actor.send(event);
          });
          expect(persistedJson(b.actor)).toBe(persistedJson(a.actor));
          a.actor.stop();
          b.actor.stop();
        },
      ),
      { numRuns: 150 },
    );
  });
});
