import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { counts } from '../../machines/model/failure.ts';
import {
  type CircuitSettings,
  canAcceptRequest,
  type ModelEvent,
  modelMachine,
} from '../../machines/model.machine.ts';
import { brokenInvariant, labelledEventsFor, makeInput } from './harness.ts';

/** Random circuits within the config schema's bounds, small enough that every rule fires often. */
const circuitArb: fc.Arbitrary<Partial<CircuitSettings>> = fc
  .record({
    failureThreshold: fc.integer({ min: 1, max: 6 }),
    recoveryTimeoutMs: fc.integer({ min: 1, max: 5_000 }),
    growth: fc.integer({ min: 1, max: 8 }),
    recoveryMultiplier: fc.double({ min: 1, max: 4, noNaN: true }),
    halfOpenMaxCalls: fc.integer({ min: 1, max: 3 }),
    windowSize: fc.integer({ min: 1, max: 8 }),
    minimumCalls: fc.integer({ min: 1, max: 8 }),
    failureRateThreshold: fc.double({ min: 0.05, max: 1, noNaN: true }),
    slowCallMs: fc.integer({ min: 1, max: 1_000 }),
    slowCallRateThreshold: fc.double({ min: 0.05, max: 1, noNaN: true }),
  })
  .map(({ growth, ...c }) => ({
    ...c,
    recoveryTimeoutMaxMs: c.recoveryTimeoutMs * growth,
    minimumCalls: Math.min(c.minimumCalls, c.windowSize),
  }));

/** Each step picks one of the representative events of the current snapshot, or lets time jump ahead. */
const stepsArb = fc.array(fc.tuple(fc.nat({ max: 1_000 }), fc.nat({ max: 20 })), {
  minLength: 1,
  maxLength: 80,
});

function run(circuit: Partial<CircuitSettings>, steps: Array<[number, number]>, check: (ctx: Check) => void) {
  const input = makeInput({}, circuit);
  const actor = createActor(modelMachine, { input });
  actor.start();
  for (const [pick, jump] of steps) {
    const before = actor.getSnapshot();
    const options = labelledEventsFor(before.context);
    const chosen = options[pick % options.length];
    if (!chosen) throw new Error('no events');
    // Sometimes much later: deadlines pass, streaks heal.
    const later = jump === 0 ? input.circuit.recoveryTimeoutMaxMs * 2 : 0;
    const event = { ...chosen.event, now: chosen.event.now + later } as ModelEvent;
    actor.send(event);
    const after = actor.getSnapshot();
    check({ before, after, event, circuit: after.context.circuit });
  }
  actor.stop();
}

type Snap = ReturnType<typeof modelMachine.transition>;
interface Check {
  before: Snap;
  after: Snap;
  event: ModelEvent;
  circuit: CircuitSettings;
}

const CLOSED = new Set(['loaded', 'degraded', 'unloaded', 'unloading']);

describe('model machine properties (fast-check)', () => {
  it('keeps its invariants after every event, whatever the circuit settings', () => {
    fc.assert(
      fc.property(circuitArb, stepsArb, (circuit, steps) => {
        run(circuit, steps, ({ after, event }) => {
          const broken = brokenInvariant(String(after.value), after.context);
          if (broken) throw new Error(`${broken} after ${event.type} in ${String(after.value)}`);
          expect(JSON.parse(JSON.stringify(after.context))).toEqual(after.context);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('is never closed right after failure_threshold consecutive counted failures', () => {
    fc.assert(
      fc.property(circuitArb, stepsArb, (circuit, steps) => {
        run(circuit, steps, ({ before, after, event, circuit: c }) => {
          const counted =
            (event.type === 'REQUEST_FAILED' || event.type === 'PROBE_FAILED') &&
            counts(event) &&
            CLOSED.has(String(before.value));
          if (counted && after.context.consecutiveFailures >= c.failureThreshold) {
            expect(after.value).toBe('open');
          }
          // The streak never sits at the threshold in a closed state, whatever got it there.
          if (CLOSED.has(String(after.value)))
            expect(after.context.consecutiveFailures).toBeLessThan(c.failureThreshold);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('lets no trial beyond half_open_max_calls through, and refuses when none is left', () => {
    fc.assert(
      fc.property(circuitArb, stepsArb, (circuit, steps) => {
        run(circuit, steps, ({ before, after, event, circuit: c }) => {
          if (after.value === 'halfOpen') {
            expect(after.context.trialsInFlight).toBeLessThanOrEqual(c.halfOpenMaxCalls);
            expect(canAcceptRequest(after)).toBe(after.context.trialsLeft > 0);
          }
          // A request admitted in halfOpen with no trial left is counted but is not a trial.
          if (before.value === 'halfOpen' && after.value === 'halfOpen' && event.type === 'REQUEST_STARTED') {
            const tookTrial = after.context.trialsInFlight === before.context.trialsInFlight + 1;
            expect(tookTrial).toBe(before.context.trialsLeft > 0);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('opens for the base recovery time at first, growing by the multiplier up to the cap', () => {
    fc.assert(
      fc.property(circuitArb, stepsArb, (circuit, steps) => {
        run(circuit, steps, ({ before, after, circuit: c }) => {
          const opened = after.context.timesOpened === before.context.timesOpened + 1;
          if (!opened) return;
          expect(after.value).toBe('open');
          const span = (after.context.openUntil ?? 0) - (after.context.openedAt ?? 0);
          const expected = Math.min(
            c.recoveryTimeoutMaxMs,
            c.recoveryTimeoutMs * c.recoveryMultiplier ** (after.context.openStreak - 1),
          );
          expect(Math.abs(span - Math.round(Math.max(c.recoveryTimeoutMs, expected)))).toBeLessThan(
            1e-6 * span + 1e-9,
          );
        });
      }),
      { numRuns: 300 },
    );
  });

  it('only a 404 (or MODEL_MISSING) leads to missing, and a missing model is never open', () => {
    fc.assert(
      fc.property(circuitArb, stepsArb, (circuit, steps) => {
        run(circuit, steps, ({ before, after, event }) => {
          if (after.value === 'missing' && before.value !== 'missing') {
            const missingFailure = 'missing' in event && event.missing === true;
            expect(missingFailure || event.type === 'MODEL_MISSING').toBe(true);
          }
          if ('missing' in event && event.missing === true) {
            expect(after.context.timesOpened).toBe(before.context.timesOpened);
          }
        });
      }),
      { numRuns: 200 },
    );
  });
});
