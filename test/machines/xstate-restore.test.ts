import { describe, expect, it } from 'vitest';
import { createActor, createMachine, fromCallback, SimulatedClock } from 'xstate';

/**
 * Why the model machine arms its deadlines from invoked actors instead of `after`: these pin the
 * behaviour of the installed XState, so an upgrade that changes it shows up here first.
 */
describe('XState restore behaviour the model machine relies on', () => {
  it('drops a pending `after` timer when a snapshot is restored (xstate #5331)', () => {
    const m = createMachine({ initial: 'a', states: { a: { after: { 1000: 'b' } }, b: {} } });
    const saved = (() => {
      const a = createActor(m, { clock: new SimulatedClock() });
      a.start();
      const s = JSON.parse(JSON.stringify(a.getPersistedSnapshot()));
      a.stop();
      return s;
    })();
    const clock = new SimulatedClock();
    const restored = createActor(m, { clock, snapshot: saved });
    restored.start();
    clock.increment(5000);
    expect(restored.getSnapshot().value).toBe('a');
  });

  it('restarts an invoked callback from its persisted input when a snapshot is restored', () => {
    const started: unknown[] = [];
    const m = createMachine({
      initial: 'a',
      states: {
        a: {
          invoke: { src: fromCallback(({ input }) => void started.push(input)), id: 't', input: { at: 42 } },
        },
      },
    });
    const a = createActor(m);
    a.start();
    const saved = JSON.parse(JSON.stringify(a.getPersistedSnapshot()));
    a.stop();
    // The child's snapshot carries its input; the restored parent starts it again with that input.
    expect(saved.children.t.snapshot.input).toEqual({ at: 42 });
    const restored = createActor(m, { snapshot: saved });
    restored.start();
    expect(started).toEqual([{ at: 42 }, { at: 42 }]);
  });
});
